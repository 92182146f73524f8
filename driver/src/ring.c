/*
 * ring.c - the host side of the card's rings (ctnic_ring.h, docs/rings.md):
 * lifecycle, indices and doorbells, the inject and punt rings, interrupts.
 * Commands and events are in ring_cmd.c.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ring_priv.h"

/* RING_STATUS reads while waiting for a ring to stop. */
#define RING_STOP_POLLS 1000

static const char *const ring_names[CTNIC_RINGS] = { "punt", "inject", "command", "event" };

const char *ctnic_ring_name(enum ctnic_ring_id id)
{
	return (unsigned)id < CTNIC_RINGS ? ring_names[id] : "unknown";
}

static int set_irq_enable(struct ctnic_dev *dev, enum ctnic_ring_id id, int on)
{
	uint32_t v;
	int rc;

	if ((rc = ctnic_csr_read(dev, CTNIC_REG_IRQ_ENABLE, &v)) < 0)
		return rc;
	v = on ? v | 1u << id : v & ~(1u << id);
	return ctnic_csr_write(dev, CTNIC_REG_IRQ_ENABLE, v);
}

/* Turns the ring off on the card and waits until the DMA engine says it is (bounded). */
static int stop_ring(struct ctnic_dev *dev, enum ctnic_ring_id id)
{
	uint32_t st = 0;
	int rc;

	if ((rc = ctnic_csr_write(dev, CTNIC_REG_RING_CFG(id), 0)) < 0)
		return rc;
	for (int i = 0; i < RING_STOP_POLLS; i++) {
		if ((rc = ctnic_csr_read(dev, CTNIC_REG_RING_STATUS(id), &st)) < 0)
			return rc;
		if (!(st & CTNIC_RING_STATUS_ENABLED_MASK))
			return 0;
	}
	return ctnic_dev_err(dev, -ETIMEDOUT, "stopping the %s ring of %s: RING_STATUS.ENABLED still 1 after %d reads: the DMA engine is hung; reset the card",
			     ctnic_ring_name(id), dev->uri, RING_STOP_POLLS);
}

static int check_cfg(struct ctnic_dev *dev, const struct ctnic_ring_cfg *cfg)
{
	int framed = cfg->id == CTNIC_RING_ID_PUNT || cfg->id == CTNIC_RING_ID_INJECT;

	if ((unsigned)cfg->id >= CTNIC_RINGS)
		return ctnic_dev_err(dev, -EINVAL, "ctnic_ring_create on %s: ring id %u is not one of the card's rings (enum ctnic_ring_id)",
				     dev->uri, (unsigned)cfg->id);
	if (cfg->size_log2 < 1 || cfg->size_log2 > 24)
		return ctnic_dev_err(dev, -EINVAL, "ctnic_ring_create %s ring on %s: size_log2 %u is outside 1..24",
				     ctnic_ring_name(cfg->id), dev->uri, cfg->size_log2);
	if (framed && (cfg->slot_log2 < 6 || cfg->slot_log2 > 14))
		return ctnic_dev_err(dev, -EINVAL, "ctnic_ring_create %s ring on %s: slot_log2 %u is outside 6..14 (64 to 16384-byte slots)",
				     ctnic_ring_name(cfg->id), dev->uri, cfg->slot_log2);
	if (framed && ((size_t)1 << (cfg->size_log2 + cfg->slot_log2)) < CTNIC_RING_HDR_BYTES + CTNIC_RING_MAX_FRAME)
		return ctnic_dev_err(dev, -EINVAL, "ctnic_ring_create %s ring on %s: 2^%u slots of 2^%u bytes cannot hold one %u-byte frame with its %u-byte header: make it larger",
				     ctnic_ring_name(cfg->id), dev->uri, cfg->size_log2, cfg->slot_log2,
				     CTNIC_RING_MAX_FRAME, CTNIC_RING_HDR_BYTES);
	return 0;
}

static int program(struct ctnic_ring *r, const struct ctnic_ring_cfg *cfg)
{
	struct ctnic_dev *dev = r->dev;
	unsigned id = r->id;
	uint32_t st, on = CTNIC_RING_CFG_ENABLE_MASK | CTNIC_RING_CFG_WB_MASK |
			  (uint32_t)cfg->size_log2 << CTNIC_RING_CFG_SIZE_LOG2_SHIFT |
			  (uint32_t)(r->slot_log2 & 0xfu) << CTNIC_RING_CFG_SLOT_LOG2_SHIFT;
	int rc;

	/* A ring left on by a previous owner (a daemon that died) is taken over. */
	if ((rc = stop_ring(dev, r->id)) < 0 ||
	    (rc = ctnic_csr_write(dev, CTNIC_REG_RING_BASE_LO(id), (uint32_t)r->mem.iova)) < 0 ||
	    (rc = ctnic_csr_write(dev, CTNIC_REG_RING_BASE_HI(id), (uint32_t)(r->mem.iova >> 32))) < 0 ||
	    (rc = ctnic_csr_write(dev, CTNIC_REG_RING_WB_LO(id), (uint32_t)r->wb_iova)) < 0 ||
	    (rc = ctnic_csr_write(dev, CTNIC_REG_RING_WB_HI(id), (uint32_t)(r->wb_iova >> 32))) < 0 ||
	    (rc = ctnic_csr_write(dev, CTNIC_REG_RING_IRQ_COUNT(id), cfg->irq_count)) < 0 ||
	    (rc = ctnic_csr_write(dev, CTNIC_REG_RING_IRQ_TIME(id), cfg->irq_time)) < 0 ||
	    (rc = ctnic_csr_write(dev, CTNIC_REG_RING_CFG(id), on)) < 0 ||
	    (rc = ctnic_csr_read(dev, CTNIC_REG_RING_STATUS(id), &st)) < 0)
		return rc;
	if (st & CTNIC_RING_STATUS_CFG_ERROR_MASK || !(st & CTNIC_RING_STATUS_ENABLED_MASK))
		return ctnic_dev_err(dev, -EIO, "enabling the %s ring of %s (RING_CFG 0x%08x, base 0x%llx): refused, RING_STATUS 0x%08x: the card does not support this size or slot size (docs/rings.md)",
				     ctnic_ring_name(r->id), dev->uri, on, (unsigned long long)r->mem.iova, st);
	return 0;
}

int ctnic_ring_create(struct ctnic_dev *dev, struct ctnic_dma_pool *pool,
		      const struct ctnic_ring_cfg *cfg, struct ctnic_ring **ringp)
{
	struct ctnic_ring *r;
	int rc;

	*ringp = NULL;
	if ((rc = check_cfg(dev, cfg)) < 0)
		return rc;
	if (!(r = calloc(1, sizeof(*r))))
		return ctnic_dev_err(dev, -ENOMEM, "ctnic_ring_create %s ring on %s: out of memory",
				     ctnic_ring_name(cfg->id), dev->uri);
	r->dev = dev;
	r->pool = pool;
	r->id = cfg->id;
	r->slot_log2 = cfg->id == CTNIC_RING_ID_PUNT || cfg->id == CTNIC_RING_ID_INJECT ? cfg->slot_log2 : 7;
	r->nslots = 1u << cfg->size_log2;
	r->mask = r->nslots - 1;
	r->ring_bytes = (size_t)r->nslots << r->slot_log2;
	if (r->id == CTNIC_RING_ID_PUNT && !(r->bounce = malloc(CTNIC_RING_MAX_FRAME))) {
		rc = ctnic_dev_err(dev, -ENOMEM, "ctnic_ring_create punt ring on %s: out of memory", dev->uri);
		goto fail_bounce;
	}
	/* The slots, then one 64-byte line for the card's index writeback. */
	if ((rc = ctnic_dma_alloc(pool, r->ring_bytes + 64, &r->mem)) < 0)
		goto fail_mem;
	r->slots = r->mem.va;
	r->wb = (uint32_t *)(r->slots + r->ring_bytes);
	r->wb_iova = r->mem.iova + r->ring_bytes;
	if ((rc = program(r, cfg)) < 0)
		goto fail_program;
	if ((rc = set_irq_enable(dev, r->id, 1)) < 0)
		goto fail_irq;
	*ringp = r;
	return 0;

fail_irq:
fail_program:
	stop_ring(dev, r->id);
	ctnic_dma_free(pool, &r->mem);
fail_mem:
	free(r->bounce);
fail_bounce:
	free(r);
	return rc;
}

void ctnic_ring_destroy(struct ctnic_ring *r)
{
	if (!r)
		return;
	set_irq_enable(r->dev, r->id, 0);
	stop_ring(r->dev, r->id);
	ctnic_dma_free(r->pool, &r->mem);
	free(r->bounce);
	free(r);
}

enum ctnic_ring_id ctnic_ring_kind(const struct ctnic_ring *r)
{
	return r->id;
}

uint32_t ctnic_ring_slots(const struct ctnic_ring *r)
{
	return r->nslots;
}

uint32_t ctnic_ring_card_idx(const struct ctnic_ring *r)
{
	/* Acquire: the entries below the index were written before it (docs/rings.md). */
	return le32toh(__atomic_load_n(r->wb, __ATOMIC_ACQUIRE));
}

uint32_t ctnic_ring_free(const struct ctnic_ring *r)
{
	if (r->id == CTNIC_RING_ID_INJECT || r->id == CTNIC_RING_ID_CMD)
		return r->nslots - (r->head - ctnic_ring_card_idx(r));
	return 0;
}

/* Writes the host's index to the card (RING_PROD or RING_CONS) when it moved. */
static int doorbell(struct ctnic_ring *r, uint32_t reg)
{
	int rc;

	if (r->head == r->doorbell)
		return 0;
	/*
	 * Release: on a producer ring the entries are in memory before the card
	 * hears of them; on a consumer ring our reads of the slots are done
	 * before the card may overwrite them. This fence orders against other
	 * threads only (the sim: and model: backends, whose "card" is software);
	 * against a real device the backend's register write orders itself:
	 * pci: writes through ctnic_mmio_write32, whose ctnic_mmio_wmb() is the
	 * device-strength barrier (ctnic_vfio.h says why, per architecture).
	 * sim:'s write is a send() on a socket, a system call the simulator
	 * must see before it reads the shared file, so it is ordered as well.
	 */
	atomic_thread_fence(memory_order_release);
	if ((rc = ctnic_csr_write(r->dev, reg, r->head)) < 0)
		return rc;
	r->doorbell = r->head;
	return 0;
}

int ctnic_ring_flush(struct ctnic_ring *r)
{
	return doorbell(r, CTNIC_REG_RING_PROD(r->id));
}

int ctnic_ring_release(struct ctnic_ring *r)
{
	return doorbell(r, CTNIC_REG_RING_CONS(r->id));
}

uint8_t *ctnic_ring_slot_ptr(const struct ctnic_ring *r, uint32_t index)
{
	return r->slots + ((size_t)(index & r->mask) << r->slot_log2);
}

/* Slots a frame of len bytes takes with its header. */
static uint32_t frame_slots(const struct ctnic_ring *r, size_t len)
{
	return (uint32_t)((CTNIC_RING_HDR_BYTES + len + ((size_t)1 << r->slot_log2) - 1) >> r->slot_log2);
}

/* Frame bytes start after the header of slot `index` and wrap at the ring's end. */
static size_t frame_off(const struct ctnic_ring *r, uint32_t index)
{
	return ((size_t)(index & r->mask) << r->slot_log2) + CTNIC_RING_HDR_BYTES;
}

int ctnic_inject_post(struct ctnic_ring *inj, uint8_t tuser, const void *frame, size_t len)
{
	struct ctnic_dev *dev = inj->dev;
	uint8_t *hdr;
	uint32_t n;
	size_t off, first;

	if (inj->id != CTNIC_RING_ID_INJECT)
		return ctnic_dev_err(dev, -EINVAL, "ctnic_inject_post on %s: the %s ring is not the inject ring",
				     dev->uri, ctnic_ring_name(inj->id));
	if (len < 1 || len > CTNIC_RING_MAX_FRAME)
		return ctnic_dev_err(dev, -EINVAL, "ctnic_inject_post on %s: a frame of %zu bytes: the card takes 1..%u",
				     dev->uri, len, CTNIC_RING_MAX_FRAME);
	if (tuser & ~(CTNIC_INJECT_PORT_MASK | CTNIC_INJECT_LOOKUP))
		return ctnic_dev_err(dev, -EINVAL, "ctnic_inject_post on %s: tuser 0x%02x sets reserved bits 7:5 (port in 3:0, CTNIC_INJECT_LOOKUP in 4)",
				     dev->uri, tuser);
	n = frame_slots(inj, len);
	if (ctnic_ring_free(inj) < n)
		return -EAGAIN;
	hdr = ctnic_ring_slot_ptr(inj, inj->head);
	memset(hdr, 0, CTNIC_RING_HDR_BYTES);
	hdr[0] = (uint8_t)len;
	hdr[1] = (uint8_t)(len >> 8);
	hdr[2] = tuser;
	off = frame_off(inj, inj->head);
	first = inj->ring_bytes - off < len ? inj->ring_bytes - off : len;
	memcpy(inj->slots + off, frame, first);
	memcpy(inj->slots, (const uint8_t *)frame + first, len - first);
	inj->head += n;
	return 0;
}

int ctnic_punt_poll(struct ctnic_ring *punt, struct ctnic_punt_frame *p)
{
	struct ctnic_dev *dev = punt->dev;
	uint32_t avail = ctnic_ring_card_idx(punt) - punt->head, n;
	size_t off, first;

	if (punt->id != CTNIC_RING_ID_PUNT)
		return ctnic_dev_err(dev, -EINVAL, "ctnic_punt_poll on %s: the %s ring is not the punt ring",
				     dev->uri, ctnic_ring_name(punt->id));
	if (!avail)
		return 0;
	ctnic_punt_desc_unpack(ctnic_ring_slot_ptr(punt, punt->head), &p->desc);
	p->len = p->desc.len;
	n = frame_slots(punt, p->len);
	/* Never trust what the card wrote: a bad entry is an error, not a crash. */
	if (p->len < 1 || p->len > CTNIC_RING_MAX_FRAME || n > avail || avail > punt->nslots)
		return ctnic_dev_err(dev, -EPROTO, "ctnic_punt_poll on %s: punt entry at index %u says %zu bytes (%u slots) but the card published %u slots: the card broke the ring contract; reset it",
				     dev->uri, punt->head, p->len, n, avail);
	off = frame_off(punt, punt->head);
	first = punt->ring_bytes - off;
	if (first >= p->len) {
		p->frame = punt->slots + off;
	} else {
		memcpy(punt->bounce, punt->slots + off, first);
		memcpy(punt->bounce + first, punt->slots, p->len - first);
		p->frame = punt->bounce;
	}
	p->index = punt->head;
	punt->head += n;
	return 1;
}

int ctnic_irq_fd(struct ctnic_dev *dev, enum ctnic_ring_id id, int *fd)
{
	if ((unsigned)id >= CTNIC_RINGS)
		return ctnic_dev_err(dev, -EINVAL, "ctnic_irq_fd on %s: ring id %u is not one of the card's rings",
				     dev->uri, (unsigned)id);
	if (!dev->ops->irq_fd)
		return ctnic_dev_err(dev, -ENOTSUP, "ctnic_irq_fd on %s: this backend delivers no interrupts: poll the rings",
				     dev->uri);
	return dev->ops->irq_fd(dev, id, fd);
}

int ctnic_irq_ack(struct ctnic_dev *dev, enum ctnic_ring_id id)
{
	int fd;

	if (dev->ops->irq_fd && dev->ops->irq_fd(dev, id, &fd) == 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t count;

		/* An eventfd: reading zeroes its count; only read when it would not block. */
		if (poll(&pfd, 1, 0) == 1 && read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
			return ctnic_dev_err(dev, -errno, "ctnic_irq_ack %s ring on %s: read of interrupt fd %d: %s",
					     ctnic_ring_name(id), dev->uri, fd, strerror(errno));
	}
	return ctnic_csr_write(dev, CTNIC_REG_IRQ_STATUS, 1u << id);
}
