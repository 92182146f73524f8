/*
 * ctnic_ring.h - the host side of the card's DMA rings (docs/rings.md):
 * DMA memory, the punt, inject, command and event rings, interrupts as file
 * descriptors, and the model: backend's network ports.
 *
 * Works over any libctnic backend with host memory (ctnic_host_mem()). Same
 * error rules as ctnic.h: 0 or a negative errno, the message in the device
 * (ctnic_last_error()). A ring is used from one thread at a time.
 *
 * Typical use:
 *
 *   ctnic_dma_pool_create(dev, &pool);
 *   ctnic_ring_create(dev, pool, &(struct ctnic_ring_cfg){ .id = CTNIC_RING_ID_CMD, ... }, &cmd);
 *   ...event ring likewise...
 *   ctnic_cmd_flow_install(cmd, flow_id, &flow, slot0, &k0, slot1, &k1, tag);  (many)
 *   ctnic_cmd_submit(cmd, &last);
 *   ctnic_cmd_wait(cmd, ev, last, &cpl, on_other_event, arg);
 *   ctnic_ring_destroy(...); ctnic_dma_pool_destroy(pool);
 */
#ifndef CTNIC_RING_H
#define CTNIC_RING_H

#include <stddef.h>
#include <stdint.h>

#include "ctnic.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- DMA memory ------------------------------------------------------------ */

struct ctnic_dma_pool;

/* A block of host memory the card reaches at `iova`. */
struct ctnic_dma_buf {
	void *va;
	uint64_t iova;
	size_t len;
};

/*
 * A first-fit allocator over the device's whole host memory
 * (ctnic_host_mem()). One pool per device and process: two pools would hand
 * out the same memory.
 */
int ctnic_dma_pool_create(struct ctnic_dev *dev, struct ctnic_dma_pool **poolp);
/* Frees the pool (blocks still allocated are forgotten); NULL is allowed. */
void ctnic_dma_pool_destroy(struct ctnic_dma_pool *pool);
/* len rounded up to 4096; the block is 4096-byte aligned and zeroed. -ENOMEM when none fits. */
int ctnic_dma_alloc(struct ctnic_dma_pool *pool, size_t len, struct ctnic_dma_buf *buf);
/* Returns a block from ctnic_dma_alloc; a zeroed buf (va NULL) is ignored. */
void ctnic_dma_free(struct ctnic_dma_pool *pool, struct ctnic_dma_buf *buf);

/* ---- rings ------------------------------------------------------------------ */

struct ctnic_ring;

struct ctnic_ring_cfg {
	enum ctnic_ring_id id; /* which of the card's rings */
	unsigned size_log2;    /* 2^size_log2 slots, 1..24 */
	unsigned slot_log2;    /* punt, inject: bytes per slot 2^n, 6..14; others ignore it */
	uint32_t irq_count;    /* RING_IRQ_COUNT: entries per interrupt */
	uint32_t irq_time;     /* RING_IRQ_TIME: core clocks */
};

/*
 * Allocates the ring's slots and its index writeback, programs the card's
 * RING_* registers, enables the ring with writeback on, and enables its
 * interrupt. Fails with a message if the card refuses the configuration
 * (RING_STATUS.CFG_ERROR) or the ring is already on.
 */
int ctnic_ring_create(struct ctnic_dev *dev, struct ctnic_dma_pool *pool,
		      const struct ctnic_ring_cfg *cfg, struct ctnic_ring **ringp);
/* Disables the ring's interrupt and the ring, then frees its memory. NULL is allowed. */
void ctnic_ring_destroy(struct ctnic_ring *r);

enum ctnic_ring_id ctnic_ring_kind(const struct ctnic_ring *r);
/* "punt", "inject", "command", "event". */
const char *ctnic_ring_name(enum ctnic_ring_id id);
/* Slots in the ring, and slots free for the host to fill (inject, command). */
uint32_t ctnic_ring_slots(const struct ctnic_ring *r);
uint32_t ctnic_ring_free(const struct ctnic_ring *r);

/* Inject, command: rings the doorbell (RING_PROD) for everything posted. */
int ctnic_ring_flush(struct ctnic_ring *r);
/* Punt, event: hands every polled entry back to the card (RING_CONS). */
int ctnic_ring_release(struct ctnic_ring *r);

/* ---- inject ------------------------------------------------------------------ */

/*
 * Copies a frame (1..CTNIC_RING_MAX_FRAME bytes) into the inject ring with
 * its tuser (port in bits 3:0, CTNIC_INJECT_LOOKUP). -EAGAIN when the ring
 * has no room yet (flush, and let the card consume). The card sees it at
 * the next ctnic_ring_flush().
 */
int ctnic_inject_post(struct ctnic_ring *inj, uint8_t tuser, const void *frame, size_t len);

/* ---- commands ------------------------------------------------------------------ */

/* One command ring entry, unpacked (docs/rings.md "Command ring"). */
struct ctnic_cmd {
	uint8_t op;        /* enum ctnic_cmd_op */
	uint8_t flags;     /* CTNIC_CMD_FLAG_CPL */
	uint32_t index, index2, index3;
	uint32_t tag;
	uint32_t data[CTNIC_FLOW_WORDS];
	uint32_t key0[CTNIC_KEY_WORDS];
	uint32_t key1[CTNIC_KEY_WORDS];
};

#define CTNIC_CMD_FLAG_CPL 0x01u /* post a completion even on success */

/* Packs a command into its 128 bytes, and back. */
void ctnic_cmd_pack(const struct ctnic_cmd *c, uint8_t out[CTNIC_CMD_ENTRY_BYTES]);
void ctnic_cmd_unpack(const uint8_t in[CTNIC_CMD_ENTRY_BYTES], struct ctnic_cmd *c);

/*
 * Each of these writes one entry into the next free command slot; -EAGAIN
 * when the ring is full (submit and wait first). Nothing reaches the card
 * before ctnic_cmd_submit().
 */
int ctnic_cmd_post(struct ctnic_ring *cmd, const struct ctnic_cmd *c);
/* Writes 128 raw bytes as the next entry (tests: garbled commands). */
int ctnic_cmd_post_raw(struct ctnic_ring *cmd, const uint8_t entry[CTNIC_CMD_ENTRY_BYTES]);
/* Flow record, then both key entries: one connection in one command. */
int ctnic_cmd_flow_install(struct ctnic_ring *cmd, uint32_t flow_id, const struct ctnic_flow *f,
			   uint32_t slot0, const struct ctnic_key_entry *k0,
			   uint32_t slot1, const struct ctnic_key_entry *k1, uint32_t tag);
/* Deletes both keys, then invalidates the record; the completion has its final counters. */
int ctnic_cmd_flow_remove(struct ctnic_ring *cmd, uint32_t flow_id, uint32_t slot0, uint32_t slot1,
			  uint32_t tag);
int ctnic_cmd_key_write(struct ctnic_ring *cmd, uint32_t slot, const struct ctnic_key_entry *e, uint32_t tag);
int ctnic_cmd_key_delete(struct ctnic_ring *cmd, uint32_t slot, uint32_t tag);
int ctnic_cmd_flow_write(struct ctnic_ring *cmd, uint32_t flow_id, const struct ctnic_flow *f, uint32_t tag);
int ctnic_cmd_nexthop_write(struct ctnic_ring *cmd, uint32_t index, const struct ctnic_nexthop *n, uint32_t tag);
/* Reads: the completion's data holds the entry (ctnic_*_unpack it). */
int ctnic_cmd_read(struct ctnic_ring *cmd, enum ctnic_cmd_op op, uint32_t index, uint32_t tag);

/*
 * Ends a batch: sets CPL on its last entry (posts a NOP with CPL when the
 * batch is empty) and rings the doorbell. *last is the ring index of that
 * entry, the one ctnic_cmd_wait() waits for.
 */
int ctnic_cmd_submit(struct ctnic_ring *cmd, uint32_t *last);

/* ---- events ------------------------------------------------------------------ */

/* One event ring entry, unpacked (docs/rings.md "Event ring"). */
struct ctnic_event {
	uint8_t type;   /* enum ctnic_evt */
	uint8_t code;   /* CPL: enum ctnic_cmd_status; ERROR: enum ctnic_ring_err */
	uint8_t aux;    /* CPL: the command's op; ERROR: enum ctnic_ring_id; EXPIRY: timeout class */
	uint32_t index; /* CPL: the command's ring index; EXPIRY: flow id; ERROR: ring index */
	uint32_t tag;   /* CPL: the command's tag; EXPIRY: generation */
	uint32_t tick;  /* device tick, low 32 bits */
	uint32_t data[CTNIC_FLOW_WORDS];
};

void ctnic_event_pack(const struct ctnic_event *e, uint8_t out[CTNIC_EVT_ENTRY_BYTES]);
void ctnic_event_unpack(const uint8_t in[CTNIC_EVT_ENTRY_BYTES], struct ctnic_event *e);

/*
 * The next event the card published: 1 and *e filled, 0 when there is none
 * yet. Slots go back to the card with ctnic_ring_release().
 */
int ctnic_event_poll(struct ctnic_ring *ev, struct ctnic_event *e);

/* Called for events other than the awaited completion (expiries, earlier completions, errors). */
typedef void ctnic_event_fn(void *arg, const struct ctnic_event *e);

/*
 * Reaps events until the completion of command `last` (from
 * ctnic_cmd_submit) arrives, copies it to *cpl (may be NULL), and releases
 * the event slots. Every other event goes to fn (may be NULL). Waits on the
 * event ring's interrupt fd when the backend has one, else polls; gives up
 * after timeout_ms. -EIO with a message when any completion seen had a
 * status other than OK (all were still handed to fn).
 */
int ctnic_cmd_wait(struct ctnic_ring *cmd, struct ctnic_ring *ev, uint32_t last,
		   struct ctnic_event *cpl, ctnic_event_fn *fn, void *arg, int timeout_ms);

/* ---- punt --------------------------------------------------------------------- */

/* One punted frame. `frame` stays valid until the next poll or release of the ring. */
struct ctnic_punt_frame {
	struct ctnic_punt_desc desc;
	const uint8_t *frame;
	size_t len;
	uint32_t index; /* ring index of its first slot */
};

/* The next punted frame: 1 and *p filled, 0 when there is none yet. */
int ctnic_punt_poll(struct ctnic_ring *punt, struct ctnic_punt_frame *p);

/* ---- interrupts ------------------------------------------------------------------ */

/*
 * A file descriptor that polls readable when ring `id`'s interrupt vector
 * fires (an eventfd; owned by the device, do not close it). -ENOTSUP when
 * the backend delivers no interrupts.
 */
int ctnic_irq_fd(struct ctnic_dev *dev, enum ctnic_ring_id id, int *fd);
/* Clears the fd's count and IRQ_STATUS bit `id`: call before draining the ring. */
int ctnic_irq_ack(struct ctnic_dev *dev, enum ctnic_ring_id id);

/* ---- the model: backend's network ports ------------------------------------------ */

/* A frame the card sends out of network port `port` at device tick `tick`. */
typedef void ctnic_model_tx_fn(void *arg, unsigned port, const uint8_t *frame, size_t len,
			       uint64_t tick);

/*
 * model: devices only (-ENOTSUP otherwise). ctnic_model_port_rx feeds a frame
 * into network port `port` as its MAC would (bad: the MAC marked it bad);
 * whatever the card does with it happens before the call returns: frames
 * out of the ports go to the tx callback, punts to the punt ring, drops to
 * the counters. ctnic_model_port_clock lets core clocks pass (the tick
 * counter follows TICK_PERIOD).
 */
int ctnic_model_port_rx(struct ctnic_dev *dev, unsigned port, const void *frame, size_t len, int bad);
int ctnic_model_port_tx_cb(struct ctnic_dev *dev, ctnic_model_tx_fn *fn, void *arg);
int ctnic_model_port_clock(struct ctnic_dev *dev, uint64_t clocks);

#ifdef __cplusplus
}
#endif

#endif /* CTNIC_RING_H */
