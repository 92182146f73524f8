# host/: ctnicd, the daemon (docs/daemon.md). Every host/*.c is part of it;
# host/ct/ (connection tracking and NAT) has a build.mk of its own.
CTNICD      := $(B)/host/ctnicd
CTNICD_SRCS := $(sort $(wildcard host/*.c))
CTNICD_OBJS := $(patsubst %.c,$(B)/%.o,$(CTNICD_SRCS))
ALL_BINS    += $(CTNICD)

$(B)/host/%.o: host/%.c $(wildcard host/*.h) $(wildcard driver/include/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# host/ct's library by path: host/ct/build.mk (CT_LIB) is read after this file.
CTNICD_CT_LIB := $(B)/host/ct/libctnicct.a

$(CTNICD): $(CTNICD_OBJS) $(CTNICD_CT_LIB) $(LIBCTNIC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(CTNICD_OBJS) $(CTNICD_CT_LIB) $(LIBCTNIC) -lcjson $(LIBCTNIC_LIBS)
