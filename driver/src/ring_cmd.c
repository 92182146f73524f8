/*
 * ring_cmd.c - the command and event rings (ctnic_ring.h; formats in
 * docs/rings.md): entry packing, posting commands in batches, reaping
 * completions and events.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "ring_priv.h"

/* Poll interval when the backend gives no interrupt fd. */
#define WAIT_POLL_NS 20000L

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_words(uint8_t *p, const uint32_t *w, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		put32(p + 4 * i, w[i]);
}

static void get_words(const uint8_t *p, uint32_t *w, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		w[i] = get32(p + 4 * i);
}

/* Byte offsets of a command entry (docs/rings.md). */
enum { CMD_OFF_INDEX = 4, CMD_OFF_INDEX2 = 8, CMD_OFF_INDEX3 = 12, CMD_OFF_TAG = 16,
       CMD_OFF_DATA = 32, CMD_OFF_KEY0 = 96, CMD_OFF_KEY1 = 112 };
/* Byte offsets of an event entry. */
enum { EVT_OFF_INDEX = 4, EVT_OFF_TAG = 8, EVT_OFF_TICK = 12, EVT_OFF_DATA = 64 };

void ctnic_cmd_pack(const struct ctnic_cmd *c, uint8_t out[CTNIC_CMD_ENTRY_BYTES])
{
	memset(out, 0, CTNIC_CMD_ENTRY_BYTES);
	out[0] = c->op;
	out[1] = c->flags;
	put32(out + CMD_OFF_INDEX, c->index);
	put32(out + CMD_OFF_INDEX2, c->index2);
	put32(out + CMD_OFF_INDEX3, c->index3);
	put32(out + CMD_OFF_TAG, c->tag);
	put_words(out + CMD_OFF_DATA, c->data, CTNIC_FLOW_WORDS);
	put_words(out + CMD_OFF_KEY0, c->key0, CTNIC_KEY_WORDS);
	put_words(out + CMD_OFF_KEY1, c->key1, CTNIC_KEY_WORDS);
}

void ctnic_cmd_unpack(const uint8_t in[CTNIC_CMD_ENTRY_BYTES], struct ctnic_cmd *c)
{
	c->op = in[0];
	c->flags = in[1];
	c->index = get32(in + CMD_OFF_INDEX);
	c->index2 = get32(in + CMD_OFF_INDEX2);
	c->index3 = get32(in + CMD_OFF_INDEX3);
	c->tag = get32(in + CMD_OFF_TAG);
	get_words(in + CMD_OFF_DATA, c->data, CTNIC_FLOW_WORDS);
	get_words(in + CMD_OFF_KEY0, c->key0, CTNIC_KEY_WORDS);
	get_words(in + CMD_OFF_KEY1, c->key1, CTNIC_KEY_WORDS);
}

void ctnic_event_pack(const struct ctnic_event *e, uint8_t out[CTNIC_EVT_ENTRY_BYTES])
{
	memset(out, 0, CTNIC_EVT_ENTRY_BYTES);
	out[0] = e->type;
	out[1] = e->code;
	out[2] = e->aux;
	put32(out + EVT_OFF_INDEX, e->index);
	put32(out + EVT_OFF_TAG, e->tag);
	put32(out + EVT_OFF_TICK, e->tick);
	put_words(out + EVT_OFF_DATA, e->data, CTNIC_FLOW_WORDS);
}

void ctnic_event_unpack(const uint8_t in[CTNIC_EVT_ENTRY_BYTES], struct ctnic_event *e)
{
	e->type = in[0];
	e->code = in[1];
	e->aux = in[2];
	e->index = get32(in + EVT_OFF_INDEX);
	e->tag = get32(in + EVT_OFF_TAG);
	e->tick = get32(in + EVT_OFF_TICK);
	get_words(in + EVT_OFF_DATA, e->data, CTNIC_FLOW_WORDS);
}

/* The next free command slot, or NULL (error set) when the ring is full or not a command ring. */
static uint8_t *cmd_slot(struct ctnic_ring *cmd, int *rc)
{
	if (cmd->id != CTNIC_RING_ID_CMD) {
		*rc = ctnic_dev_err(cmd->dev, -EINVAL, "posting a command on %s: the %s ring is not the command ring",
				    cmd->dev->uri, ctnic_ring_name(cmd->id));
		return NULL;
	}
	if (ctnic_ring_free(cmd) == 0) {
		*rc = ctnic_dev_err(cmd->dev, -EAGAIN, "posting a command on %s: the command ring's %u slots are full: ctnic_cmd_submit and ctnic_cmd_wait first",
				    cmd->dev->uri, cmd->nslots);
		return NULL;
	}
	return ctnic_ring_slot_ptr(cmd, cmd->head);
}

int ctnic_cmd_post(struct ctnic_ring *cmd, const struct ctnic_cmd *c)
{
	int rc = 0;
	uint8_t *s = cmd_slot(cmd, &rc);

	if (!s)
		return rc;
	ctnic_cmd_pack(c, s);
	cmd->head++;
	return 0;
}

int ctnic_cmd_post_raw(struct ctnic_ring *cmd, const uint8_t entry[CTNIC_CMD_ENTRY_BYTES])
{
	int rc = 0;
	uint8_t *s = cmd_slot(cmd, &rc);

	if (!s)
		return rc;
	memcpy(s, entry, CTNIC_CMD_ENTRY_BYTES);
	cmd->head++;
	return 0;
}

/* Starts an entry in place: header fields set, everything else zero. */
static uint8_t *cmd_begin(struct ctnic_ring *cmd, uint8_t op, uint32_t index, uint32_t tag, int *rc)
{
	uint8_t *s = cmd_slot(cmd, rc);

	if (!s)
		return NULL;
	memset(s, 0, CTNIC_CMD_ENTRY_BYTES);
	s[0] = op;
	put32(s + CMD_OFF_INDEX, index);
	put32(s + CMD_OFF_TAG, tag);
	return s;
}

/* Starts a FLOW_INSTALL or FLOW_REMOVE: a flow id and its two key slots. */
static uint8_t *cmd_flow(struct ctnic_ring *cmd, uint8_t op, uint32_t flow_id, uint32_t slot0,
			 uint32_t slot1, uint32_t tag, int *rc)
{
	uint8_t *s = cmd_begin(cmd, op, flow_id, tag, rc);

	if (s) {
		put32(s + CMD_OFF_INDEX2, slot0);
		put32(s + CMD_OFF_INDEX3, slot1);
	}
	return s;
}

int ctnic_cmd_flow_install(struct ctnic_ring *cmd, uint32_t flow_id, const struct ctnic_flow *f,
			   uint32_t slot0, const struct ctnic_key_entry *k0,
			   uint32_t slot1, const struct ctnic_key_entry *k1, uint32_t tag)
{
	uint32_t fw[CTNIC_FLOW_WORDS], kw[CTNIC_KEY_WORDS];
	int rc = 0;
	uint8_t *s = cmd_flow(cmd, CTNIC_CMD_OP_FLOW_INSTALL, flow_id, slot0, slot1, tag, &rc);

	if (!s)
		return rc;
	ctnic_flow_pack(f, fw);
	put_words(s + CMD_OFF_DATA, fw, CTNIC_FLOW_WORDS);
	ctnic_key_entry_pack(k0, kw);
	put_words(s + CMD_OFF_KEY0, kw, CTNIC_KEY_WORDS);
	ctnic_key_entry_pack(k1, kw);
	put_words(s + CMD_OFF_KEY1, kw, CTNIC_KEY_WORDS);
	cmd->head++;
	return 0;
}

int ctnic_cmd_flow_remove(struct ctnic_ring *cmd, uint32_t flow_id, uint32_t slot0, uint32_t slot1,
			  uint32_t tag)
{
	int rc = 0;

	if (!cmd_flow(cmd, CTNIC_CMD_OP_FLOW_REMOVE, flow_id, slot0, slot1, tag, &rc))
		return rc;
	cmd->head++;
	return 0;
}

/* One command carrying `n` data words. */
static int cmd_with_data(struct ctnic_ring *cmd, uint8_t op, uint32_t index, const uint32_t *w,
			 unsigned n, uint32_t tag)
{
	int rc = 0;
	uint8_t *s = cmd_begin(cmd, op, index, tag, &rc);

	if (!s)
		return rc;
	put_words(s + CMD_OFF_DATA, w, n);
	cmd->head++;
	return 0;
}

int ctnic_cmd_key_write(struct ctnic_ring *cmd, uint32_t slot, const struct ctnic_key_entry *e, uint32_t tag)
{
	uint32_t w[CTNIC_KEY_WORDS];

	ctnic_key_entry_pack(e, w);
	return cmd_with_data(cmd, CTNIC_CMD_OP_KEY_WRITE, slot, w, CTNIC_KEY_WORDS, tag);
}

int ctnic_cmd_key_delete(struct ctnic_ring *cmd, uint32_t slot, uint32_t tag)
{
	return cmd_with_data(cmd, CTNIC_CMD_OP_KEY_DELETE, slot, NULL, 0, tag);
}

int ctnic_cmd_flow_write(struct ctnic_ring *cmd, uint32_t flow_id, const struct ctnic_flow *f, uint32_t tag)
{
	uint32_t w[CTNIC_FLOW_WORDS];

	ctnic_flow_pack(f, w);
	return cmd_with_data(cmd, CTNIC_CMD_OP_FLOW_WRITE, flow_id, w, CTNIC_FLOW_WORDS, tag);
}

int ctnic_cmd_nexthop_write(struct ctnic_ring *cmd, uint32_t index, const struct ctnic_nexthop *n, uint32_t tag)
{
	uint32_t w[CTNIC_NH_WORDS];

	ctnic_nexthop_pack(n, w);
	return cmd_with_data(cmd, CTNIC_CMD_OP_NH_WRITE, index, w, CTNIC_NH_WORDS, tag);
}

int ctnic_cmd_read(struct ctnic_ring *cmd, enum ctnic_cmd_op op, uint32_t index, uint32_t tag)
{
	if (op != CTNIC_CMD_OP_KEY_READ && op != CTNIC_CMD_OP_FLOW_READ && op != CTNIC_CMD_OP_NH_READ)
		return ctnic_dev_err(cmd->dev, -EINVAL, "ctnic_cmd_read on %s: op %u is not KEY_READ, FLOW_READ or NH_READ",
				     cmd->dev->uri, (unsigned)op);
	return cmd_with_data(cmd, (uint8_t)op, index, NULL, 0, tag);
}

int ctnic_cmd_submit(struct ctnic_ring *cmd, uint32_t *last)
{
	int rc;

	if (cmd->id != CTNIC_RING_ID_CMD)
		return ctnic_dev_err(cmd->dev, -EINVAL, "ctnic_cmd_submit on %s: the %s ring is not the command ring",
				     cmd->dev->uri, ctnic_ring_name(cmd->id));
	if (cmd->head == cmd->doorbell &&
	    (rc = cmd_with_data(cmd, CTNIC_CMD_OP_NOP, 0, NULL, 0, 0)) < 0)
		return rc;
	ctnic_ring_slot_ptr(cmd, cmd->head - 1)[1] |= CTNIC_CMD_FLAG_CPL;
	*last = cmd->head - 1;
	return ctnic_ring_flush(cmd);
}

int ctnic_event_poll(struct ctnic_ring *ev, struct ctnic_event *e)
{
	uint32_t avail;

	if (ev->id != CTNIC_RING_ID_EVENT)
		return ctnic_dev_err(ev->dev, -EINVAL, "ctnic_event_poll on %s: the %s ring is not the event ring",
				     ev->dev->uri, ctnic_ring_name(ev->id));
	avail = ctnic_ring_card_idx(ev) - ev->head;
	if (!avail)
		return 0;
	if (avail > ev->nslots)
		return ctnic_dev_err(ev->dev, -EPROTO, "ctnic_event_poll on %s: the card published %u events in a ring of %u: it broke the ring contract; reset it",
				     ev->dev->uri, avail, ev->nslots);
	ctnic_event_unpack(ctnic_ring_slot_ptr(ev, ev->head), e);
	ev->head++;
	return 1;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* Sleeps until the event ring may have something new, at most `left_ms`. */
static int wait_events(struct ctnic_ring *ev, long left_ms)
{
	int fd, rc;

	if (ctnic_irq_fd(ev->dev, CTNIC_RING_ID_EVENT, &fd) == 0) {
		/* Clear first, then look again, then sleep: no wake-up is lost (docs/rings.md). */
		if ((rc = ctnic_irq_ack(ev->dev, CTNIC_RING_ID_EVENT)) < 0)
			return rc;
		if (ctnic_ring_card_idx(ev) != ev->head)
			return 0;
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, (int)(left_ms < 1 ? 1 : left_ms)) < 0 && errno != EINTR)
			return ctnic_dev_err(ev->dev, -errno, "ctnic_cmd_wait on %s: poll of the event interrupt fd: %s",
					     ev->dev->uri, strerror(errno));
		return 0;
	}
	struct timespec ts = { 0, WAIT_POLL_NS };

	nanosleep(&ts, NULL);
	return 0;
}

int ctnic_cmd_wait(struct ctnic_ring *cmd, struct ctnic_ring *ev, uint32_t last,
		   struct ctnic_event *cpl, ctnic_event_fn *fn, void *arg, int timeout_ms)
{
	struct ctnic_dev *dev = cmd->dev;
	struct ctnic_event e, bad = { 0 };
	struct timespec t0;
	int rc, nbad = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		rc = ctnic_event_poll(ev, &e);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			/* Hand the slots back: a full event ring holds the command engine. */
			if ((rc = ctnic_ring_release(ev)) < 0)
				return rc;
			if (ctnic_ring_card_idx(ev) != ev->head)
				continue;
			if (ms_since(&t0) > timeout_ms)
				return ctnic_dev_err(dev, -ETIMEDOUT,
						     "ctnic_cmd_wait on %s: no completion of command %u within %d ms (command ring consumed up to %u, %u events read): the card's command engine stopped; read RING_STATUS",
						     dev->uri, last, timeout_ms, ctnic_ring_card_idx(cmd), ev->head);
			if ((rc = wait_events(ev, timeout_ms - ms_since(&t0))) < 0)
				return rc;
			continue;
		}
		if (e.type == CTNIC_EVT_CPL && e.code != CTNIC_CMD_STATUS_OK && !nbad++)
			bad = e;
		if (e.type == CTNIC_EVT_CPL && e.index == last) {
			if (cpl)
				*cpl = e;
			break;
		}
		if (fn)
			fn(arg, &e);
	}
	if ((rc = ctnic_ring_release(ev)) < 0)
		return rc;
	if (nbad) {
		const char *op = ctnic_cmd_op_name(bad.aux), *st = ctnic_cmd_status_name(bad.code);

		return ctnic_dev_err(dev, -EIO, "command ring of %s: %d command(s) refused, the first at index %u (op %s, tag %u): %s",
				     dev->uri, nbad, bad.index, op ? op : "unknown", bad.tag, st ? st : "unknown status");
	}
	return 0;
}
