/*
 * dma_test - the card's DMA engine (hw/ctnic_dma*.v in hw/ctnic_card.v)
 * against the model: backend, which is the same rings done in software
 * (driver/src/model.c). Both are driven by the same host code
 * (driver/src/ring*.c) with the same seeded inputs; the oracle is the
 * model's behaviour: every completion and error event, every punt (its
 * descriptor and bytes), every frame out of a port, the counters, the table
 * and the whole host memory image (rings, writebacks) must be equal.
 * The card runs once with an ideal host memory and once with random AXI
 * back-pressure and latency. Card-only checks: interrupt moderation by
 * count and by time, DMA rules (whole aligned beats, no burst across 4 KiB).
 *
 *   dma_test [SEED]          the tests, TAP; the seed is printed and replays
 *   dma_test --bench         prints hw_clk_per_install: N
 *
 * Debugging: DMA_TEST_DEBUG=1 prints the commands and ring registers of each
 * batch and appends both transcripts to /tmp/dma-card.log and
 * /tmp/dma-model.log; DMA_TEST_BATCHES=N runs N command batches (12).
 */
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <unistd.h>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "card.h"

extern "C" {
#include "ctnic.h"
#include "ctnic_flow.h"
#include "ctnic_regs.h"
#include "ctnic_ring.h"
#include "ring_priv.h"
}

namespace {

constexpr unsigned BUCKETS = 64, WAYS = 4, FLOWS = 256, NEXTHOPS = 256;
constexpr unsigned KEY_SLOTS = 2 * BUCKETS * WAYS;
const char *MODEL_URI = "model:ports=2,ways=4,buckets=64,flows=256,nexthops=256,classes=16,mem=4";

unsigned test_no;
unsigned failed;

void report(bool ok, const std::string &name, const std::string &why = "")
{
	test_no++;
	std::printf("%s %u - %s\n", ok ? "ok" : "not ok", test_no, name.c_str());
	if (!ok) {
		failed++;
		if (!why.empty())
			std::printf("# %s\n", why.c_str());
	}
	std::fflush(stdout);
}

typedef std::pair<unsigned, std::vector<uint8_t>> Frame;

/* One card (the RTL or the model) with its four rings, and what came out of it. */
struct Side {
	struct ctnic_dev *dev = nullptr;
	RtlCard *rtl = nullptr;
	struct ctnic_dma_pool *pool = nullptr;
	struct ctnic_ring *ring[CTNIC_RINGS] = {};
	std::vector<Frame> model_tx;
	std::vector<std::string> log;   /* the transcript */

	std::vector<Frame> &tx() { return rtl ? rtl->tx : model_tx; }
	void rx(unsigned port, const std::vector<uint8_t> &f)
	{
		if (rtl)
			rtl->port_rx(port, f);
		else
			ctnic_model_port_rx(dev, port, f.data(), f.size(), 0);
	}
	uint32_t rd(uint32_t off)
	{
		uint32_t v = 0;

		ctnic_csr_read(dev, off, &v);
		return v;
	}
	void wr(uint32_t off, uint32_t v) { ctnic_csr_write(dev, off, v); }
	uint8_t *mem()
	{
		void *base;
		size_t len;
		uint64_t da;

		ctnic_host_mem(dev, &base, &len, &da);
		return static_cast<uint8_t *>(base);
	}
};

void on_model_tx(void *arg, unsigned port, const uint8_t *frame, size_t len, uint64_t)
{
	static_cast<Side *>(arg)->model_tx.emplace_back(port, std::vector<uint8_t>(frame, frame + len));
}

std::string hex(const uint8_t *p, size_t n)
{
	std::string s;
	char b[4];

	for (size_t i = 0; i < n; i++) {
		std::snprintf(b, sizeof(b), "%02x", p[i]);
		s += b;
	}
	return s;
}

std::string event_str(const struct ctnic_event &e)
{
	char b[128];

	std::snprintf(b, sizeof(b), "ev type %u code %u aux %u index %u tag %u tick %u data ", e.type, e.code,
		      e.aux, e.index, e.tag, e.tick);
	return b + hex(reinterpret_cast<const uint8_t *>(e.data), sizeof(e.data));
}

void log_event(void *arg, const struct ctnic_event *e)
{
	static_cast<Side *>(arg)->log.push_back(event_str(*e));
}

/* Everything still on the event ring, into the transcript. */
void drain_events(Side &s)
{
	struct ctnic_event e;

	int rc;

	while ((rc = ctnic_event_poll(s.ring[CTNIC_RING_ID_EVENT], &e)) == 1)
		s.log.push_back(event_str(e));
	if (rc < 0)
		s.log.push_back("event poll error " + std::to_string(rc));
	ctnic_ring_release(s.ring[CTNIC_RING_ID_EVENT]);
}

/* Every punt on the ring, into the transcript. */
unsigned drain_punts(Side &s)
{
	struct ctnic_punt_frame p;
	unsigned n = 0;
	int rc;

	while ((rc = ctnic_punt_poll(s.ring[CTNIC_RING_ID_PUNT], &p)) == 1) {
		uint8_t d[CTNIC_PUNT_DESC_BYTES];

		ctnic_punt_desc_pack(&p.desc, d);
		s.log.push_back("punt @" + std::to_string(p.index) + " " + hex(d, sizeof(d)) + " " +
				hex(p.frame, p.len));
		n++;
	}
	if (rc < 0)
		s.log.push_back("punt poll error " + std::to_string(rc));
	ctnic_ring_release(s.ring[CTNIC_RING_ID_PUNT]);
	return n;
}

void drain_tx(Side &s)
{
	for (const Frame &f : s.tx())
		s.log.push_back("tx port " + std::to_string(f.first) + " " + hex(f.second.data(), f.second.size()));
	s.tx().clear();
}

/* The first difference of two transcripts, or "". */
std::string diff(const Side &a, const Side &b)
{
	size_t n = std::min(a.log.size(), b.log.size());

	for (size_t i = 0; i < n; i++)
		if (a.log[i] != b.log[i])
			return "entry " + std::to_string(i) + ":\n#  card:  " + a.log[i].substr(0, 400) +
			       "\n#  model: " + b.log[i].substr(0, 400);
	if (a.log.size() != b.log.size())
		return "card has " + std::to_string(a.log.size()) + " entries, model " + std::to_string(b.log.size()) +
		       (a.log.size() > n ? ", first extra: " + a.log[n].substr(0, 200) : ", first missing: " + b.log[n].substr(0, 200));
	return "";
}

std::string mem_diff(Side &a, Side &b)
{
	const uint8_t *x = a.mem(), *y = b.mem();

	for (size_t i = 0; i < RtlCard::MEM_BYTES; i++)
		if (x[i] != y[i])
		{
			char b[128];

			std::snprintf(b, sizeof(b), "host memory differs first at device address 0x%llx (card 0x%02x, model 0x%02x)",
				      (unsigned long long)(RtlCard::MEM_BASE + i), x[i], y[i]);
			return b;
		}
	return "";
}

/* ---- frames -------------------------------------------------------------------------- */

uint16_t ip_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

std::vector<uint8_t> tcp_frame(size_t len, const struct ctnic_key &k, uint8_t flags, unsigned fill)
{
	std::vector<uint8_t> f(len, 0);
	uint16_t ipl = (uint16_t)(len - 14), cs;

	std::memcpy(f.data(), "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00", 14);
	f[14] = 0x45;
	f[16] = (uint8_t)(ipl >> 8);
	f[17] = (uint8_t)ipl;
	f[22] = 64;
	f[23] = 6;
	for (int i = 0; i < 4; i++) {
		f[26 + i] = (uint8_t)(k.saddr >> (24 - 8 * i));
		f[30 + i] = (uint8_t)(k.daddr >> (24 - 8 * i));
	}
	cs = ip_csum(&f[14], 20);
	f[24] = (uint8_t)(cs >> 8);
	f[25] = (uint8_t)cs;
	f[34] = (uint8_t)(k.sport >> 8);
	f[35] = (uint8_t)k.sport;
	f[36] = (uint8_t)(k.dport >> 8);
	f[37] = (uint8_t)k.dport;
	f[46] = 0x50;
	f[47] = flags;
	for (size_t i = 54; i < len; i++)
		f[i] = (uint8_t)(fill + i);
	return f;
}

struct ctnic_key key_n(uint32_t n)
{
	struct ctnic_key k = {};

	k.saddr = 0x0a000000u + n;
	k.daddr = 0xc0000201u;
	k.sport = (uint16_t)(1024 + n);
	k.dport = 80;
	k.proto = 6;
	return k;
}

struct ctnic_key reverse(const struct ctnic_key &k)
{
	struct ctnic_key r = k;

	r.saddr = k.daddr;
	r.daddr = k.saddr;
	r.sport = k.dport;
	r.dport = k.sport;
	return r;
}

uint32_t slot_of(const struct ctnic_key &k, unsigned sub, unsigned way)
{
	return ctnic_slot(sub, ctnic_bucket(ctnic_key_hash(&k), sub, BUCKETS), way, BUCKETS, WAYS);
}

/* ---- the two cards ------------------------------------------------------------------------ */

struct RingSizes {
	unsigned log2[CTNIC_RINGS];
	unsigned slot_log2;
};

std::string open_rings(Side &s, const RingSizes &z)
{
	if (ctnic_dma_pool_create(s.dev, &s.pool))
		return std::string("pool: ") + ctnic_last_error(s.dev);
	for (unsigned id = 0; id < CTNIC_RINGS; id++) {
		struct ctnic_ring_cfg cfg = {};

		cfg.id = (enum ctnic_ring_id)id;
		cfg.size_log2 = z.log2[id];
		cfg.slot_log2 = z.slot_log2;
		cfg.irq_count = 1;
		if (ctnic_ring_create(s.dev, s.pool, &cfg, &s.ring[id]))
			return std::string("ring ") + ctnic_ring_name(cfg.id) + ": " + ctnic_last_error(s.dev);
	}
	s.wr(CTNIC_REG_TICK_PERIOD, 0);   /* ticks move only by TICK_ADVANCE: equal on both */
	s.wr(CTNIC_REG_CTRL, CTNIC_CTRL_ENABLE_MASK);
	return "";
}

void close_side(Side &s)
{
	for (unsigned id = 0; id < CTNIC_RINGS; id++)
		if (s.ring[id])
			ctnic_ring_destroy(s.ring[id]);
	if (s.pool)
		ctnic_dma_pool_destroy(s.pool);
	if (!s.rtl && s.dev)
		ctnic_close(s.dev);
}

/* Runs f on both sides and compares their transcripts. */
void both(Side &c, Side &m, const std::string &name, const std::function<void(Side &)> &f, bool memory = true)
{
	f(c);
	f(m);
	std::string d = diff(c, m);

	if (d.empty() && memory)
		d = mem_diff(c, m);
	if (d.empty() && c.rtl && !c.rtl->violations.empty())
		d = "DMA rule broken: " + c.rtl->violations.front();
	report(d.empty(), name, d);
	if (getenv("DMA_TEST_DEBUG")) {
		FILE *fc = std::fopen("/tmp/dma-card.log", "a"), *fm = std::fopen("/tmp/dma-model.log", "a");

		for (auto &l : c.log)
			std::fprintf(fc, "%s\n", l.c_str());
		for (auto &l : m.log)
			std::fprintf(fm, "%s\n", l.c_str());
		std::fclose(fc);
		std::fclose(fm);
	}
	c.log.clear();
	m.log.clear();
}

/* ---- command batches ---------------------------------------------------------------------------- */

struct Gen {
	std::mt19937_64 rng;
	explicit Gen(uint64_t s) : rng(s) {}
	uint32_t u(uint32_t n) { return (uint32_t)(rng() % n); }
};

/* A random flow record with NAT in both directions, next hop below 4. */
void rand_flow(Gen &g, struct ctnic_flow &f)
{
	std::memset(&f, 0, sizeof(f));
	f.valid = true;
	f.tclass = (uint8_t)g.u(16);
	f.generation = (uint16_t)g.u(65536);
	for (int d = 0; d < 2; d++) {
		f.dir[d].saddr = (uint32_t)g.rng();
		f.dir[d].daddr = (uint32_t)g.rng();
		f.dir[d].sport = (uint16_t)g.rng();
		f.dir[d].dport = (uint16_t)g.rng();
		f.dir[d].action = g.u(8) ? (uint8_t)CTNIC_ACTION_FORWARD : (uint8_t)g.u(3);
		f.dir[d].ttl_dec = g.u(2);
		f.dir[d].nexthop = (uint8_t)g.u(4);
	}
}

/* One random command (the same on both sides: the caller copies the generator). */
void rand_cmd(Gen &g, struct ctnic_ring *cmd, std::vector<struct ctnic_key> &keys)
{
	struct ctnic_cmd c;
	uint8_t raw[CTNIC_CMD_ENTRY_BYTES];
	struct ctnic_flow f;
	struct ctnic_key_entry e0 = {}, e1 = {};
	uint32_t tag = (uint32_t)g.rng();

	std::memset(&c, 0, sizeof(c));
	switch (g.u(12)) {
	case 0: case 1: case 2: case 3: {
		/* a connection, its keys where the hash puts them (sometimes both in one key RAM) */
		uint32_t id = g.u(FLOWS);
		struct ctnic_key k = key_n(g.u(64)), r = reverse(k);
		unsigned sub0 = g.u(2), sub1 = g.u(4) ? 1 - sub0 : sub0, way = g.u(WAYS);

		rand_flow(g, f);
		e0.valid = e1.valid = true;
		e0.flow_id = e1.flow_id = id;
		e1.reply = true;
		e0.key = k;
		e1.key = r;
		keys.push_back(k);
		ctnic_cmd_flow_install(cmd, id, &f, slot_of(k, sub0, way), &e0,
				       slot_of(r, sub1, sub1 == sub0 ? way : g.u(WAYS)), &e1, tag);
		break;
	}
	case 4: {
		struct ctnic_nexthop n = {};

		n.valid = g.u(8) != 0;
		n.port = (uint8_t)g.u(3);
		n.rewrite_macs = g.u(2);
		for (int i = 0; i < 6; i++) {
			n.dst_mac[i] = (uint8_t)g.rng();
			n.src_mac[i] = (uint8_t)g.rng();
		}
		ctnic_cmd_nexthop_write(cmd, g.u(4), &n, tag);
		break;
	}
	case 5: {
		static const enum ctnic_cmd_op ops[] = { CTNIC_CMD_OP_KEY_READ, CTNIC_CMD_OP_FLOW_READ,
							 CTNIC_CMD_OP_NH_READ };
		enum ctnic_cmd_op op = ops[g.u(3)];

		ctnic_cmd_read(cmd, op, g.u(op == CTNIC_CMD_OP_KEY_READ ? KEY_SLOTS : 8), tag);
		break;
	}
	case 6:
		ctnic_cmd_flow_remove(cmd, g.u(FLOWS), g.u(KEY_SLOTS), g.u(KEY_SLOTS), tag);
		break;
	case 7:
		ctnic_cmd_key_delete(cmd, g.u(KEY_SLOTS), tag);
		break;
	case 8:
		rand_flow(g, f);
		ctnic_cmd_flow_write(cmd, g.u(FLOWS), &f, tag);
		break;
	case 9: {
		/* garbled: random bytes, an unknown op, a reserved field, an index out of range */
		rand_flow(g, f);
		c.op = CTNIC_CMD_OP_FLOW_INSTALL;
		c.index = g.u(FLOWS);
		c.index2 = g.u(KEY_SLOTS);
		c.index3 = g.u(KEY_SLOTS);
		c.tag = tag;
		ctnic_flow_pack(&f, c.data);
		ctnic_cmd_pack(&c, raw);
		switch (g.u(5)) {
		case 0: for (auto &b : raw) b = (uint8_t)g.rng(); break;
		case 1: raw[0] = (uint8_t)(10 + g.u(246)); break;
		case 2: raw[2 + g.u(2)] = 1; break;
		case 3: raw[20 + g.u(12)] = (uint8_t)(1 + g.u(255)); break;
		default: {
			uint32_t big = (g.u(2) ? FLOWS : KEY_SLOTS) + g.u(1000);
			unsigned at = 4 + 4 * g.u(3);

			std::memcpy(raw + at, &big, 4);
			break;
		}
		}
		ctnic_cmd_post_raw(cmd, raw);
		break;
	}
	case 10:
		c.op = CTNIC_CMD_OP_NOP;
		c.flags = g.u(2) ? CTNIC_CMD_FLAG_CPL : 0;
		c.tag = tag;
		ctnic_cmd_post(cmd, &c);
		break;
	default: {
		struct ctnic_key k = key_n(g.u(64));

		e0.valid = true;
		e0.flow_id = g.u(FLOWS);
		e0.key = k;
		ctnic_cmd_key_write(cmd, slot_of(k, g.u(2), g.u(WAYS)), &e0, tag);
		break;
	}
	}
}

/* A batch of n random commands, submitted and waited for; the transcript gets every event. */
void run_batch(Side &s, Gen g, unsigned n, std::vector<struct ctnic_key> &keys)
{
	uint32_t last;
	struct ctnic_event cpl;

	for (unsigned i = 0; i < n; i++) {
		struct ctnic_ring *r = s.ring[CTNIC_RING_ID_CMD];
		uint32_t h = r->head;

		rand_cmd(g, r, keys);
		if (getenv("DMA_TEST_DEBUG") && s.rtl) {
			struct ctnic_cmd c;

			ctnic_cmd_unpack(ctnic_ring_slot_ptr(r, h), &c);
			std::fprintf(stderr, "cmd %u: head %u op %u flags %u idx %u %u %u\n", i, h, c.op, c.flags, c.index, c.index2, c.index3);
		}
	}
	if (ctnic_cmd_submit(s.ring[CTNIC_RING_ID_CMD], &last)) {
		s.log.push_back(std::string("submit: ") + ctnic_last_error(s.dev));
		return;
	}
	if (getenv("DMA_TEST_DEBUG"))
		for (unsigned id = 0; id < CTNIC_RINGS; id++)
			std::fprintf(stderr, "%s %u commands: ring %u status %u prod %u cons %u irq %u\n", s.rtl ? "card" : "model", n, id,
				     s.rd(CTNIC_REG_RING_STATUS(id)), s.rd(CTNIC_REG_RING_PROD(id)),
				     s.rd(CTNIC_REG_RING_CONS(id)), s.rd(CTNIC_REG_IRQ_STATUS));
	int rc = ctnic_cmd_wait(s.ring[CTNIC_RING_ID_CMD], s.ring[CTNIC_RING_ID_EVENT], last, &cpl, log_event, &s,
				2000);
	s.log.push_back("wait " + std::to_string(rc == -EIO ? -5 : rc) + " " + (rc == 0 || rc == -EIO ? event_str(cpl) : ctnic_last_error(s.dev)));
}

/* The whole table through the TBL_* window. */
void dump_table(Side &s)
{
	uint32_t w[CTNIC_FLOW_WORDS];

	for (uint32_t i = 0; i < KEY_SLOTS; i++) {
		ctnic_tbl_op(s.dev, CTNIC_TBL_OP_KEY_READ, i, w, CTNIC_KEY_WORDS);
		s.log.push_back("key " + std::to_string(i) + " " + hex(reinterpret_cast<uint8_t *>(w), 16));
	}
	for (uint32_t i = 0; i < FLOWS; i++) {
		ctnic_tbl_op(s.dev, CTNIC_TBL_OP_FLOW_READ, i, w, CTNIC_FLOW_WORDS);
		s.log.push_back("flow " + std::to_string(i) + " " + hex(reinterpret_cast<uint8_t *>(w), 64));
	}
	for (uint32_t i = 0; i < 8; i++) {
		ctnic_tbl_op(s.dev, CTNIC_TBL_OP_NH_READ, i, w, CTNIC_NH_WORDS);
		s.log.push_back("nh " + std::to_string(i) + " " + hex(reinterpret_cast<uint8_t *>(w), 16));
	}
}

void counters(Side &s)
{
	static const uint32_t regs[] = {
		CTNIC_REG_CNT_DROP_LO(CTNIC_DROP_HOST_FULL), CTNIC_REG_CNT_PORT_TX_PKTS_LO(2),
		CTNIC_REG_CNT_PORT_RX_PKTS_LO(2), CTNIC_REG_CNT_PUNT_LO(CTNIC_PUNT_MISS),
		CTNIC_REG_CNT_PUNT_LO(CTNIC_PUNT_NONE), CTNIC_REG_CNT_HIT_LO,
	};

	for (uint32_t r : regs)
		s.log.push_back("counter 0x" + std::to_string(r) + " = " + std::to_string(s.rd(r)) + " hi " +
				std::to_string(s.rd(r + 4)));
	for (unsigned id = 0; id < CTNIC_RINGS; id++)
		s.log.push_back("ring " + std::to_string(id) + " status " + std::to_string(s.rd(CTNIC_REG_RING_STATUS(id))) +
				" prod " + std::to_string(s.rd(CTNIC_REG_RING_PROD(id))) + " cons " +
				std::to_string(s.rd(CTNIC_REG_RING_CONS(id))));
}

/* ---- the comparison run ---------------------------------------------------------------------------- */

void compare_run(uint64_t seed, double stall, unsigned lat, const std::string &how)
{
	RtlCard card(seed, stall, lat);
	Side c, m;
	char err[CTNIC_ERR_LEN];
	std::vector<struct ctnic_key> keys, mkeys;

	c.dev = card.dev();
	c.rtl = &card;
	if (ctnic_open(&m.dev, MODEL_URI, err, sizeof(err))) {
		report(false, "model opens", err);
		return;
	}
	ctnic_model_port_tx_cb(m.dev, on_model_tx, &m);

	/* CFG_ERROR: each bad configuration leaves the ring off; a good one enables it */
	both(c, m, how + ": ring enable refuses bad configurations with CFG_ERROR and takes a good one", [](Side &s) {
		struct Cfg { uint32_t base_lo, cfg; };
		static const Cfg cfgs[] = {
			{ 0x100, 0x80000004u }, { 0, 0x80000000u }, { 0, 0x80000019u }, { 0, 0x80000504u },
			{ 0, 0x80000f04u }, { 0, 0x80000804u },
		};
		for (unsigned id = 0; id < CTNIC_RINGS; id++) {
			for (const Cfg &k : cfgs) {
				s.wr(CTNIC_REG_RING_BASE_LO(id), k.base_lo);
				s.wr(CTNIC_REG_RING_BASE_HI(id), 1);
				s.wr(CTNIC_REG_RING_CFG(id), k.cfg);
				s.log.push_back("status " + std::to_string(s.rd(CTNIC_REG_RING_STATUS(id))));
				s.wr(CTNIC_REG_RING_CFG(id), 0);
			}
		}
	});

	RingSizes z = { { 6, 6, 5, 3 }, 8 };
	std::string e1 = open_rings(c, z), e2 = open_rings(m, z);
	report(e1.empty() && e2.empty(), how + ": four rings created through libctnic", e1 + e2);

	/* command batches: the event ring (8 slots) is smaller than most batches */
	both(c, m, how + ": command batches (install, write, delete, remove with final counters, reads, garbled entries) complete alike", [&](Side &s) {
		Gen g(seed ^ 0x5eed);
		std::vector<struct ctnic_key> &ks = s.rtl ? keys : mkeys;

		unsigned nb = getenv("DMA_TEST_BATCHES") ? (unsigned)atoi(getenv("DMA_TEST_BATCHES")) : 12;

		for (unsigned b = 0; b < nb; b++) {
			run_batch(s, g, 1 + g.u(40), ks);
			g.rng.discard(1000);
		}
		drain_events(s);
		counters(s);
	});
	both(c, m, how + ": table after the batches (TBL_* read-back)", dump_table, false);

	/* next hops 0..3 valid to ports 0/1 so that hits forward */
	both(c, m, how + ": next hops written through the ring", [](Side &s) {
		for (unsigned i = 0; i < 4; i++) {
			struct ctnic_nexthop n = {};

			n.valid = true;
			n.port = (uint8_t)(i & 1);
			ctnic_cmd_nexthop_write(s.ring[CTNIC_RING_ID_CMD], i, &n, i);
		}
		uint32_t last;
		struct ctnic_event cpl;

		ctnic_cmd_submit(s.ring[CTNIC_RING_ID_CMD], &last);
		int rc = ctnic_cmd_wait(s.ring[CTNIC_RING_ID_CMD], s.ring[CTNIC_RING_ID_EVENT], last, &cpl, log_event, &s, 2000);
		s.log.push_back("wait " + std::to_string(rc) + " " + event_str(cpl));
	});

	/* traffic: hits, misses, SYN on known flows; sizes spanning slots and the ring's end */
	both(c, m, how + ": punts land with their descriptors, wrap the ring, and forwarded frames leave", [&](Side &s) {
		Gen g(seed ^ 0xf00d);
		std::vector<struct ctnic_key> &ks = s.rtl ? keys : mkeys;

		for (unsigned i = 0; i < 60; i++) {
			struct ctnic_key k = (g.u(3) || ks.empty()) ? key_n(g.u(64)) : ks[g.u((uint32_t)ks.size())];
			size_t len = g.u(10) ? 60 + g.u(900) : 1400 + g.u(7000);

			if (g.u(2))
				k = reverse(k);
			s.rx(g.u(2), tcp_frame(len, k, g.u(4) ? 0x10 : 0x02, g.u(256)));
			if (g.u(3) == 0) {
				drain_punts(s);
				drain_tx(s);
			}
		}
		drain_punts(s);
		drain_tx(s);
		counters(s);
	});

	/* inject: without LOOKUP out of a port, to the host (port = PORTS), with LOOKUP through the pipeline */
	both(c, m, how + ": inject with and without LOOKUP; a spoiled header is skipped and reported", [&](Side &s) {
		Gen g(seed ^ 0x1234);
		std::vector<struct ctnic_key> &ks = s.rtl ? keys : mkeys;
		struct ctnic_ring *inj = s.ring[CTNIC_RING_ID_INJECT];

		for (unsigned i = 0; i < 30; i++) {
			struct ctnic_key k = (g.u(2) || ks.empty()) ? key_n(g.u(64)) : ks[g.u((uint32_t)ks.size())];
			std::vector<uint8_t> f = tcp_frame(60 + g.u(g.u(4) ? 500 : 3000), k, 0x10, g.u(256));
			uint8_t tuser = (uint8_t)(g.u(3) | (g.u(2) ? CTNIC_INJECT_LOOKUP : 0));
			uint32_t at = inj->head;

			if (ctnic_inject_post(inj, tuser, f.data(), f.size()) == 0) {
				if (g.u(8) == 0)
					ctnic_ring_slot_ptr(inj, at)[3 + g.u(61)] = (uint8_t)(1 + g.u(255));
				if (g.u(2))
					ctnic_ring_flush(inj);
			} else {
				ctnic_ring_flush(inj);
			}
			if (g.u(4) == 0) {
				drain_punts(s);
				drain_tx(s);
				drain_events(s);
			}
		}
		ctnic_ring_flush(inj);
		drain_punts(s);
		drain_tx(s);
		drain_events(s);
		s.log.push_back("inject cons " + std::to_string(s.rd(CTNIC_REG_RING_CONS(CTNIC_RING_ID_INJECT))));
	});

	/* a full punt ring: frames are dropped whole and counted; forwarding goes on */
	both(c, m, how + ": a full punt ring drops whole frames, counts HOST_FULL, and forwarding goes on", [&](Side &s) {
		Gen g(seed ^ 0xabcd);

		for (unsigned i = 0; i < 40; i++) {
			s.rx(0, tcp_frame(200 + g.u(1200), key_n(1000 + g.u(100)), 0x10, i));
			s.log.push_back("tx so far " + std::to_string(s.tx().size()));
		}
		counters(s);
		drain_punts(s);
		for (unsigned i = 0; i < 4; i++)
			s.rx(1, tcp_frame(100, key_n(2000 + i), 0x10, i));
		drain_punts(s);
		drain_tx(s);
		counters(s);
	});

	/* doorbells beyond the ring are ignored and reported */
	both(c, m, how + ": a doorbell beyond the ring is ignored and reported", [](Side &s) {
		uint32_t p = s.rd(CTNIC_REG_RING_PROD(CTNIC_RING_ID_CMD));

		s.wr(CTNIC_REG_RING_PROD(CTNIC_RING_ID_CMD), p + 1000);
		s.wr(CTNIC_REG_RING_CONS(CTNIC_RING_ID_PUNT), s.rd(CTNIC_REG_RING_PROD(CTNIC_RING_ID_PUNT)) + 5);
		drain_events(s);
		counters(s);
	});

	both(c, m, how + ": table at the end", dump_table, false);

	/* a punt ring outside host memory: the write fails, the ring stops with DMA_ERROR and says so */
	both(c, m, how + ": a punt ring outside host memory stops with DMA_ERROR, reports DMA_WRITE and counts the frame", [](Side &s) {
		s.wr(CTNIC_REG_RING_CFG(CTNIC_RING_ID_PUNT), 0);
		s.wr(CTNIC_REG_RING_BASE_LO(CTNIC_RING_ID_PUNT), 0);
		s.wr(CTNIC_REG_RING_BASE_HI(CTNIC_RING_ID_PUNT), 0x2000);
		s.wr(CTNIC_REG_RING_CFG(CTNIC_RING_ID_PUNT), CTNIC_RING_CFG_ENABLE_MASK | 6u | 8u << 8);
		s.rx(0, tcp_frame(300, key_n(4000), 0x10, 1));
		s.rx(0, tcp_frame(300, key_n(4001), 0x10, 2));
		drain_events(s);
		counters(s);
	}, false);

	close_side(c);
	close_side(m);
}

/* ---- card-only: interrupt moderation ------------------------------------------------------------------ */

void moderation(uint64_t seed)
{
	RtlCard card(seed, 0.0, 0);
	Side c;
	RingSizes z = { { 6, 4, 4, 4 }, 11 };

	c.dev = card.dev();
	c.rtl = &card;
	std::string e = open_rings(c, z);
	if (!e.empty()) {
		report(false, "moderation: rings", e);
		return;
	}
	const uint32_t bit = 1u << CTNIC_RING_ID_PUNT;
	auto punt = [&](unsigned i) { c.rx(0, tcp_frame(100, key_n(3000 + i), 0x10, i)); };

	c.wr(CTNIC_REG_IRQ_STATUS, 0xf);
	c.wr(CTNIC_REG_RING_IRQ_COUNT(CTNIC_RING_ID_PUNT), 3);
	c.wr(CTNIC_REG_RING_IRQ_TIME(CTNIC_RING_ID_PUNT), 0xffffffffu);
	punt(0);
	punt(1);
	bool before = c.rd(CTNIC_REG_IRQ_STATUS) & bit;
	punt(2);
	bool after = c.rd(CTNIC_REG_IRQ_STATUS) & bit;
	report(!before && after, "moderation by count: IRQ_STATUS[punt] rises at the third punt with RING_IRQ_COUNT 3");

	c.wr(CTNIC_REG_IRQ_STATUS, 0xf);
	c.wr(CTNIC_REG_RING_IRQ_COUNT(CTNIC_RING_ID_PUNT), 1000);
	c.wr(CTNIC_REG_RING_IRQ_TIME(CTNIC_RING_ID_PUNT), 2000);
	uint64_t t0 = card.cycles();
	punt(3);
	before = c.rd(CTNIC_REG_IRQ_STATUS) & bit;
	uint64_t waited = 0;
	while (!(card.irq() & bit) && waited < 10000) {
		card.step();
		waited++;
	}
	uint64_t t = card.cycles() - t0;
	bool ok = !before && (card.irq() & bit) && t >= 2000 && t < 2600;
	report(ok, "moderation by time: one punt signals after RING_IRQ_TIME 2000 clocks (took " + std::to_string(t) + ")");

	int fd = -1;
	uint64_t v = 0;
	bool fd_ok = ctnic_irq_fd(c.dev, CTNIC_RING_ID_PUNT, &fd) == 0 && read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v) && v >= 1;
	ctnic_irq_ack(c.dev, CTNIC_RING_ID_PUNT);
	bool cleared = !(c.rd(CTNIC_REG_IRQ_STATUS) & bit);
	c.wr(CTNIC_REG_IRQ_TEST, bit);
	bool test = c.rd(CTNIC_REG_IRQ_STATUS) & bit;
	report(fd_ok && cleared && test, "interrupt: the rising edge wakes the vector's fd; ack clears IRQ_STATUS; IRQ_TEST sets it");
	report(card.violations.empty(), "no DMA rule broken in the moderation run",
	       card.violations.empty() ? "" : card.violations.front());
	close_side(c);
}

/* ---- card-only: a host that hands slots back the moment their index lands ------------------------------- */

/*
 * The punt ring's index writeback reaches host RAM; a host that reads it
 * there and at once writes RING_CONS up to it must find those slots
 * produced (not RING_ERR_DOORBELL, "consumer past the producer"). Host
 * memory answers writes late (BRESP after a random delay), which widens the
 * window between the writeback landing and the card's own bookkeeping.
 */
void eager_consumer(uint64_t seed)
{
	RtlCard card(seed, 0.3, 24);
	Side c;
	RingSizes z = { { 6, 4, 4, 4 }, 11 };
	unsigned seen = 0, acked = 0;

	c.dev = card.dev();
	c.rtl = &card;
	std::string e = open_rings(c, z);
	if (!e.empty()) {
		report(false, "eager consumer: rings", e);
		return;
	}
	uint64_t wb = (uint64_t)c.rd(CTNIC_REG_RING_WB_HI(CTNIC_RING_ID_PUNT)) << 32 |
		      c.rd(CTNIC_REG_RING_WB_LO(CTNIC_RING_ID_PUNT));
	const volatile uint32_t *idx = reinterpret_cast<const uint32_t *>(card.mem() + (wb - RtlCard::MEM_BASE));
	uint32_t last = *idx;

	for (unsigned i = 0; i < 20; i++) {
		card.queue_rx(0, tcp_frame(100, key_n(5000 + i), 0x10, i));
		for (unsigned t = 0; t < 2000; t++) {
			card.step();
			if (*idx != last) {
				last = *idx;
				seen++;
				/* At once: no settling, the write's handshake is the only delay. */
				card.csr_write(CTNIC_REG_RING_CONS(CTNIC_RING_ID_PUNT), last, false);
				acked++;
				break;
			}
		}
	}
	card.run_quiet();
	uint32_t cons = c.rd(CTNIC_REG_RING_CONS(CTNIC_RING_ID_PUNT));
	uint32_t prod = c.rd(CTNIC_REG_RING_PROD(CTNIC_RING_ID_PUNT));
	unsigned errors = 0;
	struct ctnic_event ev;
	while (ctnic_event_poll(c.ring[CTNIC_RING_ID_EVENT], &ev) == 1)
		errors += ev.type == CTNIC_EVT_ERROR;
	ctnic_ring_release(c.ring[CTNIC_RING_ID_EVENT]);
	report(seen == 20 && acked == 20 && cons == prod && prod == 20 && errors == 0,
	       "a host writing RING_CONS the moment the punt ring's writeback lands is never past the producer (" +
		       std::to_string(seen) + " writebacks seen, RING_CONS " + std::to_string(cons) + ", RING_PROD " +
		       std::to_string(prod) + ", " + std::to_string(errors) + " ring errors)");
	report(card.violations.empty(), "no DMA rule broken in the eager-consumer run",
	       card.violations.empty() ? "" : card.violations.front());
	close_side(c);
}

/* ---- the benchmark --------------------------------------------------------------------------------------- */

int bench()
{
	RtlCard card(1, 0.0, 0);
	Side c;
	RingSizes z = { { 4, 4, 12, 4 }, 11 };
	const unsigned n = 2048;

	c.dev = card.dev();
	c.rtl = &card;
	std::string e = open_rings(c, z);
	if (!e.empty()) {
		std::fprintf(stderr, "dma_test --bench: %s\n", e.c_str());
		return 1;
	}
	for (unsigned i = 0; i < n; i++) {
		struct ctnic_key k = key_n(i), r = reverse(k);
		struct ctnic_flow f;
		struct ctnic_key_entry e0 = {}, e1 = {};
		Gen g(i);

		rand_flow(g, f);
		e0.valid = e1.valid = true;
		e0.flow_id = e1.flow_id = i % FLOWS;
		e1.reply = true;
		e0.key = k;
		e1.key = r;
		ctnic_cmd_flow_install(c.ring[CTNIC_RING_ID_CMD], i % FLOWS, &f, slot_of(k, 0, i % WAYS), &e0,
				       slot_of(r, 1, i % WAYS), &e1, i);
	}
	uint32_t last;
	/* the doorbell write itself runs the card until it is quiet again */
	uint64_t t0 = card.cycles();
	ctnic_cmd_submit(c.ring[CTNIC_RING_ID_CMD], &last);
	/* to the last AXI4 handshake: the completion's writeback */
	uint64_t t = card.last_moved() - t0;
	struct ctnic_event cpl;
	int rc = ctnic_cmd_wait(c.ring[CTNIC_RING_ID_CMD], c.ring[CTNIC_RING_ID_EVENT], last, &cpl, nullptr, nullptr, 2000);
	if (rc) {
		std::fprintf(stderr, "dma_test --bench: %s\n", ctnic_last_error(c.dev));
		return 1;
	}
	double per = (double)t / n;
	std::printf("# %u FLOW_INSTALL commands (record and both keys each, CPL on the last) in %llu clocks from the doorbell write to the completion's index writeback\n",
		    n, (unsigned long long)t);
	std::printf("hw_clk_per_install: %.2f\n", per);
	close_side(c);
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	if (argc > 1 && !std::strcmp(argv[1], "--bench"))
		return bench();
	uint64_t seed = argc > 1 ? std::strtoull(argv[1], nullptr, 0) : (uint64_t)std::time(nullptr);

	std::printf("# seed %llu (dma_test %llu replays)\n", (unsigned long long)seed, (unsigned long long)seed);
	compare_run(seed, 0.0, 0, "ideal host memory");
	compare_run(seed, 0.4, 24, "random AXI back-pressure and latency");
	moderation(seed);
	eager_consumer(seed);
	std::printf("1..%u\n", test_no);
	return failed ? 1 : 0;
}
