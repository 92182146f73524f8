/*
 * ring_priv.h - what ring.c and ring_cmd.c share about a ring: its memory
 * and indices. Not part of the API (ctnic_ring.h is).
 */
#ifndef CTNIC_RING_PRIV_H
#define CTNIC_RING_PRIV_H

#include "backend.h"
#include "ctnic_ring.h"

struct ctnic_ring {
	struct ctnic_dev *dev;
	struct ctnic_dma_pool *pool;
	enum ctnic_ring_id id;
	struct ctnic_dma_buf mem; /* the slots, then the index writeback line */
	uint8_t *slots;
	uint32_t *wb;             /* the card's index, written by the card */
	uint64_t wb_iova;
	uint32_t nslots, mask;
	unsigned slot_log2;
	size_t ring_bytes;
	/* Host's index: inject, command: next slot to fill; punt, event: next to read. */
	uint32_t head;
	uint32_t doorbell;        /* head as last written to RING_PROD or RING_CONS */
	uint8_t *bounce;          /* punt: a frame that wraps, made contiguous */
};

/* The card's index of the ring, from its writeback (acquire). */
uint32_t ctnic_ring_card_idx(const struct ctnic_ring *r);
/* Address of the slot of ring index `index`. */
uint8_t *ctnic_ring_slot_ptr(const struct ctnic_ring *r, uint32_t index);

#endif /* CTNIC_RING_PRIV_H */
