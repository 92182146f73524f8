/*
 * linger.c - bindings of recently ended connections (ctnic_linger.h): a ring
 * in the order connections ended (the oldest is evicted first and expires
 * first) with a hash index over both keys of every entry.
 */
#include <stdlib.h>
#include <string.h>

#include "ct/ct_util.h"
#include "ct/ctnic_linger.h"
#include "ct/ctnic_tuples.h"

#define NIL UINT32_MAX

struct slot {
	struct ctnic_linger_entry e;
	uint32_t next[2];        /* hash chains: node = slot * 2 + dir */
	bool live;               /* indexed (not forgotten) */
};

struct ctnic_linger {
	uint32_t cap, used, tail, nlive, mask;
	uint64_t linger, evicted;
	struct slot *s;
	uint32_t *heads;
};

static const struct ctnic_key *slot_key(const struct ctnic_linger *l, uint32_t node)
{
	return node & 1 ? &l->s[node >> 1].e.reply : &l->s[node >> 1].e.orig;
}

struct ctnic_linger *ctnic_linger_create(uint32_t max_entries, uint64_t linger,
					 char *err, size_t errlen)
{
	struct ctnic_linger *l;
	uint32_t buckets = 16;

	if (max_entries > (1u << 26)) {
		ctnic_ct_errf(err, errlen, "linger: %u entries: at most %u", max_entries, 1u << 26);
		return NULL;
	}
	while (buckets < max_entries * 2u)
		buckets <<= 1;
	l = calloc(1, sizeof(*l));
	if (!l)
		goto nomem;
	l->s = calloc(max_entries ? max_entries : 1, sizeof(*l->s));
	if (!l->s)
		goto fail_s;
	l->heads = malloc((size_t)buckets * sizeof(*l->heads));
	if (!l->heads)
		goto fail_heads;
	memset(l->heads, 0xff, (size_t)buckets * sizeof(*l->heads));
	l->cap = max_entries;
	l->mask = buckets - 1;
	l->linger = linger;
	return l;
fail_heads:
	free(l->s);
fail_s:
	free(l);
nomem:
	ctnic_ct_errf(err, errlen, "linger: out of memory for %u entries", max_entries);
	return NULL;
}

void ctnic_linger_destroy(struct ctnic_linger *l)
{
	if (!l)
		return;
	free(l->heads);
	free(l->s);
	free(l);
}

static void unindex(struct ctnic_linger *l, uint32_t i)
{
	for (unsigned d = 0; d < 2; d++) {
		uint32_t node = i * 2 + d;
		uint32_t *p = &l->heads[ctnic_key_hash(slot_key(l, node)) & l->mask];

		while (*p != node)
			p = &l->s[*p >> 1].next[*p & 1];
		*p = l->s[i].next[d];
	}
	l->s[i].live = false;
	l->nlive--;
}

/* Frees the oldest slot of the ring. */
static void pop_tail(struct ctnic_linger *l)
{
	if (l->s[l->tail].live)
		unindex(l, l->tail);
	l->tail = (l->tail + 1) % l->cap;
	l->used--;
}

void ctnic_linger_add(struct ctnic_linger *l, const struct ctnic_key *orig,
		      const struct ctnic_key *reply, uint32_t cookie, uint64_t now)
{
	uint32_t i;

	if (!l->cap || !l->linger)
		return;
	if (l->used == l->cap) {
		if (l->s[l->tail].live && l->s[l->tail].e.expires > now)
			l->evicted++;
		pop_tail(l);
	}
	i = (l->tail + l->used) % l->cap;
	l->used++;
	l->s[i].e.orig = *orig;
	l->s[i].e.reply = *reply;
	l->s[i].e.cookie = cookie;
	l->s[i].e.expires = now + l->linger;
	l->s[i].live = true;
	l->nlive++;
	/* At the head of its chains: the newest entry shadows older ones. */
	for (unsigned d = 0; d < 2; d++) {
		uint32_t h = ctnic_key_hash(slot_key(l, i * 2 + d)) & l->mask;

		l->s[i].next[d] = l->heads[h];
		l->heads[h] = i * 2 + d;
	}
}

bool ctnic_linger_lookup(const struct ctnic_linger *l, const struct ctnic_key *k, uint64_t now,
			 struct ctnic_linger_entry *out, enum ctnic_dir *dir)
{
	uint32_t n = l->heads[ctnic_key_hash(k) & l->mask];

	for (; n != NIL; n = l->s[n >> 1].next[n & 1]) {
		const struct slot *s = &l->s[n >> 1];

		if (!ctnic_key_equal(slot_key(l, n), k))
			continue;
		if (s->e.expires <= now)
			return false; /* the newest binding is over: an older one must not stand in */
		if (out)
			*out = s->e;
		if (dir)
			*dir = (enum ctnic_dir)(n & 1);
		return true;
	}
	return false;
}

struct ctnic_key ctnic_linger_translate(const struct ctnic_linger_entry *e, enum ctnic_dir dir)
{
	return ctnic_tuple_invert(dir == CTNIC_DIR_ORIGINAL ? &e->reply : &e->orig);
}

uint32_t ctnic_linger_forget(struct ctnic_linger *l, const struct ctnic_key *orig)
{
	uint32_t n = 0, node = l->heads[ctnic_key_hash(orig) & l->mask];

	while (node != NIL) {
		uint32_t next = l->s[node >> 1].next[node & 1];

		if (!(node & 1) && ctnic_key_equal(&l->s[node >> 1].e.orig, orig)) {
			unindex(l, node >> 1);
			n++;
		}
		node = next;
	}
	return n;
}

uint32_t ctnic_linger_expire(struct ctnic_linger *l, uint64_t now)
{
	uint32_t n = 0;

	while (l->used && (!l->s[l->tail].live || l->s[l->tail].e.expires <= now)) {
		n += l->s[l->tail].live;
		pop_tail(l);
	}
	return n;
}

uint32_t ctnic_linger_count(const struct ctnic_linger *l)
{
	return l->nlive;
}

uint64_t ctnic_linger_evicted(const struct ctnic_linger *l)
{
	return l->evicted;
}

void ctnic_linger_set_time(struct ctnic_linger *l, uint64_t linger)
{
	l->linger = linger;
}
