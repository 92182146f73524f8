# tests/aging: the card's aging through the model: card and the daemon's
# side of it (host/aging.c): class timeouts, per-class expiry, a full event
# ring, expiry ends a connection, late expiries, seeded churn with the audit
# (cmocka; TAP with CMOCKA_MESSAGE_OUTPUT=TAP; `test_aging SEED` replays).
# The RTL's aging is tested in tests/rtl (test_rtl --only aging).
AGING_TEST := $(B)/tests/aging/test_aging

$(B)/tests/aging/%.o: tests/aging/%.c $(wildcard tests/daemon/*.h) $(wildcard host/*.h) $(wildcard host/ct/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(AGING_TEST): $(B)/tests/aging/test_aging.o $(DAEMON_TEST_LIB) $(CTNICD_LIB) $(CT_LIB) $(LIBCTNIC)
	$(CC) $(LDFLAGS) -o $@ $< $(DAEMON_TEST_LIB) $(CTNICD_LIBS) -lcmocka

TEST_BINS  += $(AGING_TEST)
TEST_PROGS += $(AGING_TEST)
