/*
 * vbits.h - byte and bit access on a Verilator port of any width (CData,
 * SData, IData, QData or VlWide), for harnesses of the verilated card:
 * stream byte i of a beat is tdata[8i+7:8i], bit i of tkeep says it is there.
 * Include it rather than copying it (ctnic-sim, RTL benches).
 */
#ifndef CTNIC_SIM_VBITS_H
#define CTNIC_SIM_VBITS_H

#include <cstdint>
#include <type_traits>

namespace vbits {

template <typename T, typename std::enable_if<std::is_integral<T>::value, int>::type = 0>
uint8_t get_byte(const T &s, unsigned i)
{
	return (uint8_t)((uint64_t)s >> (8 * i));
}

template <typename T, typename std::enable_if<!std::is_integral<T>::value, int>::type = 0>
uint8_t get_byte(const T &s, unsigned i)
{
	return (uint8_t)(s[i / 4] >> (8 * (i % 4)));
}

template <typename T, typename std::enable_if<std::is_integral<T>::value, int>::type = 0>
void set_byte(T &s, unsigned i, uint8_t v)
{
	uint64_t x = (uint64_t)s;

	x &= ~((uint64_t)0xff << (8 * i));
	x |= (uint64_t)v << (8 * i);
	s = (T)x;
}

template <typename T, typename std::enable_if<!std::is_integral<T>::value, int>::type = 0>
void set_byte(T &s, unsigned i, uint8_t v)
{
	s[i / 4] = (s[i / 4] & ~(0xffu << (8 * (i % 4)))) | (uint32_t)v << (8 * (i % 4));
}

template <typename T>
bool get_bit(const T &s, unsigned i)
{
	return (get_byte(s, i / 8) >> (i % 8)) & 1u;
}

template <typename T>
void set_bit(T &s, unsigned i, bool v)
{
	uint8_t b = get_byte(s, i / 8);

	b = (uint8_t)(v ? b | 1u << (i % 8) : b & ~(1u << (i % 8)));
	set_byte(s, i / 8, b);
}

} // namespace vbits

#endif /* CTNIC_SIM_VBITS_H */
