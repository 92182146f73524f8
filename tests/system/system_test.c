/*
 * system_test - a pcap through the whole chain: ctnic-sim running the RTL,
 * ctnicd installing a DNAT and an SNAT flow through libctnic, ctnicctl
 * reading the card through ctnicd.
 *
 * The test writes the input pcaps itself, and builds every frame the card
 * must send from scratch (tests/system/frames.c: checksums over the whole
 * packet, not updated), then compares the output pcaps byte for byte. A
 * packet that matches no flow must reach the host path unmodified, led by
 * the punt descriptor the contract gives.
 *
 * usage: system_test CTNIC-SIM CTNICD CTNICCTL
 */
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctnic_flow.h"
#include "ctnic_regs.h"
#include "frames.h"
#include "harness.h"

#define MAX_FRAMES 16
#define FRAME_CAP 2048

struct frame {
	uint8_t b[FRAME_CAP];
	size_t len;
};

struct frames {
	struct frame f[MAX_FRAMES];
	int n;
};

static const uint8_t MAC_CLIENT[6] = { 0x02, 0, 0, 0, 0, 0x07 };  /* the client, on port 0 */
static const uint8_t MAC_GW0[6] = { 0x02, 0, 0, 0, 0, 0x01 };     /* the card on port 0 */
static const uint8_t MAC_GW1[6] = { 0x02, 0, 0, 0, 1, 0x01 };     /* the card on port 1 */
static const uint8_t MAC_SERVER[6] = { 0x02, 0, 0, 0, 1, 0x0a };  /* the server, on port 1 */

/* The flows, as ctnicd's config says them. */
static const char CONFIG[] =
	"# DNAT: the client reaches 203.0.113.10:80, served by 192.0.2.10:8080; MACs rewritten\n"
	"flow proto=tcp src=198.51.100.7:40000 dst=203.0.113.10:80 dnat=192.0.2.10:8080 "
	"out=1 reply-out=0 out-mac=02:00:00:00:01:0a/02:00:00:00:01:01 "
	"reply-mac=02:00:00:00:00:07/02:00:00:00:00:01\n"
	"# SNAT: 192.0.2.20:5000 leaves as 198.51.100.1:61000; TTL kept, MACs as they came\n"
	"flow proto=udp src=192.0.2.20:5000 dst=203.0.113.53:53 snat=198.51.100.1:61000 "
	"out=1 reply-out=0 ttl=keep\n";

static void add(struct frames *fs, const struct tframe *t)
{
	struct frame *f = &fs->f[fs->n++];

	f->len = tframe_build(t, f->b, sizeof(f->b));
	if (!f->len)
		abort();
}

static struct tframe tcp(const char *s, uint16_t sp, const char *d, uint16_t dp, const char *payload)
{
	struct tframe t = { .saddr = tframe_addr(s), .daddr = tframe_addr(d), .sport = sp, .dport = dp,
			    .proto = 6, .ttl = 64, .ip_id = 0x1234, .tcp_flags = 0x18 /* PSH ACK */,
			    .seq = 1000, .ack = 2000, .payload = (const uint8_t *)payload,
			    .plen = strlen(payload) };
	return t;
}

static struct tframe udp(const char *s, uint16_t sp, const char *d, uint16_t dp, const char *payload)
{
	struct tframe t = { .saddr = tframe_addr(s), .daddr = tframe_addr(d), .sport = sp, .dport = dp,
			    .proto = 17, .ttl = 64, .ip_id = 0x4321, .payload = (const uint8_t *)payload,
			    .plen = strlen(payload) };
	return t;
}

static void macs(struct tframe *t, const uint8_t dst[6], const uint8_t src[6])
{
	memcpy(t->dmac, dst, 6);
	memcpy(t->smac, src, 6);
}

/* Inputs per port, and what must come out of each port and the host path. */
static void build_traffic(struct frames in[2], struct frames out[2], struct frames *host)
{
	struct tframe t;

	/* DNAT, original direction: client -> VIP on port 0, leaves port 1 to the server. */
	t = tcp("198.51.100.7", 40000, "203.0.113.10", 80, "GET / HTTP/1.0\r\n\r\n");
	macs(&t, MAC_GW0, MAC_CLIENT);
	add(&in[0], &t);
	t.daddr = tframe_addr("192.0.2.10");
	t.dport = 8080;
	t.ttl = 63;
	macs(&t, MAC_SERVER, MAC_GW1);
	add(&out[1], &t);

	/* DNAT, reply: server -> client on port 1, leaves port 0 from the VIP. */
	t = tcp("192.0.2.10", 8080, "198.51.100.7", 40000, "HTTP/1.0 200 OK\r\n\r\nhello");
	macs(&t, MAC_GW1, MAC_SERVER);
	add(&in[1], &t);
	t.saddr = tframe_addr("203.0.113.10");
	t.sport = 80;
	t.ttl = 63;
	macs(&t, MAC_CLIENT, MAC_GW0);
	add(&out[0], &t);

	/* SNAT, original direction, with a UDP checksum and then with none (0 must stay 0). */
	for (int zero = 0; zero < 2; zero++) {
		t = udp("192.0.2.20", 5000, "203.0.113.53", 53, zero ? "no checksum" : "query");
		t.udp_zero_csum = zero;
		macs(&t, MAC_GW0, MAC_CLIENT);
		add(&in[0], &t);
		t.saddr = tframe_addr("198.51.100.1");
		t.sport = 61000;
		add(&out[1], &t);
	}

	/* SNAT, reply: back to the inside host. */
	t = udp("203.0.113.53", 53, "198.51.100.1", 61000, "answer");
	macs(&t, MAC_GW1, MAC_SERVER);
	add(&in[1], &t);
	t.daddr = tframe_addr("192.0.2.20");
	t.dport = 5000;
	add(&out[0], &t);

	/* A miss: no flow, so the host gets it as it came. */
	t = udp("198.51.100.99", 1234, "203.0.113.99", 9, "nobody knows me");
	macs(&t, MAC_GW0, MAC_CLIENT);
	add(&in[0], &t);
	add(host, &t);
}

static int write_pcap(const char *path, const struct frames *fs)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = p ? pcap_dump_open(p, path) : NULL;

	if (!d)
		return -1;
	for (int i = 0; i < fs->n; i++) {
		struct pcap_pkthdr h = { .ts = { .tv_sec = 1, .tv_usec = i }, .caplen = (bpf_u_int32)fs->f[i].len,
					 .len = (bpf_u_int32)fs->f[i].len };
		pcap_dump((u_char *)d, &h, fs->f[i].b);
	}
	pcap_dump_close(d);
	pcap_close(p);
	return 0;
}

/* Reads a pcap; link type into *dlt. -1 when it cannot be read. */
static int read_pcap(const char *path, struct frames *fs, int *dlt)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, eb);
	struct pcap_pkthdr *h;
	const u_char *data;

	fs->n = 0;
	if (!p) {
		tap_diag("%s", eb);
		return -1;
	}
	*dlt = pcap_datalink(p);
	while (pcap_next_ex(p, &h, &data) == 1 && fs->n < MAX_FRAMES) {
		struct frame *f = &fs->f[fs->n++];

		f->len = h->caplen < sizeof(f->b) ? h->caplen : sizeof(f->b);
		memcpy(f->b, data, f->len);
	}
	pcap_close(p);
	return 0;
}

static int same_frames(const char *what, const struct frames *got, const struct frames *want)
{
	int ok = got->n == want->n;

	if (!ok)
		tap_diag("%s: %d frames, expected %d", what, got->n, want->n);
	for (int i = 0; i < got->n && i < want->n; i++) {
		const struct frame *g = &got->f[i], *w = &want->f[i];
		size_t j = 0;

		if (g->len == w->len && !memcmp(g->b, w->b, g->len))
			continue;
		ok = 0;
		while (j < g->len && j < w->len && g->b[j] == w->b[j])
			j++;
		tap_diag("%s frame %d: %zu bytes, expected %zu; first difference at byte %zu: 0x%02x, expected 0x%02x",
			 what, i, g->len, w->len, j, j < g->len ? g->b[j] : 0, j < w->len ? w->b[j] : 0);
	}
	return ok;
}

/* Sends one line to ctnicd's control socket and returns its answer line. */
static int ctl_call(const char *sock, const char *req, size_t reqlen, char *ans, size_t cap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	size_t len = 0;

	struct timeval tv = { .tv_sec = 10 };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	/* A daemon that hangs fails the test in 10 s rather than hanging it. */
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, req, reqlen, MSG_NOSIGNAL) != (ssize_t)reqlen) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (len < cap - 1 && !memchr(ans, '\n', len)) {
		ssize_t n = recv(fd, ans + len, cap - 1 - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	ans[len] = '\0';
	close(fd);
	return memchr(ans, '\n', len) ? 0 : -1;
}

static void test_control_socket_refuses_malformed(const char *sock)
{
	static const struct {
		const char *req, *name;
	} bad[] = {
		{ "this is not json\n", "text that is not JSON" },
		{ "[1,2,3]\n", "a JSON array" },
		{ "{\"cmd\":5}\n", "a cmd that is not a string" },
		{ "{\"cmd\":\"no-such-command\"}\n", "an unknown command" },
		{ "{\"cmd\":\"device\"\n", "a truncated object" },
	};
	char ans[4096];
	char *big;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = ctl_call(sock, bad[i].req, strlen(bad[i].req), ans, sizeof(ans));
		tap(rc == 0 && strstr(ans, "\"ok\":false") && strstr(ans, "\"error\":\""),
		    "ctnicd answers %s with an error", bad[i].name);
		if (rc == 0)
			tap_diag("answer: %s", strtok(ans, "\n"));
	}
	/* A line over the limit is refused, and the daemon lives on. */
	big = malloc(70000);
	memset(big, 'x', 69999);
	big[69999] = '\n';
	tap(ctl_call(sock, big, 70000, ans, sizeof(ans)) == 0 && strstr(ans, "\"ok\":false"),
	    "ctnicd refuses a request line longer than 64 KiB");
	free(big);
	/* A client that sends and never reads the answers is given up, not waited for. */
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int hog = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", sock);
	if (hog >= 0 && connect(hog, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		static char flood[1 << 20];
		for (size_t k = 0; k + 2 <= sizeof(flood); k += 2)
			memcpy(flood + k, "x\n", 2);
		for (int round = 0; round < 16; round++)
			if (send(hog, flood, sizeof(flood), MSG_NOSIGNAL | MSG_DONTWAIT) <= 0)
				break;
	}
	tap(ctl_call(sock, "{\"cmd\":\"device\"}\n", 17, ans, sizeof(ans)) == 0 && strstr(ans, "\"ok\":true"),
	    "a control client that floods requests and never reads does not stall ctnicd");
	if (hog >= 0)
		close(hog);
	tap(ctl_call(sock, "{\"cmd\":\"device\",\"id\":7}\n", 25, ans, sizeof(ans)) == 0 &&
		    strstr(ans, "\"ok\":true") && strstr(ans, "\"id\":7"),
	    "ctnicd still serves device after malformed requests, echoing the request id");
}

static int exit_code(int st)
{
	return st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_ctnicctl_usage(char *ctl, char *sock, const char *dir)
{
	char text[4096], nosock[160];
	char *help[] = { ctl, "--help", NULL };
	char *dev_help[] = { ctl, "-s", sock, "device", "--help", NULL };
	char *json[] = { ctl, "-s", sock, "-o", "json", "device", NULL };
	char *extra[] = { ctl, "-s", sock, "device", "now", NULL };
	char *unknown[] = { ctl, "-s", sock, "reboot", NULL };
	char *bad_o[] = { ctl, "-s", sock, "-o", "xml", "device", NULL };
	char *none[] = { ctl, "-s", sock, NULL };
	char *gone[] = { ctl, "-s", nosock, "device", NULL };

	snprintf(nosock, sizeof(nosock), "%s/no-such.sock", dir);
	tap(exit_code(th_run(help, text, sizeof(text), 10000)) == 0 && strstr(text, "usage: ctnicctl") &&
		    strstr(text, "device"),
	    "ctnicctl --help prints the usage and the commands, exit 0");
	tap(exit_code(th_run(dev_help, text, sizeof(text), 10000)) == 0 && strstr(text, "usage: ctnicctl") &&
		    strstr(text, "capacities"),
	    "ctnicctl device --help says what device prints, exit 0");
	tap(exit_code(th_run(json, text, sizeof(text), 10000)) == 0 && !strncmp(text, "{\"ok\":true,", 11) &&
		    strstr(text, "\"id_text\":\"CTNC\""),
	    "ctnicctl -o json device prints the daemon's JSON answer");
	tap(exit_code(th_run(extra, text, sizeof(text), 10000)) == 2 && !text[0],
	    "ctnicctl device with an extra argument exits 2, nothing on stdout");
	tap(exit_code(th_run(unknown, text, sizeof(text), 10000)) == 2 && !text[0],
	    "ctnicctl with an unknown command exits 2, nothing on stdout");
	tap(exit_code(th_run(bad_o, text, sizeof(text), 10000)) == 2, "ctnicctl -o xml exits 2");
	tap(exit_code(th_run(none, text, sizeof(text), 10000)) == 2, "ctnicctl without a command exits 2");
	tap(exit_code(th_run(gone, text, sizeof(text), 10000)) == 1 && !text[0],
	    "ctnicctl with no daemon at the socket exits 1, the error on stderr only");
}

/* Runs ctnicd with args to its end; its exit code, its stderr in log (read into text). */
static int ctnicd_fails(char **argv, const char *log, char *text, size_t cap)
{
	FILE *f;
	size_t n = 0;
	int st;

	unlink(log);
	st = th_wait(th_spawn(argv, log), 20000);
	if ((f = fopen(log, "r"))) {
		n = fread(text, 1, cap - 1, f);
		fclose(f);
	}
	text[n] = '\0';
	return exit_code(st);
}

static void test_ctnicd_refusals(char *ctnicd, const char *dir)
{
	char log[160], sock[160], cfg[160], cfgarg[170], text[2048];
	FILE *f;

	snprintf(log, sizeof(log), "%s/refusals.log", dir);
	snprintf(sock, sizeof(sock), "%s/refused.sock", dir);
	snprintf(cfg, sizeof(cfg), "%s/bad.conf", dir);
	snprintf(cfgarg, sizeof(cfgarg), "%s", cfg);

	char *nodev[] = { ctnicd, "--device", "sim:/nonexistent/sim.sock", "--socket", sock, NULL };
	tap(ctnicd_fails(nodev, log, text, sizeof(text)) == 1 && strstr(text, "start ctnic-sim") &&
		    access(sock, F_OK) != 0,
	    "ctnicd with no simulator at its device URI exits 1, says to start ctnic-sim, leaves no socket");

	char *badflow[] = { ctnicd, "--device", "sim:/nonexistent/sim.sock", "--socket", sock,
			    "--flow", "proto=tcp src=192.0.2.1:1 dst=192.0.2.2:2 out=0 reply-out=9x", NULL };
	tap(ctnicd_fails(badflow, log, text, sizeof(text)) == 2 && strstr(text, "'reply-out=9x'") &&
		    !strstr(text, "ctnic-sim"),
	    "ctnicd refuses a bad flow spec before touching the device, exit 2, naming the word");

	if ((f = fopen(cfg, "w"))) {
		fputs("# ok\nflow proto=udp src=192.0.2.1:1 dst=192.0.2.2:2 out=0 reply-out=1\nflw proto=udp\n", f);
		fclose(f);
	}
	char *badcfg[] = { ctnicd, "--device", "sim:/nonexistent/sim.sock", "--socket", sock, "--config", cfgarg, NULL };
	tap(ctnicd_fails(badcfg, log, text, sizeof(text)) == 2 && strstr(text, "line 3"),
	    "ctnicd refuses a config with a bad line, exit 2, naming its line number");
	char *usage[] = { ctnicd, "--socket", sock, NULL };
	tap(ctnicd_fails(usage, log, text, sizeof(text)) == 2 && strstr(text, "--device URI is required"),
	    "ctnicd without --device exits 2 with its usage");
}

/* Reads a whole file; NULL when it cannot. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n)
		*len = (size_t)n;
	else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static const char *const OUT_NAMES[4] = { "out0.pcap", "out1.pcap", "host.pcap", "host-desc.pcap" };

/*
 * One run of the chain in dir/tag-*: ctnic-sim on the inputs, ctnicd with
 * the config; with_ctl also checks ctnicctl and the control socket while
 * traffic may be flowing. Output paths land in out[4].
 */
static void run_chain(char **argv, const char *dir, const char *tag, int with_ctl, char *opt, char *optval,
		      char out[4][128])
{
	char sim_sock[128], d_sock[128], cfg[128], log_sim[128], log_d[128], text[4096], expect[128];
	char in0[160], in1[160], o0[160], o1[160], uri[160];
	pid_t sim, d;
	int st;

	snprintf(sim_sock, sizeof(sim_sock), "%s/%s-sim.sock", dir, tag);
	snprintf(d_sock, sizeof(d_sock), "%s/%s-ctnicd.sock", dir, tag);
	snprintf(cfg, sizeof(cfg), "%s/ctnicd.conf", dir);
	snprintf(log_sim, sizeof(log_sim), "%s/%s-sim.log", dir, tag);
	snprintf(log_d, sizeof(log_d), "%s/%s-ctnicd.log", dir, tag);
	for (int i = 0; i < 4; i++)
		snprintf(out[i], 128, "%s/%s-%s", dir, tag, OUT_NAMES[i]);
	snprintf(in0, sizeof(in0), "0=%s/in0.pcap", dir);
	snprintf(in1, sizeof(in1), "1=%s/in1.pcap", dir);
	snprintf(o0, sizeof(o0), "0=%s", out[0]);
	snprintf(o1, sizeof(o1), "1=%s", out[1]);
	char *sim_argv[] = { argv[1], "--socket", sim_sock, "--in", in0, "--in", in1, "--out", o0, "--out", o1,
			     "--host", out[2], "--host-desc", out[3], "--exit-when-done", opt, optval, NULL };
	sim = th_spawn(sim_argv, log_sim);
	if (!tap(th_wait_path(sim_sock, sim, 30000) == 0, "%s: ctnic-sim starts and listens", tag)) {
		th_diag_file(log_sim);
		th_wait(sim, 1000);
		return;
	}

	snprintf(uri, sizeof(uri), "sim:%s", sim_sock);
	char *d_argv[] = { argv[2], "--device", uri, "--socket", d_sock, "--config", cfg, NULL };
	d = th_spawn(d_argv, log_d);
	int d_up = th_wait_path(d_sock, d, 60000) == 0;
	if (!tap(d_up, "%s: ctnicd installs the DNAT and SNAT flows, enables the ports and serves its socket", tag))
		th_diag_file(log_d);

	if (d_up && with_ctl) {
		char *ctl_argv[] = { argv[3], "-s", d_sock, "device", NULL };

		st = th_run(ctl_argv, text, sizeof(text), 20000);
		tap(st == 0, "ctnicctl device exits 0");
		snprintf(expect, sizeof(expect), "id        0x%08x (CTNC)\n", CTNIC_REG_ID_RESET);
		tap(strstr(text, expect) != NULL, "ctnicctl device prints the RTL's id 0x%08x", CTNIC_REG_ID_RESET);
		snprintf(expect, sizeof(expect), "version   %u.%u.%u (0x%08x)\n",
			 (CTNIC_REG_VERSION_RESET & CTNIC_VERSION_MAJOR_MASK) >> CTNIC_VERSION_MAJOR_SHIFT,
			 (CTNIC_REG_VERSION_RESET & CTNIC_VERSION_MINOR_MASK) >> CTNIC_VERSION_MINOR_SHIFT,
			 CTNIC_REG_VERSION_RESET & CTNIC_VERSION_PATCH_MASK, CTNIC_REG_VERSION_RESET);
		tap(strstr(text, expect) != NULL, "ctnicctl device prints the RTL's version %.*s",
		    (int)strlen(expect + 10) - 1, expect + 10);
		tap(strstr(text, "\ntick      ") && strstr(text, "\nports     2 "),
		    "ctnicctl device prints the tick counter and the capacities");
		tap(strstr(text, "\nports on  yes") != NULL, "ctnicctl device shows the ports on once ctnicd is up");
		tap_diag("ctnicctl device printed:");
		for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
			tap_diag("  %s", l);
		/*
		 * The card has rings: ctnicd installed the flows through the command
		 * ring and takes the miss from the punt ring (its own count), none
		 * lost for want of room. Polled: ctnicd reads the ring on its interrupt.
		 */
		char *stats_argv[] = { argv[3], "-s", d_sock, "stats", NULL };
		int ring_ok = 0;
		for (int i = 0; i < 100 && !ring_ok; i++) {
			if (i)
				usleep(100000);
			ring_ok = th_run(stats_argv, text, sizeof(text), 20000) == 0 &&
				  strstr(text, "\ndaemon.punt.miss = 1\n") && strstr(text, "\ncard.drop.host_full = 0\n");
		}
		tap(ring_ok, "ctnicd takes the miss from the card's punt ring (daemon.punt.miss 1, card.drop.host_full 0)");
		test_control_socket_refuses_malformed(d_sock);
		test_ctnicctl_usage(argv[3], d_sock, dir);
	}
	if (d_up) {
		kill(d, SIGTERM);
		st = th_wait(d, 20000);
		tap(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: ctnicd exits 0 on SIGTERM", tag);
		tap(access(d_sock, F_OK) != 0, "%s: ctnicd removes its control socket when it stops", tag);
	} else {
		th_wait(d, 1000);
		kill(sim, SIGTERM);
	}
	st = th_wait(sim, 120000);
	if (!tap(d_up && st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		 "%s: ctnic-sim feeds every input, drains and exits 0 by itself", tag))
		th_diag_file(log_sim);
}

/* Timestamps (ns) of a nanosecond pcap; how many were read. */
static int read_stamps(const char *path, long long *ns, int max)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, eb);
	struct pcap_pkthdr *h;
	const u_char *data;
	int n = 0;

	if (!p)
		return -1;
	while (n < max && pcap_next_ex(p, &h, &data) == 1)
		ns[n++] = (long long)h->ts.tv_sec * 1000000000LL + h->ts.tv_usec;
	tap_diag("%s: %d frames, first at %lld ns", path, n, n ? ns[0] : 0LL);
	pcap_close(p);
	return n;
}

int main(int argc, char **argv)
{
	struct frames in[2] = { 0 }, want[2] = { 0 }, want_host = { 0 }, got;
	char path[128], out1[4][128], out2[4][128];
	long long stamps[8];
	const char *dir;
	int dlt;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: %s CTNIC-SIM CTNICD CTNICCTL\n", argv[0]);
		return 2;
	}
	dir = th_tmpdir("sys");
	build_traffic(in, want, &want_host);
	for (int p = 0; p < 2; p++) {
		snprintf(path, sizeof(path), "%s/in%d.pcap", dir, p);
		if (write_pcap(path, &in[p]) < 0) {
			tap(0, "test input %s written", path);
			return tap_done();
		}
	}
	snprintf(path, sizeof(path), "%s/ctnicd.conf", dir);
	if (!(f = fopen(path, "w"))) {
		tap(0, "config %s written", path);
		return tap_done();
	}
	fputs(CONFIG, f);
	fclose(f);

	test_ctnicd_refusals(argv[2], dir);
	run_chain(argv, dir, "run1", 1, NULL, NULL, out1);

	for (int p = 0; p < 2; p++) {
		char what[32];
		snprintf(what, sizeof(what), "port %d", p);
		tap(read_pcap(out1[p], &got, &dlt) == 0 && dlt == DLT_EN10MB && same_frames(what, &got, &want[p]),
		    "port %d sends exactly the %s frames, translated, with checksums equal to ones computed from scratch",
		    p, p ? "DNAT original, SNAT original (one with UDP checksum 0 kept 0)" : "DNAT reply and SNAT reply");
	}
	tap(read_pcap(out1[2], &got, &dlt) == 0 && dlt == DLT_EN10MB && same_frames("host", &got, &want_host),
	    "the miss reaches the host path unmodified, and nothing else does");

	int desc_ok = read_pcap(out1[3], &got, &dlt) == 0 && dlt == DLT_USER0 && got.n == 1 &&
		      got.f[0].len == CTNIC_PUNT_DESC_BYTES + want_host.f[0].len;
	if (desc_ok) {
		struct ctnic_punt_desc pd;
		const uint8_t *frame = want_host.f[0].b;

		ctnic_punt_desc_unpack(got.f[0].b, &pd);
		tap_diag("descriptor: len %u reason %u port %u flow_valid %d l3 %u l4 %u flags 0x%02x tick %u",
			 pd.len, pd.reason, pd.port, pd.flow_valid, pd.l3_off, pd.l4_off, pd.tcp_flags, pd.tick);
		desc_ok = pd.len == want_host.f[0].len && pd.reason == CTNIC_PUNT_MISS && pd.port == 0 &&
			  !pd.flow_valid && pd.l3_off == 14 && pd.l4_off == 14 + 4 * (frame[14] & 15) &&
			  pd.tcp_flags == 0 && got.f[0].b[15] == 0 &&
			  !memcmp(got.f[0].b + CTNIC_PUNT_DESC_BYTES, frame, want_host.f[0].len);
	}
	tap(desc_ok, "the miss carries its punt descriptor: length, reason MISS, ingress port 0, no flow, L3 and L4 offsets");

	/* The same inputs again, this time without ctnicctl reading the card meanwhile, and with a waveform. */
	snprintf(path, sizeof(path), "%s/run2.vcd", dir);
	run_chain(argv, dir, "run2", 0, "--vcd", path, out2);
	size_t vlen = 0;
	char *vcd = slurp(path, &vlen);
	tap(vcd && strstr(vcd, "$enddefinitions") && strstr(vcd, "rx_enable") && strstr(vcd, "\n#"),
	    "--vcd writes a waveform of the run (%zu bytes)", vlen);
	free(vcd);
	for (int i = 0; i < 4; i++) {
		size_t l1 = 0, l2 = 0;
		char *a = slurp(out1[i], &l1), *b = slurp(out2[i], &l2);

		tap(a && b && l1 == l2 && !memcmp(a, b, l1),
		    "a second run gives a byte-identical %s, timestamps included", OUT_NAMES[i]);
		free(a);
		free(b);
	}

	/*
	 * Paced: frames on a port start 1000 cycles (4 us) apart, so they leave
	 * about as far apart (give or take the pipeline's latency difference
	 * between a TCP and a UDP frame); unpaced they leave back to back.
	 */
	char out3[4][128];
	int close_by = read_stamps(out1[1], stamps, 8) == 3 && stamps[2] - stamps[0] < 1000;
	run_chain(argv, dir, "run3", 0, "--pace", "1000", out3);
	int spaced = read_stamps(out3[1], stamps, 8) == 3;
	for (int i = 1; spaced && i < 3; i++)
		spaced = stamps[i] - stamps[i - 1] >= 3900;
	tap(close_by && spaced, "with --pace 1000 the three frames of port 0 leave port 1 about 4 us apart, not back to back");
	th_cleanup();
	return tap_done();
}
