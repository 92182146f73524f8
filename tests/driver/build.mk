# tests/driver: libctnic's device API and sim backend (cmocka), against a fake simulator.
DEV_TEST := $(B)/tests/driver/dev_test

$(B)/tests/driver/%.o: tests/driver/%.c $(wildcard driver/include/*.h) sim/ctnic-sim/sim_proto.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isim/ctnic-sim -c $< -o $@

$(DEV_TEST): $(B)/tests/driver/dev_test.o $(LIBCTNIC)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka -pthread $(LIBCTNIC_LIBS)

TEST_BINS  += $(DEV_TEST)
TEST_PROGS += $(DEV_TEST)
