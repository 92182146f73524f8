/*
 * conf.c - the daemon's configuration file (ctnic_conf.h; the format is in
 * docs/conntrack.md). Parsed into a fresh struct; any error frees it, so a
 * bad file never replaces a good configuration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct/ct_util.h"
#include "ct/ctnic_conf.h"

#define MAX_WORDS 16

struct cparser {
	const char *name;
	const char *base_dir;
	unsigned line;
	char *err;
	size_t errlen;
	struct ctnic_conf *c;
	bool nat_set;
	unsigned nat_line;
	const char *nat_name;    /* where rule line numbers point */
};

#define CERR(p, fmt, ...) \
	ctnic_ct_errf((p)->err, (p)->errlen, "%s:%u: " fmt, (p)->name, (p)->line, ##__VA_ARGS__)

void ctnic_conf_free(struct ctnic_conf *c)
{
	if (!c)
		return;
	ctnic_nat_ruleset_free(c->nat);
	for (size_t i = 0; i < c->nflows; i++)
		free(c->flows[i].text);
	free(c->flows);
	free(c->routes);
	free(c->neighs);
	free(c);
}

static int cidr_of(struct cparser *p, const char *what, const char *s, uint32_t *a,
		   uint8_t *plen, bool host_ok)
{
	char buf[40];
	char *slash;
	uint32_t len;

	if (!strcmp(s, "default") && !host_ok) {
		*a = 0;
		*plen = 0;
		return 0;
	}
	if (strlen(s) >= sizeof(buf) || !(slash = strchr(strcpy(buf, s), '/')))
		return CERR(p, "%s %s: write ADDRESS/PREFIXLEN (e.g. 192.0.2.1/24)", what, s);
	*slash++ = '\0';
	if (ctnic_ct_parse_ip(buf, a) || ctnic_ct_parse_u32(slash, 0, 32, &len))
		return CERR(p, "%s %s: not an IPv4 address with a prefix length 0..32", what, s);
	*plen = (uint8_t)len;
	if (!host_ok && len < 32 && (*a & ~(len ? 0xffffffffu << (32 - len) : 0)))
		return CERR(p, "%s %s: host bits set (the network is %s with them cleared)",
			    what, s, buf);
	return 0;
}

static int mac_of(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6 || strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static uint32_t mask_of(uint8_t plen)
{
	return plen ? 0xffffffffu << (32 - plen) : 0;
}

int ctnic_conf_port_of(const struct ctnic_conf *c, uint32_t addr)
{
	int best = -1;

	/* The longest prefix wins, as a routing table would. */
	for (int i = 0; i < CTNIC_CONF_PORTS; i++) {
		const struct ctnic_conf_port *pt = &c->ports[i];

		if (pt->set && ((addr ^ pt->addr) & mask_of(pt->plen)) == 0 &&
		    (best < 0 || pt->plen > c->ports[best].plen))
			best = i;
	}
	return best;
}

static int port_by_name(const struct ctnic_conf *c, const char *name)
{
	for (int i = 0; i < CTNIC_CONF_PORTS; i++)
		if (c->ports[i].set && !strcmp(c->ports[i].name, name))
			return i;
	return -1;
}

size_t ctnic_conf_nat_env(const struct ctnic_conf *c, struct ctnic_nat_iface *ifaces)
{
	size_t n = 0;

	for (int i = 0; i < CTNIC_CONF_PORTS; i++)
		if (c->ports[i].set) {
			ifaces[n].name = c->ports[i].name;
			ifaces[n].addr = c->ports[i].addr;
			n++;
		}
	return n;
}

/* port N NAME ADDR/PLEN [mac MAC] */
static int st_port(struct cparser *p, int argc, char **argv)
{
	struct ctnic_conf_port pt = { .set = true, .line = p->line };
	uint32_t n;
	int other;

	if (argc != 4 && argc != 6)
		return CERR(p, "port: write 'port NUMBER NAME ADDRESS/PREFIXLEN [mac MAC]'");
	if (ctnic_ct_parse_u32(argv[1], 0, CTNIC_CONF_PORTS - 1, &n))
		return CERR(p, "port %s: the number must be 0..%d", argv[1], CTNIC_CONF_PORTS - 1);
	if (p->c->ports[n].set)
		return CERR(p, "port %u is already defined on line %u", n, p->c->ports[n].line);
	if (strlen(argv[2]) > 15 || !strcmp(argv[2], "default"))
		return CERR(p, "port %u: name '%s' must be 1..15 characters and not 'default'",
			    n, argv[2]);
	other = port_by_name(p->c, argv[2]);
	if (other >= 0)
		return CERR(p, "port %u: name %s is already port %d's", n, argv[2], other);
	strcpy(pt.name, argv[2]);
	if (cidr_of(p, "port address", argv[3], &pt.addr, &pt.plen, true))
		return -1;
	if (argc == 6) {
		if (strcmp(argv[4], "mac") || mac_of(argv[5], pt.mac))
			return CERR(p, "port %u: '%s %s' should be 'mac xx:xx:xx:xx:xx:xx'", n,
				    argv[4], argv[5]);
		pt.has_mac = true;
	}
	p->c->ports[n] = pt;
	return 0;
}

static int dev_of(struct cparser *p, const char *what, const char *name, char dev[16])
{
	if (!*name || strlen(name) > 15)
		return CERR(p, "%s dev %s: a port name is 1..15 characters", what, name);
	strcpy(dev, name);
	return 0;
}

/* route DEST via GW [dev NAME] | route DEST dev NAME */
static int st_route(struct cparser *p, int argc, char **argv)
{
	struct ctnic_conf_route r = { .line = p->line };
	struct ctnic_conf_route *n;

	if (argc < 4 || argc % 2)
		return CERR(p, "route: write 'route NETWORK/LEN|default via GATEWAY [dev PORT]' "
			    "or 'route NETWORK/LEN dev PORT'");
	if (cidr_of(p, "route", argv[1], &r.dst, &r.plen, false))
		return -1;
	for (int i = 2; i < argc; i += 2) {
		if (!strcmp(argv[i], "via")) {
			if (ctnic_ct_parse_ip(argv[i + 1], &r.via) || !r.via)
				return CERR(p, "route via %s: not an IPv4 address", argv[i + 1]);
		} else if (!strcmp(argv[i], "dev")) {
			if (dev_of(p, "route", argv[i + 1], r.dev))
				return -1;
		} else {
			return CERR(p, "route: unknown word '%s' (expected via or dev)", argv[i]);
		}
	}
	if (!r.via && !r.dev[0])
		return CERR(p, "route: give 'via GATEWAY' or 'dev PORT'");
	n = realloc(p->c->routes, (p->c->nroutes + 1) * sizeof(*n));
	if (!n)
		return CERR(p, "out of memory for a route");
	p->c->routes = n;
	n[p->c->nroutes++] = r;
	return 0;
}

/* neighbour ADDR MAC [dev NAME] */
static int st_neigh(struct cparser *p, int argc, char **argv)
{
	struct ctnic_conf_neigh nb = { .line = p->line };
	struct ctnic_conf_neigh *n;

	if (argc != 3 && argc != 5)
		return CERR(p, "neighbour: write 'neighbour ADDRESS MAC [dev PORT]'");
	if (ctnic_ct_parse_ip(argv[1], &nb.addr))
		return CERR(p, "neighbour %s: not an IPv4 address", argv[1]);
	if (mac_of(argv[2], nb.mac))
		return CERR(p, "neighbour %s: '%s' is not a MAC address xx:xx:xx:xx:xx:xx",
			    argv[1], argv[2]);
	if (argc == 5 && strcmp(argv[3], "dev"))
		return CERR(p, "neighbour: unknown word '%s' (expected dev)", argv[3]);
	if (argc == 5 && dev_of(p, "neighbour", argv[4], nb.dev))
		return -1;
	n = realloc(p->c->neighs, (p->c->nneighs + 1) * sizeof(*n));
	if (!n)
		return CERR(p, "out of memory for a neighbour");
	p->c->neighs = n;
	n[p->c->nneighs++] = nb;
	return 0;
}

/* NAME = VALUE, for the Linux sysctls ctnic honours. */
static int st_sysctl(struct cparser *p, const char *name, const char *val)
{
	char why[256];
	uint32_t v;

	if (!strcmp(name, "nf_conntrack_max") || !strcmp(name, "net.netfilter.nf_conntrack_max")) {
		if (ctnic_ct_parse_u32(val, 1, 1u << 22, &v))
			return CERR(p, "%s = %s: must be 1..%u (the card's flow ids)", name, val,
				    1u << 22);
		p->c->conntrack_max = v;
		return 0;
	}
	if (ctnic_ct_opts_get(&p->c->ct, name, &v))
		return CERR(p, "%s: not a setting ctnic knows (timeouts nf_conntrack_*_timeout*, "
			    "nf_conntrack_tcp_loose, nf_conntrack_max)", name);
	if (ctnic_ct_opts_set(&p->c->ct, name, val, why, sizeof(why)))
		return CERR(p, "%s", why);
	return 0;
}

static int st_nat_file(struct cparser *p, int argc, char **argv)
{
	char path[4096];
	struct ctnic_nat_ruleset *rs;

	if (argc != 2)
		return CERR(p, "nat-rules: write 'nat-rules PATH'");
	if (p->nat_set)
		return CERR(p, "NAT rules are already given on line %u", p->nat_line);
	if (argv[1][0] == '/' || !p->base_dir)
		snprintf(path, sizeof(path), "%s", argv[1]);
	else
		snprintf(path, sizeof(path), "%s/%s", p->base_dir, argv[1]);
	if (ctnic_nat_parse_file(path, &rs, p->err, p->errlen)) {
		char inner[512];

		snprintf(inner, sizeof(inner), "%s", p->err);
		return CERR(p, "nat-rules: %s", inner);
	}
	ctnic_nat_ruleset_free(p->c->nat);
	p->c->nat = rs;
	p->nat_set = true;
	p->nat_line = p->line;
	snprintf(p->c->nat_source, sizeof(p->c->nat_source), "%s", path);
	p->nat_name = p->c->nat_source;
	return 0;
}

static int st_words(struct cparser *p, int argc, char **argv)
{
	const char *k = argv[0];
	char *eq = strchr(argv[0], '=');
	uint32_t v;

	/* NAME=VALUE, NAME = VALUE, NAME VALUE */
	if (!strncmp(k, "nf_conntrack_", 13) || !strncmp(k, "net.netfilter.", 14)) {
		if (eq && eq[1] && argc == 1) {
			*eq = '\0';
			return st_sysctl(p, argv[0], eq + 1);
		}
		if (eq && !eq[1] && argc == 2) {
			*eq = '\0';
			return st_sysctl(p, argv[0], argv[1]);
		}
		if (argc == 3 && !strcmp(argv[1], "="))
			return st_sysctl(p, argv[0], argv[2]);
		if (argc == 2 && !eq)
			return st_sysctl(p, argv[0], argv[1]);
		return CERR(p, "%s: write 'NAME = VALUE'", k);
	}
	if (!strcmp(k, "port"))
		return st_port(p, argc, argv);
	if (!strcmp(k, "route"))
		return st_route(p, argc, argv);
	if (!strcmp(k, "neighbour") || !strcmp(k, "neighbor"))
		return st_neigh(p, argc, argv);
	if (!strcmp(k, "nat-rules"))
		return st_nat_file(p, argc, argv);
	if (!strcmp(k, "linger-time") || !strcmp(k, "linger-entries") ||
	    !strcmp(k, "late-rst-limit")) {
		if (argc != 2 || ctnic_ct_parse_u32(argv[1], 0, 1u << 26, &v))
			return CERR(p, "%s: write '%s N', N a whole number 0..%u", k, k, 1u << 26);
		*(!strcmp(k, "linger-time") ? &p->c->linger_sec :
		  !strcmp(k, "linger-entries") ? &p->c->linger_entries :
		  &p->c->late_rst_per_sec) = v;
		return 0;
	}
	if (!strcmp(k, "late-packets")) {
		if (argc == 2 && !strcmp(argv[1], "drop"))
			p->c->late = CTNIC_LATE_DROP;
		else if (argc == 2 && !strcmp(argv[1], "rst"))
			p->c->late = CTNIC_LATE_RST;
		else
			return CERR(p, "late-packets: write 'late-packets drop' or 'late-packets rst'");
		return 0;
	}
	return CERR(p, "unknown setting '%s'", k);
}

static int split(struct cparser *p, char *s, char **argv, int *argc)
{
	char *hash = strchr(s, '#');
	int n = 0;

	if (hash)
		*hash = '\0';
	char *save = NULL;

	for (char *w = strtok_r(s, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
		if (n == MAX_WORDS)
			return CERR(p, "more than %d words", MAX_WORDS);
		argv[n++] = w;
	}
	*argc = n;
	return 0;
}

/*
 * "flow SPEC": the daemon's static flows, kept verbatim for it to check.
 * Empties the line once kept, so the caller sees nothing more on it.
 */
static int keep_flow(struct cparser *p, char *line)
{
	char *w = line + strspn(line, " \t"), *hash, *end;
	struct ctnic_conf_line *n;

	if (strncmp(w, "flow", 4) || (w[4] != ' ' && w[4] != '\t'))
		return 0;
	w += 4 + strspn(w + 4, " \t");
	hash = strchr(w, '#');
	if (hash)
		*hash = '\0';
	end = w + strlen(w);
	while (end > w && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	if (!*w)
		return CERR(p, "flow: write 'flow SPEC' (docs/daemon.md)");
	n = realloc(p->c->flows, (p->c->nflows + 1) * sizeof(*n));
	if (!n)
		return CERR(p, "out of memory for a flow line");
	p->c->flows = n;
	n[p->c->nflows].line = p->line;
	n[p->c->nflows].text = strdup(w);
	if (!n[p->c->nflows].text)
		return CERR(p, "out of memory for a flow line");
	p->c->nflows++;
	line[0] = '\0';
	return 0;
}

/* The embedded block: from "*nat" to "COMMIT", handed to the rules parser. */
static int nat_block(struct cparser *p, const char *start, const char **next)
{
	const char *s = start, *end = NULL;
	unsigned lines = 0;
	struct ctnic_nat_ruleset *rs;
	char *block;
	int rc;

	if (p->nat_set)
		return CERR(p, "NAT rules are already given on line %u", p->nat_line);
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		const char *w = s;

		while (w < s + len && (*w == ' ' || *w == '\t'))
			w++;
		lines++;
		s = nl ? nl + 1 : s + len;
		if ((size_t)(s - w) >= 6 && !strncmp(w, "COMMIT", 6) &&
		    strspn(w + 6, " \t\r\n") == (size_t)(s - w - 6)) {
			end = s;
			break;
		}
	}
	if (!end)
		return CERR(p, "*nat block has no COMMIT line (nothing of this file is applied)");
	block = strndup(start, (size_t)(end - start));
	if (!block)
		return CERR(p, "out of memory for the NAT block");
	rc = ctnic_nat_parse(block, p->name, p->line, &rs, p->err, p->errlen);
	free(block);
	if (rc)
		return -1;
	ctnic_nat_ruleset_free(p->c->nat);
	p->c->nat = rs;
	p->nat_set = true;
	p->nat_line = p->line;
	snprintf(p->c->nat_source, sizeof(p->c->nat_source), "%s:%u", p->name, p->line);
	p->line += lines - 1;
	*next = end;
	return 0;
}

static int iface_known(struct cparser *p, const char *ifn, unsigned line)
{
	size_t n = strlen(ifn);

	if (!n || ifn[n - 1] == '+' || port_by_name(p->c, ifn) >= 0)
		return 0;
	return ctnic_ct_errf(p->err, p->errlen, "%s:%u: interface %s is no port of this "
			     "configuration (name it in a 'port' line)", p->nat_name, line, ifn);
}

/* Checks that need the whole file: route and neighbour ports, rule interfaces. */
static int finish(struct cparser *p)
{
	struct ctnic_conf *c = p->c;

	for (size_t i = 0; i < c->nroutes; i++) {
		struct ctnic_conf_route *r = &c->routes[i];
		int port = r->dev[0] ? port_by_name(c, r->dev) : ctnic_conf_port_of(c, r->via);

		p->line = r->line;
		if (r->dev[0] && port < 0)
			return CERR(p, "route: dev %s is no port", r->dev);
		if (r->dev[0] && r->via && ctnic_conf_port_of(c, r->via) != port)
			return CERR(p, "route: the gateway is not on port %s's subnet", r->dev);
		if (port < 0)
			return CERR(p, "route: gateway %u.%u.%u.%u is on no port's subnet",
				    r->via >> 24, (r->via >> 16) & 255, (r->via >> 8) & 255,
				    r->via & 255);
		r->port = (unsigned)port;
	}
	for (size_t i = 0; i < c->nneighs; i++) {
		struct ctnic_conf_neigh *nb = &c->neighs[i];
		int port = nb->dev[0] ? port_by_name(c, nb->dev) : ctnic_conf_port_of(c, nb->addr);

		p->line = nb->line;
		if (port < 0)
			return CERR(p, "neighbour: %s", nb->dev[0] ? "dev names no port" :
				    "address is on no port's subnet");
		nb->port = (unsigned)port;
	}
	for (size_t ci = 0; ci < c->nat->nchains; ci++)
		for (size_t i = 0; i < c->nat->chains[ci].nrules; i++) {
			const struct ctnic_nat_rule *r = &c->nat->chains[ci].rules[i];

			if (iface_known(p, r->m.in_if, r->line) ||
			    iface_known(p, r->m.out_if, r->line))
				return -1;
		}
	return 0;
}

int ctnic_conf_parse(const char *text, const char *name, const char *base_dir,
		     struct ctnic_conf **out, char *err, size_t errlen)
{
	struct cparser p = { .name = name ? name : "(config)", .base_dir = base_dir,
			     .err = err, .errlen = errlen };
	const char *s = text;
	char *line = NULL;
	int rc = -1;

	*out = NULL;
	p.nat_name = p.name;
	p.c = calloc(1, sizeof(*p.c));
	if (!p.c)
		return ctnic_ct_errf(err, errlen, "%s: out of memory", p.name);
	ctnic_ct_opts_default(&p.c->ct);
	p.c->conntrack_max = CTNIC_CONF_CONNTRACK_MAX_DEFAULT;
	p.c->linger_sec = CTNIC_CONF_LINGER_SEC_DEFAULT;
	p.c->linger_entries = CTNIC_CONF_LINGER_ENTRIES_DEFAULT;
	p.c->late_rst_per_sec = CTNIC_CONF_LATE_RST_DEFAULT;

	while (s && *s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		char *argv[MAX_WORDS];
		int argc = 0;

		p.line++;
		free(line);
		line = strndup(s, len);
		if (!line) {
			CERR(&p, "out of memory");
			goto done;
		}
		if (line[strspn(line, " \t")] == '*') {
			if (nat_block(&p, s, &s))
				goto done;
			continue;
		}
		s = nl ? nl + 1 : NULL;
		if (keep_flow(&p, line))
			goto done;
		if (split(&p, line, argv, &argc) || (argc && st_words(&p, argc, argv)))
			goto done;
	}
	if (!p.c->nat && ctnic_nat_parse("", p.name, 1, &p.c->nat, err, errlen))
		goto done;
	if (finish(&p))
		goto done;
	*out = p.c;
	p.c = NULL;
	rc = 0;
done:
	free(line);
	ctnic_conf_free(p.c);
	return rc;
}

int ctnic_conf_load(const char *path, struct ctnic_conf **out, char *err, size_t errlen)
{
	char *text, *dir, *slash;
	int rc;

	*out = NULL;
	if (ctnic_ct_read_file(path, &text, err, errlen))
		return -1;
	dir = strdup(path);
	if (!dir) {
		free(text);
		return ctnic_ct_errf(err, errlen, "%s: out of memory", path);
	}
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	rc = ctnic_conf_parse(text, path, slash ? dir : NULL, out, err, errlen);
	free(dir);
	free(text);
	return rc;
}
