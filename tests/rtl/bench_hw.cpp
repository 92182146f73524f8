/*
 * bench_hw - the card's packet rate and latency, measured on the RTL.
 *
 * The flow table (the card's own parameters, from CAP_*) is filled to at
 * least 90% of its key slots with random connections, placed cuckoo-style.
 * Then frames of those flows (hits, forwarded) arrive back to back on every
 * network port, and every output is always ready. Every frame is still
 * checked against the reference model: a mismatch fails the run.
 *
 * Prints, one per line:
 *   hw_pkt_per_clk_64B      frames out per clock, 64-byte frames (steady state)
 *   hw_pkt_per_clk_imix     the same with IMIX sizes (64:576:1500 as 7:4:1)
 *   hw_latency_clk_min|median|max
 *                           64-byte hits: clocks from the first beat taken
 *                           on a port to the first beat out of its egress
 *
 *   bench_hw [--seed N] [--frames N] [--fill PERCENT]
 */
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "flows.h"
#include "tb.h"

namespace {

struct Rate {
	double pkt_per_clk;
	std::vector<uint64_t> lat;
};

/* Fills the table to `fill` percent of its key slots; returns the connections. */
std::vector<Conn> fill_table(Tb &tb, Table &t, unsigned fill)
{
	std::mt19937_64 &r = tb.rng();
	unsigned flows = ctnic_model_csr_read(tb.model(), CTNIC_REG_CAP_FLOWS);
	unsigned want = (unsigned)((uint64_t)t.slots() * fill / 100);
	std::vector<Conn> conns;

	for (unsigned i = 0; i < tb.ports() && i < 256; i++)
		tb.nh_write(i, nexthop((uint8_t)i, true, (uint8_t)i));
	for (uint32_t fid = 0; fid < flows && t.filled() + 2 <= want + 1; fid++) {
		ctnic_key k{(uint32_t)(0x0a000000 | (r() & 0xffffff)), (uint32_t)(0xc0000000 | (r() & 0xffffff)),
			    (uint16_t)(1024 + r() % 60000), (uint16_t)(1 + r() % 60000), 6};
		Conn c = make_conn(k, k.saddr, 0xac100000 | (uint32_t)(r() & 0xffff), k.sport, 8080,
				   (uint8_t)(r() % tb.ports()), (uint8_t)(r() % tb.ports()), true);
		c.fid = fid;
		ctnic_key_entry e0{true, false, fid, c.key[0]}, e1{true, true, fid, c.key[1]};
		if (!t.insert(e0, r))
			break;
		if (!t.insert(e1, r))
			break; /* e0 stays: a half connection is still a valid key for the bench */
		ctnic_flow f{};
		f.dir[0] = c.out[0];
		f.dir[1] = c.out[1];
		f.valid = true;
		tb.flow_write(fid, f);
		conns.push_back(c);
	}
	t.write_all(tb);
	return conns;
}

Rate run(Tb &tb, const std::vector<Conn> &conns, uint64_t frames, bool imix, double gap)
{
	std::mt19937_64 &r = tb.rng();
	static const size_t mix[12] = {64, 64, 64, 64, 64, 64, 64, 576, 576, 576, 576, 1500};
	unsigned P = tb.ports();
	Rate out{};

	tb.latencies.clear();
	tb.in_gap = gap;
	for (uint64_t i = 0; i < frames; i++) {
		const Conn &c = conns[r() % conns.size()];
		PktSpec s = spec_of(c, 0);
		size_t size = imix ? mix[r() % 12] : 64;
		s.seed = (uint32_t)i;
		s.payload = size - 14 - 20 - 20;
		s.pad_to = size;
		tb.send_rx((unsigned)(i % P), pkt_build(s));
	}
	/* steady state: from 10% to 90% of the frames out */
	uint64_t base = tb.frames_out, c0 = 0, n0 = 0, c1 = 0, n1 = 0;
	while (tb.frames_out - base < frames * 9 / 10) {
		tb.step();
		if (!c0 && tb.frames_out - base >= frames / 10) {
			c0 = tb.cycles();
			n0 = tb.frames_out;
		}
		if (!tb.errors.empty())
			break;
	}
	c1 = tb.cycles();
	n1 = tb.frames_out;
	tb.drain();
	out.pkt_per_clk = c1 > c0 ? (double)(n1 - n0) / (double)(c1 - c0) : 0.0;
	out.lat = tb.latencies;
	return out;
}

} // namespace

int main(int argc, char **argv)
{
	uint64_t seed = 1;
	uint64_t frames = 20000;
	unsigned fill = 92;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], nullptr, 0);
		else if (!strcmp(argv[i], "--frames") && i + 1 < argc)
			frames = strtoull(argv[++i], nullptr, 0);
		else if (!strcmp(argv[i], "--fill") && i + 1 < argc)
			fill = (unsigned)strtoul(argv[++i], nullptr, 0);
		else {
			fprintf(stderr, "usage: %s [--seed N] [--frames N] [--fill PERCENT]\n", argv[0]);
			return 2;
		}
	}
	Tb tb(seed);
	Table t(tb);
	std::vector<Conn> conns = fill_table(tb, t, fill);

	if (conns.empty() || !tb.errors.empty()) {
		fprintf(stderr, "bench_hw: could not fill the table\n");
		return 1;
	}
	printf("# seed %llu; %u ports; table %u of %u key slots (%.1f%%), %zu connections\n",
	       (unsigned long long)seed, tb.ports(), t.filled(), t.slots(), 100.0 * t.filled() / t.slots(),
	       conns.size());

	/* Rates: every port back to back. Latency: each port offers 1/PORTS
	 * frames per clock, together the pipeline's one per clock, so what is
	 * measured is the pipeline and not a queue the ports overfill. */
	Rate small = run(tb, conns, frames, false, 0.0);
	Rate imix = run(tb, conns, frames / 2, true, 0.0);
	Rate lat = run(tb, conns, frames / 2, false, 1.0 - 1.0 / tb.ports());
	if (!tb.errors.empty() || lat.lat.empty()) {
		for (const auto &e : tb.errors)
			fprintf(stderr, "bench_hw: %s\n", e.c_str());
		fprintf(stderr, "bench_hw: the card disagreed with the model; no figures\n");
		return 1;
	}
	std::sort(small.lat.begin(), small.lat.end());
	std::sort(lat.lat.begin(), lat.lat.end());
	printf("# latency with every port back to back (queueing included): min %llu median %llu max %llu\n",
	       (unsigned long long)small.lat.front(), (unsigned long long)small.lat[small.lat.size() / 2],
	       (unsigned long long)small.lat.back());
	printf("hw_pkt_per_clk_64B: %.3f\n", small.pkt_per_clk);
	printf("hw_pkt_per_clk_imix: %.3f\n", imix.pkt_per_clk);
	printf("hw_latency_clk_min: %llu\n", (unsigned long long)lat.lat.front());
	printf("hw_latency_clk_median: %llu\n", (unsigned long long)lat.lat[lat.lat.size() / 2]);
	printf("hw_latency_clk_max: %llu\n", (unsigned long long)lat.lat.back());
	return 0;
}
