/*
 * aging.cpp - the aging scanner of the RTL (docs/hardware.md, "Aging")
 * against the model and against the rule itself:
 *
 *   - per class, a flow expires at its timeout and not one tick earlier
 *     (last-seen written by software and by a hit); a class with timeout 0
 *     never expires; expiries that wait for x_ready are not lost;
 *   - a timeout change applies to every flow of the class at once;
 *   - the expiry carries the generation, and a reused flow id (keys deleted,
 *     record rewritten with a new generation) lives on;
 *   - frames racing a retirement (tick running, random gaps) are forwarded
 *     with their translation before it or missed after it, never after.
 *
 * Expiries are compared with the model at quiet points (Tb::aging_quiet).
 */
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "aging.h"
#include "flows.h"
#include "pkt.h"
#include "tb.h"

namespace {

const char *vcd;
AgingTap tapf;

/* A TCP connection number n, translated (DNAT) so frames are rewritten. */
Conn conn(unsigned n, uint32_t fid)
{
	uint32_t cl = 0x0a010000u + n, vip = 0xc0000200u + (n & 0xff);
	Conn c = make_conn(ctnic_key{cl, vip, (uint16_t)(20000 + n), 80, 6}, cl, 0xac110000u + n,
			   (uint16_t)(20000 + n), 8080, 0, 0, true);

	c.fid = fid;
	return c;
}

ctnic_flow record_of(const Conn &c, uint8_t tclass, uint16_t gen, uint32_t last_seen)
{
	ctnic_flow f{};

	f.dir[0] = c.out[0];
	f.dir[1] = c.out[1];
	f.valid = true;
	f.tclass = tclass;
	f.generation = gen;
	f.last_seen = last_seen;
	return f;
}

void setup(Tb &tb)
{
	tb.nh_write(0, nexthop(0, true, 0x10));
	tb.write_both(CTNIC_REG_TICK_PERIOD, 0);
	tb.write_both(CTNIC_REG_TICK_ADVANCE, 100000);
}

uint32_t tick_of(Tb &tb)
{
	return (uint32_t)ctnic_model_tick(tb.model());
}

/* The flows retired since `from` in tb.expired, as a sorted list of ids. */
std::vector<uint32_t> ids(const Tb &tb, size_t from)
{
	std::vector<uint32_t> v;

	for (size_t i = from; i < tb.expired.size(); i++)
		v.push_back(tb.expired[i].flow);
	std::sort(v.begin(), v.end());
	return v;
}

std::string list(const std::vector<uint32_t> &v)
{
	std::string s;

	for (uint32_t x : v)
		s += (s.empty() ? "" : " ") + std::to_string(x);
	return "[" + s + "]";
}

bool expect_ids(Tb &tb, size_t from, std::vector<uint32_t> want, const char *when, std::vector<std::string> &why)
{
	std::vector<uint32_t> got = ids(tb, from);

	std::sort(want.begin(), want.end());
	if (got == want)
		return true;
	why.push_back(std::string(when) + ": retired " + list(got) + ", expected " + list(want));
	return false;
}

bool quiet(Tb &tb, std::vector<std::string> &why)
{
	bool ok = tb.aging_quiet();

	why.insert(why.end(), tb.errors.begin(), tb.errors.end());
	tb.errors.clear();
	return ok;
}

/* A quiet point (equal to the model) that must retire exactly `want`. */
bool retires(Tb &tb, std::vector<uint32_t> want, const char *when, std::vector<std::string> &why)
{
	size_t from = tb.expired.size();
	bool ok = quiet(tb, why);

	return expect_ids(tb, from, std::move(want), when, why) && ok;
}

/* One frame of c, direction d; the card's and the model's outputs are compared by the bench. */
void send(Tb &tb, const Conn &c, int d, uint32_t seed)
{
	PktSpec s = spec_of(c, d);

	s.seed = seed;
	tb.send_rx(0, pkt_build(s));
}

bool settle(Tb &tb, std::vector<std::string> &why, uint32_t flows)
{
	bool ok = tb.drain();

	ok &= tb.compare_counters();
	ok &= tb.compare_flows(flows);
	why.insert(why.end(), tb.errors.begin(), tb.errors.end());
	return ok && tb.errors.empty();
}

/* ---- per class ------------------------------------------------------------- */

void t_per_class(uint64_t seed)
{
	Tb tb(seed, vcd);
	Table t(tb);
	std::vector<std::string> why;
	std::vector<Conn> a, b;
	uint32_t T[16];
	bool ok = true;

	setup(tb);
	tb.x_stall = 0.5; /* the event side takes expiries only now and then */
	uint32_t now = tick_of(tb), X = now + 50000;
	for (unsigned c = 0; c < 16; c++) {
		T[c] = c == 15 ? 0 : 1000 + 97 * c;
		tb.write_both(CTNIC_REG_AGING_TIMEOUT(c), T[c]);
	}
	/* A_c is exactly T_c idle at tick X, B_c one tick less; class 15 (timeout 0) never */
	for (unsigned c = 0; c < 16; c++) {
		a.push_back(conn(2 * c, 16 + 2 * c));
		b.push_back(conn(2 * c + 1, 17 + 2 * c));
		ok &= install(tb, t, a.back(), (uint8_t)c) && install(tb, t, b.back(), (uint8_t)c);
		uint32_t age = c == 15 ? 40000 : T[c];
		tb.flow_write(a.back().fid, record_of(a.back(), (uint8_t)c, (uint16_t)(100 + c), X - age));
		tb.flow_write(b.back().fid, record_of(b.back(), (uint8_t)c, (uint16_t)(200 + c), X - age + 1));
	}
	tb.write_both(CTNIC_REG_TICK_ADVANCE, X - now);
	tb.write_both(CTNIC_REG_AGING_CTRL, CTNIC_AGING_CTRL_ENABLE_MASK);

	std::vector<uint32_t> want;
	for (unsigned c = 0; c < 15; c++)
		want.push_back(a[c].fid);
	size_t from = tb.expired.size();
	ok &= retires(tb, want, "at tick last-seen + timeout (A flows) and one tick before it (B flows)", why);
	for (size_t i = from; i < tb.expired.size(); i++) {
		const Expiry &x = tb.expired[i];
		unsigned c = (x.words[8] >> 4) & 15;
		if (x.tick - x.words[9] != T[c] || (x.words[8] >> 16) != 100 + c || !(x.words[8] & 1)) {
			ok = false;
			why.push_back("expiry of flow " + std::to_string(x.flow) + ": idle " +
				      std::to_string(x.tick - x.words[9]) + ", generation " + std::to_string(x.words[8] >> 16));
		}
	}

	tb.write_both(CTNIC_REG_TICK_ADVANCE, 1);
	want.clear();
	for (unsigned c = 0; c < 15; c++)
		want.push_back(b[c].fid);
	ok &= retires(tb, want, "one tick later (B flows)", why);

	/* a retired flow's packets miss (the model says MISS too); class 15 is still forwarded */
	send(tb, b[0], 0, 1);
	send(tb, a[15], 1, 2);
	send(tb, b[15], 0, 3);

	/* last-seen written by a hit: H (class 1) is seen now and expires T_1 later, not before */
	Conn h = conn(40, 60);
	ok &= install(tb, t, h, 1);
	tb.flow_write(h.fid, record_of(h, 1, 7, tick_of(tb)));
	tb.write_both(CTNIC_REG_TICK_ADVANCE, 10);
	send(tb, h, 0, 4);
	ok &= tb.drain();
	uint32_t seen = tick_of(tb);
	tb.write_both(CTNIC_REG_TICK_ADVANCE, T[1] - 1);
	ok &= retires(tb, {}, "a hit's last-seen + timeout - 1", why);
	tb.write_both(CTNIC_REG_TICK_ADVANCE, 1);
	ok &= retires(tb, {h.fid}, "a hit's last-seen + timeout", why);
	if (!tb.expired.empty() && tb.expired.back().words[9] != seen) {
		ok = false;
		why.push_back("the retired record's last-seen is not the hit's tick");
	}
	ok &= settle(tb, why, 64);
	tapf(ok, "aging: per class (0..14, 15 with timeout 0), a flow expires at last-seen + its timeout and not one tick earlier (last-seen by software and by a hit), expiries held back by x_ready are not lost; equal to the model",
	     why);
}

/* ---- a timeout change ------------------------------------------------------ */

void t_timeout_change(uint64_t seed)
{
	Tb tb(seed + 1, vcd);
	Table t(tb);
	std::vector<std::string> why;
	std::vector<uint32_t> three;
	bool ok = true;

	setup(tb);
	uint32_t now = tick_of(tb);
	tb.write_both(CTNIC_REG_AGING_TIMEOUT(3), 1000);
	tb.write_both(CTNIC_REG_AGING_TIMEOUT(4), 1000);
	for (unsigned i = 0; i < 8; i++) {
		Conn c = conn(i, 8 + i);
		uint8_t cl = i < 4 ? 3 : 4;
		ok &= install(tb, t, c, cl);
		tb.flow_write(c.fid, record_of(c, cl, 1, now - 500 - i));
		if (cl == 3)
			three.push_back(c.fid);
	}
	tb.write_both(CTNIC_REG_AGING_CTRL, CTNIC_AGING_CTRL_ENABLE_MASK);
	ok &= retires(tb, {}, "timeouts 1000, idle about 500", why);
	tb.write_both(CTNIC_REG_AGING_TIMEOUT(3), 500);
	ok &= retires(tb, three, "class 3 lowered to 500", why);
	tb.write_both(CTNIC_REG_AGING_CTRL, 0);
	tb.write_both(CTNIC_REG_AGING_TIMEOUT(4), 1);
	uint32_t e0 = tb.rtl_read(CTNIC_REG_AGING_EXPIRED);
	for (int i = 0; i < 300000; i++)
		tb.step();
	if (tb.rtl_read(CTNIC_REG_AGING_EXPIRED) != e0 || !tb.expiries.empty()) {
		ok = false;
		why.push_back("the scanner retired flows while AGING_CTRL.ENABLE was 0");
	}
	ok &= settle(tb, why, 32);
	tapf(ok, "aging: lowering a class's timeout retires every idle flow of that class at once, no other class; nothing retires while aging is off",
	     why);
}

/* ---- generations and reuse ---------------------------------------------------- */

void t_reuse(uint64_t seed)
{
	Tb tb(seed + 2, vcd);
	Table t(tb);
	std::vector<std::string> why;
	bool ok = true;

	setup(tb);
	uint32_t now = tick_of(tb);
	Conn old = conn(1, 40);
	ok &= install(tb, t, old, 2);
	tb.flow_write(40, record_of(old, 2, 1, now - 100));
	tb.write_both(CTNIC_REG_AGING_TIMEOUT(2), 100);
	tb.write_both(CTNIC_REG_AGING_CTRL, CTNIC_AGING_CTRL_ENABLE_MASK);
	ok &= retires(tb, {40}, "flow 40 generation 1 idle 100", why);
	if (tb.expired.empty() || (tb.expired.back().words[8] >> 16) != 1) {
		ok = false;
		why.push_back("the expiry does not carry generation 1");
	}

	/* software: the old keys go, then flow id 40 is installed anew, generation 2 */
	for (size_t s = 0; s < t.used.size(); s++)
		if (t.used[s] && t.entry[s].flow_id == 40) {
			tb.key_write((uint32_t)s, ctnic_key_entry{});
			t.used[s] = false;
		}
	Conn fresh = conn(2, 40);
	ok &= install(tb, t, fresh, 2);
	tb.flow_write(40, record_of(fresh, 2, 2, tick_of(tb)));
	ok &= retires(tb, {}, "flow 40 reused with generation 2, just seen", why);
	send(tb, fresh, 0, 1); /* forwarded with the new translation */
	send(tb, old, 0, 2);   /* the old connection misses */
	ok &= tb.drain();
	tb.write_both(CTNIC_REG_TICK_ADVANCE, 100);
	ok &= retires(tb, {40}, "flow 40 generation 2 idle 100", why);
	if (tb.expired.empty() || (tb.expired.back().words[8] >> 16) != 2) {
		ok = false;
		why.push_back("the second expiry does not carry generation 2");
	}
	ok &= settle(tb, why, 64);
	tapf(ok, "aging: an expiry carries the record's generation; flow id 40 reused with generation 2 (old keys deleted) lives and forwards, its old connection misses, and it expires later with generation 2",
	     why);
}

/* ---- the race ------------------------------------------------------------------ */

/*
 * The tick runs (one per clock) and one flow's frames come with random gaps
 * around its timeout while the scanner passes. The model predicts every
 * frame as forwarded (it does not age here); the card must forward a prefix
 * of the frames exactly as predicted and punt the rest, unchanged, as MISS,
 * and the expiry (if any) must count exactly the forwarded frames.
 */
void t_race(uint64_t seed)
{
	std::vector<std::string> why;
	bool ok = true;
	unsigned retired_rounds = 0, rounds = 6;

	for (unsigned r = 0; r < rounds; r++) {
		Tb tb(seed + 10 + r, vcd);
		Table t(tb);
		const uint32_t T = 24;
		const unsigned n = 2500;
		char rn[64];

		snprintf(rn, sizeof(rn), "round %u (seed %llu): ", r, (unsigned long long)(seed + 10 + r));
		setup(tb);
		Conn c = conn(3, 5);
		ok &= install(tb, t, c, 6);
		tb.flow_write(5, record_of(c, 6, 9, tick_of(tb)));
		tb.write_both(CTNIC_REG_AGING_TIMEOUT(6), T);
		tb.model_check = false;
		tb.in_gap = 0.955 + 0.005 * (r % 3); /* mean gap about T clocks */
		std::vector<std::vector<uint8_t>> in;
		for (unsigned i = 0; i < n; i++) {
			PktSpec s = spec_of(c, 0);
			s.seed = i + 1;
			in.push_back(pkt_build(s));
			tb.send_rx(0, in.back());
		}
		tb.rtl_write(CTNIC_REG_AGING_CTRL, CTNIC_AGING_CTRL_ENABLE_MASK);
		tb.rtl_write(CTNIC_REG_TICK_PERIOD, 1);
		for (uint64_t k = 0; k < 20000000 && tb.frames_out < n; k++)
			tb.step();
		tb.rtl_write(CTNIC_REG_AGING_CTRL, 0);
		for (int k = 0; k < 200; k++)
			tb.step();
		if (tb.frames_out != n || tb.predicted.size() != n) {
			ok = false;
			why.push_back(std::string(rn) + std::to_string(tb.frames_out) + " of " + std::to_string(n) +
				      " frames left the card");
			continue;
		}
		unsigned fw = 0;
		for (const auto &o : tb.outputs)
			fw += o.where >= 0;
		unsigned fi = 0, mi = fw;
		for (const auto &o : tb.outputs) {
			if (o.where >= 0) {
				if (o.data != tb.predicted[fi].data || o.where != tb.predicted[fi].where) {
					ok = false;
					why.push_back(std::string(rn) + "forwarded frame " + std::to_string(fi) +
						      " is not frame " + std::to_string(fi) + " translated (a forward after a miss?)");
					break;
				}
				fi++;
			} else {
				if (o.data != in[mi] || o.desc[2] != CTNIC_PUNT_MISS || (o.desc[7] & 0x80)) {
					ok = false;
					why.push_back(std::string(rn) + "punted frame " + std::to_string(mi - fw) +
						      " is not frame " + std::to_string(mi) + " as a MISS without flow");
					break;
				}
				mi++;
			}
		}
		if (tb.expiries.size() > 1) {
			ok = false;
			why.push_back(std::string(rn) + "more than one expiry of one flow");
		} else if (tb.expiries.size() == 1) {
			const Expiry &x = tb.expiries[0];
			retired_rounds++;
			if (x.flow != 5 || x.words[10] != fw || x.tick - x.words[9] < T) {
				ok = false;
				why.push_back(std::string(rn) + "the expiry counts " + std::to_string(x.words[10]) +
					      " packets, " + std::to_string(fw) + " were forwarded; idle " +
					      std::to_string(x.tick - x.words[9]));
			}
		} else if (fw != n) {
			ok = false;
			why.push_back(std::string(rn) + "frames missed but no expiry was posted");
		}
		printf("# race %s%u forwarded, %u missed, %zu expiry\n", rn, fw, n - fw, tb.expiries.size());
		why.insert(why.end(), tb.errors.begin(), tb.errors.end());
		ok &= tb.errors.empty();
	}
	if (!retired_rounds) {
		ok = false;
		why.push_back("no round retired the flow while its frames were running: the race was not exercised");
	}
	tapf(ok, "aging: frames racing their flow's retirement (tick running, random gaps) are forwarded translated before it, punted unchanged as MISS after it, never forwarded after; the expiry counts exactly the forwarded frames",
	     why);
}

} // namespace

void rtl_aging_tests(uint64_t seed, AgingTap tap, const char *vcd_path)
{
	vcd = vcd_path;
	tapf = tap;
	t_per_class(seed);
	t_timeout_change(seed);
	t_reuse(seed);
	t_race(seed);
}
