# host/ct: the daemon's connection-tracking and NAT core, a pure C library
# (no I/O but reading a config file it is given). Every .c here goes into
# $(B)/host/ct/libctnicct.a; headers are included as "ct/ctnic_*.h".
# A program linking it also links $(LIBCTNIC) (the one flow hash).
CT_SRCS := $(sort $(wildcard host/ct/*.c))
CT_OBJS := $(patsubst %.c,$(B)/%.o,$(CT_SRCS))
CT_HDRS := $(wildcard host/ct/*.h)
CT_LIB  := $(B)/host/ct/libctnicct.a
# What a program linking CT_LIB links after it.
CT_LIBS := $(LIBCTNIC) $(LIBCTNIC_LIBS)

$(B)/host/ct/%.o: host/ct/%.c $(CT_HDRS) driver/include/ctnic_flow.h driver/include/ctnic_regs.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(CT_LIB): $(CT_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

ALL_BINS += $(CT_LIB)
