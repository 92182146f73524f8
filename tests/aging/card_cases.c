/*
 * card_cases.c - aging cases on any card behind libctnic (card_cases.h).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "card_cases.h"

static int fail(struct aging_card *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	return -1;
}

int aging_card_open(struct aging_card *c, struct ctnic_dev *dev, unsigned ev_log2)
{
	struct ctnic_ring_cfg cc = { .id = CTNIC_RING_ID_CMD, .size_log2 = 8, .irq_count = 1 };
	struct ctnic_ring_cfg ec = { .id = CTNIC_RING_ID_EVENT, .size_log2 = ev_log2, .irq_count = 1 };

	c->dev = dev;
	c->pool = NULL;
	c->cmd = c->ev = NULL;
	if (ctnic_dma_pool_create(dev, &c->pool) < 0 || ctnic_ring_create(dev, c->pool, &cc, &c->cmd) < 0 ||
	    ctnic_ring_create(dev, c->pool, &ec, &c->ev) < 0 || ctnic_csr_write(dev, CTNIC_REG_TICK_PERIOD, 0) < 0)
		return fail(c, "card setup: %s", ctnic_last_error(dev));
	return 0;
}

void aging_card_close(struct aging_card *c)
{
	ctnic_ring_destroy(c->ev);
	ctnic_ring_destroy(c->cmd);
	ctnic_dma_pool_destroy(c->pool);
}

static uint32_t reg(struct aging_card *c, uint32_t off)
{
	uint32_t v = 0;

	ctnic_csr_read(c->dev, off, &v);
	return v;
}

static void other_event(void *arg, const struct ctnic_event *e)
{
	struct aging_card *c = arg;

	fail(c, "an event while installing: type %u index %u", e->type, e->index);
}

/* Flow fid in class cl, generation gen, last seen now, some counters; keys in slots 4*fid, 4*fid+1. */
static int install(struct aging_card *c, uint32_t fid, uint8_t cl, uint16_t gen)
{
	struct ctnic_flow f = { .valid = true, .tclass = cl, .generation = gen };
	struct ctnic_key_entry k0 = { .valid = true, .flow_id = fid, .key = { 0x0a000000u + fid, 1, 1000, 80, 6 } };
	struct ctnic_key_entry k1 = { .valid = true, .reply = true, .flow_id = fid,
				      .key = { 1, 0x0a000000u + fid, 80, 1000, 6 } };
	struct ctnic_event cpl;
	uint64_t now;
	uint32_t last;

	c->why[0] = 0;
	if (ctnic_tick_read(c->dev, &now) < 0)
		return fail(c, "tick: %s", ctnic_last_error(c->dev));
	f.last_seen = (uint32_t)now;
	f.pkts[0] = fid;
	f.bytes[1] = 1000u * fid;
	if (ctnic_cmd_flow_install(c->cmd, fid, &f, 4 * fid, &k0, 4 * fid + 1, &k1, fid) < 0 ||
	    ctnic_cmd_submit(c->cmd, &last) < 0 ||
	    ctnic_cmd_wait(c->cmd, c->ev, last, &cpl, other_event, c, 2000) < 0)
		return fail(c, "installing flow %u: %s", fid, ctnic_last_error(c->dev));
	return c->why[0] ? -1 : 0;
}

static void advance(struct aging_card *c, uint32_t ticks)
{
	ctnic_csr_write(c->dev, CTNIC_REG_TICK_ADVANCE, ticks);
	if (c->run)
		c->run(c->arg);
}

/* The next event, or type 0 when there is none. */
static struct ctnic_event next_event(struct aging_card *c)
{
	struct ctnic_event e;

	memset(&e, 0, sizeof(e));
	if (ctnic_event_poll(c->ev, &e) != 1)
		memset(&e, 0, sizeof(e));
	ctnic_ring_release(c->ev);
	if (c->run)
		c->run(c->arg);
	return e;
}

static bool flow_valid(struct aging_card *c, uint32_t fid)
{
	struct ctnic_flow f;

	return ctnic_flow_read(c->dev, fid, &f) == 0 && f.valid;
}

int aging_case_per_class(struct aging_card *c)
{
	uint32_t T[16], at = 0;
	uint64_t t0;

	for (unsigned k = 0; k < 16; k++) {
		T[k] = k == 15 ? 0 : 100 + 37 * k; /* ascending; class 15 never */
		ctnic_csr_write(c->dev, CTNIC_REG_AGING_TIMEOUT(k), T[k]);
	}
	for (unsigned k = 0; k < 16; k++)
		if (install(c, 10 + k, (uint8_t)k, (uint16_t)(500 + k)) < 0)
			return -1;
	ctnic_csr_write(c->dev, CTNIC_REG_AGING_CTRL, CTNIC_AGING_CTRL_ENABLE_MASK);
	if (ctnic_tick_read(c->dev, &t0) < 0)
		return fail(c, "tick: %s", ctnic_last_error(c->dev));
	for (unsigned k = 0; k < 15; k++) {
		struct ctnic_event e;
		struct ctnic_flow f;
		uint32_t fid = 10 + k;

		advance(c, T[k] - 1 - at);
		e = next_event(c);
		if (e.type || !flow_valid(c, fid))
			return fail(c, "class %u: one tick before its timeout: event type %u flow %u, record %s", k,
				    e.type, e.index, flow_valid(c, fid) ? "valid" : "gone");
		advance(c, 1);
		at = T[k];
		e = next_event(c);
		ctnic_flow_unpack(e.data, &f);
		if (e.type != CTNIC_EVT_EXPIRY || e.index != fid || e.aux != k || e.tag != 500 + k ||
		    e.tick != (uint32_t)(t0 + T[k]))
			return fail(c, "class %u at its timeout: event type %u flow %u class %u generation %u tick %u, "
				    "expected EXPIRY of flow %u class %u generation %u tick %u", k, e.type, e.index, e.aux,
				    e.tag, e.tick, fid, k, 500 + k, (uint32_t)(t0 + T[k]));
		if (!f.valid || f.pkts[0] != fid || f.bytes[1] != 1000u * fid || f.last_seen != (uint32_t)t0)
			return fail(c, "class %u: the expiry's record is not the retired one (final counters)", k);
		if (flow_valid(c, fid))
			return fail(c, "class %u: the record is still valid after its expiry", k);
		if ((e = next_event(c)).type)
			return fail(c, "class %u: a second event (type %u flow %u)", k, e.type, e.index);
	}
	advance(c, 4000000000u);
	if (next_event(c).type || !flow_valid(c, 25))
		return fail(c, "class 15 (timeout 0) expired");
	if (reg(c, CTNIC_REG_AGING_EXPIRED) != 15)
		return fail(c, "AGING_EXPIRED %u, expected 15", reg(c, CTNIC_REG_AGING_EXPIRED));
	return 0;
}

int aging_case_full_ring(struct aging_card *c)
{
	unsigned got = 0, seen[40] = { 0 };
	uint32_t held;

	ctnic_csr_write(c->dev, CTNIC_REG_AGING_TIMEOUT(3), 10);
	for (unsigned i = 0; i < 40; i++)
		if (install(c, i, 3, 1) < 0)
			return -1;
	ctnic_csr_write(c->dev, CTNIC_REG_AGING_CTRL, CTNIC_AGING_CTRL_ENABLE_MASK);
	advance(c, 10);
	held = reg(c, CTNIC_REG_AGING_EXPIRED);
	if (held < 4 || held >= 40)
		return fail(c, "with 4 event slots and 40 flows due, %u retired before the host read any", held);
	for (int guard = 0; guard < 10000 && got < 40; guard++) {
		struct ctnic_event e = next_event(c); /* releasing slots lets the scanner go on */

		if (e.type == CTNIC_EVT_EXPIRY) {
			if (e.index >= 40 || seen[e.index]++)
				return fail(c, "expiry of flow %u unexpected or twice", e.index);
			got++;
		}
	}
	if (got != 40 || reg(c, CTNIC_REG_AGING_EXPIRED) != 40)
		return fail(c, "%u of 40 expiries arrived, AGING_EXPIRED %u", got, reg(c, CTNIC_REG_AGING_EXPIRED));
	for (unsigned i = 0; i < 40; i++)
		if (flow_valid(c, i))
			return fail(c, "flow %u still valid", i);
	return 0;
}
