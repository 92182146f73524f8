# host/: ctnicd, the daemon (docs/daemon.md). Every host/*.c but ctnicd.c
# (main) goes into $(B)/host/libctnicd.a, which tests/daemon links too;
# host/ct/ (connection tracking and NAT) has a build.mk of its own.
CTNICD      := $(B)/host/ctnicd
CTNICD_LIB_SRCS := $(filter-out host/ctnicd.c,$(sort $(wildcard host/*.c)))
CTNICD_LIB_OBJS := $(patsubst %.c,$(B)/%.o,$(CTNICD_LIB_SRCS))
CTNICD_LIB  := $(B)/host/libctnicd.a
# What a program linking CTNICD_LIB links after it.
# (host/ct/build.mk is read after this file: its library is named by path.)
CTNICD_CT_LIB := $(B)/host/ct/libctnicct.a
CTNICD_LIBS := $(CTNICD_LIB) $(CTNICD_CT_LIB) $(LIBCTNIC) -lcjson $(LIBCTNIC_LIBS)
ALL_BINS    += $(CTNICD)

$(B)/host/%.o: host/%.c $(wildcard host/*.h) $(wildcard host/ct/*.h) $(wildcard driver/include/*.h) sim/model/ctnic_model.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(CTNICD_LIB): $(CTNICD_LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(CTNICD): $(B)/host/ctnicd.o $(CTNICD_LIB) $(CTNICD_CT_LIB) $(LIBCTNIC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(B)/host/ctnicd.o $(CTNICD_LIBS)
