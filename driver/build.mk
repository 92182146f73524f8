# libctnic: every .c under driver/src goes into build/<flavour>/driver/libctnic.a,
# with the reference model of sim/model, which the model: backend (driver/src/model.c) runs.
LIBCTNIC_SRCS := $(sort $(wildcard driver/src/*.c)) $(sort $(wildcard sim/model/*.c))
LIBCTNIC_OBJS := $(patsubst %.c,$(B)/%.o,$(LIBCTNIC_SRCS))
# Libraries a program linking libctnic also needs.
LIBCTNIC_LIBS := -lpci

$(B)/driver/src/%.o: driver/src/%.c $(wildcard driver/include/*.h driver/src/*.h) driver/include/ctnic_regs.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Idriver/src -c $< -o $@

$(LIBCTNIC): $(LIBCTNIC_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^
