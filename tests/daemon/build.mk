# tests/daemon: the daemon's core (host/*.c) through the model: card, in
# process (cmocka; TAP with CMOCKA_MESSAGE_OUTPUT=TAP). Expected frames come
# from tools/gen/pkt.c, never from the code under test.
DAEMON_TEST_NAMES := test_daemon_nat test_daemon_story test_daemon_exc test_daemon_ctl test_daemon_table
DAEMON_TEST_BINS  := $(addprefix $(B)/tests/daemon/,$(DAEMON_TEST_NAMES))
DAEMON_TEST_LIB   := $(B)/tests/daemon/gw.o $(B)/tools/gen/pkt.o

$(B)/tests/daemon/%.o: tests/daemon/%.c $(wildcard tests/daemon/*.h) $(wildcard host/*.h) $(wildcard host/ct/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(DAEMON_TEST_BINS): $(B)/tests/daemon/%: $(B)/tests/daemon/%.o $(DAEMON_TEST_LIB) $(CTNICD_LIB) $(CT_LIB) $(LIBCTNIC)
	$(CC) $(LDFLAGS) -o $@ $< $(DAEMON_TEST_LIB) $(CTNICD_LIBS) -lcmocka

TEST_BINS  += $(DAEMON_TEST_BINS)
TEST_PROGS += $(DAEMON_TEST_BINS)
