/*
 * test_ct_linger.c - the linger memory: a late FIN of a closed connection,
 * from either side, finds the binding it had; entries are bounded in number
 * and time; and a seeded random run against a plain list as the model.
 *
 * Usage: test_ct_linger [SEED]   (the seed is printed; CTNIC_SEED works too)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ct_test.h"
#include "ct/ctnic_linger.h"
#include "ct/ctnic_tuples.h"

static uint64_t seed;

static struct ctnic_linger *mk(uint32_t n, uint64_t t)
{
	char err[256];
	struct ctnic_linger *l = ctnic_linger_create(n, t, err, sizeof(err));

	if (!l)
		fail_msg("%s", err);
	return l;
}

static bool keq(const struct ctnic_key *a, const struct ctnic_key *b)
{
	return ctnic_key_equal(a, b);
}

/* design.md's REDIRECT: client 192.0.2.10:40000 -> server 198.51.100.20:80, to the proxy on 192.0.2.1:80. */
static const struct ctnic_key story_orig = { IP(192, 0, 2, 10), IP(198, 51, 100, 20), 40000, 80, 6 };
static const struct ctnic_key story_reply = { IP(192, 0, 2, 1), IP(192, 0, 2, 10), 80, 40000, 6 };

static void test_fin_after_expiry_is_translated_by_linger(void **state)
{
	struct ctnic_linger *l = mk(16, 120000);
	struct ctnic_linger_entry e;
	enum ctnic_dir dir;
	struct ctnic_key out;
	struct ctnic_key back = ctnic_tuple_invert(&story_reply);

	(void)state;
	/* CLOSE_WAIT timed out at tick 1000: the binding lingers. */
	ctnic_linger_add(l, &story_orig, &story_reply, 42, 1000);
	/* The client's late FIN, two minutes on, still goes to the proxy. */
	assert_true(ctnic_linger_lookup(l, &story_orig, 1000 + 119999, &e, &dir));
	assert_int_equal(dir, CTNIC_DIR_ORIGINAL);
	assert_int_equal(e.cookie, 42);
	out = ctnic_linger_translate(&e, dir);
	assert_true(keq(&out, &back));
	assert_int_equal(out.daddr, IP(192, 0, 2, 1));
	/* The proxy's late FIN goes back as if from the server. */
	assert_true(ctnic_linger_lookup(l, &story_reply, 2000, &e, &dir));
	assert_int_equal(dir, CTNIC_DIR_REPLY);
	out = ctnic_linger_translate(&e, dir);
	assert_int_equal(out.saddr, IP(198, 51, 100, 20));
	assert_int_equal(out.sport, 80);
	assert_int_equal(out.daddr, IP(192, 0, 2, 10));
	/* After the linger time it is gone. */
	assert_false(ctnic_linger_lookup(l, &story_orig, 1000 + 120000, NULL, NULL));
	assert_false(ctnic_linger_lookup(l, &story_reply, 1000 + 120000, NULL, NULL));
	assert_int_equal(ctnic_linger_count(l), 1);
	assert_int_equal(ctnic_linger_expire(l, 1000 + 119999), 0);
	assert_int_equal(ctnic_linger_expire(l, 1000 + 120000), 1);
	assert_int_equal(ctnic_linger_count(l), 0);
	ctnic_linger_destroy(l);
}

static void test_unrelated_tuple_is_not_found(void **state)
{
	struct ctnic_linger *l = mk(16, 100);
	struct ctnic_key other = story_orig;

	(void)state;
	ctnic_linger_add(l, &story_orig, &story_reply, 1, 0);
	other.sport++;
	assert_false(ctnic_linger_lookup(l, &other, 1, NULL, NULL));
	other = ctnic_tuple_invert(&story_orig); /* the server's real address: not a key */
	assert_false(ctnic_linger_lookup(l, &other, 1, NULL, NULL));
	ctnic_linger_destroy(l);
}

static void test_bounded_entries_evict_oldest_first(void **state)
{
	struct ctnic_linger *l = mk(4, 1000);
	struct ctnic_key o[6], r[6];

	(void)state;
	for (int i = 0; i < 6; i++) {
		o[i] = key(17, IP(192, 0, 2, 10), (uint16_t)(5000 + i), IP(198, 51, 100, 1), 53);
		r[i] = key(17, IP(198, 51, 100, 1), 53, IP(203, 0, 113, 1), (uint16_t)(6000 + i));
		ctnic_linger_add(l, &o[i], &r[i], (uint32_t)i, (uint64_t)i);
	}
	assert_int_equal(ctnic_linger_count(l), 4);
	assert_int_equal(ctnic_linger_evicted(l), 2);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(ctnic_linger_lookup(l, &o[i], 10, NULL, NULL), i >= 2);
		assert_int_equal(ctnic_linger_lookup(l, &r[i], 10, NULL, NULL), i >= 2);
	}
	ctnic_linger_destroy(l);
}

static void test_newer_binding_shadows_and_forget_removes(void **state)
{
	struct ctnic_linger *l = mk(8, 100);
	struct ctnic_key r2 = story_reply;
	struct ctnic_linger_entry e;

	(void)state;
	ctnic_linger_add(l, &story_orig, &story_reply, 1, 0);
	r2.saddr = IP(192, 0, 2, 2);
	ctnic_linger_add(l, &story_orig, &r2, 2, 10);
	assert_true(ctnic_linger_lookup(l, &story_orig, 50, &e, NULL));
	assert_int_equal(e.cookie, 2);
	assert_true(ctnic_linger_lookup(l, &story_reply, 50, &e, NULL));
	assert_int_equal(e.cookie, 1);
	/* A new live connection took the tuple: forget both. */
	assert_int_equal(ctnic_linger_forget(l, &story_orig), 2);
	assert_false(ctnic_linger_lookup(l, &story_orig, 50, NULL, NULL));
	assert_false(ctnic_linger_lookup(l, &story_reply, 50, NULL, NULL));
	assert_int_equal(ctnic_linger_count(l), 0);
	assert_int_equal(ctnic_linger_expire(l, 1000), 0);
	ctnic_linger_destroy(l);
}

static void test_zero_size_or_time_remembers_nothing(void **state)
{
	struct ctnic_linger *a = mk(0, 100), *b = mk(8, 0);

	(void)state;
	ctnic_linger_add(a, &story_orig, &story_reply, 1, 0);
	ctnic_linger_add(b, &story_orig, &story_reply, 1, 0);
	assert_false(ctnic_linger_lookup(a, &story_orig, 0, NULL, NULL));
	assert_false(ctnic_linger_lookup(b, &story_orig, 0, NULL, NULL));
	assert_int_equal(ctnic_linger_count(a) + ctnic_linger_count(b), 0);
	ctnic_linger_destroy(a);
	ctnic_linger_destroy(b);
}

#define CAP 32
#define STEPS 20000

struct rec {
	struct ctnic_key o, r;
	uint64_t end;
	uint32_t cookie;
	bool forgotten;
};

static uint64_t rs;

static uint32_t rr(uint32_t n)
{
	return ct_rand(&rs, n);
}

static void test_random_adds_lookups_expiry_match_a_plain_model(void **state)
{
	static struct rec h[STEPS];
	const uint64_t T = 50;
	struct ctnic_linger *l = mk(CAP, T);
	int n = 0;
	uint64_t now = 0;

	(void)state;
	rs = seed ? seed : 1;
	for (int step = 0; step < STEPS; step++) {
		struct ctnic_key k = key(6, IP(192, 0, 2, 1 + rr(4)), (uint16_t)(1000 + rr(8)),
					 IP(198, 51, 100, 1), 80);
		struct ctnic_linger_entry e;
		enum ctnic_dir dir;
		int want = -1;
		bool reply = rr(2);

		now += rr(3);
		switch (rr(4)) {
		case 0:
		case 1:
			h[n].o = k;
			h[n].r = key(6, IP(198, 51, 100, 1), 80, IP(203, 0, 113, 1), (uint16_t)(2000 + rr(40)));
			h[n].end = now;
			h[n].cookie = (uint32_t)n;
			h[n].forgotten = false;
			ctnic_linger_add(l, &h[n].o, &h[n].r, h[n].cookie, now);
			n++;
			break;
		case 2:
			if (rr(8) == 0) {
				for (int i = 0; i < n; i++)
					if (keq(&h[i].o, &k))
						h[i].forgotten = true;
				ctnic_linger_forget(l, &k);
			} else {
				ctnic_linger_expire(l, now);
			}
			break;
		default:
			/* The model: the newest of the last CAP adds with this key decides. */
			if (reply && n)
				k = h[rr((uint32_t)n)].r;
			for (int i = n - 1; i >= 0 && i >= n - CAP; i--)
				if (keq(reply ? &h[i].r : &h[i].o, &k)) {
					want = (h[i].forgotten || h[i].end + T <= now) ? -1 : i;
					/* an older entry is only used when the newer was forgotten */
					if (h[i].forgotten)
						continue;
					break;
				}
			if (want < 0) {
				assert_false(ctnic_linger_lookup(l, &k, now, &e, &dir));
			} else {
				assert_true(ctnic_linger_lookup(l, &k, now, &e, &dir));
				assert_int_equal(e.cookie, h[want].cookie);
				assert_int_equal(dir, reply ? CTNIC_DIR_REPLY : CTNIC_DIR_ORIGINAL);
			}
		}
		assert_true(ctnic_linger_count(l) <= CAP);
	}
	printf("# linger: %d adds, %llu evicted while live\n", n,
	       (unsigned long long)ctnic_linger_evicted(l));
	ctnic_linger_expire(l, now + T);
	assert_int_equal(ctnic_linger_count(l), 0);
	ctnic_linger_destroy(l);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fin_after_expiry_is_translated_by_linger),
		cmocka_unit_test(test_unrelated_tuple_is_not_found),
		cmocka_unit_test(test_bounded_entries_evict_oldest_first),
		cmocka_unit_test(test_newer_binding_shadows_and_forget_removes),
		cmocka_unit_test(test_zero_size_or_time_remembers_nothing),
		cmocka_unit_test(test_random_adds_lookups_expiry_match_a_plain_model),
	};

	seed = ct_test_seed(argc, argv);
	return cmocka_run_group_tests_name("ct_linger", tests, NULL, NULL);
}
