/*
 * test_daemon_exc.c - the other exceptions through the daemon and the
 * model: card: a full table (early drop as Linux, then a counted drop while
 * existing connections keep working), an ICMP error about a translated
 * connection (outer and quoted headers translated), TTL expiry answered
 * from the ingress port's address, ARP for our addresses, an unknown next
 * hop resolved by ARP, malformed punts. Expected frames are built here
 * with tools/gen/pkt.c's checksum.
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

/*
 * An ICMP error frame (type, code) from osrc to odst quoting the IPv4
 * header and 8 bytes of `quoted` (an Ethernet frame), checksums by tools/gen.
 */
static size_t icmp_err(uint8_t *b, const uint8_t dst[6], const uint8_t src[6], uint32_t osrc, uint32_t odst,
		       uint8_t ttl, uint8_t tos, uint8_t type, const uint8_t *quoted)
{
	uint8_t *ip = b + 14, *ic = ip + 20;
	size_t q = 28;

	memset(b, 0, 14 + 20 + 8 + q);
	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	gw_put(b + 12, 2, 0x0800);
	ip[0] = 0x45;
	ip[1] = tos;
	gw_put(ip + 2, 2, (uint16_t)(20 + 8 + q));
	ip[8] = ttl;
	ip[9] = 1;
	gw_put(ip + 12, 4, osrc);
	gw_put(ip + 16, 4, odst);
	gw_put(ip + 10, 2, (uint16_t)~ctnic_csum_fold(ctnic_csum_add(0, ip, 20)));
	ic[0] = type;
	memcpy(ic + 8, quoted + 14, q);
	gw_put(ic + 2, 2, (uint16_t)~ctnic_csum_fold(ctnic_csum_add(0, ic, 8 + q)));
	return 14 + 20 + 8 + q;
}

static void establish(struct gw *g, const struct nat_case *k)
{
	c2s(g, k, SYN);
	s2c(g, k, SYN | ACK);
	c2s(g, k, ACK);
}

/*
 * A router beyond the SNAT gateway reports the client's packet (ICMP type):
 * the error must reach the client about its own packet, byte for byte.
 */
static void router_error_reaches_the_client(struct gw *g, const struct nat_case *k, uint8_t type)
{
	uint8_t quoted[CTNIC_PKT_MAX], in[256], want[256];
	uint32_t router = IP(198, 51, 100, 1);
	size_t n, wn;

	/* The client's packet as it left (translated), and as the client sent it. */
	gw_tcp(quoted, gw_mac_router, gw_mac_wan, k->c_addr_out, k->c_port_out, k->s_addr_out, k->s_port_out, ACK, 63);
	n = icmp_err(in, gw_mac_wan, gw_mac_router, router, k->c_addr_out, 64, 0, type, quoted);
	gw_tcp(quoted, gw_mac_router, gw_mac_wan, k->c_addr, k->c_port, k->s_addr, k->s_port, ACK, 63);
	wn = icmp_err(want, gw_mac_client, gw_mac_lan, router, k->c_addr, 63, 0, type, quoted);
	gw_rx(g, 1, in, n);
	gw_expect_one(g, 0, want, wn);
	assert_int_equal(g->core->st.icmp_err_translated, 1);
	assert_int_equal(g->leaks, 0);
}

/* A router's time exceeded about a live SNAT connection. */
static void test_icmp_error_translated_with_its_quote(void **state)
{
	struct gw g;

	(void)state;
	case_open(&g, &nat_cases[1], "");
	establish(&g, &nat_cases[1]);
	router_error_reaches_the_client(&g, &nat_cases[1], 11);
	gw_close(&g);
}

/* The DNAT target itself reports: the error leaves from the public address, the quote names it too. */
static void test_icmp_error_from_dnat_target_hides_it(void **state)
{
	const struct nat_case *k = &nat_cases[0]; /* DNAT */
	uint8_t quoted[CTNIC_PKT_MAX], in[256], want[256];
	size_t n, wn;
	struct gw g;

	(void)state;
	case_open(&g, k, "");
	establish(&g, k);
	gw_tcp(quoted, gw_mac_server, gw_mac_lan, k->c_addr_out, k->c_port_out, k->s_addr_out, k->s_port_out, ACK, 63);
	n = icmp_err(in, gw_mac_lan, gw_mac_server, k->s_addr_out, k->c_addr_out, 64, 0, 3, quoted);
	gw_tcp(quoted, gw_mac_server, gw_mac_lan, k->c_addr, k->c_port, k->s_addr, k->s_port, ACK, 63);
	wn = icmp_err(want, gw_mac_router, gw_mac_wan, k->s_addr, k->c_addr, 63, 0, 3, quoted);
	gw_rx(&g, 0, in, n);
	gw_expect_one(&g, 1, want, wn);
	assert_int_equal(g.leaks, 0);
	gw_close(&g);
}

/* The connection ended a moment ago: an error about it is translated with the lingering binding. */
static void test_icmp_error_about_a_lingering_connection_translated(void **state)
{
	const struct nat_case *k = &nat_cases[1]; /* SNAT */
	struct gw g;

	(void)state;
	case_open(&g, k, "");
	establish(&g, k);
	c2s(&g, k, RST | ACK);
	gw_advance(&g, 11);
	assert_int_equal(g.core->conns.used, 0);
	router_error_reaches_the_client(&g, k, 3);
	gw_close(&g);
}

/* An ICMP error about nothing tracked, covered by a rule: dropped and counted. */
static void test_icmp_error_about_nothing_covered_is_dropped(void **state)
{
	const struct nat_case *k = &nat_cases[0];
	uint8_t quoted[CTNIC_PKT_MAX], in[256];
	struct gw g;

	(void)state;
	case_open(&g, k, "");
	gw_tcp(quoted, gw_mac_server, gw_mac_lan, k->c_addr_out, 555, k->s_addr_out, k->s_port_out, ACK, 63);
	gw_rx(&g, 0, in, icmp_err(in, gw_mac_lan, gw_mac_server, k->s_addr_out, k->c_addr_out, 64, 0, 3, quoted));
	gw_expect_none(&g);
	assert_int_equal(g.core->st.icmp_err_dropped, 1);
	gw_close(&g);
}

/* TTL 1: time exceeded from the ingress port's address, quoting the packet; no connection made. */
static void test_ttl_expiry_answered_from_the_ingress_port(void **state)
{
	const struct nat_case *k = &nat_cases[1];
	uint8_t in[CTNIC_PKT_MAX], want[256];
	size_t n, wn;
	struct gw g;

	(void)state;
	case_open(&g, k, "");
	n = gw_tcp(in, gw_mac_lan, gw_mac_client, k->c_addr, k->c_port, k->s_addr, k->s_port, SYN, 1);
	wn = icmp_err(want, gw_mac_client, gw_mac_lan, IP(192, 0, 2, 1), k->c_addr, 64, 0xc0, 11, in);
	gw_rx(&g, 0, in, n);
	gw_expect_one(&g, 0, want, wn);
	assert_int_equal(g.core->conns.used, 0);
	assert_int_equal(g.core->st.time_exceeded, 1);
	/* On a known flow the card punts it (TTL_EXPIRED) and the daemon answers alike. */
	establish(&g, k);
	n = gw_tcp(in, gw_mac_lan, gw_mac_client, k->c_addr, k->c_port, k->s_addr, k->s_port, PSH | ACK, 1);
	wn = icmp_err(want, gw_mac_client, gw_mac_lan, IP(192, 0, 2, 1), k->c_addr, 64, 0xc0, 11, in);
	gw_rx(&g, 0, in, n);
	gw_expect_one(&g, 0, want, wn);
	assert_int_equal(g.core->st.punt[CTNIC_PUNT_TTL_EXPIRED], 1);
	gw_close(&g);
}

static size_t arp_frame(uint8_t *b, uint16_t op, const uint8_t dst[6], const uint8_t sha[6], uint32_t spa,
			const uint8_t tha[6], uint32_t tpa)
{
	memset(b, 0, 60);
	memcpy(b, dst, 6);
	memcpy(b + 6, sha, 6);
	gw_put(b + 12, 2, 0x0806);
	gw_put(b + 14, 2, 1);
	gw_put(b + 16, 2, 0x0800);
	b[18] = 6;
	b[19] = 4;
	gw_put(b + 20, 2, op);
	memcpy(b + 22, sha, 6);
	gw_put(b + 28, 4, spa);
	memcpy(b + 32, tha, 6);
	gw_put(b + 38, 4, tpa);
	return 60;
}

/* ARP for our address is answered; a next hop we do not know is asked for, then used. */
static void test_arp_answered_and_next_hops_resolved(void **state)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, zero[6] = { 0 };
	static const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 0x33 };
	uint8_t in[CTNIC_PKT_MAX], want[CTNIC_PKT_MAX];
	size_t n, wn;
	struct gw g;

	(void)state;
	gw_open(&g, "model:flows=64,buckets=16", GW_CONF_NET);
	n = arp_frame(in, 1, bcast, other, IP(192, 0, 2, 51), zero, IP(192, 0, 2, 1));
	wn = arp_frame(want, 2, other, gw_mac_lan, IP(192, 0, 2, 1), other, IP(192, 0, 2, 51));
	gw_rx(&g, 0, in, n);
	gw_expect_one(&g, 0, want, wn);
	assert_int_equal(g.core->st.arp_replies, 1);
	/* 192.0.2.51 was learned from its request: traffic to it goes out with its MAC. */
	n = gw_tcp(in, gw_mac_wan, gw_mac_router, IP(198, 51, 100, 7), 1234, IP(192, 0, 2, 51), 22, SYN, 64);
	wn = gw_tcp(want, other, gw_mac_lan, IP(198, 51, 100, 7), 1234, IP(192, 0, 2, 51), 22, SYN, 63);
	gw_rx(&g, 1, in, n);
	gw_expect_one(&g, 0, want, wn);
	/* 192.0.2.52 is unknown: an ARP request goes out, the packet is dropped and counted. */
	n = gw_tcp(in, gw_mac_wan, gw_mac_router, IP(198, 51, 100, 7), 1235, IP(192, 0, 2, 52), 22, SYN, 64);
	wn = arp_frame(want, 1, bcast, gw_mac_lan, IP(192, 0, 2, 1), zero, IP(192, 0, 2, 52));
	gw_rx(&g, 1, in, n);
	gw_expect_one(&g, 0, want, wn);
	assert_int_equal(g.core->st.no_neigh, 1);
	/* The host stack asks for a client: proxy ARP answers with the gateway's host-side MAC. */
	{
		static const uint8_t stack[6] = { 0x02, 0, 0, 0, 0, 0x77 }, host_gw[6] = { 0x02, 0xc7, 0xc1, 0, 0, 0xff };

		n = arp_frame(in, 1, bcast, stack, IP(192, 0, 2, 1), zero, IP(192, 0, 2, 10));
		wn = arp_frame(want, 2, stack, host_gw, IP(192, 0, 2, 10), stack, IP(192, 0, 2, 1));
		gw_host(&g, in, n);
		gw_expect_one(&g, GW_HOST, want, wn);
	}
	/* An ARP of another protocol and an IPv6 frame: dropped and counted. */
	in[17] = 0xdd;
	gw_rx(&g, 0, in, n);
	memset(in, 0, 60);
	gw_put(in + 12, 2, 0x86dd);
	gw_rx(&g, 0, in, 60);
	gw_expect_none(&g);
	assert_int_equal(g.core->st.non_ipv4_dropped, 1);
	gw_close(&g);
}

/* A full table: unreplied connections go first (early drop); with none left, new ones are dropped and counted. */
static void test_full_table_early_drop_then_counted_drop(void **state)
{
	const struct nat_case *k = &nat_cases[1];
	struct nat_case c = *k;
	uint8_t in[CTNIC_PKT_MAX];
	struct gw g;

	(void)state;
	case_open(&g, k, "nf_conntrack_max = 4\n");
	for (int i = 0; i < 4; i++) {
		c.c_port = c.c_port_out = (uint16_t)(41000 + i);
		establish(&g, &c);
	}
	assert_int_equal(g.core->conns.used, 4);
	/* A fifth SYN: all four are assured and established, nothing may go. */
	gw_rx(&g, 0, in, gw_tcp(in, gw_mac_lan, gw_mac_client, c.c_addr, 42000, c.s_addr, c.s_port, SYN, 64));
	gw_expect_none(&g);
	assert_int_equal(g.core->st.conn_full_drop, 1);
	/* The existing ones keep working, in the card. */
	c.c_port = c.c_port_out = 41002;
	c2s(&g, &c, PSH | ACK);
	s2c(&g, &c, PSH | ACK);
	/* One closes (RST: CLOSE may be dropped early): the next SYN takes its place. */
	c2s(&g, &c, RST | ACK);
	c.c_port = c.c_port_out = 42000;
	c2s(&g, &c, SYN);
	assert_int_equal(g.core->st.conn_early_drop, 1);
	assert_int_equal(g.core->conns.used, 4);
	/* The evicted one's late packet is translated by the linger memory, never leaked. */
	c.c_port = c.c_port_out = 41002;
	c2s(&g, &c, ACK);
	assert_int_equal(g.leaks, 0);
	gw_close(&g);
}

/* Garbage punted by the card (or a broken descriptor) is counted and nothing changes. */
static void test_malformed_punts_are_counted(void **state)
{
	const struct nat_case *k = &nat_cases[1];
	uint8_t in[CTNIC_PKT_MAX];
	struct ctnic_punt_desc d = { .reason = CTNIC_PUNT_MISS, .port = 0 };
	struct gw g;
	size_t n;

	(void)state;
	case_open(&g, k, "");
	n = gw_tcp(in, gw_mac_lan, gw_mac_client, k->c_addr, k->c_port, k->s_addr, k->s_port, SYN, 64);
	ctnicd_core_punt(g.core, &d, in, 10);          /* shorter than Ethernet */
	in[14] = 0x46;                                  /* IHL beyond the frame's header */
	gw_put(in + 16, 2, 2000);                           /* total length beyond the frame */
	ctnicd_core_punt(g.core, &d, in, n);
	ctnicd_core_punt(g.core, &d, in, 20000);        /* longer than any frame */
	assert_int_equal(g.core->st.punt_bad, 3);
	assert_int_equal(g.core->conns.used, 0);
	gw_expect_none(&g);
	gw_close(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_icmp_error_translated_with_its_quote),
		cmocka_unit_test(test_icmp_error_from_dnat_target_hides_it),
		cmocka_unit_test(test_icmp_error_about_a_lingering_connection_translated),
		cmocka_unit_test(test_icmp_error_about_nothing_covered_is_dropped),
		cmocka_unit_test(test_ttl_expiry_answered_from_the_ingress_port),
		cmocka_unit_test(test_arp_answered_and_next_hops_resolved),
		cmocka_unit_test(test_full_table_early_drop_then_counted_drop),
		cmocka_unit_test(test_malformed_punts_are_counted),
	};

	return cmocka_run_group_tests_name("daemon_exc", tests, NULL, NULL);
}
