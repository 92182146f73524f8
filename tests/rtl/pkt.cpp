/* pkt.cpp - test frames and a from-scratch checksum check (pkt.h). */
#include "pkt.h"

namespace {

void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* RFC 1071: the one's-complement sum, computed the slow and obvious way. */
uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

uint32_t pseudo(const uint8_t *ip, uint8_t proto, size_t l4len)
{
	uint32_t s = sum16(ip + 12, 8, 0);

	return s + proto + (uint32_t)l4len;
}

} // namespace

uint16_t pkt_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t pkt_get32(const uint8_t *p)
{
	return (uint32_t)pkt_get16(p) << 16 | pkt_get16(p + 2);
}

size_t pkt_l3(const std::vector<uint8_t> &f)
{
	return f.size() >= 14 && pkt_get16(&f[12]) == 0x8100 ? 18 : 14;
}

void pkt_fix_ipcsum(std::vector<uint8_t> &f)
{
	size_t l3 = pkt_l3(f);
	size_t hl = (size_t)(f[l3] & 15) * 4;

	put16(&f[l3 + 10], 0);
	put16(&f[l3 + 10], (uint16_t)~fold(sum16(&f[l3], hl, 0)));
}

std::vector<uint8_t> pkt_build(const PktSpec &s)
{
	size_t l3 = s.vlan ? 18 : 14;
	size_t hl = (size_t)s.ihl * 4;
	size_t l4h = s.proto == 6 ? 20 : 8;
	size_t l4len = l4h + s.payload;
	size_t tot = hl + l4len;
	size_t len = l3 + tot;
	uint32_t x = s.seed * 2654435761u + 1;
	std::vector<uint8_t> f(len > s.pad_to ? len : s.pad_to, 0);

	for (int i = 0; i < 12; i++) {
		x = x * 1103515245u + 12345u;
		f[i] = (uint8_t)(x >> 16);
	}
	f[0] &= 0xfe; /* unicast */
	if (s.vlan) {
		put16(&f[12], 0x8100);
		put16(&f[14], s.vid);
		put16(&f[16], s.ethertype);
	} else {
		put16(&f[12], s.ethertype);
	}
	uint8_t *ip = &f[l3];
	ip[0] = (uint8_t)(s.version << 4 | (s.ihl & 15));
	put16(ip + 2, (uint16_t)tot);
	put16(ip + 4, (uint16_t)(s.seed & 0xffff));
	put16(ip + 6, s.frag);
	ip[8] = s.ttl;
	ip[9] = s.proto;
	put32(ip + 12, s.saddr);
	put32(ip + 16, s.daddr);
	for (size_t i = 20; i < hl; i++)
		ip[i] = 1; /* NOP options */
	uint8_t *l4 = ip + hl;
	for (size_t i = l4h; i < l4len; i++) {
		x = x * 1103515245u + 12345u;
		l4[i] = (uint8_t)(x >> 16);
	}
	if (s.proto == 6) {
		put16(l4, s.sport);
		put16(l4 + 2, s.dport);
		put32(l4 + 4, x);
		l4[12] = 5 << 4;
		l4[13] = s.tcp_flags;
		put16(l4 + 14, 65535);
		put16(l4 + 16, (uint16_t)~fold(sum16(l4, l4len, pseudo(ip, 6, l4len))));
	} else if (s.proto == 17) {
		put16(l4, s.sport);
		put16(l4 + 2, s.dport);
		put16(l4 + 4, (uint16_t)l4len);
		if (!s.udp_zero_csum) {
			uint16_t c = (uint16_t)~fold(sum16(l4, l4len, pseudo(ip, 17, l4len)));
			put16(l4 + 6, c ? c : 0xffff);
		}
	} else if (s.proto == 1) {
		l4[0] = s.icmp_type;
		put16(l4 + 4, s.sport);
		put16(l4 + 6, (uint16_t)s.seed);
		put16(l4 + 2, (uint16_t)~fold(sum16(l4, l4len, 0)));
	}
	put16(ip + 10, (uint16_t)~fold(sum16(ip, hl, 0)));
	return f;
}

std::string pkt_verify(const std::vector<uint8_t> &f)
{
	size_t l3 = pkt_l3(f);

	if (f.size() < l3 + 20)
		return "frame too short for IPv4";
	const uint8_t *ip = &f[l3];
	size_t hl = (size_t)(ip[0] & 15) * 4;
	size_t tot = pkt_get16(ip + 2);

	if (l3 + tot > f.size() || tot < hl)
		return "IPv4 total length wrong";
	if (fold(sum16(ip, hl, 0)) != 0xffff)
		return "IPv4 header checksum wrong";
	const uint8_t *l4 = ip + hl;
	size_t l4len = tot - hl;

	switch (ip[9]) {
	case 6:
		if (fold(sum16(l4, l4len, pseudo(ip, 6, l4len))) != 0xffff)
			return "TCP checksum wrong";
		break;
	case 17:
		if (pkt_get16(l4 + 6) != 0 && fold(sum16(l4, l4len, pseudo(ip, 17, l4len))) != 0xffff)
			return "UDP checksum wrong";
		break;
	case 1:
		if (fold(sum16(l4, l4len, 0)) != 0xffff)
			return "ICMP checksum wrong";
		break;
	}
	return "";
}
