/* ctnic-linux-replay: recorded traffic through a Linux gateway, and back.
 *
 * Each port is an interface in a network namespace (the far end of a veth
 * pair whose other end is in the gateway). The program injects the frames of
 * every input pcap into its port, all ports merged in timestamp order, and
 * captures what arrives on each port (what the gateway sent out of that
 * side) into an output pcap. Delays between packets are the recorded ones
 * divided by --speed, at least --min-gap, so a two-minute gap can replay in
 * a few seconds against lowered conntrack timeouts.
 *
 *   ctnic-linux-replay --port 0=NETNS:IFACE --port 1=NETNS:IFACE
 *                      --in 0=a.pcap --in 1=b.pcap --out 0=a_out.pcap --out 1=b_out.pcap
 *                      [--speed F] [--min-gap S] [--drain S]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 4

struct port {
	char netns[128];
	const char *iface, *in, *out;
	pcap_t *cap;
	pcap_dumper_t *dump;
	unsigned long injected, captured;
};

struct frame {
	int port;
	size_t seq;                     /* order in its file, for a stable sort */
	double t;
	size_t len;
	unsigned char *data;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int enter_netns(const char *name)
{
	char path[256];
	int fd, rc;

	if ((size_t)snprintf(path, sizeof(path), "/run/netns/%s", name) >= sizeof(path)) {
		fprintf(stderr, "ctnic-linux-replay: network namespace name '%s' is too long\n", name);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "ctnic-linux-replay: open %s: %s\n", path, strerror(errno));
		return -1;
	}
	rc = setns(fd, CLONE_NEWNET);
	if (rc < 0)
		fprintf(stderr, "ctnic-linux-replay: setns %s: %s\n", path, strerror(errno));
	close(fd);
	return rc;
}

/* Opens the capture (and injection) handle of a port inside its namespace;
 * the socket stays bound to that namespace after we leave it. */
static int port_open(struct port *p, int home_ns)
{
	char err[PCAP_ERRBUF_SIZE];
	int rc = -1;

	if (enter_netns(p->netns) < 0)
		return -1;
	p->cap = pcap_create(p->iface, err);
	if (!p->cap) {
		fprintf(stderr, "ctnic-linux-replay: pcap_create %s in %s: %s\n",
			p->iface, p->netns, err);
		goto back;
	}
	if (pcap_set_snaplen(p->cap, 65535) || pcap_set_immediate_mode(p->cap, 1) ||
	    pcap_set_promisc(p->cap, 1) || pcap_activate(p->cap) < 0) {
		fprintf(stderr, "ctnic-linux-replay: activate %s in %s: %s\n",
			p->iface, p->netns, pcap_geterr(p->cap));
		goto back;
	}
	/* Only what the gateway sends to this side, not what we inject. */
	if (pcap_setdirection(p->cap, PCAP_D_IN) < 0 ||
	    pcap_setnonblock(p->cap, 1, err) < 0) {
		fprintf(stderr, "ctnic-linux-replay: set up %s in %s: %s\n",
			p->iface, p->netns, pcap_geterr(p->cap));
		goto back;
	}
	if (p->out) {
		p->dump = pcap_dump_open(p->cap, p->out);
		if (!p->dump) {
			fprintf(stderr, "ctnic-linux-replay: cannot write %s: %s\n",
				p->out, pcap_geterr(p->cap));
			goto back;
		}
	}
	rc = 0;
back:
	if (setns(home_ns, CLONE_NEWNET) < 0) {
		fprintf(stderr, "ctnic-linux-replay: setns back: %s\n", strerror(errno));
		rc = -1;
	}
	return rc;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct port *p = (struct port *)user;

	p->captured++;
	if (p->dump)
		pcap_dump((u_char *)p->dump, h, data);
}

/* Captures on every port until the monotonic time `until`. */
static int capture_until(struct port *ports, int n, double until)
{
	struct pollfd pfd[MAX_PORTS];
	int i;

	for (;;) {
		double left = until - now_s();
		int ms = left > 0 ? (int)(left * 1000) : 0;

		for (i = 0; i < n; i++) {
			pfd[i].fd = pcap_get_selectable_fd(ports[i].cap);
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, (nfds_t)n, ms) < 0 && errno != EINTR) {
			fprintf(stderr, "ctnic-linux-replay: poll: %s\n", strerror(errno));
			return -1;
		}
		for (i = 0; i < n; i++) {
			if (pcap_dispatch(ports[i].cap, -1, on_packet, (u_char *)&ports[i]) < 0) {
				fprintf(stderr, "ctnic-linux-replay: capture on %s: %s\n",
					ports[i].iface, pcap_geterr(ports[i].cap));
				return -1;
			}
		}
		if (left <= 0)
			return 0;
	}
}

static int load_frames(struct port *ports, int n, struct frame **out, size_t *count)
{
	struct frame *v = NULL;
	size_t len = 0, cap = 0;
	char err[PCAP_ERRBUF_SIZE];
	int i;

	for (i = 0; i < n; i++) {
		struct pcap_pkthdr *h;
		const u_char *data;
		pcap_t *f;
		size_t seq = 0;
		int rc;

		if (!ports[i].in)
			continue;
		f = pcap_open_offline(ports[i].in, err);
		if (!f) {
			fprintf(stderr, "ctnic-linux-replay: %s\n", err);
			goto fail;
		}
		while ((rc = pcap_next_ex(f, &h, &data)) == 1) {
			if (len == cap) {
				struct frame *nv;

				cap = cap ? 2 * cap : 64;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv)
					goto oom;
				v = nv;
			}
			v[len].port = i;
			v[len].seq = seq++;
			v[len].t = (double)h->ts.tv_sec + h->ts.tv_usec / 1e6;
			v[len].len = h->caplen;
			v[len].data = malloc(h->caplen ? h->caplen : 1);
			if (!v[len].data)
				goto oom;
			memcpy(v[len].data, data, h->caplen);
			len++;
		}
		if (rc == -1) {
			fprintf(stderr, "ctnic-linux-replay: reading %s: %s\n",
				ports[i].in, pcap_geterr(f));
			pcap_close(f);
			goto fail;
		}
		pcap_close(f);
		continue;
oom:
		pcap_close(f);
		fprintf(stderr, "ctnic-linux-replay: out of memory\n");
		goto fail;
	}
	*out = v;
	*count = len;
	return 0;
fail:
	while (len--)
		free(v[len].data);
	free(v);
	return -1;
}

static int frame_cmp(const void *a, const void *b)
{
	const struct frame *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->port != y->port)
		return x->port - y->port;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int parse_port_arg(const char *arg, int *idx, const char **rest)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (end == arg || *end != '=' || v < 0 || v >= MAX_PORTS)
		return -1;
	*idx = (int)v;
	*rest = end + 1;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: ctnic-linux-replay --port N=NETNS:IFACE --in N=FILE --out N=FILE ...\n"
"                          [--speed F (1)] [--min-gap S (0.02)] [--drain S (1)]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, 0, 'p' },
		{ "in", required_argument, 0, 'i' },
		{ "out", required_argument, 0, 'o' },
		{ "speed", required_argument, 0, 's' },
		{ "min-gap", required_argument, 0, 'm' },
		{ "drain", required_argument, 0, 'd' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	struct port ports[MAX_PORTS];
	struct frame *frames = NULL;
	size_t nframes = 0, k;
	double speed = 1, min_gap = 0.02, drain = 1, due;
	int nports = 0, home_ns = -1, rc = 1, c, i, idx;
	const char *rest;
	char *end;

	memset(ports, 0, sizeof(ports));
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
		case 'i':
		case 'o':
			if (parse_port_arg(optarg, &idx, &rest) < 0)
				goto bad;
			if (idx + 1 > nports)
				nports = idx + 1;
			if (c == 'i') {
				ports[idx].in = rest;
			} else if (c == 'o') {
				ports[idx].out = rest;
			} else {
				const char *colon = strchr(rest, ':');

				if (!colon || colon == rest || !colon[1] ||
				    (size_t)(colon - rest) >= sizeof(ports[idx].netns))
					goto bad;
				memcpy(ports[idx].netns, rest, (size_t)(colon - rest));
				ports[idx].netns[colon - rest] = '\0';
				ports[idx].iface = colon + 1;
			}
			break;
		case 's':
		case 'm':
		case 'd': {
			double v = strtod(optarg, &end);

			if (*end || end == optarg || v < 0 || (c == 's' && v == 0))
				goto bad;
			*(c == 's' ? &speed : c == 'm' ? &min_gap : &drain) = v;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc || nports == 0)
		goto bad;
	for (i = 0; i < nports; i++) {
		if (!ports[i].netns[0]) {
			fprintf(stderr, "ctnic-linux-replay: port %d has no --port\n", i);
			return 2;
		}
	}

	home_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home_ns < 0) {
		fprintf(stderr, "ctnic-linux-replay: open /proc/self/ns/net: %s\n", strerror(errno));
		return 1;
	}
	if (load_frames(ports, nports, &frames, &nframes) < 0)
		goto out;
	qsort(frames, nframes, sizeof(*frames), frame_cmp);
	for (i = 0; i < nports; i++)
		if (port_open(&ports[i], home_ns) < 0)
			goto out;

	due = now_s();
	for (k = 0; k < nframes; k++) {
		struct frame *f = &frames[k];
		double d = k ? (f->t - frames[k - 1].t) / speed : 0;

		due += k && d < min_gap ? min_gap : d;
		if (capture_until(ports, nports, due) < 0)
			goto out;
		if (pcap_inject(ports[f->port].cap, f->data, f->len) != (int)f->len) {
			fprintf(stderr, "ctnic-linux-replay: inject on port %d (%s): %s\n",
				f->port, ports[f->port].iface, pcap_geterr(ports[f->port].cap));
			goto out;
		}
		ports[f->port].injected++;
	}
	if (capture_until(ports, nports, now_s() + drain) < 0)
		goto out;
	for (i = 0; i < nports; i++)
		fprintf(stderr, "ctnic-linux-replay: port %d (%s:%s): injected %lu, captured %lu\n",
			i, ports[i].netns, ports[i].iface, ports[i].injected, ports[i].captured);
	rc = 0;
out:
	for (i = nports - 1; i >= 0; i--) {
		if (ports[i].dump) {
			if (pcap_dump_flush(ports[i].dump) != 0) {
				fprintf(stderr, "ctnic-linux-replay: writing %s failed\n", ports[i].out);
				rc = 1;
			}
			pcap_dump_close(ports[i].dump);
		}
		if (ports[i].cap)
			pcap_close(ports[i].cap);
	}
	for (k = 0; k < nframes; k++)
		free(frames[k].data);
	free(frames);
	if (home_ns >= 0)
		close(home_ns);
	return rc;
bad:
	usage(stderr);
	return 2;
}
