/*
 * tuples.c - live connections' keys and collision-free NAT bindings
 * (ctnic_tuples.h), after Linux's nf_nat_core.c get_unique_tuple().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct/ct_util.h"
#include "ct/ctnic_tuples.h"

#define NIL UINT32_MAX
#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17

struct conn {
	struct ctnic_key k[2];   /* [0] original, [1] reply */
	uint32_t cookie;
	uint32_t next[2];        /* key index chains; next[0] links the free list */
	uint32_t src_next;       /* by-source chain (SNAT bindings) */
	bool snat;
};

struct ctnic_tuples {
	uint32_t max, count, free_head, mask;
	struct conn *c;
	uint32_t *heads;         /* key index: node = conn * 2 + dir */
	uint32_t *src_heads;     /* by original source (addr, port, proto) */
	uint64_t rng;
	uint32_t seed32;
};

bool ctnic_key_equal(const struct ctnic_key *a, const struct ctnic_key *b)
{
	return a->saddr == b->saddr && a->daddr == b->daddr && a->sport == b->sport &&
	       a->dport == b->dport && a->proto == b->proto;
}

struct ctnic_key ctnic_tuple_invert(const struct ctnic_key *k)
{
	struct ctnic_key r = { .saddr = k->daddr, .daddr = k->saddr, .proto = k->proto };

	if (k->proto == PROTO_ICMP) {
		r.sport = k->sport; /* echo identifier, both directions */
		r.dport = 0;
	} else {
		r.sport = k->dport;
		r.dport = k->sport;
	}
	return r;
}

static uint64_t rnd(struct ctnic_tuples *t)
{
	/* xorshift64*: cheap, reproducible from the seed. */
	t->rng ^= t->rng >> 12;
	t->rng ^= t->rng << 25;
	t->rng ^= t->rng >> 27;
	return t->rng * 0x2545f4914f6cdd1dull;
}

struct ctnic_tuples *ctnic_tuples_create(uint32_t max_conns, uint64_t seed,
					 char *err, size_t errlen)
{
	struct ctnic_tuples *t;
	uint32_t buckets = 16;

	if (max_conns == 0 || max_conns > (1u << 26)) {
		ctnic_ct_errf(err, errlen, "tuples: %u connections: give 1..%u", max_conns, 1u << 26);
		return NULL;
	}
	while (buckets < max_conns * 2u)
		buckets <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		goto nomem;
	t->c = calloc(max_conns, sizeof(*t->c));
	if (!t->c)
		goto fail_c;
	t->heads = malloc((size_t)buckets * sizeof(*t->heads));
	if (!t->heads)
		goto fail_heads;
	t->src_heads = malloc((size_t)buckets * sizeof(*t->src_heads));
	if (!t->src_heads)
		goto fail_src;
	memset(t->heads, 0xff, (size_t)buckets * sizeof(*t->heads));
	memset(t->src_heads, 0xff, (size_t)buckets * sizeof(*t->src_heads));
	t->max = max_conns;
	t->mask = buckets - 1;
	for (uint32_t i = 0; i < max_conns; i++)
		t->c[i].next[0] = i + 1 < max_conns ? i + 1 : NIL;
	t->free_head = 0;
	t->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
	t->seed32 = (uint32_t)(seed ^ (seed >> 32));
	return t;
fail_src:
	free(t->heads);
fail_heads:
	free(t->c);
fail_c:
	free(t);
nomem:
	ctnic_ct_errf(err, errlen, "tuples: out of memory for %u connections", max_conns);
	return NULL;
}

void ctnic_tuples_destroy(struct ctnic_tuples *t)
{
	if (!t)
		return;
	free(t->src_heads);
	free(t->heads);
	free(t->c);
	free(t);
}

static uint32_t find_node(const struct ctnic_tuples *t, const struct ctnic_key *k)
{
	uint32_t n = t->heads[ctnic_key_hash(k) & t->mask];

	while (n != NIL) {
		const struct conn *c = &t->c[n >> 1];

		if (ctnic_key_equal(&c->k[n & 1], k))
			return n;
		n = c->next[n & 1];
	}
	return NIL;
}

static struct ctnic_key src_key(const struct ctnic_key *orig)
{
	struct ctnic_key s = { .saddr = orig->saddr, .sport = orig->sport, .proto = orig->proto };

	return s;
}

bool ctnic_tuples_used(const struct ctnic_tuples *t, const struct ctnic_key *k)
{
	return find_node(t, k) != NIL;
}

uint32_t ctnic_tuples_count(const struct ctnic_tuples *t)
{
	return t->count;
}

bool ctnic_tuples_lookup(const struct ctnic_tuples *t, const struct ctnic_key *k,
			 uint32_t *cookie, enum ctnic_dir *dir,
			 struct ctnic_key *orig, struct ctnic_key *reply)
{
	uint32_t n = find_node(t, k);
	const struct conn *c;

	if (n == NIL)
		return false;
	c = &t->c[n >> 1];
	if (cookie)
		*cookie = c->cookie;
	if (dir)
		*dir = (enum ctnic_dir)(n & 1);
	if (orig)
		*orig = c->k[0];
	if (reply)
		*reply = c->k[1];
	return true;
}

/* A candidate translated tuple is taken when its reply key is anyone's key. */
static bool taken(const struct ctnic_tuples *t, const struct ctnic_key *tr,
		  const struct ctnic_key *orig)
{
	struct ctnic_key r = ctnic_tuple_invert(tr);

	return ctnic_key_equal(&r, orig) || find_node(t, &r) != NIL;
}

static bool has_ports(uint8_t proto)
{
	return proto == PROTO_TCP || proto == PROTO_UDP || proto == PROTO_ICMP;
}

/* The field a manip changes: ICMP's echo id for both, else sport or dport. */
static uint16_t *port_of(struct ctnic_key *k, enum ctnic_nat_manip m)
{
	return (k->proto == PROTO_ICMP || m == CTNIC_NAT_MANIP_SRC) ? &k->sport : &k->dport;
}

static uint32_t *addr_of(struct ctnic_key *k, enum ctnic_nat_manip m)
{
	return m == CTNIC_NAT_MANIP_SRC ? &k->saddr : &k->daddr;
}

static bool in_range(struct ctnic_key *k, enum ctnic_nat_manip m, const struct ctnic_nat_range *r)
{
	uint32_t a = *addr_of(k, m);
	uint16_t p = *port_of(k, m);

	if (r->map_ips && (a < r->min_addr || a > r->max_addr))
		return false;
	return !r->map_ports || !has_ports(k->proto) || (p >= r->min_port && p <= r->max_port);
}

/*
 * Linux's find_appropriate_src(): an existing SNAT binding of the same
 * original source (address, port, protocol) whose mapping is in this range;
 * reusing it keeps one outside identity per inside endpoint.
 */
static bool same_source(const struct ctnic_tuples *t, const struct ctnic_key *orig,
			const struct ctnic_nat_range *r, struct ctnic_key *tr)
{
	struct ctnic_key s = src_key(orig);
	uint32_t n = t->src_heads[ctnic_key_hash(&s) & t->mask];

	for (; n != NIL; n = t->c[n].src_next) {
		const struct conn *c = &t->c[n];
		struct ctnic_key cand = *tr;
		struct ctnic_key out = ctnic_tuple_invert(&c->k[1]); /* as it left */

		if (c->k[0].saddr != orig->saddr || c->k[0].sport != orig->sport ||
		    c->k[0].proto != orig->proto)
			continue;
		cand.saddr = out.saddr;
		cand.sport = out.sport;
		if (in_range(&cand, CTNIC_NAT_MANIP_SRC, r)) {
			*tr = cand;
			return true;
		}
	}
	return false;
}

/*
 * Linux's find_best_ips_proto(): the address from a hash of the source and
 * (unless --persistent) the destination, so a client keeps its address.
 */
static uint32_t best_addr_index(const struct ctnic_tuples *t, const struct ctnic_key *tr,
				const struct ctnic_nat_range *r)
{
	uint32_t buf[3] = { tr->saddr, r->persistent ? 0 : tr->daddr, t->seed32 };
	uint64_t n = (uint64_t)r->max_addr - r->min_addr + 1;

	return (uint32_t)(((uint64_t)ctnic_crc32c(buf, sizeof(buf)) * n) >> 32);
}

/*
 * The port range a manip may search (nf_nat_l4proto_unique_tuple): the
 * given one, else for SNAT the class of the original port (1-511, 600-1023,
 * 1024-65535) and any ICMP id; DNAT without ports cannot change the port.
 */
static bool port_space(const struct ctnic_key *tr, enum ctnic_nat_manip m,
		       const struct ctnic_nat_range *r, uint32_t *min, uint32_t *size)
{
	uint16_t p = tr->proto == PROTO_ICMP || m == CTNIC_NAT_MANIP_SRC ? tr->sport : tr->dport;

	if (!has_ports(tr->proto))
		return false;
	if (r->map_ports) {
		*min = r->min_port;
		*size = (uint32_t)r->max_port - r->min_port + 1;
	} else if (tr->proto == PROTO_ICMP) {
		*min = 0;
		*size = 65536;
	} else if (m == CTNIC_NAT_MANIP_DST) {
		return false;
	} else if (p < 512) {
		*min = 1;
		*size = 511;
	} else if (p < 1024) {
		*min = 600;
		*size = 424;
	} else {
		*min = 1024;
		*size = 65536 - 1024;
	}
	return true;
}

static int get_unique(struct ctnic_tuples *t, struct ctnic_key *tr, enum ctnic_nat_manip m,
		      const struct ctnic_nat_range *r, const struct ctnic_key *orig)
{
	struct ctnic_key cand;
	uint32_t naddr = r->map_ips ? r->max_addr - r->min_addr + 1 : 1;
	uint32_t a0 = 0;

	if (m == CTNIC_NAT_MANIP_SRC && !r->random_fully) {
		/* Try the tuple as it is first, then this source's mapping. */
		cand = *tr;
		if (in_range(&cand, m, r)) {
			if (!taken(t, &cand, orig))
				return 0;
		} else if (same_source(t, orig, r, &cand) && !taken(t, &cand, orig)) {
			*tr = cand;
			return 0;
		}
	}
	if (r->map_ips && naddr > 1)
		a0 = best_addr_index(t, tr, r);

	/* Every address of the range, the hashed one first. */
	for (uint32_t ai = 0; ai < naddr; ai++) {
		uint32_t min, size, off;

		cand = *tr;
		if (r->map_ips)
			*addr_of(&cand, m) = r->min_addr + (uint32_t)(((uint64_t)a0 + ai) % naddr);
		/* Keep the port when it is in range and free. */
		if (!r->random_fully && in_range(&cand, m, r) && !taken(t, &cand, orig)) {
			*tr = cand;
			return 0;
		}
		if (!port_space(&cand, m, r, &min, &size))
			continue;
		/* Random offset for SNAT and --random; DNAT searches from the bottom. */
		off = (r->random || r->random_fully || m == CTNIC_NAT_MANIP_SRC) ?
		      (uint32_t)(rnd(t) >> 32) : 0;
		for (uint32_t i = 0; i < size; i++) {
			*port_of(&cand, m) = (uint16_t)(min + (off + i) % size);
			if (!taken(t, &cand, orig)) {
				*tr = cand;
				return 0;
			}
		}
	}
	return -1;
}

static const char *proto_name(uint8_t p, char buf[8])
{
	if (p == PROTO_TCP)
		return "tcp";
	if (p == PROTO_UDP)
		return "udp";
	if (p == PROTO_ICMP)
		return "icmp";
	snprintf(buf, 8, "%u", p);
	return buf;
}

static void fmt_key(const struct ctnic_key *k, char *out, size_t len)
{
	char pb[8];

	snprintf(out, len, "%s %u.%u.%u.%u:%u -> %u.%u.%u.%u:%u", proto_name(k->proto, pb),
		 k->saddr >> 24, (k->saddr >> 16) & 255, (k->saddr >> 8) & 255, k->saddr & 255,
		 k->sport, k->daddr >> 24, (k->daddr >> 16) & 255, (k->daddr >> 8) & 255,
		 k->daddr & 255, k->dport);
}

static int range_full(const struct ctnic_nat_range *r, const char *what,
		      const struct ctnic_key *orig, char *err, size_t errlen)
{
	char ks[80];

	fmt_key(orig, ks, sizeof(ks));
	return ctnic_ct_errf(err, errlen, "%s: no free tuple for %s in %u.%u.%u.%u-%u.%u.%u.%u "
			     "ports %u-%u: every choice is a live connection's key; widen the "
			     "range", what, ks, r->min_addr >> 24, (r->min_addr >> 16) & 255,
			     (r->min_addr >> 8) & 255, r->min_addr & 255, r->max_addr >> 24,
			     (r->max_addr >> 16) & 255, (r->max_addr >> 8) & 255,
			     r->max_addr & 255, r->map_ports ? r->min_port : 0,
			     r->map_ports ? r->max_port : 65535);
}

static void link_key(struct ctnic_tuples *t, uint32_t i, unsigned d)
{
	uint32_t h = ctnic_key_hash(&t->c[i].k[d]) & t->mask;

	t->c[i].next[d] = t->heads[h];
	t->heads[h] = i * 2 + d;
}

static void unlink_key(struct ctnic_tuples *t, uint32_t i, unsigned d)
{
	uint32_t *p = &t->heads[ctnic_key_hash(&t->c[i].k[d]) & t->mask];

	while (*p != i * 2 + d)
		p = &t->c[*p >> 1].next[*p & 1];
	*p = t->c[i].next[d];
}

int ctnic_tuples_add(struct ctnic_tuples *t, const struct ctnic_key *orig,
		     const struct ctnic_nat_range *dnat, const struct ctnic_nat_range *snat,
		     uint32_t cookie, struct ctnic_key *reply, char *err, size_t errlen)
{
	struct ctnic_key tr = *orig, rep;
	char ks[80];
	uint32_t i;

	if (t->count == t->max) {
		fmt_key(orig, ks, sizeof(ks));
		return ctnic_ct_errf(err, errlen, "tuples: %s: table full (%u connections)",
				     ks, t->max);
	}
	if (find_node(t, orig) != NIL) {
		fmt_key(orig, ks, sizeof(ks));
		return ctnic_ct_errf(err, errlen, "tuples: %s is already a live connection's key",
				     ks);
	}
	if (dnat && get_unique(t, &tr, CTNIC_NAT_MANIP_DST, dnat, orig))
		return range_full(dnat, "DNAT", orig, err, errlen);
	if (snat && get_unique(t, &tr, CTNIC_NAT_MANIP_SRC, snat, orig))
		return range_full(snat, "SNAT", orig, err, errlen);
	if (!dnat && !snat && taken(t, &tr, orig)) {
		fmt_key(orig, ks, sizeof(ks));
		return ctnic_ct_errf(err, errlen, "tuples: %s: its reply tuple is a live "
				     "connection's key and no NAT may move it", ks);
	}
	rep = ctnic_tuple_invert(&tr);

	i = t->free_head;
	t->free_head = t->c[i].next[0];
	t->c[i].k[0] = *orig;
	t->c[i].k[1] = rep;
	t->c[i].cookie = cookie;
	t->c[i].snat = snat != NULL;
	link_key(t, i, 0);
	link_key(t, i, 1);
	if (snat) {
		struct ctnic_key s = src_key(orig);
		uint32_t h = ctnic_key_hash(&s) & t->mask;

		t->c[i].src_next = t->src_heads[h];
		t->src_heads[h] = i;
	}
	t->count++;
	if (reply)
		*reply = rep;
	return 0;
}

int ctnic_tuples_remove(struct ctnic_tuples *t, const struct ctnic_key *orig)
{
	uint32_t n = find_node(t, orig), i;

	if (n == NIL || (n & 1))
		return -1;
	i = n >> 1;
	unlink_key(t, i, 0);
	unlink_key(t, i, 1);
	if (t->c[i].snat) {
		struct ctnic_key s = src_key(orig);
		uint32_t *p = &t->src_heads[ctnic_key_hash(&s) & t->mask];

		while (*p != i)
			p = &t->c[*p].src_next;
		*p = t->c[i].src_next;
	}
	t->c[i].next[0] = t->free_head;
	t->free_head = i;
	t->count--;
	return 0;
}

bool ctnic_tuples_icmp_inner(const struct ctnic_tuples *t, const struct ctnic_key *inner,
			     uint32_t *cookie, enum ctnic_dir *dir, struct ctnic_key *inner_out)
{
	struct ctnic_key k = ctnic_tuple_invert(inner);
	uint32_t n = find_node(t, &k);
	const struct conn *c;

	if (n == NIL)
		return false;
	c = &t->c[n >> 1];
	if (cookie)
		*cookie = c->cookie;
	if (dir)
		*dir = (enum ctnic_dir)(n & 1);
	if (inner_out)
		*inner_out = c->k[!(n & 1)];
	return true;
}
