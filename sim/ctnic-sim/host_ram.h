/*
 * host_ram.h - the host RAM behind the card's AXI4 master (docs/rings.md):
 * an AXI4 slave over the shared-memory file, device address = file offset.
 *
 * It serves whatever AXI4 master the verilated top has (m_axi_*, any data
 * width; IDs and burst type when present), one write burst and one read
 * burst at a time, INCR bursts (FIXED repeats the address). A beat outside
 * the file is not done and answers DECERR (for a write, the whole burst's
 * BRESP). A top with no m_axi_awvalid compiles to nothing here.
 */
#ifndef CTNIC_SIM_HOST_RAM_H
#define CTNIC_SIM_HOST_RAM_H

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "vbits.h"

namespace host_ram {

constexpr unsigned RESP_OKAY = 0, RESP_DECERR = 3;
constexpr unsigned BURST_FIXED = 0;

struct State {
	uint8_t *mem = nullptr;
	size_t size = 0;
	/* The write burst in progress, then its response. */
	bool w_active = false, b_pending = false, w_err = false;
	uint64_t w_addr = 0;
	unsigned w_bytes = 0, w_burst = 1;
	uint64_t w_id = 0;
	/* The read burst in progress. */
	bool r_active = false;
	uint64_t r_addr = 0;
	unsigned r_left = 0, r_bytes = 0, r_burst = 1;
	uint64_t r_id = 0;
};

/* Optional signals: IDs and burst types are echoed or used when the top has them. */
template <typename T> auto aw_id(T *t, int) -> decltype((uint64_t)t->m_axi_awid) { return t->m_axi_awid; }
template <typename T> uint64_t aw_id(T *, long) { return 0; }
template <typename T> auto ar_id(T *t, int) -> decltype((uint64_t)t->m_axi_arid) { return t->m_axi_arid; }
template <typename T> uint64_t ar_id(T *, long) { return 0; }
template <typename T> auto set_bid(T *t, uint64_t v, int) -> decltype(t->m_axi_bid = 0, void()) { t->m_axi_bid = (decltype(t->m_axi_bid))v; }
template <typename T> void set_bid(T *, uint64_t, long) {}
template <typename T> auto set_rid(T *t, uint64_t v, int) -> decltype(t->m_axi_rid = 0, void()) { t->m_axi_rid = (decltype(t->m_axi_rid))v; }
template <typename T> void set_rid(T *, uint64_t, long) {}
template <typename T> auto aw_burst(T *t, int) -> decltype((unsigned)t->m_axi_awburst) { return t->m_axi_awburst; }
template <typename T> unsigned aw_burst(T *, long) { return 1; }
template <typename T> auto ar_burst(T *t, int) -> decltype((unsigned)t->m_axi_arburst) { return t->m_axi_arburst; }
template <typename T> unsigned ar_burst(T *, long) { return 1; }

/* Bytes of one data beat. */
template <typename T> constexpr unsigned width(T *) { return sizeof(T::m_axi_wdata); }

/* The data-width window holding addr, if it lies inside the file. */
inline bool window(const State &s, uint64_t addr, unsigned dw, uint64_t *base)
{
	*base = addr - addr % dw;
	return *base < s.size && s.size - *base >= dw;
}

inline uint64_t next_addr(uint64_t addr, unsigned bytes, unsigned burst)
{
	return burst == BURST_FIXED ? addr : addr - addr % bytes + bytes;
}

/* Before the clock edge: what the slave presents. */
template <typename T>
auto drive(T *t, const State &s, int) -> decltype(t->m_axi_awvalid, void())
{
	const unsigned dw = width(t);
	uint64_t base;
	bool ok = s.r_active && window(s, s.r_addr, dw, &base);

	t->m_axi_awready = !s.w_active && !s.b_pending;
	t->m_axi_wready = s.w_active;
	t->m_axi_bvalid = s.b_pending;
	t->m_axi_bresp = s.w_err ? RESP_DECERR : RESP_OKAY;
	set_bid(t, s.w_id, 0);
	t->m_axi_arready = !s.r_active;
	t->m_axi_rvalid = s.r_active;
	t->m_axi_rlast = s.r_active && s.r_left == 1;
	t->m_axi_rresp = s.r_active && !ok ? RESP_DECERR : RESP_OKAY;
	set_rid(t, s.r_id, 0);
	for (unsigned j = 0; j < dw; j++)
		vbits::set_byte(t->m_axi_rdata, j, ok ? s.mem[base + j] : 0);
}
template <typename T>
void drive(T *, const State &, long) {}

/* At the clock edge: the handshakes that happen. Returns whether anything moved. */
template <typename T>
auto sample(T *t, State &s, int) -> decltype(t->m_axi_awvalid, bool())
{
	const unsigned dw = width(t);
	bool moved = t->m_axi_awvalid || t->m_axi_wvalid || t->m_axi_arvalid || s.w_active || s.b_pending ||
		     s.r_active;
	/* What drive() presented this cycle, before any of it changes below. */
	const bool awready = !s.w_active && !s.b_pending;
	uint64_t base;

	if (s.b_pending && t->m_axi_bready)
		s.b_pending = false;
	if (s.w_active && t->m_axi_wvalid) {
		if (window(s, s.w_addr, dw, &base)) {
			for (unsigned j = 0; j < dw; j++)
				if (vbits::get_bit(t->m_axi_wstrb, j))
					s.mem[base + j] = vbits::get_byte(t->m_axi_wdata, j);
		} else {
			s.w_err = true;
		}
		s.w_addr = next_addr(s.w_addr, s.w_bytes, s.w_burst);
		if (t->m_axi_wlast) {
			s.w_active = false;
			s.b_pending = true;
		}
	}
	if (awready && t->m_axi_awvalid) {
		s.w_active = true;
		s.w_err = false;
		s.w_addr = t->m_axi_awaddr;
		s.w_bytes = 1u << t->m_axi_awsize;
		s.w_burst = aw_burst(t, 0);
		s.w_id = aw_id(t, 0);
	}
	if (s.r_active && t->m_axi_rready) {
		s.r_addr = next_addr(s.r_addr, s.r_bytes, s.r_burst);
		s.r_active = --s.r_left != 0;
	} else if (!s.r_active && t->m_axi_arvalid) {
		s.r_active = true;
		s.r_addr = t->m_axi_araddr;
		s.r_left = (unsigned)t->m_axi_arlen + 1;
		s.r_bytes = 1u << t->m_axi_arsize;
		s.r_burst = ar_burst(t, 0);
		s.r_id = ar_id(t, 0);
	}
	return moved;
}
template <typename T>
bool sample(T *, State &, long)
{
	return false;
}

} // namespace host_ram

#endif /* CTNIC_SIM_HOST_RAM_H */
