# tests/churn/: the churn of issue 6 (docs/testing.md, "The churn"):
# ctnic-story-gen --scenario churn through ctnic-replay on the model card and
# on the simulated card (ctnic-sim), audited, counted and compared. (tools/
# and sim/ are read after this file: their programs are named by path.)
CHURN_BINS := $(B)/tools/replay/ctnic-replay $(B)/tools/gen/ctnic-story-gen \
              $(B)/tools/pcapdiff/ctnic-pcapdiff $(B)/sim/ctnic-sim/ctnic-sim
TEST_BINS  += $(CHURN_BINS)
TEST_PROGS += tests/churn/test-churn.sh

# make test-churn-long: the same with more connections (CHURN_LONG_CONNS), on
# both backends; prints the seed and each backend's wall time.
CHURN_LONG_CONNS ?= 10000
.PHONY: test-churn-long
test-churn-long:
	@$(MAKE) --no-print-directory SAN=1 $(CHURN_BINS) >/dev/null
	@CTNIC_BUILD=$(B) tests/churn/test-churn.sh --conns $(CHURN_LONG_CONNS) $(CHURN_SEED)
