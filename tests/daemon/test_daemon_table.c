/*
 * test_daemon_table.c - the card's table as the daemon keeps it: key
 * placement with cuckoo moves (seeded: `test_daemon_table SEED` replays),
 * where the moves, applied in order to a copy of the card's slots, keep
 * every key in one of its two candidate buckets and never in two slots at
 * once; and a restarted daemon that reads the card's table back and carries
 * on with the connections it finds there.
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
#include "place.h"

#define SYN 0x02
#define ACK 0x10
#define FIN 0x01
#define PSH 0x08

static uint64_t seed;

#define NKEYS 512u

struct keys {
	struct ctnic_key k[NKEYS];
};

/* Where key i may live: the two candidate buckets. */
static bool in_candidates(const struct ctnicd_place *p, const struct ctnic_key *k, uint32_t slot)
{
	uint32_t h = ctnic_key_hash(k);

	for (unsigned st = 0; st < 2; st++) {
		uint32_t base = ctnic_slot(st, ctnic_bucket(h, st, p->buckets), 0, p->buckets, p->ways);

		if (slot >= base && slot < base + p->ways)
			return true;
	}
	return false;
}

static void test_cuckoo_moves_keep_every_key_findable(void **state)
{
	struct ctnicd_place p;
	struct keys *ks = calloc(1, sizeof(*ks));
	uint32_t card[64], where[NKEYS];
	uint64_t s = seed;
	unsigned placed = 0, moves = 0;
	char err[128];

	(void)state;
	assert_int_equal(ctnicd_place_init(&p, 8, 4, err, sizeof(err)), 0); /* 64 slots */
	memset(card, 0, sizeof(card));
	for (unsigned i = 0; i < NKEYS; i++) {
		struct ctnicd_move mv[CTNICD_PLACE_DEPTH];
		unsigned n;
		uint32_t slot;

		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		ks->k[i] = (struct ctnic_key){ .saddr = (uint32_t)s, .daddr = (uint32_t)(s >> 32), .sport = (uint16_t)i,
					       .dport = 80, .proto = 6 };
		if (ctnicd_place_add(&p, &ks->k[i], CTNICD_REF(i, 0), mv, &n, &slot) < 0)
			break;
		/* The card sees each move as a delete, then a write; then the new key. */
		for (unsigned m = 0; m < n; m++) {
			assert_int_equal(card[mv[m].from], mv[m].ref);
			assert_int_equal(card[mv[m].to], 0);
			card[mv[m].from] = 0;
			card[mv[m].to] = mv[m].ref;
			where[CTNICD_REF_ID(mv[m].ref)] = mv[m].to;
		}
		assert_int_equal(card[slot], 0);
		card[slot] = CTNICD_REF(i, 0);
		where[i] = slot;
		moves += n;
		placed++;
		for (unsigned j = 0; j < placed; j++) {
			assert_int_equal(card[where[j]], CTNICD_REF(j, 0));
			assert_true(in_candidates(&p, &ks->k[j], where[j]));
		}
		assert_memory_equal(card, p.ref, sizeof(card));
	}
	printf("# %u of 64 slots filled before the first refusal, %u cuckoo moves\n", placed, moves);
	assert_true(placed >= 48); /* 75 %: two 4-way choices fill far beyond one bucket's luck */
	assert_true(moves > 0);
	ctnicd_place_fini(&p);
	free(ks);
}

/* A new core on the same card finds the connection, its binding and state, and carries on. */
static void test_restarted_daemon_reads_the_card_back(void **state)
{
	const struct nat_case *k = &nat_cases[0]; /* DNAT */
	struct ctnic_conf *conf;
	char err[512], text[2048];
	uint32_t n = 0, id = 0;
	struct gw g;

	(void)state;
	case_open(&g, k, "");
	c2s(&g, k, SYN);
	s2c(&g, k, SYN | ACK);
	c2s(&g, k, ACK);
	/* The daemon goes; the card keeps forwarding. A stray key (its flow record not valid) is left behind. */
	ctnicd_core_destroy(g.core);
	g.core = NULL;
	{
		struct ctnic_key_entry stray = { .valid = true, .flow_id = 500, .key = { 1, 2, 3, 4, 6 } };
		uint32_t h = ctnic_key_hash(&stray.key);

		assert_int_equal(ctnic_key_write(g.dev, ctnic_slot(1, ctnic_bucket(h, 1, 256), 3, 256, 4), &stray), 0);
	}
	snprintf(text, sizeof(text), GW_CONF_NET "%s", k->rules);
	assert_int_equal(ctnic_conf_parse(text, "test.conf", NULL, &conf, err, sizeof(err)), 0);
	if (ctnicd_core_create(&g.core, g.dev, conf, 2, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_equal(ctnicd_core_readback(g.core, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(g.core->conns.used, 1);
	assert_int_equal(g.core->place.used, 2);
	while (!(g.core->conns.c[id].flags & CTNICD_CONN_USED))
		id++;
	assert_int_equal(g.core->conns.c[id].tcp.state, CTNIC_TCP_ESTABLISHED);
	assert_true(g.core->conns.c[id].flags & CTNICD_CONN_IN_CARD);
	/* The stray key is gone; the daemon's table and the card's agree. */
	assert_int_equal(ctnicd_core_audit(g.core, NULL, NULL, &n), 0);
	assert_int_equal(n, 0);
	/* The rest of the connection, translated exactly. */
	c2s(&g, k, PSH | ACK);
	s2c(&g, k, FIN | ACK);
	c2s(&g, k, ACK);
	c2s(&g, k, FIN | ACK);
	s2c(&g, k, ACK);
	assert_int_equal(g.core->conns.c[id].tcp.state, CTNIC_TCP_TIME_WAIT);
	/* A second connection does not collide with the one read back. */
	{
		struct nat_case c2 = *k;

		c2.c_port = c2.c_port_out = 40100;
		c2s(&g, &c2, SYN);
		assert_int_equal(g.core->conns.used, 2);
	}
	assert_int_equal(g.leaks, 0);
	gw_close(&g);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cuckoo_moves_keep_every_key_findable),
		cmocka_unit_test(test_restarted_daemon_reads_the_card_back),
	};
	seed = gw_seed(argc, argv);
	return cmocka_run_group_tests_name("daemon_table", tests, NULL, NULL);
}
