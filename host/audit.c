/*
 * audit.c - the daemon's table against the card's (core.h
 * ctnicd_core_audit): every key slot, every flow record, every connection
 * said to be in the card. One difference, one message. The card's tables
 * are read through the command ring (cardread.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aging.h"
#include "cardread.h"
#include "core.h"

struct audit {
	ctnicd_audit_fn *fn;
	void *arg;
	uint32_t n;
};

__attribute__((format(printf, 2, 3))) static void diff(struct audit *a, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	a->n++;
	if (a->fn)
		a->fn(a->arg, msg);
}

static bool same_dir(const struct ctnic_flow_dir *x, const struct ctnic_flow_dir *y)
{
	return x->saddr == y->saddr && x->daddr == y->daddr && x->sport == y->sport && x->dport == y->dport &&
	       x->action == y->action && x->ttl_dec == y->ttl_dec && x->nexthop == y->nexthop;
}

struct snap {
	struct ctnic_key_entry *keys;   /* per key slot */
	struct ctnic_flow *flows;       /* per flow id */
};

static void key_in(void *arg, uint32_t slot, const uint32_t *w)
{
	ctnic_key_entry_unpack(w, &((struct snap *)arg)->keys[slot]);
}

static void flow_in(void *arg, uint32_t id, const uint32_t *w)
{
	ctnic_flow_unpack(w, &((struct snap *)arg)->flows[id]);
}

/* Does an event still in flight name flow id (an expiry the scanner posted before it was paused)? */
static bool in_flux(const struct ctnicd_evq *q, uint32_t id)
{
	for (uint32_t i = 0; i < q->n; i++)
		if (q->e[i].type == CTNIC_EVT_EXPIRY && q->e[i].index == id)
			return true;
	return false;
}

static void compare(struct ctnicd_core *c, struct audit *a, const struct snap *sn, uint32_t nflows,
		    const struct ctnicd_evq *q)
{
	for (uint32_t s = 0; s < c->place.nslots; s++) {
		uint32_t ref = c->place.ref[s];
		const struct ctnic_key_entry *e = &sn->keys[s];

		if (!e->valid && !ref)
			continue;
		if ((e->valid && in_flux(q, e->flow_id)) || (ref && in_flux(q, CTNICD_REF_ID(ref))))
			continue;
		if (e->valid != (ref != 0)) {
			diff(a, "key slot %u: the card has %s, the daemon %s", s, e->valid ? "a key" : "none",
			     ref ? "a key" : "none");
			continue;
		}
		if (e->flow_id != CTNICD_REF_ID(ref) || e->reply != (CTNICD_REF_DIR(ref) == 1)) {
			diff(a, "key slot %u: the card's key leads to flow %u %s, the daemon's to %u %s", s, e->flow_id,
			     e->reply ? "reply" : "original", CTNICD_REF_ID(ref), CTNICD_REF_DIR(ref) ? "reply" : "original");
			continue;
		}
		{
			uint32_t id = e->flow_id;
			const struct ctnicd_conn *cn = &c->conns.c[id];
			struct ctnic_key k;

			if (id >= c->conns.cap || !(cn->flags & CTNICD_CONN_IN_CARD) || cn->slot[e->reply] != s) {
				diff(a, "key slot %u: flow %u is not in the card for the daemon, or not at this slot", s, id);
				continue;
			}
			k = ctnicd_conns_key(&c->conns, id, (enum ctnic_dir)e->reply);
			if (!ctnic_key_equal(&k, &e->key))
				diff(a, "key slot %u: the card's key differs from connection %u's", s, id);
		}
	}
	for (uint32_t id = 0; id < nflows; id++) {
		const struct ctnicd_conn *cn = &c->conns.c[id];
		bool in = (cn->flags & (CTNICD_CONN_USED | CTNICD_CONN_IN_CARD)) ==
			  (CTNICD_CONN_USED | CTNICD_CONN_IN_CARD);
		const struct ctnic_flow *f = &sn->flows[id];
		struct ctnic_flow want;

		if (in_flux(q, id))
			continue;
		if (f->valid != in) {
			diff(a, "flow %u: %s in the card, %s for the daemon", id, f->valid ? "valid" : "not valid",
			     in ? "in the card" : "not in the card");
			continue;
		}
		if (!in)
			continue;
		if (f->generation != cn->gen || f->tclass != ctnicd_aging_card_class(cn))
			diff(a, "flow %u: the card has generation %u class %u, the daemon %u class %u", id, f->generation,
			     f->tclass, cn->gen, cn->tclass);
		ctnicd_flow_record(c, id, &want);
		for (int d = 0; d < 2; d++)
			if (!same_dir(&f->dir[d], &want.dir[d]))
				diff(a, "flow %u: its %s direction in the card is not the daemon's", id,
				     d ? "reply" : "original");
	}
}

/*
 * A snapshot of the card's tables through the command ring (cardread.h),
 * with the aging scanner paused so that no flow is retired while they are
 * read; expiries it posted just before are handled first (or, still in
 * flight, leave their flow uncompared), then compared with the daemon's.
 */
int ctnicd_core_audit(struct ctnicd_core *c, ctnicd_audit_fn *fn, void *arg, uint32_t *ndiff)
{
	struct audit a = { fn, arg, 0 };
	uint32_t nflows = c->conns.cap < c->info.flows ? c->conns.cap : c->info.flows, ctrl = 0;
	struct snap sn = { calloc(c->place.nslots ? c->place.nslots : 1, sizeof(*sn.keys)),
			   calloc(nflows ? nflows : 1, sizeof(*sn.flows)) };
	struct ctnicd_evq q = { 0 };
	bool paused = false;
	int rc = -ENOMEM;

	*ndiff = 0;
	if (!sn.keys || !sn.flows) {
		snprintf(c->err, sizeof(c->err), "audit: out of memory for a copy of the card's tables");
		goto out;
	}
	if ((rc = ctnic_csr_read(c->dev, CTNIC_REG_AGING_CTRL, &ctrl)) < 0)
		goto card;
	if (ctrl & CTNIC_AGING_CTRL_ENABLE_MASK) {
		if ((rc = ctnic_csr_write(c->dev, CTNIC_REG_AGING_CTRL, ctrl & ~CTNIC_AGING_CTRL_ENABLE_MASK)) < 0)
			goto card;
		paused = true;
	}
	ctnicd_core_events(c); /* what the card retired before the pause */
	if ((rc = ctnicd_card_read(c, CTNIC_CMD_OP_KEY_READ, c->place.nslots, NULL, key_in, &sn, &q)) == 0)
		rc = ctnicd_card_read(c, CTNIC_CMD_OP_FLOW_READ, nflows, NULL, flow_in, &sn, &q);
	if (paused && ctnic_csr_write(c->dev, CTNIC_REG_AGING_CTRL, ctrl) < 0 && rc == 0) {
		rc = -EIO;
		goto card;
	}
	if (rc == 0) {
		compare(c, &a, &sn, nflows, &q);
		*ndiff = a.n;
	}
	goto out;
card:
	snprintf(c->err, sizeof(c->err), "audit: %s", ctnic_last_error(c->dev));
out:
	ctnicd_evq_deliver(c, &q);
	free(sn.keys);
	free(sn.flows);
	return rc;
}
