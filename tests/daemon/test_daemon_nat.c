/*
 * test_daemon_nat.c - whole TCP connections through DNAT, SNAT and REDIRECT
 * (to the gateway's own address) through the daemon's core and the model:
 * card: every packet leaves the right port, translated, with checksums,
 * TTL and MACs equal to a frame built independently (tools/gen/pkt.c).
 * Once established, the card forwards on its own; FIN and RST come to the
 * daemon, which moves the state and the flow's timeout class.
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

static const struct ctnicd_conn *only_conn(struct gw *g, uint32_t *id)
{
	assert_int_equal(g->core->conns.used, 1);
	for (uint32_t i = 0; i < g->core->conns.cap; i++)
		if (g->core->conns.c[i].flags & CTNICD_CONN_USED) {
			*id = i;
			return &g->core->conns.c[i];
		}
	return NULL;
}

static void test_tcp_connection_translated_both_ways(void **state)
{
	const struct nat_case *k = *state;
	const struct ctnicd_conn *cn;
	struct ctnic_flow f;
	uint64_t punts;
	uint32_t id;
	struct gw g;

	case_open(&g, k, "");
	c2s(&g, k, SYN);
	cn = only_conn(&g, &id);
	assert_true(cn->flags & CTNICD_CONN_IN_CARD);
	assert_int_equal(cn->tcp.state, CTNIC_TCP_SYN_SENT);
	s2c(&g, k, SYN | ACK);
	assert_int_equal(cn->tcp.state, CTNIC_TCP_SYN_RECV);
	c2s(&g, k, ACK); /* SYN_RECV needs the ACK: the flow's action is "host" until then */
	assert_int_equal(cn->tcp.state, CTNIC_TCP_ESTABLISHED);
	assert_false(cn->flags & CTNICD_CONN_TO_HOST);
	assert_int_equal(ctnic_flow_read(g.dev, id, &f), 0);
	assert_int_equal(f.tclass, CTNIC_TC_TCP_ESTABLISHED);

	/* Established: data moves through the card alone (REDIRECT: to the host stack through us). */
	punts = g.core->st.punt[CTNIC_PUNT_MISS] + g.core->st.punt[CTNIC_PUNT_TCP_FLAGS] +
		g.core->st.punt[CTNIC_PUNT_ACTION_HOST];
	c2s(&g, k, PSH | ACK);
	s2c(&g, k, PSH | ACK);
	if (k->server.port != GW_HOST)
		assert_int_equal(g.core->st.punt[CTNIC_PUNT_MISS] + g.core->st.punt[CTNIC_PUNT_TCP_FLAGS] +
				 g.core->st.punt[CTNIC_PUNT_ACTION_HOST], punts);

	/* The server closes first, then the client. */
	s2c(&g, k, FIN | ACK);
	assert_int_equal(cn->tcp.state, CTNIC_TCP_FIN_WAIT);
	assert_true(cn->flags & CTNICD_CONN_TO_HOST);
	c2s(&g, k, ACK);
	assert_int_equal(cn->tcp.state, CTNIC_TCP_CLOSE_WAIT);
	assert_int_equal(ctnic_flow_read(g.dev, id, &f), 0);
	assert_int_equal(f.tclass, CTNIC_TC_TCP_CLOSE_WAIT);
	assert_int_equal(f.dir[0].action, k->server.port == GW_HOST ? CTNIC_ACTION_HOST : CTNIC_ACTION_FORWARD);
	c2s(&g, k, FIN | ACK);
	assert_int_equal(cn->tcp.state, CTNIC_TCP_LAST_ACK);
	s2c(&g, k, ACK);
	assert_int_equal(cn->tcp.state, CTNIC_TCP_TIME_WAIT);
	assert_int_equal(ctnic_flow_read(g.dev, id, &f), 0);
	assert_int_equal(f.tclass, CTNIC_TC_TCP_TIME_WAIT);
	assert_int_equal(g.leaks, 0);
	assert_int_equal(g.core->st.cmd_errors, 0);
	gw_close(&g);
}

static void test_rst_ends_the_connection_and_its_binding_lingers(void **state)
{
	const struct nat_case *k = *state;
	struct gw g;
	uint32_t id;

	case_open(&g, k, "");
	c2s(&g, k, SYN);
	s2c(&g, k, SYN | ACK);
	c2s(&g, k, ACK);
	only_conn(&g, &id);
	c2s(&g, k, RST | ACK);
	assert_int_equal(g.core->conns.c[id].tcp.state, CTNIC_TCP_CLOSE);
	gw_advance(&g, 11); /* nf_conntrack_tcp_timeout_close: 10 s */
	assert_int_equal(g.core->conns.used, 0);
	assert_int_equal(g.core->st.conn_expired, 1);
	/* The key entries and the record are gone from the card. */
	assert_int_equal(g.core->place.used, 0);
	/* A late retransmitted RST still leaves translated. */
	c2s_raw(&g, k, RST | ACK);
	assert_int_equal(g.nout, 1);
	assert_int_equal(g.core->late.count[CTNIC_LATE_ACT_TRANSLATE], 1);
	assert_int_equal(g.leaks, 0);
	gw_close(&g);
}

int main(void)
{
	struct CMUnitTest tests[6];
	char names[6][96];
	int n = 0;

	for (int i = 0; i < 3; i++) {
		snprintf(names[n], sizeof(names[n]), "test_%s_tcp_connection_translated_both_ways", nat_cases[i].name);
		tests[n] = (struct CMUnitTest){ names[n], test_tcp_connection_translated_both_ways, NULL, NULL,
						(void *)&nat_cases[i] };
		n++;
		snprintf(names[n], sizeof(names[n]), "test_%s_rst_ends_the_connection_and_its_binding_lingers",
			 nat_cases[i].name);
		tests[n] = (struct CMUnitTest){ names[n], test_rst_ends_the_connection_and_its_binding_lingers, NULL,
						NULL, (void *)&nat_cases[i] };
		n++;
	}
	return _cmocka_run_group_tests("daemon_nat", tests, (size_t)n, NULL, NULL);
}
