/*
 * card.h - hw/ctnic_card.v verilated, with a host-memory model on its AXI4
 * master, behind libctnic as a backend of its own ("rtl:"), so the same
 * host code (driver/src/ring*.c) drives it and the model: backend.
 *
 * Host memory: MEM_BYTES at device address MEM_BASE (above 4 GiB, as the
 * model: backend's), DECERR outside. The slave takes AR and AW with random
 * back-pressure, answers reads in order after a random latency with random
 * gaps, and BRESP after a random delay (all from the seed, 0 = none). It
 * checks the DMA rules of docs/rings.md as it goes: aligned whole beats,
 * no burst across 4 KiB. Every BAR0 write runs the card until it has been
 * quiet for QUIET clocks (as the model: backend runs a ring to its doorbell
 * before the write returns). Interrupt edges become eventfd wake-ups.
 */
#ifndef CTNIC_TEST_DMA_CARD_H
#define CTNIC_TEST_DMA_CARD_H

#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

extern "C" {
#include "backend.h"
#include "ctnic_ring.h"
}

class Vctnic_card;
class VerilatedContext;

class RtlCard {
public:
	static constexpr uint64_t MEM_BASE = 0x100000000ull;
	static constexpr size_t MEM_BYTES = 4u << 20;
	static constexpr unsigned PORTS = 2;

	RtlCard(uint64_t seed, double stall, unsigned max_latency);
	~RtlCard();
	RtlCard(const RtlCard &) = delete;
	RtlCard &operator=(const RtlCard &) = delete;

	struct ctnic_dev *dev() { return &dev_; }
	uint8_t *mem() { return mem_; }
	uint64_t cycles() const { return cycle_; }
	/* The last clock in which anything moved. */
	uint64_t last_moved() const { return last_moved_; }

	/* One clock. */
	void step();
	/* Clocks until nothing has moved for `quiet` clocks (or `max` clocks). */
	void run_quiet(unsigned quiet = 200, uint64_t max = 200000);
	/* A frame into network port p (runs until quiet). */
	void port_rx(unsigned p, const std::vector<uint8_t> &f);
	/* A frame queued on network port p; it enters as the clock runs (step). */
	void queue_rx(unsigned p, const std::vector<uint8_t> &f) { rx_[p].push_back(f); }
	/* Frames the card sent out of its ports: (port, bytes). */
	std::vector<std::pair<unsigned, std::vector<uint8_t>>> tx;

	uint32_t csr_read(uint32_t off);
	void csr_write(uint32_t off, uint32_t val, bool settle = true);
	uint8_t irq() const;

	/* DMA rule violations seen (empty: none). */
	std::vector<std::string> violations;

private:
	struct Rd {
		uint64_t addr;
		unsigned beats;
		uint64_t at;
	};
	struct Wr {
		uint64_t addr;
		unsigned beats;
		bool err;
	};
	struct B {
		uint64_t at;
		unsigned resp;
	};

	void drive();
	void sample();
	bool in_mem(uint64_t addr) const;

	std::unique_ptr<VerilatedContext> ctx_;
	std::unique_ptr<Vctnic_card> top_;
	struct ctnic_dev dev_;
	uint8_t *mem_;   /* page aligned, as a DMA pool wants */
	std::mt19937_64 rng_;
	double stall_;
	unsigned max_lat_;
	uint64_t cycle_ = 0;
	bool moved_ = false;
	uint64_t last_moved_ = 0;

	std::deque<Rd> rq_;
	std::deque<Wr> wq_;
	std::deque<B> bq_;
	unsigned w_beat_ = 0;
	unsigned r_beat_ = 0;
	bool r_gap_ = false, ar_rdy_ = false, aw_rdy_ = false, w_rdy_ = false;

	std::deque<std::vector<uint8_t>> rx_[PORTS];
	size_t rx_off_[PORTS] = {};
	std::vector<uint8_t> tx_cur_[PORTS];

	/* AXI4-Lite access in progress */
	enum { L_IDLE, L_WRITE, L_READ } l_ = L_IDLE;
	uint32_t l_addr_ = 0, l_wdata_ = 0, l_rdata_ = 0;
	bool l_done_ = false, l_req_done_ = false;

	uint8_t irq_prev_ = 0;
	int efd_[CTNIC_RINGS];

	friend int rtl_irq_fd(struct ctnic_dev *, unsigned, int *);
};

#endif /* CTNIC_TEST_DMA_CARD_H */
