/*
 * test_rtl - the card's RTL against the reference model, frame by frame.
 *
 * Directed cases (each proves one behaviour against hand-written
 * expectations AND the model), then constrained-random traffic: valid flows
 * in both directions, misses, every punt and drop reason, VLAN and not,
 * frame sizes 60..9018, random gaps on every input and random back-pressure
 * on every output. Every frame that leaves is compared with the model's,
 * byte for byte with its port or punt descriptor; then every counter and
 * flow record.
 *
 *   test_rtl [--seed N] [--packets N] [--only NAME] [--vcd FILE]
 *
 * Prints TAP. The seed is printed; --seed replays a run.
 */
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "aging.h"
#include "flows.h"
#include "pkt.h"
#include "tb.h"

namespace {

int tap_n = 0;
int tap_fail = 0;
const char *vcd_path = nullptr;

void tap(bool ok, const std::string &name, const std::vector<std::string> &why)
{
	tap_n++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", tap_n, name.c_str());
	if (!ok) {
		tap_fail++;
		for (const auto &w : why)
			printf("# %s\n", w.c_str());
	}
	fflush(stdout);
}

/* The common end of every case: everything drained, counters and flows equal. */
bool settle(Tb &tb, std::vector<std::string> &why, uint32_t flows = 16)
{
	bool ok = tb.drain();

	ok &= tb.compare_counters();
	ok &= tb.compare_flows(flows);
	why.insert(why.end(), tb.errors.begin(), tb.errors.end());
	return ok && tb.errors.empty();
}

uint64_t counter(Tb &tb, uint32_t off)
{
	uint64_t v = tb.rtl_read(off);

	return v | (uint64_t)tb.rtl_read(off + 4) << 32;
}

/* ---- the standard setup: a DNAT TCP, a SNAT UDP and an ICMP echo connection ---- */

struct World {
	Tb tb;
	Table t;
	Conn dnat, snat, echo;

	explicit World(uint64_t seed) : tb(seed, vcd_path), t(tb)
	{
		/* client 10.0.0.1:40000 -> VIP 192.0.2.10:80, DNAT to server 172.16.0.5:8080 */
		dnat = make_conn(ctnic_key{0x0a000001, 0xc000020a, 40000, 80, 6}, 0x0a000001, 0xac100005, 40000,
				 8080, 1, 0, true);
		dnat.fid = 3;
		/* host 10.0.0.7:5353 -> 198.51.100.1:53, SNAT to 203.0.113.1:61000 */
		snat = make_conn(ctnic_key{0x0a000007, 0xc6336401, 5353, 53, 17}, 0xcb007101, 0xc6336401, 61000, 53,
				 1, 0, false);
		snat.fid = 4;
		/* ping 10.0.0.9 -> 198.51.100.2 id 77, SNAT to 203.0.113.1 id 1077 */
		echo = make_conn(ctnic_key{0x0a000009, 0xc6336402, 77, 0, 1}, 0xcb007101, 0xc6336402, 1077, 0, 1, 0,
				 true);
		echo.fid = 5;
		tb.nh_write(0, nexthop(0, true, 0x10));
		tb.nh_write(1, nexthop(tb.ports() > 1 ? 1 : 0, true, 0x20));
		install(tb, t, dnat);
		install(tb, t, snat);
		install(tb, t, echo);
	}
};

/* Sends one frame on port 0 and returns the card's output (or none). */
bool one(World &w, const std::vector<uint8_t> &f, OutFrame *out, bool bad = false, unsigned port = 0)
{
	size_t before = w.tb.outputs.size();

	w.tb.send_rx(port, f, bad);
	w.tb.drain();
	if (w.tb.outputs.size() == before + 1) {
		*out = w.tb.outputs.back();
		return true;
	}
	return false;
}

/* ---- directed cases --------------------------------------------------------- */

void t_csr(uint64_t seed)
{
	Tb tb(seed, vcd_path);
	std::vector<std::string> why;
	bool ok = tb.rtl_read(CTNIC_REG_ID) == CTNIC_REG_ID_RESET &&
		  tb.rtl_read(CTNIC_REG_VERSION) == CTNIC_REG_VERSION_RESET;

	if (!ok)
		why.push_back("ID or VERSION wrong");
	tb.rtl_write(CTNIC_REG_SCRATCH, 0xa5c3f00d);
	if (tb.rtl_read(CTNIC_REG_SCRATCH) != 0xa5c3f00d) {
		ok = false;
		why.push_back("SCRATCH does not read back");
	}
	for (uint32_t off = CTNIC_REG_CAP_PORTS; off <= CTNIC_REG_CAP_CLASSES; off += 4)
		if (tb.rtl_read(off) != ctnic_model_csr_read(tb.model(), off)) {
			ok = false;
			why.push_back("CAP register " + std::to_string(off) + " differs from the model");
		}
	/* An index out of range is refused with ERROR and writes nothing. */
	uint32_t w[4] = {1, 2, 3, 0x80000000u | 6};
	tb.tbl_op(CTNIC_TBL_OP_KEY_WRITE, 0xffffff, w, 4);
	if (!(tb.rtl_read(CTNIC_REG_TBL_STATUS) & CTNIC_TBL_STATUS_ERROR_MASK)) {
		ok = false;
		why.push_back("KEY_WRITE out of range did not set ERROR");
	}
	tb.tbl_op(9, 0, w, 0);
	if (!(tb.rtl_read(CTNIC_REG_TBL_STATUS) & CTNIC_TBL_STATUS_ERROR_MASK)) {
		ok = false;
		why.push_back("unknown op did not set ERROR");
	}
	/* A written key entry reads back word for word. */
	tb.tbl_op(CTNIC_TBL_OP_KEY_WRITE, 7, w, 4);
	tb.tbl_op(CTNIC_TBL_OP_KEY_READ, 7, w, 0);
	for (unsigned i = 0; i < 4; i++)
		if (tb.rtl_read(CTNIC_REG_TBL_DATA(i)) != w[i]) {
			ok = false;
			why.push_back("KEY_READ word " + std::to_string(i) + " differs from what was written");
		}
	/* Any words written to a flow record and a next hop read back as the model says. */
	uint32_t fw[16];
	for (unsigned i = 0; i < 16; i++)
		fw[i] = (uint32_t)tb.rng()();
	tb.tbl_op(CTNIC_TBL_OP_FLOW_WRITE, 2, fw, 16);
	tb.tbl_op(CTNIC_TBL_OP_NH_WRITE, 2, fw, 4);
	tb.tbl_op(CTNIC_TBL_OP_FLOW_READ, 2, fw, 0);
	for (unsigned i = 0; i < 16; i++)
		if (tb.rtl_read(CTNIC_REG_TBL_DATA(i)) != ctnic_model_csr_read(tb.model(), CTNIC_REG_TBL_DATA(i))) {
			ok = false;
			why.push_back("FLOW_READ word " + std::to_string(i) + " differs from the model");
		}
	tb.tbl_op(CTNIC_TBL_OP_NH_READ, 2, fw, 0);
	for (unsigned i = 0; i < 16; i++)
		if (tb.rtl_read(CTNIC_REG_TBL_DATA(i)) != ctnic_model_csr_read(tb.model(), CTNIC_REG_TBL_DATA(i))) {
			ok = false;
			why.push_back("NH_READ word " + std::to_string(i) + " differs from the model");
		}
	ok &= settle(tb, why);
	tap(ok, "csr: id, version, scratch, caps, table errors, key/flow/next-hop read-back", why);
}

void t_tick(uint64_t seed)
{
	Tb tb(seed, vcd_path);
	std::vector<std::string> why;
	bool ok = true;

	tb.write_both(CTNIC_REG_TICK_ADVANCE, 0xffffffff);
	tb.write_both(CTNIC_REG_TICK_ADVANCE, 6);
	uint32_t lo = tb.rtl_read(CTNIC_REG_TICK_LO);
	tb.write_both(CTNIC_REG_TICK_ADVANCE, 0xffffffff); /* HI must stay as latched */
	uint32_t hi = tb.rtl_read(CTNIC_REG_TICK_HI);
	if (lo != 5 || hi != 1) {
		ok = false;
		why.push_back("TICK_LO/HI after advancing 2^32+5: " + std::to_string(hi) + ":" + std::to_string(lo));
	}
	/* TICK_PERIOD 10: 1000 clocks are 100 ticks (within the access clocks). */
	tb.rtl_write(CTNIC_REG_TICK_PERIOD, 10);
	uint32_t a = tb.rtl_read(CTNIC_REG_TICK_LO);
	uint64_t c0 = tb.cycles();
	for (int i = 0; i < 1000; i++)
		tb.step();
	uint32_t b = tb.rtl_read(CTNIC_REG_TICK_LO);
	uint64_t clocks = tb.cycles() - c0;
	if (b - a < clocks / 10 - 2 || b - a > clocks / 10 + 2) {
		ok = false;
		why.push_back("TICK_PERIOD 10 gave " + std::to_string(b - a) + " ticks in " + std::to_string(clocks) +
			      " clocks");
	}
	tap(ok, "tick: advance by 2^32+5, _LO latches _HI, TICK_PERIOD divides the clock", why);
}

/* The forward cases: what must hold for a translated frame. */
bool check_tx(const OutFrame &o, int port, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport,
	      uint8_t ttl, std::vector<std::string> &why)
{
	bool ok = true;
	size_t l3 = pkt_l3(o.data);
	const uint8_t *ip = &o.data[l3];
	const uint8_t *l4 = ip + 20;

	if (o.where != port) {
		why.push_back("left on " + std::to_string(o.where) + ", not port " + std::to_string(port));
		return false;
	}
	std::string v = pkt_verify(o.data);
	if (!v.empty()) {
		why.push_back(v);
		ok = false;
	}
	uint16_t sp = ip[9] == 1 ? pkt_get16(l4 + 4) : pkt_get16(l4);
	uint16_t dp = ip[9] == 1 ? 0 : pkt_get16(l4 + 2);
	if (pkt_get32(ip + 12) != saddr || pkt_get32(ip + 16) != daddr || sp != sport || dp != dport) {
		why.push_back("tuple not rewritten as the flow says");
		ok = false;
	}
	if (ip[8] != ttl) {
		why.push_back("TTL " + std::to_string(ip[8]) + ", expected " + std::to_string(ttl));
		ok = false;
	}
	return ok;
}

void t_dnat(uint64_t seed, bool vlan)
{
	World w(seed);
	std::vector<std::string> why;
	PktSpec s = spec_of(w.dnat, 0);
	OutFrame o;

	s.vlan = vlan;
	s.payload = 100;
	bool ok = one(w, pkt_build(s), &o);
	if (!ok)
		why.push_back("no frame left the card");
	else {
		ok &= check_tx(o, 1 % w.tb.ports(), 0x0a000001, 0xac100005, 40000, 8080, 63, why);
		if (o.data[0] != 0x22 || o.data[6] != 0x72) {
			ok = false;
			why.push_back("MACs not rewritten from the next hop");
		}
	}
	/* and the reply, translated back */
	PktSpec r = spec_of(w.dnat, 1);
	r.vlan = vlan;
	if (!one(w, pkt_build(r), &o)) {
		ok = false;
		why.push_back("no reply left the card");
	} else {
		ok &= check_tx(o, 0, 0xc000020a, 0x0a000001, 80, 40000, 63, why);
	}
	ok &= settle(w.tb, why);
	tap(ok, std::string("TCP DNAT hit ") + (vlan ? "(802.1Q) " : "") +
		    "rewrites daddr/dport, reply rewrites saddr/sport, TTL, MACs, checksums", why);
}

void t_snat_udp(uint64_t seed)
{
	World w(seed);
	std::vector<std::string> why;
	PktSpec s = spec_of(w.snat, 0);
	OutFrame o;
	bool ok = one(w, pkt_build(s), &o);

	if (!ok)
		why.push_back("no frame left the card");
	else
		ok &= check_tx(o, 1 % w.tb.ports(), 0xcb007101, 0xc6336401, 61000, 53, 64, why);
	/* a zero UDP checksum stays zero */
	s.udp_zero_csum = true;
	if (!one(w, pkt_build(s), &o)) {
		ok = false;
		why.push_back("no zero-checksum frame left the card");
	} else if (pkt_get16(&o.data[14 + 20 + 6]) != 0) {
		ok = false;
		why.push_back("UDP checksum 0 did not stay 0");
	}
	ok &= settle(w.tb, why);
	tap(ok, "UDP SNAT hit rewrites saddr/sport with correct checksum; UDP checksum 0 stays 0", why);
}

/* Finds a payload whose UDP checksum, after the SNAT rewrite, computes to 0. */
void t_udp_computed_zero(uint64_t seed)
{
	World w(seed);
	std::vector<std::string> why;
	PktSpec s = spec_of(w.snat, 0);
	bool found = false;
	std::vector<uint8_t> f;

	/* The RFC 1624 result is 0 exactly when the translated datagram's sum is 0xffff
	 * with the checksum field cleared; try payloads until one is. */
	for (uint32_t seed2 = 1; seed2 < 2000000 && !found; seed2++) {
		s.seed = seed2;
		s.payload = 2;
		f = pkt_build(s);
		std::vector<uint8_t> g = f;
		/* translate by hand, checksum cleared, and sum */
		uint8_t *ip = &g[14], *l4 = ip + 20;
		ip[12] = 0xcb, ip[13] = 0x00, ip[14] = 0x71, ip[15] = 0x01;
		l4[0] = 61000 >> 8, l4[1] = 61000 & 0xff;
		l4[6] = l4[7] = 0;
		uint32_t sum = 0;
		for (int i = 12; i < 20; i += 2)
			sum += pkt_get16(ip + i);
		sum += 17 + 10;
		for (int i = 0; i < 10; i += 2)
			sum += pkt_get16(l4 + i);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		found = sum == 0xffff;
	}
	OutFrame o;
	bool ok = found && one(w, f, &o);
	if (!found)
		why.push_back("no payload found");
	else if (!ok)
		why.push_back("no frame left the card");
	else if (pkt_get16(&o.data[14 + 20 + 6]) != 0xffff) {
		ok = false;
		why.push_back("computed UDP checksum 0 not sent as 0xffff");
	}
	ok &= settle(w.tb, why);
	tap(ok, "UDP checksum that computes to 0 is sent as 0xFFFF", why);
}

void t_icmp(uint64_t seed)
{
	World w(seed);
	std::vector<std::string> why;
	OutFrame o;
	bool ok = one(w, pkt_build(spec_of(w.echo, 0)), &o);

	if (!ok)
		why.push_back("no request left the card");
	else
		ok &= check_tx(o, 1 % w.tb.ports(), 0xcb007101, 0xc6336402, 1077, 0, 63, why);
	if (!one(w, pkt_build(spec_of(w.echo, 1)), &o)) {
		ok = false;
		why.push_back("no reply left the card");
	} else {
		ok &= check_tx(o, 0, 0xc6336402, 0x0a000009, 77, 0, 63, why);
	}
	ok &= settle(w.tb, why);
	tap(ok, "ICMP echo: identifier and addresses translated both ways, ICMP checksum updated", why);
}

using MakeFn = std::function<void(World &, PktSpec &)>;
using MangleFn = std::function<void(World &, std::vector<uint8_t> &)>;

/*
 * One frame with one expected outcome: to the host unmodified with punt
 * reason `reason` (and flow id `fid` when a key matched), or dropped and
 * counted under drop reason `reason`.
 */
void t_reason(uint64_t seed, bool punt, const char *name, unsigned reason, MakeFn make, MangleFn mangle,
	      int fid, bool bad)
{
	World w(seed);
	std::vector<std::string> why;
	PktSpec s = spec_of(w.dnat, 0);
	OutFrame o;

	make(w, s);
	std::vector<uint8_t> f = pkt_build(s);
	if (mangle)
		mangle(w, f);
	bool out = one(w, f, &o, bad);
	bool ok = out == punt;
	if (!ok)
		why.push_back(punt ? "nothing left the card" : "a frame left the card");
	if (ok && punt) {
		ctnic_punt_desc d;
		ctnic_punt_desc_unpack(o.desc, &d);
		if (o.where != -1 || d.reason != reason) {
			ok = false;
			why.push_back("left on " + std::to_string(o.where) + " with reason " + std::to_string(d.reason) +
				      ", expected the host with " + std::to_string(reason));
		}
		if (o.data != f) {
			ok = false;
			why.push_back("a punted frame was modified");
		}
		if (d.len != f.size() || d.port != 0) {
			ok = false;
			why.push_back("descriptor length or port wrong");
		}
		if ((fid >= 0) != d.flow_valid || (fid >= 0 && d.flow_id != (uint32_t)fid)) {
			ok = false;
			why.push_back("descriptor flow id wrong");
		}
	}
	if (counter(w.tb, punt ? CTNIC_REG_CNT_PUNT_LO(reason) : CTNIC_REG_CNT_DROP_LO(reason)) != 1) {
		ok = false;
		why.push_back(punt ? "CNT_PUNT not 1" : "CNT_DROP not 1");
	}
	ok &= settle(w.tb, why);
	tap(ok, std::string(punt ? "punt " : "drop ") + name, why);
}

void t_punt(uint64_t seed, const char *name, unsigned reason, MakeFn make, MangleFn mangle = nullptr, int fid = -1)
{
	t_reason(seed, true, name, reason, make, mangle, fid, false);
}

void t_drop(uint64_t seed, const char *name, unsigned reason, MakeFn make, MangleFn mangle = nullptr, bool bad = false)
{
	t_reason(seed, false, name, reason, make, mangle, -1, bad);
}

void nothing(World &, PktSpec &)
{
}

void t_reasons(uint64_t seed)
{
	t_punt(seed, "MISS: no key entry", CTNIC_PUNT_MISS, [](World &, PktSpec &s) { s.dport = 81; });
	t_punt(seed, "TCP_FLAGS: SYN of a known flow, with its flow id", CTNIC_PUNT_TCP_FLAGS,
	       [](World &, PktSpec &s) { s.tcp_flags = 0x02; }, nullptr, 3);
	t_punt(seed, "IP_OPTIONS: header of 6 words", CTNIC_PUNT_IP_OPTIONS, [](World &, PktSpec &s) { s.ihl = 6; });
	t_punt(seed, "FRAGMENT: MF set", CTNIC_PUNT_FRAGMENT, [](World &, PktSpec &s) { s.frag = 0x2000; });
	t_punt(seed, "FRAGMENT: offset non-zero", CTNIC_PUNT_FRAGMENT, [](World &, PktSpec &s) { s.frag = 0x0010; });
	t_punt(seed, "TTL_EXPIRED: TTL 1 on a forwarded flow", CTNIC_PUNT_TTL_EXPIRED,
	       [](World &, PktSpec &s) { s.ttl = 1; }, nullptr, 3);
	t_punt(seed, "ICMP_ERROR: destination unreachable", CTNIC_PUNT_ICMP_ERROR, [](World &, PktSpec &s) {
		s.proto = 1;
		s.icmp_type = 3;
	});
	t_punt(seed, "NON_IPV4: ARP", CTNIC_PUNT_NON_IPV4, [](World &, PktSpec &s) { s.ethertype = 0x0806; });
	t_punt(seed, "ACTION_HOST: flow action to-host", CTNIC_PUNT_ACTION_HOST,
	       [](World &w, PktSpec &) {
		       ctnic_flow f{};
		       f.dir[0] = w.dnat.out[0];
		       f.dir[1] = w.dnat.out[1];
		       f.dir[0].action = CTNIC_ACTION_HOST;
		       f.valid = true;
		       w.tb.flow_write(3, f);
	       },
	       nullptr, 3);
	t_punt(seed, "L4_OTHER: GRE", CTNIC_PUNT_L4_OTHER, [](World &, PktSpec &s) { s.proto = 47; });
	t_punt(seed, "L4_OTHER: ICMP timestamp", CTNIC_PUNT_L4_OTHER, [](World &, PktSpec &s) {
		s.proto = 1;
		s.icmp_type = 13;
	});

	t_drop(seed, "RUNT: 13-byte frame", CTNIC_DROP_RUNT, nothing,
	       [](World &, std::vector<uint8_t> &f) { f.resize(13); });
	t_drop(seed, "RUNT: marked bad by the MAC", CTNIC_DROP_RUNT, nothing, nullptr, true);
	t_drop(seed, "TRUNCATED: frame ends inside the IPv4 header", CTNIC_DROP_TRUNCATED, nothing,
	       [](World &, std::vector<uint8_t> &f) { f.resize(30); });
	t_drop(seed, "TRUNCATED: IPv4 packet ends inside the TCP header", CTNIC_DROP_TRUNCATED, nothing,
	       [](World &, std::vector<uint8_t> &f) {
		       f[14 + 2] = 0, f[14 + 3] = 30;
		       pkt_fix_ipcsum(f);
	       });
	t_drop(seed, "BAD_IHL: version 6 in an IPv4 frame", CTNIC_DROP_BAD_IHL, [](World &, PktSpec &s) { s.version = 6; });
	t_drop(seed, "BAD_IHL: header length 4", CTNIC_DROP_BAD_IHL, nothing,
	       [](World &, std::vector<uint8_t> &f) { f[14] = 0x44; });
	t_drop(seed, "LEN_MISMATCH: total length beyond the frame", CTNIC_DROP_LEN_MISMATCH, nothing,
	       [](World &, std::vector<uint8_t> &f) {
		       f[14 + 2] = 0x05, f[14 + 3] = 0xdc;
		       pkt_fix_ipcsum(f);
	       });
	t_drop(seed, "BAD_IPCSUM: header checksum off by one", CTNIC_DROP_BAD_IPCSUM, nothing,
	       [](World &, std::vector<uint8_t> &f) { f[14 + 11] ^= 1; });
	t_drop(seed, "ACTION_DROP: flow action drop", CTNIC_DROP_ACTION_DROP, [](World &w, PktSpec &) {
		ctnic_flow f{};
		f.dir[0] = w.dnat.out[0];
		f.dir[1] = w.dnat.out[1];
		f.dir[0].action = CTNIC_ACTION_DROP;
		f.valid = true;
		w.tb.flow_write(3, f);
	});
	t_drop(seed, "PORT_DISABLED: frame while CTRL.ENABLE is 0", CTNIC_DROP_PORT_DISABLED,
	       [](World &w, PktSpec &) { w.tb.write_both(CTNIC_REG_CTRL, 0); });
	t_drop(seed, "BAD_EGRESS: next hop not valid", CTNIC_DROP_BAD_EGRESS,
	       [](World &w, PktSpec &) { w.tb.nh_write(1, ctnic_nexthop{}); });
	t_drop(seed, "OVERSIZE: 9300-byte frame", CTNIC_DROP_OVERSIZE, [](World &, PktSpec &s) { s.payload = 9300; });
}

void t_back_to_back(uint64_t seed)
{
	World w(seed);
	std::vector<std::string> why;
	uint64_t bytes = 0;
	const int n = 200;

	for (int i = 0; i < n; i++) {
		PktSpec s = spec_of(w.dnat, i & 1);
		s.payload = (size_t)(i % 7) * 10;
		s.seed = (uint32_t)i;
		std::vector<uint8_t> f = pkt_build(s);
		if (!(i & 1))
			bytes += f.size();
		w.tb.send_rx(0, f);
	}
	bool ok = w.tb.drain();
	w.tb.write_both(CTNIC_REG_TBL_INDEX, 3);
	w.tb.write_both(CTNIC_REG_TBL_CMD, CTNIC_TBL_OP_FLOW_READ);
	while (w.tb.rtl_read(CTNIC_REG_TBL_STATUS) & CTNIC_TBL_STATUS_BUSY_MASK)
		;
	uint32_t pk = w.tb.rtl_read(CTNIC_REG_TBL_DATA(10)), by = w.tb.rtl_read(CTNIC_REG_TBL_DATA(11));
	if (pk != n / 2 || by != bytes) {
		ok = false;
		why.push_back("flow 3 original direction: " + std::to_string(pk) + " packets " + std::to_string(by) +
			      " bytes, expected " + std::to_string(n / 2) + " and " + std::to_string(bytes));
	}
	ok &= settle(w.tb, why);
	tap(ok, "back-to-back frames of one flow: every packet and byte counted in the flow record", why);
}

void t_table_write_under_traffic(uint64_t seed)
{
	World w(seed);
	std::vector<std::string> why;
	Conn c = make_conn(ctnic_key{0x0a000021, 0xc0000214, 1000, 443, 6}, 0x0a000021, 0xac100021, 1000, 8443, 1,
			   0, false);
	c.fid = 9;

	/* keep the DNAT flow busy on port 0 while the new flow is written */
	for (int i = 0; i < 300; i++) {
		PktSpec s = spec_of(w.dnat, 0);
		s.seed = (uint32_t)i;
		w.tb.send_rx(0, pkt_build(s));
	}
	for (int i = 0; i < 20; i++)
		w.tb.step();
	bool ok = install(w.tb, w.t, c);
	ok &= w.tb.drain();
	OutFrame o;
	if (!one(w, pkt_build(spec_of(c, 0)), &o)) {
		ok = false;
		why.push_back("nothing left for the new flow");
	} else {
		ok &= check_tx(o, 1 % w.tb.ports(), 0x0a000021, 0xac100021, 1000, 8443, 64, why);
	}
	ok &= settle(w.tb, why);
	tap(ok, "a flow written while traffic flows takes effect and disturbs no frame", why);
}

void t_mask(uint64_t seed)
{
	World w(seed);
	std::vector<std::string> why;
	OutFrame o;
	PktSpec s = spec_of(w.dnat, 0);
	bool ok = true;

	w.tb.write_both(CTNIC_REG_TCP_PUNT_MASK, 0x10); /* ACK only */
	s.tcp_flags = 0x10;
	if (!one(w, pkt_build(s), &o) || o.where != -1) {
		ok = false;
		why.push_back("ACK with mask 0x10 not punted");
	}
	w.tb.write_both(CTNIC_REG_TCP_PUNT_MASK, 0);
	s.tcp_flags = 0x02;
	if (!one(w, pkt_build(s), &o) || o.where < 0) {
		ok = false;
		why.push_back("SYN with mask 0 not forwarded");
	}
	ok &= settle(w.tb, why);
	tap(ok, "TCP_PUNT_MASK is programmable: ACK punted under 0x10, SYN forwarded under 0", why);
}

void t_inject(uint64_t seed)
{
	World w(seed);
	std::vector<std::string> why;
	bool ok = true;
	unsigned P = w.tb.ports();
	std::vector<uint8_t> f = pkt_build(spec_of(w.dnat, 0));

	/* straight out of port P-1, unchanged */
	w.tb.send_inject((uint8_t)(P - 1), f);
	w.tb.drain();
	if (w.tb.outputs.empty() || w.tb.outputs.back().where != (int)(P - 1) || w.tb.outputs.back().data != f) {
		ok = false;
		why.push_back("inject without LOOKUP did not leave port P-1 unchanged");
	}
	/* through the pipeline: translated like a received frame */
	w.tb.send_inject(CTNIC_INJECT_LOOKUP, f);
	w.tb.drain();
	if (w.tb.outputs.empty() || !check_tx(w.tb.outputs.back(), 1 % P, 0x0a000001, 0xac100005, 40000, 8080, 63, why))
		ok = false;
	/* a port that does not exist */
	w.tb.send_inject((uint8_t)(P + 1), f);
	w.tb.drain();
	if (counter(w.tb, CTNIC_REG_CNT_DROP_LO(CTNIC_DROP_BAD_EGRESS)) != 1) {
		ok = false;
		why.push_back("inject to port PORTS+1 not dropped BAD_EGRESS");
	}
	ok &= settle(w.tb, why);
	tap(ok, "host inject: without LOOKUP out of its port unchanged, with LOOKUP translated, bad port dropped", why);
}

/* The model's own API: what a backend built on it relies on. */
void t_model_api()
{
	std::vector<std::string> why;
	struct ctnic_model_params p;
	char err[256] = "";
	bool ok = true;

	ctnic_model_default_params(&p);
	p.buckets = 100; /* not a power of two */
	if (ctnic_model_create(&p, err, sizeof(err)) || !strstr(err, "power")) {
		ok = false;
		why.push_back("buckets 100 not refused with a message");
	}
	ctnic_model_default_params(&p);
	struct ctnic_model *m = ctnic_model_create(&p, err, sizeof(err));
	struct ctnic_model_out o;
	uint8_t f[60] = {0};
	if (!m) {
		why.push_back(std::string("default parameters refused: ") + err);
		tap(false, "model API", why);
		return;
	}
	if (ctnic_model_rx(m, p.ports, f, sizeof(f), false, &o) != -1) {
		ok = false;
		why.push_back("rx on a port that does not exist accepted");
	}
	ctnic_model_csr_write(m, CTNIC_REG_TICK_PERIOD, 4);
	ctnic_model_clock(m, 10);
	ctnic_model_clock(m, 2);
	if (ctnic_model_tick(m) != 3) {
		ok = false;
		why.push_back("12 clocks at TICK_PERIOD 4 are not 3 ticks");
	}
	if (ctnic_model_rx(m, 0, f, sizeof(f), false, &o) != 0 || o.verdict != CTNIC_MODEL_DROP ||
	    o.drop_reason != CTNIC_DROP_PORT_DISABLED) {
		ok = false;
		why.push_back("a frame before CTRL.ENABLE not dropped PORT_DISABLED");
	}
	ctnic_model_destroy(m);
	ctnic_model_destroy(nullptr);
	tap(ok, "model API: impossible parameters refused with a message, bad port refused, clock divides by TICK_PERIOD", why);
}

/* ---- constrained-random ------------------------------------------------------ */

struct RandomRun {
	uint64_t seed;
	uint64_t packets;
	double in_gap, out_stall;
};

size_t pick_size(std::mt19937_64 &r)
{
	unsigned c = r() % 100;

	if (c < 60)
		return 60 + r() % 200;
	if (c < 90)
		return 60 + r() % 1459;
	return 60 + r() % (9018 - 60 + 1);
}

/* A connection of original key k with random NAT, next hops, TTL rule and actions (3 included). */
Conn random_conn(const ctnic_key &k, std::mt19937_64 &r, uint32_t fid)
{
	unsigned nat = r() % 3; /* none, SNAT, DNAT */
	uint32_t ts = nat == 1 ? 0xcb007100 | (uint32_t)(r() & 0xff) : k.saddr;
	uint32_t td = nat == 2 ? 0xac100000 | (uint32_t)(r() & 0xffff) : k.daddr;
	uint16_t tsp = nat == 1 ? (uint16_t)(1024 + r() % 60000) : k.sport;
	uint16_t tdp = nat == 2 ? (uint16_t)(1 + r() % 60000) : k.dport;
	Conn c = make_conn(k, ts, td, tsp, tdp, (uint8_t)(r() % 8), (uint8_t)(r() % 6), r() & 1);

	c.fid = fid;
	for (int d = 0; d < 2; d++) {
		unsigned a = r() % 40;
		c.out[d].action = (uint8_t)(a < 2 ? CTNIC_ACTION_HOST : a < 4 ? CTNIC_ACTION_DROP : a == 4 ? 3 : CTNIC_ACTION_FORWARD);
	}
	return c;
}

bool random_run(const RandomRun &rr, std::vector<std::string> &why, std::map<std::string, uint64_t> &mix)
{
	Tb tb(rr.seed, vcd_path);
	Table t(tb);
	std::mt19937_64 &r = tb.rng();
	std::vector<Conn> conns;
	unsigned P = tb.ports();
	uint32_t flows = ctnic_model_csr_read(tb.model(), CTNIC_REG_CAP_FLOWS);
	uint32_t nhs = ctnic_model_csr_read(tb.model(), CTNIC_REG_CAP_NEXTHOPS);

	tb.in_gap = rr.in_gap;
	tb.out_stall = rr.out_stall;
	/*
	 * Aging on, with timeouts no flow reaches (0: never, or 2^32-1 ticks):
	 * the scanner's visits take pipeline slots among the frames (and in
	 * place of them under back-to-back load) and must change nothing.
	 */
	for (unsigned c = 0; c < 16; c++)
		tb.write_both(CTNIC_REG_AGING_TIMEOUT(c), c & 1 ? 0xffffffffu : 0);
	tb.write_both(CTNIC_REG_AGING_CTRL, CTNIC_AGING_CTRL_ENABLE_MASK);
	/* next hops: most valid on a real port, one invalid, one on a port that does not exist */
	for (uint32_t i = 0; i < 8 && i < nhs; i++) {
		ctnic_nexthop n = nexthop((uint8_t)(i % P), r() & 1, (uint8_t)i);
		if (i == 6)
			n.valid = false;
		if (i == 7)
			n.port = (uint8_t)P;
		tb.nh_write(i, n);
	}
	/* flows: 3/4 of the records (at most 1024, so a large table stays quick to
	 * fill), with random NAT, actions and protocols */
	uint32_t want = std::min<uint32_t>(flows * 3 / 4, 1024);
	static const uint8_t protos[3] = {6, 17, 1};
	std::vector<Conn> group[2]; /* by flow id parity: one takes traffic while the other is rewritten */
	std::vector<Conn> bogus;    /* keys only, naming flow ids beyond FLOWS */
	for (uint32_t fid = 0; fid < want; fid++) {
		ctnic_key k{(uint32_t)(0x0a000000 | (r() & 0xffff)), (uint32_t)(0xc0000000 | (r() & 0xffffff)),
			    (uint16_t)(1024 + r() % 60000), (uint16_t)(1 + r() % 1000), protos[r() % 3]};
		if (k.proto == 1)
			k.dport = 0;
		Conn c = random_conn(k, r, fid < 8 ? flows + (uint32_t)(r() % 1000) : fid);
		if (fid < 8) {
			/* keys naming a flow id beyond FLOWS: lookups that must miss */
			long s0 = t.place(c.key[0], r);
			if (s0 >= 0) {
				t.used[s0] = true;
				tb.key_write((uint32_t)s0, ctnic_key_entry{true, false, c.fid, c.key[0]});
				conns.push_back(c);
				bogus.push_back(c);
			}
			continue;
		}
		if (install(tb, t, c)) {
			conns.push_back(c);
			group[fid & 1].push_back(c);
		}
	}
	mix["flows installed"] = conns.size();

	/* traffic; between chunks (idle) the tick advances and the TCP flag mask may change */
	const uint64_t chunk = 2000;
	for (uint64_t i = 0; i < rr.packets; i++) {
		unsigned par = (unsigned)(i / chunk) & 1;
		if (i % chunk == chunk - 1) {
			tb.drain();
			tb.write_both(CTNIC_REG_TICK_ADVANCE, (uint32_t)(1 + r() % 1000));
			tb.write_both(CTNIC_REG_TCP_PUNT_MASK, r() % 4 ? CTNIC_REG_TCP_PUNT_MASK_RESET : (uint32_t)(r() & 0xff));
			if (r() % 4 == 0) {
				/* ports off for a few frames: each is dropped PORT_DISABLED, host injects still pass */
				tb.write_both(CTNIC_REG_CTRL, 0);
				for (int k = 0; k < 5; k++) {
					std::vector<uint8_t> g = pkt_build(spec_of(group[par][r() % group[par].size()], 0));
					if (k == 4)
						tb.send_inject(CTNIC_INJECT_LOOKUP, g);
					else
						tb.send_rx((unsigned)(r() % P), g);
				}
				tb.drain();
				tb.write_both(CTNIC_REG_CTRL, CTNIC_CTRL_ENABLE_MASK);
				mix["disabled spells"]++;
			}
		}
		/* while traffic flows, rewrite a flow record of the group that takes none now */
		if (i % 97 == 0 && !group[par ^ 1].empty()) {
			Conn &x = group[par ^ 1][r() % group[par ^ 1].size()];
			Conn y = random_conn(x.key[0], r, x.fid);
			ctnic_flow f{};
			f.dir[0] = y.out[0];
			f.dir[1] = y.out[1];
			f.valid = r() % 16 != 0;
			f.tclass = (uint8_t)(r() & 15);
			f.pkts[0] = (uint32_t)r();
			f.bytes[1] = r() & 0xffffffffffffull;
			tb.flow_write(x.fid, f);
			mix["flow rewrites under traffic"]++;
		}
		const Conn &c = r() % 16 == 0 && !bogus.empty() ? bogus[r() % bogus.size()]
								: group[par][r() % group[par].size()];
		int d = r() & 1;
		PktSpec s = spec_of(c, d);
		s.seed = (uint32_t)r();
		s.vlan = r() % 4 == 0;
		s.ttl = (uint8_t)(r() % 16 == 0 ? r() % 2 : 2 + r() % 250);
		s.tcp_flags = (uint8_t)(r() % 8 == 0 ? r() : 0x10);
		size_t size = pick_size(r);
		size_t hdr = (s.vlan ? 18 : 14) + 20 + (s.proto == 6 ? 20 : 8);
		s.payload = size > hdr ? size - hdr : 0;
		s.pad_to = 60;
		s.udp_zero_csum = r() % 8 == 0;
		bool bad = false;
		unsigned kind = r() % 42;
		std::vector<uint8_t> f;
		std::string what = "hit";
		switch (kind) {
		case 0: s.dport ^= 0x4000; s.sport ^= 1; what = "miss"; break;
		case 1: s.ethertype = r() & 1 ? 0x0806 : 0x86dd; what = "non-ipv4"; break;
		case 2: s.ihl = (uint8_t)(6 + r() % 10); what = "options"; break;
		case 3: s.frag = (uint16_t)(r() & 1 ? 0x2000 : (r() & 0x1fff) | 1); what = "fragment"; break;
		case 4: s.proto = 1; s.icmp_type = (uint8_t)(r() & 1 ? 11 : 3 + r() % 3); what = "icmp error"; break;
		case 5: s.proto = (uint8_t)(r() & 1 ? 47 : 50); what = "other l4"; break;
		case 6: what = "runt"; break;
		case 7: bad = true; what = "mac bad"; break;
		case 8: what = "truncated"; break;
		case 9: s.version = (uint8_t)(r() % 16 == 4 ? 5 : r() % 16); what = "bad version/ihl"; break;
		case 10: what = "length mismatch"; break;
		case 11: what = "bad ip checksum"; break;
		case 12: what = "inject"; break;
		case 13: what = "header bit flips"; break;
		case 14: what = "random bytes"; break;
		default: break;
		}
		f = pkt_build(s);
		if (kind == 6)
			f.resize(r() % 14); /* 0: one beat with no byte kept */
		if (kind == 8)
			f.resize(std::min<size_t>(f.size(), 14 + r() % 40));
		if (kind == 9 && r() & 1) {
			f[pkt_l3(f)] = (uint8_t)(0x40 | r() % 5);
			pkt_fix_ipcsum(f);
		}
		if (kind == 10) {
			size_t l3 = pkt_l3(f);
			uint16_t tot = (uint16_t)(r() & 1 ? f.size() - l3 + 1 + r() % 100 : r() % 20);
			f[l3 + 2] = (uint8_t)(tot >> 8), f[l3 + 3] = (uint8_t)tot;
			pkt_fix_ipcsum(f);
		}
		if (kind == 11)
			f[pkt_l3(f) + 10 + r() % 2] ^= (uint8_t)(1 + r() % 255);
		if (kind == 13) {
			/* flip bits anywhere in the first 80 bytes; the IPv4 checksum made right half the time */
			for (unsigned n = 1 + r() % 4; n; n--)
				f[r() % std::min<size_t>(f.size(), 80)] ^= (uint8_t)(1u << (r() % 8));
			if (r() & 1 && f.size() >= pkt_l3(f) + 20 && (f[pkt_l3(f)] & 15) >= 5 &&
			    f.size() >= pkt_l3(f) + (f[pkt_l3(f)] & 15) * 4u)
				pkt_fix_ipcsum(f);
		}
		if (kind == 14) {
			/* anything at all behind an IPv4 or VLAN EtherType */
			f.resize(r() % 200);
			for (auto &b : f)
				b = (uint8_t)r();
			if (f.size() >= 14 && r() % 4)
				f[12] = r() & 1 ? 0x81 : 0x08, f[13] = 0;
		}
		mix[what]++;
		if (kind == 12)
			tb.send_inject((uint8_t)(r() % (P + 2) | (r() & 1 ? CTNIC_INJECT_LOOKUP : 0)), f);
		else
			tb.send_rx((unsigned)(r() % P), f, bad);
		/* keep the queues short: the bench runs while it queues */
		while (tb.frames_in + 64 < i)
			tb.step();
	}
	bool ok = tb.drain(50000000);
	ok &= tb.compare_counters();
	ok &= tb.compare_flows(flows < 512 ? flows : 512);
	mix["aging passes"] = tb.rtl_read(CTNIC_REG_AGING_PASSES);
	if (tb.rtl_read(CTNIC_REG_AGING_EXPIRED) || !tb.expiries.empty()) {
		ok = false;
		why.push_back("the scanner retired a flow no timeout allowed");
	}
	mix["frames out"] = tb.frames_out;
	for (const Decision &d : tb.decisions)
		mix[d.verdict == CTNIC_MODEL_TX ? "=tx" : d.verdict == CTNIC_MODEL_HOST ? "=host" : "=drop"]++;
	mix["clocks"] = tb.cycles();
	why.insert(why.end(), tb.errors.begin(), tb.errors.end());
	return ok && tb.errors.empty();
}

} // namespace

int main(int argc, char **argv)
{
	uint64_t seed = (uint64_t)std::chrono::steady_clock::now().time_since_epoch().count() % 1000000007ull;
	uint64_t packets = 100000;
	std::string only;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], nullptr, 0);
		else if (!strcmp(argv[i], "--packets") && i + 1 < argc)
			packets = strtoull(argv[++i], nullptr, 0);
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--vcd") && i + 1 < argc)
			vcd_path = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--seed N] [--packets N] [--only directed|aging|random] [--vcd FILE]\n",
				argv[0]);
			return 2;
		}
	}
	printf("# seed %llu (replay with --seed %llu)\n", (unsigned long long)seed, (unsigned long long)seed);

	if (only.empty() || only == "directed") {
		t_csr(seed);
		t_tick(seed);
		t_dnat(seed, false);
		t_dnat(seed, true);
		t_snat_udp(seed);
		t_udp_computed_zero(seed);
		t_icmp(seed);
		t_reasons(seed);
		t_back_to_back(seed);
		t_table_write_under_traffic(seed);
		t_mask(seed);
		t_inject(seed);
		t_model_api();
	}
	if (only.empty() || only == "aging")
		rtl_aging_tests(seed, tap, vcd_path);
	if (only.empty() || only == "random") {
		const RandomRun runs[] = {
			{seed, packets / 2, 0.0, 0.0},
			{seed + 1, packets / 2, 0.3, 0.5},
		};
		for (const auto &rr : runs) {
			std::vector<std::string> why;
			std::map<std::string, uint64_t> mix;
			auto t0 = std::chrono::steady_clock::now();
			bool ok = random_run(rr, why, mix);
			double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

			printf("# random seed %llu: %llu packets in %.1f s;", (unsigned long long)rr.seed,
			       (unsigned long long)rr.packets, secs);
			for (const auto &m : mix)
				printf(" %s %llu;", m.first.c_str(), (unsigned long long)m.second);
			printf("\n");
			char name[160];
			snprintf(name, sizeof(name),
				 "random traffic (seed %llu, %llu packets, input gaps %.0f%%, output stalls %.0f%%) matches the model: frames, descriptors, counters, flow records",
				 (unsigned long long)rr.seed, (unsigned long long)rr.packets, rr.in_gap * 100,
				 rr.out_stall * 100);
			tap(ok, name, why);
		}
	}
	printf("1..%d\n", tap_n);
	return tap_fail ? 1 : 0;
}
