# tests/rings: the host side of the DMA rings (driver/src/ring*.c) and the
# model: backend (driver/src/model.c), cmocka (docs/rings.md).

RINGS_TEST := $(B)/tests/rings/rings_test

$(B)/tests/rings/%.o: tests/rings/%.c $(wildcard driver/include/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(RINGS_TEST): $(B)/tests/rings/rings_test.o $(LIBCTNIC)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(LIBCTNIC_LIBS)

TEST_BINS  += $(RINGS_TEST)
TEST_PROGS += $(RINGS_TEST)
