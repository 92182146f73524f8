/*
 * ctnic_model.h - the C reference model of the card: the executable spec of
 * the pipeline (docs/contract.md, docs/hardware.md).
 *
 * The model holds the same state as the RTL (BAR0 registers, the flow
 * table, the counters) and answers the same BAR0 accesses. It is bit-exact
 * with the RTL at packet granularity: one frame in, and what leaves (a port
 * and bytes, the host with a punt descriptor and bytes, or a drop reason),
 * with every counter and flow record updated as the card would.
 *
 * It has no clock of its own: time moves with TICK_ADVANCE writes and with
 * ctnic_model_clock() (core clocks, divided by TICK_PERIOD like the card).
 *
 * The key hash and the table packing are driver/src/flow.c's; the model
 * links it. Plain C11; errors are returned, never printed.
 */
#ifndef CTNIC_MODEL_H
#define CTNIC_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctnic_flow.h"
#include "ctnic_regs.h"

/* The card's parameters (the RTL's top-level parameters, reported by CAP_*). */
struct ctnic_model_params {
	unsigned ports;    /* network ports, 1..15 */
	unsigned ways;     /* key entries per bucket */
	unsigned buckets;  /* buckets per sub-table, a power of two <= 65536 */
	unsigned flows;    /* flow records */
	unsigned nexthops; /* next-hop entries, <= 256 */
	unsigned classes;  /* timeout classes */
	unsigned max_frame; /* longest frame stored, bytes (RTL MAX_BEATS * 64) */
};

/* The RTL's default parameters. */
void ctnic_model_default_params(struct ctnic_model_params *p);

struct ctnic_model;

/* Returns NULL and a message in err when the parameters are not possible. */
struct ctnic_model *ctnic_model_create(const struct ctnic_model_params *p, char *err, size_t errlen);
void ctnic_model_destroy(struct ctnic_model *m);

/* BAR0, 32-bit accesses at byte offsets (hw/regmap.json). */
uint32_t ctnic_model_csr_read(struct ctnic_model *m, uint32_t off);
void ctnic_model_csr_write(struct ctnic_model *m, uint32_t off, uint32_t val);

/* Lets `clocks` core clocks pass: the tick counter moves as TICK_PERIOD says. */
void ctnic_model_clock(struct ctnic_model *m, uint64_t clocks);

/* The full 64-bit tick counter. */
uint64_t ctnic_model_tick(const struct ctnic_model *m);

enum ctnic_model_verdict {
	CTNIC_MODEL_TX = 0,   /* sent out of network port `port` */
	CTNIC_MODEL_HOST = 1, /* sent to the host with `desc` */
	CTNIC_MODEL_DROP = 2, /* dropped, counted under `drop_reason` */
};

/* What became of one frame. `data` stays valid until the next call. */
struct ctnic_model_out {
	enum ctnic_model_verdict verdict;
	unsigned port;                       /* CTNIC_MODEL_TX: egress port */
	uint8_t desc[CTNIC_PUNT_DESC_BYTES]; /* CTNIC_MODEL_HOST: the punt descriptor */
	unsigned drop_reason;                /* CTNIC_MODEL_DROP: enum ctnic_drop */
	const uint8_t *data;                 /* frame as it leaves (TX, HOST) */
	size_t len;
};

/*
 * A frame received on network port `port` (bad: the MAC's tuser, a bad
 * FCS). Returns 0, or -1 when port does not exist (nothing counted).
 */
int ctnic_model_rx(struct ctnic_model *m, unsigned port, const uint8_t *frame, size_t len,
		   bool bad, struct ctnic_model_out *out);

/*
 * A frame the host injects, with the inject stream's tuser (port in bits
 * 3:0, CTNIC_INJECT_LOOKUP in bit 4).
 */
int ctnic_model_inject(struct ctnic_model *m, uint8_t tuser, const uint8_t *frame, size_t len,
		       struct ctnic_model_out *out);

/*
 * The card's forward step (docs/contract.md, "What the card does with a
 * packet", step 5) applied in software to a frame the card would look up:
 * the outgoing tuple of d, the TTL decrement when d asks, the MACs when nh
 * asks, and the IPv4, TCP, UDP and ICMP echo checksums updated exactly as
 * the card updates them. ctnicd forwards the packets punted to it with this,
 * so the card and the daemon translate alike. Returns 0, or -1 (frame
 * unchanged) when the card would not look the frame up (it would drop it,
 * or punt it for a reason other than a lookup: IP options, a fragment, an
 * ICMP error, another protocol).
 */
int ctnic_model_rewrite(uint8_t *frame, size_t len, const struct ctnic_flow_dir *d,
			const struct ctnic_nexthop *nh);

/*
 * Aging (docs/hardware.md, "Aging"). The scanner visits the flow records in
 * order, from where it stopped, wrapping at `flows` (AGING_PASSES counts
 * the wraps). A visit retires a valid record whose class's AGING_TIMEOUT is
 * not 0 and whose idle time (tick - last-seen, mod 2^32) has reached it:
 * the record is offered to `fn` as an expiry, and only when `fn` takes it
 * (returns true: the event ring had room) is the valid bit cleared and
 * AGING_EXPIRED counted. When `fn` refuses, the scanner stops at that
 * record and the next call starts there: no flow is retired without its
 * event. Visits nothing while AGING_CTRL.ENABLE is 0. Returns the visits
 * made (fewer than asked when `fn` refused).
 *
 * The model has no clock of its own, so the caller decides when visits
 * happen: ctnic_model_age(m, flows, ...) is one full pass, which is what
 * the card has done once AGING_PASSES has advanced twice with nothing
 * changing (the RTL bench compares there; the model: backend runs a pass
 * whenever device time moves or an aging register is written).
 */
struct ctnic_model_expiry {
	uint32_t flow;                    /* flow id */
	uint32_t tick;                    /* tick bits 31:0 at the visit */
	uint32_t words[CTNIC_FLOW_WORDS]; /* the record as retired (valid set): final counters, class, generation */
};

typedef bool (*ctnic_model_expiry_fn)(void *arg, const struct ctnic_model_expiry *x);

uint64_t ctnic_model_age(struct ctnic_model *m, uint64_t visits, ctnic_model_expiry_fn fn, void *arg);

/*
 * Whether a pass could retire anything now: false only when aging is off,
 * or a whole pass since the last flow record or aging register write found
 * no record due before the current tick (hits only make records later).
 * The model: backend skips passes that could retire nothing.
 */
bool ctnic_model_age_pending(const struct ctnic_model *m);

/* RFC 1624 eqn. 3 over n 16-bit fields (changed or not), folded as the card folds it. */
uint16_t ctnic_model_csum_update(uint16_t hc, const uint16_t *old, const uint16_t *next, unsigned n);

#endif /* CTNIC_MODEL_H */
