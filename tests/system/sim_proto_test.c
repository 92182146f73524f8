/*
 * sim_proto_test - ctnic-sim's host protocol (sim_proto.h) against the real
 * simulator and RTL: every request line gets exactly one answer, garbled
 * ones an ERR with its code, and nothing a client sends stops the
 * simulator or disturbs another client. Ends with random lines (seeded:
 * the seed is printed, and taken as the second argument to replay).
 *
 * usage: sim_proto_test CTNIC-SIM [SEED]
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctnic_regs.h"
#include "harness.h"
#include "sim_proto.h"

struct conn {
	int fd;
	char buf[65536];
	size_t len;
};

static int conn_open(struct conn *c, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	c->len = 0;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	return c->fd >= 0 && connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : -1;
}

static int conn_send(struct conn *c, const char *data, size_t len)
{
	return send(c->fd, data, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* The next answer line (without newline) into out; -1 after 10 s without one. */
static int conn_line(struct conn *c, char *out, size_t cap)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);

		if (nl) {
			size_t n = (size_t)(nl - c->buf);
			snprintf(out, cap, "%.*s", (int)n, c->buf);
			memmove(c->buf, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			return 0;
		}
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		if (poll(&p, 1, 10000) <= 0)
			return -1;
		ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (r <= 0)
			return -1;
		c->len += (size_t)r;
	}
}

/* Sends req (with its newline) and checks the one answer starts with want. */
static int ask(struct conn *c, const char *req, const char *want, char *ans, size_t cap)
{
	char tmp[CTNIC_SIM_LINE_MAX * 2];

	if (!ans) {
		ans = tmp;
		cap = sizeof(tmp);
	}
	if (conn_send(c, req, strlen(req)) < 0 || conn_line(c, ans, cap) < 0)
		return 0;
	if (strncmp(ans, want, strlen(want))) {
		tap_diag("request '%.*s' answered '%s', expected '%s...'", (int)strcspn(req, "\n"), req, ans, want);
		return 0;
	}
	return 1;
}

static int exit_code(char **args, char *out, size_t cap)
{
	int st = th_run(args, out, cap, 20000);

	return st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_usage(char *sim, const char *dir)
{
	char out[4096], sock[128], in[160];
	char *help[] = { sim, "--help", NULL };
	char *nosock[] = { sim, "--pace", "10", NULL };
	char *badport[] = { sim, "--socket", sock, "--in", "9=x.pcap", NULL };
	char *badin[] = { sim, "--socket", sock, "--in", in, NULL };
	char *badpace[] = { sim, "--socket", sock, "--pace", "fast", NULL };

	snprintf(sock, sizeof(sock), "%s/usage.sock", dir);
	snprintf(in, sizeof(in), "0=%s/no-such.pcap", dir);
	tap(exit_code(help, out, sizeof(out)) == 0 && strstr(out, "usage: ctnic-sim --socket PATH") &&
		    strstr(out, "--exit-when-done"),
	    "ctnic-sim --help prints its options, exit 0");
	tap(exit_code(nosock, out, sizeof(out)) == 2, "ctnic-sim without --socket exits 2");
	tap(exit_code(badport, out, sizeof(out)) == 2, "ctnic-sim --in on a port the card does not have exits 2");
	tap(exit_code(badpace, out, sizeof(out)) == 2, "ctnic-sim --pace with no number exits 2");
	tap(exit_code(badin, out, sizeof(out)) == 1 && access(sock, F_OK) != 0,
	    "ctnic-sim with an input pcap it cannot read exits 1 before listening");
}

/* ---- protocol 3: FEED and RUN ---------------------------------------------------- */

/* A frame fed in the v3 tests: what it was, on which port, between which cycles. */
struct fed {
	uint8_t frame[CTNIC_SIM_FEED_FRAME_MAX];
	size_t len;
	unsigned port;
	unsigned long long queued, done; /* FEED's answer; STATUS after it */
};

/* A non-IPv4 frame (EtherType 0x88b5, local experimental): the card punts it as NON_IPV4. */
static void make_frame(struct fed *f, unsigned port, size_t len, uint8_t seed)
{
	static const uint8_t hdr[14] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x88, 0xb5 };

	memcpy(f->frame, hdr, sizeof(hdr));
	for (size_t i = sizeof(hdr); i < len; i++)
		f->frame[i] = (uint8_t)(seed + i * 7);
	f->len = len;
	f->port = port;
}

/* "FEED <port> <hex of len bytes of frame>\n" into a new buffer (free it). */
static char *feed_line(unsigned port, const uint8_t *frame, size_t len)
{
	char *l = malloc(32 + 2 * len), *p = l;

	p += sprintf(p, "FEED %u ", port);
	for (size_t i = 0; i < len; i++)
		p += sprintf(p, "%02x", frame[i]);
	strcpy(p, "\n");
	return l;
}

/* The value of "<key> <n>" in an answer; -1 when absent. */
static long long field(const char *ans, const char *key)
{
	const char *p = strstr(ans, key);

	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

static long long reg(struct conn *c, unsigned off)
{
	char req[32], ans[64];

	snprintf(req, sizeof(req), "R 0x%04x\n", off);
	return ask(c, req, "OK 0x", ans, sizeof(ans)) ? strtoll(ans + 3, NULL, 16) : -1;
}

/* FEED and RUN against the real RTL; fed[] gets the three frames that went in. 1: all of it ran. */
static int test_v3(const char *sock, const char *id, struct fed *fed)
{
	struct conn v;
	char ans[512], req[64];
	long long c0, c1;
	int ok;

	if (!tap(conn_open(&v, sock) == 0 && ask(&v, "HELLO 3\n", "OK ctnic-sim 3 mem ", NULL, 0),
		 "HELLO 3 is served: protocol 3 (FEED, RUN)"))
		return 0;

	/* RUN: exactly N cycles. */
	ok = ask(&v, "STATUS\n", "OK cycle ", ans, sizeof(ans));
	c0 = field(ans, "cycle ");
	ok = ok && ask(&v, "RUN 12345\n", "OK cycle ", ans, sizeof(ans));
	c1 = field(ans, "cycle ");
	tap(ok && c0 >= 0 && c1 == c0 + 12345, "RUN 12345 answers the cycle 12345 on (%lld -> %lld)", c0, c1);
	ok = ask(&v, "RUN 0\n", "OK cycle ", ans, sizeof(ans)) && field(ans, "cycle ") == c1 &&
	     ask(&v, "RUN 0x10\n", "OK cycle ", ans, sizeof(ans)) && field(ans, "cycle ") == c1 + 16 &&
	     ask(&v, "STATUS\n", "OK cycle ", ans, sizeof(ans)) && field(ans, "cycle ") == c1 + 16;
	tap(ok, "RUN 0 runs none, RUN 0x10 sixteen, and an idle card's STATUS then stays at that cycle");
	snprintf(req, sizeof(req), "RUN %llu\n", CTNIC_SIM_RUN_MAX_CYCLES + 1);
	tap(ask(&v, req, "ERR " CTNIC_SIM_ERR_RANGE " ", ans, sizeof(ans)) && strstr(ans, "at most 4294967296"),
	    "RUN of 2^32+1 cycles is refused with code range, naming the bound");
	tap(ask(&v, "RUN\n", "ERR " CTNIC_SIM_ERR_SYNTAX " ", NULL, 0) &&
		    ask(&v, "RUN 1 2\n", "ERR " CTNIC_SIM_ERR_SYNTAX " ", NULL, 0) &&
		    ask(&v, "RUN -1\n", "ERR " CTNIC_SIM_ERR_SYNTAX " ", NULL, 0) &&
		    ask(&v, "RUN 12x\n", "ERR " CTNIC_SIM_ERR_SYNTAX " ", NULL, 0) &&
		    ask(&v, "RUN 18446744073709551616\n", "ERR " CTNIC_SIM_ERR_SYNTAX " ", NULL, 0) &&
		    ask(&v, "STATUS\n", "OK cycle ", ans, sizeof(ans)) && field(ans, "cycle ") == c1 + 16,
	    "RUN without a number, with two, negative, malformed or past 64 bits: code syntax, no cycle run");

	/* FEED's bad forms: each refused, nothing queued. */
	struct fed bad;
	make_frame(&bad, 0, 60, 1);
	char *good = feed_line(0, bad.frame, bad.len), *l;
	int bads = 0;
	const char *forms[][2] = {
		{ "FEED\n", CTNIC_SIM_ERR_SYNTAX }, { "FEED 0\n", CTNIC_SIM_ERR_SYNTAX },
		{ "FEED 0 0011 22\n", CTNIC_SIM_ERR_SYNTAX }, { "FEED x 00112233445566778899aabbccdd\n", CTNIC_SIM_ERR_SYNTAX },
		{ "FEED -1 00112233445566778899aabbccdd\n", CTNIC_SIM_ERR_SYNTAX },
		{ "FEED 0 00112233445566778899aabbccd\n", CTNIC_SIM_ERR_SYNTAX },   /* odd */
		{ "FEED 0 00112233445566778899aabbccgg\n", CTNIC_SIM_ERR_SYNTAX },  /* not hex */
		{ "FEED 0 0x112233445566778899aabbccdd\n", CTNIC_SIM_ERR_SYNTAX },  /* 0x is no hex byte */
	};
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char w[32];
		snprintf(w, sizeof(w), "ERR %s ", forms[i][1]);
		bads += ask(&v, forms[i][0], w, NULL, 0);
	}
	tap(bads == (int)(sizeof(forms) / sizeof(forms[0])),
	    "FEED without port or frame, with extra words, a bad port number, odd or non-hex digits: code syntax");
	good[5] = '2'; /* port 2: the card has 0..1 */
	ok = ask(&v, good, "ERR " CTNIC_SIM_ERR_RANGE " ", ans, sizeof(ans)) && strstr(ans, "port 2");
	free(good);
	l = malloc(32 + 2 * (CTNIC_SIM_FEED_FRAME_MAX + 1));
	strcpy(l, "FEED 0 ");
	memset(l + 7, 'a', 2 * (CTNIC_SIM_FEED_FRAME_MAX + 1));
	strcpy(l + 7 + 2 * (CTNIC_SIM_FEED_FRAME_MAX + 1), "\n");
	ok = ok && ask(&v, l, "ERR " CTNIC_SIM_ERR_RANGE " ", ans, sizeof(ans)) && strstr(ans, "9217 bytes");
	free(l);
	ok = ok && ask(&v, "STATUS\n", "OK cycle ", ans, sizeof(ans)) && strstr(ans, " inputs 0 ");
	tap(ok, "FEED on port 2 and of a 9217-byte frame: code range, naming what is wrong; nothing queued");

	/* A line longer than any FEED: one ERR long, the connection stays usable; others keep 256. */
	size_t huge = CTNIC_SIM_FEED_LINE_MAX + 100;
	l = malloc(huge + 1);
	memcpy(l, "FEED 0 ", 7);
	memset(l + 7, 'b', huge - 7);
	l[huge - 1] = '\n';
	ok = conn_send(&v, l, huge) == 0 && conn_line(&v, ans, sizeof(ans)) == 0 &&
	     !strncmp(ans, "ERR " CTNIC_SIM_ERR_LONG " ", 9);
	ok = ok && ask(&v, "R 0\n", id, NULL, 0);
	memset(l, ' ', 300);
	memcpy(l, "STATUS", 6);
	l[300] = '\n';
	ok = ok && conn_send(&v, l, 301) == 0 && conn_line(&v, ans, sizeof(ans)) == 0 &&
	     !strncmp(ans, "ERR " CTNIC_SIM_ERR_LONG " ", 9) && ask(&v, "R 0\n", id, NULL, 0);
	free(l);
	tap(ok, "a FEED line past %d bytes gets ERR long and the next request its answer; a 300-byte STATUS line is still too long",
	    CTNIC_SIM_FEED_LINE_MAX);

	/* A frame fed while the ports are off waits on the MAC side, as --in frames do. */
	make_frame(&fed[0], 1, 60, 0x40);
	l = feed_line(1, fed[0].frame, fed[0].len);
	ok = ask(&v, l, "OK cycle ", ans, sizeof(ans));
	free(l);
	fed[0].queued = (unsigned long long)field(ans, "cycle ");
	ok = ok && ask(&v, "STATUS\n", "OK cycle ", ans, sizeof(ans)) && strstr(ans, " inputs 1 busy 0 rx_enable 0");
	tap(ok, "FEED 1 answers OK cycle at once; with CTRL.ENABLE 0 the frame waits (inputs 1)");

	/* Ports on: the frame goes in on port 1 and is punted; the next request waits for it. */
	snprintf(req, sizeof(req), "W 0x%04x 1\n", CTNIC_REG_CTRL);
	ok = ask(&v, req, "OK", NULL, 0) && ask(&v, "STATUS\n", "OK cycle ", ans, sizeof(ans)) &&
	     strstr(ans, " inputs 0 busy 0 rx_enable 1");
	fed[0].done = (unsigned long long)field(ans, "cycle ");
	long long rx0 = reg(&v, CTNIC_REG_CNT_PORT_RX_PKTS_LO(0)), rx1 = reg(&v, CTNIC_REG_CNT_PORT_RX_PKTS_LO(1));
	long long host = reg(&v, CTNIC_REG_CNT_PORT_TX_PKTS_LO(2)), punt = reg(&v, CTNIC_REG_CNT_PUNT_LO(CTNIC_PUNT_NON_IPV4));
	tap(ok && rx0 == 0 && rx1 == 1 && host == 1 && punt == 1,
	    "once the ports are on, the fed frame is received on port 1 (rx %lld/%lld) and punted NON_IPV4 (%lld, %lld)",
	    rx0, rx1, host, punt);

	/* FEED and STATUS in one write: STATUS is served only once the frame went through. */
	make_frame(&fed[1], 0, CTNIC_SIM_FEED_FRAME_MAX, 0x90);
	l = feed_line(0, fed[1].frame, fed[1].len);
	size_t ll = strlen(l);
	l = realloc(l, ll + 8);
	strcpy(l + ll, "STATUS\n");
	ok = conn_send(&v, l, strlen(l)) == 0 && conn_line(&v, ans, sizeof(ans)) == 0 && !strncmp(ans, "OK cycle ", 9);
	free(l);
	fed[1].queued = (unsigned long long)field(ans, "cycle ");
	ok = ok && conn_line(&v, ans, sizeof(ans)) == 0 && !strncmp(ans, "OK cycle ", 9) &&
	     strstr(ans, " inputs 0 busy 0 ");
	fed[1].done = (unsigned long long)field(ans, "cycle ");
	long long rxb0 = reg(&v, CTNIC_REG_CNT_PORT_RX_BYTES_LO(0));
	/* 144 beats go in one per clock at best. */
	tap(ok && fed[1].done >= fed[1].queued + CTNIC_SIM_FEED_FRAME_MAX / 64 && rxb0 == CTNIC_SIM_FEED_FRAME_MAX,
	    "FEED of a 9216-byte frame then STATUS in one write: STATUS waits until it went through (cycle %llu -> %llu, port 0 rx bytes %lld)",
	    fed[1].queued, fed[1].done, rxb0);

	/* A runt (13 bytes, shorter than an Ethernet header) goes in as from --in: the card drops and counts it. */
	long long runts = reg(&v, CTNIC_REG_CNT_DROP_LO(CTNIC_DROP_RUNT));
	ok = ask(&v, "FEED 0 00112233445566778899aabbcc\n", "OK cycle ", NULL, 0) &&
	     ask(&v, "STATUS\n", "OK cycle ", ans, sizeof(ans)) && strstr(ans, " inputs 0 ");
	long long runts2 = reg(&v, CTNIC_REG_CNT_DROP_LO(CTNIC_DROP_RUNT));
	tap(ok && runts2 == runts + 1, "FEED of a 13-byte runt: taken, and the card drops it as RUNT (%lld -> %lld)", runts,
	    runts2);

	/*
	 * A punt ring whose interrupt waits for its moderation timer
	 * (RING_IRQ_TIME 5000 clocks, longer than any pause of the card): the
	 * request after the FEED is served only once the timer fired.
	 */
	const unsigned irq_time = 5000;
	const unsigned wr[][2] = {
		{ CTNIC_REG_RING_BASE_LO(CTNIC_RING_ID_PUNT), 0 },
		{ CTNIC_REG_RING_IRQ_COUNT(CTNIC_RING_ID_PUNT), 100 },
		{ CTNIC_REG_RING_IRQ_TIME(CTNIC_RING_ID_PUNT), irq_time },
		{ CTNIC_REG_IRQ_ENABLE, 1u << CTNIC_RING_ID_PUNT },
		/* 16 slots of 2 KiB: 32 KiB of the 64 KiB host memory */
		{ CTNIC_REG_RING_CFG(CTNIC_RING_ID_PUNT), CTNIC_RING_CFG_ENABLE_MASK | 11u << CTNIC_RING_CFG_SLOT_LOG2_SHIFT | 4u },
	};
	ok = 1;
	for (size_t i = 0; i < sizeof(wr) / sizeof(wr[0]); i++) {
		snprintf(req, sizeof(req), "W 0x%04x 0x%x\n", wr[i][0], wr[i][1]);
		ok = ok && ask(&v, req, "OK", NULL, 0);
	}
	make_frame(&fed[2], 0, 100, 0xc0);
	l = feed_line(0, fed[2].frame, fed[2].len);
	/* The interrupt's EV line (protocol 3: numbered) comes before the answer it belongs to. */
	int ev = ok && conn_send(&v, l, strlen(l)) == 0 && conn_line(&v, ans, sizeof(ans)) == 0 &&
		 !strncmp(ans, "EV irq 0 ", 9) && strtoull(ans + 9, NULL, 10) >= 1;
	if (!ev)
		tap_diag("before the FEED answer: '%s', expected 'EV irq 0 <seq>'", ans);
	free(l);
	ok = ok && ev && conn_line(&v, ans, sizeof(ans)) == 0 && !strncmp(ans, "OK cycle ", 9);
	fed[2].queued = (unsigned long long)field(ans, "cycle ");
	ok = ok && ask(&v, "STATUS\n", "OK cycle ", ans, sizeof(ans));
	fed[2].done = (unsigned long long)field(ans, "cycle ");
	snprintf(req, sizeof(req), "R 0x%04x\n", CTNIC_REG_IRQ_STATUS);
	ok = ok && ask(&v, req, "OK 0x00000001", NULL, 0) && reg(&v, CTNIC_REG_RING_PROD(CTNIC_RING_ID_PUNT)) == 1;
	tap(ok && fed[2].done >= fed[2].queued + irq_time,
	    "a punt whose interrupt waits for RING_IRQ_TIME %u: FEED is answered after it fired, its EV line first (cycle %llu -> %llu)",
	    irq_time, fed[2].queued, fed[2].done);
	close(v.fd);
	return 1;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* TICK_LO over 1.5 s of wall time on the simulator without --realtime: only its own cycles move it. */
static void test_no_realtime(const char *sock)
{
	struct conn v;
	long long a, b;

	if (conn_open(&v, sock) < 0 || !ask(&v, "HELLO 3\n", "OK ", NULL, 0)) {
		tap(0, "a client for the tick test");
		return;
	}
	a = reg(&v, CTNIC_REG_TICK_LO);
	usleep(1500000);
	b = reg(&v, CTNIC_REG_TICK_LO);
	tap(a >= 0 && b >= a && b - a <= 1, "without --realtime, 1.5 s of wall time moves TICK_LO by %lld ticks (at most 1)", b - a);
	close(v.fd);
}

/*
 * --realtime: device time follows the wall clock at TICK_PERIOD (1 ms a tick
 * at reset); TICK_PERIOD 0 stops it; a new period is read again.
 */
static void test_realtime(char *sim, const char *dir)
{
	char sock[160], logf[160];
	struct conn v;
	char *args[] = { sim, "--socket", sock, "--host-mem-size", "65536", "--realtime", NULL };
	double t_spawn, t_ready, t_read;
	long long a, b, t;
	pid_t pid;

	snprintf(sock, sizeof(sock), "%s/rt.sock", dir);
	snprintf(logf, sizeof(logf), "%s/rt.log", dir);
	t_spawn = now_ms();
	pid = th_spawn(args, logf);
	if (th_wait_path(sock, pid, 30000) < 0 || conn_open(&v, sock) < 0 || !ask(&v, "HELLO 3\n", "OK ", NULL, 0)) {
		tap(0, "ctnic-sim --realtime starts");
		th_diag_file(logf);
		kill(pid, SIGTERM);
		th_wait(pid, 20000);
		return;
	}
	t_ready = now_ms();
	usleep(1500000);
	t = reg(&v, CTNIC_REG_TICK_LO);
	t_read = now_ms();
	/* The simulator anchors device time when it starts: between spawn and the socket appearing. */
	tap(t >= 0.8 * (t_read - t_ready) && t <= 1.5 * (t_read - t_ready) && t <= t_read - t_spawn + 5,
	    "--realtime: after %.0f ms (%.0f since spawn) TICK_LO reads %lld: 1 tick a ms at the reset TICK_PERIOD",
	    t_read - t_ready, t_read - t_spawn, t);

	char req[64];
	snprintf(req, sizeof(req), "W 0x%04x 0\n", CTNIC_REG_TICK_PERIOD);
	ask(&v, req, "OK", NULL, 0);
	a = reg(&v, CTNIC_REG_TICK_LO);
	usleep(500000);
	b = reg(&v, CTNIC_REG_TICK_LO);
	tap(a >= 0 && b == a, "--realtime with TICK_PERIOD 0: the tick stays stopped (%lld -> %lld)", a, b);

	snprintf(req, sizeof(req), "W 0x%04x 25000\n", CTNIC_REG_TICK_PERIOD);
	ask(&v, req, "OK", NULL, 0);
	a = reg(&v, CTNIC_REG_TICK_LO);
	double t0 = now_ms();
	usleep(500000);
	b = reg(&v, CTNIC_REG_TICK_LO);
	double ms = now_ms() - t0;
	tap(b - a >= 0.8 * 10 * ms && b - a <= 1.5 * 10 * ms,
	    "--realtime reads a new TICK_PERIOD (25000: 10 ticks a ms): %lld ticks in %.0f ms", b - a, ms);
	close(v.fd);
	kill(pid, SIGTERM);
	int st = th_wait(pid, 20000);
	tap(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "ctnic-sim --realtime exits 0 on SIGTERM");
}

/* The records of a nanosecond pcap: calls fn(ts_ns, data, len) for each; the count, or -1. */
static int pcap_each(const char *path, void (*fn)(void *, uint64_t, const uint8_t *, size_t), void *arg)
{
	FILE *f = fopen(path, "rb");
	uint8_t gh[24], rh[16];
	static uint8_t data[65536];
	int n = 0;

	if (!f || fread(gh, 1, sizeof(gh), f) != sizeof(gh)) {
		if (f)
			fclose(f);
		return -1;
	}
	while (fread(rh, 1, sizeof(rh), f) == sizeof(rh)) {
		uint32_t w[4];

		memcpy(w, rh, sizeof(w));
		if (w[2] > sizeof(data) || fread(data, 1, w[2], f) != w[2])
			break;
		if (fn)
			fn(arg, (uint64_t)w[0] * 1000000000u + w[1], data, w[2]);
		n++;
	}
	fclose(f);
	return n;
}

struct punt_check {
	const struct fed *fed;
	int seen, good;
};

static void check_punt(void *arg, uint64_t ns, const uint8_t *d, size_t len)
{
	struct punt_check *pc = arg;
	const struct fed *f = &pc->fed[pc->seen++];
	uint64_t cycle = ns / 4;

	if (pc->seen > 3)
		return;
	/* 16-byte descriptor: length, reason, ingress port; then the frame as fed. */
	int ok = len == 16 + f->len && (d[0] | d[1] << 8) == (int)f->len && d[2] == CTNIC_PUNT_NON_IPV4 &&
		 d[3] == f->port && !memcmp(d + 16, f->frame, f->len) && cycle > f->queued && cycle <= f->done;
	if (!ok)
		tap_diag("punt %d: %zu bytes, reason %u, port %u, cycle %llu (fed %llu, done %llu)", pc->seen, len,
			 len > 3 ? d[2] : 0, len > 3 ? d[3] : 0, (unsigned long long)cycle, f->queued, f->done);
	pc->good += ok;
}

static void check_fed_pcaps(const char *punts, const char *out0, const char *out1, const struct fed *fed)
{
	struct punt_check pc = { fed, 0, 0 };
	int n = pcap_each(punts, check_punt, &pc);

	tap(n == 3 && pc.good == 3,
	    "--host-desc holds the three fed frames byte for byte, with their ingress port, between FEED and the STATUS after it");
	tap(pcap_each(out0, NULL, NULL) == 0 && pcap_each(out1, NULL, NULL) == 0,
	    "nothing left by a network port (--out pcaps empty): a punted frame goes only to the host");
}

int main(int argc, char **argv)
{
	char sock[128], mem[128], logf[128], ans[512], want[64];
	unsigned seed = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : (unsigned)time(NULL);
	struct conn a, b;
	const char *dir;
	unsigned long long size;
	struct stat st;
	pid_t sim;
	int ok;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CTNIC-SIM [SEED]\n", argv[0]);
		return 2;
	}
	dir = th_tmpdir("proto");
	test_usage(argv[1], dir);
	snprintf(sock, sizeof(sock), "%s/sim.sock", dir);
	snprintf(logf, sizeof(logf), "%s/sim.log", dir);
	char punts[160], out0[160], out1[160], o0[170], o1[170];
	snprintf(punts, sizeof(punts), "%s/punt-desc.pcap", dir);
	snprintf(out0, sizeof(out0), "%s/out0.pcap", dir);
	snprintf(out1, sizeof(out1), "%s/out1.pcap", dir);
	snprintf(o0, sizeof(o0), "0=%s", out0);
	snprintf(o1, sizeof(o1), "1=%s", out1);
	char *sim_argv[] = { argv[1], "--socket", sock, "--host-mem-size", "65536", "--host-desc", punts,
			     "--out", o0, "--out", o1, NULL };
	sim = th_spawn(sim_argv, logf);
	if (!tap(th_wait_path(sock, sim, 30000) == 0 && conn_open(&a, sock) == 0, "ctnic-sim accepts a client")) {
		th_diag_file(logf);
		th_cleanup();
		return tap_done();
	}

	tap(ask(&a, "R 0\n", "ERR " CTNIC_SIM_ERR_HELLO " ", NULL, 0), "a request before HELLO is refused with code hello");
	tap(ask(&a, "HELLO 4\n", "ERR " CTNIC_SIM_ERR_VERSION " ", NULL, 0) &&
		    ask(&a, "HELLO 0\n", "ERR " CTNIC_SIM_ERR_VERSION " ", NULL, 0),
	    "HELLO of a version outside 1..3 is refused with code version");
	ok = ask(&a, "HELLO 1\n", "OK ctnic-sim 1 mem ", ans, sizeof(ans)) &&
	     sscanf(ans, "OK ctnic-sim 1 mem %127s %llu", mem, &size) == 2;
	tap(ok && size == 65536 && stat(mem, &st) == 0 && (unsigned long long)st.st_size == size,
	    "HELLO 1 names the host memory file, of the size asked with --host-mem-size");

	snprintf(want, sizeof(want), "OK 0x%08x", CTNIC_REG_ID_RESET);
	tap(ask(&a, "R 0x0000\n", want, NULL, 0), "R of ID reads the RTL's id");
	tap(ask(&a, "W 0x0008 0x5a5aa5a5\n", "OK", NULL, 0) && ask(&a, "R 8\n", "OK 0x5a5aa5a5", NULL, 0),
	    "W then R of SCRATCH gives back what was written (decimal and hex offsets)");
	tap(ask(&a, "RESET\n", "OK", NULL, 0) && ask(&a, "R 8\n", "OK 0x00000000", NULL, 0) &&
		    ask(&a, "R 0\n", want, NULL, 0) && ask(&a, "RESET 1\n", "ERR " CTNIC_SIM_ERR_SYNTAX " ", NULL, 0) &&
		    ask(&a, "W 8 0x5a5aa5a5\n", "OK", NULL, 0), /* the second client below reads it */
	    "RESET (version 2) puts SCRATCH back to its reset value, ID still reads; RESET 1 is refused with code syntax");
	tap(ask(&a, "R 0x0003\n", "ERR " CTNIC_SIM_ERR_RANGE " ", NULL, 0), "an unaligned offset is refused with code range");
	tap(ask(&a, "R 0x10000\n", "ERR " CTNIC_SIM_ERR_RANGE " ", NULL, 0), "an offset past BAR0 is refused with code range");
	tap(ask(&a, "R -4\n", "ERR " CTNIC_SIM_ERR_SYNTAX " ", NULL, 0) &&
		    ask(&a, "W 8 0x100000000\n", "ERR " CTNIC_SIM_ERR_SYNTAX " ", NULL, 0) &&
		    ask(&a, "R 0x1g\n", "ERR " CTNIC_SIM_ERR_SYNTAX " ", NULL, 0),
	    "negative, over-wide and malformed numbers are refused with code syntax");
	tap(ask(&a, "R 0 1\n", "ERR " CTNIC_SIM_ERR_SYNTAX " ", NULL, 0) &&
		    ask(&a, "W 8\n", "ERR " CTNIC_SIM_ERR_SYNTAX " ", NULL, 0) &&
		    ask(&a, "\n", "ERR " CTNIC_SIM_ERR_SYNTAX " ", NULL, 0) &&
		    ask(&a, "READ 0\n", "ERR " CTNIC_SIM_ERR_SYNTAX " ", NULL, 0),
	    "wrong argument counts, an empty line and unknown requests are refused with code syntax");
	tap(conn_send(&a, "\x00\xff\x01R 0\n", 7) == 0 && conn_line(&a, ans, sizeof(ans)) == 0 &&
		    !strncmp(ans, "ERR " CTNIC_SIM_ERR_SYNTAX " ", 11),
	    "binary bytes in a request are refused with code syntax");

	char big[1200];
	memset(big, 'R', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	ok = conn_send(&a, big, sizeof(big)) == 0 && conn_line(&a, ans, sizeof(ans)) == 0 &&
	     !strncmp(ans, "ERR " CTNIC_SIM_ERR_LONG " ", 9);
	tap(ok && ask(&a, "R 0\n", want, NULL, 0), "an overlong line gets one ERR long, and the next request its own answer");

	tap(ask(&a, "STATUS\n", "OK cycle ", ans, sizeof(ans)) && strstr(ans, " inputs 0 busy 0 rx_enable 0"),
	    "STATUS says the cycle, no inputs, idle, ports off");
	tap(ask(&a, "RUN 10\n", "ERR " CTNIC_SIM_ERR_SYNTAX " ", NULL, 0) &&
		    ask(&a, "FEED 0 ffffffffffff0200000000018806\n", "ERR " CTNIC_SIM_ERR_SYNTAX " ", NULL, 0),
	    "RUN and FEED on a connection that said HELLO 1 are refused with code syntax (they are protocol 3)");

	/* A second client, and a third that leaves in the middle of a line. */
	ok = conn_open(&b, sock) == 0 && ask(&b, "HELLO 1\n", "OK ctnic-sim 1", NULL, 0) &&
	     ask(&b, "R 8\n", "OK 0x5a5aa5a5", NULL, 0);
	struct conn c;
	if (conn_open(&c, sock) == 0) {
		conn_send(&c, "HELLO 1\nR 0x", 12);
		close(c.fd);
	}
	tap(ok && ask(&a, "R 0\n", want, NULL, 0), "clients are served side by side, and one leaving mid-line harms none");
	close(b.fd);

	/* A client that sends and never reads must not stall the card for the others. */
	struct conn hog;
	if (conn_open(&hog, sock) == 0) {
		static char flood[1 << 20];
		size_t sent = 0;

		for (size_t k = 0; k + 4 <= sizeof(flood); k += 4)
			memcpy(flood + k, "R 0\n", 4);
		conn_send(&hog, "HELLO 1\n", 8);
		/* Non-blocking: stop when the simulator no longer takes more. */
		for (int round = 0; round < 64; round++) {
			ssize_t n = send(hog.fd, flood, sizeof(flood), MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n <= 0)
				break;
			sent += (size_t)n;
		}
		tap_diag("the client that never reads sent %zu bytes", sent);
	}
	tap(ask(&a, "R 0\n", want, NULL, 0), "a client that floods requests and never reads answers does not stall another");
	close(hog.fd);

	/* Sixteen clients at most: the seventeenth is told busy, and a place frees when one leaves. */
	struct conn many[15];
	int opened = 0;
	for (int i = 0; i < 15; i++)
		if (conn_open(&many[i], sock) == 0 && ask(&many[i], "HELLO 1\n", "OK", NULL, 0))
			opened++;
	struct conn extra;
	ok = opened == 15 && conn_open(&extra, sock) == 0 && conn_line(&extra, ans, sizeof(ans)) == 0 &&
	     !strncmp(ans, "ERR " CTNIC_SIM_ERR_BUSY " ", 9);
	close(extra.fd);
	for (int i = 0; i < 15; i++)
		close(many[i].fd);
	/* The simulator notices the leavers in its own time: try for up to 10 s. */
	int served = 0;
	for (int t = 0; t < 100 && !served; t++) {
		served = conn_open(&extra, sock) == 0 && conn_send(&extra, "HELLO 1\n", 8) == 0 &&
			 conn_line(&extra, ans, sizeof(ans)) == 0 && !strncmp(ans, "OK ", 3);
		close(extra.fd);
		if (!served)
			usleep(100000);
	}
	tap(ok && served, "a seventeenth client is told busy; once others leave, a new one is served");

	/* Random lines: each newline-terminated line gets exactly one answer. */
	tap_diag("random lines with seed %u (replay: %s %s %u)", seed, argv[0], argv[1], seed);
	srand(seed);
	unsigned lines = 0, answered = 0;
	for (int i = 0; i < 200; i++) {
		char line[600];
		size_t n = (size_t)(rand() % 2 ? rand() % 40 : rand() % 590);

		for (size_t k = 0; k < n; k++) {
			int r = rand() % 4;
			/* Mostly protocol-looking words and numbers, sometimes any byte but newline. */
			line[k] = r == 0 ? "RWHELOSTAU 0x"[rand() % 13] : r == 1 ? "0123456789abcdef "[rand() % 17]
				 : (char)(1 + rand() % 255);
			if (line[k] == '\n')
				line[k] = ' ';
		}
		line[n] = '\n';
		/* Never write the ports on by chance: W requests are kept out of the random set. */
		if (line[0] == 'W')
			line[0] = 'w';
		if (conn_send(&a, line, n + 1) < 0)
			break;
		lines++;
		while (answered < lines && conn_line(&a, ans, sizeof(ans)) == 0)
			answered++;
	}
	tap(lines == 200 && answered == lines, "200 random lines get 200 answers (got %u)", answered);
	tap(ask(&a, "R 0\n", want, NULL, 0), "after them the simulator still reads the RTL's id");
	close(a.fd);

	struct fed fed[3];
	int v3 = test_v3(sock, want, fed);
	test_no_realtime(sock);

	kill(sim, SIGTERM);
	int stt = th_wait(sim, 20000);
	tap(stt >= 0 && WIFEXITED(stt) && WEXITSTATUS(stt) == 0, "ctnic-sim exits 0 on SIGTERM");
	if (v3)
		check_fed_pcaps(punts, out0, out1, fed);
	test_realtime(argv[1], dir);
	tap(access(sock, F_OK) != 0 && access(mem, F_OK) != 0, "ctnic-sim removes its socket and host memory file");
	th_cleanup();
	return tap_done();
}
