# tools/: ctnicctl, the control CLI of ctnicd (docs/daemon.md, docs/user-guide.md;
# ctfmt.c is its formatter, ctnic-replay prints with it too). tools/demo.sh
# is run by `make demo`. Other tools have build.mk files in their folders.
CTNICCTL      := $(B)/tools/ctnicctl/ctnicctl
CTNICCTL_SRCS := $(sort $(wildcard tools/ctnicctl/*.c))
CTNICCTL_OBJS := $(patsubst %.c,$(B)/%.o,$(CTNICCTL_SRCS))
ALL_BINS      += $(CTNICCTL)

$(B)/tools/ctnicctl/%.o: tools/ctnicctl/%.c $(wildcard tools/ctnicctl/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(CTNICCTL): $(CTNICCTL_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(CTNICCTL_OBJS) -lcjson
