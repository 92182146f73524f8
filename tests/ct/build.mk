# tests/ct: unit tests of host/ct (cmocka; TAP when CMOCKA_MESSAGE_OUTPUT=TAP).
CT_TEST_NAMES := test_ct_tcp test_ct_nat_rules test_ct_tuples test_ct_linger test_ct_conf test_ct_story test_ct_fuzz
CT_TEST_BINS  := $(addprefix $(B)/tests/ct/,$(CT_TEST_NAMES))

$(CT_TEST_BINS): $(B)/tests/ct/%: tests/ct/%.c $(CT_LIB) $(CT_LIBS) $(CT_HDRS) tests/ct/ct_test.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@ $(LDFLAGS) $(CT_LIB) $(CT_LIBS) -lcmocka

TEST_BINS  += $(CT_TEST_BINS)
TEST_PROGS += $(CT_TEST_BINS)
