/*
 * test_daemon_story.c - the story of shared/design.md through the daemon
 * and the model: card, for DNAT, SNAT and REDIRECT, with Linux's timeouts
 * lowered (CLOSE_WAIT 60 s) and the card's clock advanced: the server
 * closes, the client ACKs and stays half-closed past CLOSE_WAIT's timeout;
 * its late FIN leaves translated while the binding lingers, and after the
 * linger time it is dropped (or answered with RST) and counted. The server
 * side's late answer never reveals the hidden address, even with loose
 * pickup on. Every frame that leaves is checked against the addresses the
 * case hides (gw_forbid).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cases.h"

#define SYN 0x02
#define ACK 0x10
#define FIN 0x01
#define PSH 0x08
#define RST 0x04

#define STORY_CONF "nf_conntrack_tcp_timeout_close_wait = 60\nnf_conntrack_tcp_loose = 1\nlinger-time 120\n"

/* The RST the gateway answers a late FIN|ACK of the client with (RFC 793: SEQ = the FIN's ACK). */
static size_t want_rst(uint8_t *buf, const struct nat_case *k)
{
	struct ctnic_tcp_frame t = {
		.saddr = k->s_addr, .daddr = k->c_addr, .sport = k->s_port, .dport = k->c_port,
		.ttl = 64, .seq = 2000, .flags = RST,
	};

	memcpy(t.dst_mac, k->client.peer_mac, 6);
	memcpy(t.src_mac, k->client.gw_mac, 6);
	return ctnic_tcp_frame_build(&t, buf);
}

static void story(const struct nat_case *k, bool rst)
{
	struct gw g;
	uint8_t want[CTNIC_PKT_MAX];
	size_t n;

	case_open(&g, k, rst ? STORY_CONF "late-packets rst\n" : STORY_CONF);
	c2s(&g, k, SYN);
	s2c(&g, k, SYN | ACK);
	c2s(&g, k, ACK);
	c2s(&g, k, PSH | ACK);
	s2c(&g, k, FIN | ACK);          /* the server closes */
	c2s(&g, k, ACK);                /* the client stays half-closed: CLOSE_WAIT, 60 s */
	gw_advance(&g, 59);
	assert_int_equal(g.core->conns.used, 1);
	gw_advance(&g, 2);              /* past CLOSE_WAIT's timeout: the connection ends, its binding lingers */
	assert_int_equal(g.core->conns.used, 0);
	assert_int_equal(g.core->st.conn_expired, 1);
	assert_int_equal(ctnic_linger_count(g.core->linger), 1);
	gw_advance(&g, 59);             /* two minutes after the server's FIN */

	c2s(&g, k, FIN | ACK);          /* the late FIN leaves translated */
	s2c(&g, k, ACK);                /* and the server's answer too: no loose pickup of it */
	assert_int_equal(g.core->conns.used, 0);
	assert_int_equal(g.core->late.count[CTNIC_LATE_ACT_TRANSLATE], 2);

	gw_advance(&g, 121);            /* past the linger time */
	assert_int_equal(ctnic_linger_count(g.core->linger), 0);
	c2s_raw(&g, k, FIN | ACK);
	if (rst) {
		n = want_rst(want, k);
		gw_expect_one(&g, k->client.port, want, n);
		assert_int_equal(g.core->late.count[CTNIC_LATE_ACT_RST], 1);
	} else {
		gw_expect_none(&g);
		assert_int_equal(g.core->late.count[CTNIC_LATE_ACT_DROP], 1);
	}
	/* The server side's late answer, even an ACK loose pickup would take: never out with the hidden address. */
	gw_clear(&g);
	s2c_raw(&g, k, ACK);
	s2c_raw(&g, k, FIN | ACK);
	assert_int_equal(g.core->conns.used, 0);
	if (!rst)
		gw_expect_none(&g);
	assert_int_equal(g.leaks, 0);
	assert_int_equal(g.core->st.passed, 0);
	gw_close(&g);
}

static void test_story_late_fin_translated_then_dropped(void **state)
{
	story(*state, false);
}

static void test_story_late_fin_translated_then_rst(void **state)
{
	story(*state, true);
}

/* The DNAT target answers after its connection ended and the linger is over: dropped, counted, never leaked. */
static void test_dnat_target_late_answer_never_reveals_it(void **state)
{
	const struct nat_case *k = &nat_cases[0];
	struct gw g;

	(void)state;
	case_open(&g, k, "nf_conntrack_tcp_loose = 1\nlinger-time 0\n");
	s2c_raw(&g, k, ACK);
	s2c_raw(&g, k, PSH | ACK);
	s2c_raw(&g, k, FIN | ACK);
	gw_expect_none(&g);
	assert_int_equal(g.core->conns.used, 0);
	assert_int_equal(g.core->late.count[CTNIC_LATE_ACT_DROP], 3);
	assert_int_equal(g.leaks, 0);
	gw_close(&g);
}

int main(void)
{
	struct CMUnitTest tests[7];
	char names[6][96];
	int n = 0;

	for (int i = 0; i < 3; i++) {
		snprintf(names[n], sizeof(names[n]), "test_story_%s_late_fin_translated_then_dropped", nat_cases[i].name);
		tests[n] = (struct CMUnitTest){ names[n], test_story_late_fin_translated_then_dropped, NULL, NULL,
						(void *)&nat_cases[i] };
		n++;
		snprintf(names[n], sizeof(names[n]), "test_story_%s_late_fin_translated_then_rst", nat_cases[i].name);
		tests[n] = (struct CMUnitTest){ names[n], test_story_late_fin_translated_then_rst, NULL, NULL,
						(void *)&nat_cases[i] };
		n++;
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_dnat_target_late_answer_never_reveals_it);
	return _cmocka_run_group_tests("daemon_story", tests, (size_t)n, NULL, NULL);
}
