# Traffic generators: ctnic-story-gen writes the story of shared/design.md as
# one pcap per gateway port (docs/linux-oracle.md lists the packets), and with
# --scenario churn thousands of connections (churn.h, tests/churn).
$(B)/tools/gen/%.o: tools/gen/%.c tools/gen/pkt.h tools/gen/pcapw.h tools/gen/churn.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/tools/gen/ctnic-story-gen: $(B)/tools/gen/story_gen.o $(B)/tools/gen/churn.o $(B)/tools/gen/pcapw.o $(B)/tools/gen/pkt.o
	@mkdir -p $(dir $@)
	$(CC) $^ -o $@ $(LDFLAGS) -lpcap

CTNIC_STORY_GEN := $(B)/tools/gen/ctnic-story-gen
ALL_BINS += $(CTNIC_STORY_GEN)
TEST_PROGS += tools/gen/test-story-gen.sh
