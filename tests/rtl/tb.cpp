/* tb.cpp - the RTL test bench (tb.h). */
#include "tb.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "Vctnic_top.h"
#include "verilated.h"
#include "verilated_vcd_c.h"
#include "vbits.h"

namespace {

using vbits::get_bit;
using vbits::get_byte;
using vbits::set_bit;
using vbits::set_byte;

constexpr unsigned BEAT = 64;

std::string hex(const uint8_t *p, size_t n)
{
	std::string s;
	char b[4];

	for (size_t i = 0; i < n; i++) {
		snprintf(b, sizeof(b), "%02x", p[i]);
		s += b;
	}
	return s;
}

} // namespace

Tb::Tb(uint64_t seed, const char *vcd) : ctx_(new VerilatedContext), rng_(seed)
{
	ctx_->traceEverOn(vcd != nullptr);
	top_.reset(new Vctnic_top(ctx_.get()));
	if (vcd) {
		vcd_.reset(new VerilatedVcdC);
		top_->trace(vcd_.get(), 99);
		vcd_->open(vcd);
	}
	ports_ = sizeof(top_->s_axis_rx_tdata) / BEAT;
	src_.resize(ports_ + 1);
	sink_.resize(ports_ + 1);
	lat_q_.resize(ports_ + 1);
	src_sop_.assign(ports_ + 1, 0);
	top_->clk = 0;
	top_->rst = 1;
	top_->eval();
	for (int i = 0; i < 16; i++) {
		top_->clk = 1;
		top_->eval();
		top_->clk = 0;
		top_->eval();
	}
	top_->rst = 0;
	top_->eval();

	/* The model takes the card's parameters from CAP_*. */
	if (rtl_read(CTNIC_REG_CAP_PORTS) != ports_)
		error("CAP_PORTS differs from the width of s_axis_rx_tdata");

	struct ctnic_model_params p;
	char err[256];

	ctnic_model_default_params(&p);
	p.ports = ports_;
	p.ways = rtl_read(CTNIC_REG_CAP_WAYS);
	p.buckets = rtl_read(CTNIC_REG_CAP_BUCKETS);
	p.flows = rtl_read(CTNIC_REG_CAP_FLOWS);
	p.nexthops = rtl_read(CTNIC_REG_CAP_NEXTHOPS);
	p.classes = rtl_read(CTNIC_REG_CAP_CLASSES);
	model_ = ctnic_model_create(&p, err, sizeof(err));
	if (!model_) {
		error(err);
		return;
	}
	/* Time moves only when the bench says: TICK_ADVANCE, with the card idle. */
	write_both(CTNIC_REG_TICK_PERIOD, 0);
	write_both(CTNIC_REG_CTRL, CTNIC_CTRL_ENABLE_MASK);
}

Tb::~Tb()
{
	if (vcd_)
		vcd_->close();
	top_->final();
	ctnic_model_destroy(model_);
}

void Tb::error(const std::string &e)
{
	if (errors.size() < 20)
		errors.push_back("cycle " + std::to_string(cycle_) + ": " + e);
	else if (errors.size() == 20)
		errors.push_back("(more errors not kept)");
}

/* ---- inputs ---------------------------------------------------------------- */

void Tb::send_rx(unsigned port, const std::vector<uint8_t> &f, bool bad)
{
	src_[port].q.push_back(f);
	src_[port].user.push_back(bad);
}

void Tb::send_inject(uint8_t tuser, const std::vector<uint8_t> &f)
{
	src_[ports_].q.push_back(f);
	src_[ports_].user.push_back(tuser);
}

void Tb::drive()
{
	for (unsigned s = 0; s <= ports_; s++) {
		Src &x = src_[s];

		if (!x.presenting && !x.q.empty() && uni_(rng_) >= in_gap)
			x.presenting = true;
		bool v = x.presenting;
		const std::vector<uint8_t> *f = v ? &x.q.front() : nullptr;
		size_t n = v ? std::min<size_t>(BEAT, f->size() - x.off) : 0;
		bool last = v && x.off + BEAT >= f->size();

		if (s < ports_) {
			set_bit(top_->s_axis_rx_tvalid, s, v);
			set_bit(top_->s_axis_rx_tlast, s, last);
			set_bit(top_->s_axis_rx_tuser, s, last && x.user.front());
			for (unsigned i = 0; i < BEAT; i++) {
				set_byte(top_->s_axis_rx_tdata, s * BEAT + i, i < n ? (*f)[x.off + i] : 0);
				set_bit(top_->s_axis_rx_tkeep, s * BEAT + i, i < n);
			}
		} else {
			top_->s_axis_host_tvalid = v;
			top_->s_axis_host_tlast = last;
			top_->s_axis_host_tuser = v && x.off == 0 ? x.user.front() : 0;
			for (unsigned i = 0; i < BEAT; i++) {
				set_byte(top_->s_axis_host_tdata, i, i < n ? (*f)[x.off + i] : 0);
				set_bit(top_->s_axis_host_tkeep, i, i < n);
			}
		}
	}
	for (unsigned p = 0; p < ports_; p++)
		set_bit(top_->m_axis_tx_tready, p, uni_(rng_) >= out_stall);
	top_->m_axis_host_tready = uni_(rng_) >= out_stall;
}

/* A frame's last beat went in: the model decides it now, in the card's order. */
void Tb::accepted(unsigned s)
{
	Src &x = src_[s];
	std::vector<uint8_t> f = x.q.front();
	uint8_t user = x.user.front();
	struct ctnic_model_out o;

	x.q.pop_front();
	x.user.pop_front();
	x.off = 0;
	frames_in++;
	if (s < ports_)
		ctnic_model_rx(model_, s, f.data(), f.size(), user, &o);
	else
		ctnic_model_inject(model_, user, f.data(), f.size(), &o);

	Decision d = {o.verdict, o.port, o.drop_reason, o.verdict == CTNIC_MODEL_HOST ? o.desc[2] : 0u};
	decisions.push_back(d);

	OutFrame e;
	e.where = o.verdict == CTNIC_MODEL_TX ? (int)o.port : o.verdict == CTNIC_MODEL_HOST ? -1 : -2;
	e.data.assign(o.data, o.data + o.len);
	memcpy(e.desc, o.desc, sizeof(e.desc));
	if (!model_check) {
		predicted.push_back(std::move(e));
		return;
	}
	if (o.verdict == CTNIC_MODEL_DROP)
		return;
	unsigned k = e.where < 0 ? ports_ : (unsigned)e.where;
	sink_[k].expect.push_back(std::move(e));
	lat_q_[k].push_back(src_sop_[s]);
}

/* ---- outputs --------------------------------------------------------------- */

void Tb::finish(int where, Sink &s)
{
	OutFrame got = std::move(s.cur);

	s.cur = OutFrame();
	s.busy = false;
	got.where = where;
	frames_out++;
	outputs.push_back(got);
	if (!model_check)
		return;
	const char *name = where < 0 ? "host" : "tx";
	if (s.expect.empty()) {
		error(std::string(name) + " port " + std::to_string(where) +
		      ": a frame the model did not send: " + hex(got.data.data(), std::min<size_t>(got.data.size(), 64)));
		return;
	}
	OutFrame e = std::move(s.expect.front());
	s.expect.pop_front();
	if (e.data != got.data) {
		size_t i = 0;

		while (i < e.data.size() && i < got.data.size() && e.data[i] == got.data[i])
			i++;
		error(std::string(name) + " port " + std::to_string(where) + ": frame differs from the model at byte " +
		      std::to_string(i) + " (len card " + std::to_string(got.data.size()) + ", model " +
		      std::to_string(e.data.size()) + ")\n#   card  " +
		      hex(got.data.data(), std::min<size_t>(got.data.size(), 80)) + "\n#   model " +
		      hex(e.data.data(), std::min<size_t>(e.data.size(), 80)));
	}
	if (where < 0 && memcmp(e.desc, got.desc, 16) != 0)
		error("host: punt descriptor differs: card " + hex(got.desc, 16) + " model " + hex(e.desc, 16));
}

void Tb::sample()
{
	/* Inputs: a beat moves when tvalid and tready are both high. */
	for (unsigned s = 0; s <= ports_; s++) {
		Src &x = src_[s];
		bool v, r, last;

		if (s < ports_) {
			v = get_bit(top_->s_axis_rx_tvalid, s);
			r = get_bit(top_->s_axis_rx_tready, s);
			last = get_bit(top_->s_axis_rx_tlast, s);
		} else {
			v = top_->s_axis_host_tvalid;
			r = top_->s_axis_host_tready;
			last = top_->s_axis_host_tlast;
		}
		if (!(v && r))
			continue;
		if (x.off == 0)
			src_sop_[s] = cycle_;
		x.off += BEAT;
		x.presenting = false;
		if (last)
			accepted(s);
	}

	/* Outputs */
	for (unsigned k = 0; k <= ports_; k++) {
		bool v, r, last;

		if (k < ports_) {
			v = get_bit(top_->m_axis_tx_tvalid, k);
			r = get_bit(top_->m_axis_tx_tready, k);
			last = get_bit(top_->m_axis_tx_tlast, k);
		} else {
			v = top_->m_axis_host_tvalid;
			r = top_->m_axis_host_tready;
			last = top_->m_axis_host_tlast;
		}
		if (!(v && r))
			continue;
		Sink &s = sink_[k];
		if (!s.busy) {
			s.busy = true;
			if (k == ports_)
				for (unsigned i = 0; i < 16; i++)
					s.cur.desc[i] = get_byte(top_->m_axis_host_tuser, i);
			if (!lat_q_[k].empty()) {
				latencies.push_back(cycle_ - lat_q_[k].front());
				lat_q_[k].pop_front();
			}
		}
		/* tkeep: contiguous from byte 0, and full on every beat but the last. */
		bool gap = false;
		for (unsigned i = 0; i < BEAT; i++) {
			bool keep = k < ports_ ? get_bit(top_->m_axis_tx_tkeep, k * BEAT + i)
					       : get_bit(top_->m_axis_host_tkeep, i);
			uint8_t b = k < ports_ ? get_byte(top_->m_axis_tx_tdata, k * BEAT + i)
					       : get_byte(top_->m_axis_host_tdata, i);
			if (!keep) {
				gap = true;
				continue;
			}
			if (gap)
				error("output " + std::to_string(k) + ": tkeep not contiguous");
			s.cur.data.push_back(b);
		}
		if (gap && !last)
			error("output " + std::to_string(k) + ": a beat before the last is not full");
		if (last)
			finish(k < ports_ ? (int)k : -1, s);
	}
}

/* ---- BAR0 ------------------------------------------------------------------- */

void Tb::axil_run()
{
	Axil &a = axil_;

	top_->s_axil_awvalid = a.active && a.write && !a.aw_done;
	top_->s_axil_wvalid = a.active && a.write && !a.w_done;
	top_->s_axil_awaddr = (uint16_t)a.addr;
	top_->s_axil_wdata = a.data;
	top_->s_axil_wstrb = 0xf;
	top_->s_axil_bready = 1;
	top_->s_axil_arvalid = a.active && !a.write && !a.a_done;
	top_->s_axil_araddr = (uint16_t)a.addr;
	top_->s_axil_rready = 1;
}

void Tb::step()
{
	top_->clk = 0;
	drive();
	axil_run();
	top_->x_ready = x_ready && !(x_stall > 0 && uni_(rng_) < x_stall);
	top_->eval();
	if (vcd_)
		vcd_->dump(ctx_->time());
	ctx_->timeInc(2000);
	sample();
	if (top_->x_valid && top_->x_ready) {
		Expiry x;

		x.flow = top_->x_flow;
		x.tick = top_->x_tick;
		for (unsigned w = 0; w < CTNIC_FLOW_WORDS; w++)
			x.words[w] = top_->x_record[w];
		expiries.push_back(x);
	}

	Axil &a = axil_;
	if (a.active) {
		if (a.write) {
			if (top_->s_axil_awvalid && top_->s_axil_awready)
				a.aw_done = true;
			if (top_->s_axil_wvalid && top_->s_axil_wready)
				a.w_done = true;
			if (top_->s_axil_bvalid && a.aw_done && a.w_done)
				a.done = true;
		} else {
			if (top_->s_axil_arvalid && top_->s_axil_arready)
				a.a_done = true;
			if (top_->s_axil_rvalid && a.a_done) {
				a.rdata = top_->s_axil_rdata;
				a.done = true;
			}
		}
	}

	top_->clk = 1;
	top_->eval();
	if (vcd_)
		vcd_->dump(ctx_->time());
	ctx_->timeInc(2000);
	cycle_++;
}

uint32_t Tb::rtl_read(uint32_t off)
{
	axil_ = Axil();
	axil_.active = true;
	axil_.addr = off;
	for (int i = 0; i < 1000 && !axil_.done; i++)
		step();
	if (!axil_.done)
		error("AXI4-Lite read of 0x" + std::to_string(off) + " never answered");
	uint32_t v = axil_.rdata;
	axil_ = Axil();
	return v;
}

void Tb::rtl_write(uint32_t off, uint32_t v)
{
	axil_ = Axil();
	axil_.active = true;
	axil_.write = true;
	axil_.addr = off;
	axil_.data = v;
	for (int i = 0; i < 1000 && !axil_.done; i++)
		step();
	if (!axil_.done)
		error("AXI4-Lite write of 0x" + std::to_string(off) + " never answered");
	axil_ = Axil();
}

void Tb::write_both(uint32_t off, uint32_t v)
{
	rtl_write(off, v);
	ctnic_model_csr_write(model_, off, v);
}

bool Tb::tbl_op(unsigned op, uint32_t index, const uint32_t *w, unsigned nw)
{
	for (unsigned i = 0; i < nw; i++)
		write_both(CTNIC_REG_TBL_DATA(i), w[i]);
	write_both(CTNIC_REG_TBL_INDEX, index);
	write_both(CTNIC_REG_TBL_CMD, op);
	uint32_t st = 0;
	for (int i = 0; i < 10000; i++) {
		st = rtl_read(CTNIC_REG_TBL_STATUS);
		if (!(st & CTNIC_TBL_STATUS_BUSY_MASK))
			break;
	}
	uint32_t mst = ctnic_model_csr_read(model_, CTNIC_REG_TBL_STATUS);
	if (st != mst) {
		error("TBL_STATUS after op " + std::to_string(op) + " index " + std::to_string(index) + ": card " +
		      std::to_string(st) + ", model " + std::to_string(mst));
		return false;
	}
	return true;
}

bool Tb::key_write(uint32_t slot, const ctnic_key_entry &e)
{
	uint32_t w[CTNIC_KEY_WORDS];

	ctnic_key_entry_pack(&e, w);
	return tbl_op(CTNIC_TBL_OP_KEY_WRITE, slot, w, CTNIC_KEY_WORDS);
}

bool Tb::flow_write(uint32_t id, const ctnic_flow &f)
{
	uint32_t w[CTNIC_FLOW_WORDS];

	ctnic_flow_pack(&f, w);
	return tbl_op(CTNIC_TBL_OP_FLOW_WRITE, id, w, CTNIC_FLOW_WORDS);
}

bool Tb::nh_write(uint32_t i, const ctnic_nexthop &n)
{
	uint32_t w[CTNIC_NH_WORDS];

	ctnic_nexthop_pack(&n, w);
	return tbl_op(CTNIC_TBL_OP_NH_WRITE, i, w, CTNIC_NH_WORDS);
}

/* ---- whole runs ------------------------------------------------------------- */

bool Tb::drain(uint64_t max_cycles)
{
	uint64_t quiet = 0;

	for (uint64_t c = 0; c < max_cycles; c++) {
		bool pending = false;

		for (auto &s : src_)
			pending |= !s.q.empty();
		for (auto &s : sink_)
			pending |= !s.expect.empty() || s.busy;
		/* quiet for longer than the longest frame takes to drain behind a decision */
		if (!pending && ++quiet > 300)
			return errors.empty();
		if (pending)
			quiet = 0;
		step();
	}
	error("not drained after " + std::to_string(max_cycles) + " clocks (a stall or a lost frame)");
	return false;
}

bool Tb::compare_counters()
{
	bool ok = true;
	std::vector<uint32_t> offs;

	for (unsigned p = 0; p <= ports_; p++)
		for (uint32_t r = 0; r < 4; r++)
			offs.push_back(CTNIC_REG_CNT_PORT_RX_PKTS_LO(p) + 8 * r);
	for (unsigned i = 0; i < 16; i++) {
		offs.push_back(CTNIC_REG_CNT_PUNT_LO(i));
		offs.push_back(CTNIC_REG_CNT_DROP_LO(i));
	}
	offs.push_back(CTNIC_REG_CNT_HIT_LO);
	offs.push_back(CTNIC_REG_CNT_MISS_LO);
	for (uint32_t off : offs) {
		uint64_t c = rtl_read(off);
		c |= (uint64_t)rtl_read(off + 4) << 32;
		uint64_t m = ctnic_model_csr_read(model_, off);
		m |= (uint64_t)ctnic_model_csr_read(model_, off + 4) << 32;
		if (c != m) {
			char b[128];
			snprintf(b, sizeof(b), "counter at 0x%04x: card %llu, model %llu", off,
				 (unsigned long long)c, (unsigned long long)m);
			error(b);
			ok = false;
		}
	}
	return ok;
}

bool Tb::compare_flows(uint32_t n)
{
	bool ok = true;

	for (uint32_t id = 0; id < n; id++) {
		write_both(CTNIC_REG_TBL_INDEX, id);
		write_both(CTNIC_REG_TBL_CMD, CTNIC_TBL_OP_FLOW_READ);
		for (int i = 0; i < 10000; i++)
			if (!(rtl_read(CTNIC_REG_TBL_STATUS) & CTNIC_TBL_STATUS_BUSY_MASK))
				break;
		for (unsigned w = 0; w < CTNIC_FLOW_WORDS; w++) {
			uint32_t c = rtl_read(CTNIC_REG_TBL_DATA(w));
			uint32_t m = ctnic_model_csr_read(model_, CTNIC_REG_TBL_DATA(w));
			if (c != m) {
				char b[128];
				snprintf(b, sizeof(b), "flow %u word %u: card 0x%08x, model 0x%08x", id, w, c, m);
				error(b);
				ok = false;
			}
		}
	}
	return ok;
}

namespace {

bool take_model_expiry(void *arg, const struct ctnic_model_expiry *x)
{
	auto *v = static_cast<std::vector<Expiry> *>(arg);
	Expiry e;

	e.flow = x->flow;
	e.tick = x->tick;
	memcpy(e.words, x->words, sizeof(e.words));
	v->push_back(e);
	return true;
}

} // namespace

bool Tb::aging_quiet(uint64_t max_cycles)
{
	uint64_t start = cycle_;
	uint32_t p0 = rtl_read(CTNIC_REG_AGING_PASSES);
	std::vector<Expiry> want;
	bool ok = true;

	while ((uint32_t)(rtl_read(CTNIC_REG_AGING_PASSES) - p0) < 2) {
		if (cycle_ - start > max_cycles) {
			error("aging: the scanner did not make two passes in " + std::to_string(max_cycles) + " clocks");
			return false;
		}
		for (int i = 0; i < 64; i++)
			step();
	}
	/* what the card still holds in its queue comes out now (x_ready) */
	bool saved = x_ready;
	x_ready = true;
	for (int i = 0; i < 64; i++)
		step();
	x_ready = saved;

	ctnic_model_age(model_, ctnic_model_csr_read(model_, CTNIC_REG_CAP_FLOWS), take_model_expiry, &want);
	std::sort(expiries.begin(), expiries.end());
	std::sort(want.begin(), want.end());
	if (want.size() != expiries.size()) {
		error("aging: the card retired " + std::to_string(expiries.size()) + " flows, the model " +
		      std::to_string(want.size()));
		ok = false;
	}
	for (size_t i = 0; ok && i < want.size(); i++)
		if (want[i].flow != expiries[i].flow || want[i].tick != expiries[i].tick ||
		    memcmp(want[i].words, expiries[i].words, sizeof(want[i].words))) {
			char b[160];
			snprintf(b, sizeof(b), "aging: expiry %zu: card flow %u tick %u, model flow %u tick %u (or records differ)",
				 i, expiries[i].flow, expiries[i].tick, want[i].flow, want[i].tick);
			error(b);
			ok = false;
		}
	if (rtl_read(CTNIC_REG_AGING_EXPIRED) != ctnic_model_csr_read(model_, CTNIC_REG_AGING_EXPIRED)) {
		error("aging: AGING_EXPIRED differs from the model's");
		ok = false;
	}
	expired.insert(expired.end(), expiries.begin(), expiries.end());
	expiries.clear();
	return ok;
}
