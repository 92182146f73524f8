# tools/replay/: ctnic-replay, recorded traffic through the card and ctnicd's
# core (docs/user-guide.md), and ctfmt.c, ctnicd's answers as conntrack -L / -E
# lines and Prometheus text (ctnicctl prints with it too). Tests of the
# replay are tests/replay/ (its build.mk registers them).
CTNIC_REPLAY      := $(B)/tools/replay/ctnic-replay
CTNIC_REPLAY_OBJS := $(patsubst %.c,$(B)/%.o,$(sort $(wildcard tools/replay/*.c)))
CTFMT_OBJ         := $(B)/tools/replay/ctfmt.o
ALL_BINS          += $(CTNIC_REPLAY)

$(B)/tools/replay/%.o: tools/replay/%.c $(wildcard tools/replay/*.h) $(wildcard host/*.h) $(wildcard host/ct/*.h) \
                       $(wildcard driver/include/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(CTNIC_REPLAY): $(CTNIC_REPLAY_OBJS) $(CTNICD_LIB) $(CTNICD_CT_LIB) $(LIBCTNIC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(CTNIC_REPLAY_OBJS) $(CTNICD_LIBS) -lpcap
