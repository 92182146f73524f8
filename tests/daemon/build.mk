# tests/daemon: the daemon's core (host/*.c) through the model: card, in
# process (cmocka; TAP with CMOCKA_MESSAGE_OUTPUT=TAP). Expected frames come
# from tools/gen/pkt.c, never from the code under test.
DAEMON_TEST_NAMES := test_daemon_nat test_daemon_story test_daemon_exc test_daemon_ctl test_daemon_table test_daemon_udp_icmp test_daemon_churn
DAEMON_TEST_BINS  := $(addprefix $(B)/tests/daemon/,$(DAEMON_TEST_NAMES))
DAEMON_TEST_LIB   := $(B)/tests/daemon/gw.o $(B)/tools/gen/pkt.o

$(B)/tests/daemon/%.o: tests/daemon/%.c $(wildcard tests/daemon/*.h) $(wildcard host/*.h) $(wildcard host/ct/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(DAEMON_TEST_BINS): $(B)/tests/daemon/%: $(B)/tests/daemon/%.o $(DAEMON_TEST_LIB) $(CTNICD_LIB) $(CT_LIB) $(LIBCTNIC)
	$(CC) $(LDFLAGS) -o $@ $< $(DAEMON_TEST_LIB) $(CTNICD_LIBS) -lcmocka

TEST_BINS  += $(DAEMON_TEST_BINS) $(CTNICD)
TEST_PROGS += $(DAEMON_TEST_BINS)
# ctnicd as a program on model: (socket, SIGHUP, events stream, SIGTERM).
TEST_PROGS += "tests/daemon/ctnicd_run_test.py $(CTNICD)"

# `make bench` (plain optimised build): daemon_new_conn_per_s and
# daemon_bytes_per_conn (docs/daemon.md "Numbers"). BENCH_DAEMON_ARGS=N
# sets the connection count (default 100000).
BENCH_DAEMON := $(B)/tests/daemon/bench_daemon
ALL_BINS += $(BENCH_DAEMON)

$(BENCH_DAEMON): $(B)/tests/daemon/bench_daemon.o $(DAEMON_TEST_LIB) $(CTNICD_LIB) $(CT_LIB) $(LIBCTNIC)
	$(CC) $(LDFLAGS) -o $@ $< $(DAEMON_TEST_LIB) $(CTNICD_LIBS) -lcmocka

.PHONY: bench bench-daemon
bench: bench-daemon
bench-daemon:
	@$(MAKE) --no-print-directory $(BENCH_DAEMON) >/dev/null
	@$(BENCH_DAEMON) $(BENCH_DAEMON_ARGS)
