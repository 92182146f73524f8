# tests/cli/: ctnicctl against a running daemon on the simulated card
# (ctnic-replay --backend sim --serve, and ctnicd --device sim:), every
# command, refused and malformed requests, socket permissions. (tools/ is
# read after this file: its programs are named by path.)
TEST_BINS  += $(B)/tools/ctnicctl/ctnicctl $(B)/tools/replay/ctnic-replay $(B)/tools/gen/ctnic-story-gen \
              $(B)/sim/ctnic-sim/ctnic-sim $(B)/host/ctnicd
TEST_PROGS += tests/cli/test-cli.sh
# make demo's script, run to completion (a live Linux column when root).
TEST_BINS  += $(B)/tools/pcapdiff/ctnic-pcapdiff $(B)/sim/ctnic-sim/ctnic-sim $(B)/host/ctnicd \
              $(B)/tests/linux/ctnic-linux-replay
TEST_PROGS += tests/cli/test-demo.sh
