/*
 * tb.h - the RTL test bench: the verilated card (hw/ctnic_top.v) and the
 * reference model (sim/model) driven with the same inputs, every output
 * frame compared with the model's as it leaves.
 *
 * Frames go into per-source queues (network ports, host inject); the bench
 * presents them beat by beat with random gaps, holds every output's tready
 * low at random, and feeds each frame to the model at the clock its last
 * beat is accepted: the card's ingress takes one frame at a time, so that
 * order is the order the card decides in. Every output (TX port, host) is
 * in that order too, so each frame that leaves is compared with the head of
 * that output's expected queue.
 */
#ifndef CTNIC_TEST_TB_H
#define CTNIC_TEST_TB_H

#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

extern "C" {
#include "ctnic_model.h"
}

class Vctnic_top;
class VerilatedContext;
class VerilatedVcdC;

/* One frame that left the card (or the model's prediction of it). */
struct OutFrame {
	int where;             /* TX port, or -1: the host */
	std::vector<uint8_t> data;
	uint8_t desc[16];      /* host: the punt descriptor */
};

/* An expiry of the aging scanner (docs/hardware.md, "Aging"). */
struct Expiry {
	uint32_t flow;
	uint32_t tick;
	uint32_t words[CTNIC_FLOW_WORDS];
	bool operator<(const Expiry &o) const { return flow < o.flow; }
};

/* The model's decision on one frame, in decision order. */
struct Decision {
	ctnic_model_verdict verdict;
	unsigned port;
	unsigned drop_reason;
	unsigned punt_reason;
};

class Tb {
public:
	explicit Tb(uint64_t seed, const char *vcd = nullptr);
	~Tb();
	Tb(const Tb &) = delete;
	Tb &operator=(const Tb &) = delete;

	/* Traffic shaping: chance an idle input waits a clock, an output stalls a clock. */
	double in_gap = 0.0;
	double out_stall = 0.0;

	unsigned ports() const { return ports_; }
	struct ctnic_model *model() { return model_; }
	std::mt19937_64 &rng() { return rng_; }
	uint64_t cycles() const { return cycle_; }

	/* BAR0 of the card alone, of the model alone, and of both. */
	uint32_t rtl_read(uint32_t off);
	void rtl_write(uint32_t off, uint32_t v);
	void write_both(uint32_t off, uint32_t v);

	/* A table operation on both; returns false (and records an error) when they disagree. */
	bool tbl_op(unsigned op, uint32_t index, const uint32_t *w, unsigned nw);
	bool key_write(uint32_t slot, const ctnic_key_entry &e);
	bool flow_write(uint32_t id, const ctnic_flow &f);
	bool nh_write(uint32_t i, const ctnic_nexthop &n);

	/* Queues a frame on network port `port` (bad: MAC tuser), or on the host inject stream. */
	void send_rx(unsigned port, const std::vector<uint8_t> &f, bool bad = false);
	void send_inject(uint8_t tuser, const std::vector<uint8_t> &f);

	/* Runs until every queued frame has been decided and every expected frame has left. */
	bool drain(uint64_t max_cycles = 2000000);

	/* Clocks the card (inputs and outputs keep moving). */
	void step();

	/* Every BAR0 counter of the card equal to the model's. */
	bool compare_counters();
	/* Flow records [0, n) of the card equal to the model's. */
	bool compare_flows(uint32_t n);

	/*
	 * Aging (docs/model.md, "quiet points"): the card's expiry stream is
	 * taken while x_ready (random stalls with x_stall) and kept in
	 * `expiries`. aging_quiet() waits (the card idle) until AGING_PASSES has
	 * advanced by two, makes one whole pass of the model, and requires the
	 * same expiries as a set and the same AGING_EXPIRED; the expiries are
	 * then moved to `expired`. False (and errors) when they differ or the
	 * scanner did not finish two passes within max_cycles.
	 */
	bool x_ready = true;
	/*
	 * false: the model still predicts every frame (into `predicted`, in
	 * decision order, where -2 = dropped) but outputs are only recorded, not
	 * compared (a test that checks a race the model cannot time itself).
	 */
	bool model_check = true;
	std::vector<OutFrame> predicted;
	double x_stall = 0.0;
	std::vector<Expiry> expiries;
	std::vector<Expiry> expired;
	bool aging_quiet(uint64_t max_cycles = 4000000);

	/* What happened, in order. */
	std::vector<Decision> decisions;
	std::vector<OutFrame> outputs;
	/* Mismatches and protocol errors, as text; empty when all agreed. */
	std::vector<std::string> errors;
	uint64_t frames_in = 0;
	uint64_t frames_out = 0;

	/* Per-frame latency: clocks from the first beat accepted to the first beat out. */
	std::vector<uint64_t> latencies;

private:
	struct Src {
		std::deque<std::vector<uint8_t>> q;
		std::deque<uint8_t> user; /* bad flag, or inject tuser */
		size_t off = 0;
		bool presenting = false;
	};
	struct Sink {
		std::deque<OutFrame> expect;
		OutFrame cur;
		bool busy = false;
	};
	struct Axil {
		bool active = false, write = false;
		bool aw_done = false, w_done = false, a_done = false;
		uint32_t addr = 0, data = 0;
		bool done = false;
		uint32_t rdata = 0;
	};

	void drive();
	void sample();
	void accepted(unsigned src);
	void finish(int where, Sink &s);
	void error(const std::string &e);
	void axil_run();

	std::unique_ptr<VerilatedContext> ctx_;
	std::unique_ptr<Vctnic_top> top_;
	std::unique_ptr<VerilatedVcdC> vcd_;
	struct ctnic_model *model_ = nullptr;
	std::mt19937_64 rng_;
	std::uniform_real_distribution<double> uni_{0.0, 1.0};
	unsigned ports_ = 0;
	uint64_t cycle_ = 0;
	std::vector<Src> src_;
	std::vector<Sink> sink_; /* ports, then the host */
	Axil axil_;
	std::deque<uint64_t> sop_cycles_; /* first-beat clocks of frames decided, in order */
	std::vector<std::deque<uint64_t>> lat_q_; /* per sink: first-beat clock of expected frames */
	std::vector<uint64_t> src_sop_;
};

#endif /* CTNIC_TEST_TB_H */
