/*
 * place.c - key placement with cuckoo moves (place.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "place.h"

/* Breadth-first search nodes: a slot whose entry would move, and how we got there. */
#define QUEUE_MAX 512u

struct node {
	uint32_t slot;               /* an occupied slot whose key would move out */
	int parent;                  /* node whose key moves into this slot, -1: the new key */
	unsigned depth;
};

int ctnicd_place_init(struct ctnicd_place *p, uint32_t buckets, uint32_t ways, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	if (!buckets || (buckets & (buckets - 1)) || buckets > 65536 || !ways || ways > 64) {
		snprintf(err, errlen, "key table of %u buckets x %u ways: buckets must be a power of two <= 65536, ways 1..64",
			 buckets, ways);
		return -EINVAL;
	}
	p->nslots = 2u * buckets * ways;
	p->ref = calloc(p->nslots, sizeof(*p->ref));
	p->alt = calloc(p->nslots, sizeof(*p->alt));
	if (!p->ref || !p->alt) {
		free(p->ref);
		free(p->alt);
		snprintf(err, errlen, "key table shadow of %u slots: out of memory", p->nslots);
		return -ENOMEM;
	}
	p->buckets = buckets;
	p->ways = ways;
	return 0;
}

void ctnicd_place_fini(struct ctnicd_place *p)
{
	free(p->ref);
	free(p->alt);
	memset(p, 0, sizeof(*p));
}

/* First slot of the bucket of k in sub-table st. */
static uint32_t bucket_base(const struct ctnicd_place *p, uint32_t hash, unsigned st)
{
	return ctnic_slot(st, ctnic_bucket(hash, st, p->buckets), 0, p->buckets, p->ways);
}

static uint32_t free_way(const struct ctnicd_place *p, uint32_t base)
{
	for (uint32_t w = 0; w < p->ways; w++)
		if (!p->ref[base + w])
			return base + w;
	return UINT32_MAX;
}

/* The bucket number (within its sub-table) of a slot. */
static uint32_t bucket_of_slot(const struct ctnicd_place *p, uint32_t slot)
{
	return (slot / p->ways) & (p->buckets - 1u);
}

/* The sub-table of a slot. */
static unsigned subtable(const struct ctnicd_place *p, uint32_t slot)
{
	return slot >= p->buckets * p->ways ? 1u : 0u;
}

/* The first slot of the bucket an entry in `slot` could move to: its other candidate. */
static uint32_t other_bucket(const struct ctnicd_place *p, uint32_t slot)
{
	return ctnic_slot(subtable(p, slot) ^ 1u, p->alt[slot], 0, p->buckets, p->ways);
}

/* Puts ref at slot, remembering the bucket of the other sub-table it may move to. */
static void put(struct ctnicd_place *p, uint32_t slot, uint32_t ref, uint32_t alt_bucket)
{
	p->ref[slot] = ref;
	p->alt[slot] = (uint16_t)alt_bucket;
}

void ctnicd_place_set(struct ctnicd_place *p, uint32_t slot, uint32_t ref, const struct ctnic_key *k)
{
	if (slot >= p->nslots)
		return;
	if (!p->ref[slot])
		p->used++;
	put(p, slot, ref, ctnic_bucket(ctnic_key_hash(k), subtable(p, slot) ^ 1u, p->buckets));
}

int ctnicd_place_add(struct ctnicd_place *p, const struct ctnic_key *k, uint32_t ref,
		     struct ctnicd_move moves[CTNICD_PLACE_DEPTH], unsigned *n, uint32_t *slot)
{
	uint32_t hash = ctnic_key_hash(k), s;
	struct node q[QUEUE_MAX];
	unsigned head = 0, tail = 0;

	*n = 0;
	for (unsigned st = 0; st < 2; st++) {
		s = free_way(p, bucket_base(p, hash, st));
		if (s != UINT32_MAX) {
			put(p, s, ref, ctnic_bucket(hash, st ^ 1u, p->buckets));
			p->used++;
			*slot = s;
			return 0;
		}
	}
	/* Both full: every entry of both buckets is a first candidate to move. */
	for (unsigned st = 0; st < 2; st++)
		for (uint32_t w = 0; w < p->ways && tail < QUEUE_MAX; w++)
			q[tail++] = (struct node){ bucket_base(p, hash, st) + w, -1, 1 };
	while (head < tail) {
		struct node *nd = &q[head];
		uint32_t base = other_bucket(p, nd->slot);
		uint32_t to = free_way(p, base);

		if (to != UINT32_MAX) {
			/* Found: moves from the deepest back to the first, then the new key. */
			int i = (int)head;
			unsigned m = 0;

			while (i >= 0) {
				moves[m++] = (struct ctnicd_move){ q[i].slot, to, p->ref[q[i].slot] };
				to = q[i].slot;
				i = q[i].parent;
			}
			/* A moved entry's other bucket is the one it left. */
			for (unsigned j = 0; j < m; j++) {
				put(p, moves[j].to, moves[j].ref,
				    bucket_of_slot(p, moves[j].from));
				p->ref[moves[j].from] = 0;
			}
			put(p, to, ref, ctnic_bucket(hash, subtable(p, to) ^ 1u, p->buckets));
			p->used++;
			p->moves += m;
			*n = m;
			*slot = to;
			return 0;
		}
		if (nd->depth < CTNICD_PLACE_DEPTH)
			for (uint32_t w = 0; w < p->ways && tail < QUEUE_MAX; w++) {
				bool seen = false;

				for (unsigned j = 0; j < tail && !seen; j++)
					seen = q[j].slot == base + w;
				if (!seen)
					q[tail++] = (struct node){ base + w, (int)head, nd->depth + 1 };
			}
		head++;
	}
	return -ENOSPC;
}

void ctnicd_place_del(struct ctnicd_place *p, uint32_t slot)
{
	if (slot < p->nslots && p->ref[slot]) {
		p->ref[slot] = 0;
		p->used--;
	}
}
