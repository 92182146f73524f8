/*
 * pkt.h - what ctnicd reads from and writes into frames itself: the fields
 * of a punted frame, ICMP errors translated with their quoted header, and
 * the packets the daemon originates (ICMP time exceeded, TCP RST, ARP).
 * The forward rewrite of ordinary packets is the card's own
 * (ctnic_model_rewrite), not here.
 */
#ifndef CTNICD_PKT_H
#define CTNICD_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctnic_flow.h"

#define CTNICD_ETH_IPV4 0x0800u
#define CTNICD_ETH_ARP  0x0806u
#define CTNICD_FRAME_MAX 9216u

/* A frame's headers as far as they are there. */
struct ctnicd_pkt {
	uint16_t ethertype;
	unsigned l3, l4;             /* offsets; l4 0 for fragments after the first */
	unsigned ip_end;             /* l3 + IPv4 total length */
	uint8_t proto, ttl;
	uint8_t tcp_flags;
	uint8_t icmp_type;
	bool frag;                   /* MF or an offset */
	struct ctnic_key key;        /* the lookup key (ICMP echo: identifier, 0) */
};

/* Parses Ethernet (one 802.1Q tag), IPv4, the L4 ports; -1 when the IPv4 part is malformed. */
int ctnicd_pkt_parse(const uint8_t *f, size_t len, struct ctnicd_pkt *p);

/* The one's-complement sum of len bytes added to sum (RFC 1071), not folded. */
uint32_t ctnicd_csum_add(uint32_t sum, const void *buf, size_t len);
/* Folded and inverted: the checksum field's value. */
uint16_t ctnicd_csum_fin(uint32_t sum);

/* The quoted packet inside an ICMP error: its tuple as quoted. -1 when the quote is too short. */
int ctnicd_icmp_inner(const uint8_t *f, const struct ctnicd_pkt *p, struct ctnic_key *inner);

/*
 * Translates an ICMP error in place: the outer addresses become osrc/odst,
 * the quoted packet's tuple becomes *inner (addresses, ports or echo
 * identifier), TTL decremented when ttl_dec; every checksum (outer IPv4,
 * ICMP, quoted IPv4 and, when quoted whole, TCP/UDP) follows incrementally
 * (RFC 1624). -1 when the quote is too short.
 */
int ctnicd_icmp_translate(uint8_t *f, const struct ctnicd_pkt *p, uint32_t osrc, uint32_t odst,
			  const struct ctnic_key *inner, bool ttl_dec);

/*
 * ICMP time exceeded (type 11 code 0) for the frame f from address `from`
 * and MAC `mac`, back to the frame's sender (its source MAC): IPv4 header
 * and the first 8 bytes of its payload quoted (RFC 792). Returns the length
 * written into out (at least 70 bytes plus options room, 128 is enough).
 */
size_t ctnicd_build_time_exceeded(uint8_t *out, const uint8_t *f, const struct ctnicd_pkt *p,
				  uint32_t from, const uint8_t mac[6]);

/*
 * A TCP RST answering segment f (RFC 793 "Reset Generation"), from the
 * address and port it was sent to, back to its sender's MAC from `mac`.
 * Returns the length (54 bytes).
 */
size_t ctnicd_build_rst(uint8_t *out, const uint8_t *f, const struct ctnicd_pkt *p, const uint8_t mac[6]);

/* ARP: opcode 1 request or 2 reply, written into out; returns the length (42 bytes). */
size_t ctnicd_build_arp(uint8_t *out, uint16_t op, const uint8_t sha[6], uint32_t spa,
			const uint8_t tha[6], uint32_t tpa, const uint8_t dst[6]);

/* An ARP packet's fields: 0, or -1 when it is not Ethernet/IPv4 ARP. */
int ctnicd_arp_parse(const uint8_t *f, size_t len, uint16_t *op, uint8_t sha[6], uint32_t *spa,
		     uint32_t *tpa);

#endif /* CTNICD_PKT_H */
