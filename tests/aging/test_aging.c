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
#include "card_cases.h"
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

/* ---- the card alone: its command and event rings (card_cases.c) ---------------- */

static void on_model(int (*fn)(struct aging_card *), unsigned ev_log2)
{
	struct aging_card c = { 0 };
	struct ctnic_dev *dev;
	char err[CTNIC_ERR_LEN];

	assert_int_equal(ctnic_open(&dev, "model:flows=256,buckets=64", err, sizeof(err)), 0);
	if (aging_card_open(&c, dev, ev_log2) < 0)
		fail_msg("%s", c.why);
	if (fn(&c) < 0)
		fail_msg("%s", c.why);
	aging_card_close(&c);
	ctnic_close(dev);
}

static void test_each_class_expires_at_its_timeout_not_a_tick_earlier(void **state)
{
	(void)state;
	on_model(aging_case_per_class, 6);
}

static void test_a_full_event_ring_holds_the_scanner_and_loses_nothing(void **state)
{
	(void)state;
	on_model(aging_case_full_ring, 2); /* 4 event slots */
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

static void test_churn_with_card_aging_stays_audited_and_leaks_no_id(void **state)
{
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
		uint32_t what;

		c.c_port = c.c_port_out = (uint16_t)(20000 + churn_rnd(&s, 3000));
		what = churn_rnd(&s, 12);
		if (what == 0)
			card_time(&g, churn_rnd(&s, 40));
		else
			churn_packet(&g, &c, what <= 6, &s);
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
