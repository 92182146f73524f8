/*
 * frames.h - test frames built from scratch: Ethernet II, IPv4, TCP or UDP,
 * every checksum computed over the whole header and payload (RFC 791, 793,
 * 768), never by updating another one. The system tests build what the
 * card must send this way, so the card's incremental updates (RFC 1624)
 * are checked against an independent oracle.
 */
#ifndef CTNIC_TEST_FRAMES_H
#define CTNIC_TEST_FRAMES_H

#include <stddef.h>
#include <stdint.h>

struct tframe {
	uint8_t dmac[6], smac[6];
	uint32_t saddr, daddr;  /* host order: 192.0.2.1 is 0xc0000201 */
	uint16_t sport, dport;
	uint8_t proto;          /* 6 or 17 */
	uint8_t ttl;
	uint16_t ip_id;
	uint8_t tcp_flags;
	uint32_t seq, ack;
	int udp_zero_csum;      /* send the UDP checksum as 0 ("none", RFC 768) */
	const uint8_t *payload;
	size_t plen;
};

/* The Internet checksum of buf, folded, not complemented, starting from sum. */
uint32_t tframe_sum(const uint8_t *buf, size_t len, uint32_t sum);

/* Writes the frame into out (cap bytes); returns its length, 0 when it does not fit. */
size_t tframe_build(const struct tframe *f, uint8_t *out, size_t cap);

/* "a.b.c.d" as a host-order address; aborts on a typo in the test itself. */
uint32_t tframe_addr(const char *s);

#endif /* CTNIC_TEST_FRAMES_H */
