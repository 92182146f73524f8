/*
 * pkt.h - frames for the RTL tests: a builder for Ethernet / 802.1Q / IPv4 /
 * TCP / UDP / ICMP frames with correct checksums, the malformations the
 * card must catch, and a checker that recomputes every checksum of a frame
 * from scratch (independently of the model's incremental update).
 */
#ifndef CTNIC_TEST_PKT_H
#define CTNIC_TEST_PKT_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

struct PktSpec {
	bool vlan = false;
	uint16_t vid = 100;
	uint16_t ethertype = 0x0800;
	uint8_t version = 4;
	uint8_t ihl = 5;          /* words; options are NOPs */
	uint8_t ttl = 64;
	uint8_t proto = 6;
	uint16_t frag = 0;        /* flags and offset word */
	uint32_t saddr = 0x0a000001;
	uint32_t daddr = 0x0a000002;
	uint16_t sport = 1234;    /* ICMP echo: identifier */
	uint16_t dport = 80;
	uint8_t tcp_flags = 0x10; /* ACK */
	uint8_t icmp_type = 8;
	bool udp_zero_csum = false;
	size_t payload = 18;      /* L4 payload bytes */
	size_t pad_to = 60;       /* frame padded with zeros up to this length */
	uint32_t seed = 1;        /* payload and MAC bytes */
};

/* Builds the frame (without FCS). Every checksum is correct. */
std::vector<uint8_t> pkt_build(const PktSpec &s);

/* Offset of the IPv4 header (14 or 18). */
size_t pkt_l3(const std::vector<uint8_t> &f);

/* Sets the IPv4 header checksum right again after a change. */
void pkt_fix_ipcsum(std::vector<uint8_t> &f);

/*
 * Recomputes the IPv4 header checksum and the TCP/UDP/ICMP checksum of an
 * IPv4 frame from its bytes. Returns "" when they verify, else what is wrong.
 */
std::string pkt_verify(const std::vector<uint8_t> &f);

uint16_t pkt_get16(const uint8_t *p);
uint32_t pkt_get32(const uint8_t *p);

#endif /* CTNIC_TEST_PKT_H */
