/*
 * test_daemon_udp_icmp.c - UDP and ICMP echo through SNAT, daemon and
 * model: card: the first packet creates the connection and leaves
 * translated, the answer comes back through the card, and two clients
 * using the same source port (UDP) or echo identifier (ICMP) get distinct
 * outside tuples (no two live connections share one). Expected frames are
 * built here with tools/gen/pkt.c's checksum.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cases.h"

/* Ethernet + IPv4 (ttl, proto) + 8-byte L4 header + 4 payload bytes; checksums by tools/gen. */
static size_t l4_frame(uint8_t *b, const uint8_t dst[6], const uint8_t src[6], uint32_t sa, uint32_t da,
		       uint8_t ttl, uint8_t proto, uint16_t w0, uint16_t w1, uint16_t w2)
{
	uint8_t *ip = b + 14, *l4 = ip + 20, pseudo[12];
	uint32_t sum;

	memset(b, 0, 14 + 20 + 12);
	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	gw_put(b + 12, 2, 0x0800);
	ip[0] = 0x45;
	gw_put(ip + 2, 2, 32);
	ip[8] = ttl;
	ip[9] = proto;
	gw_put(ip + 12, 2, (uint16_t)(sa >> 16));
	gw_put(ip + 14, 2, (uint16_t)sa);
	gw_put(ip + 16, 2, (uint16_t)(da >> 16));
	gw_put(ip + 18, 2, (uint16_t)da);
	gw_put(ip + 10, 2, (uint16_t)~ctnic_csum_fold(ctnic_csum_add(0, ip, 20)));
	memcpy(l4 + 8, "ping", 4);
	if (proto == 17) {          /* UDP: sport, dport, length, checksum over the pseudo header */
		gw_put(l4, 2, w0);
		gw_put(l4 + 2, 2, w1);
		gw_put(l4 + 4, 2, 12);
		memcpy(pseudo, ip + 12, 8);
		pseudo[8] = 0;
		pseudo[9] = 17;
		gw_put(pseudo + 10, 2, 12);
		sum = ctnic_csum_add(ctnic_csum_add(0, pseudo, 12), l4, 12);
		gw_put(l4 + 6, 2, (uint16_t)~ctnic_csum_fold(sum));
	} else {                    /* ICMP echo: type w0, identifier w1, sequence w2 */
		l4[0] = (uint8_t)w0;
		gw_put(l4 + 4, 2, w1);
		gw_put(l4 + 6, 2, w2);
		gw_put(l4 + 2, 2, (uint16_t)~ctnic_csum_fold(ctnic_csum_add(0, l4, 12)));
	}
	return 14 + 32;
}

#define CLIENT IP(192, 0, 2, 10)
#define CLIENT2 IP(192, 0, 2, 20)
#define SERVER IP(198, 51, 100, 30)
#define OUTSIDE IP(203, 0, 113, 5)

static void test_udp_and_icmp_echo_through_snat(void **state)
{
	const struct nat_case *k = &nat_cases[1];
	uint8_t in[128], want[128];
	uint16_t second;
	struct gw g;
	size_t n, wn;

	(void)state;
	case_open(&g, k, "");
	for (int proto = 17; proto; proto = proto == 17 ? 1 : 0) {
		uint16_t a = proto == 17 ? 5000 : 8, b = proto == 17 ? 53 : 0x1234, c = proto == 17 ? 0 : 1;
		uint16_t ra = proto == 17 ? 53 : 0, rb = proto == 17 ? 5000 : 0x1234;

		/* Out: the source becomes the SNAT address, the port (id) kept while free. */
		n = l4_frame(in, gw_mac_lan, gw_mac_client, CLIENT, SERVER, 64, (uint8_t)proto, a, b, c);
		wn = l4_frame(want, gw_mac_router, gw_mac_wan, OUTSIDE, SERVER, 63, (uint8_t)proto, a, b, c);
		gw_rx(&g, 0, in, n);
		gw_expect_one(&g, 1, want, wn);
		/* Back: through the card's flow, to the client. */
		n = l4_frame(in, gw_mac_wan, gw_mac_router, SERVER, OUTSIDE, 64, (uint8_t)proto,
			     proto == 17 ? ra : 0, proto == 17 ? rb : b, c);
		wn = l4_frame(want, gw_mac_client, gw_mac_lan, SERVER, CLIENT, 63, (uint8_t)proto,
			      proto == 17 ? ra : 0, proto == 17 ? rb : b, c);
		gw_rx(&g, 1, in, n);
		gw_expect_one(&g, 0, want, wn);
	}
	assert_int_equal(g.core->conns.used, 2);
	assert_int_equal(g.core->st.installs, 2);

	/* A second client with the same echo identifier: another outside identifier. */
	n = l4_frame(in, gw_mac_lan, (const uint8_t[6]){ 2, 0, 0, 0, 0, 0x14 }, CLIENT2, SERVER, 64, 1, 8, 0x1234, 1);
	gw_rx(&g, 0, in, n);
	assert_int_equal(g.nout, 1);
	second = (uint16_t)gw_get(g.out[0].f + 14 + 20 + 4, 2);
	assert_int_not_equal(second, 0x1234);
	wn = l4_frame(want, gw_mac_router, gw_mac_wan, OUTSIDE, SERVER, 63, 1, 8, second, 1);
	gw_expect_one(&g, 1, want, wn);
	/* Its reply goes to the second client with its own identifier back. */
	n = l4_frame(in, gw_mac_wan, gw_mac_router, SERVER, OUTSIDE, 64, 1, 0, second, 1);
	wn = l4_frame(want, gw_mac_server, gw_mac_lan, SERVER, CLIENT2, 63, 1, 0, 0x1234, 1);
	gw_rx(&g, 1, in, n);
	gw_expect_one(&g, 0, want, wn);
	gw_close(&g);
}

static uint64_t punts(const struct gw *g)
{
	uint64_t n = 0;

	for (unsigned r = 0; r < 16; r++)
		n += g->core->st.punt[r];
	return n;
}

/*
 * An answered UDP flow is a stream in the card too: the card punts an
 * unanswered flow's reply direction, so the daemon sees the first answer
 * and rewrites the record with the stream class (a flow the card forwards
 * both ways would otherwise age by nf_conntrack_udp_timeout, 30 s, and an
 * answered stream idle between 30 and 120 s would be cut).
 */
static void test_udp_answer_makes_a_stream_in_the_card(void **state)
{
	const struct nat_case *k = &nat_cases[1];
	uint8_t in[128], want[128];
	struct ctnic_flow fl;
	uint64_t p0;
	struct gw g;

	(void)state;
	case_open(&g, k, "");
	gw_rx(&g, 0, in, l4_frame(in, gw_mac_lan, gw_mac_client, CLIENT, SERVER, 64, 17, 7000, 53, 0));
	gw_expect_one(&g, 1, want, l4_frame(want, gw_mac_router, gw_mac_wan, OUTSIDE, SERVER, 63, 17, 7000, 53, 0));
	assert_int_equal(g.core->conns.used, 1);
	assert_int_equal(ctnic_flow_read(g.dev, 0, &fl), 0);
	assert_true(fl.valid);
	assert_int_equal(fl.tclass, CTNIC_TC_UDP);
	assert_int_equal(fl.dir[1].action, CTNIC_ACTION_HOST);
	/* The answer: punted once, forwarded translated, and the record becomes a forwarded stream. */
	p0 = punts(&g);
	gw_rx(&g, 1, in, l4_frame(in, gw_mac_wan, gw_mac_router, SERVER, OUTSIDE, 64, 17, 53, 7000, 0));
	gw_expect_one(&g, 0, want, l4_frame(want, gw_mac_client, gw_mac_lan, SERVER, CLIENT, 63, 17, 53, 7000, 0));
	assert_int_equal(punts(&g), p0 + 1);
	assert_int_equal(ctnic_flow_read(g.dev, 0, &fl), 0);
	assert_int_equal(fl.tclass, CTNIC_TC_UDP_STREAM);
	assert_int_equal(fl.dir[0].action, CTNIC_ACTION_FORWARD);
	assert_int_equal(fl.dir[1].action, CTNIC_ACTION_FORWARD);
	/* The next answer stays in the card. */
	gw_rx(&g, 1, in, l4_frame(in, gw_mac_wan, gw_mac_router, SERVER, OUTSIDE, 64, 17, 53, 7000, 0));
	gw_expect_one(&g, 0, want, l4_frame(want, gw_mac_client, gw_mac_lan, SERVER, CLIENT, 63, 17, 53, 7000, 0));
	assert_int_equal(punts(&g), p0 + 1);
	/* Idle past the unreplied timeout (30 s), not the stream's (120 s): still there. */
	gw_advance(&g, 60);
	assert_int_equal(g.core->conns.used, 1);
	assert_int_equal(ctnic_flow_read(g.dev, 0, &fl), 0);
	assert_true(fl.valid);
	gw_advance(&g, 61);
	assert_int_equal(g.core->conns.used, 0);
	gw_close(&g);
}

/* A reload with a port the card lacks is refused and changes nothing; a good one applies new rules. */
static void test_reload_refused_then_applied(void **state)
{
	const struct nat_case *k = &nat_cases[1];
	struct ctnic_conf *conf;
	uint8_t in[128], want[128];
	char err[512];
	struct gw g;

	(void)state;
	case_open(&g, k, "");
	assert_int_equal(ctnic_conf_parse(GW_CONF_NET "port 5 extra 10.9.0.1/24\n", "new.conf", NULL, &conf, err,
					  sizeof(err)), 0);
	assert_int_equal(ctnicd_core_reload(g.core, conf, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line 7"));
	assert_non_null(strstr(err, "port 5 does not exist"));
	/* Still the SNAT rule. */
	gw_rx(&g, 0, in, l4_frame(in, gw_mac_lan, gw_mac_client, CLIENT, SERVER, 64, 17, 6000, 53, 0));
	gw_expect_one(&g, 1, want, l4_frame(want, gw_mac_router, gw_mac_wan, OUTSIDE, SERVER, 63, 17, 6000, 53, 0));
	/* New rules: SNAT to another address for new connections; the live one keeps its binding. */
	assert_int_equal(ctnic_conf_parse(GW_CONF_NET "*nat\n-A POSTROUTING -o wan -j SNAT --to-source 203.0.113.6\nCOMMIT\n",
					  "new.conf", NULL, &conf, err, sizeof(err)), 0);
	assert_int_equal(ctnicd_core_reload(g.core, conf, err, sizeof(err)), 0);
	gw_rx(&g, 0, in, l4_frame(in, gw_mac_lan, gw_mac_client, CLIENT, SERVER, 64, 17, 6001, 53, 0));
	gw_expect_one(&g, 1, want,
		      l4_frame(want, gw_mac_router, gw_mac_wan, IP(203, 0, 113, 6), SERVER, 63, 17, 6001, 53, 0));
	gw_rx(&g, 0, in, l4_frame(in, gw_mac_lan, gw_mac_client, CLIENT, SERVER, 64, 17, 6000, 53, 0));
	gw_expect_one(&g, 1, want, l4_frame(want, gw_mac_router, gw_mac_wan, OUTSIDE, SERVER, 63, 17, 6000, 53, 0));
	gw_close(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_and_icmp_echo_through_snat),
		cmocka_unit_test(test_udp_answer_makes_a_stream_in_the_card),
		cmocka_unit_test(test_reload_refused_then_applied),
	};

	return cmocka_run_group_tests_name("daemon_udp_icmp", tests, NULL, NULL);
}
