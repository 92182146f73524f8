/* Ethernet/IPv4/TCP and UDP frame building: see pkt.h. */
#include "pkt.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

uint32_t ctnic_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint16_t ctnic_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Ethernet and IPv4 headers (DF set, as Linux sends TCP and UDP) before an
 * L4 part of l4_len bytes; returns where the L4 part starts. */
static uint8_t *eth_ipv4(uint8_t *buf, const uint8_t dst_mac[6], const uint8_t src_mac[6],
			 uint32_t saddr, uint32_t daddr, uint16_t ip_id, uint8_t ttl,
			 uint8_t proto, size_t l4_len)
{
	uint8_t *ip = buf + 14;

	memset(buf, 0, 14 + 20 + l4_len);
	memcpy(buf, dst_mac, 6);
	memcpy(buf + 6, src_mac, 6);
	put16(buf + 12, 0x0800);

	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4_len));
	put16(ip + 4, ip_id);
	put16(ip + 6, 0x4000);
	ip[8] = ttl;
	ip[9] = proto;
	put32(ip + 12, saddr);
	put32(ip + 16, daddr);
	put16(ip + 10, (uint16_t)~ctnic_csum_fold(ctnic_csum_add(0, ip, 20)));
	return ip + 20;
}

/* The L4 checksum over the pseudo header and the L4 part (not inverted). */
static uint16_t l4_sum(const uint8_t *buf, const uint8_t *l4, size_t l4_len)
{
	const uint8_t *ip = buf + 14;
	uint8_t pseudo[12];

	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = ip[9];
	put16(pseudo + 10, (uint16_t)l4_len);
	return ctnic_csum_fold(ctnic_csum_add(ctnic_csum_add(0, pseudo, sizeof(pseudo)), l4, l4_len));
}

size_t ctnic_tcp_frame_build(const struct ctnic_tcp_frame *f, uint8_t *buf)
{
	size_t opt_len = f->mss ? 4 : 0;
	size_t tcp_len = 20 + opt_len + f->payload_len;
	uint8_t *tcp;

	if (14 + 20 + tcp_len > CTNIC_PKT_MAX)
		return 0;
	tcp = eth_ipv4(buf, f->dst_mac, f->src_mac, f->saddr, f->daddr, f->ip_id, f->ttl, 6, tcp_len);
	put16(tcp, f->sport);
	put16(tcp + 2, f->dport);
	put32(tcp + 4, f->seq);
	put32(tcp + 8, f->ack);
	tcp[12] = (uint8_t)(((20 + opt_len) / 4) << 4);
	tcp[13] = f->flags;
	put16(tcp + 14, f->window);
	if (f->mss) {
		tcp[20] = 2;            /* kind MSS, RFC 793 section 3.1 */
		tcp[21] = 4;
		put16(tcp + 22, f->mss);
	}
	if (f->payload_len)
		memcpy(tcp + 20 + opt_len, f->payload, f->payload_len);
	put16(tcp + 16, (uint16_t)~l4_sum(buf, tcp, tcp_len));
	return 14 + 20 + tcp_len;
}

size_t ctnic_udp_frame_build(const struct ctnic_udp_frame *f, uint8_t *buf)
{
	size_t udp_len = 8 + f->payload_len;
	uint8_t *udp;
	uint16_t sum;

	if (14 + 20 + udp_len > CTNIC_PKT_MAX)
		return 0;
	udp = eth_ipv4(buf, f->dst_mac, f->src_mac, f->saddr, f->daddr, f->ip_id, f->ttl, 17, udp_len);
	put16(udp, f->sport);
	put16(udp + 2, f->dport);
	put16(udp + 4, (uint16_t)udp_len);
	if (f->payload_len)
		memcpy(udp + 8, f->payload, f->payload_len);
	sum = (uint16_t)~l4_sum(buf, udp, udp_len);
	put16(udp + 6, sum ? sum : 0xffff); /* RFC 768: zero means "no checksum" */
	return 14 + 20 + udp_len;
}

int ctnic_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char extra;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5], &extra) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

int ctnic_parse_ipv4(const char *s, uint32_t *addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*addr = ntohl(a.s_addr);
	return 0;
}

int ctnic_parse_ipv4_port(const char *s, uint32_t *addr, uint16_t *port, int need_port)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	char *end;
	long p;

	if (n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	if (ctnic_parse_ipv4(host, addr) < 0)
		return -1;
	if (!colon)
		return need_port ? -1 : 0;
	p = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || p < 1 || p > 65535)
		return -1;
	*port = (uint16_t)p;
	return 0;
}
