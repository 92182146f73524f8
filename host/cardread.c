/*
 * cardread.c - the card's tables read through the command ring
 * (cardread.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardread.h"

#define READ_WAIT_MS 5000

struct cr {
	uint8_t op;
	ctnicd_card_entry_fn *fn;
	void *arg;
	struct ctnicd_evq *q;
	bool nomem;
};

static void keep(struct cr *r, const struct ctnic_event *e)
{
	struct ctnicd_evq *q = r->q;

	if (q->n == q->cap) {
		uint32_t cap = q->cap ? 2 * q->cap : 16;
		struct ctnic_event *v = realloc(q->e, cap * sizeof(*v));

		if (!v) {
			r->nomem = true;
			return;
		}
		q->e = v;
		q->cap = cap;
	}
	q->e[q->n++] = *e;
}

static void on_event(void *arg, const struct ctnic_event *e)
{
	struct cr *r = arg;

	if (e->type == CTNIC_EVT_CPL && e->aux == r->op && e->code == CTNIC_CMD_STATUS_OK)
		r->fn(r->arg, e->tag, e->data);
	else if (!(e->type == CTNIC_EVT_CPL && e->aux == r->op))
		keep(r, e); /* a refused read fails the batch (ctnic_cmd_wait says -EIO) */
}

int ctnicd_card_read(struct ctnicd_core *c, enum ctnic_cmd_op op, uint32_t count, ctnicd_card_want_fn *want,
		     ctnicd_card_entry_fn *fn, void *arg, struct ctnicd_evq *q)
{
	struct ctnic_ring *cmd = c->ring[CTNIC_RING_ID_CMD], *ev = c->ring[CTNIC_RING_ID_EVENT];
	uint32_t batch = ctnic_ring_slots(cmd) < ctnic_ring_slots(ev) ? ctnic_ring_slots(cmd) : ctnic_ring_slots(ev);
	struct cr r = { .op = (uint8_t)op, .fn = fn, .arg = arg, .q = q };
	uint32_t i = 0;
	int rc;

	/* Half the smaller ring: the completions of one batch always fit, with room for other events. */
	batch = batch > 2 ? batch / 2 : 1;
	if ((rc = ctnicd_core_commit(c)) < 0)
		return rc;
	while (i < count) {
		struct ctnic_event cpl;
		uint32_t posted = 0, last;

		for (; i < count && posted < batch; i++) {
			if (want && !want(arg, i))
				continue;
			if ((rc = ctnic_cmd_read(cmd, op, i, i)) < 0)
				goto fail;
			posted++;
		}
		if (!posted)
			break;
		memset(&cpl, 0, sizeof(cpl));
		if ((rc = ctnic_cmd_submit(cmd, &last)) < 0 ||
		    (rc = ctnic_cmd_wait(cmd, ev, last, &cpl, on_event, &r, READ_WAIT_MS)) < 0)
			goto fail;
		on_event(&r, &cpl);
		if (r.nomem) {
			snprintf(c->err, sizeof(c->err), "reading the card's tables: out of memory for the events met");
			return -ENOMEM;
		}
	}
	return 0;
fail:
	snprintf(c->err, sizeof(c->err), "reading the card's tables (op %u, entry %u): %s", (unsigned)op, i,
		 ctnic_last_error(c->dev));
	return rc;
}

void ctnicd_evq_deliver(struct ctnicd_core *c, struct ctnicd_evq *q)
{
	for (uint32_t i = 0; i < q->n; i++)
		ctnicd_core_event(c, &q->e[i]);
	free(q->e);
	*q = (struct ctnicd_evq){ 0 };
	ctnicd_core_commit(c);
}
