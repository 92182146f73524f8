/* frames.c - test frames with checksums computed from scratch (frames.h). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"

uint32_t tframe_sum(const uint8_t *buf, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)buf[i] << 8 | buf[i + 1];
	if (len & 1)
		sum += (uint32_t)buf[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

size_t tframe_build(const struct tframe *f, uint8_t *out, size_t cap)
{
	size_t l4len = (f->proto == 6 ? 20u : 8u) + f->plen;
	size_t len = 14 + 20 + l4len;
	uint8_t *ip = out + 14, *l4 = ip + 20, pseudo[12];
	uint32_t sum;

	if (len > cap || len > 65535)
		return 0;
	memset(out, 0, len);
	memcpy(out, f->dmac, 6);
	memcpy(out + 6, f->smac, 6);
	put16(out + 12, 0x0800);

	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4len));
	put16(ip + 4, f->ip_id);
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = f->ttl;
	ip[9] = f->proto;
	put32(ip + 12, f->saddr);
	put32(ip + 16, f->daddr);
	put16(ip + 10, (uint16_t)~tframe_sum(ip, 20, 0));

	put16(l4, f->sport);
	put16(l4 + 2, f->dport);
	if (f->proto == 6) {
		put32(l4 + 4, f->seq);
		put32(l4 + 8, f->ack);
		l4[12] = 5 << 4;
		l4[13] = f->tcp_flags;
		put16(l4 + 14, 65535);
		memcpy(l4 + 20, f->payload, f->plen);
	} else {
		put16(l4 + 4, (uint16_t)l4len);
		memcpy(l4 + 8, f->payload, f->plen);
	}
	/* Pseudo header: source, destination, zero, protocol, L4 length (RFC 793 3.1, RFC 768). */
	put32(pseudo, f->saddr);
	put32(pseudo + 4, f->daddr);
	pseudo[8] = 0;
	pseudo[9] = f->proto;
	put16(pseudo + 10, (uint16_t)l4len);
	sum = (uint16_t)~tframe_sum(l4, l4len, tframe_sum(pseudo, sizeof(pseudo), 0));
	if (f->proto == 6) {
		put16(l4 + 16, (uint16_t)sum);
	} else if (!f->udp_zero_csum) {
		/* A computed 0 is sent as all ones: 0 means "no checksum" (RFC 768). */
		put16(l4 + 6, sum ? (uint16_t)sum : 0xffff);
	}
	return len;
}

uint32_t tframe_addr(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return ntohl(a.s_addr);
}
