# The Linux oracle (docs/linux-oracle.md): the story's recorded traffic
# through a namespace gateway running iptables NAT, what Linux sends out of
# each side written as pcaps. Needs root.
$(B)/tests/linux/ctnic-linux-replay: tests/linux/linux_replay.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@ $(LDFLAGS) -lpcap

TEST_BINS  += $(B)/tests/linux/ctnic-linux-replay
TEST_PROGS += tests/linux/test-linux-oracle.sh

# The full comparison report, into $(BUILD_ROOT)/linux-oracle/report.txt.
# CTNIC_OUT=DIR adds Linux against ctnic: DIR/<scenario>/out0.pcap, out1.pcap
# (see tests/linux/linux-diff.sh).
LINUX_DIFF_BINS := $(B)/tests/linux/ctnic-linux-replay $(B)/tools/gen/ctnic-story-gen \
                   $(B)/tools/pcapdiff/ctnic-pcapdiff
.PHONY: test-linux-diff
test-linux-diff: deps
	@$(MAKE) --no-print-directory $(LINUX_DIFF_BINS)
	@tests/linux/linux-diff.sh --build $(B) --out $(BUILD_ROOT)/linux-oracle \
	  $(if $(CTNIC_OUT),--ctnic $(CTNIC_OUT))
