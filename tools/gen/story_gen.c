/* ctnic-story-gen: the story of shared/design.md as recorded traffic.
 *
 * A client opens a TCP connection through a NAT gateway, sends a request,
 * the server answers and closes its side (FIN), the client ACKs and stays
 * half-closed. After a gap longer than conntrack's CLOSE_WAIT timeout the
 * client sends its own FIN, and the server ACKs it. The program writes one
 * pcap per gateway port, as the gateway receives them:
 *
 *   port 0, the client network: what the client sends (client -> service);
 *   port 1, the server network: what the server sends, addressed as the
 *           server sees the connection after the gateway's translation
 *           (for REDIRECT, port 1 is the gateway's host port and the
 *           "server" is the local proxy).
 *
 * With --expect0/--expect1 it also writes what a correct NAT gateway sends
 * out of each port: every packet translated (the late FIN and its ACK
 * included), TTL decremented, MACs rewritten. docs/linux-oracle.md lists the
 * packets.
 *
 * --scenario churn writes thousands of connections instead (churn.h).
 */
#include "churn.h"
#include "pcapw.h"
#include "pkt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROG "ctnic-story-gen"

enum scenario { SC_DNAT, SC_SNAT, SC_REDIRECT, SC_CHURN };

struct endpoint {
	uint32_t addr;
	uint16_t port;
};

struct config {
	enum scenario scenario;
	struct endpoint client;         /* the client as it is */
	struct endpoint service;        /* what the client connects to */
	struct endpoint dnat;           /* DNAT target */
	uint32_t snat_addr;             /* SNAT source address */
	struct endpoint redirect;       /* REDIRECT: the gateway's own address:port */
	double gap;                     /* seconds between the client's ACK and its late FIN */
	double start;                   /* epoch of the first packet */
	uint8_t gw_mac[2][6];           /* the gateway's MAC on port 0 and port 1 */
	uint8_t client_mac[6], server_mac[6];
	const char *out[2], *expect[2];
	int list;
	struct ctnic_churn_opts churn;  /* --scenario churn */
	int have_seed;
};

/* One step of the story. from_client: sent by the client (on port 0),
 * otherwise by the server (on port 1). seq/ack are relative to the ISNs. */
struct step {
	const char *what;
	double t;                       /* seconds; "gap" steps add cfg->gap */
	int after_gap;
	int from_client;
	uint8_t flags;
	uint32_t rel_seq, rel_ack;
	int payload;                    /* 0 none, 1 request, 2 response */
};

#define CLIENT_ISN 0x6b8b4567u
#define SERVER_ISN 0x327b23c6u
#define CLIENT_IPID 0x1000
#define SERVER_IPID 0x2000
#define TTL_SENT 64
#define WINDOW 64240
#define MSS 1460

static const char REQUEST[] = "GET / HTTP/1.0\r\nHost: service\r\n\r\n";
static const char RESPONSE[] = "HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n";
#define REQ_LEN (sizeof(REQUEST) - 1)
#define RSP_LEN (sizeof(RESPONSE) - 1)

/* Relative sequence numbers: the SYNs take one, the request REQ_LEN bytes,
 * the response RSP_LEN, the FINs one each. */
static const struct step STORY[] = {
	{ "client SYN",               0.000, 0, 1, CTNIC_TCP_SYN, 0, 0, 0 },
	{ "server SYN-ACK",           0.001, 0, 0, CTNIC_TCP_SYN | CTNIC_TCP_ACK, 0, 1, 0 },
	{ "client ACK",               0.002, 0, 1, CTNIC_TCP_ACK, 1, 1, 0 },
	{ "client request",           0.003, 0, 1, CTNIC_TCP_PSH | CTNIC_TCP_ACK, 1, 1, 1 },
	{ "server response",          0.005, 0, 0, CTNIC_TCP_PSH | CTNIC_TCP_ACK, 1, 1 + REQ_LEN, 2 },
	{ "client ACK of response",   0.006, 0, 1, CTNIC_TCP_ACK, 1 + REQ_LEN, 1 + RSP_LEN, 0 },
	{ "server FIN",               0.010, 0, 0, CTNIC_TCP_FIN | CTNIC_TCP_ACK, 1 + RSP_LEN, 1 + REQ_LEN, 0 },
	{ "client ACK of FIN",        0.011, 0, 1, CTNIC_TCP_ACK, 1 + REQ_LEN, 2 + RSP_LEN, 0 },
	{ "client late FIN",          0.011, 1, 1, CTNIC_TCP_FIN | CTNIC_TCP_ACK, 1 + REQ_LEN, 2 + RSP_LEN, 0 },
	{ "server ACK of late FIN",   0.012, 1, 0, CTNIC_TCP_ACK, 2 + RSP_LEN, 2 + REQ_LEN, 0 },
};
#define STORY_LEN (sizeof(STORY) / sizeof(STORY[0]))

static const char *const SCENARIO_NAMES[] = { "dnat", "snat", "redirect", "churn" };

/* The connection as the server sees it, after the gateway's translation
 * (what the iptables rules of docs/linux-oracle.md do): */
static void server_view(const struct config *cfg, struct endpoint *client,
			struct endpoint *service)
{
	*client = cfg->client;
	*service = cfg->service;
	switch (cfg->scenario) {
	case SC_DNAT:
		*service = cfg->dnat;
		break;
	case SC_SNAT:
		/* Linux keeps the source port when it is free, as here. */
		client->addr = cfg->snat_addr;
		break;
	case SC_REDIRECT:
		*service = cfg->redirect;
		break;
	case SC_CHURN:          /* churn.c has its own addresses */
		break;
	}
}

static void fmt_ep(char *buf, size_t n, struct endpoint e)
{
	struct in_addr a = { htonl(e.addr) };
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, s, sizeof(s));
	snprintf(buf, n, "%s:%u", s, e.port);
}

static int generate(const struct config *cfg)
{
	struct ctnic_pcapw in[2], exp[2];
	struct endpoint sv_client, sv_service;
	uint16_t ipid[2] = { CLIENT_IPID, SERVER_IPID };
	int rc = -1, i;
	size_t k;

	memset(in, 0, sizeof(in));
	memset(exp, 0, sizeof(exp));
	server_view(cfg, &sv_client, &sv_service);
	for (i = 0; i < 2; i++)
		if (ctnic_pcapw_open(&in[i], cfg->out[i], 0, PROG) < 0 ||
		    ctnic_pcapw_open(&exp[i], cfg->expect[i], 0, PROG) < 0)
			goto fail;

	for (k = 0; k < STORY_LEN; k++) {
		const struct step *s = &STORY[k];
		int side = s->from_client ? 0 : 1;
		struct ctnic_tcp_frame f = { 0 }, x;
		uint8_t frame[CTNIC_PKT_MAX], xframe[CTNIC_PKT_MAX];
		size_t len, xlen;
		double t = cfg->start + s->t + (s->after_gap ? cfg->gap : 0);
		struct endpoint src, dst, xsrc, xdst;
		char a[32], b[32];
		long long us;

		/* Sent: on the client network as the client addresses it, on the
		 * server network as the server sees it. Expected out of the
		 * gateway: the same packet on the other side, translated. */
		if (s->from_client) {
			src = cfg->client;     dst = cfg->service;
			xsrc = sv_client;      xdst = sv_service;
		} else {
			src = sv_service;      dst = sv_client;
			xsrc = cfg->service;   xdst = cfg->client;
		}
		f.saddr = src.addr;  f.sport = src.port;
		f.daddr = dst.addr;  f.dport = dst.port;
		memcpy(f.src_mac, side == 0 ? cfg->client_mac : cfg->server_mac, 6);
		memcpy(f.dst_mac, cfg->gw_mac[side], 6);
		f.ip_id = ipid[side]++;
		f.ttl = TTL_SENT;
		f.seq = (s->from_client ? CLIENT_ISN : SERVER_ISN) + s->rel_seq;
		f.ack = (s->flags & CTNIC_TCP_ACK) ?
			(s->from_client ? SERVER_ISN : CLIENT_ISN) + s->rel_ack : 0;
		f.flags = s->flags;
		f.window = WINDOW;
		f.mss = (s->flags & CTNIC_TCP_SYN) ? MSS : 0;
		if (s->payload == 1) {
			f.payload = (const uint8_t *)REQUEST;
			f.payload_len = REQ_LEN;
		} else if (s->payload == 2) {
			f.payload = (const uint8_t *)RESPONSE;
			f.payload_len = RSP_LEN;
		}
		len = ctnic_tcp_frame_build(&f, frame);

		x = f;
		x.saddr = xsrc.addr;  x.sport = xsrc.port;
		x.daddr = xdst.addr;  x.dport = xdst.port;
		x.ttl = TTL_SENT - 1;
		memcpy(x.src_mac, cfg->gw_mac[!side], 6);
		memcpy(x.dst_mac, side == 0 ? cfg->server_mac : cfg->client_mac, 6);
		xlen = ctnic_tcp_frame_build(&x, xframe);
		if (!len || !xlen) {
			fprintf(stderr, "ctnic-story-gen: frame too long\n");
			goto fail;
		}
		us = (long long)(t * 1e6 + 0.5);
		ctnic_pcapw_put(&in[side], (uint64_t)(us / 1000000), (uint32_t)(us % 1000000) * 1000, frame, len);
		ctnic_pcapw_put(&exp[!side], (uint64_t)(us / 1000000), (uint32_t)(us % 1000000) * 1000, xframe, xlen);
		if (cfg->list) {
			fmt_ep(a, sizeof(a), src);
			fmt_ep(b, sizeof(b), dst);
			printf("%2zu  %12.6f  port %d  %-24s %21s > %-21s seq %u ack %u len %zu\n",
			       k + 1, t - cfg->start, side, s->what, a, b, f.seq, f.ack,
			       f.payload_len);
		}
	}
	rc = 0;
fail:
	/* A writer never opened holds NULLs, which close skips. */
	for (i = 1; i >= 0; i--) {
		if (ctnic_pcapw_close(&exp[i], PROG) < 0)
			rc = -1;
		if (ctnic_pcapw_close(&in[i], PROG) < 0)
			rc = -1;
	}
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: ctnic-story-gen --scenario dnat|snat|redirect --out0 FILE --out1 FILE\n"
"                       [--expect0 FILE --expect1 FILE] [options]\n"
"Writes the story of shared/design.md as one pcap per gateway port:\n"
"port 0 = what the client sends, port 1 = what the server sends (as it sees\n"
"the connection after the gateway's translation). --expect0/1 write what a\n"
"correct NAT gateway sends out of each port.\n"
"  --client ADDR[:PORT]     the client (192.0.2.10:40000)\n"
"  --server ADDR:PORT       what the client connects to (198.51.100.80:80)\n"
"  --dnat ADDR:PORT         DNAT target (203.0.113.5:8080)\n"
"  --snat ADDR              SNAT address (203.0.113.1)\n"
"  --redirect ADDR:PORT     REDIRECT: the gateway's address and port (192.0.2.1:80)\n"
"  --gap SECONDS            client's ACK to its late FIN (120)\n"
"  --start EPOCH            time of the first packet (1767225600)\n"
"  --gw-mac0 MAC --gw-mac1 MAC      the gateway's ports (02:00:00:00:01:00, ..:01:01)\n"
"  --client-mac MAC --server-mac MAC   (02:00:00:00:00:0a, 02:00:00:00:00:50)\n"
"  --list                   print the packets\n"
"\n"
"usage: ctnic-story-gen --scenario churn --conns N [--seed S] [--rounds R]\n"
"                       --out0 FILE --out1 FILE [--expect0 FILE --expect1 FILE]\n"
"                       [--conf FILE] [--kind KIND] [--list]\n"
"N TCP and UDP connections opened, closed, reset, refused, left to time out\n"
"and their client ports reused, in random order, in rounds 2 s apart (R\n"
"rounds in which they open; default N/100, at least 10). --conf writes the\n"
"gateway's configuration for ctnic-replay (its addresses, rules and the\n"
"timeouts the plan counts on). Prints the plan's summary (churn.NAME =\n"
"VALUE), the seed first (default: the time); --list also each connection.\n"
"--kind: only connections of one kind:");
	for (int k = 1; ctnic_churn_kind_name(k); k++)
		fprintf(f, " %s", ctnic_churn_kind_name(k));
	fprintf(f, "\n");
}

static int bad(const char *opt, const char *val)
{
	fprintf(stderr, "ctnic-story-gen: bad value for --%s: '%s'\n", opt, val);
	return -1;
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
		{ "scenario", required_argument, 0, 's' },
		{ "client", required_argument, 0, 'c' },
		{ "server", required_argument, 0, 'S' },
		{ "dnat", required_argument, 0, 'd' },
		{ "snat", required_argument, 0, 'n' },
		{ "redirect", required_argument, 0, 'r' },
		{ "gap", required_argument, 0, 'g' },
		{ "start", required_argument, 0, 't' },
		{ "gw-mac0", required_argument, 0, '0' },
		{ "gw-mac1", required_argument, 0, '1' },
		{ "client-mac", required_argument, 0, 'C' },
		{ "server-mac", required_argument, 0, 'M' },
		{ "out0", required_argument, 0, 'o' },
		{ "out1", required_argument, 0, 'O' },
		{ "expect0", required_argument, 0, 'e' },
		{ "expect1", required_argument, 0, 'E' },
		{ "list", no_argument, 0, 'l' },
		{ "conns", required_argument, 0, 'N' },
		{ "seed", required_argument, 0, 'x' },
		{ "rounds", required_argument, 0, 'R' },
		{ "conf", required_argument, 0, 'F' },
		{ "kind", required_argument, 0, 'K' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	int c, have_scenario = 0;
	char *end;

	memset(cfg, 0, sizeof(*cfg));
	cfg->client = (struct endpoint){ 0xc000020a, 40000 };    /* 192.0.2.10 */
	cfg->service = (struct endpoint){ 0xc6336450, 80 };      /* 198.51.100.80 */
	cfg->dnat = (struct endpoint){ 0xcb007105, 8080 };       /* 203.0.113.5 */
	cfg->snat_addr = 0xcb007101;                             /* 203.0.113.1 */
	cfg->redirect = (struct endpoint){ 0xc0000201, 80 };     /* 192.0.2.1 */
	cfg->gap = 120;
	cfg->start = 1767225600;                                 /* 2026-01-01 */
	ctnic_parse_mac("02:00:00:00:01:00", cfg->gw_mac[0]);
	ctnic_parse_mac("02:00:00:00:01:01", cfg->gw_mac[1]);
	ctnic_parse_mac("02:00:00:00:00:0a", cfg->client_mac);
	ctnic_parse_mac("02:00:00:00:00:50", cfg->server_mac);

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			for (cfg->scenario = SC_DNAT; cfg->scenario <= SC_CHURN; cfg->scenario++)
				if (!strcmp(optarg, SCENARIO_NAMES[cfg->scenario]))
					break;
			if (cfg->scenario > SC_CHURN)
				return bad("scenario", optarg);
			have_scenario = 1;
			break;
		case 'c':
			if (ctnic_parse_ipv4_port(optarg, &cfg->client.addr, &cfg->client.port, 0))
				return bad("client", optarg);
			break;
		case 'S':
			if (ctnic_parse_ipv4_port(optarg, &cfg->service.addr, &cfg->service.port, 1))
				return bad("server", optarg);
			break;
		case 'd':
			if (ctnic_parse_ipv4_port(optarg, &cfg->dnat.addr, &cfg->dnat.port, 1))
				return bad("dnat", optarg);
			break;
		case 'n':
			if (ctnic_parse_ipv4(optarg, &cfg->snat_addr))
				return bad("snat", optarg);
			break;
		case 'r':
			if (ctnic_parse_ipv4_port(optarg, &cfg->redirect.addr, &cfg->redirect.port, 1))
				return bad("redirect", optarg);
			break;
		case 'g':
			errno = 0;
			cfg->gap = strtod(optarg, &end);
			if (errno || *end || end == optarg || cfg->gap < 0 || cfg->gap > 1e6)
				return bad("gap", optarg);
			break;
		case 't':
			errno = 0;
			cfg->start = strtod(optarg, &end);
			if (errno || *end || end == optarg || cfg->start < 0 || cfg->start > 4e9)
				return bad("start", optarg);
			break;
		case '0':
		case '1':
			if (ctnic_parse_mac(optarg, cfg->gw_mac[c - '0']))
				return bad(c == '0' ? "gw-mac0" : "gw-mac1", optarg);
			break;
		case 'C':
			if (ctnic_parse_mac(optarg, cfg->client_mac))
				return bad("client-mac", optarg);
			break;
		case 'M':
			if (ctnic_parse_mac(optarg, cfg->server_mac))
				return bad("server-mac", optarg);
			break;
		case 'o': cfg->out[0] = optarg; break;
		case 'O': cfg->out[1] = optarg; break;
		case 'e': cfg->expect[0] = optarg; break;
		case 'E': cfg->expect[1] = optarg; break;
		case 'l': cfg->list = 1; break;
		case 'N':
		case 'R': {
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 1 || v > 1000000)
				return bad(c == 'N' ? "conns" : "rounds", optarg);
			*(c == 'N' ? &cfg->churn.conns : &cfg->churn.rounds) = (unsigned)v;
			break;
		}
		case 'x':
			errno = 0;
			cfg->churn.seed = strtoull(optarg, &end, 0);
			if (errno || *end || end == optarg)
				return bad("seed", optarg);
			cfg->have_seed = 1;
			break;
		case 'F': cfg->churn.conf = optarg; break;
		case 'K':
			if (!(cfg->churn.kind = ctnic_churn_kind(optarg)))
				return bad("kind", optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ctnic-story-gen: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (!have_scenario || (!cfg->out[0] && !cfg->out[1] && !cfg->list)) {
		usage(stderr);
		return -1;
	}
	if ((cfg->scenario == SC_CHURN) != (cfg->churn.conns > 0)) {
		fprintf(stderr, "ctnic-story-gen: --conns N goes with --scenario churn, and churn needs it\n");
		return -1;
	}
	if (cfg->scenario == SC_CHURN) {
		cfg->churn.out[0] = cfg->out[0];
		cfg->churn.out[1] = cfg->out[1];
		cfg->churn.expect[0] = cfg->expect[0];
		cfg->churn.expect[1] = cfg->expect[1];
		cfg->churn.list = cfg->list;
		if (!cfg->have_seed)
			cfg->churn.seed = (uint64_t)time(NULL);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct config cfg;

	if (parse_args(argc, argv, &cfg) < 0)
		return 2;
	if (cfg.scenario == SC_CHURN)
		return ctnic_churn_generate(&cfg.churn) < 0 ? 1 : 0;
	return generate(&cfg) < 0 ? 1 : 0;
}
