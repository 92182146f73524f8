/*
 * core.h - ctnicd's core: the connection table, the card's key table and
 * next hops, and the handling of every packet the card punts (docs/daemon.md
 * "Exception handling"). One thread drives it; the event loop of ctnicd.c
 * and the tests in tests/daemon call the same functions.
 *
 * Time is the card's: device ticks (TICK_LO/HI), ticks_per_sec from
 * TICK_PERIOD; timeouts and the linger memory run on it.
 */
#ifndef CTNICD_CORE_H
#define CTNICD_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "evlog.h"
#include "ct/ctnic_conf.h"
#include "ct/ctnic_late.h"
#include "ct/ctnic_linger.h"
#include "ctnic.h"
#include "ctnic_ring.h"
#include "place.h"

#define CTNICD_NEIGH_MAX 256u
#define CTNICD_HOST_PORT 16u         /* the host stack as an egress "port" */

/* What the daemon counts (the `stats` request). */
struct ctnicd_stats {
	uint64_t punt[16];           /* punts handled, by reason (enum ctnic_punt) */
	uint64_t punt_bad;           /* punted frames that could not be parsed: dropped */
	uint64_t tx_port[CTNICD_HOST_PORT + 1]; /* frames the daemon sent, per port; [16]: to the host stack */
	uint64_t host_rx;            /* frames from the host stack */
	uint64_t conn_new;           /* connections created */
	uint64_t conn_end;           /* ended (expiry, RST, close, delete, reopen) */
	uint64_t conn_expired;       /* ended by their timeout */
	uint64_t conn_early_drop;    /* evicted by a full table */
	uint64_t conn_full_drop;     /* new connections dropped: table full, nothing evictable */
	uint64_t conn_no_binding;    /* new connections dropped: no free NAT tuple */
	uint64_t installs;           /* FLOW_INSTALL commands */
	uint64_t install_no_slot;    /* connections kept in software: no key slot, even with cuckoo moves */
	uint64_t updates;            /* flow record rewrites (state, class, action) */
	uint64_t removes;            /* FLOW_REMOVE commands */
	uint64_t cuckoo_moves;
	uint64_t fwd;                /* packets forwarded translated by the daemon */
	uint64_t fwd_invalid;        /* of them, INVALID to the TCP tracker (still translated) */
	uint64_t drop_ttl;           /* TTL expired (time exceeded sent) */
	uint64_t time_exceeded;      /* ICMP time exceeded sent */
	uint64_t icmp_err_translated, icmp_err_dropped, icmp_err_passed;
	uint64_t arp_replies, arp_requests, arp_learned, arp_dropped;
	uint64_t non_ipv4_dropped;
	uint64_t no_route;           /* dropped: no route or port */
	uint64_t no_neigh;           /* dropped: next hop not resolved yet (ARP request sent) */
	uint64_t covered_unsupported;/* dropped: fragment, IP options or other protocol a NAT rule covers */
	uint64_t passed;             /* forwarded unchanged (no rule covers them) */
	uint64_t inject_full;        /* frames lost: the inject ring was full */
	uint64_t cmd_errors;         /* commands the card refused */
	uint64_t ring_errors;        /* error events */
	uint64_t host_no_stack;      /* for the host stack, with no host stack attached */
};

struct ctnicd_neigh {
	uint32_t addr;
	uint8_t mac[6];
	uint8_t port;
	bool is_static;
};

/* The gateway's MAC as the host stack sees it (proxy ARP answers with it). */
extern const uint8_t ctnicd_host_mac[6];

/* Frames to the host stack (REDIRECT, our own addresses): a TAP device in ctnicd, a buffer in tests. */
typedef void ctnicd_host_tx_fn(void *arg, const uint8_t *frame, size_t len);

struct ctnicd_core {
	struct ctnic_dev *dev;
	struct ctnic_dev_info info;
	struct ctnic_dma_pool *pool;
	struct ctnic_ring *ring[4];  /* enum ctnic_ring_id */
	uint64_t ticks_per_sec;
	uint64_t now;                /* device tick of the latest punt, event or timer */

	struct ctnic_conf *conf;     /* owned */
	struct ctnic_nat_iface ifs[CTNIC_CONF_PORTS];
	struct ctnic_nat_env env;
	uint8_t port_mac[CTNIC_CONF_PORTS][6];
	uint32_t timeout[16];        /* per class, in ticks */

	struct ctnicd_conns conns;
	struct ctnicd_place place;
	struct ctnic_linger *linger;
	struct ctnic_late late;

	struct ctnicd_neigh neigh[CTNICD_NEIGH_MAX];
	unsigned nneigh;
	struct ctnic_nexthop nh[256];/* the card's next hops as written */
	unsigned nnh;

	unsigned pending;            /* commands posted, not yet submitted */
	uint32_t sweep;              /* where the expiry sweep goes on */
	ctnicd_host_tx_fn *host_tx;
	void *host_arg;
	struct ctnicd_stats st;
	struct ctnicd_evlog ev;      /* connection events, once someone asks for them */
	char err[512];               /* the last error worth logging */
};

/*
 * Takes over conf (freed by the core, also on failure), reads the card's
 * capacities, sets up the DMA pool and the four rings (the given sizes,
 * log2 slots), programs the TCP punt mask, and sizes the tables:
 * min(nf_conntrack_max, the card's flows) connections.
 */
int ctnicd_core_create(struct ctnicd_core **cp, struct ctnic_dev *dev, struct ctnic_conf *conf,
		       uint64_t seed, char *err, size_t errlen);
void ctnicd_core_destroy(struct ctnicd_core *c);

/* Frames for the host stack go to fn. */
void ctnicd_core_host_stack(struct ctnicd_core *c, ctnicd_host_tx_fn *fn, void *arg);

/*
 * Applies a new configuration (SIGHUP): ports, routes, neighbours,
 * timeouts, linger, late policy, NAT rules. Live connections keep their
 * bindings. Takes over conf. 0, or -1 with err (nothing changed).
 */
int ctnicd_core_reload(struct ctnicd_core *c, struct ctnic_conf *conf, char *err, size_t errlen);

/*
 * Derives what the core runs with from c->conf (interfaces, MACs, timeouts
 * in ticks, static neighbours, the late rule): after c->conf->ct changed.
 */
void ctnicd_core_apply(struct ctnicd_core *c);

/* Handles every punted frame in the ring, then submits the commands and flushes the inject ring. */
int ctnicd_core_punts(struct ctnicd_core *c);
/* One punted frame (tests call it with frames of their own). */
void ctnicd_core_punt(struct ctnicd_core *c, const struct ctnic_punt_desc *d, const uint8_t *frame,
		      size_t len);
/* A frame from the host stack (a local proxy's answer): tracked and translated like a punt. */
void ctnicd_core_host_rx(struct ctnicd_core *c, const uint8_t *frame, size_t len);
/* Reaps the event ring: completions, expiries, errors. */
int ctnicd_core_events(struct ctnicd_core *c);
/* Submits the posted commands and waits for them. */
int ctnicd_core_commit(struct ctnicd_core *c);
/* One event of the card (an expiry, a completion, a ring error) handled as ctnicd_core_events does. */
void ctnicd_core_event(struct ctnicd_core *c, const struct ctnic_event *e);
/* Sends what the inject ring holds. */
int ctnicd_core_flush(struct ctnicd_core *c);

/*
 * The expiry sweep: connections idle longer than their class's timeout
 * (last-seen from the card's flow record) end, as the card's expiry events
 * will end them (issue 6). Looks at up to `budget` records per call.
 */
int ctnicd_core_timer(struct ctnicd_core *c, uint32_t budget);

/*
 * The one place a connection ends: flow removed from the card (unless the
 * card retired it already: card_gone), keys out of the tables, its binding
 * into the linger memory (unless forget). `gen` guards against a late event.
 */
void ctnicd_conn_end(struct ctnicd_core *c, uint32_t id, uint16_t gen, bool card_gone, bool linger,
		     enum ctnicd_end_why why);
/* Records an event of live connection id (when someone reads events). */
void ctnicd_conn_event(struct ctnicd_core *c, uint32_t id, enum ctnicd_ev_type type, enum ctnicd_end_why why);
/* An expiry (the card's event, or the daemon's own sweep). */
void ctnicd_conn_expired(struct ctnicd_core *c, uint32_t id, uint16_t gen, bool card_gone);

/*
 * A static flow (a `flow SPEC` line, docs/daemon.md): a connection with
 * the spec's translation and next hops that never expires. 0, or -1 with err.
 */
struct ctnicd_flow_spec;
int ctnicd_core_static(struct ctnicd_core *c, const struct ctnicd_flow_spec *spec, uint32_t *id,
		       char *err, size_t errlen);

/* Reads the card's tick into c->now. */
int ctnicd_core_clock(struct ctnicd_core *c);

/* Seconds-to-ticks of a class's timeout, and ticks left for a connection. */
uint64_t ctnicd_conn_left(const struct ctnicd_core *c, uint32_t id);

/*
 * Rebuilds the table from the card (a restarted daemon): every valid flow
 * record and its two keys become a connection again (state from its class).
 * Returns how many.
 */
int ctnicd_core_readback(struct ctnicd_core *c, uint32_t *n);

/* The flow record the card should hold for connection id (counters 0, last-seen the daemon's). */
void ctnicd_flow_record(const struct ctnicd_core *c, uint32_t id, struct ctnic_flow *f);

/*
 * Compares the daemon's table with the card's: every key slot, every flow
 * record, every connection said to be in the card. Each difference goes to
 * fn (may be NULL) as one sentence; *ndiff counts them. 0, or a negative
 * errno when the card could not be read.
 */
typedef void ctnicd_audit_fn(void *arg, const char *difference);
int ctnicd_core_audit(struct ctnicd_core *c, ctnicd_audit_fn *fn, void *arg, uint32_t *ndiff);

#endif /* CTNICD_CORE_H */
