/*
 * cardread.h - the card's tables read through the command ring (KEY_READ,
 * FLOW_READ, NH_READ) in batches: each completion carries one entry, so a
 * card of 131072 key slots is read in a few hundred ring round trips, not a
 * million register accesses (docs/daemon.md, "Reading the card's tables").
 * The readback of a restarted daemon and the audit use it.
 */
#ifndef CTNICD_CARDREAD_H
#define CTNICD_CARDREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "core.h"

/* Events the reads met that were not theirs (expiries, other completions): kept, not lost. */
struct ctnicd_evq {
	struct ctnic_event *e;
	uint32_t n, cap;
};

/* May entry i be skipped? (NULL: read them all) */
typedef bool ctnicd_card_want_fn(void *arg, uint32_t index);
/* One entry read: its words as the completion carried them (ctnic_*_unpack them). */
typedef void ctnicd_card_entry_fn(void *arg, uint32_t index, const uint32_t *words);

/*
 * Reads entries [0, count) of op's table (those want says) and hands each
 * to fn, in completion order. Every other event the reads met goes to *q.
 * 0, or a negative errno with the message in c->err (a read the card
 * refused, a ring that stalled, no memory for *q).
 */
int ctnicd_card_read(struct ctnicd_core *c, enum ctnic_cmd_op op, uint32_t count, ctnicd_card_want_fn *want,
		     ctnicd_card_entry_fn *fn, void *arg, struct ctnicd_evq *q);

/* Hands the kept events to the daemon's event handling, in order, and empties *q (freed). */
void ctnicd_evq_deliver(struct ctnicd_core *c, struct ctnicd_evq *q);

#endif /* CTNICD_CARDREAD_H */
