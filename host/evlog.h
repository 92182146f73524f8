/*
 * evlog.h - connection events for `ctnicctl events` (Linux's conntrack -E):
 * NEW, UPDATE (a TCP state move) and DESTROY (with why), in a ring of the
 * last CTNICD_EVLOG_SIZE, each with a sequence number. The ring is made at
 * the first `events` request, so a daemon nobody watches records nothing
 * and spends nothing; a reader that falls behind learns how many it lost.
 */
#ifndef CTNICD_EVLOG_H
#define CTNICD_EVLOG_H

#include <stdbool.h>
#include <stdint.h>

#include "ctnic_flow.h"

#define CTNICD_EVLOG_SIZE 4096u

enum ctnicd_ev_type { CTNICD_EV_NEW = 0, CTNICD_EV_UPDATE, CTNICD_EV_DESTROY };

/* Why a connection ended. */
enum ctnicd_end_why {
	CTNICD_END_EXPIRED = 0,      /* its timeout (the card's event or the daemon's sweep) */
	CTNICD_END_RST,              /* a RST before any reply (Linux's kill) */
	CTNICD_END_REOPEN,           /* a SYN reopened its tuple */
	CTNICD_END_EARLY_DROP,       /* a full table took it for a new one */
	CTNICD_END_DELETED,          /* conn delete / conn flush */
	CTNICD_END_WHYS,
};

const char *ctnicd_ev_type_name(enum ctnicd_ev_type t);     /* "NEW", "UPDATE", "DESTROY" */
const char *ctnicd_end_why_name(enum ctnicd_end_why w);     /* "expired", "rst", ... */

struct ctnicd_ev {
	uint64_t seq;
	uint64_t tick;               /* device tick */
	uint32_t id;                 /* connection (flow) id */
	uint16_t gen;                /* its generation then */
	uint8_t type;                /* enum ctnicd_ev_type */
	uint8_t state;               /* TCP state after it (0 for others) */
	uint8_t why;                 /* DESTROY: enum ctnicd_end_why */
	struct ctnic_key orig, reply;
};

struct ctnicd_evlog {
	struct ctnicd_ev *e;         /* NULL until someone asks */
	uint64_t next;               /* sequence number of the next event */
};

/* Starts recording (the first reader); 0 or -1 when out of memory. */
int ctnicd_evlog_start(struct ctnicd_evlog *l);
void ctnicd_evlog_free(struct ctnicd_evlog *l);

/* Records one event when recording. */
void ctnicd_evlog_add(struct ctnicd_evlog *l, const struct ctnicd_ev *ev);

/*
 * The event of sequence number seq, or NULL when it is not (yet, or any
 * more) in the ring.
 */
const struct ctnicd_ev *ctnicd_evlog_get(const struct ctnicd_evlog *l, uint64_t seq);

/* The oldest sequence number still held. */
uint64_t ctnicd_evlog_first(const struct ctnicd_evlog *l);

#endif /* CTNICD_EVLOG_H */
