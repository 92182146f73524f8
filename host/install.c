/*
 * install.c - flow specs parsed and installed into the card (install.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "install.h"

#define WORD_MAX 64

static int bad(char *err, size_t errlen, const char *word, const char *why)
{
	snprintf(err, errlen, "flow spec word '%s': %s", word, why);
	return -EINVAL;
}

static bool parse_addr(const char *s, uint32_t *addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	*addr = ntohl(a.s_addr);
	return true;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return !errno && !*end && *v <= max;
}

/* ADDR or ADDR:PORT; *has_port says which. */
static bool parse_addr_port(const char *s, uint32_t *addr, uint16_t *port, bool *has_port)
{
	char buf[WORD_MAX];
	char *colon;
	unsigned long p;

	snprintf(buf, sizeof(buf), "%s", s);
	colon = strchr(buf, ':');
	*has_port = colon != NULL;
	if (colon) {
		*colon = '\0';
		if (!parse_uint(colon + 1, 65535, &p))
			return false;
		*port = (uint16_t)p;
	}
	return parse_addr(buf, addr);
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &end) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return true;
}

/* DST/SRC: the MACs a packet of that direction leaves with. */
static bool parse_macs(const char *s, struct ctnic_nexthop *nh)
{
	char buf[WORD_MAX];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash)
		return false;
	*slash = '\0';
	nh->rewrite_macs = true;
	return parse_mac(buf, nh->dst_mac) && parse_mac(slash + 1, nh->src_mac);
}

int ctnicd_flow_spec_parse(const char *text, struct ctnicd_flow_spec *spec, char *err, size_t errlen)
{
	bool have_proto = false, have_src = false, have_out[2] = { false, false };
	int have_dst = 0; /* 1: address, 2: address and port */
	const char *p = text;

	memset(spec, 0, sizeof(*spec));
	spec->ttl_dec = true;
	spec->nh[0].valid = spec->nh[1].valid = true;
	while (*p) {
		char word[WORD_MAX];
		size_t n = strcspn(p, " \t\r\n");
		const char *val;
		unsigned long v;
		bool has_port;

		if (n == 0) {
			p++;
			continue;
		}
		if (n >= sizeof(word)) {
			snprintf(err, errlen, "flow spec word '%.20s...' is longer than %d bytes", p, WORD_MAX - 1);
			return -EINVAL;
		}
		memcpy(word, p, n);
		word[n] = '\0';
		p += n;
		val = strchr(word, '=');
		if (!val)
			return bad(err, errlen, word, "not KEY=VALUE");
		val++;
#define KEY(k) (!strncmp(word, k "=", sizeof(k)))
		if (KEY("proto")) {
			if (!strcmp(val, "tcp"))
				spec->orig.proto = IPPROTO_TCP;
			else if (!strcmp(val, "udp"))
				spec->orig.proto = IPPROTO_UDP;
			else if (!strcmp(val, "icmp"))
				spec->orig.proto = IPPROTO_ICMP;
			else
				return bad(err, errlen, word, "protocol is tcp, udp or icmp");
			have_proto = true;
		} else if (KEY("src")) {
			if (!parse_addr_port(val, &spec->orig.saddr, &spec->orig.sport, &has_port) || !has_port)
				return bad(err, errlen, word, "give ADDR:PORT (ICMP: ADDR:ECHO-ID)");
			have_src = true;
		} else if (KEY("dst")) {
			if (!parse_addr_port(val, &spec->orig.daddr, &spec->orig.dport, &has_port))
				return bad(err, errlen, word, "give ADDR:PORT (ICMP: ADDR)");
			have_dst = has_port ? 2 : 1;
		} else if (KEY("snat")) {
			if (!parse_addr_port(val, &spec->snat_addr, &spec->snat_to, &spec->snat_port))
				return bad(err, errlen, word, "give ADDR or ADDR:PORT");
			spec->snat = true;
		} else if (KEY("dnat")) {
			if (!parse_addr_port(val, &spec->dnat_addr, &spec->dnat_to, &spec->dnat_port))
				return bad(err, errlen, word, "give ADDR or ADDR:PORT");
			spec->dnat = true;
		} else if (KEY("out") || KEY("reply-out")) {
			int d = word[0] == 'r';

			if (!parse_uint(val, 15, &v))
				return bad(err, errlen, word, "give a port number 0..15");
			spec->nh[d].port = (uint8_t)v;
			have_out[d] = true;
		} else if (KEY("out-mac") || KEY("reply-mac")) {
			if (!parse_macs(val, &spec->nh[word[0] == 'r']))
				return bad(err, errlen, word, "give DST/SRC as two MACs aa:bb:cc:dd:ee:ff");
		} else if (KEY("ttl")) {
			if (strcmp(val, "dec") && strcmp(val, "keep"))
				return bad(err, errlen, word, "give ttl=dec or ttl=keep");
			spec->ttl_dec = !strcmp(val, "dec");
		} else if (KEY("class")) {
			if (!parse_uint(val, 15, &v))
				return bad(err, errlen, word, "give a timeout class 0..15");
			spec->tclass = (uint8_t)v;
		} else {
			return bad(err, errlen, word, "unknown key: proto src dst snat dnat out reply-out out-mac reply-mac ttl class");
		}
#undef KEY
	}
	if (!have_proto || !have_src || !have_dst || !have_out[0] || !have_out[1]) {
		snprintf(err, errlen, "flow spec '%.80s' lacks %s: proto, src, dst, out and reply-out are required", text,
			 !have_proto ? "proto" : !have_src ? "src" : !have_dst ? "dst" : !have_out[0] ? "out" : "reply-out");
		return -EINVAL;
	}
	if (spec->orig.proto == IPPROTO_ICMP) {
		if (spec->orig.dport || spec->snat_port || spec->dnat_port) {
			snprintf(err, errlen, "flow spec '%.80s': ICMP echo has only an identifier (src's port); dst, snat and dnat take no port", text);
			return -EINVAL;
		}
	} else if (have_dst != 2) {
		snprintf(err, errlen, "flow spec '%.80s': dst needs a port for %s", text,
			 spec->orig.proto == IPPROTO_TCP ? "tcp" : "udp");
		return -EINVAL;
	}
	return 0;
}

/* The tuple a packet of the original direction leaves with. */
static void translated(const struct ctnicd_flow_spec *s, struct ctnic_key *t)
{
	*t = s->orig;
	if (s->snat) {
		t->saddr = s->snat_addr;
		if (s->snat_port)
			t->sport = s->snat_to;
	}
	if (s->dnat) {
		t->daddr = s->dnat_addr;
		if (s->dnat_port)
			t->dport = s->dnat_to;
	}
}

void ctnicd_flow_reply_key(const struct ctnicd_flow_spec *spec, struct ctnic_key *reply)
{
	struct ctnic_key t;

	translated(spec, &t);
	reply->proto = t.proto;
	reply->saddr = t.daddr;
	reply->daddr = t.saddr;
	if (t.proto == IPPROTO_ICMP) {
		/* An echo reply carries the request's identifier. */
		reply->sport = t.sport;
		reply->dport = 0;
	} else {
		reply->sport = t.dport;
		reply->dport = t.sport;
	}
}

static bool same_key(const struct ctnic_key *a, const struct ctnic_key *b)
{
	return a->saddr == b->saddr && a->daddr == b->daddr && a->sport == b->sport &&
	       a->dport == b->dport && a->proto == b->proto;
}

static int dev_fail(struct ctnic_dev *dev, int rc, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s", ctnic_last_error(dev));
	return rc;
}

/* A free way for key in either candidate bucket, not taken (the other direction's slot). */
static int find_slot(struct ctnic_dev *dev, const struct ctnic_dev_info *info, const struct ctnic_key *key,
		     uint32_t taken, uint32_t *slot, char *err, size_t errlen)
{
	uint32_t hash = ctnic_key_hash(key), free_slot = UINT32_MAX;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	struct in_addr ia;
	int rc;

	for (unsigned st = 0; st < 2; st++) {
		uint32_t bucket = ctnic_bucket(hash, st, info->buckets);

		for (unsigned way = 0; way < info->ways; way++) {
			uint32_t s = ctnic_slot(st, bucket, way, info->buckets, info->ways);
			struct ctnic_key_entry e;

			if ((rc = ctnic_key_read(dev, s, &e)) < 0)
				return dev_fail(dev, rc, err, errlen);
			if (e.valid && same_key(&e.key, key)) {
				snprintf(err, errlen, "key already in the card's table at slot %u (flow %u)", s, e.flow_id);
				return -EEXIST;
			}
			if (!e.valid && s != taken && free_slot == UINT32_MAX)
				free_slot = s;
		}
	}
	if (free_slot == UINT32_MAX) {
		ia.s_addr = htonl(key->saddr);
		inet_ntop(AF_INET, &ia, a, sizeof(a));
		ia.s_addr = htonl(key->daddr);
		inet_ntop(AF_INET, &ia, b, sizeof(b));
		snprintf(err, errlen,
			 "no room for key %s:%u -> %s:%u proto %u: both candidate buckets are full "
			 "(sub-table 0 bucket %u, sub-table 1 bucket %u, %u ways each); remove a flow "
			 "sharing them, or use a card with more buckets",
			 a, key->sport, b, key->dport, key->proto, ctnic_bucket(hash, 0, info->buckets),
			 ctnic_bucket(hash, 1, info->buckets), info->ways);
		return -ENOSPC;
	}
	*slot = free_slot;
	return 0;
}

static bool same_nexthop(const struct ctnic_nexthop *a, const struct ctnic_nexthop *b)
{
	return a->valid == b->valid && a->port == b->port && a->rewrite_macs == b->rewrite_macs &&
	       (!a->rewrite_macs || (!memcmp(a->dst_mac, b->dst_mac, 6) && !memcmp(a->src_mac, b->src_mac, 6)));
}

/* Next hops are used from 0 up: reuse an equal one, or take the first free. */
static int place_nexthop(struct ctnic_dev *dev, const struct ctnic_dev_info *info,
			 const struct ctnic_nexthop *want, uint8_t *index, char *err, size_t errlen)
{
	uint32_t limit = info->nexthops < 256 ? info->nexthops : 256;
	int rc;

	for (uint32_t i = 0; i < limit; i++) {
		struct ctnic_nexthop nh;

		if ((rc = ctnic_nexthop_read(dev, i, &nh)) < 0)
			return dev_fail(dev, rc, err, errlen);
		if (nh.valid && !same_nexthop(&nh, want))
			continue;
		if (!nh.valid && (rc = ctnic_nexthop_write(dev, i, want)) < 0)
			return dev_fail(dev, rc, err, errlen);
		*index = (uint8_t)i;
		return 0;
	}
	snprintf(err, errlen, "all %u next hops of the card are in use", limit);
	return -ENOSPC;
}

static int free_flow_id(struct ctnic_dev *dev, const struct ctnic_dev_info *info, uint32_t *id,
			char *err, size_t errlen)
{
	int rc;

	for (uint32_t i = 0; i < info->flows && i <= CTNIC_FLOW_ID_MAX; i++) {
		struct ctnic_flow f;

		if ((rc = ctnic_flow_read(dev, i, &f)) < 0)
			return dev_fail(dev, rc, err, errlen);
		if (!f.valid) {
			*id = i;
			return 0;
		}
	}
	snprintf(err, errlen, "all %u flow records of the card are in use", info->flows);
	return -ENOSPC;
}

int ctnicd_flow_install(struct ctnic_dev *dev, const struct ctnic_dev_info *info,
			const struct ctnicd_flow_spec *spec, struct ctnicd_flow_placed *placed,
			char *err, size_t errlen)
{
	struct ctnic_key_entry ke[2];
	struct ctnic_flow f;
	struct ctnic_key out;
	int rc;

	for (int d = 0; d < 2; d++)
		if (spec->nh[d].port >= info->ports) {
			snprintf(err, errlen, "%s port %u does not exist: this card has ports 0..%u",
				 d ? "reply-out" : "out", spec->nh[d].port, info->ports - 1);
			return -EINVAL;
		}
	memset(ke, 0, sizeof(ke));
	ke[0].key = spec->orig;
	ctnicd_flow_reply_key(spec, &ke[1].key);
	if ((rc = find_slot(dev, info, &ke[0].key, UINT32_MAX, &placed->slot[0], err, errlen)) < 0 ||
	    (rc = find_slot(dev, info, &ke[1].key, placed->slot[0], &placed->slot[1], err, errlen)) < 0 ||
	    (rc = free_flow_id(dev, info, &placed->flow_id, err, errlen)) < 0)
		return rc;
	/* Next hops and the flow record first, key entries last: the card never follows a key to a half-made flow. */
	for (int d = 0; d < 2; d++)
		if ((rc = place_nexthop(dev, info, &spec->nh[d], &placed->nexthop[d], err, errlen)) < 0)
			return rc;

	memset(&f, 0, sizeof(f));
	f.valid = true;
	f.tclass = spec->tclass;
	translated(spec, &out);
	f.dir[0] = (struct ctnic_flow_dir){ .saddr = out.saddr, .daddr = out.daddr, .sport = out.sport,
					    .dport = out.dport, .action = CTNIC_ACTION_FORWARD,
					    .ttl_dec = spec->ttl_dec, .nexthop = placed->nexthop[0] };
	/* The reply leaves with the original tuple reversed: the NAT undone. */
	f.dir[1] = (struct ctnic_flow_dir){ .saddr = spec->orig.daddr, .daddr = spec->orig.saddr,
					    .action = CTNIC_ACTION_FORWARD, .ttl_dec = spec->ttl_dec,
					    .nexthop = placed->nexthop[1] };
	if (spec->orig.proto != IPPROTO_ICMP) {
		f.dir[1].sport = spec->orig.dport;
		f.dir[1].dport = spec->orig.sport;
	} else {
		f.dir[1].sport = spec->orig.sport;
		f.dir[1].dport = 0;
	}
	if ((rc = ctnic_flow_write(dev, placed->flow_id, &f)) < 0)
		return dev_fail(dev, rc, err, errlen);
	for (int d = 0; d < 2; d++) {
		ke[d].valid = true;
		ke[d].reply = d == 1;
		ke[d].flow_id = placed->flow_id;
		if ((rc = ctnic_key_write(dev, placed->slot[d], &ke[d])) < 0)
			return dev_fail(dev, rc, err, errlen);
	}
	return 0;
}
