/*
 * model.c - the `model:` backend: the C reference model of the card
 * (sim/model) in this process, behind the same BAR0 and the same DMA rings
 * as the real card (docs/rings.md "The model: backend").
 *
 * BAR0 accesses go to the model, except the ring and interrupt block
 * (0x2000-0x2fff), which this file implements: it is the card's DMA engine
 * in software. A doorbell runs its ring at once: commands go through the
 * model's table window, injected frames through ctnic_model_inject; punts,
 * completions and errors are written into host memory (an anonymous
 * mapping) with the ordering of docs/rings.md, and interrupts are eventfds.
 * Frames on the network side enter with ctnic_model_port_rx and leave
 * through a callback (ctnic_ring.h).
 *
 * URI: model: or model:KEY=N,... with KEY one of ports, ways, buckets,
 * flows, nexthops, classes (the card's parameters, CAP_*) and mem (host
 * memory in MiB, default 64).
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ctnic_model.h"
#include "ring_priv.h"

/* Host memory's device address: above 4 GiB, so RING_BASE_HI is exercised. */
#define MODEL_IOVA 0x100000000ull
#define MODEL_MEM_DEFAULT_MIB 64u
#define RING_REG_BASE 0x2000u
#define RING_REG_STRIDE 0x40u

/* The card's side of one ring. */
struct mring {
	/* registers as written */
	uint32_t base_lo, base_hi, wb_lo, wb_hi, cfg, irq_count, irq_time;
	/* taken at enable */
	bool on, cfg_error, dma_error, wb_on;
	uint64_t wb;
	uint8_t *va;     /* the ring's memory here; NULL: outside host memory */
	uint32_t nslots;
	unsigned slot_log2;
	size_t bytes;
	uint32_t prod, cons;
	uint32_t unsignalled; /* entries since the ring last raised its interrupt */
};

struct model_be {
	struct ctnic_model *m;
	struct ctnic_model_params p;
	uint32_t key_slots;
	uint8_t *mem;
	size_t mem_len;
	struct mring ring[CTNIC_RINGS];
	uint32_t irq_status, irq_enable;
	int efd[CTNIC_RINGS];
	uint64_t host_full;  /* punts dropped for want of room: DROP HOST_FULL */
	uint64_t drop_latch; /* the overlaid HOST_FULL counter as its _LO read latched it */
	ctnic_model_tx_fn *tx;
	void *tx_arg;
	bool running;        /* inside run_rings: a doorbell from a callback only records */
	bool age_due;        /* the aging scanner has a pass to make (or waits for event room) */
	uint64_t aged_tick;  /* device time of the last pass */
	uint8_t frame[CTNIC_RING_MAX_FRAME];
};

/* ---- host memory as the DMA engine sees it ---------------------------------- */

static uint8_t *dma(struct model_be *b, uint64_t addr, size_t len)
{
	if (addr < MODEL_IOVA || addr - MODEL_IOVA > b->mem_len || len > b->mem_len - (addr - MODEL_IOVA))
		return NULL;
	return b->mem + (addr - MODEL_IOVA);
}

static bool c2h(unsigned id)
{
	return id == CTNIC_RING_ID_PUNT || id == CTNIC_RING_ID_EVENT;
}

static bool ring_ok(const struct mring *r)
{
	return r->on && !r->dma_error;
}

static uint8_t *slot(const struct mring *r, uint32_t index)
{
	return r->va + ((size_t)(index & (r->nslots - 1)) << r->slot_log2);
}

/* Copies a frame into a ring's memory from byte `off`, wrapping at its end. */
static void ring_put(struct mring *r, size_t off, const uint8_t *buf, size_t len)
{
	size_t first = r->bytes - off < len ? r->bytes - off : len;

	memcpy(r->va + off, buf, first);
	memcpy(r->va, buf + first, len - first);
}

/* Copies a frame out of a ring's memory from byte `off`, wrapping at its end. */
static void ring_get(const struct mring *r, size_t off, uint8_t *buf, size_t len)
{
	size_t first = r->bytes - off < len ? r->bytes - off : len;

	memcpy(buf, r->va + off, first);
	memcpy(buf + first, r->va, len - first);
}

/* ---- interrupts ------------------------------------------------------------- */

static void fire(struct model_be *b, unsigned id)
{
	uint64_t one = 1;

	/* An eventfd write fails only when its counter would overflow: it is readable anyway. */
	if (write(b->efd[id], &one, sizeof(one)) < 0)
		return;
}

static void raise_irq(struct model_be *b, unsigned id)
{
	uint32_t bit = 1u << id;

	b->ring[id].unsignalled = 0;
	if (b->irq_status & bit)
		return;
	b->irq_status |= bit;
	if (b->irq_enable & bit)
		fire(b, id);
}

/* Moderation by count; what is left is signalled by flush_irqs when the work is done. */
static void count_irq(struct model_be *b, unsigned id, uint32_t n)
{
	struct mring *r = &b->ring[id];

	r->unsignalled += n;
	if (r->unsignalled >= (r->irq_count ? r->irq_count : 1u))
		raise_irq(b, id);
}

/* The model has no clock between host calls: pending entries count as having waited IRQ_TIME. */
static void flush_irqs(struct model_be *b)
{
	for (unsigned id = 0; id < CTNIC_RINGS; id++)
		if (b->ring[id].unsignalled)
			raise_irq(b, id);
}

/* ---- publishing ----------------------------------------------------------------- */

static void post_error(struct model_be *b, unsigned ring, uint8_t code, uint32_t index);

static void dma_fail(struct model_be *b, unsigned id, uint8_t code, uint32_t index)
{
	b->ring[id].dma_error = true;
	if (id != CTNIC_RING_ID_EVENT)
		post_error(b, id, code, index);
}

/* Writes the card's index of ring id to its writeback, after the data it covers (release). */
static void writeback(struct model_be *b, unsigned id)
{
	struct mring *r = &b->ring[id];
	uint32_t *p;

	if (!r->wb_on)
		return;
	if (r->wb % 4 || !(p = (uint32_t *)dma(b, r->wb, 4))) {
		dma_fail(b, id, CTNIC_RING_ERR_DMA_WRITE, c2h(id) ? r->prod : r->cons);
		return;
	}
	__atomic_store_n(p, htole32(c2h(id) ? r->prod : r->cons), __ATOMIC_RELEASE);
}

static bool event_room(struct model_be *b)
{
	struct mring *r = &b->ring[CTNIC_RING_ID_EVENT];

	return r->prod - r->cons < r->nslots;
}

/* Posts an event if the event ring can take it; callers that must not lose it check event_room first. */
static void post_event(struct model_be *b, const struct ctnic_event *e)
{
	struct mring *r = &b->ring[CTNIC_RING_ID_EVENT];

	if (!ring_ok(r) || !event_room(b))
		return;
	if (!r->va) {
		dma_fail(b, CTNIC_RING_ID_EVENT, CTNIC_RING_ERR_DMA_WRITE, r->prod);
		return;
	}
	ctnic_event_pack(e, slot(r, r->prod));
	r->prod++;
	writeback(b, CTNIC_RING_ID_EVENT);
	count_irq(b, CTNIC_RING_ID_EVENT, 1);
}

static void post_error(struct model_be *b, unsigned ring, uint8_t code, uint32_t index)
{
	struct ctnic_event e = {
		.type = CTNIC_EVT_ERROR, .code = code, .aux = (uint8_t)ring, .index = index,
		.tick = (uint32_t)ctnic_model_tick(b->m),
	};

	post_event(b, &e);
}

/* A frame for the host: into the punt ring whole, or dropped and counted HOST_FULL. */
static void punt(struct model_be *b, const uint8_t desc[CTNIC_PUNT_DESC_BYTES], const uint8_t *data, size_t len)
{
	struct mring *r = &b->ring[CTNIC_RING_ID_PUNT];
	uint32_t n = (uint32_t)((CTNIC_RING_HDR_BYTES + len + ((size_t)1 << r->slot_log2) - 1) >> r->slot_log2);
	uint8_t *hdr;

	if (!ring_ok(r) || r->prod - r->cons + n > r->nslots) {
		b->host_full++;
		return;
	}
	if (!r->va) {
		b->host_full++;
		dma_fail(b, CTNIC_RING_ID_PUNT, CTNIC_RING_ERR_DMA_WRITE, r->prod);
		return;
	}
	hdr = slot(r, r->prod);
	memcpy(hdr, desc, CTNIC_PUNT_DESC_BYTES);
	memset(hdr + CTNIC_PUNT_DESC_BYTES, 0, CTNIC_RING_HDR_BYTES - CTNIC_PUNT_DESC_BYTES);
	ring_put(r, (size_t)(hdr - r->va) + CTNIC_RING_HDR_BYTES, data, len);
	r->prod += n;
	writeback(b, CTNIC_RING_ID_PUNT);
	count_irq(b, CTNIC_RING_ID_PUNT, 1);
}

static void deliver(struct model_be *b, const struct ctnic_model_out *out)
{
	switch (out->verdict) {
	case CTNIC_MODEL_TX:
		if (b->tx)
			b->tx(b->tx_arg, out->port, out->data, out->len, ctnic_model_tick(b->m));
		break;
	case CTNIC_MODEL_HOST:
		punt(b, out->desc, out->data, out->len);
		break;
	case CTNIC_MODEL_DROP:
		break;
	}
}

/* ---- the command engine ----------------------------------------------------------- */

static bool zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

static uint8_t cmd_check(const struct model_be *b, const uint8_t *raw, const struct ctnic_cmd *c)
{
	uint32_t keys = b->key_slots;

	if (c->op > CTNIC_CMD_OP_FLOW_REMOVE)
		return CTNIC_CMD_STATUS_BAD_OP;
	if (c->flags & ~CTNIC_CMD_FLAG_CPL || raw[2] || raw[3] || !zero(raw + 20, 12))
		return CTNIC_CMD_STATUS_MALFORMED;
	switch (c->op) {
	case CTNIC_CMD_OP_KEY_WRITE:
	case CTNIC_CMD_OP_KEY_READ:
	case CTNIC_CMD_OP_KEY_DELETE:
		return c->index < keys ? CTNIC_CMD_STATUS_OK : CTNIC_CMD_STATUS_BAD_INDEX;
	case CTNIC_CMD_OP_FLOW_WRITE:
	case CTNIC_CMD_OP_FLOW_READ:
		return c->index < b->p.flows ? CTNIC_CMD_STATUS_OK : CTNIC_CMD_STATUS_BAD_INDEX;
	case CTNIC_CMD_OP_NH_WRITE:
	case CTNIC_CMD_OP_NH_READ:
		return c->index < b->p.nexthops ? CTNIC_CMD_STATUS_OK : CTNIC_CMD_STATUS_BAD_INDEX;
	case CTNIC_CMD_OP_FLOW_INSTALL:
	case CTNIC_CMD_OP_FLOW_REMOVE:
		return c->index < b->p.flows && c->index2 < keys && c->index3 < keys ?
		       CTNIC_CMD_STATUS_OK : CTNIC_CMD_STATUS_BAD_INDEX;
	default:
		return CTNIC_CMD_STATUS_OK;
	}
}

/* One table operation through the model's window (the index was checked). */
static void tbl(struct model_be *b, enum ctnic_tbl_op op, uint32_t index, uint32_t *w, unsigned n)
{
	bool wr = op == CTNIC_TBL_OP_KEY_WRITE || op == CTNIC_TBL_OP_FLOW_WRITE || op == CTNIC_TBL_OP_NH_WRITE;

	if (wr)
		for (unsigned i = 0; i < n; i++)
			ctnic_model_csr_write(b->m, CTNIC_REG_TBL_DATA(i), w[i]);
	ctnic_model_csr_write(b->m, CTNIC_REG_TBL_INDEX, index);
	ctnic_model_csr_write(b->m, CTNIC_REG_TBL_CMD, (uint32_t)op);
	if (!wr)
		for (unsigned i = 0; i < n; i++)
			w[i] = ctnic_model_csr_read(b->m, CTNIC_REG_TBL_DATA(i));
}

/* Runs a checked command; data gets what a read returns. */
static void cmd_exec(struct model_be *b, struct ctnic_cmd *c, uint32_t data[CTNIC_FLOW_WORDS])
{
	static const uint32_t none[CTNIC_KEY_WORDS];
	uint32_t z[CTNIC_KEY_WORDS];

	switch (c->op) {
	case CTNIC_CMD_OP_KEY_WRITE:
	case CTNIC_CMD_OP_FLOW_WRITE:
	case CTNIC_CMD_OP_NH_WRITE:
		tbl(b, (enum ctnic_tbl_op)c->op, c->index, c->data,
		    c->op == CTNIC_CMD_OP_FLOW_WRITE ? CTNIC_FLOW_WORDS : CTNIC_KEY_WORDS);
		break;
	case CTNIC_CMD_OP_KEY_READ:
	case CTNIC_CMD_OP_NH_READ:
		tbl(b, (enum ctnic_tbl_op)c->op, c->index, data, CTNIC_KEY_WORDS);
		break;
	case CTNIC_CMD_OP_FLOW_READ:
		tbl(b, CTNIC_TBL_OP_FLOW_READ, c->index, data, CTNIC_FLOW_WORDS);
		break;
	case CTNIC_CMD_OP_FLOW_INSTALL:
		/* Record first, keys last: the pipeline never follows a key to a half-made flow. */
		tbl(b, CTNIC_TBL_OP_FLOW_WRITE, c->index, c->data, CTNIC_FLOW_WORDS);
		tbl(b, CTNIC_TBL_OP_KEY_WRITE, c->index2, c->key0, CTNIC_KEY_WORDS);
		tbl(b, CTNIC_TBL_OP_KEY_WRITE, c->index3, c->key1, CTNIC_KEY_WORDS);
		break;
	case CTNIC_CMD_OP_KEY_DELETE:
		memcpy(z, none, sizeof(z));
		tbl(b, CTNIC_TBL_OP_KEY_WRITE, c->index, z, CTNIC_KEY_WORDS);
		break;
	case CTNIC_CMD_OP_FLOW_REMOVE:
		memcpy(z, none, sizeof(z));
		tbl(b, CTNIC_TBL_OP_KEY_WRITE, c->index2, z, CTNIC_KEY_WORDS);
		tbl(b, CTNIC_TBL_OP_KEY_WRITE, c->index3, z, CTNIC_KEY_WORDS);
		tbl(b, CTNIC_TBL_OP_FLOW_READ, c->index, data, CTNIC_FLOW_WORDS);
		memcpy(c->data, data, sizeof(c->data));
		c->data[8] &= ~1u; /* flow record word 8 bit 0: valid */
		tbl(b, CTNIC_TBL_OP_FLOW_WRITE, c->index, c->data, CTNIC_FLOW_WORDS);
		break;
	default:
		break;
	}
}

static bool cmd_has_data(uint8_t op)
{
	return op == CTNIC_CMD_OP_KEY_READ || op == CTNIC_CMD_OP_FLOW_READ ||
	       op == CTNIC_CMD_OP_NH_READ || op == CTNIC_CMD_OP_FLOW_REMOVE;
}

/* Runs the command ring up to its doorbell, or until a completion finds the event ring full. */
static bool run_cmd(struct model_be *b)
{
	struct mring *r = &b->ring[CTNIC_RING_ID_CMD];
	uint32_t start = r->cons, window[CTNIC_REG_TBL_DATA_COUNT], window_index;

	if (!ring_ok(r) || r->cons == r->prod)
		return false;
	/* The card's command engine has its own path to the table: the host's TBL_* window is left as it was. */
	for (unsigned i = 0; i < CTNIC_REG_TBL_DATA_COUNT; i++)
		window[i] = ctnic_model_csr_read(b->m, CTNIC_REG_TBL_DATA(i));
	window_index = ctnic_model_csr_read(b->m, CTNIC_REG_TBL_INDEX);
	while (ring_ok(r) && r->cons != r->prod) {
		struct ctnic_event e = { .type = CTNIC_EVT_CPL };
		struct ctnic_cmd c;
		const uint8_t *raw;
		bool cpl;

		if (!r->va) {
			dma_fail(b, CTNIC_RING_ID_CMD, CTNIC_RING_ERR_DMA_READ, r->cons);
			break;
		}
		raw = slot(r, r->cons);
		ctnic_cmd_unpack(raw, &c);
		e.code = cmd_check(b, raw, &c);
		cpl = c.flags & CTNIC_CMD_FLAG_CPL || e.code != CTNIC_CMD_STATUS_OK || cmd_has_data(c.op);
		/* A completion is never lost: wait for room (the host's CONS write resumes us). */
		if (cpl && ring_ok(&b->ring[CTNIC_RING_ID_EVENT]) && !event_room(b))
			break;
		if (e.code == CTNIC_CMD_STATUS_OK)
			cmd_exec(b, &c, e.data);
		e.aux = c.op;
		e.index = r->cons;
		e.tag = c.tag;
		e.tick = (uint32_t)ctnic_model_tick(b->m);
		r->cons++;
		if (cpl)
			post_event(b, &e);
	}
	for (unsigned i = 0; i < CTNIC_REG_TBL_DATA_COUNT; i++)
		ctnic_model_csr_write(b->m, CTNIC_REG_TBL_DATA(i), window[i]);
	ctnic_model_csr_write(b->m, CTNIC_REG_TBL_INDEX, window_index);
	if (r->cons == start)
		return false;
	writeback(b, CTNIC_RING_ID_CMD);
	count_irq(b, CTNIC_RING_ID_CMD, r->cons - start);
	return true;
}

/* ---- the inject engine -------------------------------------------------------------- */

static bool run_inject(struct model_be *b)
{
	struct mring *r = &b->ring[CTNIC_RING_ID_INJECT];
	uint32_t start = r->cons, frames = 0;

	while (ring_ok(r) && r->cons != r->prod) {
		struct ctnic_model_out out;
		const uint8_t *hdr;
		size_t len;
		uint32_t n;

		if (!r->va) {
			dma_fail(b, CTNIC_RING_ID_INJECT, CTNIC_RING_ERR_DMA_READ, r->cons);
			break;
		}
		hdr = slot(r, r->cons);
		len = (size_t)hdr[0] | (size_t)hdr[1] << 8;
		n = (uint32_t)((CTNIC_RING_HDR_BYTES + len + ((size_t)1 << r->slot_log2) - 1) >> r->slot_log2);
		if (len < 1 || len > CTNIC_RING_MAX_FRAME || n > r->nslots || hdr[2] & 0xe0u ||
		    !zero(hdr + 3, CTNIC_RING_HDR_BYTES - 3)) {
			if (ring_ok(&b->ring[CTNIC_RING_ID_EVENT]) && !event_room(b))
				break;
			post_error(b, CTNIC_RING_ID_INJECT, CTNIC_RING_ERR_INJECT_BAD, r->cons);
			r->cons++;
			continue;
		}
		/* A doorbell that covers part of a frame: wait for the rest. */
		if (r->prod - r->cons < n)
			break;
		ring_get(r, (size_t)(hdr - r->va) + CTNIC_RING_HDR_BYTES, b->frame, len);
		r->cons += n;
		frames++;
		ctnic_model_inject(b->m, hdr[2], b->frame, len, &out);
		deliver(b, &out);
	}
	if (r->cons == start)
		return false;
	writeback(b, CTNIC_RING_ID_INJECT);
	count_irq(b, CTNIC_RING_ID_INJECT, frames ? frames : 1);
	return true;
}

/* Runs every host-to-card ring until none moves, then signals what is pending. */
static void run_rings(struct model_be *b)
{
	if (b->running)
		return;
	b->running = true;
	while (run_cmd(b) | run_inject(b))
		;
	b->running = false;
	flush_irqs(b);
}

/* ---- aging: the scanner's expiries onto the event ring ---------------------------- */

static bool take_expiry(void *arg, const struct ctnic_model_expiry *x)
{
	struct model_be *b = arg;
	struct mring *r = &b->ring[CTNIC_RING_ID_EVENT];
	struct ctnic_event e = {
		.type = CTNIC_EVT_EXPIRY, .aux = (uint8_t)((x->words[8] >> 4) & 15u), .index = x->flow,
		.tag = x->words[8] >> 16, .tick = x->tick,
	};

	/* The scanner waits while the event ring is off or full (docs/rings.md). */
	if (!ring_ok(r) || !event_room(b) || !r->va)
		return false;
	memcpy(e.data, x->words, sizeof(e.data));
	post_event(b, &e);
	return true;
}

/*
 * The model has no clock between host calls: the scanner makes a whole pass
 * whenever device time moved or an aging register was written, and goes on
 * from where it waited once the event ring has room again.
 */
static void run_aging(struct model_be *b)
{
	uint64_t now = ctnic_model_tick(b->m);

	if (!b->age_due && (now == b->aged_tick || !ctnic_model_age_pending(b->m)))
		return;
	b->aged_tick = now;
	b->age_due = ctnic_model_age(b->m, b->p.flows, take_expiry, b) < b->p.flows &&
		     ctnic_model_csr_read(b->m, CTNIC_REG_AGING_CTRL);
	flush_irqs(b);
}

/* ---- ring registers --------------------------------------------------------------- */

static void ring_enable(struct model_be *b, unsigned id, uint32_t cfg)
{
	struct mring *r = &b->ring[id];
	unsigned size_log2 = (cfg & CTNIC_RING_CFG_SIZE_LOG2_MASK) >> CTNIC_RING_CFG_SIZE_LOG2_SHIFT;
	unsigned slot_log2 = (cfg & CTNIC_RING_CFG_SLOT_LOG2_MASK) >> CTNIC_RING_CFG_SLOT_LOG2_SHIFT;
	uint64_t base = (uint64_t)r->base_hi << 32 | r->base_lo;

	if (id == CTNIC_RING_ID_CMD || id == CTNIC_RING_ID_EVENT)
		slot_log2 = 7; /* 128-byte entries */
	r->cfg_error = size_log2 < 1 || size_log2 > 24 || slot_log2 < 6 || slot_log2 > 14 || base % 4096;
	if (r->cfg_error)
		return;
	r->on = true;
	r->dma_error = false;
	r->wb_on = cfg & CTNIC_RING_CFG_WB_MASK;
	r->wb = (uint64_t)r->wb_hi << 32 | r->wb_lo;
	r->nslots = 1u << size_log2;
	r->slot_log2 = slot_log2;
	r->bytes = (size_t)r->nslots << slot_log2;
	r->va = dma(b, base, r->bytes);
	r->prod = r->cons = 0;
	r->unsignalled = 0;
	writeback(b, id);
}

static void ring_write(struct model_be *b, unsigned id, uint32_t reg, uint32_t val)
{
	struct mring *r = &b->ring[id];

	switch (reg) {
	case CTNIC_REG_RING_BASE_LO(0):
		r->base_lo = val;
		break;
	case CTNIC_REG_RING_BASE_HI(0):
		r->base_hi = val;
		break;
	case CTNIC_REG_RING_WB_LO(0):
		r->wb_lo = val;
		break;
	case CTNIC_REG_RING_WB_HI(0):
		r->wb_hi = val;
		break;
	case CTNIC_REG_RING_IRQ_COUNT(0):
		r->irq_count = val;
		break;
	case CTNIC_REG_RING_IRQ_TIME(0):
		r->irq_time = val;
		break;
	case CTNIC_REG_RING_CFG(0):
		r->cfg = val;
		if (val & CTNIC_RING_CFG_ENABLE_MASK && !r->on)
			ring_enable(b, id, val);
		else if (!(val & CTNIC_RING_CFG_ENABLE_MASK))
			r->on = false;
		break;
	case CTNIC_REG_RING_PROD(0):
		if (c2h(id) || !r->on)
			break;
		if (val - r->cons > r->nslots) {
			post_error(b, id, CTNIC_RING_ERR_DOORBELL, val);
			break;
		}
		r->prod = val;
		break;
	case CTNIC_REG_RING_CONS(0):
		if (!c2h(id) || !r->on)
			break;
		if (val - r->cons > r->prod - r->cons) {
			post_error(b, id, CTNIC_RING_ERR_DOORBELL, val);
			break;
		}
		r->cons = val;
		break;
	default:
		break;
	}
	/* Any write may let a ring move: a doorbell, or room made in the event ring. */
	run_rings(b);
}

static uint32_t ring_read(const struct model_be *b, unsigned id, uint32_t reg)
{
	const struct mring *r = &b->ring[id];

	switch (reg) {
	case CTNIC_REG_RING_BASE_LO(0): return r->base_lo;
	case CTNIC_REG_RING_BASE_HI(0): return r->base_hi;
	case CTNIC_REG_RING_WB_LO(0): return r->wb_lo;
	case CTNIC_REG_RING_WB_HI(0): return r->wb_hi;
	case CTNIC_REG_RING_IRQ_COUNT(0): return r->irq_count;
	case CTNIC_REG_RING_IRQ_TIME(0): return r->irq_time;
	case CTNIC_REG_RING_CFG(0): return r->cfg;
	case CTNIC_REG_RING_STATUS(0):
		return (r->on ? CTNIC_RING_STATUS_ENABLED_MASK : 0) |
		       (r->cfg_error ? CTNIC_RING_STATUS_CFG_ERROR_MASK : 0) |
		       (r->dma_error ? CTNIC_RING_STATUS_DMA_ERROR_MASK : 0);
	case CTNIC_REG_RING_PROD(0): return r->prod;
	case CTNIC_REG_RING_CONS(0): return r->cons;
	default: return 0;
	}
}

static bool is_ring_reg(uint32_t off)
{
	return off >= RING_REG_BASE && off < RING_REG_BASE + CTNIC_RINGS * RING_REG_STRIDE;
}

/* ---- the backend ----------------------------------------------------------------- */

static int model_csr_read(struct ctnic_dev *dev, uint32_t off, uint32_t *val)
{
	struct model_be *b = dev->priv;

	if (is_ring_reg(off)) {
		*val = ring_read(b, (off - RING_REG_BASE) / RING_REG_STRIDE,
				 RING_REG_BASE + (off - RING_REG_BASE) % RING_REG_STRIDE);
		return 0;
	}
	switch (off) {
	case CTNIC_REG_IRQ_STATUS:
		*val = b->irq_status;
		return 0;
	case CTNIC_REG_IRQ_ENABLE:
		*val = b->irq_enable;
		return 0;
	case CTNIC_REG_CNT_DROP_LO(CTNIC_DROP_HOST_FULL): {
		/* The pipeline never sees a full ring; the DMA engine's drops join its counter. */
		uint32_t lo = ctnic_model_csr_read(b->m, off);
		uint32_t hi = ctnic_model_csr_read(b->m, CTNIC_REG_CNT_DROP_HI(CTNIC_DROP_HOST_FULL));

		b->drop_latch = ((uint64_t)hi << 32 | lo) + b->host_full;
		*val = (uint32_t)b->drop_latch;
		return 0;
	}
	case CTNIC_REG_CNT_DROP_HI(CTNIC_DROP_HOST_FULL):
		*val = (uint32_t)(b->drop_latch >> 32);
		return 0;
	default:
		*val = ctnic_model_csr_read(b->m, off);
		return 0;
	}
}

static int model_csr_write(struct ctnic_dev *dev, uint32_t off, uint32_t val)
{
	struct model_be *b = dev->priv;
	uint32_t mask = CTNIC_IRQ_STATUS_RINGS_MASK;

	if (is_ring_reg(off)) {
		ring_write(b, (off - RING_REG_BASE) / RING_REG_STRIDE,
			   RING_REG_BASE + (off - RING_REG_BASE) % RING_REG_STRIDE, val);
		run_aging(b); /* RING_CONS of the event ring lets a waiting scanner go on */
		return 0;
	}
	switch (off) {
	case CTNIC_REG_IRQ_STATUS:
		b->irq_status &= ~(val & mask);
		break;
	case CTNIC_REG_IRQ_ENABLE: {
		uint32_t rising = val & mask & ~b->irq_enable;

		b->irq_enable = val & mask;
		for (unsigned id = 0; id < CTNIC_RINGS; id++)
			if (rising & b->irq_status & 1u << id)
				fire(b, id);
		break;
	}
	case CTNIC_REG_IRQ_TEST:
		for (unsigned id = 0; id < CTNIC_RINGS; id++)
			if (val & mask & 1u << id)
				raise_irq(b, id);
		break;
	default:
		ctnic_model_csr_write(b->m, off, val);
		if (off >= CTNIC_REG_AGING_CTRL && off < CTNIC_REG_AGING_TIMEOUT(CTNIC_REG_AGING_TIMEOUT_COUNT))
			b->age_due = true;
		break;
	}
	run_aging(b);
	return 0;
}

static int model_host_mem(struct ctnic_dev *dev, void **base, size_t *len, uint64_t *dev_addr)
{
	struct model_be *b = dev->priv;

	*base = b->mem;
	*len = b->mem_len;
	*dev_addr = MODEL_IOVA;
	return 0;
}

static int model_irq_fd(struct ctnic_dev *dev, unsigned vector, int *fd)
{
	struct model_be *b = dev->priv;

	if (vector >= CTNIC_RINGS)
		return ctnic_dev_err(dev, -EINVAL, "interrupt vector %u on %s: the card has %u", vector,
				     dev->uri, CTNIC_RINGS);
	*fd = b->efd[vector];
	return 0;
}

/*
 * The card's reset, as rst does it in the RTL: a fresh model (tables,
 * counters and registers at their reset values), every ring off with its
 * registers cleared, interrupts disabled and nothing pending. Host memory is
 * the host's and stays; so do the eventfds (drained) and the port callback.
 */
static int model_reset(struct ctnic_dev *dev)
{
	struct model_be *b = dev->priv;
	char err[CTNIC_ERR_LEN];
	struct ctnic_model *m;

	if (b->running)
		return ctnic_dev_err(dev, -EBUSY, "ctnic_reset on %s: called from inside a port callback while the card runs its rings: reset after it returns",
				     dev->uri);
	if (!(m = ctnic_model_create(&b->p, err, sizeof(err))))
		return ctnic_dev_err(dev, -ENOMEM, "ctnic_reset on %s: a fresh model: %s", dev->uri, err);
	ctnic_model_destroy(b->m);
	b->m = m;
	memset(b->ring, 0, sizeof(b->ring));
	for (unsigned i = 0; i < CTNIC_RINGS; i++) {
		uint64_t stale;

		b->ring[i].irq_count = CTNIC_REG_RING_IRQ_COUNT_RESET;
		/* Non-blocking: fails with EAGAIN once nothing is left. */
		while (read(b->efd[i], &stale, sizeof(stale)) == (ssize_t)sizeof(stale))
			;
	}
	b->irq_status = 0;
	b->irq_enable = 0;
	b->host_full = 0;
	b->drop_latch = 0;
	b->age_due = false;
	b->aged_tick = ctnic_model_tick(b->m);
	return 0;
}

static void model_close(struct ctnic_dev *dev)
{
	struct model_be *b = dev->priv;

	if (!b)
		return;
	for (unsigned i = 0; i < CTNIC_RINGS; i++)
		if (b->efd[i] >= 0)
			close(b->efd[i]);
	if (b->mem)
		munmap(b->mem, b->mem_len);
	ctnic_model_destroy(b->m);
	free(b);
	dev->priv = NULL;
}

/* Parses "KEY=N,KEY=N" into the parameters and the host memory size. */
static int parse_arg(struct ctnic_dev *dev, const char *arg, struct ctnic_model_params *p, unsigned *mem_mib)
{
	static const struct {
		const char *key;
		size_t field;
	} keys[] = {
		{ "ports", offsetof(struct ctnic_model_params, ports) },
		{ "ways", offsetof(struct ctnic_model_params, ways) },
		{ "buckets", offsetof(struct ctnic_model_params, buckets) },
		{ "flows", offsetof(struct ctnic_model_params, flows) },
		{ "nexthops", offsetof(struct ctnic_model_params, nexthops) },
		{ "classes", offsetof(struct ctnic_model_params, classes) },
	};
	const char *s = arg;

	while (*s) {
		const char *eq = strchr(s, '='), *end = strchr(s, ',');
		unsigned long v;
		char *num_end;
		size_t klen;
		bool found = false;

		if (!end)
			end = s + strlen(s);
		if (!eq || eq > end)
			goto bad;
		klen = (size_t)(eq - s);
		errno = 0;
		v = strtoul(eq + 1, &num_end, 0);
		if (errno || num_end != end || eq + 1 == end || v > 1u << 24)
			goto bad;
		if (klen == 3 && !strncmp(s, "mem", 3)) {
			*mem_mib = (unsigned)v;
			found = true;
		}
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strlen(keys[i].key) == klen && !strncmp(s, keys[i].key, klen)) {
				unsigned u = (unsigned)v;

				memcpy((char *)p + keys[i].field, &u, sizeof(u));
				found = true;
			}
		if (!found)
			goto bad;
		s = *end ? end + 1 : end;
	}
	return 0;
bad:
	return ctnic_dev_err(dev, -EINVAL, "ctnic_open %s: '%s' is not a list of KEY=N: give model: or model:KEY=N,... with KEY ports, ways, buckets, flows, nexthops, classes or mem (MiB)",
			     dev->uri, arg);
}

static int model_open(struct ctnic_dev *dev, const char *arg)
{
	struct model_be *b;
	unsigned mem_mib = MODEL_MEM_DEFAULT_MIB;
	char err[CTNIC_ERR_LEN];
	int rc;

	if (!(b = calloc(1, sizeof(*b))))
		return ctnic_dev_err(dev, -ENOMEM, "ctnic_open %s: out of memory", dev->uri);
	dev->priv = b;
	for (unsigned i = 0; i < CTNIC_RINGS; i++)
		b->efd[i] = -1;
	ctnic_model_default_params(&b->p);
	if ((rc = parse_arg(dev, arg, &b->p, &mem_mib)) < 0)
		goto fail;
	if (mem_mib < 1) {
		rc = ctnic_dev_err(dev, -EINVAL, "ctnic_open %s: mem=0: the card needs at least 1 MiB of host memory", dev->uri);
		goto fail;
	}
	if (!(b->m = ctnic_model_create(&b->p, err, sizeof(err)))) {
		rc = ctnic_dev_err(dev, -EINVAL, "ctnic_open %s: %s", dev->uri, err);
		goto fail;
	}
	b->key_slots = 2 * b->p.buckets * b->p.ways;
	b->mem_len = (size_t)mem_mib << 20;
	b->mem = mmap(NULL, b->mem_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (b->mem == MAP_FAILED) {
		b->mem = NULL;
		rc = ctnic_dev_err(dev, -errno, "ctnic_open %s: mmap of %u MiB of host memory: %s", dev->uri,
				   mem_mib, strerror(errno));
		goto fail;
	}
	for (unsigned i = 0; i < CTNIC_RINGS; i++) {
		b->ring[i].irq_count = CTNIC_REG_RING_IRQ_COUNT_RESET;
		if ((b->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
			rc = ctnic_dev_err(dev, -errno, "ctnic_open %s: eventfd for interrupt vector %u: %s",
					   dev->uri, i, strerror(errno));
			goto fail;
		}
	}
	return 0;
fail:
	model_close(dev);
	return rc;
}

const struct ctnic_backend_ops ctnic_backend_model = {
	.scheme = "model",
	.usage = "model:[KEY=N,...]",
	.open = model_open,
	.close = model_close,
	.csr_read = model_csr_read,
	.csr_write = model_csr_write,
	.host_mem = model_host_mem,
	.irq_fd = model_irq_fd,
	.reset = model_reset,
};

/* ---- network ports (ctnic_ring.h) --------------------------------------------------- */

static struct model_be *model_of(struct ctnic_dev *dev, const char *what)
{
	if (dev->ops != &ctnic_backend_model) {
		ctnic_dev_err(dev, -ENOTSUP, "%s on %s: only model: devices have software network ports",
			      what, dev->uri);
		return NULL;
	}
	return dev->priv;
}

int ctnic_model_port_rx(struct ctnic_dev *dev, unsigned port, const void *frame, size_t len, int bad)
{
	struct model_be *b = model_of(dev, "ctnic_model_port_rx");
	struct ctnic_model_out out;

	if (!b)
		return -ENOTSUP;
	if (ctnic_model_rx(b->m, port, frame, len, bad, &out) < 0)
		return ctnic_dev_err(dev, -EINVAL, "ctnic_model_port_rx on %s: port %u does not exist (the card has %u)",
				     dev->uri, port, b->p.ports);
	deliver(b, &out);
	flush_irqs(b);
	return 0;
}

int ctnic_model_port_tx_cb(struct ctnic_dev *dev, ctnic_model_tx_fn *fn, void *arg)
{
	struct model_be *b = model_of(dev, "ctnic_model_port_tx_cb");

	if (!b)
		return -ENOTSUP;
	b->tx = fn;
	b->tx_arg = arg;
	return 0;
}

int ctnic_model_port_clock(struct ctnic_dev *dev, uint64_t clocks)
{
	struct model_be *b = model_of(dev, "ctnic_model_port_clock");

	if (!b)
		return -ENOTSUP;
	ctnic_model_clock(b->m, clocks);
	run_aging(b);
	return 0;
}
