/*
 * readback.c - a restarted daemon takes the card's table over (core.h
 * ctnicd_core_readback): the card kept forwarding meanwhile; every valid
 * flow record with its two key entries becomes a connection again, with
 * its binding, next hops, class and generation; keys that lead nowhere are
 * deleted. TCP state comes back from the class (one class per state).
 *
 * The reads go through the command ring in batches (cardread.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aging.h"
#include "cardread.h"
#include "core.h"
#include "route.h"

struct rb {
	struct ctnicd_core *c;
	uint32_t (*slots)[2];            /* per flow id: its two key slots */
	struct ctnic_key_entry *keys;    /* per flow id and direction: [id * 2 + dir] */
	uint32_t n;                      /* connections made */
	uint32_t *del;                   /* key slots to delete once the reads are done */
	uint32_t ndel, cap_del;
};

/* The state a class stands for (docs/conntrack.md: classes 0..8 are the states SYN_SENT..SYN_SENT2). */
static void restore_state(struct ctnicd_conn *cn, const struct ctnic_flow *f)
{
	cn->tclass = f->tclass;
	cn->last_seen = f->last_seen;
	cn->gen = f->generation;
	/* class 15 never expires in the card: only static flows are put there (aging.h) */
	if (f->tclass == CTNICD_TCLASS_NEVER)
		cn->flags |= CTNICD_CONN_STATIC;
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
	if (!f->dir[0].ttl_dec)
		cn->xflags |= CTNICD_CONNX_TTL_KEEP;
	for (int d = 0; d < 2; d++) {
		cn->nh[d] = f->dir[d].nexthop;
		/* An unanswered UDP flow's reply direction is punted for its answer, not local. */
		if (f->dir[d].action == CTNIC_ACTION_HOST && !(cn->flags & CTNICD_CONN_TO_HOST) &&
		    !(d && ctnicd_conn_awaits_reply(cn)))
			cn->flags |= d ? CTNICD_CONN_LOCAL1 : CTNICD_CONN_LOCAL0;
	}
}

/* Noted now, deleted after the reads (no command is posted while a batch is reaped). */
static void delete_key(struct rb *rb, uint32_t slot)
{
	if (rb->ndel == rb->cap_del) {
		uint32_t cap = rb->cap_del ? 2 * rb->cap_del : 256, *d = realloc(rb->del, cap * sizeof(*d));

		if (!d)
			return; /* left in the card; the audit reports it */
		rb->del = d;
		rb->cap_del = cap;
	}
	rb->del[rb->ndel++] = slot;
}

static void delete_noted(struct rb *rb)
{
	for (uint32_t i = 0; i < rb->ndel; i++)
		ctnicd_post(rb->c, &(struct ctnic_cmd){ .op = CTNIC_CMD_OP_KEY_DELETE, .index = rb->del[i] });
	rb->ndel = 0;
	ctnicd_core_commit(rb->c);
}

/* A flow record read back: a connection again, or its keys go. */
static void flow_read(struct rb *rb, uint32_t id, const struct ctnic_flow *f)
{
	struct ctnicd_core *c = rb->c;
	struct ctnicd_conn *cn = &c->conns.c[id];
	char err[256];

	if (!f->valid || rb->slots[id][0] == UINT32_MAX || rb->slots[id][1] == UINT32_MAX ||
	    ctnicd_conns_add_at(&c->conns, id, &rb->keys[2 * id].key, &rb->keys[2 * id + 1].key, err,
				sizeof(err)) < 0) {
		for (int d = 0; d < 2; d++)
			if (rb->slots[id][d] != UINT32_MAX)
				delete_key(rb, rb->slots[id][d]);
		return;
	}
	restore_state(cn, f);
	for (int d = 0; d < 2; d++) {
		cn->slot[d] = rb->slots[id][d];
		ctnicd_place_set(&c->place, cn->slot[d], CTNICD_REF(id, d), &rb->keys[2 * id + d].key);
	}
	cn->flags |= CTNICD_CONN_IN_CARD;
	rb->n++;
}

static void nh_in(void *arg, uint32_t i, const uint32_t *w)
{
	struct ctnicd_core *c = ((struct rb *)arg)->c;

	if (i >= 256)
		return;
	ctnic_nexthop_unpack(w, &c->nh[i]);
	if (c->nh[i].valid && i + 1 > c->nnh)
		c->nnh = i + 1;
}

static void key_in(void *arg, uint32_t slot, const uint32_t *w)
{
	struct rb *rb = arg;
	struct ctnic_key_entry k;

	ctnic_key_entry_unpack(w, &k);
	if (!k.valid)
		return;
	if (k.flow_id < rb->c->conns.cap && rb->slots[k.flow_id][k.reply] == UINT32_MAX) {
		rb->slots[k.flow_id][k.reply] = slot;
		rb->keys[2 * k.flow_id + k.reply] = k;
	} else {
		delete_key(rb, slot); /* beyond our table, or a second key of one direction */
	}
}

static void flow_in(void *arg, uint32_t id, const uint32_t *w)
{
	struct rb *rb = arg;
	struct ctnic_flow f;

	if (id >= rb->c->conns.cap)
		return;
	ctnic_flow_unpack(w, &f);
	flow_read(rb, id, &f);
}

static bool has_keys(void *arg, uint32_t id)
{
	const struct rb *rb = arg;

	return rb->slots[id][0] != UINT32_MAX || rb->slots[id][1] != UINT32_MAX;
}

int ctnicd_core_readback(struct ctnicd_core *c, uint32_t *n)
{
	struct rb rb = { .c = c };
	struct ctnicd_evq q = { 0 };
	int rc = -ENOMEM;

	*n = 0;
	ctnicd_core_commit(c);
	rb.slots = malloc((size_t)c->conns.cap * sizeof(*rb.slots));
	rb.keys = calloc((size_t)c->conns.cap * 2, sizeof(*rb.keys));
	if (!rb.slots || !rb.keys) {
		snprintf(c->err, sizeof(c->err), "reading the card's table back: out of memory");
		goto out;
	}
	memset(rb.slots, 0xff, (size_t)c->conns.cap * sizeof(*rb.slots));
	if ((rc = ctnicd_card_read(c, CTNIC_CMD_OP_NH_READ, c->info.nexthops < 256 ? c->info.nexthops : 256, NULL,
				   nh_in, &rb, &q)) < 0 ||
	    (rc = ctnicd_card_read(c, CTNIC_CMD_OP_KEY_READ, c->place.nslots, NULL, key_in, &rb, &q)) < 0)
		goto out;
	rc = ctnicd_card_read(c, CTNIC_CMD_OP_FLOW_READ, c->conns.cap, has_keys, flow_in, &rb, &q);
out:
	ctnicd_conns_relink(&c->conns);
	delete_noted(&rb);
	/* An expiry met during the reads ends the connection just read back (its generation matches). */
	ctnicd_evq_deliver(c, &q);
	*n = rb.n;
	free(rb.slots);
	free(rb.keys);
	free(rb.del);
	return rc;
}
