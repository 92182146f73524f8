/* ctnic-pcapdiff: compares two sets of output pcaps, packet by packet.
 *
 *   ctnic-pcapdiff [--ignore FIELD,...] [--names A,B] [--verbose]
 *                  PORT=A.pcap,B.pcap [PORT=A.pcap,B.pcap ...]
 *
 * For every port the two captures are compared in order, timestamps ignored.
 * Each packet is decoded into named header fields (eth.*, vlan.*, ip.*,
 * tcp.*, udp.*, icmp.*, payload); a packet differs when a field not in
 * --ignore differs. The report shows every differing packet, both sides in
 * one line each (tcpdump-like), then each differing field. Packets present
 * on one side only are listed too. The last line sums it up.
 *
 * Exit status: 0 when the sets are the same, 1 when they differ, 2 on error.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 48
#define MAX_IGNORE 32
#define VAL_LEN 64

struct field {
	const char *name;
	char val[VAL_LEN];
};

struct packet {
	size_t len;
	unsigned char *data;
};

struct decoded {
	struct field f[MAX_FIELDS];
	int n;
	char summary[384];
	size_t payload_off;             /* where the undecoded rest starts */
};

struct capture {
	const char *path;
	struct packet *p;
	size_t n;
};

static const char *ignore[MAX_IGNORE];
static int n_ignore;

static int ignored(const char *name)
{
	int i;

	for (i = 0; i < n_ignore; i++)
		if (!strcmp(ignore[i], name))
			return 1;
	return 0;
}

static void add(struct decoded *d, const char *name, const char *fmt, unsigned long v)
{
	if (d->n >= MAX_FIELDS)
		return;
	d->f[d->n].name = name;
	snprintf(d->f[d->n].val, VAL_LEN, fmt, v);
	d->n++;
}

static void add_str(struct decoded *d, const char *name, const char *s)
{
	if (d->n >= MAX_FIELDS)
		return;
	d->f[d->n].name = name;
	snprintf(d->f[d->n].val, VAL_LEN, "%s", s);
	d->n++;
}

static unsigned get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static unsigned long get32(const unsigned char *p)
{
	return (unsigned long)get16(p) << 16 | get16(p + 2);
}

static void fmt_mac(char *buf, const unsigned char *m)
{
	snprintf(buf, VAL_LEN, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
		 m[4], m[5]);
}

static void fmt_ip(char *buf, const unsigned char *a)
{
	snprintf(buf, VAL_LEN, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

static void tcp_flags(char *buf, unsigned fl)
{
	static const char names[] = "FSRPAUEC";
	char *o = buf;
	int i;

	*o++ = '[';
	for (i = 0; i < 8; i++) {
		if (fl & (1u << i)) {
			/* tcpdump writes ACK as '.' */
			*o++ = i == 4 ? '.' : names[i];
		}
	}
	if (o == buf + 1) {
		memcpy(o, "none", 4);
		o += 4;
	}
	*o++ = ']';
	*o = '\0';
}

/* Decodes what it understands; the rest is the payload. */
static void decode(const struct packet *pk, struct decoded *d)
{
	const unsigned char *p = pk->data;
	size_t len = pk->len, off = 14, ihl, l4;
	char a[VAL_LEN], b[VAL_LEN];
	unsigned type;

	memset(d, 0, sizeof(*d));
	if (len < 14) {
		snprintf(d->summary, sizeof(d->summary), "runt frame, %zu bytes", len);
		return;
	}
	fmt_mac(a, p);
	add_str(d, "eth.dst", a);
	fmt_mac(a, p + 6);
	add_str(d, "eth.src", a);
	type = get16(p + 12);
	if (type == 0x8100 && len >= 18) {
		add(d, "vlan.tci", "0x%04lx", get16(p + 14));
		type = get16(p + 16);
		off = 18;
	}
	add(d, "eth.type", "0x%04lx", type);
	d->payload_off = off;
	snprintf(d->summary, sizeof(d->summary), "ethertype 0x%04x, %zu bytes", type, len);
	if (type != 0x0800 || len < off + 20)
		return;

	p += off;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	if ((p[0] >> 4) != 4 || ihl < 20 || len < off + ihl)
		return;
	add(d, "ip.ihl", "%lu", ihl);
	add(d, "ip.tos", "0x%02lx", p[1]);
	add(d, "ip.len", "%lu", get16(p + 2));
	add(d, "ip.id", "%lu", get16(p + 4));
	add(d, "ip.frag", "0x%04lx", get16(p + 6));
	add(d, "ip.ttl", "%lu", p[8]);
	add(d, "ip.proto", "%lu", p[9]);
	add(d, "ip.csum", "0x%04lx", get16(p + 10));
	fmt_ip(a, p + 12);
	add_str(d, "ip.src", a);
	fmt_ip(b, p + 16);
	add_str(d, "ip.dst", b);
	if (ihl > 20)
		add(d, "ip.options", "%lu bytes", ihl - 20);
	off += ihl;
	d->payload_off = off;
	snprintf(d->summary, sizeof(d->summary), "%s > %s: proto %u, length %u", a, b,
		 p[9], get16(p + 2));
	if (get16(p + 6) & 0x1fff)
		return;                 /* a later fragment: no L4 header */

	l4 = off;
	p = pk->data + l4;
	if (p[-ihl + 9] == 6 && len >= l4 + 20) {
		size_t doff = (size_t)(p[12] >> 4) * 4;
		char fl[16];

		add(d, "tcp.sport", "%lu", get16(p));
		add(d, "tcp.dport", "%lu", get16(p + 2));
		add(d, "tcp.seq", "%lu", get32(p + 4));
		add(d, "tcp.ack", "%lu", get32(p + 8));
		add(d, "tcp.doff", "%lu", doff);
		tcp_flags(fl, p[13]);
		add_str(d, "tcp.flags", fl);
		add(d, "tcp.win", "%lu", get16(p + 14));
		add(d, "tcp.csum", "0x%04lx", get16(p + 16));
		add(d, "tcp.urg", "%lu", get16(p + 18));
		if (doff < 20 || len < l4 + doff)
			doff = 20;
		if (doff > 20)
			add(d, "tcp.options", "%lu bytes", doff - 20);
		d->payload_off = l4 + doff;
		snprintf(d->summary, sizeof(d->summary),
			 "%s.%u > %s.%u: Flags %s, seq %lu, ack %lu, win %u, ttl %u, id %u, length %zu",
			 a, get16(p), b, get16(p + 2), fl, get32(p + 4), get32(p + 8),
			 get16(p + 14), pk->data[off - ihl + 8], get16(pk->data + off - ihl + 4),
			 len - d->payload_off);
	} else if (p[-ihl + 9] == 17 && len >= l4 + 8) {
		add(d, "udp.sport", "%lu", get16(p));
		add(d, "udp.dport", "%lu", get16(p + 2));
		add(d, "udp.len", "%lu", get16(p + 4));
		add(d, "udp.csum", "0x%04lx", get16(p + 6));
		d->payload_off = l4 + 8;
		snprintf(d->summary, sizeof(d->summary), "%s.%u > %s.%u: UDP, length %zu",
			 a, get16(p), b, get16(p + 2), len - d->payload_off);
	} else if (p[-ihl + 9] == 1 && len >= l4 + 8) {
		add(d, "icmp.type", "%lu", p[0]);
		add(d, "icmp.code", "%lu", p[1]);
		add(d, "icmp.csum", "0x%04lx", get16(p + 2));
		add(d, "icmp.rest", "0x%08lx", get32(p + 4));
		d->payload_off = l4 + 8;
		snprintf(d->summary, sizeof(d->summary), "%s > %s: ICMP type %u code %u", a, b,
			 p[0], p[1]);
	}
}

static int load(const char *path, struct capture *c)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	size_t cap = 0;
	pcap_t *f;
	int rc;

	c->path = path;
	c->p = NULL;
	c->n = 0;
	f = pcap_open_offline(path, err);
	if (!f) {
		fprintf(stderr, "ctnic-pcapdiff: %s\n", err);
		return -1;
	}
	while ((rc = pcap_next_ex(f, &h, &data)) == 1) {
		if (c->n == cap) {
			struct packet *np;

			cap = cap ? 2 * cap : 64;
			np = realloc(c->p, cap * sizeof(*np));
			if (!np)
				goto oom;
			c->p = np;
		}
		c->p[c->n].len = h->caplen;
		c->p[c->n].data = malloc(h->caplen ? h->caplen : 1);
		if (!c->p[c->n].data)
			goto oom;
		memcpy(c->p[c->n].data, data, h->caplen);
		c->n++;
	}
	if (rc == -1) {
		fprintf(stderr, "ctnic-pcapdiff: reading %s: %s\n", path, pcap_geterr(f));
		pcap_close(f);
		return -1;
	}
	pcap_close(f);
	return 0;
oom:
	pcap_close(f);
	fprintf(stderr, "ctnic-pcapdiff: out of memory reading %s\n", path);
	return -1;
}

static void unload(struct capture *c)
{
	while (c->n)
		free(c->p[--c->n].data);
	free(c->p);
	c->p = NULL;
}

static const char *find(const struct decoded *d, const char *name)
{
	int i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->f[i].name, name))
			return d->f[i].val;
	return NULL;
}

/* Prints the differing fields of packet k (1-based); returns how many. */
static int compare(int port, size_t k, const struct packet *pa, const struct packet *pb,
		   const char *na, const char *nb, int verbose)
{
	struct decoded da, db;
	char lines[MAX_FIELDS * 2 + 1][256];
	int nl = 0, i, w = (int)(strlen(na) > strlen(nb) ? strlen(na) : strlen(nb));
	const char *va, *vb;

	decode(pa, &da);
	decode(pb, &db);
	for (i = 0; i < da.n; i++) {
		va = da.f[i].val;
		vb = find(&db, da.f[i].name);
		if (ignored(da.f[i].name) || (vb && !strcmp(va, vb)))
			continue;
		snprintf(lines[nl++], sizeof(lines[0]), "%-12s %s: %s, %s: %s",
			 da.f[i].name, na, va, nb, vb ? vb : "(absent)");
	}
	for (i = 0; i < db.n; i++) {
		if (ignored(db.f[i].name) || find(&da, db.f[i].name))
			continue;
		snprintf(lines[nl++], sizeof(lines[0]), "%-12s %s: (absent), %s: %s",
			 db.f[i].name, na, nb, db.f[i].val);
	}
	if (!ignored("payload")) {
		size_t la = pa->len - da.payload_off, lb = pb->len - db.payload_off, j;
		const unsigned char *a = pa->data + da.payload_off, *b = pb->data + db.payload_off;

		for (j = 0; j < la && j < lb && a[j] == b[j]; j++)
			;
		if (la != lb || j < la)
			snprintf(lines[nl++], sizeof(lines[0]),
				 "%-12s %s: %zu bytes, %s: %zu bytes, first difference at byte %zu",
				 "payload", na, la, nb, lb, j);
	}
	if (!nl && !verbose)
		return 0;
	printf("port %d #%zu %s\n", port, k, nl ? "DIFFERS" : "same");
	printf("    %-*s %s\n", w, na, da.summary);
	if (nl)
		printf("    %-*s %s\n", w, nb, db.summary);
	for (i = 0; i < nl; i++)
		printf("      %s\n", lines[i]);
	return nl;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: ctnic-pcapdiff [--ignore FIELD,...] [--names A,B] [--verbose]\n"
"                      PORT=A.pcap,B.pcap [PORT=A.pcap,B.pcap ...]\n"
"Fields: eth.dst eth.src eth.type vlan.tci ip.ihl ip.tos ip.len ip.id ip.frag\n"
"ip.ttl ip.proto ip.csum ip.src ip.dst ip.options tcp.sport tcp.dport tcp.seq\n"
"tcp.ack tcp.doff tcp.flags tcp.win tcp.csum tcp.urg tcp.options udp.sport\n"
"udp.dport udp.len udp.csum icmp.type icmp.code icmp.csum icmp.rest payload\n"
"Exit status: 0 same, 1 different, 2 error.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ignore", required_argument, 0, 'i' },
		{ "names", required_argument, 0, 'n' },
		{ "verbose", no_argument, 0, 'v' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	char *names_buf = NULL, *ign_buf = NULL, *tok, *save;
	const char *na = "A", *nb = "B";
	unsigned long total_same = 0, total_diff = 0, total_only = 0;
	int verbose = 0, c, i, rc = 2;

	while ((c = getopt_long(argc, argv, "i:n:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			free(ign_buf);
			ign_buf = strdup(optarg);
			if (!ign_buf)
				goto out;
			n_ignore = 0;
			for (tok = strtok_r(ign_buf, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				if (n_ignore == MAX_IGNORE) {
					fprintf(stderr, "ctnic-pcapdiff: too many --ignore fields\n");
					goto out;
				}
				ignore[n_ignore++] = tok;
			}
			break;
		case 'n': {
			char *comma;

			free(names_buf);
			names_buf = strdup(optarg);
			if (!names_buf)
				goto out;
			comma = strchr(names_buf, ',');
			if (!comma || comma == names_buf || !comma[1]) {
				fprintf(stderr, "ctnic-pcapdiff: --names wants A,B\n");
				goto out;
			}
			*comma = '\0';
			na = names_buf;
			nb = comma + 1;
			break;
		}
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (optind == argc) {
		usage(stderr);
		goto out;
	}

	for (i = optind; i < argc; i++) {
		struct capture ca, cb;
		char *arg = argv[i], *end, *comma;
		long port = strtol(arg, &end, 10);
		unsigned long same = 0, diff = 0;
		size_t k, n;
		char *pa;

		if (end == arg || *end != '=' || port < 0 || !(comma = strchr(end + 1, ',')) ||
		    comma == end + 1 || !comma[1]) {
			fprintf(stderr, "ctnic-pcapdiff: '%s': want PORT=A.pcap,B.pcap\n", arg);
			goto out;
		}
		pa = strndup(end + 1, (size_t)(comma - end - 1));
		if (!pa)
			goto out;
		if (load(pa, &ca) < 0) {
			free(pa);
			goto out;
		}
		free(pa);
		if (load(comma + 1, &cb) < 0) {
			unload(&ca);
			goto out;
		}
		n = ca.n < cb.n ? ca.n : cb.n;
		for (k = 0; k < n; k++) {
			if (compare((int)port, k + 1, &ca.p[k], &cb.p[k], na, nb, verbose))
				diff++;
			else
				same++;
		}
		for (k = n; k < ca.n || k < cb.n; k++) {
			int in_a = k < ca.n;
			struct decoded d;

			decode(in_a ? &ca.p[k] : &cb.p[k], &d);
			printf("port %ld #%zu ONLY %s\n    %s %s\n", port, k + 1,
			       in_a ? na : nb, in_a ? na : nb, d.summary);
		}
		printf("port %ld: %s %zu packets, %s %zu packets: %lu same, %lu differ, "
		       "%zu only in %s, %zu only in %s\n", port, na, ca.n, nb, cb.n, same, diff,
		       ca.n > n ? ca.n - n : 0, na, cb.n > n ? cb.n - n : 0, nb);
		total_same += same;
		total_diff += diff;
		total_only += (ca.n - n) + (cb.n - n);
		unload(&ca);
		unload(&cb);
	}
	printf("%s: %lu same, %lu differ, %lu on one side only\n",
	       total_diff || total_only ? "DIFFERENT" : "SAME", total_same, total_diff,
	       total_only);
	rc = total_diff || total_only ? 1 : 0;
out:
	free(names_buf);
	free(ign_buf);
	return rc;
}
