/*
 * ctnic-replay - recorded traffic through the whole system (the card and
 * ctnicd's core) and back (docs/user-guide.md, "Replaying traffic").
 *
 *   ctnic-replay --config FILE --in 0=a.pcap --in 1=b.pcap
 *                --out 0=a_out.pcap --out 1=b_out.pcap [--out host=h.pcap]
 *                [--in host=h_in.pcap] [--backend model|sim] [--conn] [--audit]
 *
 * The frames of every input are merged in timestamp order (ties: inputs in
 * the order given, then file order) and fed into the card's ports; what the
 * card punts goes through the daemon's core exactly as in ctnicd. The device
 * clock follows the capture: before each frame the card's tick is moved to
 * the frame's time (TICK_ADVANCE), stopping at every connection timeout on
 * the way so that expiries happen at their device time, never at the next
 * packet's. Output frames carry the device time at which they left (the
 * first input frame's time plus the ticks since). Nothing depends on the
 * machine's speed or the wall clock: the same inputs give the same output
 * bytes on every run.
 *
 * Two cards: the C reference model in-process (--backend model), or the RTL
 * in a ctnic-sim process of its own (--backend sim, simcard.h): frames go in
 * with ctnic_sim_port_rx, the tick stands still but for TICK_ADVANCE
 * (TICK_PERIOD 0, as the model's), and after each step of the clock that
 * reaches a connection's timeout the card's clock runs until its aging
 * scanner has retired every connection due at that tick (card_retire), as
 * the model's scanner does in its pass at TICK_ADVANCE. What
 * a port of the simulated card sends is stamped with the device time of the
 * last frame fed plus the cycles since (4 ns each).
 *
 * With --serve PATH the card and the core stay after the replay and answer
 * ctnicctl on PATH (ctnicd's own control code) until SIGTERM or SIGINT:
 * the connection table and counters of a recorded day, inspected at leisure.
 * The device clock stands still meanwhile.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../ctnicctl/ctfmt.h"
#include "aging.h"
#include "ctlcmd.h"
#include "ctnic_sim.h"
#include "install.h"
#include "simcard.h"

#define PORTS_MAX 16u
#define HOST CTNICD_HOST_PORT        /* "host": the daemon's host stack (REDIRECT, own addresses) */
#define SNAPLEN 65535
#define NS 1000000000ull
#define NS_PER_CYCLE 4u              /* the card's clock, 250 MHz */

struct frame {
	uint64_t ts;                 /* ns since the epoch */
	unsigned port;               /* 0..15 or HOST */
	unsigned input, seq;         /* for a stable order */
	uint32_t len;
	uint8_t *data;
};

struct output {
	const char *path;
	char *tmp;
	pcap_t *dead;
	pcap_dumper_t *dump;
	uint64_t frames;
};

/* A frame fed into the simulated card: its cycle, and the device time then. */
struct mark {
	uint64_t cycle, ns;
};

/* A connection due in the card at this tick. */
struct due {
	uint32_t id;
	uint16_t gen;
};

/* The card's last-seen of a connection as last read: a lower bound (hits only make it later). */
struct card_seen {
	uint32_t last_seen;
	uint16_t gen;
	bool known;
};

struct replay {
	struct ctnic_dev *dev;
	struct ctnicd_core *core;
	struct output out[HOST + 1];
	bool sim;                    /* --backend sim: ctnic-sim (simcard.h) */
	struct simcard *simcard;
	bool card_ages;              /* AGING_CTRL.ENABLE: the card retires idle flows itself */
	struct card_seen *seen;      /* per connection id */
	struct due *dues;            /* sim: the connections card_retire waits for */
	struct mark *marks;          /* per frame fed into the simulated card, in cycle order */
	size_t nmarks, capmarks;
	uint64_t pass_runs;          /* sim: ticks at which the clock ran for the card's aging */
	uint32_t info_ports, info_flows;
	uint64_t t0;                 /* ns of device tick `tick0` */
	uint64_t tick0, tick;        /* device ticks: at the start, now */
	uint64_t ns_per_tick;
	uint64_t due;                /* no connection can expire before this tick */
	uint64_t unrouted;           /* frames out of a port with no --out */
	uint32_t span;               /* connection records that can be in use (span()) */
};

struct opts {
	const char *config, *backend, *card, *sim_bin, *serve;
	const char *in[HOST + 1], *out[HOST + 1];
	bool conn, json, quiet, audit;
	uint64_t seed;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ctnic-replay --config FILE --in P=FILE... --out P=FILE... [options]\n"
		"  recorded traffic through the card and ctnicd's core; the device clock follows the capture\n"
		"  --config FILE    ctnicd's configuration (docs/conntrack.md): ports, routes, neighbours,\n"
		"                   timeouts, linger, late packets, NAT rules, static flows\n"
		"  --in P=FILE      what arrives on port P (0..15), an Ethernet pcap; P=host: frames\n"
		"                   from the gateway's own stack (a local proxy), as ctnicd's --tap gets them\n"
		"  --out P=FILE     what leaves port P, an Ethernet pcap (nanosecond timestamps: the\n"
		"                   device time each frame left); P=host: what went to the host stack\n"
		"  --backend B      model (default: the C reference model in-process) or sim (the RTL in a\n"
		"                   ctnic-sim process of its own: the same packets, slower)\n"
		"  --card ARGS      the model card's parameters, e.g. flows=4096,buckets=1024 (docs/rings.md)\n"
		"  --sim PATH       the ctnic-sim program (default: next to this build's)\n"
		"  --audit          at the end, the daemon's table against the card's (ctnicctl audit):\n"
		"                   each difference on stderr, and exit status 1 if there is one\n"
		"  --seed N         the daemon's seed for NAT port choices (default 1)\n"
		"  --conn           print the connection table at the end (conntrack -L lines)\n"
		"  --serve PATH     then answer ctnicctl on the control socket PATH until SIGTERM/SIGINT\n"
		"  -o json          statistics and connections as ctnicd's JSON answers\n"
		"  --quiet          print nothing but errors\n"
		"  --help           this text\n"
		"exit status: 0 done, 1 replay failed, 2 usage or configuration error\n");
}

/* "P=FILE" with P a port number or "host". */
static int port_arg(const char *arg, const char *opt, unsigned *port, const char **path)
{
	const char *eq = strchr(arg, '=');
	char *end;
	unsigned long p;

	if (!eq || eq == arg || !eq[1]) {
		fprintf(stderr, "ctnic-replay: %s %s: give PORT=FILE, e.g. %s 0=client.pcap\n", opt, arg, opt);
		return -1;
	}
	*path = eq + 1;
	if ((size_t)(eq - arg) == 4 && !strncmp(arg, "host", 4)) {
		*port = HOST;
		return 0;
	}
	errno = 0;
	p = strtoul(arg, &end, 10);
	if (errno || end != eq || p >= PORTS_MAX) {
		fprintf(stderr, "ctnic-replay: %s %s: the port is a number 0..%u or 'host'\n", opt, arg, PORTS_MAX - 1);
		return -1;
	}
	*port = (unsigned)p;
	return 0;
}

/* ---- inputs ---------------------------------------------------------------------- */

static int read_input(const char *path, unsigned port, unsigned input, struct frame **v, size_t *n, size_t *cap)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned seq = 0;
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	int rc;

	if (!p) {
		fprintf(stderr, "ctnic-replay: --in %s: %s\n", path, err);
		return -1;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		fprintf(stderr, "ctnic-replay: --in %s: link type %s, want Ethernet (EN10MB)\n", path,
			pcap_datalink_val_to_name(pcap_datalink(p)) ? pcap_datalink_val_to_name(pcap_datalink(p)) : "?");
		pcap_close(p);
		return -1;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		struct frame *f;

		if (h->caplen < h->len) {
			fprintf(stderr, "ctnic-replay: --in %s: frame %u is cut by the capture's snap length (%u of %u bytes)\n",
				path, seq + 1, h->caplen, h->len);
			pcap_close(p);
			return -1;
		}
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 1024;
			struct frame *nv = realloc(*v, nc * sizeof(**v));

			if (!nv)
				goto oom;
			*v = nv;
			*cap = nc;
		}
		f = &(*v)[*n];
		f->ts = (uint64_t)h->ts.tv_sec * NS + (uint64_t)h->ts.tv_usec;
		f->port = port;
		f->input = input;
		f->seq = seq++;
		f->len = h->caplen;
		if (!(f->data = malloc(h->caplen ? h->caplen : 1)))
			goto oom;
		memcpy(f->data, data, h->caplen);
		(*n)++;
	}
	if (rc != PCAP_ERROR_BREAK) {
		fprintf(stderr, "ctnic-replay: --in %s: %s\n", path, pcap_geterr(p));
		pcap_close(p);
		return -1;
	}
	pcap_close(p);
	return 0;
oom:
	fprintf(stderr, "ctnic-replay: --in %s: out of memory\n", path);
	pcap_close(p);
	return -1;
}

static int frame_cmp(const void *a, const void *b)
{
	const struct frame *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->input != y->input)
		return x->input < y->input ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ---- outputs --------------------------------------------------------------------- */

/* Written as FILE.tmp and renamed at the end, so a complete file never has a partial twin. */
static int output_open(struct output *o, const char *path)
{
	size_t l = strlen(path) + 5;

	o->path = path;
	if (!(o->tmp = malloc(l)))
		return -1;
	snprintf(o->tmp, l, "%s.tmp", path);
	o->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, SNAPLEN, PCAP_TSTAMP_PRECISION_NANO);
	if (!o->dead || !(o->dump = pcap_dump_open(o->dead, o->tmp))) {
		fprintf(stderr, "ctnic-replay: --out %s: %s\n", path, o->dead ? pcap_geterr(o->dead) : "pcap_open_dead failed");
		return -1;
	}
	return 0;
}

static int output_close(struct output *o, bool keep)
{
	int rc = 0;

	if (o->dump) {
		if (pcap_dump_flush(o->dump) < 0) {
			fprintf(stderr, "ctnic-replay: --out %s: write failed\n", o->path);
			rc = -1;
		}
		pcap_dump_close(o->dump);
		if (keep && rc == 0 && rename(o->tmp, o->path) < 0) {
			fprintf(stderr, "ctnic-replay: --out %s: rename from %s: %s\n", o->path, o->tmp, strerror(errno));
			rc = -1;
		}
		if (!keep || rc < 0)
			unlink(o->tmp);
	}
	if (o->dead)
		pcap_close(o->dead);
	free(o->tmp);
	o->dump = NULL;
	o->dead = NULL;
	o->tmp = NULL;
	return rc;
}

/* One frame into an output, stamped with device time ns. */
static void dump_at(struct output *o, const uint8_t *frame, size_t len, uint64_t ns)
{
	struct pcap_pkthdr h;

	h.ts.tv_sec = (time_t)(ns / NS);
	h.ts.tv_usec = (suseconds_t)(ns % NS); /* nanoseconds in a nanosecond pcap */
	h.caplen = h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)o->dump, &h, frame);
	o->frames++;
}

static void emit(struct replay *r, unsigned port, const uint8_t *frame, size_t len, uint64_t tick)
{
	struct output *o = port <= HOST ? &r->out[port] : NULL;

	if (!o || !o->dump) {
		r->unrouted++;
		return;
	}
	dump_at(o, frame, len, r->t0 + (tick - r->tick0) * r->ns_per_tick);
}

static void on_port_tx(void *arg, unsigned port, const uint8_t *frame, size_t len, uint64_t tick)
{
	emit(arg, port, frame, len, tick);
}

static void on_host_tx(void *arg, const uint8_t *frame, size_t len)
{
	struct replay *r = arg;

	emit(r, HOST, frame, len, r->tick);
}

/* ---- the clock ------------------------------------------------------------------- */

static int advance(struct replay *r, uint64_t ticks)
{
	while (ticks) {
		uint32_t step = ticks > UINT32_MAX ? UINT32_MAX : (uint32_t)ticks;

		if (ctnic_csr_write(r->dev, CTNIC_REG_TICK_ADVANCE, step) < 0) {
			fprintf(stderr, "ctnic-replay: TICK_ADVANCE: %s\n", ctnic_last_error(r->dev));
			return -1;
		}
		ticks -= step;
		r->tick += step;
	}
	return 0;
}

/*
 * The records that can be in use: connection ids are taken lowest first
 * (host/conn.c), so they stay below the most connections ever live at once.
 * Checked at each use: the records in use found below the span must be all
 * of them, else the whole table is scanned from then on.
 */
static uint32_t span(struct replay *r)
{
	const struct ctnicd_conns *t = &r->core->conns;
	uint32_t found = 0;

	if (t->used > r->span)
		r->span = t->used;
	for (uint32_t id = 0; id < r->span; id++)
		found += (t->c[id].flags & CTNICD_CONN_USED) != 0;
	if (found != t->used)
		r->span = t->cap;
	return r->span;
}

/* Ticks from `from` to `to` (32 bits, as the card keeps last-seen). */
static uint32_t age32(uint64_t to, uint32_t from)
{
	return (uint32_t)to - from;
}

/*
 * The tick at which connection id can expire. A card that ages flows itself
 * decides for the connections in it, by its last-seen, which is later than
 * the daemon's when the card forwarded packets the daemon never saw: that
 * one is read from the card (and kept: hits only make it later, until the
 * id is installed anew with another generation). -1 when the card cannot
 * be read.
 */
static int conn_due(struct replay *r, uint32_t id, uint64_t *due)
{
	struct ctnicd_core *c = r->core;
	const struct ctnicd_conn *cn = &c->conns.c[id];
	struct card_seen *s = &r->seen[id];
	uint32_t to = c->timeout[cn->tclass], last = cn->last_seen;
	struct ctnic_flow f;

	if (!r->card_ages || !(cn->flags & CTNICD_CONN_IN_CARD)) {
		*due = c->now + ctnicd_conn_left(c, id);
		return 0;
	}
	if (s->known && s->gen == cn->gen && age32(c->now, s->last_seen) < age32(c->now, last))
		last = s->last_seen;
	if (age32(c->now, last) >= to) {
		/* due by what we know: what does the card say? */
		if (ctnic_flow_read(c->dev, id, &f) < 0) {
			fprintf(stderr, "ctnic-replay: reading flow %u at tick %" PRIu64 ": %s\n", id, r->tick,
				ctnic_last_error(c->dev));
			return -1;
		}
		if (!f.valid || f.generation != cn->gen) {
			*due = c->now; /* retired: its expiry is on its way */
			return 0;
		}
		*s = (struct card_seen){ .last_seen = f.last_seen, .gen = cn->gen, .known = true };
		if (age32(c->now, f.last_seen) < age32(c->now, last))
			last = f.last_seen;
	}
	*due = c->now + (age32(c->now, last) >= to ? 0 : to - age32(c->now, last));
	return 0;
}

/* The earliest tick at which a connection can expire: a scan of the records in use. */
static int next_expiry(struct replay *r, uint64_t *next)
{
	struct ctnicd_core *c = r->core;
	uint32_t n = span(r);

	*next = UINT64_MAX;
	for (uint32_t id = 0; id < n; id++) {
		const struct ctnicd_conn *cn = &c->conns.c[id];
		uint64_t t;

		if (!(cn->flags & CTNICD_CONN_USED) || (cn->flags & CTNICD_CONN_STATIC))
			continue;
		if (conn_due(r, id, &t) < 0)
			return -1;
		if (t < *next)
			*next = t;
	}
	return 0;
}

/* The shortest timeout: after a packet at tick t, nothing it touched expires before t + this. */
static uint64_t min_timeout(const struct ctnicd_core *c)
{
	uint64_t m = UINT64_MAX;

	for (unsigned k = 0; k < CTNIC_TCLASSES; k++)
		if (c->timeout[k] < m)
			m = c->timeout[k];
	return m;
}

/* The card's expiries of the time that passed, heard at the time they happened (the clock read first). */
static int card_events(struct replay *r)
{
	struct ctnicd_core *c = r->core;

	if (ctnicd_core_clock(c) < 0 || ctnicd_core_events(c) < 0) {
		fprintf(stderr, "ctnic-replay: events at tick %" PRIu64 ": %s\n", r->tick, c->err);
		return -1;
	}
	return 0;
}

/* Runs the expiry sweep as ctnicd's loop does, at this tick. */
static int sweep(struct replay *r)
{
	struct ctnicd_core *c = r->core;

	/* ctnicd's sweep over the records that can be in use, from the first */
	c->sweep = 0;
	if (ctnicd_core_timer(c, span(r)) < 0 || ctnicd_core_events(c) < 0) {
		fprintf(stderr, "ctnic-replay: expiry sweep at tick %" PRIu64 ": %s\n", r->tick, c->err);
		return -1;
	}
	return 0;
}

/* The connections in the card due at this tick by the card's own record (conn_due), into r->dues. */
static int due_in_card(struct replay *r, uint32_t *n)
{
	struct ctnicd_core *c = r->core;
	uint32_t span_n = span(r);

	*n = 0;
	for (uint32_t id = 0; id < span_n; id++) {
		const struct ctnicd_conn *cn = &c->conns.c[id];
		uint64_t t;

		if ((cn->flags & (CTNICD_CONN_USED | CTNICD_CONN_IN_CARD | CTNICD_CONN_STATIC)) !=
		    (CTNICD_CONN_USED | CTNICD_CONN_IN_CARD))
			continue;
		if (conn_due(r, id, &t) < 0)
			return -1;
		if (t <= r->tick)
			r->dues[(*n)++] = (struct due){ .id = id, .gen = cn->gen };
	}
	return 0;
}

/*
 * The simulated card retires what is due at this tick, as the model's
 * scanner does in its pass at TICK_ADVANCE: its clock runs, in steps of a
 * sixteenth of the table (the scanner visits a record a clock when idle,
 * from wherever it stands), the daemon taking the expiries after each step
 * (the scanner waits while the event ring is full), until every connection
 * that was due in the card by the card's own record has ended by its
 * expiry. Four whole passes without that is a card that does not age as
 * specified: the replay fails, saying so.
 */
static int card_retire(struct replay *r)
{
	uint64_t chunk = r->info_flows / 16 + 64, ran = 0;
	uint32_t n, left;

	if (!r->sim || !r->card_ages)
		return 0;
	if (due_in_card(r, &n) < 0)
		return -1;
	for (left = n; left;) {
		if (ran > 4 * (uint64_t)r->info_flows + 4 * chunk) {
			const struct ctnicd_conn *cn = &r->core->conns.c[r->dues[0].id];
			uint32_t passes = 0, ctrl = 0, to = 0;
			struct ctnic_flow f = { 0 };

			ctnic_flow_read(r->dev, r->dues[0].id, &f);
			ctnic_csr_read(r->dev, CTNIC_REG_AGING_PASSES, &passes);
			ctnic_csr_read(r->dev, CTNIC_REG_AGING_CTRL, &ctrl);
			if (f.tclass < CTNIC_REG_AGING_TIMEOUT_COUNT)
				ctnic_csr_read(r->dev, CTNIC_REG_AGING_TIMEOUT(f.tclass), &to);
			fprintf(stderr, "ctnic-replay: the card's aging did not retire flow %" PRIu32 " (and %" PRIu32
				" more), due at tick %" PRIu64 ", in %" PRIu64 " clock cycles (4 passes over its %" PRIu32
				" records): the card's record: valid %d generation %u class %u (AGING_TIMEOUT %" PRIu32
				") last-seen %" PRIu32 "; the daemon's: generation %u class %u (timeout %" PRIu32
				") last-seen %" PRIu32 "; AGING_CTRL 0x%" PRIx32 ", AGING_PASSES %" PRIu32 "\n",
				r->dues[0].id, left - 1, r->tick, ran, r->info_flows, f.valid, f.generation, f.tclass, to,
				f.last_seen, cn->gen, cn->tclass, r->core->timeout[cn->tclass], cn->last_seen, ctrl, passes);
			return -1;
		}
		if (ctnic_sim_run(r->dev, chunk, NULL) < 0) {
			fprintf(stderr, "ctnic-replay: the card's clock at tick %" PRIu64 ": %s\n", r->tick,
				ctnic_last_error(r->dev));
			return -1;
		}
		ran += chunk;
		if (card_events(r) < 0)
			return -1;
		/* those still there first */
		for (uint32_t i = left = 0; i < n; i++)
			if (ctnicd_conns_live(&r->core->conns, r->dues[i].id, r->dues[i].gen))
				r->dues[left++] = r->dues[i];
		n = left;
	}
	if (ran)
		r->pass_runs++;
	return 0;
}

/*
 * Moves the device clock to `target`, stopping at each tick where a
 * connection times out, so it ends (and its binding starts to linger) at
 * its own time.
 */
static int clock_to(struct replay *r, uint64_t target)
{
	while (r->tick < target) {
		uint64_t stop = target;

		if (r->due <= target) {
			if (sweep(r) < 0 || next_expiry(r, &r->due) < 0)
				return -1;
			if (r->due <= r->tick)
				r->due = r->tick + 1;
			if (r->due < stop)
				stop = r->due;
		}
		/* the daemon's clock is read first: its view of what is due at this tick */
		if (advance(r, stop - r->tick) < 0 || card_events(r) < 0)
			return -1;
		/* A connection is due at this tick: the card that ages flows retires it now. */
		if (stop >= r->due && card_retire(r) < 0)
			return -1;
	}
	if (r->due <= r->tick) {
		if (sweep(r) < 0 || next_expiry(r, &r->due) < 0)
			return -1;
	}
	return ctnicd_core_clock(r->core);
}

/* ---- the replay ------------------------------------------------------------------ */

/* The device time now, in ns since the epoch. */
static uint64_t device_ns(const struct replay *r)
{
	return r->t0 + (r->tick - r->tick0) * r->ns_per_tick;
}

static int mark(struct replay *r, uint64_t cycle)
{
	if (r->nmarks == r->capmarks) {
		size_t nc = r->capmarks ? r->capmarks * 2 : 1024;
		struct mark *nv = realloc(r->marks, nc * sizeof(*nv));

		if (!nv) {
			fprintf(stderr, "ctnic-replay: out of memory\n");
			return -1;
		}
		r->marks = nv;
		r->capmarks = nc;
	}
	r->marks[r->nmarks++] = (struct mark){ .cycle = cycle, .ns = device_ns(r) };
	return 0;
}

/* The frame into its port of the card; what the card does with it is done on return. */
static int port_rx(struct replay *r, const struct frame *f)
{
	uint64_t cycle;

	if (!r->sim) {
		if (ctnic_model_port_rx(r->dev, f->port, f->data, f->len, 0) < 0)
			goto fail;
		return 0;
	}
	/* The frame is queued at `cycle`; a request served after it sees everything it did. */
	if (ctnic_sim_port_rx(r->dev, f->port, f->data, f->len, &cycle) < 0 || mark(r, cycle) < 0 ||
	    ctnic_sim_status(r->dev, NULL) < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "ctnic-replay: port %u: %s\n", f->port, ctnic_last_error(r->dev));
	return -1;
}

static int feed(struct replay *r, const struct frame *f)
{
	struct ctnicd_core *c = r->core;
	uint64_t m, cycle;

	if (f->port == HOST) {
		/* What the daemon injects for it leaves after the card's present cycle. */
		if (r->sim && (ctnic_sim_status(r->dev, &cycle) < 0 || mark(r, cycle) < 0)) {
			fprintf(stderr, "ctnic-replay: %s\n", ctnic_last_error(r->dev));
			return -1;
		}
		ctnicd_core_host_rx(c, f->data, f->len);
	} else if (port_rx(r, f) < 0) {
		return -1;
	}
	if (ctnicd_core_punts(c) < 0 || ctnicd_core_events(c) < 0) {
		fprintf(stderr, "ctnic-replay: after a frame of port %u at tick %" PRIu64 ": %s\n", f->port, r->tick, c->err);
		return -1;
	}
	/* What this frame touched cannot expire before the shortest timeout from now. */
	m = min_timeout(c);
	if (m != UINT64_MAX && r->tick + m < r->due)
		r->due = r->tick + m;
	return 0;
}

static int static_flows(struct ctnicd_core *c, const char *config)
{
	struct ctnic_conf *conf = c->conf;
	char err[CTNIC_ERR_LEN];

	for (size_t i = 0; i < conf->nflows; i++) {
		struct ctnicd_flow_spec spec;
		uint32_t id;

		if (ctnicd_flow_spec_parse(conf->flows[i].text, &spec, err, sizeof(err)) < 0 ||
		    ctnicd_core_static(c, &spec, &id, err, sizeof(err)) < 0) {
			fprintf(stderr, "ctnic-replay: %s:%u: %s\n", config, conf->flows[i].line, err);
			return -1;
		}
	}
	return 0;
}

/* One control request answered in-process, as ctnicctl would get it from ctnicd. */
static cJSON *ask(struct ctnicd_daemon *d, const char *req)
{
	char *line = ctnicd_ctl_answer(ctnicd_commands, d, req);
	cJSON *a = line ? cJSON_Parse(line) : NULL;

	free(line);
	return a;
}

/* What the end of a replay found, read from the card and the core while both are there. */
struct summary {
	cJSON *stats, *conns;
	uint32_t aging_passes, aging_expired;
	uint32_t audit_diffs;
	bool audited;
	uint64_t tx[PORTS_MAX];      /* CNT_PORT_TX_PKTS of each port */
};

static void audit_line(void *arg, const char *difference)
{
	(void)arg;
	fprintf(stderr, "ctnic-replay: audit: %s\n", difference);
}

static int summarize(struct replay *r, const struct opts *o, struct summary *s)
{
	struct ctnicd_daemon d = { .dev = r->dev, .core = r->core };

	s->stats = ask(&d, "{\"cmd\":\"stats\"}");
	s->conns = o->conn ? ask(&d, "{\"cmd\":\"conn list\"}") : NULL;
	if (ctnic_csr_read(r->dev, CTNIC_REG_AGING_PASSES, &s->aging_passes) < 0 ||
	    ctnic_csr_read(r->dev, CTNIC_REG_AGING_EXPIRED, &s->aging_expired) < 0)
		goto fail;
	for (unsigned p = 0; p < r->info_ports && p < PORTS_MAX; p++) {
		uint32_t lo, hi;

		if (ctnic_csr_read(r->dev, CTNIC_REG_CNT_PORT_TX_PKTS_LO(p), &lo) < 0 ||
		    ctnic_csr_read(r->dev, CTNIC_REG_CNT_PORT_TX_PKTS_HI(p), &hi) < 0)
			goto fail;
		s->tx[p] = (uint64_t)hi << 32 | lo;
		if (r->sim && !r->out[p].dump)
			r->unrouted += s->tx[p];
	}
	if (o->audit) {
		/* ctnicctl audit: every key slot and flow record against the daemon's table */
		if (ctnicd_core_audit(r->core, audit_line, NULL, &s->audit_diffs) < 0)
			goto fail;
		s->audited = true;
	}
	return 0;
fail:
	fprintf(stderr, "ctnic-replay: reading the card at the end: %s\n", ctnic_last_error(r->dev));
	return -1;
}

/*
 * Port p's frames as the simulated card sent them, each stamped with the
 * device time of the last frame fed at or before its cycle plus the cycles
 * since, never earlier than the one before. They must be as many as the
 * card counted.
 */
static int sim_port_out(struct replay *r, unsigned p, uint64_t counted)
{
	const char *path = simcard_port_pcap(r->simcard, p);
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct output *o = &r->out[p];
	pcap_t *in = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	uint64_t last = 0, n = 0;
	size_t m = 0;
	int rc;

	if (!in) {
		fprintf(stderr, "ctnic-replay: port %u as ctnic-sim recorded it: %s\n", p, err);
		return -1;
	}
	while ((rc = pcap_next_ex(in, &h, &data)) == 1) {
		uint64_t cycle = ((uint64_t)h->ts.tv_sec * NS + (uint64_t)h->ts.tv_usec) / NS_PER_CYCLE, ns = r->t0;

		while (m + 1 < r->nmarks && r->marks[m + 1].cycle <= cycle)
			m++;
		if (r->nmarks && r->marks[m].cycle <= cycle)
			ns = r->marks[m].ns + (cycle - r->marks[m].cycle) * NS_PER_CYCLE;
		if (ns < last)
			ns = last;
		last = ns;
		dump_at(o, data, h->caplen, ns);
		n++;
	}
	if (rc != PCAP_ERROR_BREAK)
		fprintf(stderr, "ctnic-replay: port %u as ctnic-sim recorded it (%s): %s\n", p, path, pcap_geterr(in));
	pcap_close(in);
	if (rc != PCAP_ERROR_BREAK)
		return -1;
	if (n != counted) {
		fprintf(stderr, "ctnic-replay: port %u: ctnic-sim recorded %" PRIu64 " frames, the card counted %" PRIu64
			" sent (CNT_PORT_TX_PKTS): its output is not complete\n", p, n, counted);
		return -1;
	}
	return 0;
}

/* Stops the simulated card (the daemon's core first) and writes what its ports sent. */
static int sim_finish(struct replay *r, const struct summary *s)
{
	char err[1024];

	ctnicd_core_destroy(r->core);
	r->core = NULL;
	ctnic_close(r->dev);
	r->dev = NULL;
	if (simcard_stop(r->simcard, err, sizeof(err)) < 0) {
		fprintf(stderr, "ctnic-replay: --backend sim: %s\n", err);
		return -1;
	}
	for (unsigned p = 0; p < r->info_ports && p < PORTS_MAX; p++)
		if (r->out[p].dump && sim_port_out(r, p, s->tx[p]) < 0)
			return -1;
	return 0;
}

static void report(struct replay *r, const struct opts *o, size_t nframes, const struct summary *s)
{
	if (o->json) {
		char *t = s->stats ? cJSON_PrintUnformatted(s->stats) : NULL;

		printf("%s\n", t ? t : "{\"ok\":false,\"error\":\"no statistics\"}");
		free(t);
		if (s->conns) {
			t = cJSON_PrintUnformatted(s->conns);
			printf("%s\n", t ? t : "");
			free(t);
		}
		return;
	}
	printf("replay: %zu frames in, device time %.3f s (%" PRIu64 " ticks)\n", nframes,
	       (double)((r->tick - r->tick0) * r->ns_per_tick) / 1e9, r->tick - r->tick0);
	for (unsigned p = 0; p <= HOST; p++) {
		char name[16];

		if (!r->out[p].dump)
			continue;
		if (p == HOST)
			snprintf(name, sizeof(name), "the host stack");
		else
			snprintf(name, sizeof(name), "port %u", p);
		/* on sim with --serve the card's count: ctnic-sim's frames are written when it stops */
		printf("replay: %" PRIu64 " frames out of %s to %s\n",
		       r->sim && p != HOST && p < PORTS_MAX ? s->tx[p] : r->out[p].frames, name, r->out[p].path);
	}
	if (r->unrouted)
		printf("replay: %" PRIu64 " frames left ports without --out\n", r->unrouted);
	printf("replay: the card's aging scanner: %" PRIu32 " flows retired (AGING_EXPIRED), %" PRIu32
	       " passes over the table (AGING_PASSES)\n", s->aging_expired, s->aging_passes);
	if (r->sim)
		printf("replay: the simulated card's clock ran for its aging at %" PRIu64 " ticks\n", r->pass_runs);
	if (s->audited)
		printf("replay: audit: %" PRIu32 " differences between the daemon's table and the card's\n",
		       s->audit_diffs);
	printf("--- statistics (ctnicctl stats)\n");
	ctnic_fmt_stats_text(stdout, cJSON_GetObjectItemCaseSensitive(s->stats, "result"));
	if (s->conns) {
		printf("--- connections (ctnicctl conn list)\n");
		ctnic_fmt_conns(stdout, stdout, "ctnic-replay", cJSON_GetObjectItemCaseSensitive(s->conns, "result"));
	}
}

/* ctnicd's control socket over this card and core, until SIGTERM or SIGINT. */
static int serve(struct replay *r, const char *path)
{
	struct ctnicd_daemon d = { .dev = r->dev, .core = r->core };
	struct ctnicd_ctl *ctl;
	char err[CTNIC_ERR_LEN];
	sigset_t mask;
	int sfd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((sfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
		fprintf(stderr, "ctnic-replay: signalfd: %s\n", strerror(errno));
		return 1;
	}
	if (ctnicd_ctl_open(&ctl, path, ctnicd_commands, &d, err, sizeof(err)) < 0) {
		fprintf(stderr, "ctnic-replay: --serve %s: %s\n", path, err);
		close(sfd);
		return 1;
	}
	fprintf(stderr, "ctnic-replay: serving ctnicctl on %s (device time stands at %.3f s)\n", path,
		(double)((r->tick - r->tick0) * r->ns_per_tick) / 1e9);
	for (;;) {
		struct pollfd pfd[40];
		size_t nc;

		pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		nc = ctnicd_ctl_pollfds(ctl, pfd + 1, sizeof(pfd) / sizeof(pfd[0]) - 1);
		if (poll(pfd, nc + 1, -1) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		ctnicd_ctl_serve(ctl, pfd + 1, nc);
	}
	ctnicd_ctl_close(ctl);
	close(sfd);
	return 0;
}

static int run(struct replay *r, const struct opts *o, struct frame *v, size_t n)
{
	struct ctnic_conf *conf;
	struct summary s = { 0 };
	char err[1024];
	int rc = 1;

	if (ctnic_conf_load(o->config, &conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "ctnic-replay: %s\n", err);
		return 2;
	}
	if (ctnicd_core_create(&r->core, r->dev, conf, o->seed, err, sizeof(err)) < 0) {
		fprintf(stderr, "ctnic-replay: the daemon's core on %s: %s\n", ctnic_uri(r->dev), err);
		return 1;
	}
	ctnicd_core_host_stack(r->core, on_host_tx, r);
	if (static_flows(r->core, o->config) < 0)
		return 2;
	r->info_ports = r->core->info.ports;
	r->info_flows = r->core->info.flows;
	/*
	 * The core took ticks per second from TICK_PERIOD; now only TICK_ADVANCE
	 * moves the simulated card's tick, as the model's: the clock cycles a
	 * frame or a register access takes do not, so both cards decide every
	 * timeout at the same ticks.
	 */
	if ((r->sim && ctnic_csr_write(r->dev, CTNIC_REG_TICK_PERIOD, 0) < 0) || ctnic_tick_read(r->dev, &r->tick0) < 0 ||
	    ctnic_csr_write(r->dev, CTNIC_REG_CTRL, CTNIC_CTRL_ENABLE_MASK) < 0) {
		fprintf(stderr, "ctnic-replay: %s\n", ctnic_last_error(r->dev));
		return 1;
	}
	r->card_ages = ctnicd_aging_on(r->core);
	if (!(r->seen = calloc(r->core->conns.cap ? r->core->conns.cap : 1, sizeof(*r->seen))) ||
	    !(r->dues = calloc(r->core->conns.cap ? r->core->conns.cap : 1, sizeof(*r->dues)))) {
		fprintf(stderr, "ctnic-replay: out of memory\n");
		return 1;
	}
	r->tick = r->tick0;
	r->ns_per_tick = NS / r->core->ticks_per_sec;
	r->t0 = n ? v[0].ts : 0;
	r->due = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t dt = v[i].ts - r->t0;
		/* ticks = dt * ticks_per_sec / 1e9, without overflowing 64 bits */
		uint64_t target = r->tick0 + dt / NS * r->core->ticks_per_sec + dt % NS * r->core->ticks_per_sec / NS;

		if (clock_to(r, target) < 0 || feed(r, &v[i]) < 0)
			return 1;
	}
	if (summarize(r, o, &s) < 0)
		goto out;
	/* ctnic-sim completes what its ports sent when it stops: at once, or once serving ends */
	if (r->sim && !o->serve && sim_finish(r, &s) < 0)
		goto out;
	if (!o->quiet)
		report(r, o, n, &s);
	fflush(stdout);
	rc = s.audit_diffs ? 1 : 0;
	if (rc || !o->serve)
		goto out;
	/* On the model the outputs are complete: there for a reader while the table is served. */
	if (!r->sim)
		for (unsigned p = 0; p <= HOST; p++)
			if (output_close(&r->out[p], true) < 0)
				goto out;
	rc = serve(r, o->serve);
	if (rc == 0 && r->sim && sim_finish(r, &s) < 0)
		rc = 1;
out:
	cJSON_Delete(s.stats);
	cJSON_Delete(s.conns);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "config", required_argument, NULL, 'c' }, { "in", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, 'O' },    { "backend", required_argument, NULL, 'b' },
		{ "card", required_argument, NULL, 'C' },   { "sim", required_argument, NULL, 'S' },
		{ "seed", required_argument, NULL, 's' },   { "conn", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },        { "help", no_argument, NULL, 'h' },
		{ "serve", required_argument, NULL, 'L' },  { "audit", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .backend = "model", .seed = 1 };
	struct replay r = { 0 };
	struct frame *v = NULL;
	size_t n = 0, cap = 0;
	unsigned input = 0;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "o:h", lopts, NULL)) != -1) {
		unsigned port;
		const char *path;
		char *end;

		switch (c) {
		case 'c': o.config = optarg; break;
		case 'i':
		case 'O':
			if (port_arg(optarg, c == 'i' ? "--in" : "--out", &port, &path) < 0)
				return 2;
			if ((c == 'i' ? o.in : o.out)[port]) {
				fprintf(stderr, "ctnic-replay: %s %s: port given twice\n", c == 'i' ? "--in" : "--out", optarg);
				return 2;
			}
			(c == 'i' ? o.in : o.out)[port] = path;
			break;
		case 'b':
			if (strcmp(optarg, "model") && strcmp(optarg, "sim")) {
				fprintf(stderr, "ctnic-replay: --backend %s: give model or sim\n", optarg);
				return 2;
			}
			o.backend = optarg;
			break;
		case 'C': o.card = optarg; break;
		case 'S': o.sim_bin = optarg; break;
		case 's':
			errno = 0;
			o.seed = strtoull(optarg, &end, 0);
			if (errno || *end || !*optarg) {
				fprintf(stderr, "ctnic-replay: --seed %s: not a number\n", optarg);
				return 2;
			}
			break;
		case 'n': o.conn = true; break;
		case 'A': o.audit = true; break;
		case 'L': o.serve = optarg; break;
		case 'q': o.quiet = true; break;
		case 'o':
			if (strcmp(optarg, "json") && strcmp(optarg, "text")) {
				fprintf(stderr, "ctnic-replay: -o %s: give text or json\n", optarg);
				return 2;
			}
			o.json = !strcmp(optarg, "json");
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ctnic-replay: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!o.config) {
		fprintf(stderr, "ctnic-replay: --config FILE is required (an empty file is a gateway with no rules)\n");
		usage(stderr);
		return 2;
	}
	for (unsigned p = 0; p <= HOST; p++)
		if (o.in[p] && read_input(o.in[p], p, input++, &v, &n, &cap) < 0)
			goto out;
	if (n)
		qsort(v, n, sizeof(*v), frame_cmp);

	if (!strcmp(o.backend, "sim")) {
		char err[1024];
		bool record[SIMCARD_PORTS];

		if (o.card) {
			fprintf(stderr, "ctnic-replay: --card is for --backend model: the simulated card's size is fixed "
					"when ctnic-sim is built (hw/build.mk)\n");
			rc = 2;
			goto out;
		}
		for (unsigned p = 0; p < SIMCARD_PORTS; p++)
			record[p] = o.out[p] != NULL;
		/* Never falls back to the model: a card that cannot run says why. */
		if (simcard_open(&r.simcard, o.sim_bin, argv[0], record, &r.dev, err, sizeof(err)) < 0) {
			fprintf(stderr, "ctnic-replay: --backend sim: %s\n", err);
			goto out;
		}
		r.sim = true;
		if (!o.quiet)
			fprintf(stderr, "ctnic-replay: the simulated card: ctnic-sim (pid %ld) on %s\n",
				(long)simcard_pid(r.simcard), simcard_socket(r.simcard));
	} else {
		char uri[512], err[CTNIC_ERR_LEN];

		snprintf(uri, sizeof(uri), "model:%s", o.card ? o.card : "");
		if (ctnic_open(&r.dev, uri, err, sizeof(err)) < 0) {
			fprintf(stderr, "ctnic-replay: %s\n", err);
			rc = 2;
			goto out;
		}
		if (ctnic_model_port_tx_cb(r.dev, on_port_tx, &r) < 0) {
			fprintf(stderr, "ctnic-replay: %s\n", ctnic_last_error(r.dev));
			goto out;
		}
	}
	for (unsigned p = 0; p <= HOST; p++)
		if (o.out[p] && output_open(&r.out[p], o.out[p]) < 0)
			goto out;
	rc = run(&r, &o, v, n);
out:
	for (unsigned p = 0; p <= HOST; p++)
		if (output_close(&r.out[p], rc == 0) < 0 && rc == 0)
			rc = 1;
	ctnicd_core_destroy(r.core);
	ctnic_close(r.dev);
	simcard_close(r.simcard);
	free(r.seen);
	free(r.dues);
	free(r.marks);
	for (size_t i = 0; i < n; i++)
		free(v[i].data);
	free(v);
	return rc;
}
