# tests/driver: libctnic's device API and sim backend (cmocka), against a fake simulator;
# reset_test below.
DEV_TEST := $(B)/tests/driver/dev_test

$(B)/tests/driver/%.o: tests/driver/%.c $(wildcard driver/include/*.h) sim/ctnic-sim/sim_proto.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isim/ctnic-sim -c $< -o $@

$(DEV_TEST): $(B)/tests/driver/dev_test.o $(LIBCTNIC)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka -pthread $(LIBCTNIC_LIBS)

TEST_BINS  += $(DEV_TEST)
TEST_PROGS += $(DEV_TEST)

# reset_test: ctnic_reset on model: and on sim: with the real ctnic-sim, checked
# against every register's reset value in hw/regmap.json (TAP, harness of tests/system).
RESET_TEST    := $(B)/tests/driver/reset_test
DRV_CTNICSIM  := $(B)/sim/ctnic-sim/ctnic-sim

$(B)/tests/driver/reset_test.o: tests/driver/reset_test.c $(wildcard driver/include/*.h) tests/system/harness.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/system -c $< -o $@

$(RESET_TEST): $(B)/tests/driver/reset_test.o $(B)/tests/system/harness.o $(LIBCTNIC)
	$(CC) $(LDFLAGS) -o $@ $^ -lcjson $(LIBCTNIC_LIBS)

TEST_BINS  += $(RESET_TEST) $(DRV_CTNICSIM)
TEST_PROGS += "$(RESET_TEST) hw/regmap.json $(DRV_CTNICSIM)"
