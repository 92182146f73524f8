/*
 * test_aging.c - the card's aging through the model: card (the reference
 * model behind the rings, driver/src/model.c) and the daemon's side of it
 * (host/aging.c, core.c's expiry handling, the audit):
 *
 *   - the class timeouts the daemon programs are Linux's, by sysctl name;
 *   - per class, a flow expires at its timeout and not one tick earlier,
 *     with an EXPIRY event carrying id, class, generation, final counters;
 *   - the scanner waits while the event ring is full: nothing is lost;
 *   - a card expiry ends the daemon's connection and leaves its linger
 *     binding; a late expiry of a reused flow id is ignored;
 *   - seeded churn (`test_aging SEED` replays): thousands of connections
 *     opened, closed, reset, timed out by the card and their tuples reused,
 *     the audit clean at checkpoints and at the end, no flow id leaked.
 *
 * TAP with CMOCKA_MESSAGE_OUTPUT=TAP.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../daemon/cases.h"
#include "aging.h"
#include "ctnic_ring.h"

static uint64_t seed;

/* Linux's defaults (docs/conntrack.md "Timeouts and classes"), class by class. */
static const uint32_t linux_sec[15] = { 120, 60, 432000, 120, 60, 30, 120, 10, 120, 300, 300, 30, 120, 30, 600 };

static uint32_t reg(struct ctnic_dev *dev, uint32_t off)
{
	uint32_t v = 0;

	assert_int_equal(ctnic_csr_read(dev, off, &v), 0);
	return v;
}

static void test_class_timeouts_are_the_configured_linux_ones(void **state)
{
	struct gw g;
	char err[256];

	(void)state;
	gw_open(&g, "model:flows=256,buckets=64", GW_CONF_NET "nf_conntrack_tcp_timeout_close_wait = 45\n" SNAT_RULES);
	uint64_t tps = g.core->ticks_per_sec;
	for (unsigned k = 0; k < 15; k++) {
		uint32_t want = (uint32_t)((k == 4 ? 45 : linux_sec[k]) * tps);

		if (reg(g.dev, CTNIC_REG_AGING_TIMEOUT(k)) != want)
			fail_msg("AGING_TIMEOUT[%u] = %u, expected %u", k, reg(g.dev, CTNIC_REG_AGING_TIMEOUT(k)), want);
	}
	assert_int_equal(reg(g.dev, CTNIC_REG_AGING_TIMEOUT(15)), 0); /* static flows: never */
	assert_int_equal(reg(g.dev, CTNIC_REG_AGING_CTRL), CTNIC_AGING_CTRL_ENABLE_MASK);
	/* `timeout set` by sysctl name: the card's register follows */
	assert_int_equal(ctnic_ct_opts_set(&g.core->conf->ct, "net.netfilter.nf_conntrack_udp_timeout", "17", err,
					   sizeof(err)), 0);
	ctnicd_core_apply(g.core);
	assert_int_equal(reg(g.dev, CTNIC_REG_AGING_TIMEOUT(11)), (uint32_t)(17 * tps));
	gw_close(&g);
}

/* ---- the card alone: its command and event rings ------------------------------ */

struct card {
	struct ctnic_dev *dev;
	struct ctnic_dma_pool *pool;
	struct ctnic_ring *cmd, *ev;
};

static void card_open(struct card *c, unsigned ev_log2)
{
	char err[CTNIC_ERR_LEN];
	struct ctnic_ring_cfg cc = { .id = CTNIC_RING_ID_CMD, .size_log2 = 8, .irq_count = 1 };
	struct ctnic_ring_cfg ec = { .id = CTNIC_RING_ID_EVENT, .size_log2 = ev_log2, .irq_count = 1 };

	memset(c, 0, sizeof(*c));
	assert_int_equal(ctnic_open(&c->dev, "model:flows=256,buckets=64", err, sizeof(err)), 0);
	assert_int_equal(ctnic_dma_pool_create(c->dev, &c->pool), 0);
	assert_int_equal(ctnic_ring_create(c->dev, c->pool, &cc, &c->cmd), 0);
	assert_int_equal(ctnic_ring_create(c->dev, c->pool, &ec, &c->ev), 0);
	assert_int_equal(ctnic_csr_write(c->dev, CTNIC_REG_TICK_PERIOD, 0), 0);
}

static void card_close(struct card *c)
{
	ctnic_ring_destroy(c->ev);
	ctnic_ring_destroy(c->cmd);
	ctnic_dma_pool_destroy(c->pool);
	ctnic_close(c->dev);
}

static void fail_on_event(void *arg, const struct ctnic_event *e)
{
	(void)arg;
	fail_msg("an event while installing: type %u index %u", e->type, e->index);
}

/* Flow id fid in class cl, generation gen, last seen now; keys in slots 2*fid, 2*fid+1. */
static void card_install(struct card *c, uint32_t fid, uint8_t cl, uint16_t gen)
{
	struct ctnic_flow f = { .valid = true, .tclass = cl, .generation = gen };
	struct ctnic_key_entry k0 = { .valid = true, .flow_id = fid, .key = { 0x0a000000u + fid, 1, 1000, 80, 6 } };
	struct ctnic_key_entry k1 = { .valid = true, .reply = true, .flow_id = fid,
				      .key = { 1, 0x0a000000u + fid, 80, 1000, 6 } };
	struct ctnic_event cpl;
	uint64_t now;
	uint32_t last;

	assert_int_equal(ctnic_tick_read(c->dev, &now), 0);
	f.last_seen = (uint32_t)now;
	f.pkts[0] = fid;
	f.bytes[1] = 1000u * fid;
	/* slots in sub-table 0, way 0, of distinct buckets: any slot works for the card */
	assert_int_equal(ctnic_cmd_flow_install(c->cmd, fid, &f, 4 * fid, &k0, 4 * fid + 1, &k1, fid), 0);
	assert_int_equal(ctnic_cmd_submit(c->cmd, &last), 0);
	assert_int_equal(ctnic_cmd_wait(c->cmd, c->ev, last, &cpl, fail_on_event, NULL, 1000), 0);
}

/* The next event, or type 0 when there is none. */
static struct ctnic_event card_event(struct card *c)
{
	struct ctnic_event e;

	memset(&e, 0, sizeof(e));
	if (ctnic_event_poll(c->ev, &e) != 1)
		memset(&e, 0, sizeof(e));
	ctnic_ring_release(c->ev);
	return e;
}

static void advance(struct ctnic_dev *dev, uint32_t ticks)
{
	assert_int_equal(ctnic_csr_write(dev, CTNIC_REG_TICK_ADVANCE, ticks), 0);
}

static void test_each_class_expires_at_its_timeout_not_a_tick_earlier(void **state)
{
	struct card c;
	uint32_t T[16];
	uint64_t t0;

	(void)state;
	card_open(&c, 6);
	for (unsigned k = 0; k < 16; k++) {
		T[k] = k == 15 ? 0 : 100 + 37 * k; /* ascending; class 15 never */
		assert_int_equal(ctnic_csr_write(c.dev, CTNIC_REG_AGING_TIMEOUT(k), T[k]), 0);
	}
	for (unsigned k = 0; k < 16; k++)
		card_install(&c, 10 + k, (uint8_t)k, (uint16_t)(500 + k));
	assert_int_equal(ctnic_csr_write(c.dev, CTNIC_REG_AGING_CTRL, CTNIC_AGING_CTRL_ENABLE_MASK), 0);
	assert_int_equal(ctnic_tick_read(c.dev, &t0), 0);
	uint32_t at = 0;
	for (unsigned k = 0; k < 15; k++) {
		struct ctnic_event e;
		struct ctnic_flow f;

		advance(c.dev, T[k] - 1 - at);
		e = card_event(&c);
		if (e.type)
			fail_msg("class %u: an event (type %u flow %u) one tick before the timeout", k, e.type, e.index);
		assert_int_equal(ctnic_flow_read(c.dev, 10 + k, &f), 0);
		assert_true(f.valid);
		advance(c.dev, 1);
		at = T[k];
		e = card_event(&c);
		if (e.type != CTNIC_EVT_EXPIRY || e.index != 10 + k)
			fail_msg("class %u: expected the expiry of flow %u at its timeout, got type %u flow %u", k, 10 + k,
				 e.type, e.index);
		assert_int_equal(e.aux, k);
		assert_int_equal(e.tag, 500 + k);
		assert_int_equal(e.tick, (uint32_t)(t0 + T[k]));
		ctnic_flow_unpack(e.data, &f);
		assert_true(f.valid);                 /* the record as retired */
		assert_int_equal(f.pkts[0], 10 + k);  /* final counters */
		assert_int_equal(f.bytes[1], 1000u * (10 + k));
		assert_int_equal(f.last_seen, (uint32_t)t0);
		assert_int_equal(ctnic_flow_read(c.dev, 10 + k, &f), 0);
		assert_false(f.valid);
		assert_int_equal(card_event(&c).type, 0);
	}
	/* class 15 (timeout 0) a long time later: still there */
	advance(c.dev, 4000000000u);
	assert_int_equal(card_event(&c).type, 0);
	assert_int_equal(reg(c.dev, CTNIC_REG_AGING_EXPIRED), 15);
	card_close(&c);
}

static void test_a_full_event_ring_holds_the_scanner_and_loses_nothing(void **state)
{
	struct card c;
	unsigned got = 0;
	uint32_t seen[64] = { 0 };

	(void)state;
	card_open(&c, 2); /* 4 event slots */
	assert_int_equal(ctnic_csr_write(c.dev, CTNIC_REG_AGING_TIMEOUT(3), 10), 0);
	for (unsigned i = 0; i < 40; i++)
		card_install(&c, i, 3, 1);
	assert_int_equal(ctnic_csr_write(c.dev, CTNIC_REG_AGING_CTRL, CTNIC_AGING_CTRL_ENABLE_MASK), 0);
	advance(c.dev, 10);
	/* only as many retired as the ring holds; the rest wait, still valid */
	assert_int_equal(reg(c.dev, CTNIC_REG_AGING_EXPIRED), 4);
	for (int guard = 0; guard < 1000 && got < 40; guard++) {
		struct ctnic_event e = card_event(&c); /* releasing slots lets the scanner go on */

		if (e.type == CTNIC_EVT_EXPIRY) {
			assert_true(e.index < 40);
			seen[e.index]++;
			got++;
		}
	}
	assert_int_equal(got, 40);
	for (unsigned i = 0; i < 40; i++)
		assert_int_equal(seen[i], 1);
	assert_int_equal(reg(c.dev, CTNIC_REG_AGING_EXPIRED), 40);
	card_close(&c);
}

/* ---- the daemon ----------------------------------------------------------------- */

static void print_diff(void *arg, const char *d)
{
	(void)arg;
	printf("# audit: %s\n", d);
}

static void audit_clean(struct gw *g, const char *when)
{
	uint32_t n = 0;

	assert_int_equal(ctnicd_core_audit(g->core, print_diff, NULL, &n), 0);
	if (n)
		fail_msg("%s: %u differences between the daemon's table and the card's", when, n);
}

/* Device time passes; only the card's expiry events end connections (no software sweep). */
static void card_time(struct gw *g, uint32_t seconds)
{
	assert_int_equal(ctnic_csr_write(g->dev, CTNIC_REG_TICK_ADVANCE, seconds * (uint32_t)g->core->ticks_per_sec),
			 0);
	assert_int_equal(ctnicd_core_clock(g->core), 0);
	assert_int_equal(ctnicd_core_events(g->core), 0);
}

static bool conn_of(struct gw *g, const struct nat_case *k, uint32_t *id)
{
	struct ctnic_key key = { k->c_addr, k->s_addr, k->c_port, k->s_port, 6 };
	enum ctnic_dir dir;

	return ctnicd_conns_find(&g->core->conns, &key, id, &dir);
}

static void test_a_card_expiry_ends_the_connection_and_keeps_its_binding(void **state)
{
	const struct nat_case *k = &nat_cases[1]; /* SNAT */
	struct gw g;
	uint32_t id;

	(void)state;
	case_open(&g, k, "");
	c2s(&g, k, 0x02); /* SYN: SYN_SENT, class 0, 120 s */
	assert_true(conn_of(&g, k, &id));
	assert_true(g.core->conns.c[id].flags & CTNICD_CONN_IN_CARD);
	card_time(&g, 119);
	assert_true(conn_of(&g, k, &id));
	assert_int_equal(g.core->st.conn_expired, 0);
	card_time(&g, 1);
	assert_false(conn_of(&g, k, &id));
	assert_int_equal(g.core->st.conn_expired, 1);
	assert_int_equal(reg(g.dev, CTNIC_REG_AGING_EXPIRED), 1); /* the card did it */
	assert_int_equal(g.core->place.used, 0);                   /* its keys are gone */
	audit_clean(&g, "after the expiry");
	/* a late packet of it is translated with the binding it had (linger), never leaked */
	gw_clear(&g);
	c2s_raw(&g, k, 0x10);
	assert_int_equal(g.leaks, 0);
	assert_true(gw_any_addr(&g, 1, k->c_addr_out, true));
	gw_close(&g);
}

static void test_a_late_expiry_of_a_reused_flow_id_is_ignored(void **state)
{
	const struct nat_case *k = &nat_cases[1];
	struct nat_case b = *k;
	struct gw g;
	uint32_t ida, idb;
	uint16_t gen_a;

	(void)state;
	case_open(&g, k, "nf_conntrack_max = 1\n"); /* one record: the id must be reused */
	c2s(&g, k, 0x02);
	assert_true(conn_of(&g, k, &ida));
	gen_a = g.core->conns.c[ida].gen;
	card_time(&g, 120);
	assert_false(conn_of(&g, k, &ida));
	b.c_port = b.c_port_out = 40001;
	c2s(&g, &b, 0x02);
	assert_true(conn_of(&g, &b, &idb));
	assert_int_equal(idb, ida);
	assert_int_not_equal(g.core->conns.c[idb].gen, gen_a);
	/* the old connection's expiry, late (as if read again): the new one lives on */
	ctnicd_conn_expired(g.core, ida, gen_a, true);
	ctnicd_core_commit(g.core);
	assert_true(conn_of(&g, &b, &idb));
	assert_true(g.core->conns.c[idb].flags & CTNICD_CONN_IN_CARD);
	audit_clean(&g, "after the late expiry");
	c2s(&g, &b, 0x02); /* still translated (SYN retransmitted: punted, forwarded) */
	gw_close(&g);
}

static uint32_t rnd(uint64_t *s, uint32_t n)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s % n);
}

static void test_churn_with_card_aging_stays_audited_and_leaks_no_id(void **state)
{
	static const uint8_t flags[] = { 0x02, 0x12, 0x10, 0x18, 0x11, 0x14, 0x04, 0x10, 0x18, 0x11 };
	const struct nat_case *k = &nat_cases[1];
	uint64_t s = seed;
	struct nat_case c = *k;
	struct gw g;
	const unsigned steps = 30000;

	(void)state;
	gw_open(&g, "model:flows=4096,buckets=512",
		GW_CONF_NET "nf_conntrack_max = 2048\nlinger-entries 512\nlinger-time 30\n"
		"nf_conntrack_tcp_timeout_established = 400\nnf_conntrack_tcp_timeout_close = 5\n"
		"nf_conntrack_tcp_timeout_syn_sent = 20\n" SNAT_RULES);
	gw_forbid(&g, 1, k->c_addr, true);
	for (unsigned i = 0; i < steps; i++) {
		c.c_port = c.c_port_out = (uint16_t)(20000 + rnd(&s, 3000));
		switch (rnd(&s, 12)) {
		case 0:
			card_time(&g, rnd(&s, 40));
			break;
		case 1: case 2: case 3: case 4: case 5: case 6:
			c2s_raw(&g, &c, flags[rnd(&s, sizeof(flags))]);
			break;
		default: {
			struct ctnic_key key = { k->c_addr, k->s_addr, c.c_port, k->s_port, 6 }, reply;
			uint32_t id;
			enum ctnic_dir dir;

			if (ctnicd_conns_find(&g.core->conns, &key, &id, &dir)) {
				reply = ctnicd_conns_key(&g.core->conns, id, CTNIC_DIR_REPLY);
				c.c_port_out = reply.dport;
			}
			s2c_raw(&g, &c, flags[rnd(&s, sizeof(flags))]);
		}
		}
		gw_clear(&g);
		if (g.leaks)
			fail_msg("step %u: a frame left with the client's own address", i);
		if (i % 5000 == 4999) {
			char when[32];

			snprintf(when, sizeof(when), "step %u", i);
			audit_clean(&g, when);
		}
	}
	uint64_t peak = g.core->st.conn_new, by_card_mid = reg(g.dev, CTNIC_REG_AGING_EXPIRED);
	/* everything times out, by the card; what never reached the card, by the sweep */
	for (int i = 0; i < 20; i++)
		card_time(&g, 100);
	assert_int_equal(ctnicd_core_timer(g.core, g.core->conns.cap), 0);
	audit_clean(&g, "the end");
	printf("# seed %llu: %llu new, %llu ended (%llu expired, %u by the card's scanner, %llu mid-churn), %llu early drops, "
	       "%llu software-only, %llu cuckoo moves\n",
	       (unsigned long long)seed, (unsigned long long)peak, (unsigned long long)g.core->st.conn_end,
	       (unsigned long long)g.core->st.conn_expired, reg(g.dev, CTNIC_REG_AGING_EXPIRED),
	       (unsigned long long)by_card_mid, (unsigned long long)g.core->st.conn_early_drop,
	       (unsigned long long)g.core->st.install_no_slot, (unsigned long long)g.core->st.cuckoo_moves);
	assert_true(peak > 1000);
	assert_true(reg(g.dev, CTNIC_REG_AGING_EXPIRED) > 100);
	assert_int_equal(g.core->st.cmd_errors, 0);
	assert_int_equal(g.core->conns.used, 0);
	assert_int_equal(g.core->place.used, 0);
	for (uint32_t id = 0; id < 4096; id++) {
		struct ctnic_flow f;

		assert_int_equal(ctnic_flow_read(g.dev, id, &f), 0);
		if (f.valid)
			fail_msg("flow record %u still valid after everything ended", id);
	}
	/* no id leaked: every one of the 2048 records can be had again */
	for (unsigned i = 0; i < 2048; i++) {
		c.c_port = c.c_port_out = (uint16_t)(10000 + i);
		c2s_raw(&g, &c, 0x02);
		gw_clear(&g);
	}
	assert_int_equal(g.core->conns.used, 2048);
	assert_int_equal(g.core->st.conn_early_drop, 0);
	audit_clean(&g, "after refilling");
	gw_close(&g);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_class_timeouts_are_the_configured_linux_ones),
		cmocka_unit_test(test_each_class_expires_at_its_timeout_not_a_tick_earlier),
		cmocka_unit_test(test_a_full_event_ring_holds_the_scanner_and_loses_nothing),
		cmocka_unit_test(test_a_card_expiry_ends_the_connection_and_keeps_its_binding),
		cmocka_unit_test(test_a_late_expiry_of_a_reused_flow_id_is_ignored),
		cmocka_unit_test(test_churn_with_card_aging_stays_audited_and_leaks_no_id),
	};

	seed = gw_seed(argc, argv);
	return cmocka_run_group_tests_name("aging", tests, NULL, NULL);
}
