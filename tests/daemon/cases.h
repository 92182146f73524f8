/*
 * cases.h - the three NAT cases of design.md's story as test data: who sits
 * where, what the client sends, what the server must receive, and what must
 * never appear where.
 */
#ifndef CTNICD_TEST_CASES_H
#define CTNICD_TEST_CASES_H

#include "gw.h"

struct side {
	unsigned port;               /* the card's port, or GW_HOST */
	const uint8_t *gw_mac;       /* the gateway's MAC on that side */
	const uint8_t *peer_mac;     /* the neighbour's MAC (client, server or router) */
};

struct leak {
	unsigned port;
	uint32_t addr;
	bool src;
};

struct nat_case {
	const char *name;
	const char *rules;
	struct side client, server;
	uint32_t c_addr, s_addr;     /* as the client sends: source and destination */
	uint16_t c_port, s_port;
	uint32_t c_addr_out, s_addr_out; /* as the server receives them */
	uint16_t c_port_out, s_port_out;
	struct leak never[2];        /* addresses that must never leave there */
};

#define DNAT_RULES "*nat\n:PREROUTING ACCEPT [0:0]\n" \
	"-A PREROUTING -i wan -d 203.0.113.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.0.2.20:80\nCOMMIT\n"
#define SNAT_RULES "*nat\n:POSTROUTING ACCEPT [0:0]\n" \
	"-A POSTROUTING -s 192.0.2.0/24 -o wan -j SNAT --to-source 203.0.113.5\nCOMMIT\n"
#define REDIRECT_RULES "*nat\n:PREROUTING ACCEPT [0:0]\n" \
	"-A PREROUTING -i lan -d 198.51.100.20/32 -p tcp -j REDIRECT --to-ports 80\nCOMMIT\n"

static const struct nat_case nat_cases[] = {
	{ "DNAT", DNAT_RULES, { 1, gw_mac_wan, gw_mac_router }, { 0, gw_mac_lan, gw_mac_server },
	  IP(198, 51, 100, 7), IP(203, 0, 113, 1), 40000, 8080,
	  IP(198, 51, 100, 7), IP(192, 0, 2, 20), 40000, 80,
	  { { 0, IP(203, 0, 113, 1), false }, { 1, IP(192, 0, 2, 20), true } } },
	{ "SNAT", SNAT_RULES, { 0, gw_mac_lan, gw_mac_client }, { 1, gw_mac_wan, gw_mac_router },
	  IP(192, 0, 2, 10), IP(198, 51, 100, 30), 40000, 80,
	  IP(203, 0, 113, 5), IP(198, 51, 100, 30), 40000, 80,
	  { { 1, IP(192, 0, 2, 10), true }, { 0, IP(203, 0, 113, 5), false } } },
	{ "REDIRECT", REDIRECT_RULES, { 0, gw_mac_lan, gw_mac_client }, { GW_HOST, gw_mac_lan, gw_mac_client },
	  IP(192, 0, 2, 10), IP(198, 51, 100, 20), 40000, 80,
	  IP(192, 0, 2, 10), IP(192, 0, 2, 1), 40000, 80,
	  { { 1, IP(198, 51, 100, 20), false }, { 0, IP(192, 0, 2, 1), true } } },
};

/* The client sends flags; the server must receive exactly the translated frame. */
static inline void c2s(struct gw *g, const struct nat_case *k, uint8_t flags)
{
	uint8_t in[CTNIC_PKT_MAX], want[CTNIC_PKT_MAX];
	size_t n = gw_tcp(in, k->client.gw_mac, k->client.peer_mac, k->c_addr, k->c_port, k->s_addr, k->s_port,
			  flags, 64);
	size_t wn;

	if (k->server.port == GW_HOST) /* the host stack gets it as it came, but the tuple: no TTL change */
		wn = gw_tcp(want, k->client.gw_mac, k->client.peer_mac, k->c_addr_out, k->c_port_out, k->s_addr_out,
			    k->s_port_out, flags, 64);
	else
		wn = gw_tcp(want, k->server.peer_mac, k->server.gw_mac, k->c_addr_out, k->c_port_out, k->s_addr_out,
			    k->s_port_out, flags, 63);
	gw_rx(g, k->client.port, in, n);
	gw_expect_one(g, k->server.port, want, wn);
}

/* The server answers; the client must receive exactly the translated frame. */
static inline void s2c(struct gw *g, const struct nat_case *k, uint8_t flags)
{
	uint8_t in[CTNIC_PKT_MAX], want[CTNIC_PKT_MAX];
	size_t n = gw_tcp(in, k->server.gw_mac, k->server.peer_mac, k->s_addr_out, k->s_port_out, k->c_addr_out,
			  k->c_port_out, flags, 64);
	size_t wn = gw_tcp(want, k->client.peer_mac, k->client.gw_mac, k->s_addr, k->s_port, k->c_addr, k->c_port,
			   flags, k->server.port == GW_HOST ? 64 : 63);

	if (k->server.port == GW_HOST)
		gw_host(g, in, n);
	else
		gw_rx(g, k->server.port, in, n);
	gw_expect_one(g, k->client.port, want, wn);
}

/* Sends without expecting a given outcome (late packets). */
static inline void c2s_raw(struct gw *g, const struct nat_case *k, uint8_t flags)
{
	uint8_t in[CTNIC_PKT_MAX];

	gw_rx(g, k->client.port, in, gw_tcp(in, k->client.gw_mac, k->client.peer_mac, k->c_addr, k->c_port,
					    k->s_addr, k->s_port, flags, 64));
}

static inline void s2c_raw(struct gw *g, const struct nat_case *k, uint8_t flags)
{
	uint8_t in[CTNIC_PKT_MAX];
	size_t n = gw_tcp(in, k->server.gw_mac, k->server.peer_mac, k->s_addr_out, k->s_port_out, k->c_addr_out,
			  k->c_port_out, flags, 64);

	if (k->server.port == GW_HOST)
		gw_host(g, in, n);
	else
		gw_rx(g, k->server.port, in, n);
}

/* Opens the gateway of a case with extra configuration, its leaks forbidden. */
static inline void case_open(struct gw *g, const struct nat_case *k, const char *extra)
{
	char conf[2048];

	snprintf(conf, sizeof(conf), GW_CONF_NET "%s%s", extra, k->rules);
	gw_open(g, "model:flows=1024,buckets=256", conf);
	for (int i = 0; i < 2; i++)
		gw_forbid(g, k->never[i].port, k->never[i].addr, k->never[i].src);
}

/* ---- random churn (test_daemon_churn, tests/aging) ------------------------------------ */

/* xorshift64: the churns' own random numbers, 0..n-1, from the seed they print. */
static inline uint32_t churn_rnd(uint64_t *s, uint32_t n)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s % n);
}

/*
 * One packet of a churn on case c's client port (c->c_port): from the
 * client, or the server's answer to whatever outside port the connection
 * got, if it has one; its flags drawn from SYN, SYN-ACK, ACK, PSH-ACK,
 * FIN-ACK, RST-ACK, RST.
 */
static inline void churn_packet(struct gw *g, struct nat_case *c, bool from_client, uint64_t *s)
{
	static const uint8_t mix[] = { 0x02, 0x12, 0x10, 0x18, 0x11, 0x14, 0x04, 0x10, 0x18, 0x11 };
	uint8_t flags = mix[churn_rnd(s, sizeof(mix))];
	struct ctnic_key key = { c->c_addr, c->s_addr, c->c_port, c->s_port, 6 };
	enum ctnic_dir dir;
	uint32_t id;

	if (from_client) {
		c2s_raw(g, c, flags);
		return;
	}
	if (ctnicd_conns_find(&g->core->conns, &key, &id, &dir))
		c->c_port_out = ctnicd_conns_key(&g->core->conns, id, CTNIC_DIR_REPLY).dport;
	s2c_raw(g, c, flags);
}

#endif /* CTNICD_TEST_CASES_H */
