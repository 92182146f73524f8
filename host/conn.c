/*
 * conn.c - the connection table (conn.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"

int ctnicd_conns_init(struct ctnicd_conns *t, uint32_t cap, uint64_t seed, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	if (cap == 0 || cap > CTNIC_FLOW_ID_MAX + 1u) {
		snprintf(err, errlen, "connection table of %u entries: give 1..%u", cap, CTNIC_FLOW_ID_MAX + 1u);
		return -EINVAL;
	}
	t->c = calloc(cap, sizeof(*t->c));
	if (!t->c) {
		snprintf(err, errlen, "connection table of %u entries: out of memory", cap);
		return -ENOMEM;
	}
	t->tu = ctnic_tuples_create(cap, seed, err, errlen);
	if (!t->tu) {
		free(t->c);
		t->c = NULL;
		return -ENOMEM;
	}
	t->cap = cap;
	/* Free records are linked through slot[0], lowest id first. */
	for (uint32_t i = 0; i < cap; i++)
		t->c[i].slot[0] = i + 1 < cap ? i + 1 : UINT32_MAX;
	t->free_head = 0;
	return 0;
}

void ctnicd_conns_fini(struct ctnicd_conns *t)
{
	ctnic_tuples_destroy(t->tu);
	free(t->c);
	memset(t, 0, sizeof(*t));
}

/* Record id becomes a fresh connection of orig; its generation goes on. */
static void take(struct ctnicd_conns *t, uint32_t id, const struct ctnic_key *orig)
{
	struct ctnicd_conn *c = &t->c[id];
	uint16_t gen = c->gen;

	memset(c, 0, sizeof(*c));
	c->gen = gen;
	c->orig = *orig;
	c->slot[0] = c->slot[1] = UINT32_MAX;
	c->flags = CTNICD_CONN_USED;
	t->used++;
}

int ctnicd_conns_add(struct ctnicd_conns *t, const struct ctnic_key *orig,
		     const struct ctnic_nat_range *dnat, const struct ctnic_nat_range *snat,
		     uint32_t *id, struct ctnic_key *reply, char *err, size_t errlen)
{
	uint32_t i = t->free_head;

	if (i == UINT32_MAX) {
		snprintf(err, errlen, "connection table full (%u connections)", t->cap);
		return -ENOSPC;
	}
	if (ctnic_tuples_add(t->tu, orig, dnat, snat, i, reply, err, errlen) < 0)
		return ctnic_tuples_used(t->tu, orig) ? -EEXIST : -EADDRNOTAVAIL;
	t->free_head = t->c[i].slot[0];
	take(t, i, orig);
	*id = i;
	return 0;
}

int ctnicd_conns_add_at(struct ctnicd_conns *t, uint32_t id, const struct ctnic_key *orig,
			const struct ctnic_key *reply, char *err, size_t errlen)
{
	struct ctnic_key out = ctnic_tuple_invert(reply), got;
	struct ctnic_nat_range dr = { .min_addr = out.daddr, .max_addr = out.daddr, .map_ips = true,
				      .min_port = out.dport, .max_port = out.dport, .map_ports = true };
	struct ctnic_nat_range sr = { .min_addr = out.saddr, .max_addr = out.saddr, .map_ips = true,
				      .min_port = out.sport, .max_port = out.sport, .map_ports = true };
	bool dn = out.daddr != orig->daddr || out.dport != orig->dport;
	bool sn = out.saddr != orig->saddr || out.sport != orig->sport;

	if (id >= t->cap || (t->c[id].flags & CTNICD_CONN_USED)) {
		snprintf(err, errlen, "flow id %u: beyond the table or taken twice", id);
		return -EINVAL;
	}
	if (orig->proto == 1)
		dr.map_ports = false; /* an echo's destination has no port */
	if (ctnic_tuples_add(t->tu, orig, dn ? &dr : NULL, sn ? &sr : NULL, id, &got, err, errlen) < 0)
		return -EEXIST;
	if (!ctnic_key_equal(&got, reply)) {
		ctnic_tuples_remove(t->tu, orig);
		snprintf(err, errlen, "flow id %u: its reply key cannot be bound again (taken by another)", id);
		return -EEXIST;
	}
	take(t, id, orig);
	return 0;
}

void ctnicd_conns_relink(struct ctnicd_conns *t)
{
	t->free_head = UINT32_MAX;
	for (uint32_t i = t->cap; i-- > 0;)
		if (!(t->c[i].flags & CTNICD_CONN_USED)) {
			t->c[i].slot[0] = t->free_head;
			t->free_head = i;
		}
}

void ctnicd_conns_del(struct ctnicd_conns *t, uint32_t id)
{
	struct ctnicd_conn *c;

	if (id >= t->cap || !(t->c[id].flags & CTNICD_CONN_USED))
		return;
	c = &t->c[id];
	ctnic_tuples_remove(t->tu, &c->orig);
	c->flags = 0;
	c->gen++;
	c->slot[0] = t->free_head;
	t->free_head = id;
	t->used--;
}

bool ctnicd_conns_find(const struct ctnicd_conns *t, const struct ctnic_key *k, uint32_t *id,
		       enum ctnic_dir *dir)
{
	return ctnic_tuples_lookup(t->tu, k, id, dir, NULL, NULL);
}

struct ctnic_key ctnicd_conns_key(const struct ctnicd_conns *t, uint32_t id, enum ctnic_dir dir)
{
	struct ctnic_key reply = { 0 };

	if (dir == CTNIC_DIR_ORIGINAL)
		return t->c[id].orig;
	ctnic_tuples_lookup(t->tu, &t->c[id].orig, NULL, NULL, NULL, &reply);
	return reply;
}

bool ctnicd_conns_live(const struct ctnicd_conns *t, uint32_t id, uint16_t gen)
{
	return id < t->cap && (t->c[id].flags & CTNICD_CONN_USED) && t->c[id].gen == gen;
}

uint32_t ctnicd_conns_early_drop(struct ctnicd_conns *t, uint32_t budget)
{
	for (uint32_t n = 0; n < budget && n < t->cap; n++) {
		uint32_t i = t->drop_cursor;
		const struct ctnicd_conn *c = &t->c[i];
		bool ok;

		t->drop_cursor = i + 1 < t->cap ? i + 1 : 0;
		if (!(c->flags & CTNICD_CONN_USED))
			continue;
		if (c->orig.proto == 6)
			ok = ctnic_tcp_can_early_drop(&c->tcp);
		else
			ok = !(c->flags & CTNICD_CONN_ASSURED);
		if (ok)
			return i;
	}
	return UINT32_MAX;
}
