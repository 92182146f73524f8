/*
 * ctnic_flow.h - the flow table as the card sees it: keys, the hash, key
 * entries, flow records and next hops, and their packing into the 32-bit
 * words of the table window (TBL_DATA) and the command ring.
 *
 * docs/contract.md is the prose of this header; both must agree. The card,
 * the C reference model (sim/model) and the daemon all use these functions:
 * there is one hash and one packing.
 */
#ifndef CTNIC_FLOW_H
#define CTNIC_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctnic_regs.h"

/*
 * A flow key: the IPv4 5-tuple of one direction. Addresses and ports are in
 * host byte order here (192.0.2.1 is 0xc0000201). ICMP echo uses the echo
 * identifier as sport and 0 as dport.
 */
struct ctnic_key {
	uint32_t saddr;
	uint32_t daddr;
	uint16_t sport;
	uint16_t dport;
	uint8_t proto;
};

/* Bytes of a key as hashed: saddr, daddr, sport, dport (network order), proto. */
#define CTNIC_KEY_BYTES 13u

/* Serializes a key into its 13 hashed bytes. */
void ctnic_key_bytes(const struct ctnic_key *k, uint8_t out[CTNIC_KEY_BYTES]);

/* CRC-32C (Castagnoli; reflected, poly 0x82F63B78, init and final xor ~0). */
uint32_t ctnic_crc32c(const void *buf, size_t len);

/* The flow hash: CRC-32C of the key's 13 bytes. */
uint32_t ctnic_key_hash(const struct ctnic_key *k);

/*
 * Candidate buckets of a key: sub-table 0 takes hash bits 15:0, sub-table 1
 * hash bits 31:16, each masked to the bucket count (a power of two, at most
 * 65536).
 */
static inline uint32_t ctnic_bucket(uint32_t hash, unsigned subtable, uint32_t buckets)
{
	return (subtable ? hash >> 16 : hash) & (buckets - 1u);
}

/* Slot index of a key entry, as written to TBL_INDEX. */
static inline uint32_t ctnic_slot(unsigned subtable, uint32_t bucket, unsigned way,
				  uint32_t buckets, unsigned ways)
{
	return (subtable * buckets + bucket) * ways + way;
}

/* A key entry: a key, and which flow record and direction it leads to. */
struct ctnic_key_entry {
	bool valid;
	bool reply; /* false: the connection's original direction */
	uint32_t flow_id; /* 22 bits */
	struct ctnic_key key;
};

#define CTNIC_FLOW_ID_BITS 22u
#define CTNIC_FLOW_ID_MAX ((1u << CTNIC_FLOW_ID_BITS) - 1u)

void ctnic_key_entry_pack(const struct ctnic_key_entry *e, uint32_t w[CTNIC_KEY_WORDS]);
void ctnic_key_entry_unpack(const uint32_t w[CTNIC_KEY_WORDS], struct ctnic_key_entry *e);

/* What the card does with one direction of a flow. */
struct ctnic_flow_dir {
	/* The tuple the packet leaves with (equal to the incoming one: no NAT). */
	uint32_t saddr;
	uint32_t daddr;
	uint16_t sport;
	uint16_t dport;
	uint8_t action; /* enum ctnic_action */
	bool ttl_dec;
	uint8_t nexthop;
};

/* A flow record: both directions of one connection. */
struct ctnic_flow {
	struct ctnic_flow_dir dir[2]; /* [0] original, [1] reply */
	bool valid;
	uint8_t tclass;       /* timeout class, 0..15 */
	uint16_t generation;  /* bumped by software when a flow id is reused */
	uint32_t last_seen;   /* device tick, low 32 bits; the card updates it */
	uint32_t pkts[2];     /* per direction; the card updates them */
	uint64_t bytes[2];    /* per direction, 48 bits kept */
};

void ctnic_flow_pack(const struct ctnic_flow *f, uint32_t w[CTNIC_FLOW_WORDS]);
void ctnic_flow_unpack(const uint32_t w[CTNIC_FLOW_WORDS], struct ctnic_flow *f);

/* A next hop: where a forwarded packet leaves and with which MACs. */
struct ctnic_nexthop {
	bool valid;
	bool rewrite_macs;
	uint8_t port;
	uint8_t dst_mac[6];
	uint8_t src_mac[6];
};

void ctnic_nexthop_pack(const struct ctnic_nexthop *n, uint32_t w[CTNIC_NH_WORDS]);
void ctnic_nexthop_unpack(const uint32_t w[CTNIC_NH_WORDS], struct ctnic_nexthop *n);

/*
 * The 16-byte descriptor in front of every packet the card sends to the
 * host (AXI4-Stream tuser on the host path, and the punt ring entry header).
 * All fields little-endian.
 */
struct ctnic_punt_desc {
	uint16_t len;      /* packet bytes that follow */
	uint8_t reason;    /* enum ctnic_punt */
	uint8_t port;      /* ingress port */
	uint32_t flow_id;  /* valid when flow_valid */
	bool reply;        /* the key entry's direction */
	bool flow_valid;   /* a key entry matched */
	uint32_t tick;     /* device tick when the packet was looked up (low 32 bits) */
	uint8_t l3_off;    /* offset of the IPv4 header (14 or 18), 0 when none */
	uint8_t l4_off;    /* offset of the L4 header, 0 when none */
	uint8_t tcp_flags; /* TCP header byte 13, 0 when not TCP */
};

void ctnic_punt_desc_pack(const struct ctnic_punt_desc *d, uint8_t out[CTNIC_PUNT_DESC_BYTES]);
void ctnic_punt_desc_unpack(const uint8_t in[CTNIC_PUNT_DESC_BYTES], struct ctnic_punt_desc *d);

/* Host injection: tuser of the host-to-card stream (see docs/contract.md). */
#define CTNIC_INJECT_PORT_MASK 0x0fu
#define CTNIC_INJECT_LOOKUP    0x10u /* run through the pipeline as if received on PORT */

#endif /* CTNIC_FLOW_H */
