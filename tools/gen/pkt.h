/* Ethernet/IPv4/TCP and UDP frame building for the traffic generators.
 *
 * Addresses and ports are in host byte order here; the builder writes them
 * in network order and fills in the IPv4 header checksum (RFC 791) and the
 * TCP or UDP checksum over the pseudo header (RFC 793 section 3.1, RFC 768;
 * a UDP checksum that computes to zero is sent as 0xFFFF).
 */
#ifndef CTNIC_GEN_PKT_H
#define CTNIC_GEN_PKT_H

#include <stddef.h>
#include <stdint.h>

#define CTNIC_TCP_FIN 0x01
#define CTNIC_TCP_SYN 0x02
#define CTNIC_TCP_RST 0x04
#define CTNIC_TCP_PSH 0x08
#define CTNIC_TCP_ACK 0x10

/* Ethernet 14 + IPv4 20 + TCP 20 + options 4 (MSS on SYN) + payload. */
#define CTNIC_PKT_MAX 1514

struct ctnic_tcp_frame {
	uint8_t  dst_mac[6];
	uint8_t  src_mac[6];
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint16_t ip_id;
	uint8_t  ttl;
	uint32_t seq, ack;
	uint8_t  flags;
	uint16_t window;
	uint16_t mss;           /* MSS option when non-zero (SYN segments) */
	const uint8_t *payload;
	size_t   payload_len;
};

struct ctnic_udp_frame {
	uint8_t  dst_mac[6];
	uint8_t  src_mac[6];
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint16_t ip_id;
	uint8_t  ttl;
	const uint8_t *payload;
	size_t   payload_len;
};

/* Write the frame into buf (CTNIC_PKT_MAX bytes). Return its length, or 0
 * when the payload does not fit. */
size_t ctnic_tcp_frame_build(const struct ctnic_tcp_frame *f, uint8_t *buf);
size_t ctnic_udp_frame_build(const struct ctnic_udp_frame *f, uint8_t *buf);

/* The Internet checksum (RFC 1071) of len bytes, folded, not inverted,
 * starting from sum. */
uint32_t ctnic_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t ctnic_csum_fold(uint32_t sum);

/* "a:b:c:d:e:f" to 6 bytes; "a.b.c.d" to a host-order address. 0 or -1. */
int ctnic_parse_mac(const char *s, uint8_t mac[6]);
int ctnic_parse_ipv4(const char *s, uint32_t *addr);
/* "a.b.c.d:port"; with need_port 0 the ":port" part may be left out. */
int ctnic_parse_ipv4_port(const char *s, uint32_t *addr, uint16_t *port, int need_port);

#endif
