# ctnic-pcapdiff: two sets of output pcaps compared packet by packet, per
# port, timestamps ignored (the Linux oracle against ctnic's replay).
$(B)/tools/pcapdiff/ctnic-pcapdiff: tools/pcapdiff/pcapdiff.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@ $(LDFLAGS) -lpcap

CTNIC_PCAPDIFF := $(B)/tools/pcapdiff/ctnic-pcapdiff
ALL_BINS += $(CTNIC_PCAPDIFF)
TEST_PROGS += tools/pcapdiff/test-pcapdiff.sh
