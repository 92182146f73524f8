/*
 * audit.c - the daemon's table against the card's (core.h
 * ctnicd_core_audit): every key slot, every flow record, every connection
 * said to be in the card. One difference, one message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "aging.h"
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

int ctnicd_core_audit(struct ctnicd_core *c, ctnicd_audit_fn *fn, void *arg, uint32_t *ndiff)
{
	struct audit a = { fn, arg, 0 };
	int rc;

	ctnicd_core_commit(c);
	for (uint32_t s = 0; s < c->place.nslots; s++) {
		uint32_t ref = c->place.ref[s];
		struct ctnic_key_entry e;

		if ((rc = ctnic_key_read(c->dev, s, &e)) < 0)
			return rc;
		if (!e.valid && !ref)
			continue;
		if (e.valid != (ref != 0)) {
			diff(&a, "key slot %u: the card has %s, the daemon %s", s, e.valid ? "a key" : "none",
			     ref ? "a key" : "none");
			continue;
		}
		if (e.flow_id != CTNICD_REF_ID(ref) || e.reply != (CTNICD_REF_DIR(ref) == 1)) {
			diff(&a, "key slot %u: the card's key leads to flow %u %s, the daemon's to %u %s", s, e.flow_id,
			     e.reply ? "reply" : "original", CTNICD_REF_ID(ref), CTNICD_REF_DIR(ref) ? "reply" : "original");
			continue;
		}
		{
			uint32_t id = e.flow_id;
			const struct ctnicd_conn *cn = &c->conns.c[id];
			struct ctnic_key k;

			if (id >= c->conns.cap || !(cn->flags & CTNICD_CONN_IN_CARD) || cn->slot[e.reply] != s) {
				diff(&a, "key slot %u: flow %u is not in the card for the daemon, or not at this slot", s, id);
				continue;
			}
			k = ctnicd_conns_key(&c->conns, id, (enum ctnic_dir)e.reply);
			if (!ctnic_key_equal(&k, &e.key))
				diff(&a, "key slot %u: the card's key differs from connection %u's", s, id);
		}
	}
	for (uint32_t id = 0; id < c->conns.cap && id < c->info.flows; id++) {
		const struct ctnicd_conn *cn = &c->conns.c[id];
		bool in = (cn->flags & (CTNICD_CONN_USED | CTNICD_CONN_IN_CARD)) ==
			  (CTNICD_CONN_USED | CTNICD_CONN_IN_CARD);
		struct ctnic_flow f, want;

		if ((rc = ctnic_flow_read(c->dev, id, &f)) < 0)
			return rc;
		if (f.valid != in) {
			diff(&a, "flow %u: %s in the card, %s for the daemon", id, f.valid ? "valid" : "not valid",
			     in ? "in the card" : "not in the card");
			continue;
		}
		if (!in)
			continue;
		if (f.generation != cn->gen || f.tclass != ctnicd_aging_card_class(cn))
			diff(&a, "flow %u: the card has generation %u class %u, the daemon %u class %u", id, f.generation,
			     f.tclass, cn->gen, cn->tclass);
		ctnicd_flow_record(c, id, &want);
		for (int d = 0; d < 2; d++)
			if (!same_dir(&f.dir[d], &want.dir[d]))
				diff(&a, "flow %u: its %s direction in the card is not the daemon's", id,
				     d ? "reply" : "original");
	}
	*ndiff = a.n;
	return 0;
}
