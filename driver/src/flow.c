/*
 * flow.c - the flow hash and the packing of key entries, flow records, next
 * hops and punt descriptors (ctnic_flow.h; layouts in docs/contract.md).
 */
#include <string.h>

#include "ctnic_flow.h"

void ctnic_key_bytes(const struct ctnic_key *k, uint8_t out[CTNIC_KEY_BYTES])
{
	out[0] = (uint8_t)(k->saddr >> 24);
	out[1] = (uint8_t)(k->saddr >> 16);
	out[2] = (uint8_t)(k->saddr >> 8);
	out[3] = (uint8_t)k->saddr;
	out[4] = (uint8_t)(k->daddr >> 24);
	out[5] = (uint8_t)(k->daddr >> 16);
	out[6] = (uint8_t)(k->daddr >> 8);
	out[7] = (uint8_t)k->daddr;
	out[8] = (uint8_t)(k->sport >> 8);
	out[9] = (uint8_t)k->sport;
	out[10] = (uint8_t)(k->dport >> 8);
	out[11] = (uint8_t)k->dport;
	out[12] = k->proto;
}

uint32_t ctnic_crc32c(const void *buf, size_t len)
{
	/* Bitwise on purpose: the spec, not the fast path (RFC 3720 B.4). */
	const uint8_t *p = buf;
	uint32_t crc = 0xffffffffu;

	while (len--) {
		crc ^= *p++;
		for (int i = 0; i < 8; i++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
	}
	return ~crc;
}

uint32_t ctnic_key_hash(const struct ctnic_key *k)
{
	uint8_t b[CTNIC_KEY_BYTES];

	ctnic_key_bytes(k, b);
	return ctnic_crc32c(b, sizeof(b));
}

void ctnic_key_entry_pack(const struct ctnic_key_entry *e, uint32_t w[CTNIC_KEY_WORDS])
{
	w[0] = e->key.saddr;
	w[1] = e->key.daddr;
	w[2] = (uint32_t)e->key.sport << 16 | e->key.dport;
	w[3] = (uint32_t)e->valid << 31 | (uint32_t)e->reply << 30 |
	       (e->flow_id & CTNIC_FLOW_ID_MAX) << 8 | e->key.proto;
}

void ctnic_key_entry_unpack(const uint32_t w[CTNIC_KEY_WORDS], struct ctnic_key_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->key.saddr = w[0];
	e->key.daddr = w[1];
	e->key.sport = (uint16_t)(w[2] >> 16);
	e->key.dport = (uint16_t)w[2];
	e->key.proto = (uint8_t)w[3];
	e->flow_id = (w[3] >> 8) & CTNIC_FLOW_ID_MAX;
	e->reply = (w[3] >> 30) & 1u;
	e->valid = (w[3] >> 31) & 1u;
}

void ctnic_flow_pack(const struct ctnic_flow *f, uint32_t w[CTNIC_FLOW_WORDS])
{
	for (int d = 0; d < 2; d++) {
		const struct ctnic_flow_dir *x = &f->dir[d];

		w[4 * d + 0] = x->saddr;
		w[4 * d + 1] = x->daddr;
		w[4 * d + 2] = (uint32_t)x->sport << 16 | x->dport;
		w[4 * d + 3] = (x->action & 3u) | (uint32_t)x->ttl_dec << 2 |
			       (uint32_t)x->nexthop << 8;
	}
	w[8] = (uint32_t)f->valid | (uint32_t)(f->tclass & 15u) << 4 |
	       (uint32_t)f->generation << 16;
	w[9] = f->last_seen;
	w[10] = f->pkts[0];
	w[11] = (uint32_t)f->bytes[0];
	w[12] = f->pkts[1];
	w[13] = (uint32_t)f->bytes[1];
	w[14] = (uint32_t)(f->bytes[0] >> 32 & 0xffffu) | (uint32_t)(f->bytes[1] >> 32 & 0xffffu) << 16;
	w[15] = 0;
}

void ctnic_flow_unpack(const uint32_t w[CTNIC_FLOW_WORDS], struct ctnic_flow *f)
{
	memset(f, 0, sizeof(*f));
	for (int d = 0; d < 2; d++) {
		struct ctnic_flow_dir *x = &f->dir[d];

		x->saddr = w[4 * d + 0];
		x->daddr = w[4 * d + 1];
		x->sport = (uint16_t)(w[4 * d + 2] >> 16);
		x->dport = (uint16_t)w[4 * d + 2];
		x->action = w[4 * d + 3] & 3u;
		x->ttl_dec = (w[4 * d + 3] >> 2) & 1u;
		x->nexthop = (uint8_t)(w[4 * d + 3] >> 8);
	}
	f->valid = w[8] & 1u;
	f->tclass = (w[8] >> 4) & 15u;
	f->generation = (uint16_t)(w[8] >> 16);
	f->last_seen = w[9];
	f->pkts[0] = w[10];
	f->bytes[0] = w[11] | (uint64_t)(w[14] & 0xffffu) << 32;
	f->pkts[1] = w[12];
	f->bytes[1] = w[13] | (uint64_t)(w[14] >> 16) << 32;
}

void ctnic_nexthop_pack(const struct ctnic_nexthop *n, uint32_t w[CTNIC_NH_WORDS])
{
	const uint8_t *d = n->dst_mac, *s = n->src_mac;

	w[0] = (uint32_t)n->valid << 31 | (uint32_t)n->rewrite_macs << 4 | (n->port & 15u);
	w[1] = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
	w[2] = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 | (uint32_t)s[0] << 8 | s[1];
	w[3] = (uint32_t)s[2] << 24 | (uint32_t)s[3] << 16 | (uint32_t)s[4] << 8 | s[5];
}

void ctnic_nexthop_unpack(const uint32_t w[CTNIC_NH_WORDS], struct ctnic_nexthop *n)
{
	memset(n, 0, sizeof(*n));
	n->valid = (w[0] >> 31) & 1u;
	n->rewrite_macs = (w[0] >> 4) & 1u;
	n->port = w[0] & 15u;
	for (int i = 0; i < 4; i++)
		n->dst_mac[i] = (uint8_t)(w[1] >> (24 - 8 * i));
	n->dst_mac[4] = (uint8_t)(w[2] >> 24);
	n->dst_mac[5] = (uint8_t)(w[2] >> 16);
	n->src_mac[0] = (uint8_t)(w[2] >> 8);
	n->src_mac[1] = (uint8_t)w[2];
	for (int i = 0; i < 4; i++)
		n->src_mac[2 + i] = (uint8_t)(w[3] >> (24 - 8 * i));
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t get_le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void ctnic_punt_desc_pack(const struct ctnic_punt_desc *d, uint8_t out[CTNIC_PUNT_DESC_BYTES])
{
	put_le16(out, d->len);
	out[2] = d->reason;
	out[3] = d->port;
	put_le32(out + 4, (d->flow_id & CTNIC_FLOW_ID_MAX) | (uint32_t)d->reply << 30 |
			  (uint32_t)d->flow_valid << 31);
	put_le32(out + 8, d->tick);
	out[12] = d->l3_off;
	out[13] = d->l4_off;
	out[14] = d->tcp_flags;
	out[15] = 0;
}

void ctnic_punt_desc_unpack(const uint8_t in[CTNIC_PUNT_DESC_BYTES], struct ctnic_punt_desc *d)
{
	uint32_t f = get_le32(in + 4);

	memset(d, 0, sizeof(*d));
	d->len = (uint16_t)(in[0] | in[1] << 8);
	d->reason = in[2];
	d->port = in[3];
	d->flow_id = f & CTNIC_FLOW_ID_MAX;
	d->reply = (f >> 30) & 1u;
	d->flow_valid = (f >> 31) & 1u;
	d->tick = get_le32(in + 8);
	d->l3_off = in[12];
	d->l4_off = in[13];
	d->tcp_flags = in[14];
}
