# host/ct: the daemon's connection-tracking and NAT core, a pure C library
# (no I/O but reading a config file it is given). Every .c here goes into
# $(B)/host/ct/libctnicct.a; headers are included as "ct/ctnic_*.h".
# It uses the one flow hash of driver/src/flow.c: a program linking it also
# links $(LIBCTNIC), or just $(CT_LIBS) (flow.o alone, so that the tests here
# do not wait on the rest of the driver).
CT_SRCS := $(sort $(wildcard host/ct/*.c))
CT_OBJS := $(patsubst %.c,$(B)/%.o,$(CT_SRCS))
CT_HDRS := $(wildcard host/ct/*.h)
CT_LIB  := $(B)/host/ct/libctnicct.a
# What a program linking CT_LIB links after it, at the least.
CT_LIBS := $(B)/driver/src/flow.o

$(B)/host/ct/%.o: host/ct/%.c $(CT_HDRS) driver/include/ctnic_flow.h driver/include/ctnic_regs.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(CT_LIB): $(CT_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

ALL_BINS += $(CT_LIB)
