# tests/churn/: the churn of issue 6 (docs/testing.md, "The churn"):
# ctnic-story-gen --scenario churn through ctnic-replay on the model card and
# on the simulated card (ctnic-sim), audited, counted and compared. (tools/
# and sim/ are read after this file: their programs are named by path.)
CHURN_BINS := $(B)/tools/replay/ctnic-replay $(B)/tools/gen/ctnic-story-gen \
              $(B)/tools/pcapdiff/ctnic-pcapdiff $(B)/sim/ctnic-sim/ctnic-sim
TEST_BINS  += $(CHURN_BINS)
TEST_PROGS += tests/churn/test-churn.sh

# make test-churn-long: more connections, CHURN_LONG_CONNS on the model card
# and CHURN_LONG_SIM_CONNS on both cards (CHURN_SEED=S replays a seed); prints
# each replay's wall time (docs/testing.md).
CHURN_LONG_CONNS ?= 20000
CHURN_LONG_SIM_CONNS ?= 10000
# (Sanitized, as make test: the second make has SAN=1, so $(B) is build/san.)
.PHONY: test-churn-long test-churn-long-run
test-churn-long:
	@$(MAKE) --no-print-directory SAN=1 test-churn-long-run

test-churn-long-run: $(CHURN_BINS)
	@CTNIC_BUILD=$(B) tests/churn/test-churn.sh --conns $(CHURN_LONG_CONNS) --sim-conns $(CHURN_LONG_SIM_CONNS) $(CHURN_SEED)
