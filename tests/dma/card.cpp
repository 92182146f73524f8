/*
 * card.cpp - the verilated ctnic_card with its host memory (card.h).
 *
 * Every clock: drive the inputs with clk low, settle, sample every
 * handshake (what the rising edge takes), then the rising and falling edge.
 */
#include "card.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/eventfd.h>
#include <unistd.h>

#include "Vctnic_card.h"
#include "verilated.h"
#include "vbits.h"

extern "C" {
#include "ctnic_regs.h"
}

using vbits::get_bit;
using vbits::get_byte;
using vbits::set_bit;
using vbits::set_byte;

static int rtl_csr_read(struct ctnic_dev *dev, uint32_t off, uint32_t *val)
{
	*val = static_cast<RtlCard *>(dev->priv)->csr_read(off);
	return 0;
}

static int rtl_csr_write(struct ctnic_dev *dev, uint32_t off, uint32_t val)
{
	static_cast<RtlCard *>(dev->priv)->csr_write(off, val);
	return 0;
}

static int rtl_host_mem(struct ctnic_dev *dev, void **base, size_t *len, uint64_t *dev_addr)
{
	*base = static_cast<RtlCard *>(dev->priv)->mem();
	*len = RtlCard::MEM_BYTES;
	*dev_addr = RtlCard::MEM_BASE;
	return 0;
}

int rtl_irq_fd(struct ctnic_dev *dev, unsigned vector, int *fd)
{
	if (vector >= CTNIC_RINGS)
		return ctnic_dev_err(dev, -EINVAL, "interrupt vector %u: the card has %u", vector, CTNIC_RINGS);
	*fd = static_cast<RtlCard *>(dev->priv)->efd_[vector];
	return 0;
}

static void rtl_close(struct ctnic_dev *) {}

static char rtl_uri[] = "rtl:";

/* Named fields only: the ops struct may grow. */
static struct ctnic_backend_ops make_ops()
{
	struct ctnic_backend_ops o;

	std::memset(&o, 0, sizeof(o));
	o.scheme = "rtl";
	o.usage = "rtl:";
	o.close = rtl_close;
	o.csr_read = rtl_csr_read;
	o.csr_write = rtl_csr_write;
	o.host_mem = rtl_host_mem;
	o.irq_fd = rtl_irq_fd;
	return o;
}

static const struct ctnic_backend_ops rtl_ops = make_ops();

RtlCard::RtlCard(uint64_t seed, double stall, unsigned max_latency)
	: ctx_(new VerilatedContext), mem_(static_cast<uint8_t *>(std::aligned_alloc(4096, MEM_BYTES))), rng_(seed), stall_(stall), max_lat_(max_latency)
{
	std::memset(mem_, 0, MEM_BYTES);
	top_.reset(new Vctnic_card(ctx_.get(), "ctnic_card"));
	std::memset(&dev_, 0, sizeof(dev_));
	dev_.ops = &rtl_ops;
	dev_.priv = this;
	dev_.uri = rtl_uri;
	for (unsigned i = 0; i < CTNIC_RINGS; i++)
		efd_[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	top_->rst = 1;
	for (int i = 0; i < 16; i++)
		step();
	top_->rst = 0;
	step();
	cycle_ = 0;
}

RtlCard::~RtlCard()
{
	top_->final();
	for (unsigned i = 0; i < CTNIC_RINGS; i++)
		if (efd_[i] >= 0)
			close(efd_[i]);
	std::free(mem_);
}

bool RtlCard::in_mem(uint64_t addr) const
{
	return addr >= MEM_BASE && addr - MEM_BASE + 64 <= MEM_BYTES;
}

uint8_t RtlCard::irq() const
{
	return top_->irq;
}

void RtlCard::drive()
{
	std::bernoulli_distribution st(stall_);
	Vctnic_card *t = top_.get();

	t->clk = 0;
	ar_rdy_ = !st(rng_);
	aw_rdy_ = !st(rng_);
	w_rdy_ = !wq_.empty() && !st(rng_);
	r_gap_ = st(rng_);
	t->m_axi_arready = ar_rdy_;
	t->m_axi_awready = aw_rdy_;
	t->m_axi_wready = w_rdy_;
	bool rv = !rq_.empty() && rq_.front().at <= cycle_ && !r_gap_;
	t->m_axi_rvalid = rv;
	t->m_axi_rid = 0;
	t->m_axi_rresp = 0;
	t->m_axi_rlast = 0;
	if (rv) {
		const Rd &r = rq_.front();
		uint64_t a = r.addr + 64ull * r_beat_;
		bool ok = in_mem(a);

		for (unsigned j = 0; j < 64; j++)
			set_byte(t->m_axi_rdata, j, ok ? mem_[a - MEM_BASE + j] : 0);
		t->m_axi_rresp = ok ? 0 : 3;
		t->m_axi_rlast = r_beat_ + 1 == r.beats;
	}
	t->m_axi_bvalid = !bq_.empty() && bq_.front().at <= cycle_;
	t->m_axi_bresp = bq_.empty() ? 0 : bq_.front().resp;
	t->m_axi_bid = 0;

	for (unsigned p = 0; p < PORTS; p++) {
		bool v = !rx_[p].empty();

		set_bit(t->s_axis_rx_tvalid, p, v);
		set_bit(t->s_axis_rx_tlast, p, false);
		set_bit(t->s_axis_rx_tuser, p, false);
		if (v) {
			const std::vector<uint8_t> &f = rx_[p].front();
			size_t n = std::min<size_t>(64, f.size() - rx_off_[p]);

			for (unsigned j = 0; j < 64; j++) {
				set_byte(t->s_axis_rx_tdata, p * 64 + j, j < n ? f[rx_off_[p] + j] : 0);
				set_bit(t->s_axis_rx_tkeep, p * 64 + j, j < n);
			}
			set_bit(t->s_axis_rx_tlast, p, rx_off_[p] + n >= f.size());
		}
		set_bit(t->m_axis_tx_tready, p, !st(rng_));
	}

	t->s_axil_awvalid = l_ == L_WRITE && !l_req_done_;
	t->s_axil_wvalid = l_ == L_WRITE && !l_req_done_;
	t->s_axil_awaddr = (uint16_t)l_addr_;
	t->s_axil_wdata = l_wdata_;
	t->s_axil_wstrb = 0xf;
	t->s_axil_awprot = 0;
	t->s_axil_bready = l_ == L_WRITE;
	t->s_axil_arvalid = l_ == L_READ && !l_req_done_;
	t->s_axil_araddr = (uint16_t)l_addr_;
	t->s_axil_arprot = 0;
	t->s_axil_rready = l_ == L_READ;
	t->eval();
}

void RtlCard::sample()
{
	Vctnic_card *t = top_.get();
	std::uniform_int_distribution<unsigned> lat(0, max_lat_);

	/* progress: a handshake, or a response still on its way (latency); a
	 * master that holds rready low (the command engine waiting for event
	 * room) is quiet */
	moved_ = (t->m_axi_arvalid && ar_rdy_) || (t->m_axi_awvalid && aw_rdy_) || (t->m_axi_wvalid && w_rdy_) ||
		 (t->m_axi_rvalid && t->m_axi_rready) || (t->m_axi_bvalid && t->m_axi_bready) ||
		 (!rq_.empty() && rq_.front().at > cycle_) || (!bq_.empty() && bq_.front().at > cycle_);
	if (t->m_axi_arvalid && ar_rdy_) {
		Rd r = { t->m_axi_araddr, (unsigned)t->m_axi_arlen + 1, cycle_ + 1 + lat(rng_) };

		if (r.addr % 64 || t->m_axi_arsize != 6 || t->m_axi_arburst != 1)
			violations.push_back("AR not whole aligned 64-byte INCR beats");
		if ((r.addr & 4095) + 64ull * r.beats > 4096)
			violations.push_back("read burst crosses 4 KiB");
		rq_.push_back(r);
	}
	if (t->m_axi_rvalid && t->m_axi_rready) {
		if (++r_beat_ == rq_.front().beats) {
			rq_.pop_front();
			r_beat_ = 0;
		}
	}
	if (t->m_axi_wvalid && w_rdy_) {
		Wr &w = wq_.front();
		uint64_t a = w.addr + 64ull * w_beat_;

		if (in_mem(a)) {
			for (unsigned j = 0; j < 64; j++)
				if (get_bit(t->m_axi_wstrb, j))
					mem_[a - MEM_BASE + j] = get_byte(t->m_axi_wdata, j);
		} else {
			w.err = true;
		}
		bool last = ++w_beat_ == w.beats;

		if (last != (bool)t->m_axi_wlast)
			violations.push_back("WLAST not on the burst's last beat");
		if (last) {
			bq_.push_back(B{ cycle_ + 1 + lat(rng_), w.err ? 3u : 0u });
			wq_.pop_front();
			w_beat_ = 0;
		}
	}
	if (t->m_axi_awvalid && aw_rdy_) {
		Wr w = { t->m_axi_awaddr, (unsigned)t->m_axi_awlen + 1, false };

		if (w.addr % 64 || t->m_axi_awsize != 6 || t->m_axi_awburst != 1)
			violations.push_back("AW not whole aligned 64-byte INCR beats");
		if ((w.addr & 4095) + 64ull * w.beats > 4096)
			violations.push_back("write burst crosses 4 KiB");
		wq_.push_back(w);
	}
	if (t->m_axi_bvalid && t->m_axi_bready)
		bq_.pop_front();

	for (unsigned p = 0; p < PORTS; p++) {
		if (get_bit(t->m_axis_tx_tvalid, p)) {
			moved_ = true;
			if (get_bit(t->m_axis_tx_tready, p)) {
				for (unsigned j = 0; j < 64; j++)
					if (get_bit(t->m_axis_tx_tkeep, p * 64 + j))
						tx_cur_[p].push_back(get_byte(t->m_axis_tx_tdata, p * 64 + j));
				if (get_bit(t->m_axis_tx_tlast, p)) {
					tx.emplace_back(p, tx_cur_[p]);
					tx_cur_[p].clear();
				}
			}
		}
		if (!rx_[p].empty()) {
			moved_ = true;
			if (get_bit(t->s_axis_rx_tready, p)) {
				rx_off_[p] += 64;
				if (rx_off_[p] >= rx_[p].front().size()) {
					rx_[p].pop_front();
					rx_off_[p] = 0;
				}
			}
		}
	}

	if (l_ == L_WRITE) {
		if (t->s_axil_awvalid && t->s_axil_awready)
			l_req_done_ = true;
		if (t->s_axil_bvalid)
			l_done_ = true;
	} else if (l_ == L_READ) {
		if (t->s_axil_arvalid && t->s_axil_arready)
			l_req_done_ = true;
		if (t->s_axil_rvalid) {
			l_rdata_ = t->s_axil_rdata;
			l_done_ = true;
		}
	}
}

void RtlCard::step()
{
	drive();
	sample();
	top_->clk = 1;
	top_->eval();
	top_->clk = 0;
	top_->eval();
	cycle_++;
	uint8_t irq = top_->irq;

	for (unsigned i = 0; i < CTNIC_RINGS; i++) {
		uint64_t one = 1;

		if ((irq & ~irq_prev_) >> i & 1u)
			if (write(efd_[i], &one, sizeof(one)) < 0)
				violations.push_back("eventfd write failed");
	}
	irq_prev_ = irq;
}

void RtlCard::run_quiet(unsigned quiet, uint64_t max)
{
	unsigned q = 0;
	uint64_t i;

	for (i = 0; i < max && q < quiet; i++) {
		step();
		q = moved_ ? 0 : q + 1;
		if (moved_)
			last_moved_ = cycle_;
	}
	if (q < quiet) {
		char b[256];

		std::snprintf(b, sizeof(b), "card never quiet: arvalid %d awvalid %d wvalid %d rq %zu wq %zu bq %zu rvalid %d rready %d bready %d txvalid %d rx %zu/%zu",
			      top_->m_axi_arvalid, top_->m_axi_awvalid, top_->m_axi_wvalid, rq_.size(), wq_.size(),
			      bq_.size(), top_->m_axi_rvalid, top_->m_axi_rready, top_->m_axi_bready, (int)top_->m_axis_tx_tvalid,
			      rx_[0].size(), rx_[1].size());
		violations.push_back(b);
		if (getenv("DMA_TEST_DEBUG"))
			std::fprintf(stderr, "%s\n", b);
	}
}

void RtlCard::port_rx(unsigned p, const std::vector<uint8_t> &f)
{
	rx_[p].push_back(f);
	run_quiet();
}

uint32_t RtlCard::csr_read(uint32_t off)
{
	l_ = L_READ;
	l_addr_ = off;
	l_done_ = l_req_done_ = false;
	for (int i = 0; i < 1000 && !l_done_; i++)
		step();
	if (!l_done_)
		violations.push_back("BAR0 read timed out");
	l_ = L_IDLE;
	step();
	return l_rdata_;
}

void RtlCard::csr_write(uint32_t off, uint32_t val, bool settle)
{
	l_ = L_WRITE;
	l_addr_ = off;
	l_wdata_ = val;
	l_done_ = l_req_done_ = false;
	for (int i = 0; i < 1000 && !l_done_; i++)
		step();
	if (!l_done_)
		violations.push_back("BAR0 write timed out");
	l_ = L_IDLE;
	step();
	if (settle)
		run_quiet();
}
