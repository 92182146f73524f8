/*
 * live_gw.c - ctnic-live-gw: the gateway of the live tests (docs/live.md).
 *
 * The card is the reference model in-process (libctnic's model: backend,
 * the executable spec of the RTL pipeline), ctnicd's core (host/core.c,
 * exc.c, ...) runs on its rings exactly as in ctnicd, and the card's
 * network ports are TAP devices that the test moves into the namespaces of
 * a client and a server network. The host stack port (REDIRECT, the
 * gateway's own addresses) is a TAP too, as ctnicd's --tap.
 *
 * Why not ctnic-sim + ctnicd: until the RTL card carries the DMA rings
 * (issue 4), ctnicd on sim: installs static flows only, so nothing could
 * create a connection from a live packet. ctnic-sim's own live ports
 * (--tap/--iface) are tested with static flows (test-sim-tap.sh).
 *
 * Device time follows wall time: before each look at the ports, the tick
 * counter is moved to the ticks elapsed since start (TICK_ADVANCE), so the
 * timeouts of the configuration are seconds of the test's clock.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ctlcmd.h"
#include "ctnic.h"
#include "ctnic_regs.h"
#include "ctnic_ring.h"
#include "install.h"

#define PORTS_MAX 8
#define LOOP_MS 10          /* the longest the loop sleeps: the clock and the sweep move at least this often */
#define FRAME_MAX 9018

struct tap {
	int fd;
	const char *name;
	uint8_t mac[6];
	uint64_t rx, tx, tx_dropped;
};

struct gw {
	struct ctnic_dev *dev;
	struct ctnicd_core *core;
	struct tap port[PORTS_MAX];
	unsigned nports;
	struct tap host;
	uint64_t tick0, tick, t0_ns;
};

static volatile sig_atomic_t stop;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ctnic-live-gw --config FILE --port P=TAP... [--host-tap TAP] [--socket PATH] [--card KEY=N,...]\n"
		"  --config FILE    ctnicd's configuration (docs/conntrack.md)\n"
		"  --port P=TAP     card port P on TAP device TAP (created; move it into a namespace afterwards)\n"
		"  --host-tap TAP   the host stack (REDIRECT, the gateway's own addresses), as ctnicd --tap\n"
		"  --socket PATH    ctnicd's control socket, for ctnicctl\n"
		"  --card KEYS      model card parameters, as model:KEYS (ports, ways, buckets, flows, ...)\n"
		"The card is the reference model; device time follows wall time.\n"
		"Ready when it prints 'ctnic-live-gw: ready' on stderr; SIGTERM stops it.\n");
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int tap_open(struct tap *t, const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int s;

	t->name = name;
	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		fprintf(stderr, "ctnic-live-gw: TAP %s: open /dev/net/tun: %s\n", name, strerror(errno));
		return -1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0 || ioctl(t->fd, TUNSETOFFLOAD, 0) < 0 ||
	    ioctl(t->fd, SIOCGIFHWADDR, &ifr) < 0) {
		fprintf(stderr, "ctnic-live-gw: TAP %s: %s (root or CAP_NET_ADMIN needed)\n", name, strerror(errno));
		return -1;
	}
	memcpy(t->mac, ifr.ifr_hwaddr.sa_data, 6);
	/* Up here: moved into a namespace it keeps its flags, and the test sets its address there. */
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP), ioctl(s, SIOCSIFFLAGS, &ifr) < 0)) {
		fprintf(stderr, "ctnic-live-gw: TAP %s: setting it up: %s\n", name, strerror(errno));
		if (s >= 0)
			close(s);
		return -1;
	}
	close(s);
	return 0;
}

static void tap_write(struct tap *t, const uint8_t *frame, size_t len)
{
	if (write(t->fd, frame, len) == (ssize_t)len)
		t->tx++;
	else
		t->tx_dropped++;
}

static void on_port_tx(void *arg, unsigned port, const uint8_t *frame, size_t len, uint64_t tick)
{
	struct gw *g = arg;

	(void)tick;
	if (port < g->nports && g->port[port].fd >= 0)
		tap_write(&g->port[port], frame, len);
}

/* As ctnicd's --tap: frames for the stack are addressed to the TAP's MAC, from the gateway's. */
static void on_host_tx(void *arg, const uint8_t *frame, size_t len)
{
	struct gw *g = arg;
	uint8_t f[FRAME_MAX];

	if (len < 14 || len > sizeof(f) || g->host.fd < 0)
		return;
	memcpy(f, frame, len);
	memcpy(f, g->host.mac, 6);
	memcpy(f + 6, ctnicd_host_mac, 6);
	tap_write(&g->host, f, len);
}

/* Device time to wall time: the ticks elapsed since start, moved in one TICK_ADVANCE. */
static int clock_follow(struct gw *g)
{
	uint64_t el = now_ns() - g->t0_ns;
	uint64_t target = g->tick0 + el / 1000000000u * g->core->ticks_per_sec +
			  el % 1000000000u * g->core->ticks_per_sec / 1000000000u;

	while (g->tick < target) {
		uint64_t d = target - g->tick;
		uint32_t step = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;

		if (ctnic_csr_write(g->dev, CTNIC_REG_TICK_ADVANCE, step) < 0) {
			fprintf(stderr, "ctnic-live-gw: TICK_ADVANCE: %s\n", ctnic_last_error(g->dev));
			return -1;
		}
		g->tick += step;
	}
	return ctnicd_core_clock(g->core);
}

static int port_arg(const char *arg, unsigned *p, const char **name)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (end == arg || *end != '=' || !end[1] || v >= PORTS_MAX || strlen(end + 1) >= IFNAMSIZ) {
		fprintf(stderr, "ctnic-live-gw: --port %s: give P=TAP with P in 0..%d and a name of at most %d characters\n",
			arg, PORTS_MAX - 1, IFNAMSIZ - 1);
		return -1;
	}
	*p = (unsigned)v;
	*name = end + 1;
	return 0;
}

static int static_flows(struct ctnicd_core *c, const char *config)
{
	char err[CTNIC_ERR_LEN];

	for (size_t i = 0; i < c->conf->nflows; i++) {
		struct ctnicd_flow_spec spec;
		uint32_t id;

		if (ctnicd_flow_spec_parse(c->conf->flows[i].text, &spec, err, sizeof(err)) < 0 ||
		    ctnicd_core_static(c, &spec, &id, err, sizeof(err)) < 0) {
			fprintf(stderr, "ctnic-live-gw: %s:%u: %s\n", config, c->conf->flows[i].line, err);
			return -1;
		}
	}
	return 0;
}

static int loop(struct gw *g, struct ctnicd_ctl *ctl, int sfd)
{
	char last_err[sizeof(g->core->err)] = "";
	uint8_t frame[FRAME_MAX];

	while (!stop) {
		struct pollfd pfd[64];
		size_t n = 0, nc = 0;

		pfd[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = g->host.fd, .events = POLLIN };
		for (unsigned p = 0; p < g->nports; p++)
			pfd[n++] = (struct pollfd){ .fd = g->port[p].fd, .events = POLLIN };
		if (ctl)
			nc = ctnicd_ctl_pollfds(ctl, pfd + n, sizeof(pfd) / sizeof(pfd[0]) - n);
		if (poll(pfd, n + nc, LOOP_MS) < 0 && errno != EINTR) {
			fprintf(stderr, "ctnic-live-gw: poll: %s\n", strerror(errno));
			return 1;
		}
		if (pfd[0].revents)
			break;
		if (clock_follow(g) < 0)
			return 1;
		for (unsigned p = 0; p < g->nports; p++) {
			ssize_t len;

			if (pfd[2 + p].revents & (POLLERR | POLLHUP | POLLNVAL)) {
				fprintf(stderr, "ctnic-live-gw: port %u: TAP %s is gone\n", p, g->port[p].name);
				return 1;
			}
			if (!(pfd[2 + p].revents & POLLIN))
				continue;
			/* A batch per port and look, so one busy port cannot starve the others. */
			for (int k = 0; k < 64 && (len = read(g->port[p].fd, frame, sizeof(frame))) > 0; k++) {
				g->port[p].rx++;
				if (ctnic_model_port_rx(g->dev, p, frame, (size_t)len, 0) < 0) {
					fprintf(stderr, "ctnic-live-gw: port %u: %s\n", p, ctnic_last_error(g->dev));
					return 1;
				}
				ctnicd_core_punts(g->core);
				ctnicd_core_events(g->core);
			}
		}
		if (pfd[1].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			fprintf(stderr, "ctnic-live-gw: host stack: TAP %s is gone\n", g->host.name);
			return 1;
		}
		if (pfd[1].revents & POLLIN) {
			ssize_t len;

			for (int k = 0; k < 64 && (len = read(g->host.fd, frame, sizeof(frame))) > 0; k++) {
				g->host.rx++;
				ctnicd_core_host_rx(g->core, frame, (size_t)len);
			}
		}
		ctnicd_core_punts(g->core);
		ctnicd_core_events(g->core);
		ctnicd_core_timer(g->core, g->core->conns.cap / (1000 / LOOP_MS) + 1);
		ctnicd_core_events(g->core);
		if (g->core->err[0] && strcmp(g->core->err, last_err)) {
			fprintf(stderr, "ctnic-live-gw: %s\n", g->core->err);
			snprintf(last_err, sizeof(last_err), "%s", g->core->err);
		}
		if (ctl)
			ctnicd_ctl_serve(ctl, pfd + n, nc);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "config", required_argument, NULL, 'c' }, { "port", required_argument, NULL, 'p' },
		{ "host-tap", required_argument, NULL, 't' }, { "socket", required_argument, NULL, 's' },
		{ "card", required_argument, NULL, 'C' },   { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *sock = NULL, *card = "", *names[PORTS_MAX] = { 0 }, *host = NULL;
	struct gw g = { .host = { .fd = -1 } };
	struct ctnic_conf *conf;
	struct ctnicd_ctl *ctl = NULL;
	struct ctnicd_daemon d = { 0 };
	char err[1024], uri[300];
	sigset_t mask;
	int c, rc = 1, sfd = -1;

	for (unsigned p = 0; p < PORTS_MAX; p++)
		g.port[p].fd = -1;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		unsigned p;
		const char *name;

		switch (c) {
		case 'c': config = optarg; break;
		case 'p':
			if (port_arg(optarg, &p, &name) < 0)
				return 2;
			names[p] = name;
			if (p + 1 > g.nports)
				g.nports = p + 1;
			break;
		case 't': host = optarg; break;
		case 's': sock = optarg; break;
		case 'C': card = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || !config || !g.nports) {
		fprintf(stderr, "ctnic-live-gw: %s\n", optind < argc ? "unexpected argument" : "--config and --port are required");
		usage(stderr);
		return 2;
	}
	if (ctnic_conf_load(config, &conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "ctnic-live-gw: %s\n", err);
		return 2;
	}
	snprintf(uri, sizeof(uri), "model:%s", card);
	if (ctnic_open(&g.dev, uri, err, sizeof(err)) < 0) {
		fprintf(stderr, "ctnic-live-gw: %s\n", err);
		ctnic_conf_free(conf);
		return 2;
	}
	if (ctnicd_core_create(&g.core, g.dev, conf, (uint64_t)getpid(), err, sizeof(err)) < 0) {
		fprintf(stderr, "ctnic-live-gw: the daemon's core: %s\n", err);
		goto out;
	}
	for (unsigned p = 0; p < g.nports; p++)
		if (names[p] && tap_open(&g.port[p], names[p]) < 0)
			goto out;
	if (host && tap_open(&g.host, host) < 0)
		goto out;
	if (host)
		ctnicd_core_host_stack(g.core, on_host_tx, &g);
	if (ctnic_model_port_tx_cb(g.dev, on_port_tx, &g) < 0 || ctnic_tick_read(g.dev, &g.tick0) < 0 ||
	    ctnic_csr_write(g.dev, CTNIC_REG_CTRL, CTNIC_CTRL_ENABLE_MASK) < 0) {
		fprintf(stderr, "ctnic-live-gw: %s\n", ctnic_last_error(g.dev));
		goto out;
	}
	if (static_flows(g.core, config) < 0)
		goto out;
	g.tick = g.tick0;
	g.t0_ns = now_ns();
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((sfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
		fprintf(stderr, "ctnic-live-gw: signalfd: %s\n", strerror(errno));
		goto out;
	}
	d.dev = g.dev;
	d.core = g.core;
	if (sock && ctnicd_ctl_open(&ctl, sock, ctnicd_commands, &d, err, sizeof(err)) < 0) {
		fprintf(stderr, "ctnic-live-gw: --socket %s: %s\n", sock, err);
		goto out;
	}
	fprintf(stderr, "ctnic-live-gw: ready: %u ports, host stack %s, %" PRIu64 " ticks a second\n", g.nports,
		host ? host : "none", g.core->ticks_per_sec);
	rc = loop(&g, ctl, sfd);
	for (unsigned p = 0; p < g.nports; p++)
		if (g.port[p].fd >= 0)
			fprintf(stderr, "ctnic-live-gw: port %u (%s): %" PRIu64 " frames in, %" PRIu64 " out, %" PRIu64 " not taken\n",
				p, g.port[p].name, g.port[p].rx, g.port[p].tx, g.port[p].tx_dropped);
	if (g.host.fd >= 0)
		fprintf(stderr, "ctnic-live-gw: host stack (%s): %" PRIu64 " frames in, %" PRIu64 " out, %" PRIu64 " not taken\n",
			g.host.name, g.host.rx, g.host.tx, g.host.tx_dropped);
out:
	if (ctl)
		ctnicd_ctl_close(ctl);
	if (sfd >= 0)
		close(sfd);
	for (unsigned p = 0; p < g.nports; p++)
		if (g.port[p].fd >= 0)
			close(g.port[p].fd);
	if (g.host.fd >= 0)
		close(g.host.fd);
	ctnicd_core_destroy(g.core);
	ctnic_close(g.dev);
	return rc;
}
