/*
 * nat_parse.c - `iptables-save -t nat` text into a ctnic_nat_ruleset
 * (ctnic_nat.h). The grammar is iptables-restore's for the options listed in
 * docs/conntrack.md; everything else is refused with its line, and a text
 * with one error gives no ruleset at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct/ct_util.h"
#include "ct/ctnic_conf.h"
#include "ct/ctnic_nat.h"

#define MAX_ARGS 64
#define MAX_DEPTH 32 /* jumps deep; deeper is taken as a loop */

static const char *const builtin_names[CTNIC_HOOKS] = {
	"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING",
};

const char *ctnic_nat_hook_name(enum ctnic_nat_hook h)
{
	return (unsigned)h < CTNIC_HOOKS ? builtin_names[h] : "?";
}

const char *ctnic_nat_target_name(enum ctnic_nat_target t)
{
	static const char *const n[] = { "(none)", "ACCEPT", "RETURN", "jump", "goto",
					 "DNAT", "SNAT", "REDIRECT", "MASQUERADE" };

	return (unsigned)t < sizeof(n) / sizeof(n[0]) ? n[t] : "?";
}

struct parser {
	const char *name;
	unsigned line;
	char *err;
	size_t errlen;
	struct ctnic_nat_ruleset *rs;
	bool in_table;
	bool done;
	unsigned table_line;
};

#define PERR(p, fmt, ...) \
	ctnic_ct_errf((p)->err, (p)->errlen, "%s:%u: " fmt, (p)->name, (p)->line, ##__VA_ARGS__)

void ctnic_nat_ruleset_free(struct ctnic_nat_ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->nchains; i++)
		free(rs->chains[i].rules);
	free(rs->chains);
	free(rs);
}

static int find_chain(const struct ctnic_nat_ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->nchains; i++)
		if (strcmp(rs->chains[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int add_chain(struct parser *p, const char *name, bool builtin)
{
	struct ctnic_nat_ruleset *rs = p->rs;
	struct ctnic_nat_chain *c;

	if (strlen(name) >= sizeof(c->name) || !name[0])
		return PERR(p, "chain name '%s' is empty or longer than %zu characters",
			    name, sizeof(c->name) - 1);
	if (rs->nchains == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 8;
		struct ctnic_nat_chain *n = realloc(rs->chains, cap * sizeof(*n));

		if (!n)
			return PERR(p, "out of memory adding chain %s", name);
		rs->chains = n;
		rs->cap = cap;
	}
	c = &rs->chains[rs->nchains++];
	memset(c, 0, sizeof(*c));
	strcpy(c->name, name);
	c->builtin = builtin;
	c->line = p->line;
	return 0;
}

/* Splits a line into words; "..." quotes a word, \" and \\ escape inside. */
static int tokenize(struct parser *p, char *s, char **argv, int *argc)
{
	int n = 0;

	for (;;) {
		char *w;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		if (n == MAX_ARGS)
			return PERR(p, "more than %d words on one line", MAX_ARGS);
		w = s;
		argv[n++] = w;
		if (*s == '"') {
			char *o = w;

			s++;
			while (*s && *s != '"') {
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				*o++ = *s++;
			}
			if (*s != '"')
				return PERR(p, "unterminated quote");
			s++;
			if (*s && *s != ' ' && *s != '\t')
				return PERR(p, "text right after a closing quote");
			*o = '\0';
			if (*s)
				s++;
			continue;
		}
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (*s)
			*s++ = '\0';
	}
	*argc = n;
	return 0;
}

static int parse_u32(const char *s, unsigned long max, unsigned long *v)
{
	uint32_t x;

	if (ctnic_ct_parse_u32(s, 0, (uint32_t)max, &x))
		return -1;
	*v = x;
	return 0;
}

/* "a.b.c.d", "a.b.c.d/len" or "a.b.c.d/m.m.m.m". */
static int parse_net(struct parser *p, const char *opt, const char *s, uint32_t *addr,
		     uint32_t *mask)
{
	char buf[64];
	char *slash;
	unsigned long len = 32;

	if (strlen(s) >= sizeof(buf))
		return PERR(p, "%s %s: not an IPv4 address", opt, s);
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash++ = '\0';
		if (strchr(slash, '.')) {
			uint32_t m;

			if (ctnic_ct_parse_ip(slash, &m) || (m & (~m >> 1)) != 0)
				return PERR(p, "%s %s: mask %s is not a contiguous netmask",
					    opt, s, slash);
			*mask = m;
		} else if (parse_u32(slash, 32, &len)) {
			return PERR(p, "%s %s: prefix length must be 0..32", opt, s);
		} else {
			*mask = len ? 0xffffffffu << (32 - len) : 0;
		}
	} else {
		*mask = 0xffffffffu;
	}
	if (ctnic_ct_parse_ip(buf, addr))
		return PERR(p, "%s %s: not an IPv4 address (host names are not resolved)",
			    opt, s);
	*addr &= *mask;
	return 0;
}

static int parse_port(struct parser *p, const char *opt, const char *s, uint16_t *port)
{
	unsigned long v;

	if (parse_u32(s, 65535, &v))
		return PERR(p, "%s %s: port must be a number 0..65535", opt, s);
	*port = (uint16_t)v;
	return 0;
}

/* "a", "a:b", "a:", ":b" (iptables' port range; sep ':' or '-'). */
static int parse_portrange(struct parser *p, const char *opt, const char *s, char sep,
			   struct ctnic_portrange *r)
{
	char buf[32];
	char *c;

	if (strlen(s) >= sizeof(buf))
		return PERR(p, "%s %s: not a port or port range", opt, s);
	strcpy(buf, s);
	c = strchr(buf, sep);
	if (!c) {
		if (parse_port(p, opt, buf, &r->lo))
			return -1;
		r->hi = r->lo;
		return 0;
	}
	*c++ = '\0';
	r->lo = 0;
	r->hi = 65535;
	if (buf[0] && parse_port(p, opt, buf, &r->lo))
		return -1;
	if (*c && parse_port(p, opt, c, &r->hi))
		return -1;
	if (r->lo > r->hi)
		return PERR(p, "%s %s: range runs backwards", opt, s);
	return 0;
}

static int parse_multiport(struct parser *p, const char *opt, const char *s,
			   struct ctnic_nat_match *m)
{
	char buf[256];
	char *save = NULL, *tok;

	if (strlen(s) >= sizeof(buf))
		return PERR(p, "%s: list too long", opt);
	strcpy(buf, s);
	m->mport_n = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (m->mport_n == CTNIC_NAT_MULTIPORT_MAX)
			return PERR(p, "%s %s: more than %d ports", opt, s,
				    CTNIC_NAT_MULTIPORT_MAX);
		if (parse_portrange(p, opt, tok, ':', &m->mport[m->mport_n]))
			return -1;
		m->mport_n++;
	}
	if (!m->mport_n)
		return PERR(p, "%s: empty port list", opt);
	return 0;
}

/* --to-destination / --to-source: [ip[-ip]][:port[-port]]. */
static int parse_nat_range(struct parser *p, const char *opt, const char *s,
			   struct ctnic_nat_range *r)
{
	char buf[64];
	char *colon, *dash;

	if (strlen(s) >= sizeof(buf))
		return PERR(p, "%s %s: not [ip[-ip]][:port[-port]]", opt, s);
	strcpy(buf, s);
	if (strchr(buf, '/'))
		return PERR(p, "%s %s: a /base port offset is not supported", opt, s);
	colon = strchr(buf, ':');
	if (colon) {
		struct ctnic_portrange pr;

		*colon++ = '\0';
		if (parse_portrange(p, opt, colon, '-', &pr))
			return -1;
		r->min_port = pr.lo;
		r->max_port = pr.hi;
		r->map_ports = true;
	}
	if (buf[0]) {
		dash = strchr(buf, '-');
		if (dash)
			*dash++ = '\0';
		if (ctnic_ct_parse_ip(buf, &r->min_addr) || (dash && ctnic_ct_parse_ip(dash, &r->max_addr)))
			return PERR(p, "%s %s: not an IPv4 address range", opt, s);
		if (!dash)
			r->max_addr = r->min_addr;
		if (r->min_addr > r->max_addr)
			return PERR(p, "%s %s: address range runs backwards", opt, s);
		r->map_ips = true;
	}
	if (!r->map_ips && !r->map_ports)
		return PERR(p, "%s: empty range", opt);
	return 0;
}

static int parse_proto(struct parser *p, const char *s, uint8_t *proto)
{
	unsigned long v;

	if (!strcmp(s, "tcp") || !strcmp(s, "6"))
		*proto = 6;
	else if (!strcmp(s, "udp") || !strcmp(s, "17"))
		*proto = 17;
	else if (!strcmp(s, "icmp") || !strcmp(s, "1"))
		*proto = 1;
	else if (!strcmp(s, "all") || !strcmp(s, "0"))
		*proto = 0;
	else if (!parse_u32(s, 255, &v))
		*proto = (uint8_t)v;
	else
		return PERR(p, "-p %s: unknown protocol (use tcp, udp, icmp, all or a number)", s);
	return 0;
}

static int parse_iface(struct parser *p, const char *opt, const char *s, char out[16])
{
	if (!*s || strlen(s) > 15)
		return PERR(p, "%s %s: interface names are 1..15 characters", opt, s);
	strcpy(out, s);
	return 0;
}

/* Modules a rule loaded with -m. */
#define MOD_TCP       0x01u
#define MOD_UDP       0x02u
#define MOD_MULTIPORT 0x04u
#define MOD_COMMENT   0x08u
#define MOD_ADDRTYPE  0x10u

static bool is_opt(const char *a, const char *s, const char *l)
{
	return (s && !strcmp(a, s)) || !strcmp(a, l);
}

static bool known_match_option(const char *a)
{
	static const char *const known[] = {
		"-s", "--source", "--src", "-d", "--destination", "--dst", "-p", "--protocol",
		"-i", "--in-interface", "-o", "--out-interface", "-m", "--match",
		"--sport", "--source-port", "--dport", "--destination-port", "--sports",
		"--dports", "--ports", "--source-ports", "--destination-ports", "--comment",
		"--src-type", "--dst-type", "-j", "--jump", "-g", "--goto",
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(a, known[i]))
			return true;
	return false;
}

static int target_of(struct parser *p, const char *t, struct ctnic_nat_rule *r, bool go)
{
	static const struct {
		const char *name;
		enum ctnic_nat_target t;
	} std[] = {
		{ "ACCEPT", CTNIC_NAT_T_ACCEPT }, { "RETURN", CTNIC_NAT_T_RETURN },
		{ "DNAT", CTNIC_NAT_T_DNAT }, { "SNAT", CTNIC_NAT_T_SNAT },
		{ "REDIRECT", CTNIC_NAT_T_REDIRECT }, { "MASQUERADE", CTNIC_NAT_T_MASQUERADE },
	};
	int c;

	if (!go)
		for (size_t i = 0; i < sizeof(std) / sizeof(std[0]); i++)
			if (!strcmp(t, std[i].name)) {
				r->target = std[i].t;
				return 0;
			}
	c = find_chain(p->rs, t);
	if (c >= CTNIC_HOOKS) {
		r->target = go ? CTNIC_NAT_T_GOTO : CTNIC_NAT_T_JUMP;
		r->chain_to = (unsigned)c;
		return 0;
	}
	if (c >= 0)
		return PERR(p, "-%c %s: a built-in chain cannot be a target", go ? 'g' : 'j', t);
	if (go)
		return PERR(p, "-g %s: no such chain (declare it with ':%s - [0:0]')", t, t);
	return PERR(p, "unsupported target %s (ctnic supports DNAT, SNAT, REDIRECT, "
		    "MASQUERADE, RETURN, ACCEPT and declared user chains)", t);
}

/* A target's own options, after -j. */
static int target_option(struct parser *p, struct ctnic_nat_rule *r, const char *opt,
			 const char *val, bool *used_val)
{
	enum ctnic_nat_target t = r->target;

	*used_val = false;
	if (!strcmp(opt, "--to-destination") && t == CTNIC_NAT_T_DNAT) {
		*used_val = true;
		if (r->range.map_ips || r->range.map_ports)
			return PERR(p, "DNAT: more than one --to-destination is not supported");
		return val ? parse_nat_range(p, opt, val, &r->range) : PERR(p, "%s needs a value", opt);
	}
	if (!strcmp(opt, "--to-source") && t == CTNIC_NAT_T_SNAT) {
		*used_val = true;
		if (r->range.map_ips || r->range.map_ports)
			return PERR(p, "SNAT: more than one --to-source is not supported");
		return val ? parse_nat_range(p, opt, val, &r->range) : PERR(p, "%s needs a value", opt);
	}
	if (!strcmp(opt, "--to-ports") &&
	    (t == CTNIC_NAT_T_REDIRECT || t == CTNIC_NAT_T_MASQUERADE)) {
		struct ctnic_portrange pr;

		*used_val = true;
		if (!val || parse_portrange(p, opt, val, '-', &pr))
			return val ? -1 : PERR(p, "%s needs a value", opt);
		r->range.min_port = pr.lo;
		r->range.max_port = pr.hi;
		r->range.map_ports = true;
		return 0;
	}
	if (!strcmp(opt, "--random") && t >= CTNIC_NAT_T_DNAT) {
		r->range.random = true;
		return 0;
	}
	if (!strcmp(opt, "--random-fully") &&
	    (t == CTNIC_NAT_T_SNAT || t == CTNIC_NAT_T_MASQUERADE)) {
		r->range.random_fully = true;
		return 0;
	}
	if (!strcmp(opt, "--persistent") && (t == CTNIC_NAT_T_DNAT || t == CTNIC_NAT_T_SNAT)) {
		r->range.persistent = true;
		return 0;
	}
	return PERR(p, "unsupported option %s for target %s", opt, ctnic_nat_target_name(t));
}

static int parse_rule(struct parser *p, int argc, char **argv)
{
	struct ctnic_nat_rule r;
	struct ctnic_nat_match *m = &r.m;
	struct ctnic_nat_chain *c;
	unsigned mods = 0;
	bool inv = false, have_target = false, have_proto = false;
	int ci, i;

	memset(&r, 0, sizeof(r));
	r.line = p->line;
	if (argc < 2)
		return PERR(p, "-A needs a chain name");
	ci = find_chain(p->rs, argv[1]);
	if (ci < 0)
		return PERR(p, "-A %s: no such chain (declare it with ':%s - [0:0]')",
			    argv[1], argv[1]);

	for (i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint16_t invbit = 0;

		if (!strcmp(a, "!")) {
			if (inv)
				return PERR(p, "'! !' is not allowed");
			inv = true;
			continue;
		}
		if (have_target && a[0] == '-' && a[1] == '-') {
			bool used;

			if (inv)
				return PERR(p, "'!' before target option %s", a);
			if (target_option(p, &r, a, v && v[0] != '-' ? v : NULL, &used))
				return -1;
			i += used;
			continue;
		}
		if (a[0] != '-')
			return PERR(p, "unexpected word '%s'", a);
		if (!v)
			return known_match_option(a) ? PERR(p, "%s needs a value", a) :
						       PERR(p, "unsupported option %s", a);

		if (is_opt(a, "-s", "--source") || !strcmp(a, "--src")) {
			if (parse_net(p, a, v, &m->src, &m->src_mask))
				return -1;
			invbit = CTNIC_NAT_INV_SRC;
		} else if (is_opt(a, "-d", "--destination") || !strcmp(a, "--dst")) {
			if (parse_net(p, a, v, &m->dst, &m->dst_mask))
				return -1;
			invbit = CTNIC_NAT_INV_DST;
		} else if (is_opt(a, "-p", "--protocol")) {
			if (parse_proto(p, v, &m->proto))
				return -1;
			have_proto = m->proto != 0;
			invbit = CTNIC_NAT_INV_PROTO;
		} else if (is_opt(a, "-i", "--in-interface")) {
			if (parse_iface(p, a, v, m->in_if))
				return -1;
			invbit = CTNIC_NAT_INV_IN;
		} else if (is_opt(a, "-o", "--out-interface")) {
			if (parse_iface(p, a, v, m->out_if))
				return -1;
			invbit = CTNIC_NAT_INV_OUT;
		} else if (is_opt(a, "-m", "--match")) {
			if (inv)
				return PERR(p, "'!' before -m");
			if (!strcmp(v, "tcp") || !strcmp(v, "udp")) {
				uint8_t want = v[0] == 't' ? 6 : 17;

				if (!have_proto || m->proto != want || (m->inv & CTNIC_NAT_INV_PROTO))
					return PERR(p, "-m %s needs -p %s before it", v, v);
				mods |= want == 6 ? MOD_TCP : MOD_UDP;
			} else if (!strcmp(v, "multiport")) {
				if (!have_proto || (m->proto != 6 && m->proto != 17) ||
				    (m->inv & CTNIC_NAT_INV_PROTO))
					return PERR(p, "-m multiport needs -p tcp or -p udp before it");
				mods |= MOD_MULTIPORT;
			} else if (!strcmp(v, "comment")) {
				mods |= MOD_COMMENT;
			} else if (!strcmp(v, "addrtype")) {
				mods |= MOD_ADDRTYPE;
			} else {
				return PERR(p, "unsupported match -m %s (ctnic supports tcp, udp, "
					    "multiport, comment, addrtype)", v);
			}
		} else if (is_opt(a, "--sport", "--source-port") ||
			   is_opt(a, "--dport", "--destination-port")) {
			bool src = !strcmp(a, "--sport") || !strcmp(a, "--source-port");

			/* iptables loads the tcp/udp match implicitly from -p. */
			if (!have_proto || (m->proto != 6 && m->proto != 17) ||
			    (m->inv & CTNIC_NAT_INV_PROTO))
				return PERR(p, "%s needs -p tcp or -p udp before it", a);
			if (parse_portrange(p, a, v, ':', src ? &m->sport : &m->dport))
				return -1;
			if (src)
				m->has_sport = true;
			else
				m->has_dport = true;
			invbit = src ? CTNIC_NAT_INV_SPORT : CTNIC_NAT_INV_DPORT;
		} else if (!strcmp(a, "--sports") || !strcmp(a, "--dports") ||
			   !strcmp(a, "--ports") || !strcmp(a, "--source-ports") ||
			   !strcmp(a, "--destination-ports")) {
			if (!(mods & MOD_MULTIPORT))
				return PERR(p, "%s needs -m multiport before it", a);
			if (m->mport_kind)
				return PERR(p, "%s: one port list per rule", a);
			if (parse_multiport(p, a, v, m))
				return -1;
			m->mport_kind = !strcmp(a, "--ports") ? 3 :
					(a[2] == 's') ? 1 : 2;
			invbit = CTNIC_NAT_INV_MPORT;
		} else if (!strcmp(a, "--comment")) {
			if (!(mods & MOD_COMMENT))
				return PERR(p, "--comment needs -m comment before it");
			if (inv)
				return PERR(p, "'!' before --comment");
		} else if (!strcmp(a, "--src-type") || !strcmp(a, "--dst-type")) {
			if (!(mods & MOD_ADDRTYPE))
				return PERR(p, "%s needs -m addrtype before it", a);
			if (strcmp(v, "LOCAL"))
				return PERR(p, "%s %s: only LOCAL is supported", a, v);
			if (a[2] == 's') {
				m->src_local = true;
				invbit = CTNIC_NAT_INV_SRCTYPE;
			} else {
				m->dst_local = true;
				invbit = CTNIC_NAT_INV_DSTTYPE;
			}
		} else if (is_opt(a, "-j", "--jump") || is_opt(a, "-g", "--goto")) {
			if (inv)
				return PERR(p, "'!' before %s", a);
			if (have_target)
				return PERR(p, "more than one target");
			if (target_of(p, v, &r, a[1] == 'g' || !strcmp(a, "--goto")))
				return -1;
			have_target = true;
		} else {
			return PERR(p, "unsupported option %s", a);
		}
		if (inv) {
			if (!invbit)
				return PERR(p, "'!' cannot negate %s", a);
			m->inv |= invbit;
			inv = false;
		}
		i++; /* the option's value */
	}
	if (inv)
		return PERR(p, "'!' at the end of the rule");

	if ((r.target == CTNIC_NAT_T_DNAT || r.target == CTNIC_NAT_T_SNAT) &&
	    !r.range.map_ips && !r.range.map_ports)
		return PERR(p, "%s needs %s", ctnic_nat_target_name(r.target),
			    r.target == CTNIC_NAT_T_DNAT ? "--to-destination" : "--to-source");
	if (r.range.map_ports && (!have_proto || (m->proto != 6 && m->proto != 17) ||
				  (m->inv & CTNIC_NAT_INV_PROTO)))
		return PERR(p, "%s to ports needs -p tcp or -p udp",
			    ctnic_nat_target_name(r.target));

	c = &p->rs->chains[ci];
	if (c->nrules == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct ctnic_nat_rule *n = realloc(c->rules, cap * sizeof(*n));

		if (!n)
			return PERR(p, "out of memory adding a rule to %s", c->name);
		c->rules = n;
		c->cap = cap;
	}
	c->rules[c->nrules++] = r;
	p->rs->nrules++;
	return 0;
}

static int parse_chain_decl(struct parser *p, int argc, char **argv)
{
	const char *name = argv[0] + 1;
	int ci = find_chain(p->rs, name);

	if (argc < 2 || argc > 3)
		return PERR(p, "chain line must be ':NAME POLICY [packets:bytes]'");
	if (ci >= 0 && ci < CTNIC_HOOKS) {
		if (strcmp(argv[1], "ACCEPT"))
			return PERR(p, "policy %s of %s: nat chains only take ACCEPT",
				    argv[1], name);
		return 0;
	}
	if (ci >= 0)
		return PERR(p, "chain %s declared twice (first on line %u)", name,
			    p->rs->chains[ci].line);
	if (strcmp(argv[1], "-"))
		return PERR(p, "user chain %s: policy must be '-', not %s", name, argv[1]);
	return add_chain(p, name, false);
}

static int parse_line(struct parser *p, char *s)
{
	char *argv[MAX_ARGS];
	int argc = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s || *s == '#')
		return 0;
	if (*s == '*') {
		if (p->in_table)
			return PERR(p, "%s inside the table begun on line %u (missing COMMIT)",
				    s, p->table_line);
		if (strcmp(s + 1, "nat"))
			return PERR(p, "table %s: only the nat table is supported "
				    "(iptables-save -t nat)", s);
		if (p->done)
			return PERR(p, "a second *nat table");
		p->in_table = true;
		p->table_line = p->line;
		return 0;
	}
	if (!p->in_table)
		return PERR(p, "'%s' outside a *nat ... COMMIT block", s);
	if (tokenize(p, s, argv, &argc))
		return -1;
	if (!strcmp(argv[0], "COMMIT")) {
		if (argc != 1)
			return PERR(p, "COMMIT takes no arguments");
		p->in_table = false;
		p->done = true;
		return 0;
	}
	if (argv[0][0] == ':')
		return parse_chain_decl(p, argc, argv);
	if (argv[0][0] == '[') { /* iptables-save -c: [packets:bytes] -A ... */
		argc--;
		memmove(argv, argv + 1, (size_t)argc * sizeof(argv[0]));
		if (!argc)
			return PERR(p, "counters without a rule");
	}
	if (!strcmp(argv[0], "-A") || !strcmp(argv[0], "--append"))
		return parse_rule(p, argc, argv);
	return PERR(p, "unsupported command %s (iptables-save writes only -A rules)", argv[0]);
}

static bool hook_allows(enum ctnic_nat_hook h, enum ctnic_nat_target t)
{
	switch (t) {
	case CTNIC_NAT_T_DNAT:
	case CTNIC_NAT_T_REDIRECT:
		return h == CTNIC_HOOK_PREROUTING || h == CTNIC_HOOK_OUTPUT;
	case CTNIC_NAT_T_SNAT:
		return h == CTNIC_HOOK_POSTROUTING || h == CTNIC_HOOK_INPUT;
	case CTNIC_NAT_T_MASQUERADE:
		return h == CTNIC_HOOK_POSTROUTING;
	default:
		return true;
	}
}

/* Checks what a hook reaches: targets, interfaces, loops (as x_tables does). */
static int check_chain(struct parser *p, enum ctnic_nat_hook h, unsigned ci, unsigned depth,
		       unsigned *stack)
{
	const struct ctnic_nat_chain *c = &p->rs->chains[ci];

	for (unsigned d = 0; d < depth; d++)
		if (stack[d] == ci)
			return ctnic_ct_errf(p->err, p->errlen, "%s:%u: chain %s jumps back "
					     "into itself (loop)", p->name, c->line, c->name);
	if (depth == MAX_DEPTH)
		return ctnic_ct_errf(p->err, p->errlen, "%s:%u: chains nest deeper than %d",
				     p->name, c->line, MAX_DEPTH);
	stack[depth] = ci;
	for (size_t i = 0; i < c->nrules; i++) {
		const struct ctnic_nat_rule *r = &c->rules[i];
		bool in_ok = h == CTNIC_HOOK_PREROUTING || h == CTNIC_HOOK_INPUT;

		/*
		 * iptables refuses -i/-o only in the built-in chains where
		 * they cannot apply; in a user chain they just see no
		 * interface there (so "! -i x" matches).
		 */
		if (depth == 0 && r->m.in_if[0] && !in_ok)
			return ctnic_ct_errf(p->err, p->errlen, "%s:%u: -i cannot be used in "
					     "%s (reached from %s)", p->name, r->line, c->name,
					     builtin_names[h]);
		if (depth == 0 && r->m.out_if[0] && in_ok)
			return ctnic_ct_errf(p->err, p->errlen, "%s:%u: -o cannot be used in "
					     "%s (reached from %s)", p->name, r->line, c->name,
					     builtin_names[h]);
		if (!hook_allows(h, r->target))
			return ctnic_ct_errf(p->err, p->errlen, "%s:%u: %s is not valid in %s "
					     "(reached from %s)", p->name, r->line,
					     ctnic_nat_target_name(r->target), c->name,
					     builtin_names[h]);
		if ((r->target == CTNIC_NAT_T_JUMP || r->target == CTNIC_NAT_T_GOTO) &&
		    check_chain(p, h, r->chain_to, depth + 1, stack))
			return -1;
	}
	return 0;
}

int ctnic_nat_parse(const char *text, const char *name, unsigned first_line,
		    struct ctnic_nat_ruleset **out, char *err, size_t errlen)
{
	struct parser p = { .name = name ? name : "(rules)", .err = err, .errlen = errlen };
	unsigned stack[MAX_DEPTH];
	const char *s = text;
	char *buf = NULL;
	size_t bufcap = 0;

	*out = NULL;
	p.rs = calloc(1, sizeof(*p.rs));
	if (!p.rs)
		return ctnic_ct_errf(err, errlen, "%s: out of memory for the ruleset", p.name);
	p.line = first_line;
	for (int h = 0; h < CTNIC_HOOKS; h++)
		if (add_chain(&p, builtin_names[h], true))
			goto fail;
	p.line = first_line - 1;
	while (s && *s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);

		p.line++;
		if (len + 1 > bufcap) {
			char *n = realloc(buf, len + 1);

			if (!n) {
				PERR(&p, "out of memory reading a line");
				goto fail;
			}
			buf = n;
			bufcap = len + 1;
		}
		memcpy(buf, s, len);
		buf[len] = '\0';
		if (len && buf[len - 1] == '\r')
			buf[len - 1] = '\0';
		if (parse_line(&p, buf))
			goto fail;
		s = nl ? nl + 1 : NULL;
	}
	if (p.in_table) {
		ctnic_ct_errf(err, errlen, "%s:%u: *nat has no COMMIT (the rules are not applied)",
			      p.name, p.table_line);
		goto fail;
	}
	for (int h = 0; h < CTNIC_HOOKS; h++)
		if (check_chain(&p, (enum ctnic_nat_hook)h, (unsigned)h, 0, stack))
			goto fail;
	free(buf);
	*out = p.rs;
	return 0;
fail:
	free(buf);
	ctnic_nat_ruleset_free(p.rs);
	return -1;
}

int ctnic_nat_parse_file(const char *path, struct ctnic_nat_ruleset **out,
			 char *err, size_t errlen)
{
	char *text;
	int rc;

	*out = NULL;
	if (ctnic_ct_read_file(path, &text, err, errlen))
		return -1;
	rc = ctnic_nat_parse(text, path, 1, out, err, errlen);
	free(text);
	return rc;
}
