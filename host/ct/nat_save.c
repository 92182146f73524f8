/*
 * nat_save.c - a ruleset back as `iptables-save -t nat` text (ctnic_nat.h),
 * for the control socket's rule listing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct/ctnic_nat.h"

struct out {
	char *buf;
	size_t len, cap;
	bool oom;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->oom = true;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		char *b = realloc(o->buf, o->cap * 2 + (size_t)n);

		if (!b) {
			o->oom = true;
			return;
		}
		o->buf = b;
		o->cap = o->cap * 2 + (size_t)n;
	}
}

static void put_ip(struct out *o, uint32_t a)
{
	put(o, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static void put_net(struct out *o, const char *opt, bool inv, uint32_t a, uint32_t mask)
{
	if (!mask && !a && !inv)
		return;
	put(o, " %s%s ", inv ? "! " : "", opt);
	put_ip(o, a);
	put(o, "/%d", __builtin_popcount(mask));
}

static void put_ports(struct out *o, const struct ctnic_portrange *r, char sep)
{
	if (r->lo == r->hi)
		put(o, "%u", r->lo);
	else
		put(o, "%u%c%u", r->lo, sep, r->hi);
}

static void put_match(struct out *o, const struct ctnic_nat_match *m)
{
	static const char *const mp[] = { "", "--sports", "--dports", "--ports" };
	const char *pname = m->proto == 6 ? "tcp" : m->proto == 17 ? "udp" : NULL;

	put_net(o, "-s", m->inv & CTNIC_NAT_INV_SRC, m->src, m->src_mask);
	put_net(o, "-d", m->inv & CTNIC_NAT_INV_DST, m->dst, m->dst_mask);
	if (m->in_if[0])
		put(o, " %s-i %s", m->inv & CTNIC_NAT_INV_IN ? "! " : "", m->in_if);
	if (m->out_if[0])
		put(o, " %s-o %s", m->inv & CTNIC_NAT_INV_OUT ? "! " : "", m->out_if);
	if (m->proto == 1)
		pname = "icmp";
	if (m->proto && pname)
		put(o, " %s-p %s", m->inv & CTNIC_NAT_INV_PROTO ? "! " : "", pname);
	else if (m->proto)
		put(o, " %s-p %u", m->inv & CTNIC_NAT_INV_PROTO ? "! " : "", m->proto);
	if (m->proto == 1)
		pname = NULL; /* no port matches for ICMP */
	if (pname && (m->has_sport || m->has_dport)) {
		put(o, " -m %s", pname);
		if (m->has_sport) {
			put(o, " %s--sport ", m->inv & CTNIC_NAT_INV_SPORT ? "! " : "");
			put_ports(o, &m->sport, ':');
		}
		if (m->has_dport) {
			put(o, " %s--dport ", m->inv & CTNIC_NAT_INV_DPORT ? "! " : "");
			put_ports(o, &m->dport, ':');
		}
	}
	if (m->mport_kind) {
		put(o, " -m multiport %s%s ", m->inv & CTNIC_NAT_INV_MPORT ? "! " : "",
		    mp[m->mport_kind & 3]);
		for (unsigned i = 0; i < m->mport_n; i++) {
			if (i)
				put(o, ",");
			put_ports(o, &m->mport[i], ':');
		}
	}
	if (m->src_local || m->dst_local) {
		put(o, " -m addrtype");
		if (m->src_local)
			put(o, " %s--src-type LOCAL", m->inv & CTNIC_NAT_INV_SRCTYPE ? "! " : "");
		if (m->dst_local)
			put(o, " %s--dst-type LOCAL", m->inv & CTNIC_NAT_INV_DSTTYPE ? "! " : "");
	}
}

static void put_range(struct out *o, const char *opt, const struct ctnic_nat_range *r)
{
	put(o, " %s ", opt);
	if (r->map_ips) {
		put_ip(o, r->min_addr);
		if (r->max_addr != r->min_addr) {
			put(o, "-");
			put_ip(o, r->max_addr);
		}
	}
	if (r->map_ports) {
		struct ctnic_portrange pr = { r->min_port, r->max_port };

		put(o, ":");
		put_ports(o, &pr, '-');
	}
}

static void put_target(struct out *o, const struct ctnic_nat_ruleset *rs,
		       const struct ctnic_nat_rule *r)
{
	const struct ctnic_nat_range *g = &r->range;

	switch (r->target) {
	case CTNIC_NAT_T_NONE:
		return;
	case CTNIC_NAT_T_JUMP:
	case CTNIC_NAT_T_GOTO:
		put(o, " -%c %s", r->target == CTNIC_NAT_T_GOTO ? 'g' : 'j',
		    rs->chains[r->chain_to].name);
		return;
	default:
		put(o, " -j %s", ctnic_nat_target_name(r->target));
	}
	if (r->target == CTNIC_NAT_T_DNAT)
		put_range(o, "--to-destination", g);
	else if (r->target == CTNIC_NAT_T_SNAT)
		put_range(o, "--to-source", g);
	else if (g->map_ports) {
		struct ctnic_portrange pr = { g->min_port, g->max_port };

		put(o, " --to-ports ");
		put_ports(o, &pr, '-');
	}
	if (g->random)
		put(o, " --random");
	if (g->random_fully)
		put(o, " --random-fully");
	if (g->persistent)
		put(o, " --persistent");
}

char *ctnic_nat_save(const struct ctnic_nat_ruleset *rs)
{
	struct out o = { .buf = malloc(4096), .cap = 4096 };

	if (!o.buf)
		return NULL;
	o.buf[0] = '\0';
	put(&o, "*nat\n");
	for (size_t i = 0; i < rs->nchains; i++)
		put(&o, ":%s %s [0:0]\n", rs->chains[i].name, rs->chains[i].builtin ? "ACCEPT" : "-");
	for (size_t i = 0; i < rs->nchains; i++)
		for (size_t j = 0; j < rs->chains[i].nrules; j++) {
			const struct ctnic_nat_rule *r = &rs->chains[i].rules[j];

			put(&o, "-A %s", rs->chains[i].name);
			put_match(&o, &r->m);
			put_target(&o, rs, r);
			put(&o, "\n");
		}
	put(&o, "COMMIT\n");
	if (o.oom) {
		free(o.buf);
		return NULL;
	}
	return o.buf;
}
