/*
 * card.h - the verilated ctnic_top with its shell around it: the clock, an
 * AXI4-Lite master for BAR0, pcap-fed MAC receivers on the network ports and
 * collectors on the transmit and host streams. One Card::step() is one
 * clock cycle; nothing here depends on wall time, so the same inputs give
 * the same outputs.
 */
#ifndef CTNIC_SIM_CARD_H
#define CTNIC_SIM_CARD_H

#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "Vctnic_top.h"
#include "host_ram.h"

class VerilatedContext;
class VerilatedVcdC;

/* A frame as it crossed a stream, and the cycle its last beat did. */
struct Frame {
	std::vector<uint8_t> data;
	uint8_t desc[16]; /* host stream only: the punt descriptor (tuser of the first beat) */
	uint64_t cycle;
};

/* Network ports of the model, from the width of its RX tdata (512 bits each). */
constexpr unsigned CARD_PORTS = sizeof(decltype(Vctnic_top::s_axis_rx_tdata)) / 64;
constexpr unsigned CARD_BEAT = 64; /* bytes per 512-bit beat */

class Card {
public:
	/* sink(port, frame): port < CARD_PORTS for a network port, CARD_PORTS for the host. */
	using Sink = std::function<void(unsigned port, const Frame &)>;

	Card(Sink sink, const char *vcd_path);
	~Card();
	Card(const Card &) = delete;
	Card &operator=(const Card &) = delete;

	/* Queues a frame to be received on port (fed once rx_enable is 1). */
	void queue_rx(unsigned port, std::vector<uint8_t> frame);
	/* irq(i) is called on each rising edge of bit i of the card's interrupt output (if it has one). */
	void set_irq_sink(std::function<void(unsigned)> irq) { irq_sink_ = std::move(irq); }
	/* The host RAM the card's AXI4 master reaches (device address = offset). */
	void set_host_mem(void *base, size_t size)
	{
		ram_.mem = static_cast<uint8_t *>(base);
		ram_.size = size;
	}
	/* Minimum cycles from one frame's first beat to the next on a port. */
	void set_pace(uint64_t cycles) { pace_ = cycles; }
	/*
	 * Writes one line "<cycles> <tx|punt|dma>" per pause the card ends by
	 * itself (no BAR0 access, no RX beat ends it): how long the card goes
	 * without moving while it still has work (docs/simulator.md).
	 */
	void set_pause_log(FILE *f) { pause_log_ = f; }

	/* BAR0 accesses; each runs clock cycles until the response. false: no response in time. */
	bool csr_read(uint32_t off, uint32_t *val, uint32_t *resp);
	bool csr_write(uint32_t off, uint32_t val, uint32_t *resp);

	/* One clock cycle. */
	void step();
	/*
	 * Holds rst high for the power-on reset's cycles (the RTL back to its
	 * reset values) and drops any half-done AXI4-Lite access and frame; queued
	 * input frames and host RAM stay. cycle() restarts at 0.
	 */
	void reset();
	/* Frames are waiting to go in (and may: rx_enable is 1), or something moved lately. */
	bool busy() const;
	uint64_t cycle() const { return cycle_; }
	/* Clock cycles since power-on (not restarted by reset()). */
	uint64_t clocks() const { return halves_ / 2; }
	/* clocks() at the last cycle the card's AXI4 master moved host RAM (0: never). */
	uint64_t last_dma() const { return last_dma_; }
	/* Writes of TICK_PERIOD and resets so far: after one, TICK_PERIOD may have changed. */
	uint64_t tick_period_changes() const { return tick_period_changes_; }
	size_t rx_left() const;
	/* Frames waiting on one port's MAC input (the one being fed included). */
	size_t rx_left(unsigned port) const { return port < CARD_PORTS ? rx_[port].q.size() : 0; }
	bool rx_enable() const { return top_->rx_enable; }

private:
	struct RxPort {
		std::deque<std::vector<uint8_t>> q;
		size_t off = 0;         /* bytes of q.front() already accepted */
		bool active = false;    /* inside a frame */
		uint64_t last_start = 0;
		bool started_any = false;
	};
	struct Collector {
		std::vector<uint8_t> data;
		uint8_t desc[16];
		bool in_frame = false;
	};

	void drive_rx(unsigned p);
	void drive_axil();
	void sample();
	void collect(unsigned port, Collector &c, bool last);
	void half(int clk);

	std::unique_ptr<VerilatedContext> ctx_;
	std::unique_ptr<Vctnic_top> top_;
	VerilatedVcdC *vcd_ = nullptr;
	Sink sink_;
	std::function<void(unsigned)> irq_sink_;
	host_ram::State ram_;
	uint64_t irq_prev_ = 0;
	uint64_t cycle_ = 0;
	uint64_t halves_ = 0; /* half cycles since power-on, the VCD's time */
	uint64_t pace_ = 0;
	uint64_t quiet_ = 0; /* cycles left before the pipeline counts as drained */
	uint64_t tick_period_changes_ = 0;
	FILE *pause_log_ = nullptr;
	uint64_t last_move_ = 0; /* in cycles since power-on */
	uint64_t last_dma_ = 0;  /* likewise */
	bool moved_once_ = false, kicked_ = false;
	RxPort rx_[CARD_PORTS];
	bool rx_fire_[CARD_PORTS] = {};
	Collector tx_[CARD_PORTS];
	Collector host_;

	/* The AXI4-Lite master's one outstanding access. */
	enum class Axil { IDLE, WRITE, READ } axil_ = Axil::IDLE;
	bool aw_done_ = false, w_done_ = false, ar_done_ = false;
	bool axil_fin_ = false;
	uint32_t axil_addr_ = 0, axil_wdata_ = 0, axil_rdata_ = 0, axil_resp_ = 0;
	bool run_axil(uint32_t *resp);
};

#endif /* CTNIC_SIM_CARD_H */
