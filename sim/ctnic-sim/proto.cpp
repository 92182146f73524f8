/*
 * proto.cpp - one request line of the host protocol in, one answer line out
 * (sim_proto.h). Nothing a client sends can stop the simulator: every line
 * gets an answer, a bad one an ERR.
 */
#include "proto.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <vector>

#include "../../driver/include/ctnic_regs.h"
#include "sim_proto.h"

namespace {

std::string err(const char *code, const std::string &msg)
{
	return std::string("ERR ") + code + " " + msg;
}

/* A whole token as a 64-bit number (decimal or 0x-hex), nothing left over. */
bool parse_u64(const std::string &tok, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (tok.empty() || tok[0] == '-' || tok[0] == '+')
		return false;
	errno = 0;
	x = strtoull(tok.c_str(), &end, 0);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

/* A whole token as a 32-bit number (decimal or 0x-hex), nothing left over. */
bool parse_u32(const std::string &tok, uint32_t *v)
{
	uint64_t x;

	if (!parse_u64(tok, &x) || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Cycles a RUN steps between looks at proto_stop. */
constexpr uint64_t RUN_CHUNK = 65536;

std::string feed(const std::vector<std::string> &t, Card &card)
{
	char buf[CTNIC_SIM_LINE_MAX];
	uint32_t port;

	if (t.size() != 3 || !parse_u32(t[1], &port))
		return err(CTNIC_SIM_ERR_SYNTAX, "usage: FEED <port> <frame as hex bytes>");
	if (port >= CARD_PORTS) {
		snprintf(buf, sizeof(buf), "port %" PRIu32 " does not exist: the card has ports 0..%u", port,
			 CARD_PORTS - 1);
		return err(CTNIC_SIM_ERR_RANGE, buf);
	}
	const std::string &h = t[2];
	if (h.size() % 2) {
		snprintf(buf, sizeof(buf), "frame hex has %zu digits, an odd count: give two per byte", h.size());
		return err(CTNIC_SIM_ERR_SYNTAX, buf);
	}
	std::vector<uint8_t> f(h.size() / 2);
	for (size_t i = 0; i < f.size(); i++) {
		int hi = hexval(h[2 * i]), lo = hexval(h[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			snprintf(buf, sizeof(buf), "frame hex: '%c%c' at byte %zu is not a hex byte", h[2 * i],
				 h[2 * i + 1], i);
			return err(CTNIC_SIM_ERR_SYNTAX, buf);
		}
		f[i] = (uint8_t)(hi << 4 | lo);
	}
	if (f.size() < CTNIC_SIM_FEED_FRAME_MIN || f.size() > CTNIC_SIM_FEED_FRAME_MAX) {
		snprintf(buf, sizeof(buf), "a frame of %zu bytes: give %d..%d bytes (Ethernet header on, no FCS)",
			 f.size(), CTNIC_SIM_FEED_FRAME_MIN, CTNIC_SIM_FEED_FRAME_MAX);
		return err(CTNIC_SIM_ERR_RANGE, buf);
	}
	card.queue_rx(port, std::move(f));
	snprintf(buf, sizeof(buf), "OK cycle %" PRIu64, card.cycle());
	return buf;
}

std::string run(const std::vector<std::string> &t, Card &card)
{
	char buf[CTNIC_SIM_LINE_MAX];
	uint64_t n;

	if (t.size() != 2 || !parse_u64(t[1], &n))
		return err(CTNIC_SIM_ERR_SYNTAX, "usage: RUN <cycles>");
	if (n > CTNIC_SIM_RUN_MAX_CYCLES) {
		snprintf(buf, sizeof(buf), "RUN %" PRIu64 ": at most %llu cycles in one request (move long gaps of device time with TICK_ADVANCE)",
			 n, CTNIC_SIM_RUN_MAX_CYCLES);
		return err(CTNIC_SIM_ERR_RANGE, buf);
	}
	for (uint64_t done = 0; done < n; done++) {
		if (done % RUN_CHUNK == 0 && done && proto_stop) {
			snprintf(buf, sizeof(buf), "RUN stopped after %" PRIu64 " of %" PRIu64 " cycles: ctnic-sim is stopping",
				 done, n);
			return err(CTNIC_SIM_ERR_STOPPING, buf);
		}
		card.step();
	}
	snprintf(buf, sizeof(buf), "OK cycle %" PRIu64, card.cycle());
	return buf;
}

bool printable(const std::string &s)
{
	for (unsigned char c : s)
		if (c < 0x20 || c > 0x7e)
			return false;
	return true;
}

} // namespace

volatile int proto_stop = 0;
uint64_t proto_ev_seq = 0;

size_t proto_line_max(const std::string &start)
{
	return start.compare(0, 5, "FEED ") == 0 ? CTNIC_SIM_FEED_LINE_MAX : CTNIC_SIM_LINE_MAX;
}

std::string proto_answer(Session &s, const std::string &line, Card &card, const HostMem &mem)
{
	char buf[CTNIC_SIM_LINE_MAX];

	if (!printable(line))
		return err(CTNIC_SIM_ERR_SYNTAX, "request holds bytes that are not printable ASCII");

	std::istringstream in(line);
	std::vector<std::string> t;
	for (std::string w; in >> w;)
		t.push_back(w);
	if (t.empty())
		return err(CTNIC_SIM_ERR_SYNTAX, "empty request: send HELLO, R, W, STATUS, RESET, FEED or RUN");

	const std::string &op = t[0];
	if (op == "HELLO") {
		uint32_t v;
		if (t.size() != 2 || !parse_u32(t[1], &v))
			return err(CTNIC_SIM_ERR_SYNTAX, "HELLO takes one number, the protocol version");
		if (v < CTNIC_SIM_PROTO_MIN_VERSION || v > CTNIC_SIM_PROTO_VERSION) {
			snprintf(buf, sizeof(buf), "this ctnic-sim speaks protocol %d to %d, not %" PRIu32,
				 CTNIC_SIM_PROTO_MIN_VERSION, CTNIC_SIM_PROTO_VERSION, v);
			return err(CTNIC_SIM_ERR_VERSION, buf);
		}
		s.hello = true;
		s.version = v;
		/* The answer names the version asked: a version-1 client reads its own. */
		snprintf(buf, sizeof(buf), "OK ctnic-sim %" PRIu32 " mem %s %zu", v,
			 mem.path.c_str(), mem.size);
		/* Version 3: the last EV sequence number sent; this connection gets the ones after it. */
		if (v >= 3)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " ev %" PRIu64, proto_ev_seq);
		return buf;
	}
	bool v3 = op == "FEED" || op == "RUN";
	if (op != "R" && op != "W" && op != "STATUS" && op != "RESET" && !v3)
		return err(CTNIC_SIM_ERR_SYNTAX, "unknown request '" + op.substr(0, 32) +
					      "': send HELLO, R, W, STATUS, RESET, FEED or RUN");
	if (!s.hello)
		return err(CTNIC_SIM_ERR_HELLO, "send 'HELLO " + std::to_string(CTNIC_SIM_PROTO_VERSION) +
					     "' first");
	if (v3 && s.version < 3)
		return err(CTNIC_SIM_ERR_SYNTAX, op + " is a request of protocol 3: this connection said HELLO " +
						      std::to_string(s.version));
	if (op == "FEED")
		return feed(t, card);
	if (op == "RUN")
		return run(t, card);
	if (op == "STATUS") {
		if (t.size() != 1)
			return err(CTNIC_SIM_ERR_SYNTAX, "STATUS takes no argument");
		snprintf(buf, sizeof(buf), "OK cycle %" PRIu64 " inputs %zu busy %d rx_enable %d",
			 card.cycle(), card.rx_left(), card.busy() ? 1 : 0, card.rx_enable() ? 1 : 0);
		return buf;
	}
	if (op == "RESET") {
		if (t.size() != 1)
			return err(CTNIC_SIM_ERR_SYNTAX, "RESET takes no argument");
		card.reset();
		return "OK";
	}

	uint32_t off, val = 0, resp = 0;
	size_t want = op == "R" ? 2 : 3;
	if (t.size() != want || !parse_u32(t[1], &off) || (want == 3 && !parse_u32(t[2], &val)))
		return err(CTNIC_SIM_ERR_SYNTAX, op == "R" ? "usage: R <offset>" : "usage: W <offset> <value>");
	if (off % 4 || off >= CTNIC_BAR0_SIZE) {
		snprintf(buf, sizeof(buf), "offset 0x%" PRIx32 " is not a 4-byte aligned BAR0 offset below 0x%x",
			 off, CTNIC_BAR0_SIZE);
		return err(CTNIC_SIM_ERR_RANGE, buf);
	}
	bool ok = op == "R" ? card.csr_read(off, &val, &resp) : card.csr_write(off, val, &resp);
	if (!ok) {
		snprintf(buf, sizeof(buf), "no AXI4-Lite response to %s 0x%04" PRIx32 ": the RTL is hung",
			 op == "R" ? "read" : "write", off);
		return err(CTNIC_SIM_ERR_BUS, buf);
	}
	if (resp) {
		snprintf(buf, sizeof(buf), "AXI4-Lite %s response %" PRIu32 " to %s 0x%04" PRIx32,
			 resp == 2 ? "SLVERR" : "DECERR", resp, op == "R" ? "read" : "write", off);
		return err(CTNIC_SIM_ERR_BUS, buf);
	}
	if (op == "W")
		return "OK";
	snprintf(buf, sizeof(buf), "OK 0x%08" PRIx32, val);
	return buf;
}
