/*
 * nat_eval.c - what the nat table asks for a packet at a hook, and the leak
 * guard over all rules (ctnic_nat.h).
 */
#include <string.h>

#include "ct/ct_util.h"
#include "ct/ctnic_nat.h"

#define MAX_DEPTH 33 /* the parser refuses nesting deeper than 32 */

/* 1 match, 0 no match, -1 the packet's interface is unknown. */
static int iface_match(const char *rule, const char *pkt)
{
	size_t n = strlen(rule);

	if (!pkt)
		return -1;
	if (n && rule[n - 1] == '+') /* iptables' prefix wildcard */
		return strncmp(rule, pkt, n - 1) == 0;
	return strcmp(rule, pkt) == 0;
}

static bool is_local(const struct ctnic_nat_env *env, uint32_t a)
{
	for (size_t i = 0; env && i < env->nifaces; i++)
		if (env->ifaces[i].addr == a)
			return true;
	return false;
}

static bool iface_addr(const struct ctnic_nat_env *env, const char *name, uint32_t *a)
{
	for (size_t i = 0; env && name && i < env->nifaces; i++)
		if (env->ifaces[i].name && strcmp(env->ifaces[i].name, name) == 0) {
			*a = env->ifaces[i].addr;
			return true;
		}
	return false;
}

static bool in_range(const struct ctnic_portrange *r, uint16_t port)
{
	return port >= r->lo && port <= r->hi;
}

static bool mport_match(const struct ctnic_nat_match *m, const struct ctnic_key *k)
{
	for (unsigned i = 0; i < m->mport_n; i++) {
		if ((m->mport_kind & 1) && in_range(&m->mport[i], k->sport))
			return true;
		if ((m->mport_kind & 2) && in_range(&m->mport[i], k->dport))
			return true;
	}
	return false;
}

static bool inv(const struct ctnic_nat_match *m, uint16_t bit, bool v)
{
	return (m->inv & bit) ? !v : v;
}

/*
 * Does the rule's match take the packet? With unknown_ok a NULL interface is
 * unknown and satisfies any interface condition; without, it is the empty
 * name a hook without that interface has in Linux ("! -i x" matches it).
 */
static bool match(const struct ctnic_nat_match *m, const struct ctnic_key *k, const char *in_if,
		  const char *out_if, const struct ctnic_nat_env *env, bool unknown_ok)
{
	int r;

	if (!unknown_ok) {
		in_if = in_if ? in_if : "";
		out_if = out_if ? out_if : "";
	}

	if (!inv(m, CTNIC_NAT_INV_SRC, (k->saddr & m->src_mask) == m->src))
		return false;
	if (!inv(m, CTNIC_NAT_INV_DST, (k->daddr & m->dst_mask) == m->dst))
		return false;
	if (m->proto && !inv(m, CTNIC_NAT_INV_PROTO, k->proto == m->proto))
		return false;
	if (m->in_if[0]) {
		r = iface_match(m->in_if, in_if);
		if (r < 0 ? !unknown_ok : !inv(m, CTNIC_NAT_INV_IN, r))
			return false;
	}
	if (m->out_if[0]) {
		r = iface_match(m->out_if, out_if);
		if (r < 0 ? !unknown_ok : !inv(m, CTNIC_NAT_INV_OUT, r))
			return false;
	}
	if (m->has_sport && !inv(m, CTNIC_NAT_INV_SPORT, in_range(&m->sport, k->sport)))
		return false;
	if (m->has_dport && !inv(m, CTNIC_NAT_INV_DPORT, in_range(&m->dport, k->dport)))
		return false;
	if (m->mport_kind && !inv(m, CTNIC_NAT_INV_MPORT, mport_match(m, k)))
		return false;
	if (m->src_local && !inv(m, CTNIC_NAT_INV_SRCTYPE, is_local(env, k->saddr)))
		return false;
	if (m->dst_local && !inv(m, CTNIC_NAT_INV_DSTTYPE, is_local(env, k->daddr)))
		return false;
	return true;
}

static int resolve(const struct ctnic_nat_rule *r, enum ctnic_nat_hook hook,
		   const struct ctnic_nat_pkt *p, const struct ctnic_nat_env *env,
		   struct ctnic_nat_action *a, char *err, size_t errlen)
{
	uint32_t addr;

	a->rule = r;
	a->target = r->target;
	a->range = r->range;
	switch (r->target) {
	case CTNIC_NAT_T_DNAT:
		a->manip = CTNIC_NAT_MANIP_DST;
		return 0;
	case CTNIC_NAT_T_SNAT:
		a->manip = CTNIC_NAT_MANIP_SRC;
		return 0;
	case CTNIC_NAT_T_REDIRECT:
		/* Linux: the incoming interface's primary address; 127.0.0.1 from OUTPUT. */
		if (hook == CTNIC_HOOK_OUTPUT)
			addr = 0x7f000001u;
		else if (!iface_addr(env, p->in_if, &addr))
			return ctnic_ct_errf(err, errlen, "REDIRECT (rule line %u): incoming "
					     "interface %s has no IPv4 address: give it one",
					     r->line, p->in_if ? p->in_if : "(unknown)");
		a->manip = CTNIC_NAT_MANIP_DST;
		break;
	case CTNIC_NAT_T_MASQUERADE:
		if (!iface_addr(env, p->out_if, &addr))
			return ctnic_ct_errf(err, errlen, "MASQUERADE (rule line %u): outgoing "
					     "interface %s has no IPv4 address: give it one",
					     r->line, p->out_if ? p->out_if : "(unknown)");
		a->manip = CTNIC_NAT_MANIP_SRC;
		break;
	default:
		return 0;
	}
	a->range.min_addr = a->range.max_addr = addr;
	a->range.map_ips = true;
	return 0;
}

int ctnic_nat_eval(const struct ctnic_nat_ruleset *rs, enum ctnic_nat_hook hook,
		   const struct ctnic_nat_pkt *p, const struct ctnic_nat_env *env,
		   struct ctnic_nat_action *a, char *err, size_t errlen)
{
	struct {
		unsigned chain;
		size_t rule;
	} stack[MAX_DEPTH];
	unsigned sp = 0, ci = (unsigned)hook;
	size_t ri = 0;

	memset(a, 0, sizeof(*a));
	if ((unsigned)hook >= CTNIC_HOOKS || !rs || rs->nchains < CTNIC_HOOKS)
		return ctnic_ct_errf(err, errlen, "nat eval: no hook %d in the ruleset", (int)hook);
	for (;;) {
		const struct ctnic_nat_chain *c = &rs->chains[ci];
		const struct ctnic_nat_rule *r;

		if (ri >= c->nrules) {
			if (!sp)
				return 0; /* the hook's policy: ACCEPT, no translation */
			sp--;
			ci = stack[sp].chain;
			ri = stack[sp].rule;
			continue;
		}
		r = &c->rules[ri++];
		if (!match(&r->m, &p->k, p->in_if, p->out_if, env, false))
			continue;
		switch (r->target) {
		case CTNIC_NAT_T_NONE:
			continue;
		case CTNIC_NAT_T_ACCEPT:
			a->rule = r;
			a->target = r->target;
			return 0;
		case CTNIC_NAT_T_RETURN:
			ri = c->nrules; /* leave this chain */
			continue;
		case CTNIC_NAT_T_JUMP:
			if (sp == MAX_DEPTH)
				return ctnic_ct_errf(err, errlen, "nat eval: jumps nest too deep "
						     "at rule line %u", r->line);
			stack[sp].chain = ci;
			stack[sp].rule = ri;
			sp++;
			/* fall through */
		case CTNIC_NAT_T_GOTO:
			ci = r->chain_to;
			ri = 0;
			continue;
		default:
			return resolve(r, hook, p, env, a, err, errlen);
		}
	}
}

static bool proto_ok(const struct ctnic_nat_match *m, const struct ctnic_key *k)
{
	return !m->proto || (m->inv & CTNIC_NAT_INV_PROTO) || m->proto == k->proto;
}

static bool ports_ok(const struct ctnic_nat_range *r, uint16_t port)
{
	return !r->map_ports || (port >= r->min_port && port <= r->max_port);
}

/* Is k a packet of the far side of the rule's translation, going back? */
static bool reply_covered(const struct ctnic_nat_rule *r, const struct ctnic_key *k,
			  const struct ctnic_nat_env *env)
{
	const struct ctnic_nat_match *m = &r->m;
	const struct ctnic_nat_range *g = &r->range;
	uint32_t a;

	if (!proto_ok(m, k))
		return false;
	switch (r->target) {
	case CTNIC_NAT_T_DNAT:
		/* From the translated-to server (or the original one, ports only). */
		if (g->map_ips)
			return k->saddr >= g->min_addr && k->saddr <= g->max_addr &&
			       ports_ok(g, k->sport);
		return ((k->saddr & m->dst_mask) == m->dst || (m->inv & CTNIC_NAT_INV_DST)) &&
		       ports_ok(g, k->sport);
	case CTNIC_NAT_T_REDIRECT:
		/* From the gateway itself, on the redirected-to port. */
		if (!is_local(env, k->saddr))
			return false;
		if (g->map_ports)
			return ports_ok(g, k->sport);
		return !m->has_dport || (m->inv & CTNIC_NAT_INV_DPORT) ||
		       in_range(&m->dport, k->sport);
	case CTNIC_NAT_T_SNAT:
		/* Back to the translated-to source. */
		if (g->map_ips && !(k->daddr >= g->min_addr && k->daddr <= g->max_addr))
			return false;
		return ports_ok(g, k->dport);
	case CTNIC_NAT_T_MASQUERADE:
		if (m->out_if[0] && !(m->inv & CTNIC_NAT_INV_OUT) &&
		    m->out_if[strlen(m->out_if) - 1] != '+') {
			if (!iface_addr(env, m->out_if, &a) || a != k->daddr)
				return false;
		} else if (!is_local(env, k->daddr)) {
			return false;
		}
		return ports_ok(g, k->dport);
	default:
		return false;
	}
}

enum ctnic_nat_cover ctnic_nat_covers(const struct ctnic_nat_ruleset *rs,
				      const struct ctnic_key *k, const char *in_if,
				      const struct ctnic_nat_env *env, unsigned *line)
{
	/* A rule matching the packet itself is the better answer: look for one first. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t ci = 0; rs && ci < rs->nchains; ci++) {
			const struct ctnic_nat_chain *c = &rs->chains[ci];

			for (size_t i = 0; i < c->nrules; i++) {
				const struct ctnic_nat_rule *r = &c->rules[i];

				if (r->target < CTNIC_NAT_T_DNAT)
					continue;
				if (pass == 0 ? !match(&r->m, k, in_if, NULL, env, true) :
						!reply_covered(r, k, env))
					continue;
				if (line)
					*line = r->line;
				return pass == 0 ? CTNIC_NAT_COVER_MATCH : CTNIC_NAT_COVER_REPLY;
			}
		}
	return CTNIC_NAT_COVER_NONE;
}
