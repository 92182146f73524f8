# tests/replay/: ctnic-replay against ctnic-story-gen's expected outputs
# (no leak), determinism, usage; the story configurations (story-*.conf)
# that the Linux comparison and the demo use too.
TEST_BINS  += $(CTNIC_REPLAY) $(CTNIC_STORY_GEN) $(CTNIC_PCAPDIFF)
TEST_PROGS += tests/replay/test-replay.sh
