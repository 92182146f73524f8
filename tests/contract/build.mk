# The contract's hash and packing (driver/src/flow.c), and the register map generator.
$(B)/tests/contract/test_flow: tests/contract/test_flow.c $(B)/driver/src/flow.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ -o $@ $(LDFLAGS) -lcmocka

TEST_BINS  += $(B)/tests/contract/test_flow
TEST_PROGS += tests/regmap/test-regmap.sh $(B)/tests/contract/test_flow
