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
	char *sim_argv[] = { argv[1], "--socket", sock, "--host-mem-size", "65536", NULL };
	sim = th_spawn(sim_argv, logf);
	if (!tap(th_wait_path(sock, sim, 30000) == 0 && conn_open(&a, sock) == 0, "ctnic-sim accepts a client")) {
		th_diag_file(logf);
		th_cleanup();
		return tap_done();
	}

	tap(ask(&a, "R 0\n", "ERR " CTNIC_SIM_ERR_HELLO " ", NULL, 0), "a request before HELLO is refused with code hello");
	tap(ask(&a, "HELLO 3\n", "ERR " CTNIC_SIM_ERR_VERSION " ", NULL, 0) &&
		    ask(&a, "HELLO 0\n", "ERR " CTNIC_SIM_ERR_VERSION " ", NULL, 0),
	    "HELLO of a version outside 1..2 is refused with code version");
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

	kill(sim, SIGTERM);
	int stt = th_wait(sim, 20000);
	tap(stt >= 0 && WIFEXITED(stt) && WEXITSTATUS(stt) == 0, "ctnic-sim exits 0 on SIGTERM");
	tap(access(sock, F_OK) != 0 && access(mem, F_OK) != 0, "ctnic-sim removes its socket and host memory file");
	th_cleanup();
	return tap_done();
}
