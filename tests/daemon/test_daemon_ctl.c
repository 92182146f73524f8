/*
 * test_daemon_ctl.c - ctnicd's control requests (host/ctlcmd.c) against a
 * live core on the model: card: conn list with its filters, conn delete by
 * tuple and filter, conn flush, stats, timeout get/set/list; malformed and
 * garbled requests (seeded: `test_daemon_ctl SEED` replays) each get one
 * answer and change nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cases.h"
#include "ctlcmd.h"

#define SYN 0x02
#define ACK 0x10

static uint64_t seed;

struct fx {
	struct gw g;
	struct ctnicd_daemon d;
};

static cJSON *ask(struct fx *x, const char *line)
{
	char *a = ctnicd_ctl_answer(ctnicd_commands, &x->d, line);
	cJSON *j;

	assert_non_null(a);
	assert_null(strchr(a, '\n'));
	j = cJSON_Parse(a);
	free(a);
	assert_non_null(j);
	assert_true(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(j, "ok")));
	return j;
}

static bool ok(const cJSON *j)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "ok"));
}

static const cJSON *result(const cJSON *j, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "result"), name);
}

static int count(struct fx *x, const char *line)
{
	cJSON *j = ask(x, line);
	int n;

	if (!ok(j))
		fail_msg("%s: %s", line, cJSON_GetObjectItemCaseSensitive(j, "error")->valuestring);
	n = result(j, "count")->valueint;
	cJSON_Delete(j);
	return n;
}

/* Two SNAT connections: one established, one only a SYN. */
static int setup(void **state)
{
	const struct nat_case *k = &nat_cases[1];
	struct nat_case c = *k;
	struct fx *x = calloc(1, sizeof(*x));

	case_open(&x->g, k, "");
	x->d = (struct ctnicd_daemon){ .dev = x->g.dev, .core = x->g.core };
	c2s(&x->g, &c, SYN);
	s2c(&x->g, &c, SYN | ACK);
	c2s(&x->g, &c, ACK);
	c.c_port = c.c_port_out = 40001;
	c2s(&x->g, &c, SYN);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	gw_close(&x->g);
	free(x);
	return 0;
}

static void test_conn_list_shows_both_tuples_state_timeout_and_flags(void **state)
{
	struct fx *x = *state;
	cJSON *j = ask(x, "{\"cmd\":\"conn list\",\"state\":\"ESTABLISHED\"}");
	const cJSON *c, *flags;

	assert_true(ok(j));
	assert_int_equal(result(j, "count")->valueint, 1);
	c = cJSON_GetArrayItem(result(j, "conns"), 0);
	assert_string_equal(cJSON_GetObjectItem(c, "state")->valuestring, "ESTABLISHED");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "orig"), "src")->valuestring, "192.0.2.10");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "reply"), "dst")->valuestring, "203.0.113.5");
	assert_int_equal(cJSON_GetObjectItem(c, "timeout")->valueint, 432000);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(c, "in_card")));
	flags = cJSON_GetObjectItem(c, "flags");
	assert_string_equal(cJSON_GetArrayItem(flags, 0)->valuestring, "ASSURED");
	/* The card counted what hit the flow: the ACK (punted: action host) and the SYN-ACK (punted: flags). */
	assert_int_equal(cJSON_GetObjectItem(c, "packets")->valueint, 1);
	assert_int_equal(cJSON_GetObjectItem(c, "reply_packets")->valueint, 1);
	cJSON_Delete(j);
	assert_int_equal(count(x, "{\"cmd\":\"conn list\"}"), 2);
	assert_int_equal(count(x, "{\"cmd\":\"conn list\",\"addr\":\"203.0.113.5\"}"), 2);
	assert_int_equal(count(x, "{\"cmd\":\"conn list\",\"addr\":\"192.0.2.99\"}"), 0);
	assert_int_equal(count(x, "{\"cmd\":\"conn list\",\"port\":40001}"), 1);
	assert_int_equal(count(x, "{\"cmd\":\"conn list\",\"proto\":\"udp\"}"), 0);
	assert_int_equal(count(x, "{\"cmd\":\"conn list\",\"state\":\"syn_sent\"}"), 1);
}

static void test_conn_delete_by_tuple_then_flush(void **state)
{
	struct fx *x = *state;
	cJSON *j;

	/* The reply tuple names the connection as well as the original. */
	j = ask(x, "{\"cmd\":\"conn delete\",\"proto\":\"tcp\",\"src\":\"198.51.100.30\",\"dst\":\"203.0.113.5\","
		   "\"sport\":80,\"dport\":40001}");
	assert_true(ok(j));
	assert_int_equal(result(j, "deleted")->valueint, 1);
	cJSON_Delete(j);
	assert_int_equal(count(x, "{\"cmd\":\"conn list\"}"), 1);
	j = ask(x, "{\"cmd\":\"conn delete\"}");
	assert_false(ok(j)); /* no accidental flush */
	cJSON_Delete(j);
	j = ask(x, "{\"cmd\":\"conn flush\"}");
	assert_int_equal(result(j, "deleted")->valueint, 1);
	cJSON_Delete(j);
	assert_int_equal(count(x, "{\"cmd\":\"conn list\"}"), 0);
	assert_int_equal(x->g.core->place.used, 0);
	/* A deleted connection's late packet still leaves translated (its binding lingers). */
	c2s(&x->g, &nat_cases[1], ACK);
	assert_int_equal(x->g.leaks, 0);
}

static void test_stats_count_daemon_and_card(void **state)
{
	struct fx *x = *state;
	cJSON *j = ask(x, "{\"cmd\":\"stats\"}");
	const cJSON *dm = result(j, "daemon"), *card = result(j, "card");

	assert_true(ok(j));
	assert_int_equal(cJSON_GetObjectItem(dm, "conn_new")->valueint, 2);
	assert_int_equal(cJSON_GetObjectItem(dm, "installs")->valueint, 2);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(dm, "table"), "connections")->valueint, 2);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(dm, "table"), "key_slots_used")->valueint, 4);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(dm, "punt"), "miss")->valueint, 2);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(card, "punt"), "miss")->valueint, 2);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(card, "ports")), 3);
	/* The card's aging, as its registers say: on (the daemon programs it), nothing retired yet. */
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(card, "aging"), "enabled")));
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(card, "aging"), "expired")->valueint, 0);
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(card, "aging"), "passes"));
	cJSON_Delete(j);
}

static void test_timeouts_by_sysctl_name(void **state)
{
	struct fx *x = *state;
	cJSON *j;

	j = ask(x, "{\"cmd\":\"timeout set\",\"name\":\"net.netfilter.nf_conntrack_tcp_timeout_close_wait\",\"value\":30}");
	assert_true(ok(j));
	cJSON_Delete(j);
	j = ask(x, "{\"cmd\":\"timeout get\",\"name\":\"nf_conntrack_tcp_timeout_close_wait\"}");
	assert_int_equal(result(j, "value")->valueint, 30);
	cJSON_Delete(j);
	assert_int_equal(x->g.core->timeout[CTNIC_TC_TCP_CLOSE_WAIT], 30 * x->g.core->ticks_per_sec);
	static const char *bad[] = {
		"{\"cmd\":\"timeout set\",\"name\":\"nf_conntrack_tcp_timeout_close_wait\",\"value\":-1}",
		"{\"cmd\":\"timeout set\",\"name\":\"nf_conntrack_tcp_timeout_close_wait\",\"value\":0}",
		"{\"cmd\":\"timeout set\",\"name\":\"nf_conntrack_tcp_timeout_close_wait\",\"value\":1.5}",
		"{\"cmd\":\"timeout set\",\"name\":\"nf_conntrack_tcp_timeout_close_wait\"}",
		"{\"cmd\":\"timeout set\",\"name\":\"nf_conntrack_bogus\",\"value\":3}",
		"{\"cmd\":\"timeout get\",\"name\":7}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = ask(x, bad[i]);
		if (ok(j))
			fail_msg("accepted: %s", bad[i]);
		assert_true(strlen(cJSON_GetObjectItem(j, "error")->valuestring) > 10);
		cJSON_Delete(j);
	}
	j = ask(x, "{\"cmd\":\"timeout list\"}");
	assert_int_equal(result(j, "nf_conntrack_tcp_timeout_close_wait")->valueint, 30);
	assert_int_equal(result(j, "nf_conntrack_udp_timeout")->valueint, 30);
	cJSON_Delete(j);
}

struct lines {
	char *line[16];
	int n;
};

static void collect(void *arg, const char *line)
{
	struct lines *l = arg;

	if (l->n < 16)
		l->line[l->n++] = strdup(line);
}

/* Events as conntrack -E has them: NEW, UPDATE per state move, DESTROY with why; a reader resumes by "next". */
static void test_events_new_update_destroy_since_a_sequence_number(void **state)
{
	struct fx *x = *state;
	struct nat_case c = nat_cases[1];
	cJSON *j = ask(x, "{\"cmd\":\"events\"}");
	const cJSON *ev;
	char line[128];
	int next;

	assert_true(ok(j));
	assert_int_equal(cJSON_GetArraySize(result(j, "events")), 0); /* from now on */
	next = result(j, "next")->valueint;
	cJSON_Delete(j);
	c.c_port = c.c_port_out = 40002;
	c2s(&x->g, &c, SYN);
	s2c(&x->g, &c, SYN | ACK);
	c2s(&x->g, &c, ACK);
	j = ask(x, "{\"cmd\":\"conn delete\",\"port\":40002}");
	cJSON_Delete(j);
	snprintf(line, sizeof(line), "{\"cmd\":\"events\",\"since\":%d}", next);
	j = ask(x, line);
	assert_true(ok(j));
	ev = result(j, "events");
	assert_int_equal(cJSON_GetArraySize(ev), 4);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(ev, 0), "type")->valuestring, "NEW");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(ev, 0), "state")->valuestring, "SYN_SENT");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(ev, 1), "state")->valuestring, "SYN_RECV");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(ev, 2), "state")->valuestring, "ESTABLISHED");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(ev, 3), "type")->valuestring, "DESTROY");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(ev, 3), "why")->valuestring, "deleted");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(ev, 3), "reply"), "dst")->valuestring,
			    "203.0.113.5");
	assert_int_equal(result(j, "next")->valueint, next + 4);
	assert_int_equal(result(j, "lost")->valueint, 0);
	cJSON_Delete(j);
	/* The same four as the socket's stream sends them, in order, then nothing more. */
	{
		struct lines l = { 0 };

		ctnicd_events_stream(&x->d, collect, &l);
		assert_int_equal(l.n, 4);
		assert_non_null(strstr(l.line[0], "\"type\":\"NEW\""));
		assert_non_null(strstr(l.line[0], "\"conn\":{"));
		assert_non_null(strstr(l.line[2], "\"state\":\"ESTABLISHED\""));
		assert_non_null(strstr(l.line[3], "\"why\":\"deleted\""));
		for (int i = 0; i < l.n; i++)
			free(l.line[i]);
		l.n = 0;
		ctnicd_events_stream(&x->d, collect, &l);
		assert_int_equal(l.n, 0);
	}
	/* Read by pieces, and refused arguments. */
	snprintf(line, sizeof(line), "{\"cmd\":\"events\",\"since\":%d,\"max\":1}", next + 3);
	j = ask(x, line);
	assert_int_equal(cJSON_GetArraySize(result(j, "events")), 1);
	cJSON_Delete(j);
	j = ask(x, "{\"cmd\":\"events\",\"since\":\"soon\"}");
	assert_false(ok(j));
	cJSON_Delete(j);
	j = ask(x, "{\"cmd\":\"events\",\"max\":0}");
	assert_false(ok(j));
	cJSON_Delete(j);
}

static int rule_count(struct fx *x, const char *line, bool want_ok)
{
	cJSON *j = ask(x, line);
	int n = -1;

	if (ok(j) != want_ok)
		fail_msg("%s: %s", line, want_ok ? cJSON_GetObjectItem(j, "error")->valuestring : "accepted");
	if (want_ok)
		n = result(j, "count")->valueint;
	else
		assert_true(strlen(cJSON_GetObjectItem(j, "error")->valuestring) > 10);
	cJSON_Delete(j);
	return n;
}

/* NAT rules through the socket: list, add, delete by text and by index, load; a bad one changes nothing. */
static void test_nat_rules_listed_added_deleted_loaded(void **state)
{
	struct fx *x = *state;
	uint8_t in[CTNIC_PKT_MAX], want[CTNIC_PKT_MAX];
	cJSON *j;

	j = ask(x, "{\"cmd\":\"nat list\"}");
	assert_true(ok(j));
	assert_non_null(strstr(result(j, "rules")->valuestring, "-A POSTROUTING -s 192.0.2.0/24 -o wan -j SNAT --to-source 203.0.113.5"));
	cJSON_Delete(j);
	assert_int_equal(rule_count(x, "{\"cmd\":\"nat add\",\"rule\":\"-A PREROUTING -i wan -d 203.0.113.1/32 -p tcp "
				      "--dport 8080 -j DNAT --to-destination 192.0.2.20:80\"}", true), 2);
	assert_int_equal(rule_count(x, "{\"cmd\":\"nat add\",\"rule\":\"-A PREROUTING -j MARK --set-mark 1\"}", false), -1);
	assert_int_equal(rule_count(x, "{\"cmd\":\"nat add\",\"rule\":\"-A NOCHAIN -j ACCEPT\"}", false), -1);
	assert_int_equal(rule_count(x, "{\"cmd\":\"nat add\",\"rule\":\"-A PREROUTING -j ACCEPT\\nCOMMIT\"}", false), -1);
	/* The new DNAT rule takes a new connection. */
	gw_rx(&x->g, 1, in, gw_tcp(in, gw_mac_wan, gw_mac_router, IP(198, 51, 100, 7), 999, IP(203, 0, 113, 1), 8080, SYN, 64));
	gw_expect_one(&x->g, 0, want, gw_tcp(want, gw_mac_server, gw_mac_lan, IP(198, 51, 100, 7), 999, IP(192, 0, 2, 20), 80,
					      SYN, 63));
	/* Deleted by its text (written otherwise: -m tcp, options in another order), then by index. */
	assert_int_equal(rule_count(x, "{\"cmd\":\"nat delete\",\"rule\":\"-A PREROUTING -d 203.0.113.1/32 -i wan -p tcp "
				      "-m tcp --dport 8080 -j DNAT --to-destination 192.0.2.20:80\"}", true), 1);
	assert_int_equal(rule_count(x, "{\"cmd\":\"nat delete\",\"rule\":\"-A PREROUTING -j ACCEPT\"}", false), -1);
	assert_int_equal(rule_count(x, "{\"cmd\":\"nat delete\",\"chain\":\"POSTROUTING\",\"index\":2}", false), -1);
	assert_int_equal(rule_count(x, "{\"cmd\":\"nat delete\",\"chain\":\"POSTROUTING\",\"index\":1}", true), 0);
	assert_int_equal(rule_count(x, "{\"cmd\":\"nat load\",\"text\":\"*nat\\n-A POSTROUTING -o wan -j MASQUERADE\\nCOMMIT\\n\"}",
				    true), 1);
	j = ask(x, "{\"cmd\":\"nat load\",\"text\":\"*nat\\n-A POSTROUTING -o wan -j FOO\\nCOMMIT\\n\"}");
	assert_false(ok(j));
	assert_non_null(strstr(cJSON_GetObjectItem(j, "error")->valuestring, "rules:2"));
	cJSON_Delete(j);
	assert_int_equal(rule_count(x, "{\"cmd\":\"nat list\"}", true), 1);
	assert_int_equal(x->g.leaks, 0);
}

static void test_device_regs_by_name(void **state)
{
	struct fx *x = *state;
	cJSON *j = ask(x, "{\"cmd\":\"device regs\"}");
	const cJSON *r;
	bool ctrl = false, punt = false;

	assert_true(ok(j));
	cJSON_ArrayForEach(r, result(j, "regs")) {
		const char *name = cJSON_GetObjectItem(r, "name")->valuestring;

		if (!strcmp(name, "CTRL"))
			ctrl = !strcmp(cJSON_GetObjectItem(r, "value")->valuestring, "0x00000001");
		if (!strcmp(name, "CNT_PUNT_LO[1]"))
			punt = !strcmp(cJSON_GetObjectItem(r, "value")->valuestring, "0x00000002");
		assert_true(strcmp(name, "TICK_ADVANCE")); /* write-only: left out */
	}
	assert_true(ctrl);
	assert_true(punt);
	cJSON_Delete(j);
}

/* Malformed requests: an error each, the table untouched. */
static void test_garbled_requests_are_refused_and_harm_nothing(void **state)
{
	struct fx *x = *state;
	static const char *bad[] = {
		"", "{", "[]", "null", "{\"cmd\":7}", "{\"cmd\":\"conn\"}", "{\"cmd\":\"conn list\",\"addr\":7}",
		"{\"cmd\":\"conn list\",\"addr\":\"300.1.1.1\"}", "{\"cmd\":\"conn list\",\"port\":70000}",
		"{\"cmd\":\"conn list\",\"port\":\"80\"}", "{\"cmd\":\"conn list\",\"proto\":\"sctp\"}",
		"{\"cmd\":\"conn list\",\"state\":\"HAPPY\"}", "{\"cmd\":\"conn delete\",\"src\":\"192.0.2.10\"}",
		"{\"cmd\":\"conn delete\",\"proto\":[1,2]}", "{\"cmd\":\"stats\",\"x\":{\"y\":[]}}\x01",
	};
	char line[256];
	uint64_t s = seed;
	cJSON *j;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = ask(x, bad[i]);
		if (i < 14 && ok(j))
			fail_msg("accepted: %s", bad[i]);
		cJSON_Delete(j);
	}
	/* Seeded noise: random bytes, and real commands with random bytes spliced in. */
	for (int i = 0; i < 2000; i++) {
		size_t n;

		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		if (i & 1) {
			n = 1 + s % (sizeof(line) - 1);
			for (size_t b = 0; b < n - 1; b++) {
				s ^= s << 13, s ^= s >> 7, s ^= s << 17;
				line[b] = (char)(1 + s % 255);
			}
			line[n - 1] = '\0';
		} else {
			snprintf(line, sizeof(line), "{\"cmd\":\"conn %s\",\"%s\":%s}", s % 3 ? "list" : "delete",
				 (const char *[]){ "addr", "port", "proto", "state", "src", "sport" }[s % 6],
				 (const char *[]){ "1", "\"x\"", "null", "[]", "{}", "-5", "1e99", "\"tcp\"" }[(s >> 8) % 8]);
		}
		j = ask(x, line);
		cJSON_Delete(j);
	}
	assert_int_equal(count(x, "{\"cmd\":\"conn list\"}"), 2);
	assert_int_equal(x->g.core->conns.used, 2);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_conn_list_shows_both_tuples_state_timeout_and_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conn_delete_by_tuple_then_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_count_daemon_and_card, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeouts_by_sysctl_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_new_update_destroy_since_a_sequence_number, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_rules_listed_added_deleted_loaded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_regs_by_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbled_requests_are_refused_and_harm_nothing, setup, teardown),
	};
	seed = gw_seed(argc, argv);
	return cmocka_run_group_tests_name("daemon_ctl", tests, NULL, NULL);
}
