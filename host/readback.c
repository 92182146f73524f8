/*
 * readback.c - a restarted daemon takes the card's table over (core.h
 * ctnicd_core_readback): the card kept forwarding meanwhile; every valid
 * flow record with its two key entries becomes a connection again, with
 * its binding, next hops, class and generation; keys that lead nowhere are
 * deleted. TCP state comes back from the class (one class per state).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "route.h"

/* The state a class stands for (docs/conntrack.md: classes 0..8 are the states SYN_SENT..SYN_SENT2). */
static void restore_state(struct ctnicd_conn *cn, const struct ctnic_flow *f)
{
	cn->tclass = f->tclass;
	cn->last_seen = f->last_seen;
	cn->gen = f->generation;
	if (cn->orig.proto == 6) {
		cn->tcp.state = f->tclass <= CTNIC_TC_TCP_SYN_SENT2 ? (uint8_t)(f->tclass + 1) : CTNIC_TCP_ESTABLISHED;
		if (cn->tcp.state >= CTNIC_TCP_ESTABLISHED && cn->tcp.state != CTNIC_TCP_SYN_SENT2) {
			cn->tcp.flags |= CTNIC_TCPF_SEEN_REPLY | CTNIC_TCPF_ASSURED;
			cn->flags |= CTNICD_CONN_ASSURED | CTNICD_CONN_REPLIED;
		}
		if (ctnic_tcp_needs_acks((enum ctnic_tcp_state)cn->tcp.state))
			cn->flags |= CTNICD_CONN_TO_HOST;
	} else if (f->tclass == CTNIC_TC_UDP_STREAM) {
		cn->flags |= CTNICD_CONN_ASSURED | CTNICD_CONN_REPLIED;
	}
	for (int d = 0; d < 2; d++) {
		cn->nh[d] = f->dir[d].nexthop;
		if (f->dir[d].action == CTNIC_ACTION_HOST && !(cn->flags & CTNICD_CONN_TO_HOST))
			cn->flags |= d ? CTNICD_CONN_LOCAL1 : CTNICD_CONN_LOCAL0;
	}
}

int ctnicd_core_readback(struct ctnicd_core *c, uint32_t *n)
{
	uint32_t (*slots)[2] = calloc(c->conns.cap, sizeof(*slots));
	struct ctnic_key_entry e;
	int rc = 0;

	*n = 0;
	if (!slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < c->conns.cap; i++)
		slots[i][0] = slots[i][1] = UINT32_MAX;
	/* Next hops as the card has them. */
	for (uint32_t i = 0; i < c->info.nexthops && i < 256; i++) {
		if ((rc = ctnic_nexthop_read(c->dev, i, &c->nh[i])) < 0)
			goto out;
		if (c->nh[i].valid)
			c->nnh = i + 1;
	}
	/* Every key slot: which flow and direction it leads to. */
	for (uint32_t s = 0; s < c->place.nslots; s++) {
		if ((rc = ctnic_key_read(c->dev, s, &e)) < 0)
			goto out;
		if (!e.valid)
			continue;
		if (e.flow_id < c->conns.cap && slots[e.flow_id][e.reply] == UINT32_MAX)
			slots[e.flow_id][e.reply] = s;
		else
			ctnicd_post(c, &(struct ctnic_cmd){ .op = CTNIC_CMD_OP_KEY_DELETE, .index = s });
	}
	for (uint32_t id = 0; id < c->conns.cap; id++) {
		struct ctnic_key_entry k[2];
		struct ctnic_flow f;
		char err[256];

		if (slots[id][0] == UINT32_MAX && slots[id][1] == UINT32_MAX)
			continue;
		if ((rc = ctnic_flow_read(c->dev, id, &f)) < 0)
			goto out;
		for (int d = 0; d < 2 && f.valid; d++)
			if (slots[id][d] == UINT32_MAX || ctnic_key_read(c->dev, slots[id][d], &k[d]) < 0)
				f.valid = false;
		if (!f.valid || ctnicd_conns_add_at(&c->conns, id, &k[0].key, &k[1].key, err, sizeof(err)) < 0) {
			/* Half a connection: its keys go (the record first found no key; nothing follows it). */
			for (int d = 0; d < 2; d++)
				if (slots[id][d] != UINT32_MAX)
					ctnicd_post(c, &(struct ctnic_cmd){ .op = CTNIC_CMD_OP_KEY_DELETE,
									   .index = slots[id][d] });
			continue;
		}
		restore_state(&c->conns.c[id], &f);
		for (int d = 0; d < 2; d++) {
			c->conns.c[id].slot[d] = slots[id][d];
			c->place.ref[slots[id][d]] = CTNICD_REF(id, d);
			c->place.used++;
		}
		c->conns.c[id].flags |= CTNICD_CONN_IN_CARD;
		(*n)++;
	}
out:
	ctnicd_conns_relink(&c->conns);
	ctnicd_core_commit(c);
	free(slots);
	if (rc < 0)
		snprintf(c->err, sizeof(c->err), "reading the card's table back: %s", ctnic_last_error(c->dev));
	return rc;
}
