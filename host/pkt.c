/*
 * pkt.c - frames ctnicd parses and builds itself (pkt.h).
 */
#include <endian.h>
#include <string.h>

#include "ctnic_model.h"
#include "pkt.h"

/* Network-order fields at any alignment. */
static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return be16toh(v);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

static void put16(uint8_t *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, sizeof(v));
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
}

int ctnicd_pkt_parse(const uint8_t *f, size_t len, struct ctnicd_pkt *p)
{
	unsigned l3 = 14, ihl, tot, off;

	memset(p, 0, sizeof(*p));
	if (len < 14)
		return -1;
	p->ethertype = get16(f + 12);
	if (p->ethertype == 0x8100u) {
		if (len < 18)
			return -1;
		p->ethertype = get16(f + 16);
		l3 = 18;
	}
	if (p->ethertype != CTNICD_ETH_IPV4)
		return 0;
	if (len < l3 + 20u || f[l3] >> 4 != 4)
		return -1;
	ihl = (f[l3] & 15u) * 4u;
	tot = get16(f + l3 + 2);
	if (ihl < 20 || tot < ihl || l3 + tot > len)
		return -1;
	off = get16(f + l3 + 6);
	p->l3 = l3;
	p->ip_end = l3 + tot;
	p->frag = (off & 0x3fffu) != 0;
	p->l4 = (off & 0x1fffu) ? 0 : l3 + ihl;
	p->proto = f[l3 + 9];
	p->ttl = f[l3 + 8];
	p->key.saddr = get32(f + l3 + 12);
	p->key.daddr = get32(f + l3 + 16);
	p->key.proto = p->proto;
	if (!p->l4)
		return 0;
	switch (p->proto) {
	case 6:
		if (p->l4 + 20u > p->ip_end)
			return -1;
		p->tcp_flags = f[p->l4 + 13];
		break;
	case 17:
		if (p->l4 + 8u > p->ip_end)
			return -1;
		break;
	case 1:
		if (p->l4 + 8u > p->ip_end)
			return -1;
		p->icmp_type = f[p->l4];
		if (p->icmp_type == 0 || p->icmp_type == 8)
			p->key.sport = get16(f + p->l4 + 4);
		return 0;
	default:
		return 0;
	}
	p->key.sport = get16(f + p->l4);
	p->key.dport = get16(f + p->l4 + 2);
	return 0;
}

uint32_t ctnicd_csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *b = buf;
	uint64_t s = sum;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += get16(b + i);
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

uint16_t ctnicd_csum_fin(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Where the quoted packet starts, and its L4 header; 0 when the quote is short. */
static unsigned inner_l3(const struct ctnicd_pkt *p, const uint8_t *f, unsigned *il4)
{
	unsigned i3, ihl;

	if (!p->l4 || p->proto != 1 || p->l4 + 8u + 20u > p->ip_end)
		return 0;
	i3 = p->l4 + 8u;
	ihl = (f[i3] & 15u) * 4u;
	if (f[i3] >> 4 != 4 || ihl < 20 || i3 + ihl + 8u > p->ip_end)
		return 0;
	*il4 = i3 + ihl;
	return i3;
}

int ctnicd_icmp_inner(const uint8_t *f, const struct ctnicd_pkt *p, struct ctnic_key *inner)
{
	unsigned il4, i3 = inner_l3(p, f, &il4);

	if (!i3)
		return -1;
	memset(inner, 0, sizeof(*inner));
	inner->saddr = get32(f + i3 + 12);
	inner->daddr = get32(f + i3 + 16);
	inner->proto = f[i3 + 9];
	if (inner->proto == 6 || inner->proto == 17) {
		inner->sport = get16(f + il4);
		inner->dport = get16(f + il4 + 2);
	} else if (inner->proto == 1 && (f[il4] == 0 || f[il4] == 8)) {
		inner->sport = get16(f + il4 + 4);
	}
	return 0;
}

/* Writes a 16-bit word of the ICMP message and notes it for the ICMP checksum. */
struct edits {
	uint16_t o[16], n[16];
	unsigned k;
};

static void edit(struct edits *e, uint8_t *at, uint16_t v)
{
	e->o[e->k] = get16(at);
	e->n[e->k++] = v;
	put16(at, v);
}

int ctnicd_icmp_translate(uint8_t *f, const struct ctnicd_pkt *p, uint32_t osrc, uint32_t odst,
			  const struct ctnic_key *in, bool ttl_dec)
{
	unsigned il4, i3 = inner_l3(p, f, &il4);
	uint8_t *ip = f + p->l3;
	struct edits e = { .k = 0 };
	uint16_t a_old[5], a_new[5], l4o[6], l4n[6], csum;
	uint8_t iproto;

	if (!i3)
		return -1;
	iproto = f[i3 + 9];
	/* The quoted addresses, the quoted IPv4 checksum with them. */
	for (int w = 0; w < 4; w++)
		a_old[w] = get16(f + i3 + 12 + 2 * w);
	a_new[0] = (uint16_t)(in->saddr >> 16);
	a_new[1] = (uint16_t)in->saddr;
	a_new[2] = (uint16_t)(in->daddr >> 16);
	a_new[3] = (uint16_t)in->daddr;
	csum = ctnic_model_csum_update(get16(f + i3 + 10), a_old, a_new, 4);
	for (int w = 0; w < 4; w++)
		edit(&e, f + i3 + 12 + 2 * w, a_new[w]);
	edit(&e, f + i3 + 10, csum);
	if (iproto == 6 || iproto == 17) {
		unsigned at = iproto == 6 ? 16u : 6u;

		memcpy(l4o, a_old, sizeof(a_old[0]) * 4);
		memcpy(l4n, a_new, sizeof(a_new[0]) * 4);
		l4o[4] = get16(f + il4);
		l4o[5] = get16(f + il4 + 2);
		l4n[4] = in->sport;
		l4n[5] = in->dport;
		/* The quoted L4 checksum, when the quote holds it (UDP's 0 stays 0). */
		if (il4 + at + 2u <= p->ip_end && (iproto == 6 || get16(f + il4 + at))) {
			csum = ctnic_model_csum_update(get16(f + il4 + at), l4o, l4n, 6);
			if (iproto == 17 && !csum)
				csum = 0xffffu;
			edit(&e, f + il4 + at, csum);
		}
		edit(&e, f + il4, in->sport);
		edit(&e, f + il4 + 2, in->dport);
	} else if (iproto == 1 && (f[il4] == 0 || f[il4] == 8)) {
		uint16_t id_old = get16(f + il4 + 4), id_new = in->sport;

		edit(&e, f + il4 + 2, ctnic_model_csum_update(get16(f + il4 + 2), &id_old, &id_new, 1));
		edit(&e, f + il4 + 4, id_new);
	}
	put16(f + p->l4 + 2, ctnic_model_csum_update(get16(f + p->l4 + 2), e.o, e.n, e.k));

	/* The outer header: addresses and TTL. */
	for (int w = 0; w < 4; w++)
		a_old[w] = get16(ip + 12 + 2 * w);
	a_old[4] = get16(ip + 8);
	a_new[0] = (uint16_t)(osrc >> 16);
	a_new[1] = (uint16_t)osrc;
	a_new[2] = (uint16_t)(odst >> 16);
	a_new[3] = (uint16_t)odst;
	a_new[4] = ttl_dec ? (uint16_t)(a_old[4] - 0x100u) : a_old[4];
	put16(ip + 10, ctnic_model_csum_update(get16(ip + 10), a_old, a_new, 5));
	put16(ip + 8, a_new[4]);
	put32(ip + 12, osrc);
	put32(ip + 16, odst);
	return 0;
}

/* Ethernet header back to f's sender (VLAN tag kept); returns the IPv4 offset. */
static unsigned eth_back(uint8_t *out, const uint8_t *f, const struct ctnicd_pkt *p, const uint8_t mac[6],
			 uint16_t type)
{
	memcpy(out, f + 6, 6);
	memcpy(out + 6, mac, 6);
	memcpy(out + 12, f + 12, p->l3 - 12u);
	put16(out + p->l3 - 2, type);
	return p->l3;
}

static void ipv4_header(uint8_t *ip, uint16_t tot, uint8_t tos, uint16_t frag, uint8_t proto, uint32_t src,
			uint32_t dst)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[1] = tos;
	put16(ip + 2, tot);
	put16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	put16(ip + 10, ctnicd_csum_fin(ctnicd_csum_add(0, ip, 20)));
}

size_t ctnicd_build_time_exceeded(uint8_t *out, const uint8_t *f, const struct ctnicd_pkt *p,
				  uint32_t from, const uint8_t mac[6])
{
	unsigned l3 = eth_back(out, f, p, mac, CTNICD_ETH_IPV4);
	unsigned ihl = (f[p->l3] & 15u) * 4u, rest = p->ip_end - p->l3 - ihl;
	unsigned quote = ihl + (rest < 8 ? rest : 8);
	uint8_t *icmp = out + l3 + 20;

	ipv4_header(out + l3, (uint16_t)(20 + 8 + quote), 0xc0, 0, 1, from, p->key.saddr);
	memset(icmp, 0, 8);
	icmp[0] = 11;
	memcpy(icmp + 8, f + p->l3, quote);
	put16(icmp + 2, ctnicd_csum_fin(ctnicd_csum_add(0, icmp, 8 + quote)));
	return l3 + 20 + 8 + quote;
}

size_t ctnicd_build_rst(uint8_t *out, const uint8_t *f, const struct ctnicd_pkt *p, const uint8_t mac[6])
{
	unsigned l3 = eth_back(out, f, p, mac, CTNICD_ETH_IPV4);
	const uint8_t *th = f + p->l4;
	uint8_t *t = out + l3 + 20;
	uint32_t seglen = p->ip_end - p->l4 - (th[12] >> 4) * 4u, sum;
	uint8_t pseudo[12];

	ipv4_header(out + l3, 40, 0, 0x4000, 6, p->key.daddr, p->key.saddr);
	memset(t, 0, 20);
	put16(t, p->key.dport);
	put16(t + 2, p->key.sport);
	if (p->tcp_flags & 0x10u) {
		/* RFC 793: <SEQ=SEG.ACK><CTL=RST> */
		memcpy(t + 4, th + 8, 4);
		t[13] = 0x04;
	} else {
		/* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; SYN and FIN count one each */
		seglen += (p->tcp_flags & 0x02u ? 1u : 0u) + (p->tcp_flags & 0x01u ? 1u : 0u);
		put32(t + 8, get32(th + 4) + seglen);
		t[13] = 0x14;
	}
	t[12] = 5 << 4;
	put32(pseudo, p->key.daddr);
	put32(pseudo + 4, p->key.saddr);
	put16(pseudo + 8, 6);
	put16(pseudo + 10, 20);
	sum = ctnicd_csum_add(ctnicd_csum_add(0, pseudo, 12), t, 20);
	put16(t + 16, ctnicd_csum_fin(sum));
	return l3 + 40;
}

size_t ctnicd_build_arp(uint8_t *out, uint16_t op, const uint8_t sha[6], uint32_t spa,
			const uint8_t tha[6], uint32_t tpa, const uint8_t dst[6])
{
	memset(out, 0, 60);
	memcpy(out, dst, 6);
	memcpy(out + 6, sha, 6);
	put16(out + 12, CTNICD_ETH_ARP);
	put16(out + 14, 1);
	put16(out + 16, CTNICD_ETH_IPV4);
	out[18] = 6;
	out[19] = 4;
	put16(out + 20, op);
	memcpy(out + 22, sha, 6);
	put32(out + 28, spa);
	memcpy(out + 32, tha, 6);
	put32(out + 38, tpa);
	return 60; /* padded to Ethernet's minimum */
}

int ctnicd_arp_parse(const uint8_t *f, size_t len, uint16_t *op, uint8_t sha[6], uint32_t *spa,
		     uint32_t *tpa)
{
	unsigned o = 14;

	if (len >= 18 && get16(f + 12) == 0x8100u)
		o = 18;
	if (len < o + 28u || get16(f + o - 2) != CTNICD_ETH_ARP || get16(f + o) != 1 ||
	    get16(f + o + 2) != CTNICD_ETH_IPV4 || f[o + 4] != 6 || f[o + 5] != 4)
		return -1;
	*op = get16(f + o + 6);
	memcpy(sha, f + o + 8, 6);
	*spa = get32(f + o + 14);
	*tpa = get32(f + o + 24);
	return 0;
}
