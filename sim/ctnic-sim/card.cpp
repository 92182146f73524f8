/*
 * card.cpp - the verilated card and its shell (card.h).
 *
 * Every cycle: drive the inputs with clk low, settle, sample every
 * handshake (the values the rising edge will take), then the rising and the
 * falling edge. Stream bytes follow the contract: frame byte i of a beat is
 * tdata[8i+7:8i], tkeep bit i says it is there.
 */
#include "card.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <type_traits>

#include "../../driver/include/ctnic_regs.h"
#include "verilated.h"
#include "verilated_vcd_c.h"
#include "Vctnic_top___024root.h"
#include "vbits.h"

namespace {

/* Cycles of reset after power-on. */
constexpr unsigned RESET_CYCLES = 16;
/* Cycles an AXI4-Lite access may take before it counts as a bus error. */
constexpr unsigned AXIL_TIMEOUT = 1000;
/* Cycles run after each BAR0 write, for what it starts to show. */
constexpr unsigned SETTLE_CYCLES = 8;
/*
 * Cycles without any movement (a stream beat, an AXI4 handshake) after which
 * the card counts as drained. The longest pause measured inside work (a
 * frame's last RX beat to its first TX or punt beat, a command read to its
 * completion's write, DMA bursts; CTNIC_SIM_PAUSE_LOG over system_test,
 * sim_proto_test and test-live-rtl.sh) is 14 cycles; docs/simulator.md.
 */
constexpr uint64_t DRAIN_CYCLES = 256;
/*
 * An interrupt moderation timer (RING_IRQ_TIME) that fires within this many
 * cycles keeps the card busy; a longer one only runs while something else
 * runs the clock (2^20 cycles: 4 ms of device time, seconds of wall time).
 */
constexpr uint64_t MODERATION_WAIT_MAX = 1u << 20;
/* Cycles from a moderation timer's end to the card's irq output (IRQ_STATUS, then irq). */
constexpr uint64_t IRQ_SETTLE_CYCLES = 8;
/* VCD time per half cycle, in the model's precision (1 ps): a 250 MHz clock. */
constexpr uint64_t HALF_PERIOD = 2000;

/* Optional AXI4-Lite signals: driven when the RTL has them. */
template <typename T>
auto set_prot(T *t, int) -> decltype(t->s_axil_awprot = 0, t->s_axil_arprot = 0, void())
{
	t->s_axil_awprot = 0;
	t->s_axil_arprot = 0;
}
template <typename T>
void set_prot(T *, long) {}

template <typename T>
auto set_wstrb(T *t, int) -> decltype(t->s_axil_wstrb = 0, void())
{
	t->s_axil_wstrb = 0xf;
}
template <typename T>
void set_wstrb(T *, long) {}

/* The interrupt output, as bits; 0 when the RTL has none yet (docs/rings.md: irq[3:0], level). */
template <typename T>
auto irq_bits(T *t, int) -> decltype((uint64_t)t->irq)
{
	return (uint64_t)t->irq;
}
template <typename T>
uint64_t irq_bits(T *, long)
{
	return 0;
}

/*
 * The core's host streams (ctnic_top): the punt stream is collected, the
 * inject stream held idle. ctnic_card has neither (punts go to the punt ring
 * in host RAM, injects come from the inject ring): then these do nothing.
 */
template <typename T>
auto drive_host(T *t, int) -> decltype(t->m_axis_host_tready = 0, t->s_axis_host_tvalid = 0, void())
{
	t->m_axis_host_tready = 1;
	t->s_axis_host_tvalid = 0;
}
template <typename T>
void drive_host(T *, long) {}

/* One beat of a punt stream into desc/data, if valid (true); *last: it ended the frame. */
template <typename D, typename K, typename U>
bool take_beat(bool valid, bool tlast, const D &tdata, const K &tkeep, const U &tuser, uint8_t *desc, size_t desc_len,
	       std::vector<uint8_t> &data, bool first, bool *last)
{
	if (!valid)
		return false;
	if (first)
		for (size_t i = 0; i < desc_len; i++)
			desc[i] = vbits::get_byte(tuser, (unsigned)i);
	for (unsigned i = 0; i < CARD_BEAT; i++)
		if (vbits::get_bit(tkeep, i))
			data.push_back(vbits::get_byte(tdata, i));
	*last = tlast;
	return true;
}

/*
 * The punt stream: the core's m_axis_host_* (ctnic_top), or inside
 * ctnic_card the same stream on its way to the DMA engine (punt_*, made
 * readable by hw/ctnic_sim.vlt; the engine is always ready for it).
 */
template <typename T>
auto host_beat(T *t, uint8_t *desc, size_t desc_len, std::vector<uint8_t> &data, bool first, bool *last, int)
	-> decltype((bool)t->m_axis_host_tvalid, bool())
{
	return take_beat(t->m_axis_host_tvalid, t->m_axis_host_tlast, t->m_axis_host_tdata, t->m_axis_host_tkeep,
			 t->m_axis_host_tuser, desc, desc_len, data, first, last);
}
template <typename T>
auto host_beat(T *t, uint8_t *desc, size_t desc_len, std::vector<uint8_t> &data, bool first, bool *last, long)
	-> decltype((bool)t->rootp->ctnic_card__DOT__punt_tvalid, bool())
{
	const auto *r = t->rootp;
	return take_beat(r->ctnic_card__DOT__punt_tvalid, r->ctnic_card__DOT__punt_tlast, r->ctnic_card__DOT__punt_tdata,
			 r->ctnic_card__DOT__punt_tkeep, r->ctnic_card__DOT__punt_tuser, desc, desc_len, data, first,
			 last);
}
template <typename T>
bool host_beat(T *, uint8_t *, size_t, std::vector<uint8_t> &, bool, bool *, ...)
{
	return false;
}

/*
 * An interrupt moderation timer of the DMA engine is running and fires
 * within `within` cycles: a ring has unsignalled entries (mcnt) and its
 * timer (mtime, counting from the first of them) has not reached
 * RING_IRQ_TIME (itime) yet. Read through hw/ctnic_sim.vlt; a top without
 * the DMA engine has none.
 */
template <typename T>
auto moderation_pending(const T *t, uint64_t within, int) -> decltype(t->rootp->ctnic_card__DOT__dma__DOT__mcnt_reg[0], bool())
{
	const auto *r = t->rootp;
	for (unsigned i = 0; i < 4; i++) {
		uint32_t cnt = r->ctnic_card__DOT__dma__DOT__mcnt_reg[i];
		uint32_t waited = r->ctnic_card__DOT__dma__DOT__mtime_reg[i];
		uint32_t limit = r->ctnic_card__DOT__dma__DOT__itime_reg[i];
		if (cnt && waited < limit && limit - waited <= within)
			return true;
	}
	return false;
}
template <typename T>
bool moderation_pending(const T *, uint64_t, long)
{
	return false;
}

} // namespace

using vbits::get_bit;
using vbits::get_byte;
using vbits::set_bit;
using vbits::set_byte;

Card::Card(Sink sink, const char *vcd_path) : ctx_(new VerilatedContext), sink_(std::move(sink))
{
	if (vcd_path)
		ctx_->traceEverOn(true);
	top_.reset(new Vctnic_top(ctx_.get(), "ctnic_top"));
	if (vcd_path) {
		vcd_ = new VerilatedVcdC;
		top_->trace(vcd_, 99);
		vcd_->open(vcd_path);
	}
	set_prot(top_.get(), 0);
	set_wstrb(top_.get(), 0);
	top_->clk = 0;
	reset();
}

void Card::reset()
{
	axil_ = Axil::IDLE;
	aw_done_ = w_done_ = ar_done_ = axil_fin_ = false;
	for (RxPort &r : rx_) {
		r.off = 0; /* a frame cut by the reset is sent again whole */
		r.active = false;
	}
	for (Collector &c : tx_)
		c = Collector();
	host_ = Collector();
	top_->rst = 1;
	for (unsigned i = 0; i < RESET_CYCLES; i++)
		step();
	top_->rst = 0;
	cycle_ = 0;
	tick_period_changes_++;
	quiet_ = 0;
}

Card::~Card()
{
	if (vcd_) {
		vcd_->close();
		delete vcd_;
	}
	top_->final();
}

void Card::queue_rx(unsigned port, std::vector<uint8_t> frame)
{
	if (port < CARD_PORTS && !frame.empty())
		rx_[port].q.push_back(std::move(frame));
}

size_t Card::rx_left() const
{
	size_t n = 0;

	for (const RxPort &r : rx_)
		n += r.q.size();
	return n;
}

bool Card::busy() const
{
	if (quiet_ || axil_ != Axil::IDLE)
		return true;
	for (const RxPort &r : rx_)
		if (r.active || (!r.q.empty() && top_->rx_enable))
			return true;
	return false;
}

void Card::drive_rx(unsigned p)
{
	RxPort &r = rx_[p];

	/* A MAC holds new frames while the card says rx_enable 0; a frame once started finishes. */
	if (!r.active && !r.q.empty() && top_->rx_enable &&
	    (!r.started_any || cycle_ - r.last_start >= pace_)) {
		r.active = true;
		r.off = 0;
		r.last_start = cycle_;
		r.started_any = true;
	}
	size_t n = 0;
	if (r.active)
		n = std::min<size_t>(CARD_BEAT, r.q.front().size() - r.off);
	for (unsigned i = 0; i < CARD_BEAT; i++) {
		set_byte(top_->s_axis_rx_tdata, p * CARD_BEAT + i, i < n ? r.q.front()[r.off + i] : 0);
		set_bit(top_->s_axis_rx_tkeep, p * CARD_BEAT + i, i < n);
	}
	set_bit(top_->s_axis_rx_tvalid, p, r.active);
	set_bit(top_->s_axis_rx_tlast, p, r.active && r.off + n == r.q.front().size());
	set_bit(top_->s_axis_rx_tuser, p, false);
}

void Card::drive_axil()
{
	top_->s_axil_awaddr = (uint16_t)axil_addr_;
	top_->s_axil_araddr = (uint16_t)axil_addr_;
	top_->s_axil_wdata = axil_wdata_;
	top_->s_axil_awvalid = axil_ == Axil::WRITE && !aw_done_;
	top_->s_axil_wvalid = axil_ == Axil::WRITE && !w_done_;
	top_->s_axil_arvalid = axil_ == Axil::READ && !ar_done_;
	top_->s_axil_bready = 1;
	top_->s_axil_rready = 1;
}

void Card::collect(unsigned port, Collector &c, bool last)
{
	if (last) {
		Frame f;
		f.data.swap(c.data);
		memcpy(f.desc, c.desc, sizeof(f.desc));
		f.cycle = cycle_;
		c.in_frame = false;
		sink_(port, f);
	}
}

void Card::sample()
{
	bool moved = false, rx = false; /* rx: a beat in from the shell's MACs */
	const char *card = nullptr;  /* what the card moved by itself, for the pause log */

	for (unsigned p = 0; p < CARD_PORTS; p++) {
		rx_fire_[p] = get_bit(top_->s_axis_rx_tvalid, p) && get_bit(top_->s_axis_rx_tready, p);
		rx |= rx_fire_[p];
		if (!get_bit(top_->m_axis_tx_tvalid, p))
			continue;
		card = "tx";
		Collector &c = tx_[p];
		for (unsigned i = 0; i < CARD_BEAT; i++)
			if (get_bit(top_->m_axis_tx_tkeep, p * CARD_BEAT + i))
				c.data.push_back(get_byte(top_->m_axis_tx_tdata, p * CARD_BEAT + i));
		c.in_frame = true;
		collect(p, c, get_bit(top_->m_axis_tx_tlast, p));
	}
	bool host_last = false;
	if (host_beat(top_.get(), host_.desc, sizeof(host_.desc), host_.data, !host_.in_frame, &host_last, 0)) {
		card = "punt";
		host_.in_frame = true;
		collect(CARD_PORTS, host_, host_last);
	}
	/* DMA counts as traffic: the clock keeps running while the card moves host memory. */
	if (host_ram::sample(top_.get(), ram_, 0)) {
		card = "dma";
		last_dma_ = halves_ / 2;
	}
	moved = rx || card;
	if (moved)
		quiet_ = DRAIN_CYCLES;
	/*
	 * The pause log: each pause the card ended by itself (not an RX beat of
	 * the shell, no BAR0 access since the last movement) is a pause inside
	 * work, which DRAIN_CYCLES must outlast.
	 */
	uint64_t now = halves_ / 2;
	if (pause_log_ && card && !kicked_ && moved_once_ && now - last_move_ > 1)
		fprintf(pause_log_, "%llu %s\n", (unsigned long long)(now - last_move_), card);
	if (moved) {
		last_move_ = now;
		moved_once_ = true;
		kicked_ = false;
	}

	if (axil_ == Axil::WRITE) {
		aw_done_ |= top_->s_axil_awvalid && top_->s_axil_awready;
		w_done_ |= top_->s_axil_wvalid && top_->s_axil_wready;
		if (top_->s_axil_bvalid) {
			axil_resp_ = top_->s_axil_bresp;
			axil_fin_ = true;
		}
	} else if (axil_ == Axil::READ) {
		ar_done_ |= top_->s_axil_arvalid && top_->s_axil_arready;
		if (top_->s_axil_rvalid) {
			axil_rdata_ = top_->s_axil_rdata;
			axil_resp_ = top_->s_axil_rresp;
			axil_fin_ = true;
		}
	}
}

void Card::half(int clk)
{
	top_->clk = (uint8_t)clk;
	top_->eval();
	/* Counted apart from cycle_, which restarts at 0 after reset: VCD time only moves forward. */
	halves_++;
	if (vcd_)
		vcd_->dump(halves_ * HALF_PERIOD);
}

void Card::step()
{
	for (unsigned p = 0; p < CARD_PORTS; p++)
		drive_rx(p);
	drive_axil();
	host_ram::drive(top_.get(), ram_, 0);
	for (unsigned p = 0; p < CARD_PORTS; p++)
		set_bit(top_->m_axis_tx_tready, p, true);
	drive_host(top_.get(), 0);
	top_->eval();
	sample();
	half(1);
	half(0);
	cycle_++;
	uint64_t irq = irq_bits(top_.get(), 0);
	for (unsigned i = 0; i < 64 && irq_sink_; i++)
		if ((irq & ~irq_prev_) >> i & 1u)
			irq_sink_(i);
	irq_prev_ = irq;
	if (quiet_)
		quiet_--;
	/* A moderation timer about to fire is work; its interrupt shows a few cycles after. */
	if (moderation_pending(top_.get(), MODERATION_WAIT_MAX, 0))
		quiet_ = std::max<uint64_t>(quiet_, IRQ_SETTLE_CYCLES);
	for (unsigned p = 0; p < CARD_PORTS; p++) {
		RxPort &r = rx_[p];

		if (!rx_fire_[p])
			continue;
		r.off += std::min<size_t>(CARD_BEAT, r.q.front().size() - r.off);
		if (r.off >= r.q.front().size()) {
			r.q.pop_front();
			r.active = false;
		}
	}
}

bool Card::run_axil(uint32_t *resp)
{
	kicked_ = true;
	aw_done_ = w_done_ = ar_done_ = axil_fin_ = false;
	for (unsigned i = 0; i < AXIL_TIMEOUT && !axil_fin_; i++)
		step();
	bool ok = axil_fin_;
	axil_ = Axil::IDLE;
	if (!ok) {
		/* Drop the request: the RTL broke the handshake, and we must not wait forever. */
		step();
	}
	*resp = axil_resp_;
	return ok;
}

bool Card::csr_read(uint32_t off, uint32_t *val, uint32_t *resp)
{
	axil_ = Axil::READ;
	axil_addr_ = off;
	bool ok = run_axil(resp);
	*val = axil_rdata_;
	return ok;
}

bool Card::csr_write(uint32_t off, uint32_t val, uint32_t *resp)
{
	if (off == CTNIC_REG_TICK_PERIOD)
		tick_period_changes_++;
	axil_ = Axil::WRITE;
	axil_addr_ = off;
	axil_wdata_ = val;
	bool ok = run_axil(resp);
	/*
	 * A write may start work (a doorbell starts DMA): a few cycles more let
	 * it show on the AXI4 master, which keeps the clock running. Part of
	 * every write, so still a function of the host's requests only.
	 */
	for (unsigned i = 0; i < SETTLE_CYCLES; i++)
		step();
	return ok;
}
