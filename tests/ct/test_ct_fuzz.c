/*
 * test_ct_fuzz.c - the rules and configuration parsers under seeded random
 * mutations of real texts: they never crash or leak (ASan/UBSan in the test
 * build), and every refusal is a message with a file and line, with nothing
 * returned; whatever is accepted saves and reads back.
 *
 * Usage: test_ct_fuzz [SEED]   (the seed is printed; CTNIC_SEED works too)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ct_test.h"
#include "ct/ctnic_conf.h"

#define ROUNDS 3000

static uint64_t seed;

static const char rules[] =
	"*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:SVC - [0:0]\n"
	"-A PREROUTING -i wan -p udp -m multiport --dports 53,5000:5010 -j SVC\n"
	"-A PREROUTING ! -s 192.0.2.0/24 -i wan+ -p tcp -m tcp ! --dport 1:1023 -j ACCEPT\n"
	"-A PREROUTING -d 198.51.100.20/32 -p tcp -m comment --comment \"a \\\"b\\\"\" -j REDIRECT --to-ports 80\n"
	"-A SVC -p udp -j DNAT --to-destination 198.51.100.5-198.51.100.7:6000-6010 --persistent\n"
	"-A POSTROUTING -s 192.0.2.0/24 -o wan -j SNAT --to-source 203.0.113.10-203.0.113.12\n"
	"-A POSTROUTING -o wan -m addrtype ! --src-type LOCAL -j MASQUERADE --random-fully\n"
	"COMMIT\n";

static const char conf[] =
	"port 0 lan 192.0.2.1/24 mac 02:00:00:00:00:01\nport 1 wan 203.0.113.1/24\n"
	"route default via 203.0.113.254\nneighbour 192.0.2.10 02:00:00:00:00:0a dev lan\n"
	"nf_conntrack_tcp_timeout_close_wait = 30\nnf_conntrack_tcp_loose=0\nlinger-time 180\n"
	"late-packets rst\nflow proto=udp src=192.0.2.20:5000 dst=203.0.113.53:53 out=1 reply-out=0\n"
	"*nat\n-A PREROUTING -i lan -d 198.51.100.20/32 -p tcp -j REDIRECT --to-ports 80\nCOMMIT\n";

static const char pieces[][12] = { " ", "\n", "!", "-", ":", "/", ",", "\"", "#", "*nat\n",
				   "COMMIT\n", "-j", "-A", "0", "65536", "255", "-p tcp", "+" };

/* One to four random edits: delete, insert a byte or a token, swap, cut. */
static char *mutate(uint64_t *rs, const char *src)
{
	size_t len = strlen(src), cap = len + 64;
	char *s = malloc(cap);
	int edits = 1 + (int)ct_rand(rs, 4);

	memcpy(s, src, len + 1);
	while (edits--) {
		size_t at = len ? ct_rand(rs, (uint32_t)len) : 0;
		const char *p;

		uint32_t op = ct_rand(rs, 17);

		switch (op == 16 ? 4 : op % 4) { /* cutting the text short is rare */
		case 0:
			memmove(s + at, s + at + 1, len - at);
			len -= len > 0;
			break;
		case 1:
			p = pieces[ct_rand(rs, sizeof(pieces) / sizeof(pieces[0]))];
			if (len + strlen(p) + 1 > cap)
				break;
			memmove(s + at + strlen(p), s + at, len - at + 1);
			memcpy(s + at, p, strlen(p));
			len += strlen(p);
			break;
		case 2:
			s[at] = (char)(32 + ct_rand(rs, 95));
			break;
		case 3:
			if (len) {
				size_t b = ct_rand(rs, (uint32_t)len);
				char t = s[at];

				s[at] = s[b];
				s[b] = t;
			}
			break;
		default:
			s[at] = '\0';
			len = at;
		}
	}
	return s;
}

static void test_mutated_rules_parse_or_fail_with_a_line(void **state)
{
	uint64_t rs = seed | 1;
	int ok = 0;

	(void)state;
	for (int i = 0; i < ROUNDS; i++) {
		char *t = mutate(&rs, rules), err[512] = "";
		struct ctnic_nat_ruleset *r = (void *)1;

		if (ctnic_nat_parse(t, "rules", 1, &r, err, sizeof(err)) == 0) {
			char *saved = ctnic_nat_save(r), *again;
			struct ctnic_nat_ruleset *r2;

			assert_non_null(saved);
			if (ctnic_nat_parse(saved, "saved", 1, &r2, err, sizeof(err)))
				fail_msg("round %d: saved text refused: %s\n%s", i, err, saved);
			again = ctnic_nat_save(r2);
			assert_string_equal(saved, again);
			free(again);
			free(saved);
			ctnic_nat_ruleset_free(r2);
			ctnic_nat_ruleset_free(r);
			ok++;
		} else {
			assert_null(r);
			if (strncmp(err, "rules:", 6))
				fail_msg("round %d: error without a line: '%s'", i, err);
		}
		free(t);
	}
	printf("# rules: %d of %d mutants accepted\n", ok, ROUNDS);
}

static void test_mutated_configs_parse_or_fail_with_a_line(void **state)
{
	uint64_t rs = seed * 3 + 1;
	int ok = 0;

	(void)state;
	for (int i = 0; i < ROUNDS; i++) {
		char *t = mutate(&rs, conf), err[512] = "";
		struct ctnic_conf *c = (void *)1;

		if (ctnic_conf_parse(t, "c.conf", NULL, &c, err, sizeof(err)) == 0) {
			assert_non_null(c);
			assert_non_null(c->nat);
			ctnic_conf_free(c);
			ok++;
		} else {
			assert_null(c);
			if (strncmp(err, "c.conf:", 7))
				fail_msg("round %d: error without a line: '%s'", i, err);
		}
		free(t);
	}
	printf("# config: %d of %d mutants accepted\n", ok, ROUNDS);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutated_rules_parse_or_fail_with_a_line),
		cmocka_unit_test(test_mutated_configs_parse_or_fail_with_a_line),
	};

	seed = ct_test_seed(argc, argv);
	return cmocka_run_group_tests_name("ct_fuzz", tests, NULL, NULL);
}
