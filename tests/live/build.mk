# tests/live/: the card as a gateway between real Linux hosts (docs/live.md).
# ctnic-live-gw: the model card and ctnicd's core with TAP ports. The tests
# need root (they make network namespaces); `make demo-live` shows it.
CTNIC_LIVE_GW := $(B)/tests/live/ctnic-live-gw

$(B)/tests/live/%.o: tests/live/%.c $(wildcard host/*.h) $(wildcard host/ct/*.h) $(wildcard driver/include/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(CTNIC_LIVE_GW): $(B)/tests/live/live_gw.o $(CTNICD_LIB) $(CTNICD_CT_LIB) $(LIBCTNIC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(CTNICD_LIBS)

TEST_BINS  += $(CTNIC_LIVE_GW)
TEST_PROGS += tests/live/test-sim-tap.sh
TEST_PROGS += tests/live/test-live.sh tests/live/test-live-rtl.sh
TEST_PROGS += tests/live/test-live-story.sh tests/live/test-live-story-control.sh
TEST_PROGS += tests/live/test-live-story-rtl.sh tests/live/test-live-story-control-rtl.sh
TEST_PROGS += tests/live/test-live-many.sh tests/live/test-live-many-rtl.sh

# make test-live-many-sim: test-live-many-rtl.sh alone (1,000 connections
# through the RTL card, the full audit), on the release build unless SAN=1. Root.
.PHONY: test-live-many-sim
test-live-many-sim: deps
	@$(MAKE) --no-print-directory $(CTNIC_SIM) $(CTNICD)
	@CTNIC_BUILD=$(B) tests/live/test-live-many-rtl.sh

# docs/linux-comparison.md: the story through Linux and through ctnic, every
# difference classified (tests/live/linux-comparison.sh; root).
LINUX_COMPARISON_BINS := $(B)/tools/replay/ctnic-replay $(B)/tools/gen/ctnic-story-gen \
                         $(B)/tools/pcapdiff/ctnic-pcapdiff $(B)/tests/linux/ctnic-linux-replay $(CTNIC_LIVE_GW)
.PHONY: linux-comparison
linux-comparison: deps
	@$(MAKE) --no-print-directory $(LINUX_COMPARISON_BINS)
	@tests/live/linux-comparison.sh --build $(B) --out docs/linux-comparison.md

# make demo-live: the topology up, curl/ping through ctnic, the table, torn down (root).
.PHONY: demo-live
demo-live: deps
	@$(MAKE) --no-print-directory all $(CTNIC_LIVE_GW)
	@tests/live/demo-live.sh $(B)
