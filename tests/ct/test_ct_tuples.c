/*
 * test_ct_tuples.c - NAT binding allocation: Linux's choices on fixed cases,
 * then a property test under random churn: no two live connections ever
 * share a key, every binding stays in its range, a refused binding really
 * had no free tuple, and nothing is left after all connections end.
 *
 * Usage: test_ct_tuples [SEED]   (the seed is printed; CTNIC_SEED works too)
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
#include "ct/ctnic_tuples.h"

static uint64_t seed;

static struct ctnic_nat_range range(uint32_t a0, uint32_t a1, uint16_t p0, uint16_t p1)
{
	struct ctnic_nat_range r = { .min_addr = a0, .max_addr = a1, .map_ips = a0 != 0,
				     .min_port = p0, .max_port = p1, .map_ports = p0 != 0 };

	return r;
}

/* The tuple the original direction leaves with. */
static struct ctnic_key out_of(const struct ctnic_key *reply)
{
	return ctnic_tuple_invert(reply);
}

static struct ctnic_tuples *mk(uint32_t n)
{
	char err[256];
	struct ctnic_tuples *t = ctnic_tuples_create(n, seed, err, sizeof(err));

	if (!t)
		fail_msg("%s", err);
	return t;
}

static struct ctnic_key add_ok(struct ctnic_tuples *t, struct ctnic_key orig,
			       const struct ctnic_nat_range *dnat, const struct ctnic_nat_range *snat)
{
	struct ctnic_key rep;
	char err[256];

	if (ctnic_tuples_add(t, &orig, dnat, snat, 7, &rep, err, sizeof(err)))
		fail_msg("%s", err);
	return out_of(&rep);
}

static void test_snat_keeps_original_port_when_free(void **state)
{
	struct ctnic_tuples *t = mk(16);
	struct ctnic_nat_range r = range(IP(203, 0, 113, 10), IP(203, 0, 113, 10), 0, 0);
	struct ctnic_key o;

	(void)state;
	o = add_ok(t, key(6, IP(192, 0, 2, 5), 40000, IP(198, 51, 100, 1), 80), NULL, &r);
	assert_int_equal(o.saddr, IP(203, 0, 113, 10));
	assert_int_equal(o.sport, 40000);
	/* Another client, same port, same server: the reply would clash; the port moves. */
	o = add_ok(t, key(6, IP(192, 0, 2, 6), 40000, IP(198, 51, 100, 1), 80), NULL, &r);
	assert_int_equal(o.saddr, IP(203, 0, 113, 10));
	assert_int_not_equal(o.sport, 40000);
	assert_true(o.sport >= 1024);
	/* The same client endpoint to another server reuses that mapping (Linux's find_appropriate_src). */
	assert_int_equal(add_ok(t, key(6, IP(192, 0, 2, 6), 40000, IP(198, 51, 100, 2), 80), NULL,
				&r).sport, o.sport);
	/* A third client's port 40000 to that server is free there: kept. */
	o = add_ok(t, key(6, IP(192, 0, 2, 7), 40000, IP(198, 51, 100, 2), 80), NULL, &r);
	assert_int_equal(o.sport, 40000);
	/* A privileged source port stays privileged (Linux's 600-1023 class). */
	add_ok(t, key(17, IP(192, 0, 2, 5), 700, IP(198, 51, 100, 1), 53), NULL, &r);
	o = add_ok(t, key(17, IP(192, 0, 2, 6), 700, IP(198, 51, 100, 1), 53), NULL, &r);
	assert_true(o.sport >= 600 && o.sport <= 1023 && o.sport != 700);
	ctnic_tuples_destroy(t);
}

static void test_address_is_sticky_per_client_and_persistent_per_source(void **state)
{
	struct ctnic_tuples *t = mk(256);
	struct ctnic_nat_range r = range(IP(203, 0, 113, 10), IP(203, 0, 113, 17), 0, 0);
	struct ctnic_nat_range rp = r;
	uint32_t first, seen = 0;

	(void)state;
	rp.persistent = true;
	/* Same client and server: always the same address. */
	first = add_ok(t, key(6, IP(192, 0, 2, 5), 1000, IP(198, 51, 100, 1), 80), NULL, &r).saddr;
	for (uint16_t p = 1001; p < 1020; p++)
		assert_int_equal(add_ok(t, key(6, IP(192, 0, 2, 5), p, IP(198, 51, 100, 1), 80),
					NULL, &r).saddr, first);
	/* --persistent: the same address whatever the server (new source ports each). */
	first = add_ok(t, key(6, IP(192, 0, 2, 9), 1000, IP(198, 51, 100, 1), 80), NULL, &rp).saddr;
	for (uint32_t d = 2; d < 40; d++)
		assert_int_equal(add_ok(t, key(6, IP(192, 0, 2, 9), (uint16_t)(1000 + d),
					       IP(198, 51, 100, d), 80), NULL, &rp).saddr, first);
	/* Without it, servers spread a client over the range. */
	for (uint32_t d = 2; d < 40; d++)
		seen |= 1u << (add_ok(t, key(6, IP(192, 0, 2, 10), (uint16_t)(1000 + d),
					    IP(198, 51, 100, d), 80), NULL, &r).saddr -
			       IP(203, 0, 113, 10));
	assert_true(__builtin_popcount(seen) > 1);
	ctnic_tuples_destroy(t);
}

static void test_same_source_reuses_its_mapping(void **state)
{
	struct ctnic_tuples *t = mk(16);
	struct ctnic_nat_range r = range(IP(203, 0, 113, 10), IP(203, 0, 113, 10), 2000, 2010);
	struct ctnic_key a, b;

	(void)state;
	/* Port 5000 is outside the range, so the first binding picks one ... */
	a = add_ok(t, key(17, IP(192, 0, 2, 5), 5000, IP(198, 51, 100, 1), 3478), NULL, &r);
	assert_true(a.sport >= 2000 && a.sport <= 2010);
	/* ... and the same inside endpoint gets the same outside one elsewhere. */
	b = add_ok(t, key(17, IP(192, 0, 2, 5), 5000, IP(198, 51, 100, 2), 3478), NULL, &r);
	assert_int_equal(b.saddr, a.saddr);
	assert_int_equal(b.sport, a.sport);
	ctnic_tuples_destroy(t);
}

static void test_dnat_keeps_port_without_range_and_release_frees(void **state)
{
	struct ctnic_tuples *t = mk(4);
	struct ctnic_nat_range d = range(IP(198, 51, 100, 50), IP(198, 51, 100, 50), 0, 0);
	struct ctnic_nat_range s = range(IP(203, 0, 113, 10), IP(203, 0, 113, 10), 7000, 7000);
	struct ctnic_key o, orig = key(6, IP(192, 0, 2, 5), 1000, IP(203, 0, 113, 1), 443);
	struct ctnic_key orig2 = key(6, IP(192, 0, 2, 6), 1000, IP(203, 0, 113, 1), 443);
	enum ctnic_dir dir;
	uint32_t cookie;
	char err[256];

	(void)state;
	o = add_ok(t, orig, &d, &s);
	assert_int_equal(o.daddr, IP(198, 51, 100, 50));
	assert_int_equal(o.dport, 443);
	assert_int_equal(o.saddr, IP(203, 0, 113, 10));
	assert_int_equal(o.sport, 7000);
	assert_true(ctnic_tuples_lookup(t, &orig, &cookie, &dir, NULL, NULL));
	assert_int_equal(dir, CTNIC_DIR_ORIGINAL);
	assert_int_equal(cookie, 7);
	o = ctnic_tuple_invert(&o);
	assert_true(ctnic_tuples_lookup(t, &o, NULL, &dir, NULL, NULL));
	assert_int_equal(dir, CTNIC_DIR_REPLY);
	/* A one-port SNAT range is full with one connection to this server ... */
	assert_int_equal(ctnic_tuples_add(t, &orig2, &d, &s, 8, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "SNAT: no free tuple for tcp 192.0.2.6:1000 -> 203.0.113.1:443"));
	assert_int_equal(ctnic_tuples_count(t), 1);
	/* ... the same original tuple twice is refused ... */
	assert_int_equal(ctnic_tuples_add(t, &orig, NULL, NULL, 8, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already a live connection's key"));
	/* ... and its release frees the tuple. */
	assert_int_equal(ctnic_tuples_remove(t, &orig), 0);
	assert_int_equal(ctnic_tuples_remove(t, &orig), -1);
	assert_false(ctnic_tuples_used(t, &o));
	add_ok(t, orig2, &d, &s);
	ctnic_tuples_destroy(t);
}

static void test_icmp_echo_id_is_the_port(void **state)
{
	struct ctnic_tuples *t = mk(4);
	struct ctnic_nat_range r = range(IP(203, 0, 113, 10), IP(203, 0, 113, 10), 0, 0);
	struct ctnic_key a, b;

	(void)state;
	a = add_ok(t, key(1, IP(192, 0, 2, 5), 77, IP(198, 51, 100, 1), 0), NULL, &r);
	b = add_ok(t, key(1, IP(192, 0, 2, 6), 77, IP(198, 51, 100, 1), 0), NULL, &r);
	assert_int_equal(a.sport, 77);
	assert_int_not_equal(b.sport, 77);
	assert_int_equal(b.dport, 0);
	ctnic_tuples_destroy(t);
}

static void test_icmp_error_quote_finds_its_connection(void **state)
{
	struct ctnic_tuples *t = mk(4);
	struct ctnic_nat_range r = range(IP(203, 0, 113, 10), IP(203, 0, 113, 10), 0, 0);
	struct ctnic_key orig = key(17, IP(192, 0, 2, 5), 5000, IP(198, 51, 100, 1), 53);
	struct ctnic_key out = add_ok(t, orig, NULL, &r), fixed;
	enum ctnic_dir dir;

	(void)state;
	/* A router beyond answers "unreachable", quoting the packet as it left us. */
	assert_true(ctnic_tuples_icmp_inner(t, &out, NULL, &dir, &fixed));
	assert_int_equal(dir, CTNIC_DIR_REPLY);
	assert_true(ctnic_key_equal(&fixed, &orig)); /* the client sees its own packet quoted */
	/* The client's stack quoting a reply that reached it. */
	fixed = ctnic_tuple_invert(&orig);
	assert_true(ctnic_tuples_icmp_inner(t, &fixed, NULL, &dir, &fixed));
	assert_int_equal(dir, CTNIC_DIR_ORIGINAL);
	assert_int_equal(fixed.daddr, IP(203, 0, 113, 10));
	out.sport++;
	assert_false(ctnic_tuples_icmp_inner(t, &out, NULL, NULL, NULL));
	ctnic_tuples_destroy(t);
}

/* ---- the property test ---- */

#define MAXC 192
#define STEPS 20000

struct live {
	struct ctnic_key orig, reply;
	int kind;
};

static uint64_t rs;

static uint32_t rr(uint32_t n)
{
	return ct_rand(&rs, n);
}

static bool keq(const struct ctnic_key *a, const struct ctnic_key *b)
{
	return ctnic_key_equal(a, b);
}

/* NAT kinds: 0 none, 1 SNAT tiny range, 2 MASQUERADE-like, 3 DNAT range, 4 DNAT+SNAT. */
static void kind_ranges(int kind, const struct ctnic_nat_range **d, const struct ctnic_nat_range **s)
{
	static struct ctnic_nat_range snat, masq, dnat;

	/* Small on purpose, so that churn fills them. */
	snat = range(IP(203, 0, 113, 10), IP(203, 0, 113, 11), 1024, 1025);
	masq = range(IP(203, 0, 113, 1), IP(203, 0, 113, 1), 0, 0);
	dnat = range(IP(198, 51, 100, 50), IP(198, 51, 100, 50), 8080, 8081);
	*d = (kind == 3 || kind == 4) ? &dnat : NULL;
	*s = kind == 1 || kind == 4 ? &snat : kind == 2 ? &masq : NULL;
}

static bool in_r(uint32_t a, uint16_t p, const struct ctnic_nat_range *r, uint8_t proto)
{
	if (r->map_ips && (a < r->min_addr || a > r->max_addr))
		return false;
	return !r->map_ports || proto == 1 || (p >= r->min_port && p <= r->max_port);
}

static bool model_used(const struct live *l, int n, const struct ctnic_key *k)
{
	for (int i = 0; i < n; i++)
		if (keq(&l[i].orig, k) || keq(&l[i].reply, k))
			return true;
	return false;
}

/* A refused single-manip SNAT/DNAT: was every candidate really a live key? */
static void assert_range_full(const struct live *l, int n, const struct ctnic_key *orig,
			      const struct ctnic_nat_range *r, bool src)
{
	for (uint32_t a = r->min_addr; a <= r->max_addr; a++)
		for (uint32_t p = r->min_port; p <= r->max_port; p++) {
			struct ctnic_key c = *orig, rep;

			if (src) {
				c.saddr = a;
				c.sport = (uint16_t)p;
			} else {
				c.daddr = a;
				if (c.proto == 1)
					c.sport = (uint16_t)p;
				else
					c.dport = (uint16_t)p;
			}
			rep = ctnic_tuple_invert(&c);
			if (!model_used(l, n, &rep) && !keq(&rep, orig))
				fail_msg("refused, but %u.%u:%u was free", a >> 8 & 255, a & 255, p);
		}
}

static void check_all(const struct ctnic_tuples *t, const struct live *l, int n)
{
	assert_int_equal(ctnic_tuples_count(t), n);
	for (int i = 0; i < n; i++) {
		enum ctnic_dir dir;
		struct ctnic_key o, r;

		assert_true(ctnic_tuples_lookup(t, &l[i].orig, NULL, &dir, &o, &r));
		assert_int_equal(dir, CTNIC_DIR_ORIGINAL);
		assert_true(keq(&r, &l[i].reply));
		assert_true(ctnic_tuples_lookup(t, &l[i].reply, NULL, &dir, &o, NULL));
		assert_int_equal(dir, CTNIC_DIR_REPLY);
		assert_true(keq(&o, &l[i].orig));
	}
}

static struct ctnic_key random_orig(const struct live *l, int n)
{
	static const uint8_t protos[] = { 6, 17, 1 };
	uint8_t proto = protos[rr(3)];
	struct ctnic_key k;

	/* Sometimes a packet from outside to a tuple that is someone's reply. */
	if (n && rr(10) == 0)
		return l[rr((uint32_t)n)].reply;
	if (rr(8) == 0) /* outside to the SNAT range: keys SNAT must avoid */
		return key(proto, IP(198, 51, 100, 1 + rr(2)), (uint16_t)(80 + rr(2)),
			   IP(203, 0, 113, 10 + rr(2)), proto == 1 ? 0 : (uint16_t)(1024 + rr(2)));
	k = key(proto, IP(192, 0, 2, 1 + rr(3)), (uint16_t)(1000 + rr(4)),
		IP(198, 51, 100, 1 + rr(2)), (uint16_t)(80 + rr(2)));
	if (proto == 1)
		k.dport = 0;
	return k;
}

static void test_churn_never_shares_a_tuple_and_leaks_nothing(void **state)
{
	static struct live l[MAXC];
	struct ctnic_tuples *t = mk(MAXC);
	int n = 0, added = 0, refused = 0;
	char err[256];

	(void)state;
	rs = seed ? seed : 1;
	for (int step = 0; step < STEPS; step++) {
		if (n && (rr(100) < 40 || n == MAXC)) {
			int i = (int)rr((uint32_t)n);

			assert_int_equal(ctnic_tuples_remove(t, &l[i].orig), 0);
			assert_false(ctnic_tuples_used(t, &l[i].orig));
			l[i] = l[--n];
		} else {
			struct ctnic_key orig = random_orig(l, n), rep, out;
			int kind = (int)rr(5);
			const struct ctnic_nat_range *d, *s;
			int rc;

			if (orig.proto == 1 && kind >= 3)
				kind = 1; /* no port DNAT for ICMP (the parser refuses it) */
			kind_ranges(kind, &d, &s);
			rc = ctnic_tuples_add(t, &orig, d, s, (uint32_t)step, &rep, err, sizeof(err));
			if (model_used(l, n, &orig)) {
				assert_int_equal(rc, -1); /* an existing key is never a new connection */
				continue;
			}
			if (rc) {
				refused++;
				if (kind == 1)
					assert_range_full(l, n, &orig, s, true);
				if (kind == 3)
					assert_range_full(l, n, &orig, d, false);
				if (kind == 0 || kind == 2)
					fail_msg("step %d: unexpected refusal: %s", step, err);
				continue;
			}
			/* The new keys clash with nobody and with each other not at all. */
			assert_false(model_used(l, n, &rep));
			assert_false(keq(&rep, &orig));
			out = ctnic_tuple_invert(&rep);
			if (d)
				assert_true(in_r(out.daddr, out.dport, d, orig.proto));
			else
				assert_int_equal(out.daddr, orig.daddr);
			if (s)
				assert_true(in_r(out.saddr, out.sport, s, orig.proto));
			else
				assert_int_equal(out.saddr, orig.saddr);
			if (!s && !(d && orig.proto == 1))
				assert_int_equal(out.sport, orig.sport);
			if (!d && orig.proto != 1)
				assert_int_equal(out.dport, orig.dport);
			l[n].orig = orig;
			l[n].reply = rep;
			l[n].kind = kind;
			n++;
			added++;
		}
		if (step % 64 == 0)
			check_all(t, l, n);
	}
	check_all(t, l, n);
	printf("# churn: %d bindings made, %d refused as full, %d live at the end\n",
	       added, refused, n);
	assert_true(added > STEPS / 4);
	while (n) {
		assert_int_equal(ctnic_tuples_remove(t, &l[n - 1].orig), 0);
		n--;
		assert_false(ctnic_tuples_used(t, &l[n].reply));
	}
	assert_int_equal(ctnic_tuples_count(t), 0);
	ctnic_tuples_destroy(t);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snat_keeps_original_port_when_free),
		cmocka_unit_test(test_address_is_sticky_per_client_and_persistent_per_source),
		cmocka_unit_test(test_same_source_reuses_its_mapping),
		cmocka_unit_test(test_dnat_keeps_port_without_range_and_release_frees),
		cmocka_unit_test(test_icmp_echo_id_is_the_port),
		cmocka_unit_test(test_icmp_error_quote_finds_its_connection),
		cmocka_unit_test(test_churn_never_shares_a_tuple_and_leaks_nothing),
	};

	seed = ct_test_seed(argc, argv);
	return cmocka_run_group_tests_name("ct_tuples", tests, NULL, NULL);
}
