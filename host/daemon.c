/*
 * daemon.c - ctnicd's program (daemon.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "ctlcmd.h"
#include "daemon.h"
#include "install.h"

#define DEFAULT_SOCKET "/run/ctnic/ctnicd.sock"
#define SPECS_MAX 256
#define LOOP_MS 100          /* the expiry sweep's period */

struct opts {
	const char *uri, *sock_path, *config, *tap;
	const char *flows[SPECS_MAX];
	int nflows;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ctnicd --device URI [--socket PATH] [--config FILE] [--flow SPEC]... [--tap NAME]\n"
		"  --device URI    the card: model: (in-process reference model), sim:PATH (a ctnic-sim socket), pci:BDF\n"
		"  --socket PATH   control socket for ctnicctl (default " DEFAULT_SOCKET ")\n"
		"  --config FILE   configuration (docs/conntrack.md): ports, routes, neighbours, timeouts,\n"
		"                  linger, late packets, NAT rules, 'flow SPEC' lines; SIGHUP reloads it\n"
		"  --flow SPEC     a static flow, e.g.\n"
		"                  'proto=tcp src=198.51.100.7:40000 dst=203.0.113.10:80\n"
		"                   dnat=192.0.2.10:8080 out=1 reply-out=0'\n"
		"                  keys: proto src dst snat dnat out reply-out out-mac reply-mac ttl class\n"
		"  --tap NAME      the host stack (REDIRECT, our own addresses): a TAP device (root)\n"
		"  --help          this text\n");
}

/* The configuration file, or an empty one. */
static int load_conf(const char *path, struct ctnic_conf **conf)
{
	char err[1024];

	size_t n = path ? strlen(path) : 0;
	unsigned line;
	int used = 0;

	if (path ? ctnic_conf_load(path, conf, err, sizeof(err)) : ctnic_conf_parse("", "(none)", NULL, conf, err, sizeof(err))) {
		/* "FILE:LINE: why" said as "config FILE line LINE: why" */
		if (n && !strncmp(err, path, n) && sscanf(err + n, ":%u: %n", &line, &used) == 1 && used)
			fprintf(stderr, "ctnicd: config %s line %u: %s\n", path, line, err + n + used);
		else
			fprintf(stderr, "ctnicd: config: %s\n", err);
		return -1;
	}
	return 0;
}

/* Every spec of the configuration and the command line, checked before the card is touched. */
static int parse_specs(const struct opts *o, const struct ctnic_conf *conf, struct ctnicd_flow_spec *specs, int *n)
{
	char err[CTNIC_ERR_LEN];

	*n = 0;
	for (size_t i = 0; i < conf->nflows; i++, (*n)++) {
		if (*n == SPECS_MAX) {
			fprintf(stderr, "ctnicd: config %s line %u: more than %d flows\n", o->config, conf->flows[i].line, SPECS_MAX);
			return -1;
		}
		if (ctnicd_flow_spec_parse(conf->flows[i].text, &specs[*n], err, sizeof(err)) < 0) {
			fprintf(stderr, "ctnicd: config %s line %u: %s\n", o->config, conf->flows[i].line, err);
			return -1;
		}
	}
	for (int i = 0; i < o->nflows; i++, (*n)++) {
		if (*n == SPECS_MAX) {
			fprintf(stderr, "ctnicd: more than %d flows\n", SPECS_MAX);
			return -1;
		}
		if (ctnicd_flow_spec_parse(o->flows[i], &specs[*n], err, sizeof(err)) < 0) {
			fprintf(stderr, "ctnicd: flow %d: %s\n", i + 1, err);
			return -1;
		}
	}
	return 0;
}

static int tap_open(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "ctnicd: --tap %s: open /dev/net/tun: %s\n", name, strerror(errno));
		return -1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "ctnicd: --tap %s: TUNSETIFF: %s (root or CAP_NET_ADMIN needed)\n", name, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct tap {
	int fd;
	uint8_t mac[6];              /* the TAP interface's: frames for the stack are addressed to it */
};

static void tap_tx(void *arg, const uint8_t *frame, size_t len)
{
	struct tap *t = arg;
	uint8_t f[CTNIC_RING_MAX_FRAME];

	if (len < 14 || len > sizeof(f))
		return;
	memcpy(f, frame, len);
	memcpy(f, t->mac, 6);
	memcpy(f + 6, ctnicd_host_mac, 6);
	if (write(t->fd, f, len) < 0 && errno != EAGAIN)
		fprintf(stderr, "ctnicd: host stack TAP: write: %s\n", strerror(errno));
}

static int tap_mac(int fd, const char *name, uint8_t mac[6])
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		fprintf(stderr, "ctnicd: --tap %s: SIOCGIFHWADDR: %s\n", name, strerror(errno));
		return -1;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

static void reload(struct ctnicd_daemon *d, const char *path)
{
	struct ctnic_conf *conf;
	char err[1024];

	if (!path) {
		fprintf(stderr, "ctnicd: SIGHUP: no --config to reload\n");
		return;
	}
	if (ctnic_conf_load(path, &conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "ctnicd: reload refused, the running configuration stays: %s\n", err);
		return;
	}
	if (!d->core) {
		ctnic_conf_free(conf);
		return;
	}
	if (ctnicd_core_reload(d->core, conf, err, sizeof(err)) < 0)
		fprintf(stderr, "ctnicd: reload refused, the running configuration stays: %s:%s\n", path, err + 5); /* "line N: why" as "FILE:N: why" */
	else
		fprintf(stderr, "ctnicd: reloaded %s\n", path);
}

static void publish_event(void *arg, const char *line)
{
	ctnicd_ctl_publish(arg, "events", line);
}

static int loop(struct ctnicd_daemon *d, const struct opts *o, int tap)
{
	struct ctnicd_ctl *ctl;
	char err[CTNIC_ERR_LEN], last_err[sizeof(d->core->err)] = "";
	int irq[2] = { -1, -1 }, sfd;
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((sfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
		fprintf(stderr, "ctnicd: signalfd: %s\n", strerror(errno));
		return 1;
	}
	if (d->core) {
		ctnic_irq_fd(d->dev, CTNIC_RING_ID_PUNT, &irq[0]);
		ctnic_irq_fd(d->dev, CTNIC_RING_ID_EVENT, &irq[1]);
	}
	if (ctnicd_ctl_open(&ctl, o->sock_path, ctnicd_commands, d, err, sizeof(err)) < 0) {
		fprintf(stderr, "ctnicd: %s\n", err);
		close(sfd);
		return 1;
	}
	fprintf(stderr, "ctnicd: serving %s on %s%s%s\n", ctnic_uri(d->dev), o->sock_path,
		d->core ? "" : " (static flows only: ", d->core ? "" : d->no_core);
	for (;;) {
		struct pollfd pfd[48];
		size_t n = 0, nc;
		int timeout = d->core && (irq[0] < 0 || irq[1] < 0) ? 10 : LOOP_MS;

		pfd[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = irq[0], .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = irq[1], .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = tap, .events = POLLIN };
		nc = ctnicd_ctl_pollfds(ctl, pfd + n, sizeof(pfd) / sizeof(pfd[0]) - n);
		if (poll(pfd, n + nc, timeout) < 0 && errno != EINTR) {
			fprintf(stderr, "ctnicd: poll: %s\n", strerror(errno));
			break;
		}
		if (pfd[0].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGHUP)
				reload(d, o->config);
			else
				break;
		}
		if (d->core) {
			ctnicd_core_punts(d->core);
			ctnicd_core_events(d->core);
			if (pfd[3].revents & POLLIN) {
				uint8_t frame[CTNIC_RING_MAX_FRAME];
				ssize_t len;

				while ((len = read(tap, frame, sizeof(frame))) > 0)
					ctnicd_core_host_rx(d->core, frame, (size_t)len);
			}
			ctnicd_core_timer(d->core, d->core->conns.cap / (1000 / LOOP_MS) + 1);
			if (d->core->err[0] && strcmp(d->core->err, last_err)) {
				fprintf(stderr, "ctnicd: %s\n", d->core->err);
				snprintf(last_err, sizeof(last_err), "%s", d->core->err);
			}
		}
		ctnicd_ctl_serve(ctl, pfd + n, nc);
		if (d->core && ctnicd_ctl_subscribers(ctl, "events"))
			ctnicd_events_stream(d, publish_event, ctl);
	}
	ctnicd_ctl_close(ctl);
	close(sfd);
	fprintf(stderr, "ctnicd: stopped\n");
	return 0;
}

int ctnicd_main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "device", required_argument, NULL, 'd' }, { "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' }, { "flow", required_argument, NULL, 'f' },
		{ "tap", required_argument, NULL, 't' },    { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .sock_path = DEFAULT_SOCKET };
	static struct ctnicd_flow_spec specs[SPECS_MAX];
	struct ctnicd_daemon d = { 0 };
	struct ctnic_conf *conf = NULL;
	char err[CTNIC_ERR_LEN], why[CTNIC_ERR_LEN + 64];
	int c, nspecs = 0, rc = 1, tap = -1;
	struct tap tapd = { .fd = -1 };

	while ((c = getopt_long(argc, argv, "d:s:c:f:t:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'd': o.uri = optarg; break;
		case 's': o.sock_path = optarg; break;
		case 'c': o.config = optarg; break;
		case 't': o.tap = optarg; break;
		case 'f':
			if (o.nflows == SPECS_MAX) {
				fprintf(stderr, "ctnicd: more than %d flows\n", SPECS_MAX);
				return 2;
			}
			o.flows[o.nflows++] = optarg;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || !o.uri) {
		fprintf(stderr, optind < argc ? "ctnicd: unexpected argument '%s'\n" : "ctnicd: --device URI is required%s\n",
			optind < argc ? argv[optind] : "");
		usage(stderr);
		return 2;
	}
	if (load_conf(o.config, &conf) < 0 || parse_specs(&o, conf, specs, &nspecs) < 0) {
		ctnic_conf_free(conf);
		return 2;
	}
	if (ctnic_open(&d.dev, o.uri, err, sizeof(err)) < 0) {
		fprintf(stderr, "ctnicd: %s\n", err);
		ctnic_conf_free(conf);
		return 1;
	}
	/* Connection tracking needs the rings; a card without them still takes static flows. */
	rc = ctnicd_core_create(&d.core, d.dev, conf, (uint64_t)getpid(), err, sizeof(err));
	conf = NULL; /* the core's now, or freed */
	rc = rc < 0 ? -1 : 0;
	if (rc < 0) {
		snprintf(why, sizeof(why), "%s)", err);
		d.no_core = why;
		fprintf(stderr, "ctnicd: no connection tracking: %s\n", err);
	} else {
		uint32_t n = 0;

		if (ctnicd_core_readback(d.core, &n) < 0)
			fprintf(stderr, "ctnicd: %s\n", d.core->err);
		else if (n)
			fprintf(stderr, "ctnicd: took over %u connections from the card\n", n);
	}
	rc = 1;
	for (int i = 0; i < nspecs; i++) {
		struct ctnicd_flow_placed pl;
		struct ctnic_dev_info info;
		uint32_t id;

		if (d.core) {
			if (ctnicd_core_static(d.core, &specs[i], &id, err, sizeof(err)) < 0 &&
			    !ctnic_tuples_used(d.core->conns.tu, &specs[i].orig)) {
				fprintf(stderr, "ctnicd: flow %d not installed: %s\n", i + 1, err);
				goto out;
			}
			continue;
		}
		if (ctnic_dev_info(d.dev, &info) < 0 ||
		    ctnicd_flow_install(d.dev, &info, &specs[i], &pl, err, sizeof(err)) < 0) {
			fprintf(stderr, "ctnicd: flow %d not installed: %s\n", i + 1, err);
			goto out;
		}
		fprintf(stderr, "ctnicd: flow %d installed: flow id %u, key slots %u and %u, next hops %u and %u\n",
			i + 1, pl.flow_id, pl.slot[0], pl.slot[1], pl.nexthop[0], pl.nexthop[1]);
	}
	if (o.tap && ((tap = tap_open(o.tap)) < 0 || tap_mac(tap, o.tap, tapd.mac) < 0))
		goto out;
	tapd.fd = tap;
	if (d.core && tap >= 0)
		ctnicd_core_host_stack(d.core, tap_tx, &tapd);
	if (ctnic_csr_write(d.dev, CTNIC_REG_CTRL, CTNIC_CTRL_ENABLE_MASK) < 0) {
		fprintf(stderr, "ctnicd: enabling the ports: %s\n", ctnic_last_error(d.dev));
		goto out;
	}
	rc = loop(&d, &o, tap);
out:
	if (tap >= 0)
		close(tap);
	ctnicd_core_destroy(d.core);
	ctnic_close(d.dev);
	return rc;
}
