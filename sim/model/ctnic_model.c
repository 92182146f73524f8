/*
 * ctnic_model.c - the reference model of the card (ctnic_model.h).
 *
 * The decision order below is the spec of the pipeline, step for step the
 * one docs/hardware.md describes and the RTL (hw/ctnic_engine.v) implements.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctnic_model.h"

#define ETH_HLEN 14u
#define VLAN_TPID 0x8100u
#define ETHERTYPE_IPV4 0x0800u
#define IPPROTO_ICMP_ 1u
#define IPPROTO_TCP_ 6u
#define IPPROTO_UDP_ 17u

/* Counters: one 64-bit value per register pair; the host path is port `ports`. */
struct port_counters {
	uint64_t rx_pkts, rx_bytes, tx_pkts, tx_bytes;
};

struct ctnic_model {
	struct ctnic_model_params p;

	/* BAR0 state */
	uint32_t scratch;
	bool enable;
	uint32_t tick_period;
	uint32_t tick_div;
	uint64_t tick;
	uint8_t tcp_punt_mask;
	uint64_t latch;
	bool tbl_error;
	uint32_t tbl_index;
	uint32_t tbl_data[CTNIC_REG_TBL_DATA_COUNT];

	/* aging (docs/hardware.md, "Aging") */
	bool aging_enable;
	uint32_t timeout[CTNIC_REG_AGING_TIMEOUT_COUNT];
	uint32_t scan_pos;   /* the next record the scanner visits */
	uint32_t passes;     /* AGING_PASSES */
	uint32_t expired;    /* AGING_EXPIRED */
	bool age_known;      /* a whole pass since the last record or aging write: */
	uint64_t age_next;   /* no record can be due before this tick */

	/* tables, as the words of the contract */
	uint32_t (*keys)[CTNIC_KEY_WORDS];  /* 2 * buckets * ways */
	uint32_t (*flows)[CTNIC_FLOW_WORDS];
	uint32_t (*nhs)[CTNIC_NH_WORDS];

	/* counters */
	struct port_counters port[16];
	uint64_t punt[16];
	uint64_t drop[16];
	uint64_t hit, miss;

	/* the frame that leaves */
	uint8_t *buf;
	size_t buf_size;
};

void ctnic_model_default_params(struct ctnic_model_params *p)
{
	p->ports = CTNIC_REG_CAP_PORTS_RESET;
	p->ways = CTNIC_REG_CAP_WAYS_RESET;
	p->buckets = CTNIC_REG_CAP_BUCKETS_RESET;
	p->flows = CTNIC_REG_CAP_FLOWS_RESET;
	p->nexthops = CTNIC_REG_CAP_NEXTHOPS_RESET;
	p->classes = CTNIC_REG_CAP_CLASSES_RESET;
	p->max_frame = 144 * 64;
}

static bool pow2(unsigned v)
{
	return v && !(v & (v - 1));
}

struct ctnic_model *ctnic_model_create(const struct ctnic_model_params *p, char *err, size_t errlen)
{
	struct ctnic_model *m;

	if (p->ports < 1 || p->ports > 15 || !pow2(p->ways) || !pow2(p->buckets) ||
	    p->buckets > 65536 || !pow2(p->flows) || p->flows > CTNIC_FLOW_ID_MAX + 1u ||
	    p->nexthops < 1 || p->nexthops > 256 || p->classes < 1 || p->classes > 16 ||
	    p->max_frame < 64) {
		snprintf(err, errlen,
			 "ctnic_model_create: parameters not possible (ports 1..15; ways, buckets <= 65536 "
			 "and flows <= 2^22 powers of two; nexthops 1..256; classes 1..16; max_frame >= 64)");
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		goto fail_alloc;
	m->p = *p;
	m->keys = calloc((size_t)2 * p->buckets * p->ways, sizeof(*m->keys));
	if (!m->keys)
		goto fail_keys;
	m->flows = calloc(p->flows, sizeof(*m->flows));
	if (!m->flows)
		goto fail_flows;
	m->nhs = calloc(p->nexthops, sizeof(*m->nhs));
	if (!m->nhs)
		goto fail_nhs;
	m->buf_size = p->max_frame;
	m->buf = malloc(m->buf_size);
	if (!m->buf)
		goto fail_buf;
	m->tick_period = CTNIC_REG_TICK_PERIOD_RESET;
	m->tcp_punt_mask = CTNIC_REG_TCP_PUNT_MASK_RESET;
	return m;

fail_buf:
	free(m->nhs);
fail_nhs:
	free(m->flows);
fail_flows:
	free(m->keys);
fail_keys:
	free(m);
fail_alloc:
	snprintf(err, errlen, "ctnic_model_create: out of memory for %u buckets, %u flows",
		 p->buckets, p->flows);
	return NULL;
}

void ctnic_model_destroy(struct ctnic_model *m)
{
	if (!m)
		return;
	free(m->buf);
	free(m->nhs);
	free(m->flows);
	free(m->keys);
	free(m);
}

uint64_t ctnic_model_tick(const struct ctnic_model *m)
{
	return m->tick;
}

void ctnic_model_clock(struct ctnic_model *m, uint64_t clocks)
{
	uint64_t total;

	/* The card counts clocks 0..TICK_PERIOD-1 and ticks on the last. */
	if (!m->tick_period)
		return;
	total = m->tick_div + clocks;
	m->tick += total / m->tick_period;
	m->tick_div = (uint32_t)(total % m->tick_period);
}

/* ---- BAR0 ------------------------------------------------------------------ */

static bool cnt_value(struct ctnic_model *m, uint32_t off, uint64_t *v)
{
	if (off >= 0x1000 && off < 0x1400) {
		unsigned port = (off - 0x1000) / 0x40, reg = (off & 0x3f) / 8;

		*v = 0;
		if (port <= m->p.ports && reg < 4) {
			const struct port_counters *c = &m->port[port];
			const uint64_t r[4] = {c->rx_pkts, c->rx_bytes, c->tx_pkts, c->tx_bytes};

			*v = r[reg];
		}
		return true;
	}
	if (off >= 0x1400 && off < 0x1480) {
		*v = m->punt[(off - 0x1400) / 8];
		return true;
	}
	if (off >= 0x1500 && off < 0x1580) {
		*v = m->drop[(off - 0x1500) / 8];
		return true;
	}
	if (off >= CTNIC_REG_CNT_HIT_LO && off < CTNIC_REG_CNT_HIT_LO + 8) {
		*v = m->hit;
		return true;
	}
	if (off >= CTNIC_REG_CNT_MISS_LO && off < CTNIC_REG_CNT_MISS_LO + 8) {
		*v = m->miss;
		return true;
	}
	return false;
}

uint32_t ctnic_model_csr_read(struct ctnic_model *m, uint32_t off)
{
	uint64_t v;

	off &= 0xfffcu;
	if (cnt_value(m, off, &v)) {
		/* A _LO read latches the whole counter for its _HI (regmap.json). */
		if (off & 4)
			return (uint32_t)(m->latch >> 32);
		m->latch = v;
		return (uint32_t)v;
	}
	if (off >= CTNIC_REG_TBL_DATA(0) && off < CTNIC_REG_TBL_DATA(CTNIC_REG_TBL_DATA_COUNT))
		return m->tbl_data[(off - CTNIC_REG_TBL_DATA(0)) / 4];
	switch (off) {
	case CTNIC_REG_ID:
		return CTNIC_REG_ID_RESET;
	case CTNIC_REG_VERSION:
		return CTNIC_REG_VERSION_RESET;
	case CTNIC_REG_SCRATCH:
		return m->scratch;
	case CTNIC_REG_CTRL:
	case CTNIC_REG_STATUS:
		return m->enable;
	case CTNIC_REG_TICK_PERIOD:
		return m->tick_period;
	case CTNIC_REG_TICK_LO:
		m->latch = m->tick;
		return (uint32_t)m->tick;
	case CTNIC_REG_TICK_HI:
		return (uint32_t)(m->latch >> 32);
	case CTNIC_REG_TCP_PUNT_MASK:
		return m->tcp_punt_mask;
	case CTNIC_REG_CAP_PORTS:
		return m->p.ports;
	case CTNIC_REG_CAP_WAYS:
		return m->p.ways;
	case CTNIC_REG_CAP_BUCKETS:
		return m->p.buckets;
	case CTNIC_REG_CAP_FLOWS:
		return m->p.flows;
	case CTNIC_REG_CAP_NEXTHOPS:
		return m->p.nexthops;
	case CTNIC_REG_CAP_CLASSES:
		return m->p.classes;
	case CTNIC_REG_TBL_INDEX:
		return m->tbl_index;
	case CTNIC_REG_TBL_STATUS:
		/* The model finishes every operation at once: BUSY is never seen. */
		return m->tbl_error ? CTNIC_TBL_STATUS_ERROR_MASK : 0;
	case CTNIC_REG_AGING_CTRL:
		return m->aging_enable;
	case CTNIC_REG_AGING_PASSES:
		return m->passes;
	case CTNIC_REG_AGING_EXPIRED:
		return m->expired;
	default:
		if (off >= CTNIC_REG_AGING_TIMEOUT(0) && off < CTNIC_REG_AGING_TIMEOUT(m->p.classes))
			return m->timeout[(off - CTNIC_REG_AGING_TIMEOUT(0)) / 4];
		return 0;
	}
}

static void tbl_cmd(struct ctnic_model *m, unsigned op)
{
	const struct ctnic_model_params *p = &m->p;
	uint32_t i = m->tbl_index;
	uint32_t limit;

	switch (op) {
	case CTNIC_TBL_OP_NOP:
		m->tbl_error = false;
		return;
	case CTNIC_TBL_OP_KEY_WRITE:
	case CTNIC_TBL_OP_KEY_READ:
		limit = 2 * p->buckets * p->ways;
		break;
	case CTNIC_TBL_OP_FLOW_WRITE:
	case CTNIC_TBL_OP_FLOW_READ:
		limit = p->flows;
		break;
	case CTNIC_TBL_OP_NH_WRITE:
	case CTNIC_TBL_OP_NH_READ:
		limit = p->nexthops;
		break;
	default:
		m->tbl_error = true;
		return;
	}
	if (i >= limit) {
		m->tbl_error = true;
		return;
	}
	m->tbl_error = false;
	switch (op) {
	case CTNIC_TBL_OP_KEY_WRITE:
		memcpy(m->keys[i], m->tbl_data, sizeof(m->keys[i]));
		break;
	case CTNIC_TBL_OP_KEY_READ:
		/* words 4..15 keep what they held */
		memcpy(m->tbl_data, m->keys[i], sizeof(m->keys[i]));
		break;
	case CTNIC_TBL_OP_FLOW_WRITE:
		memcpy(m->flows[i], m->tbl_data, sizeof(m->flows[i]));
		m->age_known = false;
		break;
	case CTNIC_TBL_OP_FLOW_READ:
		memcpy(m->tbl_data, m->flows[i], sizeof(m->flows[i]));
		break;
	case CTNIC_TBL_OP_NH_WRITE:
		memcpy(m->nhs[i], m->tbl_data, sizeof(m->nhs[i]));
		break;
	case CTNIC_TBL_OP_NH_READ:
		memcpy(m->tbl_data, m->nhs[i], sizeof(m->nhs[i]));
		break;
	}
}

void ctnic_model_csr_write(struct ctnic_model *m, uint32_t off, uint32_t val)
{
	off &= 0xfffcu;
	if (off >= CTNIC_REG_TBL_DATA(0) && off < CTNIC_REG_TBL_DATA(CTNIC_REG_TBL_DATA_COUNT)) {
		m->tbl_data[(off - CTNIC_REG_TBL_DATA(0)) / 4] = val;
		return;
	}
	switch (off) {
	case CTNIC_REG_SCRATCH:
		m->scratch = val;
		break;
	case CTNIC_REG_CTRL:
		m->enable = val & CTNIC_CTRL_ENABLE_MASK;
		break;
	case CTNIC_REG_TICK_PERIOD:
		m->tick_period = val;
		m->tick_div = 0;
		break;
	case CTNIC_REG_TICK_ADVANCE:
		m->tick += val;
		break;
	case CTNIC_REG_TCP_PUNT_MASK:
		m->tcp_punt_mask = (uint8_t)val;
		break;
	case CTNIC_REG_TBL_INDEX:
		m->tbl_index = val;
		break;
	case CTNIC_REG_TBL_CMD:
		tbl_cmd(m, val & CTNIC_TBL_CMD_OP_MASK);
		break;
	case CTNIC_REG_AGING_CTRL:
		m->aging_enable = val & CTNIC_AGING_CTRL_ENABLE_MASK;
		m->age_known = false;
		break;
	default:
		if (off >= CTNIC_REG_AGING_TIMEOUT(0) && off < CTNIC_REG_AGING_TIMEOUT(m->p.classes)) {
			m->timeout[(off - CTNIC_REG_AGING_TIMEOUT(0)) / 4] = val;
			m->age_known = false;
		}
		break;
	}
}

/* ---- aging ------------------------------------------------------------------ */

/*
 * The scanner's test of one record (docs/hardware.md, "Aging"): valid, a
 * class below CLASSES whose timeout is not 0, and idle (tick - last-seen,
 * mod 2^32) at least that timeout.
 */
static bool aged(const struct ctnic_model *m, const uint32_t *w)
{
	unsigned c = (w[8] >> 4) & 15u;
	uint32_t idle = (uint32_t)m->tick - w[9];

	return (w[8] & 1u) && c < m->p.classes && m->timeout[c] && idle >= m->timeout[c];
}

uint64_t ctnic_model_age(struct ctnic_model *m, uint64_t visits, ctnic_model_expiry_fn fn, void *arg)
{
	uint64_t n, next = UINT64_MAX;

	if (!m->aging_enable)
		return 0;
	for (n = 0; n < visits; n++) {
		uint32_t *w = m->flows[m->scan_pos];
		unsigned c = (w[8] >> 4) & 15u;

		/* when the record would be due, were it not seen again (hits only make it later) */
		if ((w[8] & 1u) && c < m->p.classes && m->timeout[c] && !aged(m, w)) {
			uint64_t due = m->tick + (m->timeout[c] - ((uint32_t)m->tick - w[9]));

			if (due < next)
				next = due;
		}
		if (aged(m, w)) {
			struct ctnic_model_expiry x = { .flow = m->scan_pos, .tick = (uint32_t)m->tick };

			memcpy(x.words, w, sizeof(x.words));
			/* No room for the event: the scanner waits at this record. */
			if (!fn(arg, &x))
				break;
			w[8] &= ~1u;
			m->expired++;
		}
		if (++m->scan_pos == m->p.flows) {
			m->scan_pos = 0;
			m->passes++;
		}
	}
	if (n >= m->p.flows) {
		m->age_known = true;
		m->age_next = next;
	}
	return n;
}

bool ctnic_model_age_pending(const struct ctnic_model *m)
{
	return m->aging_enable && (!m->age_known || m->tick >= m->age_next);
}

/* ---- the pipeline ----------------------------------------------------------- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/*
 * One's-complement sum of 16-bit words, as the card folds it: a wide sum,
 * then the carries added back until none is left.
 */
static uint16_t fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), over a fixed list of 16-bit
 * fields, changed or not (an unchanged one adds ~m + m = 0xffff, one's-
 * complement zero). One wide sum, folded at the end, as the RTL's adder tree.
 */
uint16_t ctnic_model_csum_update(uint16_t hc, const uint16_t *old, const uint16_t *next, unsigned n)
{
	uint64_t sum = (uint16_t)~hc;

	for (unsigned i = 0; i < n; i++)
		sum += (uint16_t)~old[i] + (uint64_t)next[i];
	return (uint16_t)~fold(sum);
}

/* What the parser found in a frame (the descriptor's offsets and flags). */
struct parsed {
	unsigned l3, l4;   /* offsets, 0 when none */
	uint8_t tcp_flags;
	uint8_t proto;
	struct ctnic_key key;
};

enum step { STEP_DROP, STEP_PUNT, STEP_LOOKUP };

/* A byte of the parser's window: the first 128 bytes, 0 past the frame's end. */
static uint8_t win(const uint8_t *f, size_t len, size_t i)
{
	return i < len && i < 128 ? f[i] : 0;
}

/*
 * The parser: Ethernet II, one 802.1Q tag, IPv4, TCP/UDP/ICMP (contract
 * "What the card does with a packet", steps 1-2; docs/hardware.md steps 5-8).
 * The order of the checks is the spec.
 */
static enum step parse(const uint8_t *f, size_t len, struct parsed *ps, unsigned *reason)
{
	unsigned l3 = ETH_HLEN, ihl, tot, frag, l4, l4_end;
	uint16_t et;

	memset(ps, 0, sizeof(*ps));
	et = get16(f + 12);
	if (et == VLAN_TPID) {
		if (len < ETH_HLEN + 4) {
			*reason = CTNIC_DROP_TRUNCATED;
			return STEP_DROP;
		}
		et = get16(f + 16);
		l3 = ETH_HLEN + 4;
	}
	if (et != ETHERTYPE_IPV4) {
		*reason = CTNIC_PUNT_NON_IPV4;
		return STEP_PUNT;
	}
	if (len < l3 + 20) {
		*reason = CTNIC_DROP_TRUNCATED;
		return STEP_DROP;
	}
	ihl = f[l3] & 15u;
	if (f[l3] >> 4 != 4 || ihl < 5) {
		*reason = CTNIC_DROP_BAD_IHL;
		return STEP_DROP;
	}
	if (len < l3 + ihl * 4) {
		*reason = CTNIC_DROP_TRUNCATED;
		return STEP_DROP;
	}
	tot = get16(f + l3 + 2);
	if (tot < ihl * 4 || l3 + tot > len) {
		*reason = CTNIC_DROP_LEN_MISMATCH;
		return STEP_DROP;
	}
	{
		uint64_t sum = 0;

		for (unsigned i = 0; i < ihl * 4; i += 2)
			sum += get16(f + l3 + i);
		if (fold(sum) != 0xffffu) {
			*reason = CTNIC_DROP_BAD_IPCSUM;
			return STEP_DROP;
		}
	}
	frag = get16(f + l3 + 6);
	l4 = (frag & 0x1fffu) ? 0 : l3 + ihl * 4;
	l4_end = l3 + tot;
	ps->l3 = l3;
	ps->l4 = l4;
	ps->proto = f[l3 + 9];
	if (ps->proto == IPPROTO_TCP_ && l4 && l4 + 20 <= l4_end)
		ps->tcp_flags = win(f, len, l4 + 13);
	if (ihl > 5) {
		*reason = CTNIC_PUNT_IP_OPTIONS;
		return STEP_PUNT;
	}
	if (frag & 0x3fffu) {
		*reason = CTNIC_PUNT_FRAGMENT;
		return STEP_PUNT;
	}
	if (ps->proto != IPPROTO_TCP_ && ps->proto != IPPROTO_UDP_ && ps->proto != IPPROTO_ICMP_) {
		*reason = CTNIC_PUNT_L4_OTHER;
		return STEP_PUNT;
	}
	/* The L4 header must end inside the IPv4 packet: TCP 20 bytes, UDP and ICMP 8. */
	if (l4 + (ps->proto == IPPROTO_TCP_ ? 20u : 8u) > l4_end) {
		*reason = CTNIC_DROP_TRUNCATED;
		return STEP_DROP;
	}
	ps->key.saddr = get32(f + l3 + 12);
	ps->key.daddr = get32(f + l3 + 16);
	ps->key.proto = ps->proto;
	if (ps->proto != IPPROTO_ICMP_) {
		ps->key.sport = get16(f + l4);
		ps->key.dport = get16(f + l4 + 2);
		return STEP_LOOKUP;
	}
	switch (f[l4]) {
	case 0: /* echo reply */
	case 8: /* echo request */
		ps->key.sport = get16(f + l4 + 4);
		ps->key.dport = 0;
		return STEP_LOOKUP;
	case 3:  /* destination unreachable */
	case 4:  /* source quench */
	case 5:  /* redirect */
	case 11: /* time exceeded */
	case 12: /* parameter problem */
		*reason = CTNIC_PUNT_ICMP_ERROR;
		return STEP_PUNT;
	default:
		*reason = CTNIC_PUNT_L4_OTHER;
		return STEP_PUNT;
	}
}

/*
 * Finds the key: both candidate buckets, every way; the first match wins
 * (sub-table 0 way 0 first). A match counts only if it names an existing,
 * valid flow record.
 */
static bool lookup(const struct ctnic_model *m, const struct ctnic_key *k, struct ctnic_key_entry *hit)
{
	uint32_t h = ctnic_key_hash(k);

	for (unsigned sub = 0; sub < 2; sub++) {
		uint32_t b = ctnic_bucket(h, sub, m->p.buckets);

		for (unsigned w = 0; w < m->p.ways; w++) {
			struct ctnic_key_entry e;

			ctnic_key_entry_unpack(m->keys[ctnic_slot(sub, b, w, m->p.buckets, m->p.ways)], &e);
			if (e.valid && e.key.saddr == k->saddr && e.key.daddr == k->daddr &&
			    e.key.sport == k->sport && e.key.dport == k->dport && e.key.proto == k->proto) {
				if (e.flow_id >= m->p.flows || !(m->flows[e.flow_id][8] & 1u))
					return false;
				*hit = e;
				return true;
			}
		}
	}
	return false;
}

/* Rewrites a forwarded frame in place (contract step 5). */
static void rewrite(uint8_t *f, const struct parsed *ps, const struct ctnic_flow_dir *d,
		    const struct ctnic_nexthop *nh)
{
	uint8_t *ip = f + ps->l3, *l4 = f + ps->l4;
	uint16_t ttl_old = get16(ip + 8);
	uint16_t ttl_new = d->ttl_dec ? (uint16_t)(ttl_old - 0x100u) : ttl_old;
	const uint16_t o[6] = {(uint16_t)(ps->key.saddr >> 16), (uint16_t)ps->key.saddr,
			       (uint16_t)(ps->key.daddr >> 16), (uint16_t)ps->key.daddr,
			       ps->key.sport, ps->key.dport};
	const uint16_t n[6] = {(uint16_t)(d->saddr >> 16), (uint16_t)d->saddr,
			       (uint16_t)(d->daddr >> 16), (uint16_t)d->daddr, d->sport, d->dport};

	if (nh->rewrite_macs) {
		memcpy(f, nh->dst_mac, 6);
		memcpy(f + 6, nh->src_mac, 6);
	}

	/* IPv4 header: the four address words and the TTL/protocol word. */
	{
		const uint16_t io[5] = {o[0], o[1], o[2], o[3], ttl_old};
		const uint16_t in[5] = {n[0], n[1], n[2], n[3], ttl_new};

		put16(ip + 10, ctnic_model_csum_update(get16(ip + 10), io, in, 5));
		put16(ip + 8, ttl_new);
		put32(ip + 12, d->saddr);
		put32(ip + 16, d->daddr);
	}

	if (ps->proto == IPPROTO_ICMP_) {
		/* ICMP echo: the identifier only; ICMP has no pseudo-header. */
		put16(l4 + 2, ctnic_model_csum_update(get16(l4 + 2), &o[4], &n[4], 1));
		put16(l4 + 4, d->sport);
		return;
	}
	{
		/* TCP, UDP: the pseudo-header's addresses and the ports. */
		unsigned at = ps->proto == IPPROTO_TCP_ ? 16 : 6;
		uint16_t c = get16(l4 + at);

		if (ps->proto == IPPROTO_TCP_) {
			c = ctnic_model_csum_update(c, o, n, 6);
		} else if (c != 0) {
			/* UDP: 0 means "no checksum" and stays; a computed 0 is sent as 0xFFFF (RFC 768). */
			c = ctnic_model_csum_update(c, o, n, 6);
			if (c == 0)
				c = 0xffffu;
		}
		put16(l4 + at, c);
		put16(l4, d->sport);
		put16(l4 + 2, d->dport);
	}
}

int ctnic_model_rewrite(uint8_t *frame, size_t len, const struct ctnic_flow_dir *d,
			const struct ctnic_nexthop *nh)
{
	struct parsed ps;
	unsigned reason = 0;

	if (len < ETH_HLEN || parse(frame, len, &ps, &reason) != STEP_LOOKUP)
		return -1;
	rewrite(frame, &ps, d, nh);
	return 0;
}

/* The decision for one frame. */
struct verdict {
	enum ctnic_model_verdict v;
	unsigned reason; /* punt or drop reason */
	unsigned port;   /* TX */
	bool flow_valid;
	struct ctnic_key_entry hit;
	struct parsed ps;
};

/* A hit: counts in the flow record, then applies its direction (docs/hardware.md step 10). */
static void on_hit(struct ctnic_model *m, uint8_t *f, uint16_t len16, struct verdict *vd)
{
	const struct ctnic_model_params *p = &m->p;
	unsigned dir = vd->hit.reply;
	struct ctnic_flow fl;
	struct ctnic_nexthop nh;
	const struct ctnic_flow_dir *d;

	ctnic_flow_unpack(m->flows[vd->hit.flow_id], &fl);
	fl.pkts[dir]++;
	fl.bytes[dir] = (fl.bytes[dir] + len16) & 0xffffffffffffull;
	fl.last_seen = (uint32_t)m->tick;
	{
		/* word 15 (reserved) keeps what software wrote, as in the card's RAM */
		uint32_t *w = m->flows[vd->hit.flow_id], w15 = w[15];

		ctnic_flow_pack(&fl, w);
		w[15] = w15;
	}

	d = &fl.dir[dir];
	vd->v = CTNIC_MODEL_HOST;
	if (vd->ps.proto == IPPROTO_TCP_ && (vd->ps.tcp_flags & m->tcp_punt_mask)) {
		vd->reason = CTNIC_PUNT_TCP_FLAGS;
		return;
	}
	if (d->action == CTNIC_ACTION_HOST) {
		vd->reason = CTNIC_PUNT_ACTION_HOST;
		return;
	}
	if (d->action != CTNIC_ACTION_FORWARD) {
		/* DROP, and the reserved value 3 */
		vd->v = CTNIC_MODEL_DROP;
		vd->reason = CTNIC_DROP_ACTION_DROP;
		return;
	}
	if (f[vd->ps.l3 + 8] <= 1) {
		vd->reason = CTNIC_PUNT_TTL_EXPIRED;
		return;
	}
	memset(&nh, 0, sizeof(nh));
	if (d->nexthop < p->nexthops)
		ctnic_nexthop_unpack(m->nhs[d->nexthop], &nh);
	if (!nh.valid || nh.port >= p->ports) {
		vd->v = CTNIC_MODEL_DROP;
		vd->reason = CTNIC_DROP_BAD_EGRESS;
		return;
	}
	rewrite(f, &vd->ps, d, &nh);
	vd->v = CTNIC_MODEL_TX;
	vd->port = nh.port;
}

/* Decides what becomes of one frame (docs/hardware.md steps 1-10). */
static void decide(struct ctnic_model *m, unsigned src, bool lookup_on, unsigned port,
		   uint8_t *f, size_t len, bool bad, struct verdict *vd)
{
	const struct ctnic_model_params *p = &m->p;
	unsigned reason = 0;

	vd->v = CTNIC_MODEL_DROP;
	if (src < p->ports && !m->enable) {
		vd->reason = CTNIC_DROP_PORT_DISABLED;
		return;
	}
	if (bad || len < ETH_HLEN) {
		vd->reason = CTNIC_DROP_RUNT;
		return;
	}
	if (len > p->max_frame) {
		vd->reason = CTNIC_DROP_OVERSIZE;
		return;
	}
	if (!lookup_on) {
		/* Host inject without LOOKUP: out of the named port as it is. */
		if (port < p->ports) {
			vd->v = CTNIC_MODEL_TX;
			vd->port = port;
		} else if (port == p->ports) {
			vd->v = CTNIC_MODEL_HOST;
			vd->reason = CTNIC_PUNT_NONE;
		} else {
			vd->reason = CTNIC_DROP_BAD_EGRESS;
		}
		return;
	}
	switch (parse(f, len, &vd->ps, &reason)) {
	case STEP_DROP:
		vd->reason = reason;
		return;
	case STEP_PUNT:
		vd->v = CTNIC_MODEL_HOST;
		vd->reason = reason;
		return;
	case STEP_LOOKUP:
		break;
	}
	if (!lookup(m, &vd->ps.key, &vd->hit)) {
		m->miss++;
		vd->v = CTNIC_MODEL_HOST;
		vd->reason = CTNIC_PUNT_MISS;
		return;
	}
	m->hit++;
	vd->flow_valid = true;
	on_hit(m, f, (uint16_t)len, vd);
}

static int process(struct ctnic_model *m, unsigned src, bool lookup_on, unsigned port,
		   const uint8_t *frame, size_t len, bool bad, struct ctnic_model_out *out)
{
	const struct ctnic_model_params *p = &m->p;
	struct verdict vd;
	size_t stored = len < p->max_frame ? len : p->max_frame;
	uint16_t len16 = len > 0xffffu ? 0xffffu : (uint16_t)len;

	memset(out, 0, sizeof(*out));
	memset(&vd, 0, sizeof(vd));
	if (stored)
		memcpy(m->buf, frame, stored);
	m->port[src].rx_pkts++;
	m->port[src].rx_bytes += len16;

	decide(m, src, lookup_on, port, m->buf, len, bad, &vd);

	out->verdict = vd.v;
	switch (vd.v) {
	case CTNIC_MODEL_TX:
		out->port = vd.port;
		out->data = m->buf;
		out->len = len;
		m->port[vd.port].tx_pkts++;
		m->port[vd.port].tx_bytes += len16;
		break;
	case CTNIC_MODEL_HOST: {
		struct ctnic_punt_desc d = {
			.len = len16,
			.reason = (uint8_t)vd.reason,
			.port = (uint8_t)(src < p->ports ? src : p->ports),
			.flow_id = vd.flow_valid ? vd.hit.flow_id : 0,
			.reply = vd.flow_valid && vd.hit.reply,
			.flow_valid = vd.flow_valid,
			.tick = (uint32_t)m->tick,
			.l3_off = (uint8_t)vd.ps.l3,
			.l4_off = (uint8_t)vd.ps.l4,
			.tcp_flags = vd.ps.tcp_flags,
		};

		ctnic_punt_desc_pack(&d, out->desc);
		out->data = m->buf;
		out->len = len;
		m->port[p->ports].tx_pkts++;
		m->port[p->ports].tx_bytes += len16;
		m->punt[vd.reason]++;
		break;
	}
	case CTNIC_MODEL_DROP:
		out->drop_reason = vd.reason;
		m->drop[vd.reason]++;
		break;
	}
	return 0;
}

int ctnic_model_rx(struct ctnic_model *m, unsigned port, const uint8_t *frame, size_t len,
		   bool bad, struct ctnic_model_out *out)
{
	if (port >= m->p.ports)
		return -1;
	return process(m, port, true, port, frame, len, bad, out);
}

int ctnic_model_inject(struct ctnic_model *m, uint8_t tuser, const uint8_t *frame, size_t len,
		       struct ctnic_model_out *out)
{
	return process(m, m->p.ports, tuser & CTNIC_INJECT_LOOKUP, tuser & CTNIC_INJECT_PORT_MASK,
		       frame, len, false, out);
}
