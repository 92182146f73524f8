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

/* A whole token as a 32-bit number (decimal or 0x-hex), nothing left over. */
bool parse_u32(const std::string &tok, uint32_t *v)
{
	char *end;
	unsigned long long x;

	if (tok.empty() || tok[0] == '-' || tok[0] == '+')
		return false;
	errno = 0;
	x = strtoull(tok.c_str(), &end, 0);
	if (errno || *end || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

bool printable(const std::string &s)
{
	for (unsigned char c : s)
		if (c < 0x20 || c > 0x7e)
			return false;
	return true;
}

} // namespace

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
		return err(CTNIC_SIM_ERR_SYNTAX, "empty request: send HELLO, R, W, STATUS or RESET");

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
		/* The answer names the version asked: a version-1 client reads its own. */
		snprintf(buf, sizeof(buf), "OK ctnic-sim %" PRIu32 " mem %s %zu", v,
			 mem.path.c_str(), mem.size);
		return buf;
	}
	if (op != "R" && op != "W" && op != "STATUS" && op != "RESET")
		return err(CTNIC_SIM_ERR_SYNTAX, "unknown request '" + op.substr(0, 32) +
					      "': send HELLO, R, W, STATUS or RESET");
	if (!s.hello)
		return err(CTNIC_SIM_ERR_HELLO, "send 'HELLO " + std::to_string(CTNIC_SIM_PROTO_VERSION) +
					     "' first");
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
