# tools/replay/: ctnic-replay, recorded traffic through the card and ctnicd's
# core (docs/user-guide.md). It prints with ctnicctl's formatter
# (tools/ctnicctl/ctfmt.c, built by tools/build.mk). Its tests are in
# tests/replay/.
CTNIC_REPLAY      := $(B)/tools/replay/ctnic-replay
CTNIC_REPLAY_OBJS := $(patsubst %.c,$(B)/%.o,$(sort $(wildcard tools/replay/*.c))) $(B)/tools/ctnicctl/ctfmt.o
ALL_BINS          += $(CTNIC_REPLAY)

$(B)/tools/replay/%.o: tools/replay/%.c $(wildcard tools/replay/*.h) tools/ctnicctl/ctfmt.h $(wildcard host/*.h) \
                       $(wildcard host/ct/*.h) $(wildcard driver/include/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(CTNIC_REPLAY): $(CTNIC_REPLAY_OBJS) $(CTNICD_LIB) $(CTNICD_CT_LIB) $(LIBCTNIC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(CTNIC_REPLAY_OBJS) $(CTNICD_LIBS) -lpcap
