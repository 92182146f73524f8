/*
 * core.c - the core's lifecycle, its rings and commands, connection ends
 * and the expiry sweep (core.h). The packets are exc.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aging.h"
#include "core.h"
#include "route.h"

#define CORE_CLOCK_HZ 250000000ull   /* the card's core clock (docs/contract.md) */
#define CMD_WAIT_MS 2000

static const struct ctnic_ring_cfg ring_cfg[4] = {
	{ .id = CTNIC_RING_ID_PUNT, .size_log2 = 10, .slot_log2 = 11, .irq_count = 16 },
	{ .id = CTNIC_RING_ID_INJECT, .size_log2 = 10, .slot_log2 = 11, .irq_count = 16 },
	{ .id = CTNIC_RING_ID_CMD, .size_log2 = 12, .irq_count = 16 },
	{ .id = CTNIC_RING_ID_EVENT, .size_log2 = 12, .irq_count = 1 },
};

static int fail(char *err, size_t errlen, int rc, const char *what, struct ctnic_dev *dev)
{
	snprintf(err, errlen, "%s: %s", what, ctnic_last_error(dev));
	return rc;
}

void ctnicd_core_apply(struct ctnicd_core *c)
{
	struct ctnic_conf *cf = c->conf;

	c->env.ifaces = c->ifs;
	c->env.nifaces = ctnic_conf_nat_env(cf, c->ifs);
	for (unsigned p = 0; p < CTNIC_CONF_PORTS; p++) {
		static const uint8_t base[6] = { 0x02, 0xc7, 0xc1, 0x00, 0x00, 0x00 };

		memcpy(c->port_mac[p], cf->ports[p].has_mac ? cf->ports[p].mac : base, 6);
		if (!cf->ports[p].has_mac)
			c->port_mac[p][5] = (uint8_t)(p + 1);
	}
	for (unsigned k = 0; k < CTNIC_TCLASSES; k++)
		c->timeout[k] = (uint32_t)((uint64_t)cf->ct.timeouts.sec[k] * c->ticks_per_sec);
	ctnicd_neigh_static(c);
	c->late.linger = c->linger;
	c->late.rules = cf->nat;
	c->late.env = &c->env;
	c->late.policy = cf->late;
	ctnic_ratelimit_init(&c->late.rst_limit, cf->late_rst_per_sec, c->ticks_per_sec);
	ctnicd_aging_program(c); /* the card ages by these timeouts (aging.h) */
}

int ctnicd_core_create(struct ctnicd_core **cp, struct ctnic_dev *dev, struct ctnic_conf *conf,
		       uint64_t seed, char *err, size_t errlen)
{
	struct ctnicd_core *c = calloc(1, sizeof(*c));
	uint32_t period = 0, cap;
	int rc = -ENOMEM;

	*cp = NULL;
	if (!c) {
		ctnic_conf_free(conf);
		snprintf(err, errlen, "ctnicd core: out of memory");
		return -ENOMEM;
	}
	c->dev = dev;
	c->conf = conf;
	if ((rc = ctnic_dev_info(dev, &c->info)) < 0 ||
	    (rc = ctnic_csr_read(dev, CTNIC_REG_TICK_PERIOD, &period)) < 0) {
		fail(err, errlen, rc, "reading the card's capacities", dev);
		goto fail;
	}
	c->ticks_per_sec = period ? CORE_CLOCK_HZ / period : 1000;
	if (!c->ticks_per_sec)
		c->ticks_per_sec = 1;
	cap = conf->conntrack_max < c->info.flows ? conf->conntrack_max : c->info.flows;
	if ((rc = ctnicd_conns_init(&c->conns, cap, seed, err, errlen)) < 0 ||
	    (rc = ctnicd_place_init(&c->place, c->info.buckets, c->info.ways, err, errlen)) < 0)
		goto fail;
	c->linger = ctnic_linger_create(conf->linger_entries, (uint64_t)conf->linger_sec * c->ticks_per_sec,
					err, errlen);
	if (!c->linger) {
		rc = -ENOMEM;
		goto fail;
	}
	if ((rc = ctnic_dma_pool_create(dev, &c->pool)) < 0) {
		fail(err, errlen, rc, "DMA memory for the rings", dev);
		goto fail;
	}
	for (unsigned i = 0; i < 4; i++)
		if ((rc = ctnic_ring_create(dev, c->pool, &ring_cfg[i], &c->ring[i])) < 0) {
			fail(err, errlen, rc, "setting up the rings", dev);
			goto fail;
		}
	/* SYN, FIN and RST of a known flow come to us (docs/conntrack.md). */
	if ((rc = ctnic_csr_write(dev, CTNIC_REG_TCP_PUNT_MASK, CTNIC_TCP_SYN | CTNIC_TCP_FIN | CTNIC_TCP_RST)) < 0 ||
	    (rc = ctnic_tick_read(dev, &c->now)) < 0) {
		fail(err, errlen, rc, "programming the card", dev);
		goto fail;
	}
	ctnicd_core_apply(c);
	*cp = c;
	return 0;
fail:
	ctnicd_core_destroy(c);
	return rc;
}

void ctnicd_core_destroy(struct ctnicd_core *c)
{
	if (!c)
		return;
	for (int i = 3; i >= 0; i--)
		ctnic_ring_destroy(c->ring[i]);
	ctnic_dma_pool_destroy(c->pool);
	ctnic_linger_destroy(c->linger);
	ctnicd_evlog_free(&c->ev);
	ctnicd_place_fini(&c->place);
	if (c->conns.c)
		ctnicd_conns_fini(&c->conns);
	ctnic_conf_free(c->conf);
	free(c);
}

void ctnicd_core_host_stack(struct ctnicd_core *c, ctnicd_host_tx_fn *fn, void *arg)
{
	c->host_tx = fn;
	c->host_arg = arg;
}

int ctnicd_core_reload(struct ctnicd_core *c, struct ctnic_conf *conf, char *err, size_t errlen)
{
	for (unsigned p = 0; p < CTNIC_CONF_PORTS; p++)
		if (conf->ports[p].set && p >= c->info.ports) {
			snprintf(err, errlen, "line %u: port %u does not exist: this card has ports 0..%u",
				 conf->ports[p].line, p, c->info.ports - 1);
			ctnic_conf_free(conf);
			return -1;
		}
	ctnic_conf_free(c->conf);
	c->conf = conf;
	ctnic_linger_set_time(c->linger, (uint64_t)conf->linger_sec * c->ticks_per_sec);
	ctnicd_core_apply(c);
	return 0;
}

int ctnicd_core_clock(struct ctnicd_core *c)
{
	uint64_t t;
	int rc = ctnic_tick_read(c->dev, &t);

	if (rc == 0 && t > c->now)
		c->now = t;
	return rc;
}

/* ---- commands and events ---------------------------------------------------- */

static void clear_card(struct ctnicd_core *c, uint32_t id)
{
	struct ctnicd_conn *cn = &c->conns.c[id];

	for (int d = 0; d < 2; d++)
		if (cn->slot[d] != UINT32_MAX) {
			ctnicd_place_del(&c->place, cn->slot[d]);
			cn->slot[d] = UINT32_MAX;
		}
	cn->flags &= (uint8_t)~CTNICD_CONN_IN_CARD;
}

static void on_event(void *arg, const struct ctnic_event *e)
{
	struct ctnicd_core *c = arg;

	switch (e->type) {
	case CTNIC_EVT_CPL:
		if (e->code == CTNIC_CMD_STATUS_OK)
			break;
		c->st.cmd_errors++;
		snprintf(c->err, sizeof(c->err), "the card refused command op %u (tag %u): status %u",
			 e->aux, e->tag, e->code);
		/* A refused install leaves the connection in software. */
		if (e->aux == CTNIC_CMD_OP_FLOW_INSTALL && e->tag < c->conns.cap &&
		    (c->conns.c[e->tag].flags & CTNICD_CONN_USED))
			clear_card(c, e->tag);
		break;
	case CTNIC_EVT_EXPIRY:
		ctnicd_conn_expired(c, e->index, (uint16_t)e->tag, true);
		break;
	case CTNIC_EVT_ERROR:
		c->st.ring_errors++;
		snprintf(c->err, sizeof(c->err), "ring error %u on ring %u at index %u", e->code, e->aux, e->index);
		break;
	default:
		break;
	}
}

void ctnicd_core_event(struct ctnicd_core *c, const struct ctnic_event *e)
{
	on_event(c, e);
}

int ctnicd_core_commit(struct ctnicd_core *c)
{
	struct ctnic_event cpl;
	uint32_t last;
	int rc;

	if (!c->pending)
		return 0;
	c->pending = 0;
	if ((rc = ctnic_cmd_submit(c->ring[CTNIC_RING_ID_CMD], &last)) < 0) {
		snprintf(c->err, sizeof(c->err), "submitting commands: %s", ctnic_last_error(c->dev));
		return rc;
	}
	memset(&cpl, 0, sizeof(cpl));
	rc = ctnic_cmd_wait(c->ring[CTNIC_RING_ID_CMD], c->ring[CTNIC_RING_ID_EVENT], last, &cpl, on_event, c,
			    CMD_WAIT_MS);
	if (cpl.type == CTNIC_EVT_CPL && cpl.code != CTNIC_CMD_STATUS_OK)
		on_event(c, &cpl);
	if (rc < 0 && rc != -EIO)
		snprintf(c->err, sizeof(c->err), "waiting for commands: %s", ctnic_last_error(c->dev));
	return rc == -EIO ? 0 : rc;
}

int ctnicd_core_flush(struct ctnicd_core *c)
{
	return ctnic_ring_flush(c->ring[CTNIC_RING_ID_INJECT]);
}

int ctnicd_core_events(struct ctnicd_core *c)
{
	struct ctnic_ring *ev = c->ring[CTNIC_RING_ID_EVENT];
	struct ctnic_event e;
	int rc;

	ctnic_irq_ack(c->dev, CTNIC_RING_ID_EVENT);
	while ((rc = ctnic_event_poll(ev, &e)) == 1)
		on_event(c, &e);
	if (rc < 0)
		c->st.ring_errors++;
	ctnic_ring_release(ev);
	ctnicd_core_commit(c);
	return rc < 0 ? rc : 0;
}

/* ---- the end of a connection ------------------------------------------------- */

void ctnicd_conn_event(struct ctnicd_core *c, uint32_t id, enum ctnicd_ev_type type, enum ctnicd_end_why why)
{
	const struct ctnicd_conn *cn = &c->conns.c[id];
	struct ctnicd_ev ev;

	if (!c->ev.e)
		return;
	ev = (struct ctnicd_ev){ .tick = c->now, .id = id, .gen = cn->gen, .type = (uint8_t)type,
				 .state = cn->orig.proto == 6 ? cn->tcp.state : 0, .why = (uint8_t)why,
				 .orig = cn->orig, .reply = ctnicd_conns_key(&c->conns, id, CTNIC_DIR_REPLY) };
	ctnicd_evlog_add(&c->ev, &ev);
}

void ctnicd_conn_end(struct ctnicd_core *c, uint32_t id, uint16_t gen, bool card_gone, bool linger,
		     enum ctnicd_end_why why)
{
	struct ctnicd_conn *cn;
	struct ctnic_key orig, reply;

	if (!ctnicd_conns_live(&c->conns, id, gen))
		return;
	cn = &c->conns.c[id];
	ctnicd_conn_event(c, id, CTNICD_EV_DESTROY, why);
	if (cn->flags & CTNICD_CONN_IN_CARD) {
		struct ctnic_cmd cmd = { .op = CTNIC_CMD_OP_FLOW_REMOVE,
					 .index = id, .index2 = cn->slot[0], .index3 = cn->slot[1], .tag = id };

		/*
		 * The card retired the record (card_gone): its keys go too, and
		 * FLOW_REMOVE also clears a record a class change wrote back valid
		 * after the card retired it (aging.h); harmless when it is gone.
		 */
		ctnicd_post(c, &cmd);
		if (!card_gone)
			c->st.removes++;
		clear_card(c, id);
	}
	orig = cn->orig;
	reply = ctnicd_conns_key(&c->conns, id, CTNIC_DIR_REPLY);
	if (linger)
		ctnic_linger_add(c->linger, &orig, &reply, id, c->now);
	ctnicd_conns_del(&c->conns, id);
	c->st.conn_end++;
}

void ctnicd_conn_expired(struct ctnicd_core *c, uint32_t id, uint16_t gen, bool card_gone)
{
	if (!ctnicd_conns_live(&c->conns, id, gen))
		return;
	c->st.conn_expired++;
	ctnicd_conn_end(c, id, gen, card_gone, true, CTNICD_END_EXPIRED);
}

/* Ticks since t (32-bit, as the card keeps last-seen). */
static uint32_t age(const struct ctnicd_core *c, uint32_t t)
{
	return (uint32_t)c->now - t;
}

uint64_t ctnicd_conn_left(const struct ctnicd_core *c, uint32_t id)
{
	const struct ctnicd_conn *cn = &c->conns.c[id];
	uint32_t a = age(c, cn->last_seen), to = c->timeout[cn->tclass];

	return a >= to ? 0 : to - a;
}

int ctnicd_core_timer(struct ctnicd_core *c, uint32_t budget)
{
	int rc = ctnicd_core_clock(c);
	bool card_ages = ctnicd_aging_on(c); /* then the card ends in-card flows (aging.h) */

	/* the card's expiries of the time that passed come in first */
	if (card_ages && ctnicd_core_events(c) < 0 && !rc)
		rc = -EIO;

	for (uint32_t n = 0; n < budget && n < c->conns.cap; n++) {
		uint32_t id = c->sweep;
		struct ctnicd_conn *cn = &c->conns.c[id];

		c->sweep = id + 1 < c->conns.cap ? id + 1 : 0;
		if (!(cn->flags & CTNICD_CONN_USED) || (cn->flags & CTNICD_CONN_STATIC) ||
		    (card_ages && (cn->flags & CTNICD_CONN_IN_CARD)) || age(c, cn->last_seen) < c->timeout[cn->tclass])
			continue;
		if (cn->flags & CTNICD_CONN_IN_CARD) {
			struct ctnic_flow f;

			/* The card saw packets we did not: its last-seen counts. */
			ctnicd_core_commit(c);
			if (ctnic_flow_read(c->dev, id, &f) == 0 && f.valid && f.generation == cn->gen &&
			    age(c, f.last_seen) < age(c, cn->last_seen))
				cn->last_seen = f.last_seen;
			if (age(c, cn->last_seen) < c->timeout[cn->tclass])
				continue;
		}
		ctnicd_conn_expired(c, id, cn->gen, false);
	}
	ctnic_linger_expire(c->linger, c->now);
	ctnicd_core_commit(c);
	return rc;
}
