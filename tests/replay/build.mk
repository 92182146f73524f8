# tests/replay/: ctnic-replay against ctnic-story-gen's expected outputs
# (no leak), determinism, usage, on the model and on the simulated card
# (ctnic-sim); the story configurations (story-*.conf) that the Linux
# comparison and the demo use too. (tools/ is read after this file: its
# programs are named by path.)
TEST_BINS  += $(B)/tools/replay/ctnic-replay $(B)/tools/gen/ctnic-story-gen $(B)/tools/pcapdiff/ctnic-pcapdiff \
              $(B)/sim/ctnic-sim/ctnic-sim
TEST_PROGS += tests/replay/test-replay.sh
TEST_BINS  += $(B)/tests/linux/ctnic-linux-replay
TEST_PROGS += tests/replay/test-linux-diff.sh

# ctnic's outputs of the Linux oracle's story inputs, DIR/<scenario>/out0.pcap
# and out1.pcap, and the full report of tests/linux with them:
#   make test-linux-diff-ctnic      (= make ctnic-story && make test-linux-diff CTNIC_OUT=...)
# (CTNIC_STORY_BACKEND=sim: through the simulated card.)
CTNIC_STORY_OUT ?= $(BUILD_ROOT)/ctnic-story
CTNIC_STORY_BACKEND ?= model
.PHONY: ctnic-story test-linux-diff-ctnic
ctnic-story: $(B)/tools/replay/ctnic-replay $(B)/tools/gen/ctnic-story-gen $(B)/tools/pcapdiff/ctnic-pcapdiff \
             $(B)/sim/ctnic-sim/ctnic-sim
	@tests/replay/story-replay.sh --build $(B) --out $(CTNIC_STORY_OUT) --backend $(CTNIC_STORY_BACKEND)

test-linux-diff-ctnic: deps
	@$(MAKE) --no-print-directory ctnic-story
	@$(MAKE) --no-print-directory test-linux-diff CTNIC_OUT=$(CTNIC_STORY_OUT)

# make bench-replay: replay_frames_per_s and replay_device_s_per_s of a seeded
# random hour of traffic on the model card, replay_sim_* on the simulated card
# (BENCH_REPLAY_ARGS="CONNECTIONS SEED SIM_CONNECTIONS"); printed, never asserted.
.PHONY: bench-replay
bench-replay:
	@$(MAKE) --no-print-directory $(B)/tools/replay/ctnic-replay $(B)/sim/ctnic-sim/ctnic-sim >/dev/null
	@tests/replay/bench-replay.sh $(B) $(BENCH_REPLAY_ARGS)
