# host/: ctnicd, the daemon (docs/daemon.md). Every host/*.c is part of it;
# host/ct/ (connection tracking and NAT) has a build.mk of its own.
CTNICD      := $(B)/host/ctnicd
CTNICD_SRCS := $(sort $(wildcard host/*.c))
CTNICD_OBJS := $(patsubst %.c,$(B)/%.o,$(CTNICD_SRCS))
ALL_BINS    += $(CTNICD)

$(B)/host/%.o: host/%.c $(wildcard host/*.h) $(wildcard driver/include/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(CTNICD): $(CTNICD_OBJS) $(LIBCTNIC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(CTNICD_OBJS) $(LIBCTNIC) -lcjson $(LIBCTNIC_LIBS)
