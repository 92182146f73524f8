/*
 * test_daemon_churn.c - seeded churn through the daemon and a small model:
 * card (`test_daemon_churn SEED` replays): connections opened, answered,
 * closed, reset, timed out and their tuples reused in random order, with
 * a table so small that cuckoo moves, software-only connections and early
 * drop all happen. After every step no frame left with the hidden client
 * address, and at checkpoints the audit finds the daemon's table and the
 * card's equal.
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

static uint64_t seed;

static void print_diff(void *arg, const char *d)
{
	(void)arg;
	printf("# audit: %s\n", d);
}

static void audit_clean(struct gw *g, unsigned step)
{
	uint32_t n = 0;

	assert_int_equal(ctnicd_core_audit(g->core, print_diff, NULL, &n), 0);
	if (n)
		fail_msg("step %u: %u differences between the daemon's table and the card's", step, n);
}

static void test_churn_keeps_the_tables_equal_and_never_leaks(void **state)
{
	const struct nat_case *k = &nat_cases[1]; /* SNAT: 192.0.2.10 must never leave on the wan */
	uint64_t s = seed;
	struct nat_case c = *k;
	struct gw g;
	unsigned steps = 3000;

	(void)state;
	gw_open(&g, "model:flows=256,buckets=16",
		GW_CONF_NET "nf_conntrack_max = 48\nlinger-entries 64\nlinger-time 30\n"
		"nf_conntrack_tcp_timeout_close = 5\nnf_conntrack_tcp_timeout_syn_sent = 20\n" SNAT_RULES);
	gw_forbid(&g, 1, k->c_addr, true);
	gw_forbid(&g, 1, k->c_addr, false);
	for (unsigned i = 0; i < steps; i++) {
		uint32_t what;

		c.c_port = c.c_port_out = (uint16_t)(30000 + churn_rnd(&s, 200));
		what = churn_rnd(&s, 10);
		if (what == 0)
			gw_advance(&g, churn_rnd(&s, 30));
		else
			churn_packet(&g, &c, what <= 5, &s);
		gw_clear(&g);
		if (g.leaks)
			fail_msg("step %u: a frame left with the client's own address", i);
		if (i % 500 == 499)
			audit_clean(&g, i);
	}
	gw_advance(&g, 1000); /* what can time out does */
	audit_clean(&g, steps);
	printf("# %llu new, %llu ended (%llu expired, %llu early drops), %llu software-only, %llu cuckoo moves, "
	       "late: %llu translated %llu dropped\n",
	       (unsigned long long)g.core->st.conn_new, (unsigned long long)g.core->st.conn_end,
	       (unsigned long long)g.core->st.conn_expired, (unsigned long long)g.core->st.conn_early_drop,
	       (unsigned long long)g.core->st.install_no_slot, (unsigned long long)g.core->st.cuckoo_moves,
	       (unsigned long long)g.core->late.count[CTNIC_LATE_ACT_TRANSLATE],
	       (unsigned long long)g.core->late.count[CTNIC_LATE_ACT_DROP]);
	assert_int_equal(g.core->st.cmd_errors, 0);
	assert_true(g.core->st.conn_new > 100);
	assert_true(g.core->st.conn_end > 0);
	/* Nothing leaked in the tables either: every record's keys in the shadow, and only those. */
	{
		uint32_t in_card = 0;

		for (uint32_t id = 0; id < g.core->conns.cap; id++)
			in_card += (g.core->conns.c[id].flags & CTNICD_CONN_IN_CARD) != 0;
		assert_int_equal(g.core->place.used, 2 * in_card);
	}
	/* The audit sees a difference: a key the daemon never wrote. */
	{
		struct ctnic_key_entry e = { .valid = true, .flow_id = 7, .key = { 1, 2, 3, 4, 6 } };
		uint32_t slot = 0, n = 0;

		while (g.core->place.ref[slot])
			slot++;
		assert_int_equal(ctnic_key_write(g.dev, slot, &e), 0);
		assert_int_equal(ctnicd_core_audit(g.core, NULL, NULL, &n), 0);
		assert_int_equal(n, 1);
	}
	/* And a valid flow record at an id the daemon does not use; the audit leaves aging as it found it. */
	{
		struct ctnic_flow f = { .valid = true, .tclass = 4 };
		uint32_t id = 0, n = 0, before = 0, after = 0;

		while (g.core->conns.c[id].flags & CTNICD_CONN_USED)
			id++;
		assert_int_equal(ctnic_flow_write(g.dev, id, &f), 0);
		assert_int_equal(ctnic_csr_read(g.dev, CTNIC_REG_AGING_CTRL, &before), 0);
		assert_int_equal(ctnicd_core_audit(g.core, NULL, NULL, &n), 0);
		assert_int_equal(n, 2);
		assert_int_equal(ctnic_csr_read(g.dev, CTNIC_REG_AGING_CTRL, &after), 0);
		assert_int_equal(after, before);
	}
	gw_close(&g);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_churn_keeps_the_tables_equal_and_never_leaks),
	};

	seed = gw_seed(argc, argv);
	return cmocka_run_group_tests_name("daemon_churn", tests, NULL, NULL);
}
