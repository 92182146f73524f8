/*
 * test_ct_story.c - design.md's story through the host/ct library, for
 * REDIRECT, DNAT and SNAT: the server closes, the client ACKs and stays
 * half-closed past the CLOSE_WAIT timeout, then sends its FIN. The late FIN
 * leaves translated while the binding lingers, and is dropped (or answered
 * with RST) after; no packet ever leaves with the address the rule hides.
 *
 * A small test-side gateway wires the pieces the way the daemon will: the
 * configuration, the NAT rules, the tuple set, the TCP tracker, the linger
 * memory and the late-packet rule. Times are seconds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ct_test.h"
#include "ct/ctnic_conf.h"
#include "ct/ctnic_late.h"
#include "ct/ctnic_tuples.h"

#define MAXCONN 8

struct gw {
	struct ctnic_conf *conf;
	struct ctnic_nat_iface ifs[CTNIC_CONF_PORTS];
	struct ctnic_nat_env env;
	struct ctnic_tuples *tu;
	struct ctnic_linger *lg;
	struct ctnic_late late;
	struct ctnic_tcp_track track[MAXCONN];
	struct ctnic_key orig[MAXCONN];
	bool used[MAXCONN];
};

enum fate { SENT, DROPPED, RST_SENT };

struct result {
	enum fate fate;
	struct ctnic_key out;
	int conn;
	uint8_t state;
};

static void gw_init(struct gw *g, const char *conf_text)
{
	char err[512];

	memset(g, 0, sizeof(*g));
	if (ctnic_conf_parse(conf_text, "story.conf", NULL, &g->conf, err, sizeof(err)))
		fail_msg("%s", err);
	g->env.ifaces = g->ifs;
	g->env.nifaces = ctnic_conf_nat_env(g->conf, g->ifs);
	g->tu = ctnic_tuples_create(MAXCONN, 1, err, sizeof(err));
	g->lg = ctnic_linger_create(g->conf->linger_entries, g->conf->linger_sec, err, sizeof(err));
	assert_non_null(g->tu);
	assert_non_null(g->lg);
	g->late.linger = g->lg;
	g->late.rules = g->conf->nat;
	g->late.env = &g->env;
	g->late.policy = g->conf->late;
	ctnic_ratelimit_init(&g->late.rst_limit, g->conf->late_rst_per_sec, 1);
}

static void gw_free(struct gw *g)
{
	ctnic_linger_destroy(g->lg);
	ctnic_tuples_destroy(g->tu);
	ctnic_conf_free(g->conf);
}

/* The out interface: the port whose subnet holds the destination, else wan. */
static const char *route(const struct gw *g, uint32_t daddr)
{
	int p = ctnic_conf_port_of(g->conf, daddr);

	return p >= 0 ? g->conf->ports[p].name : "wan";
}

static struct result packet(struct gw *g, struct ctnic_key k, const char *in_if, uint8_t flags,
			    uint64_t now)
{
	struct result r = { .conn = -1 };
	struct ctnic_ct_result cr;
	struct ctnic_key o, rep;
	enum ctnic_dir dir;
	uint32_t id;
	char err[256];

	if (ctnic_tuples_lookup(g->tu, &k, &id, &dir, &o, &rep)) {
		ctnic_tcp_packet(&g->conf->ct, &g->track[id], dir, flags, &cr);
		r.fate = SENT; /* a known connection's packet is always translated */
		r.out = ctnic_tuple_invert(dir == CTNIC_DIR_ORIGINAL ? &rep : &o);
		r.conn = (int)id;
		r.state = g->track[id].state;
		return r;
	}
	if (ctnic_tcp_may_create(&g->conf->ct, flags) &&
	    !ctnic_late_blocks_create(&g->late, &k, in_if, flags, now)) {
		struct ctnic_nat_pkt p = { .k = k, .in_if = in_if };
		struct ctnic_nat_action dn, sn;
		struct ctnic_nat_range *d = NULL, *s = NULL;

		assert_int_equal(ctnic_nat_eval(g->conf->nat, CTNIC_HOOK_PREROUTING, &p, &g->env, &dn,
						err, sizeof(err)), 0);
		if (dn.manip == CTNIC_NAT_MANIP_DST) {
			d = &dn.range;
			p.k.daddr = dn.range.min_addr; /* routing sees the new destination */
		}
		p.in_if = NULL;
		p.out_if = route(g, p.k.daddr);
		assert_int_equal(ctnic_nat_eval(g->conf->nat, CTNIC_HOOK_POSTROUTING, &p, &g->env, &sn,
						err, sizeof(err)), 0);
		if (sn.manip == CTNIC_NAT_MANIP_SRC)
			s = &sn.range;
		for (id = 0; g->used[id]; id++)
			;
		if (ctnic_tuples_add(g->tu, &k, d, s, id, &rep, err, sizeof(err)))
			fail_msg("%s", err);
		g->used[id] = true;
		g->orig[id] = k;
		ctnic_tcp_track_init(&g->track[id]);
		ctnic_tcp_packet(&g->conf->ct, &g->track[id], CTNIC_DIR_ORIGINAL, flags, &cr);
		r.fate = SENT;
		r.out = ctnic_tuple_invert(&rep);
		r.conn = (int)id;
		r.state = g->track[id].state;
		return r;
	}
	switch (ctnic_late_decide(&g->late, &k, in_if, flags, now, &r.out, NULL)) {
	case CTNIC_LATE_ACT_TRANSLATE:
		r.fate = SENT;
		break;
	case CTNIC_LATE_ACT_PASS:
		r.fate = SENT;
		r.out = k;
		break;
	case CTNIC_LATE_ACT_RST:
		r.fate = RST_SENT;
		break;
	default:
		r.fate = DROPPED;
	}
	return r;
}

/* The card reports the flow's expiry: the connection ends, its binding lingers. */
static void expire(struct gw *g, int id, uint64_t now)
{
	struct ctnic_key o = g->orig[id], rep;

	assert_true(ctnic_tuples_lookup(g->tu, &o, NULL, NULL, NULL, &rep));
	assert_int_equal(ctnic_tuples_remove(g->tu, &o), 0);
	ctnic_linger_add(g->lg, &o, &rep, (uint32_t)id, now);
	g->used[id] = false;
}

struct story {
	const char *name;
	const char *rules;
	const char *client_if, *server_if;
	struct ctnic_key c2s;        /* the client's packets as they arrive */
	uint32_t hidden;             /* the address the rule hides (must never leave) */
	bool hidden_is_dst;          /* it would leave as destination (else as source) */
};

#define CONF_HEAD \
	"port 0 lan 192.0.2.1/24\nport 1 wan 203.0.113.1/24\n" \
	"route default via 203.0.113.254\n" \
	"nf_conntrack_tcp_timeout_close_wait = 60\nlinger-time 120\n"

static const struct story stories[] = {
	{ "REDIRECT",
	  CONF_HEAD "*nat\n-A PREROUTING -i lan -d 198.51.100.20/32 -p tcp -j REDIRECT --to-ports 80\nCOMMIT\n",
	  "lan", "lan", { IP(192, 0, 2, 10), IP(198, 51, 100, 20), 40000, 80, 6 },
	  IP(198, 51, 100, 20), true },
	{ "DNAT",
	  CONF_HEAD "*nat\n-A PREROUTING -i wan -d 203.0.113.1/32 -p tcp -m tcp --dport 8080 "
	  "-j DNAT --to-destination 192.0.2.20:80\nCOMMIT\n",
	  "wan", "lan", { IP(198, 51, 100, 7), IP(203, 0, 113, 1), 40000, 8080, 6 },
	  IP(203, 0, 113, 1), true },
	{ "SNAT",
	  CONF_HEAD "*nat\n-A POSTROUTING -s 192.0.2.0/24 -o wan -j SNAT --to-source 203.0.113.5\nCOMMIT\n",
	  "lan", "wan", { IP(192, 0, 2, 10), IP(198, 51, 100, 30), 40000, 80, 6 },
	  IP(192, 0, 2, 10), false },
};

/* Nothing the client sends may reach the server with the hidden address. */
static void assert_hidden(const struct story *s, const struct result *r)
{
	if (r->fate != SENT)
		return;
	if (s->hidden_is_dst)
		assert_int_not_equal(r->out.daddr, s->hidden);
	else
		assert_int_not_equal(r->out.saddr, s->hidden);
}

static void run_story(const struct story *s, bool rst_policy)
{
	struct gw g;
	struct result r, first;
	struct ctnic_key c2s = s->c2s, s2c;
	char conf[1024];
	uint64_t t;

	snprintf(conf, sizeof(conf), "%s%s", s->rules, rst_policy ? "late-packets rst\n" : "");
	gw_init(&g, conf);

	first = r = packet(&g, c2s, s->client_if, 0x02, 0);                 /* SYN */
	assert_int_equal(r.fate, SENT);
	assert_hidden(s, &r);
	s2c = ctnic_tuple_invert(&r.out); /* how the server's packets arrive */
	r = packet(&g, s2c, s->server_if, 0x12, 0);                          /* SYN-ACK */
	assert_true(ctnic_key_equal(&r.out, &(struct ctnic_key){ c2s.daddr, c2s.saddr, c2s.dport,
						c2s.sport, 6 }));
	r = packet(&g, c2s, s->client_if, 0x10, 0);                          /* ACK */
	assert_int_equal(r.state, CTNIC_TCP_ESTABLISHED);
	r = packet(&g, s2c, s->server_if, 0x11, 5);                          /* server FIN */
	assert_int_equal(r.state, CTNIC_TCP_FIN_WAIT);
	r = packet(&g, c2s, s->client_if, 0x10, 5);                          /* client ACK */
	assert_int_equal(r.state, CTNIC_TCP_CLOSE_WAIT);
	assert_int_equal(g.conf->ct.timeouts.sec[ctnic_tcp_state_tclass(r.state)], 60);

	/* The card ages the flow out after 60 s of CLOSE_WAIT. */
	t = 5 + 60;
	expire(&g, r.conn, t);

	/* Two minutes after the server's FIN the client sends its own: translated. */
	r = packet(&g, c2s, s->client_if, 0x11, 125);
	assert_int_equal(r.fate, SENT);
	assert_true(ctnic_key_equal(&r.out, &first.out));
	assert_hidden(s, &r);
	/* So is the server's retransmitted FIN, back to the client. */
	r = packet(&g, s2c, s->server_if, 0x11, 126);
	assert_int_equal(r.fate, SENT);
	assert_int_equal(r.out.saddr, c2s.daddr);
	assert_int_equal(r.out.sport, c2s.dport);
	/* And its late ACK: loose pickup must not make it a new, untranslated connection. */
	r = packet(&g, s2c, s->server_if, 0x10, 127);
	assert_int_equal(r.fate, SENT);
	assert_int_equal(r.out.saddr, c2s.daddr);
	assert_int_equal(g.late.count[CTNIC_LATE_ACT_TRANSLATE], 3);
	assert_int_equal(ctnic_tuples_count(g.tu), 0);

	/* After the linger time: dropped (or RST), counted, never untranslated. */
	t += g.conf->linger_sec;
	r = packet(&g, c2s, s->client_if, 0x11, t);
	assert_int_equal(r.fate, rst_policy ? RST_SENT : DROPPED);
	r = packet(&g, s2c, s->server_if, 0x11, t);
	assert_int_equal(r.fate, rst_policy ? RST_SENT : DROPPED);
	r = packet(&g, s2c, s->server_if, 0x10, t);
	assert_int_equal(r.fate, rst_policy ? RST_SENT : DROPPED);
	assert_int_equal(ctnic_tuples_count(g.tu), 0);
	assert_int_equal(g.late.count[rst_policy ? CTNIC_LATE_ACT_RST : CTNIC_LATE_ACT_DROP], 3);
	/* A late RST is never answered with one. */
	r = packet(&g, c2s, s->client_if, 0x14, t);
	assert_int_equal(r.fate, DROPPED);

	/* A late FIN of traffic no rule covers passes as Linux would pass it. */
	c2s.daddr = IP(198, 51, 100, 99);
	c2s.dport = 443;
	r = packet(&g, c2s, "lan", 0x11, t);
	if (s->hidden_is_dst || c2s.saddr != s->hidden) {
		assert_int_equal(r.fate, SENT);
		assert_int_equal(g.late.count[CTNIC_LATE_ACT_PASS], 1);
	} else {
		/* the SNAT rule covers all of the client */
		assert_int_equal(r.fate, rst_policy ? RST_SENT : DROPPED);
	}
	gw_free(&g);
}

static void test_story_fin_after_close_wait_timeout(void **state)
{
	const struct story *s = *state;

	run_story(s, false);
	run_story(s, true);
}

static void test_late_rst_is_rate_limited(void **state)
{
	struct gw g;
	struct ctnic_key k = stories[0].c2s;

	(void)state;
	gw_init(&g, "port 0 lan 192.0.2.1/24\nlate-packets rst\nlate-rst-limit 3\n"
		"*nat\n-A PREROUTING -d 198.51.100.20/32 -p tcp -j REDIRECT --to-ports 80\nCOMMIT\n");
	for (int i = 0; i < 5; i++)
		assert_int_equal(packet(&g, k, "lan", 0x11, 10).fate, i < 3 ? RST_SENT : DROPPED);
	assert_int_equal(g.late.rst_limited, 2);
	assert_int_equal(packet(&g, k, "lan", 0x11, 11).fate, RST_SENT); /* the next second */
	gw_free(&g);
}

int main(void)
{
	struct CMUnitTest tests[4];
	char names[3][64];
	int n = 0;

	for (int i = 0; i < 3; i++) {
		snprintf(names[i], sizeof(names[i]), "test_story_%s_late_fin_translated_then_dropped",
			 stories[i].name);
		tests[n++] = (struct CMUnitTest){ names[i], test_story_fin_after_close_wait_timeout,
						  NULL, NULL, (void *)&stories[i] };
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_late_rst_is_rate_limited);
	return _cmocka_run_group_tests("ct_story", tests, (size_t)n, NULL, NULL);
}
