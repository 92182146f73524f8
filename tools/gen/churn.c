/* ctnic-story-gen --scenario churn: see churn.h.
 *
 * The plan, then the packets. Each connection gets a kind (below), a client
 * port that no live connection uses, and its activity as events, one per
 * round at most: OPEN (handshake, request, response), DATA, the close of
 * its kind. Its end follows from the gateway's timeouts (Linux's states,
 * docs/conntrack.md): the round at which it expires, or, when the next
 * connection on the port sends its SYN while this one is in TIME_WAIT (or
 * CLOSE after the client's RST), a reopen; a SYN refused with a RST ends at
 * once. A port is given out again only one round after its connection
 * ended, or exactly in the round a reopen is possible, so a connection
 * never meets its own expiry tick. Then each round's events are expanded
 * into packets and shuffled (each connection's packets keep their order).
 */
#include "churn.h"

#include "pcapw.h"
#include "pkt.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG "ctnic-story-gen"
#define NS 1000000000ull
#define START_S 1767225600ull           /* 2026-01-01, as the story */
#define SPACING_NS 100u                 /* between packets of a round */
#define ROUND_PKTS_MAX 9000u            /* so a round stays within its first millisecond */
#define TTL_SENT 64
#define WINDOW 64240
#define MSS 1460
#define HOSTS 4                         /* client addresses */
#define PORT_BASE 20000
#define NONE UINT_MAX

/* The gateway's timeouts, in rounds (--conf writes them in seconds). */
#define TO_SHORT 2                      /* SYN_SENT .. CLOSE, UDP unreplied: 4 s */
#define TO_UDP_STREAM 4                 /* 8 s */
#define TO_EST 6                        /* ESTABLISHED: 12 s */
#define LATE_MAX 3                      /* a late FIN comes 1..3 rounds after the expiry */
#define LINGER_S 60                     /* longer than any late FIN's delay */

/* Addresses, host order. */
#define CLIENT_NET 0xc0000200u          /* 192.0.2.0/24; clients .10 .. .13 */
#define TCP_SERVICE 0xc6336450u         /* 198.51.100.80:80 */
#define UDP_SERVICE 0xc6336435u         /* 198.51.100.53:53 */
#define TCP_TARGET 0xcb007105u          /* 203.0.113.5:8080 (DNAT) */
#define UDP_TARGET 0xcb007135u          /* 203.0.113.53:53 (DNAT, port kept) */
#define SNAT_ADDR 0xcb007101u           /* 203.0.113.1, the gateway's server-side address */

static const uint8_t GW_MAC[2][6] = { { 2, 0, 0, 0, 1, 0 }, { 2, 0, 0, 0, 1, 1 } };
static const uint8_t TCP_SERVER_MAC[6] = { 2, 0, 0, 0, 0, 0x50 };
static const uint8_t UDP_SERVER_MAC[6] = { 2, 0, 0, 0, 0, 0x35 };

enum kind {
	K_CLOSE_C,      /* data, then the client closes first: TIME_WAIT */
	K_CLOSE_S,      /* data, then the server closes first: TIME_WAIT */
	K_RST_C,        /* data, then the client resets: CLOSE */
	K_RST_S,        /* data, then the server resets: CLOSE */
	K_REFUSED,      /* SYN answered by a RST: ends at once */
	K_SYN_ONLY,     /* SYN never answered: SYN_SENT */
	K_SYN_RECV,     /* SYN-ACK never acknowledged: SYN_RECV */
	K_IDLE,         /* data, then silence: ESTABLISHED */
	K_HALF,         /* the server closes, the client stays half-closed (CLOSE_WAIT), maybe a late FIN */
	K_UDP_ONE,      /* datagrams never answered: UDP unreplied */
	K_UDP_STREAM,   /* request and answer, a few times: UDP stream */
	KINDS
};

/* Names as --kind takes them (ctnic_churn_kinds), and how often each comes. */
static const struct {
	const char *name;
	unsigned weight;
} KIND[KINDS] = {
	[K_CLOSE_C] = { "close_client", 22 }, [K_CLOSE_S] = { "close_server", 12 },
	[K_RST_C] = { "rst_client", 7 },      [K_RST_S] = { "rst_server", 4 },
	[K_REFUSED] = { "refused", 6 },       [K_SYN_ONLY] = { "syn_only", 6 },
	[K_SYN_RECV] = { "syn_recv", 5 },     [K_IDLE] = { "idle", 8 },
	[K_HALF] = { "half_closed", 10 },     [K_UDP_ONE] = { "udp_unreplied", 6 },
	[K_UDP_STREAM] = { "udp_stream", 14 },
};

enum act { A_OPEN, A_SYN, A_SYN_RECV, A_REFUSED, A_DATA, A_FIN_C, A_FIN_S, A_HALF_S, A_LATE_FIN, A_RST_C, A_RST_S,
	   A_UDP_REQ, A_UDP_EXCH };

enum end { END_EXPIRED, END_REOPENED, END_KILLED };
static const char *const END_NAME[] = { "expires", "reopened", "ends at once" };

struct conn {
	unsigned port;                  /* index: client port PORT_BASE + port, address by port % HOSTS */
	enum kind kind;
	enum end end;
	unsigned first, last;           /* rounds: the first event, the last that refreshes its timer */
	unsigned expiry;                /* the round its timeout ends it (END_EXPIRED) */
	unsigned late;                  /* the round of its late FIN, or NONE */
	uint32_t cseq, sseq;            /* the next sequence numbers */
	uint16_t cid, sid;              /* the next IP ids */
};

struct port {
	unsigned free_at;               /* a new connection may start from this round */
	unsigned reopen_at;             /* a SYN in this round reopens the last connection, or NONE */
	unsigned last;                  /* the last connection on it, or NONE */
};

struct event {
	unsigned conn;
	enum act act;
};

struct round {
	struct event *ev;
	size_t n, cap;
	unsigned *reopen;               /* ports whose reopen round this is */
	size_t nre, capre;
};

struct pkt {
	unsigned conn;
	int from_server;
	uint8_t proto, flags;
	uint32_t seq, ack;
	uint16_t len;
	uint16_t ip_id;
	int mss;
};

struct gen {
	const struct ctnic_churn_opts *o;
	uint64_t rng;
	struct conn *c;
	unsigned nc;
	struct port *p;
	unsigned np;
	struct round *r;
	unsigned nr;                    /* rounds allocated */
	unsigned last_round;            /* the last round with an event */
	unsigned end_round;             /* the round of the closing frame */
	unsigned deferred;              /* starts put off for want of a free port */
	unsigned max_live;
	uint64_t frames[2];
	struct ctnic_pcapw in[2], exp[2];
};

int ctnic_churn_kind(const char *name)
{
	for (int k = 0; k < KINDS; k++)
		if (!strcmp(name, KIND[k].name))
			return k + 1;
	return 0;
}

const char *ctnic_churn_kind_name(int kind)
{
	return kind >= 1 && kind <= KINDS ? KIND[kind - 1].name : NULL;
}

static uint64_t rnd64(struct gen *g)
{
	/* xorshift64*, reproducible from the seed */
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 0x2545f4914f6cdd1dull;
}

static unsigned rnd(struct gen *g, unsigned n)
{
	return (unsigned)((rnd64(g) >> 32) % n);
}

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t nc = *cap ? *cap : 16;
	void *nv;

	if (need <= *cap)
		return 0;
	while (nc < need)
		nc *= 2;
	if (!(nv = realloc(*v, nc * size)))
		return -1;
	*v = nv;
	*cap = nc;
	return 0;
}

static int add_event(struct gen *g, unsigned round, unsigned conn, enum act a)
{
	struct round *r;

	if (round >= g->nr) {
		fprintf(stderr, PROG ": churn: round %u beyond the plan's %u\n", round, g->nr);
		return -1;
	}
	r = &g->r[round];
	if (grow((void **)&r->ev, &r->cap, r->n + 1, sizeof(*r->ev)) < 0)
		return -1;
	r->ev[r->n++] = (struct event){ conn, a };
	if (round > g->last_round)
		g->last_round = round;
	return 0;
}

static enum kind pick_kind(struct gen *g)
{
	unsigned total = 0, x;

	if (g->o->kind)
		return (enum kind)(g->o->kind - 1);
	for (int k = 0; k < KINDS; k++)
		total += KIND[k].weight;
	x = rnd(g, total);
	for (int k = 0; k < KINDS; k++) {
		if (x < KIND[k].weight)
			return (enum kind)k;
		x -= KIND[k].weight;
	}
	return K_CLOSE_C;
}

static unsigned is_tcp(enum kind k)
{
	return k != K_UDP_ONE && k != K_UDP_STREAM;
}

/*
 * The events of connection i, opening in round s, and what its port may do
 * next. Gaps between refreshes stay a round shorter than the timeout of the
 * state the connection waits in.
 */
static int schedule(struct gen *g, unsigned i, unsigned s)
{
	struct conn *c = &g->c[i];
	struct port *p = &g->p[c->port];
	unsigned t = s, n, reopen = NONE;
	int rc = 0;

	c->first = s;
	c->late = NONE;
	c->end = END_EXPIRED;
	switch (c->kind) {
	case K_REFUSED:
		rc = add_event(g, s, i, A_REFUSED);
		c->end = END_KILLED;
		c->last = s;
		p->free_at = s + 1;
		break;
	case K_SYN_ONLY:
	case K_SYN_RECV:
		rc = add_event(g, s, i, c->kind == K_SYN_ONLY ? A_SYN : A_SYN_RECV);
		c->last = s;
		c->expiry = s + TO_SHORT;
		break;
	case K_UDP_ONE:
		rc = add_event(g, s, i, A_UDP_REQ);
		c->last = s;
		c->expiry = s + TO_SHORT;
		break;
	case K_UDP_STREAM:
		rc = add_event(g, s, i, A_UDP_EXCH);
		for (n = rnd(g, 4); n && !rc; n--) {
			t += 1 + rnd(g, TO_UDP_STREAM - 2);
			rc = add_event(g, t, i, A_UDP_EXCH);
		}
		c->last = t;
		c->expiry = t + TO_UDP_STREAM;
		break;
	default:
		/* TCP with a handshake and data, some more data later */
		rc = add_event(g, s, i, A_OPEN);
		for (n = rnd(g, 3); n && !rc; n--) {
			t += 1 + rnd(g, TO_EST - 3);
			rc = add_event(g, t, i, A_DATA);
		}
		if (rc)
			break;
		if (c->kind == K_IDLE) {
			c->last = t;
			c->expiry = t + TO_EST;
			break;
		}
		t += 1 + rnd(g, 2);
		c->last = t;
		c->expiry = t + TO_SHORT;
		switch (c->kind) {
		case K_CLOSE_C: rc = add_event(g, t, i, A_FIN_C); reopen = t + 1; break;
		case K_CLOSE_S: rc = add_event(g, t, i, A_FIN_S); reopen = t + 1; break;
		case K_RST_C: rc = add_event(g, t, i, A_RST_C); reopen = t + 1; break;
		case K_RST_S: rc = add_event(g, t, i, A_RST_S); break;
		case K_HALF:
			rc = add_event(g, t, i, A_HALF_S);
			/* half of them send their FIN after the gateway forgot them: translated by linger */
			if (!rc && rnd(g, 2)) {
				c->late = c->expiry + 1 + rnd(g, LATE_MAX);
				rc = add_event(g, c->late, i, A_LATE_FIN);
			}
			break;
		default: break;
		}
	}
	if (rc)
		return -1;
	if (c->end == END_EXPIRED)
		p->free_at = (c->late != NONE ? c->late : c->expiry) + 1;
	p->reopen_at = reopen;
	p->last = i;
	if (reopen != NONE) {
		struct round *r = &g->r[reopen];

		if (grow((void **)&r->reopen, &r->capre, r->nre + 1, sizeof(*r->reopen)) < 0)
			return -1;
		r->reopen[r->nre++] = c->port;
	}
	return 0;
}

/* A port for a connection opening in round r: in its reopen round (TCP only,
 * half of the time when one is there), else any free one. NONE: none free. */
static unsigned pick_port(struct gen *g, unsigned r, enum kind k)
{
	struct round *rr = &g->r[r];

	if (is_tcp(k) && rr->nre && rnd(g, 2)) {
		unsigned j = rnd(g, (unsigned)rr->nre), port = rr->reopen[j];

		rr->reopen[j] = rr->reopen[--rr->nre];
		g->c[g->p[port].last].end = END_REOPENED;
		return port;
	}
	for (int tries = 0; tries < 64; tries++) {
		unsigned port = rnd(g, g->np);

		if (g->p[port].free_at <= r)
			return port;
	}
	for (unsigned j = 0, port = rnd(g, g->np); j < g->np; j++, port = (port + 1) % g->np)
		if (g->p[port].free_at <= r)
			return port;
	return NONE;
}

static int plan(struct gen *g)
{
	const struct ctnic_churn_opts *o = g->o;
	unsigned start_rounds = o->rounds ? o->rounds : (o->conns / 100 > 10 ? o->conns / 100 : 10);
	unsigned opened = 0, r;

	g->np = o->conns / 3 + 16;
	if (g->np > 65535 - PORT_BASE)
		g->np = 65535 - PORT_BASE;
	/* a connection spans at most 1 + 2 * (TO_EST - 2) + 2 rounds of events, then its timeout and a late FIN */
	g->nr = start_rounds * 4 + 4 * TO_EST + TO_SHORT + LATE_MAX + 8;
	g->c = calloc(o->conns, sizeof(*g->c));
	g->p = calloc(g->np, sizeof(*g->p));
	g->r = calloc(g->nr, sizeof(*g->r));
	if (!g->c || !g->p || !g->r)
		return -1;
	for (unsigned i = 0; i < g->np; i++)
		g->p[i] = (struct port){ 0, NONE, NONE };
	for (r = 0; opened < o->conns; r++) {
		unsigned left = start_rounds > r ? start_rounds - r : 1;
		unsigned quota = (o->conns - opened + left - 1) / left;

		if (r + 4 * TO_EST + TO_SHORT + LATE_MAX + 4 >= g->nr) {
			fprintf(stderr, PROG ": churn: %u connections do not fit %u rounds with %u client ports\n",
				o->conns, start_rounds, g->np);
			return -1;
		}
		for (unsigned q = 0; q < quota; q++) {
			enum kind k = pick_kind(g);
			unsigned port = pick_port(g, r, k);
			struct conn *c = &g->c[opened];

			if (port == NONE) {
				g->deferred += quota - q;
				break;
			}
			c->port = port;
			c->kind = k;
			c->cseq = (uint32_t)rnd64(g);
			c->sseq = (uint32_t)rnd64(g);
			c->cid = (uint16_t)rnd64(g);
			c->sid = (uint16_t)rnd64(g);
			if (schedule(g, opened, r) < 0)
				return -1;
			opened++;
		}
	}
	g->nc = opened;
	/* every connection has ended one round before the closing frame */
	g->end_round = g->last_round;
	for (unsigned i = 0; i < g->nc; i++)
		if (g->c[i].end == END_EXPIRED && g->c[i].expiry > g->end_round)
			g->end_round = g->c[i].expiry;
	g->end_round++;
	return 0;
}

/* ---- packets ------------------------------------------------------------------- */

/* Payload bytes (up to 1024) that differ a little from connection to connection. */
static const uint8_t *payload(unsigned conn)
{
	static const char line[] = "churn of connections through ctnic\n";
	static uint8_t text[1024 + 64];

	if (!text[0])
		for (size_t i = 0; i < sizeof(text); i++)
			text[i] = (uint8_t)line[i % (sizeof(line) - 1)];
	return text + conn % 64;
}

static int expand(struct gen *g, const struct event *e, struct pkt *v, size_t *n)
{
	struct conn *c = &g->c[e->conn];
	size_t k = 0;
#define C(fl, l) (v[k++] = (struct pkt){ e->conn, 0, 6, (fl), c->cseq, c->sseq, (l), c->cid++, 0 })
#define S(fl, l) (v[k++] = (struct pkt){ e->conn, 1, 6, (fl), c->sseq, c->cseq, (l), c->sid++, 0 })
	const uint8_t SYN = CTNIC_TCP_SYN, ACK = CTNIC_TCP_ACK, PA = CTNIC_TCP_PSH | CTNIC_TCP_ACK,
		      FA = CTNIC_TCP_FIN | CTNIC_TCP_ACK, RA = CTNIC_TCP_RST | CTNIC_TCP_ACK;
	uint16_t a = (uint16_t)(16 + rnd(g, 480)), b = (uint16_t)(16 + rnd(g, 960));

	switch (e->act) {
	case A_SYN:
	case A_SYN_RECV:
	case A_REFUSED:
	case A_OPEN:
		v[k++] = (struct pkt){ e->conn, 0, 6, SYN, c->cseq, 0, 0, c->cid++, 1 };
		c->cseq++;
		if (e->act == A_SYN)
			break;
		if (e->act == A_REFUSED) {
			/* a closed port: RST|ACK, sequence 0, acknowledging the SYN (RFC 793 p. 36) */
			v[k++] = (struct pkt){ e->conn, 1, 6, RA, 0, c->cseq, 0, c->sid++, 0 };
			break;
		}
		v[k++] = (struct pkt){ e->conn, 1, 6, SYN | ACK, c->sseq, c->cseq, 0, c->sid++, 1 };
		c->sseq++;
		if (e->act == A_SYN_RECV)
			break;
		C(ACK, 0);
		/* then the request and its answer */
		/* fall through */
	case A_DATA:
		C(PA, a);
		c->cseq += a;
		S(PA, b);
		c->sseq += b;
		C(ACK, 0);
		break;
	case A_FIN_C:
		C(FA, 0);
		c->cseq++;
		S(FA, 0);
		c->sseq++;
		C(ACK, 0);
		break;
	case A_FIN_S:
		S(FA, 0);
		c->sseq++;
		C(ACK, 0);
		C(FA, 0);
		c->cseq++;
		S(ACK, 0);
		break;
	case A_HALF_S:
		S(FA, 0);
		c->sseq++;
		C(ACK, 0);
		break;
	case A_LATE_FIN:
		C(FA, 0);
		c->cseq++;
		S(ACK, 0);
		break;
	case A_RST_C:
		C(RA, 0);
		break;
	case A_RST_S:
		S(RA, 0);
		break;
	case A_UDP_REQ:
		for (unsigned m = 1 + rnd(g, 2); m; m--)
			v[k++] = (struct pkt){ e->conn, 0, 17, 0, 0, 0, (uint16_t)(8 + rnd(g, 120)), c->cid++, 0 };
		break;
	case A_UDP_EXCH:
		v[k++] = (struct pkt){ e->conn, 0, 17, 0, 0, 0, (uint16_t)(8 + rnd(g, 120)), c->cid++, 0 };
		v[k++] = (struct pkt){ e->conn, 1, 17, 0, 0, 0, (uint16_t)(8 + rnd(g, 480)), c->sid++, 0 };
		break;
	}
#undef C
#undef S
	*n = k;
	return 0;
}

struct ends {
	uint32_t addr;
	uint16_t port;
};

/* The packet as sent (on its side) and as a correct gateway sends it out of the other side. */
static int emit(struct gen *g, const struct pkt *p, uint64_t ns)
{
	const struct conn *c = &g->c[p->conn];
	unsigned h = c->port % HOSTS;
	uint8_t cmac[6] = { 2, 0, 0, 0, 0, (uint8_t)(0x0a + h) };
	struct ends client = { CLIENT_NET | (10 + h), (uint16_t)(PORT_BASE + c->port) };
	struct ends outside = { SNAT_ADDR, client.port };
	struct ends service = p->proto == 6 ? (struct ends){ TCP_SERVICE, 80 } : (struct ends){ UDP_SERVICE, 53 };
	struct ends target = p->proto == 6 ? (struct ends){ TCP_TARGET, 8080 } : (struct ends){ UDP_TARGET, 53 };
	const uint8_t *smac = p->proto == 6 ? TCP_SERVER_MAC : UDP_SERVER_MAC;
	/* [0]: as received, [1]: as sent by the gateway */
	struct ends src[2], dst[2];
	const uint8_t *mac_src[2], *mac_dst[2];
	uint8_t frame[2][CTNIC_PKT_MAX];
	size_t len[2];
	int side = p->from_server;

	if (!side) {
		src[0] = client;  dst[0] = service;  mac_src[0] = cmac;          mac_dst[0] = GW_MAC[0];
		src[1] = outside; dst[1] = target;   mac_src[1] = GW_MAC[1];     mac_dst[1] = smac;
	} else {
		src[0] = target;  dst[0] = outside;  mac_src[0] = smac;          mac_dst[0] = GW_MAC[1];
		src[1] = service; dst[1] = client;   mac_src[1] = GW_MAC[0];     mac_dst[1] = cmac;
	}
	for (int x = 0; x < 2; x++) {
		const uint8_t *data = payload(p->conn);

		if (p->proto == 6) {
			struct ctnic_tcp_frame f = {
				.saddr = src[x].addr, .daddr = dst[x].addr, .sport = src[x].port, .dport = dst[x].port,
				.ip_id = p->ip_id, .ttl = (uint8_t)(TTL_SENT - x), .seq = p->seq,
				.ack = (p->flags & CTNIC_TCP_ACK) ? p->ack : 0, .flags = p->flags, .window = WINDOW,
				.mss = p->mss ? MSS : 0, .payload = data, .payload_len = p->len,
			};

			if (p->flags & CTNIC_TCP_RST)
				f.window = 0;
			memcpy(f.src_mac, mac_src[x], 6);
			memcpy(f.dst_mac, mac_dst[x], 6);
			len[x] = ctnic_tcp_frame_build(&f, frame[x]);
		} else {
			struct ctnic_udp_frame f = {
				.saddr = src[x].addr, .daddr = dst[x].addr, .sport = src[x].port, .dport = dst[x].port,
				.ip_id = p->ip_id, .ttl = (uint8_t)(TTL_SENT - x), .payload = data, .payload_len = p->len,
			};

			memcpy(f.src_mac, mac_src[x], 6);
			memcpy(f.dst_mac, mac_dst[x], 6);
			len[x] = ctnic_udp_frame_build(&f, frame[x]);
		}
		if (!len[x]) {
			fprintf(stderr, PROG ": churn: frame too long\n");
			return -1;
		}
	}
	ctnic_pcapw_put(&g->in[side], ns / NS, (uint32_t)(ns % NS), frame[0], len[0]);
	ctnic_pcapw_put(&g->exp[!side], ns / NS, (uint32_t)(ns % NS), frame[1], len[1]);
	g->frames[side]++;
	return 0;
}

/*
 * The closing frame: one the card drops on its own (its IPv4 header checksum
 * is wrong: CNT_DROP BAD_IPCSUM), so the replay's device clock runs on to a
 * round after every connection's end and touches nothing.
 */
static void closing_frame(struct gen *g, uint64_t ns)
{
	uint8_t frame[CTNIC_PKT_MAX];
	struct ctnic_tcp_frame f = {
		.saddr = CLIENT_NET | 10, .daddr = TCP_SERVICE, .sport = PORT_BASE, .dport = 80, .ttl = TTL_SENT,
		.flags = CTNIC_TCP_ACK, .window = WINDOW,
	};
	size_t len;

	memcpy(f.src_mac, (uint8_t[6]){ 2, 0, 0, 0, 0, 0x0a }, 6);
	memcpy(f.dst_mac, GW_MAC[0], 6);
	len = ctnic_tcp_frame_build(&f, frame);
	frame[14 + 10] ^= 0xff;
	ctnic_pcapw_put(&g->in[0], ns / NS, (uint32_t)(ns % NS), frame, len);
}

static int write_round(struct gen *g, unsigned r, struct pkt **all, size_t *cap)
{
	struct round *rr = &g->r[r];
	size_t total = 0, live;
	size_t *first, *left;
	uint64_t t0 = (START_S + (uint64_t)r * CTNIC_CHURN_ROUND_S) * NS;
	int rc = -1;

	/* each event's packets, in order, one block per event */
	first = calloc(rr->n + 1, sizeof(*first));
	left = calloc(rr->n + 1, sizeof(*left));
	if (!first || !left)
		goto out;
	for (size_t i = 0; i < rr->n; i++) {
		size_t n;

		if (grow((void **)all, cap, total + 8, sizeof(**all)) < 0 || expand(g, &rr->ev[i], *all + total, &n) < 0)
			goto out;
		first[i] = total;
		left[i] = n;
		total += n;
	}
	if (total > ROUND_PKTS_MAX) {
		fprintf(stderr, PROG ": churn: round %u has %zu packets, more than %u fit its first millisecond: "
			"give more --rounds\n", r, total, ROUND_PKTS_MAX);
		goto out;
	}
	/* shuffled: the next packet of a random event still sending, until all are sent */
	live = rr->n;
	{
		size_t *ord = calloc(rr->n + 1, sizeof(*ord));
		uint64_t k = 0;

		if (!ord)
			goto out;
		for (size_t i = 0; i < rr->n; i++)
			ord[i] = i;
		while (live) {
			size_t j = rnd(g, (unsigned)live), e = ord[j];

			if (emit(g, &(*all)[first[e]++], t0 + k++ * SPACING_NS) < 0) {
				free(ord);
				goto out;
			}
			if (!--left[e])
				ord[j] = ord[--live];
		}
		free(ord);
	}
	rc = 0;
out:
	free(first);
	free(left);
	return rc;
}

static int write_conf(struct gen *g, const char *path)
{
	FILE *f = fopen(path, "w");
	static const struct {
		const char *name;
		unsigned rounds;
	} to[] = {
		{ "nf_conntrack_tcp_timeout_syn_sent", TO_SHORT },    { "nf_conntrack_tcp_timeout_syn_recv", TO_SHORT },
		{ "nf_conntrack_tcp_timeout_established", TO_EST },   { "nf_conntrack_tcp_timeout_fin_wait", TO_SHORT },
		{ "nf_conntrack_tcp_timeout_close_wait", TO_SHORT },  { "nf_conntrack_tcp_timeout_last_ack", TO_SHORT },
		{ "nf_conntrack_tcp_timeout_time_wait", TO_SHORT },   { "nf_conntrack_tcp_timeout_close", TO_SHORT },
		{ "nf_conntrack_tcp_timeout_syn_sent2", TO_SHORT },   { "nf_conntrack_tcp_timeout_max_retrans", TO_EST },
		{ "nf_conntrack_tcp_timeout_unacknowledged", TO_EST }, { "nf_conntrack_udp_timeout", TO_SHORT },
		{ "nf_conntrack_udp_timeout_stream", TO_UDP_STREAM }, { "nf_conntrack_icmp_timeout", TO_SHORT },
		{ "nf_conntrack_generic_timeout", TO_EST },
	};

	if (!f) {
		perror(path);
		return -1;
	}
	fprintf(f, "# The gateway of ctnic-story-gen --scenario churn --seed %llu --conns %u (tools/gen/churn.c):\n"
		   "# clients 192.0.2.10-13 on port 0, servers on port 1; TCP to 198.51.100.80:80 goes to\n"
		   "# 203.0.113.5:8080, UDP to 198.51.100.53:53 to 203.0.113.53:53, both leave from 203.0.113.1.\n",
		(unsigned long long)g->o->seed, g->o->conns);
	fprintf(f, "port 0 client 192.0.2.1/24 mac 02:00:00:00:01:00\n"
		   "port 1 server 203.0.113.1/24 mac 02:00:00:00:01:01\n"
		   "route 198.51.100.0/24 dev server\n");
	for (unsigned h = 0; h < HOSTS; h++)
		fprintf(f, "neighbour 192.0.2.%u 02:00:00:00:00:%02x\n", 10 + h, 0x0a + h);
	fprintf(f, "neighbour 203.0.113.5 02:00:00:00:00:50 dev server\n"
		   "neighbour 203.0.113.53 02:00:00:00:00:35 dev server\n\n"
		   "# Timeouts of whole %d s rounds: every connection ends at a round's start.\n",
		CTNIC_CHURN_ROUND_S);
	for (size_t i = 0; i < sizeof(to) / sizeof(to[0]); i++)
		fprintf(f, "%s = %u\n", to[i].name, to[i].rounds * CTNIC_CHURN_ROUND_S);
	/* room for twice the most connections ever live at once (no early drop), and no more: an
	 * audit reads every flow record up to it, slowly on the simulated card */
	fprintf(f, "nf_conntrack_max = %u\n", (2 * g->max_live + 1023) / 1024 * 1024);
	fprintf(f, "linger-time %d\n\n"
		   "*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
		   "-A PREROUTING -i client -d 198.51.100.80/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 203.0.113.5:8080\n"
		   "-A PREROUTING -i client -d 198.51.100.53/32 -p udp -m udp --dport 53 -j DNAT --to-destination 203.0.113.53\n"
		   "-A POSTROUTING -s 192.0.2.0/24 -o server -j SNAT --to-source 203.0.113.1\n"
		   "COMMIT\n", LINGER_S);
	if (fclose(f) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

/* The most connections alive at once: +1 at the first round, -1 after the end. */
static unsigned max_live(const struct gen *g)
{
	long *d = calloc(g->end_round + 2, sizeof(*d)), live = 0, best = 0;

	if (!d)
		return 0;
	for (unsigned i = 0; i < g->nc; i++) {
		const struct conn *c = &g->c[i];
		/* refused: ends in its round; reopened: when the next one opens, the round after its last */
		unsigned end = c->end == END_EXPIRED ? c->expiry : c->last + 1;

		d[c->first]++;
		d[end]--;
	}
	for (unsigned r = 0; r <= g->end_round; r++) {
		live += d[r];
		if (live > best)
			best = live;
	}
	free(d);
	return (unsigned)best;
}

static void summary(struct gen *g)
{
	unsigned kinds[KINDS] = { 0 }, ends[3] = { 0 }, tcp = 0, late = 0, moments = 0;
	unsigned char *exp_round = calloc(g->end_round + 1, 1);

	for (unsigned i = 0; i < g->nc; i++) {
		const struct conn *c = &g->c[i];

		kinds[c->kind]++;
		ends[c->end]++;
		tcp += is_tcp(c->kind);
		late += c->late != NONE;
		if (exp_round && c->end == END_EXPIRED && !exp_round[c->expiry]) {
			exp_round[c->expiry] = 1;
			moments++;
		}
		if (!g->o->list)
			continue;
		printf("conn %u %s %s 192.0.2.%u:%u rounds %u-%u %s", i, is_tcp(c->kind) ? "tcp" : "udp",
		       KIND[c->kind].name, 10 + c->port % HOSTS, PORT_BASE + c->port, c->first, c->last,
		       END_NAME[c->end]);
		if (c->end == END_EXPIRED)
			printf(" at round %u", c->expiry);
		if (c->late != NONE)
			printf(", late FIN in round %u", c->late);
		printf("\n");
	}
	free(exp_round);
	printf("churn.seed = %llu\n", (unsigned long long)g->o->seed);
	printf("churn.connections = %u\n", g->nc);
	printf("churn.tcp = %u\n", tcp);
	printf("churn.udp = %u\n", g->nc - tcp);
	for (int k = 0; k < KINDS; k++)
		printf("churn.kind.%s = %u\n", KIND[k].name, kinds[k]);
	printf("churn.expired = %u\n", ends[END_EXPIRED]);
	printf("churn.reopened = %u\n", ends[END_REOPENED]);
	printf("churn.ended_at_once = %u\n", ends[END_KILLED]);
	printf("churn.late_fins = %u\n", late);
	printf("churn.late_packets = %u\n", 2 * late);
	printf("churn.client_ports = %u\n", g->np);
	printf("churn.max_live = %u\n", g->max_live);
	printf("churn.deferred_starts = %u\n", g->deferred);
	printf("churn.rounds = %u\n", g->end_round + 1);
	printf("churn.expiry_rounds = %u\n", moments);
	printf("churn.device_seconds = %u\n", g->end_round * CTNIC_CHURN_ROUND_S);
	printf("churn.frames0 = %llu\n", (unsigned long long)g->frames[0]);
	printf("churn.frames1 = %llu\n", (unsigned long long)g->frames[1]);
}

int ctnic_churn_generate(const struct ctnic_churn_opts *o)
{
	struct gen g = { .o = o, .rng = o->seed ? o->seed : 0x9e3779b97f4a7c15ull };
	struct pkt *all = NULL;
	size_t cap = 0;
	int rc = -1;

	if (plan(&g) < 0) {
		fprintf(stderr, PROG ": churn: planning failed (out of memory?)\n");
		goto out;
	}
	for (int i = 0; i < 2; i++)
		if (ctnic_pcapw_open(&g.in[i], o->out[i], 1, PROG) < 0 ||
		    ctnic_pcapw_open(&g.exp[i], o->expect[i], 1, PROG) < 0)
			goto out;
	for (unsigned r = 0; r <= g.last_round; r++)
		if (write_round(&g, r, &all, &cap) < 0)
			goto out;
	closing_frame(&g, (START_S + (uint64_t)g.end_round * CTNIC_CHURN_ROUND_S) * NS);
	g.max_live = max_live(&g);
	if (o->conf && write_conf(&g, o->conf) < 0)
		goto out;
	rc = 0;
out:
	for (int i = 1; i >= 0; i--) {
		if (ctnic_pcapw_close(&g.exp[i], PROG) < 0)
			rc = -1;
		if (ctnic_pcapw_close(&g.in[i], PROG) < 0)
			rc = -1;
	}
	if (rc == 0)
		summary(&g);
	free(all);
	if (g.r)
		for (unsigned r = 0; r < g.nr; r++) {
			free(g.r[r].ev);
			free(g.r[r].reopen);
		}
	free(g.r);
	free(g.p);
	free(g.c);
	return rc;
}
