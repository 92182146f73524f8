/*
 * sim.c - the `sim` backend: the Verilator card in a ctnic-sim process.
 * BAR0 accesses go over the simulator's UNIX socket as text lines; host RAM
 * is the simulator's shared-memory file, mapped here (protocol in
 * sim/ctnic-sim/sim_proto.h, prose in docs/simulator.md).
 *
 * Interrupts: ctnic-sim sends "EV irq <i>" lines to every client. The first
 * ctnic_irq_fd() opens a second connection that carries nothing else, and a
 * thread that turns each of its lines into a count on eventfd <i>; the
 * request connection skips EV lines. So an interrupt fd becomes readable
 * whether or not a request is in flight, as a VFIO eventfd does.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "ctnic_sim.h"
#include "../../sim/ctnic-sim/sim_proto.h"

_Static_assert(CTNIC_SIM_FRAME_MIN == CTNIC_SIM_FEED_FRAME_MIN && CTNIC_SIM_FRAME_MAX == CTNIC_SIM_FEED_FRAME_MAX &&
		       CTNIC_SIM_RUN_MAX == CTNIC_SIM_RUN_MAX_CYCLES,
	       "ctnic_sim.h and sim_proto.h disagree on FEED or RUN limits");

/* How long one answer may take: a CSR access is a few clock cycles, but a busy sim may be slow. */
#define SIM_TIMEOUT_MS 10000

struct sim {
	int fd;
	/* Interrupts, once asked for: the event connection, its reader, an eventfd per vector. */
	int ev_fd;
	int irq_efd[CTNIC_SIM_IRQ_VECTORS];
	pthread_t ev_thread;
	int ev_running;
	/*
	 * Protocol 3 numbers EV lines. An answer returns only once the reader
	 * counted every EV that came before it on the request connection, so
	 * interrupts the request raised are on their fds when the call returns.
	 * ev_base: the last number before the event connection said HELLO.
	 */
	int ev_sync;
	uint64_t ev_base, ev_done, req_seq;
	int ev_gone; /* the reader ended */
	pthread_mutex_t ev_lock;
	pthread_cond_t ev_cond;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char rbuf[CTNIC_SIM_LINE_MAX * 4];
	char err_code[16]; /* the code of the last ERR answer (CTNIC_SIM_ERR_*), "" after OK */
	size_t rlen;
	void *mem;
	size_t mem_len;
};

/* The simulator closed its end: it exited (or was killed). */
static int gone(struct ctnic_dev *dev)
{
	struct sim *s = dev->priv;

	return ctnic_dev_err(dev, -ECONNRESET, "ctnic-sim at %s closed the connection: the simulator exited",
			     s->path);
}

static int send_line(struct ctnic_dev *dev, const char *line)
{
	struct sim *s = dev->priv;
	size_t len = strlen(line), done = 0;

	while (done < len) {
		ssize_t n = send(s->fd, line + done, len - done, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return gone(dev);
		if (n < 0)
			return ctnic_dev_err(dev, -errno, "send to ctnic-sim at %s: %s", s->path, strerror(errno));
		done += (size_t)n;
	}
	return 0;
}

/*
 * Waits (at most SIM_EV_WAIT_MS) until the event reader has counted every EV
 * line seen so far on the request connection: the simulator sends each to
 * both connections.
 */
#define SIM_EV_WAIT_MS 2000
static void wait_events(struct sim *s)
{
	struct timespec until;

	if (!s->ev_sync)
		return;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += SIM_EV_WAIT_MS / 1000;
	pthread_mutex_lock(&s->ev_lock);
	while (s->ev_done < s->req_seq && !s->ev_gone)
		if (pthread_cond_timedwait(&s->ev_cond, &s->ev_lock, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&s->ev_lock);
}

/* Reads one answer line (notifications "EV ..." skipped) into out, without the newline. */
static int recv_line(struct ctnic_dev *dev, char *out, size_t outlen)
{
	struct sim *s = dev->priv;

	for (;;) {
		char *nl = memchr(s->rbuf, '\n', s->rlen);

		if (nl) {
			size_t len = (size_t)(nl - s->rbuf);
			int skip = len >= 3 && !memcmp(s->rbuf, "EV ", 3);
			unsigned v;
			unsigned long long seq;

			*nl = '\0';
			if (skip && s->ev_sync && sscanf(s->rbuf, "EV irq %u %llu", &v, &seq) == 2 && seq > s->ev_base &&
			    seq > s->req_seq)
				s->req_seq = seq;
			if (!skip)
				snprintf(out, outlen, "%.*s", (int)len, s->rbuf);
			memmove(s->rbuf, nl + 1, s->rlen - len - 1);
			s->rlen -= len + 1;
			if (!skip) {
				wait_events(s);
				return 0;
			}
			continue;
		}
		if (s->rlen == sizeof(s->rbuf))
			return ctnic_dev_err(dev, -EPROTO, "ctnic-sim at %s sent a line longer than %zu bytes: not a ctnic-sim socket?",
					     s->path, sizeof(s->rbuf));

		struct pollfd p = { .fd = s->fd, .events = POLLIN };
		int pr = poll(&p, 1, SIM_TIMEOUT_MS);

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return ctnic_dev_err(dev, -errno, "poll on ctnic-sim socket %s: %s", s->path, strerror(errno));
		if (pr == 0)
			return ctnic_dev_err(dev, -ETIMEDOUT, "ctnic-sim at %s did not answer in %d ms: is it stopped (SIGSTOP) or hung?",
					     s->path, SIM_TIMEOUT_MS);

		ssize_t n = recv(s->fd, s->rbuf + s->rlen, sizeof(s->rbuf) - s->rlen, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return gone(dev);
		if (n < 0)
			return ctnic_dev_err(dev, -errno, "recv from ctnic-sim at %s: %s", s->path, strerror(errno));
		s->rlen += (size_t)n;
	}
}

/* Sends one request and returns the rest of its "OK" answer in out; an "ERR" becomes an error. */
static int transact(struct ctnic_dev *dev, const char *what, const char *req, char *out, size_t outlen)
{
	struct sim *s = dev->priv;
	char line[CTNIC_SIM_LINE_MAX];
	int rc;

	if ((rc = send_line(dev, req)) < 0 || (rc = recv_line(dev, line, sizeof(line))) < 0)
		return rc;
	s->err_code[0] = '\0';
	if (!strncmp(line, "OK", 2) && (line[2] == '\0' || line[2] == ' ')) {
		snprintf(out, outlen, "%s", line[2] ? line + 3 : "");
		return 0;
	}
	if (!strncmp(line, "ERR ", 4)) {
		snprintf(s->err_code, sizeof(s->err_code), "%.*s", (int)strcspn(line + 4, " "), line + 4);
		return ctnic_dev_err(dev, -EIO, "%s on %s: ctnic-sim refused: %s", what, s->path, line + 4);
	}
	return ctnic_dev_err(dev, -EPROTO, "%s on %s: unexpected answer '%.64s': not a ctnic-sim socket?",
			     what, s->path, line);
}

static int sim_hello(struct ctnic_dev *dev)
{
	struct sim *s = dev->priv;
	char req[32], ans[CTNIC_SIM_LINE_MAX], mpath[CTNIC_SIM_LINE_MAX];
	unsigned version;
	unsigned long long size;
	struct stat st;
	int rc, fd;

	snprintf(req, sizeof(req), "HELLO %d\n", CTNIC_SIM_PROTO_VERSION);
	if ((rc = transact(dev, "HELLO", req, ans, sizeof(ans))) < 0)
		return rc;
	if (sscanf(ans, "ctnic-sim %u mem %255s %llu", &version, mpath, &size) != 3 ||
	    version != CTNIC_SIM_PROTO_VERSION)
		return ctnic_dev_err(dev, -EPROTO, "HELLO on %s: answer 'OK %.64s' is not ctnic-sim protocol %d",
				     s->path, ans, CTNIC_SIM_PROTO_VERSION);
	fd = open(mpath, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return ctnic_dev_err(dev, -errno, "open host memory %s of ctnic-sim %s: %s",
				     mpath, s->path, strerror(errno));
	if (fstat(fd, &st) < 0 || (unsigned long long)st.st_size < size) {
		close(fd);
		return ctnic_dev_err(dev, -EPROTO, "host memory %s of ctnic-sim %s is smaller than the %llu bytes announced",
				     mpath, s->path, size);
	}
	s->mem = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	rc = -errno;
	close(fd);
	if (s->mem == MAP_FAILED) {
		s->mem = NULL;
		return ctnic_dev_err(dev, rc, "mmap of host memory %s (%llu bytes) of ctnic-sim %s: %s",
				     mpath, size, s->path, strerror(-rc));
	}
	s->mem_len = (size_t)size;
	return 0;
}

static void sim_close(struct ctnic_dev *dev)
{
	struct sim *s = dev->priv;

	if (!s)
		return;
	if (s->ev_running) {
		/* Wakes the reader out of recv(); it exits on end of stream. */
		shutdown(s->ev_fd, SHUT_RDWR);
		pthread_join(s->ev_thread, NULL);
	}
	if (s->ev_fd >= 0)
		close(s->ev_fd);
	for (int i = 0; i < CTNIC_SIM_IRQ_VECTORS; i++)
		if (s->irq_efd[i] >= 0)
			close(s->irq_efd[i]);
	if (s->mem)
		munmap(s->mem, s->mem_len);
	if (s->fd >= 0)
		close(s->fd);
	pthread_mutex_destroy(&s->ev_lock);
	pthread_cond_destroy(&s->ev_cond);
	free(s);
	dev->priv = NULL;
}

static int sim_open(struct ctnic_dev *dev, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sim *s;
	int rc;

	if (!*path)
		return ctnic_dev_err(dev, -EINVAL, "ctnic_open %s: no socket path after 'sim:': give sim:PATH, the --socket of ctnic-sim",
				     dev->uri);
	if (strlen(path) >= sizeof(sa.sun_path))
		return ctnic_dev_err(dev, -ENAMETOOLONG, "ctnic_open sim:%.40s...: socket path is %zu bytes, UNIX sockets take at most %zu: use a shorter path",
				     path, strlen(path), sizeof(sa.sun_path) - 1);
	if (!(s = calloc(1, sizeof(*s))))
		return ctnic_dev_err(dev, -ENOMEM, "ctnic_open %s: out of memory", dev->uri);
	dev->priv = s;
	s->ev_fd = -1;
	pthread_mutex_init(&s->ev_lock, NULL);
	pthread_cond_init(&s->ev_cond, NULL);
	for (int i = 0; i < CTNIC_SIM_IRQ_VECTORS; i++)
		s->irq_efd[i] = -1;
	snprintf(s->path, sizeof(s->path), "%s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		rc = ctnic_dev_err(dev, -errno, "socket(AF_UNIX) for %s: %s", dev->uri, strerror(errno));
		goto fail;
	}
	if (connect(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = ctnic_dev_err(dev, -errno, "connect to ctnic-sim socket %s: %s: start ctnic-sim --socket %s first",
				   path, strerror(errno), path);
		goto fail;
	}
	if ((rc = sim_hello(dev)) < 0)
		goto fail;
	return 0;
fail:
	sim_close(dev);
	return rc;
}

static int parse_ok_value(struct ctnic_dev *dev, const char *what, uint32_t off, const char *ans, uint32_t *val)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(ans, &end, 0);
	if (errno || end == ans || *end || v > UINT32_MAX)
		return ctnic_dev_err(dev, -EPROTO, "%s 0x%04x on %s: answer 'OK %.32s' is not a 32-bit value",
				     what, off, dev->uri, ans);
	*val = (uint32_t)v;
	return 0;
}

static int sim_csr_read(struct ctnic_dev *dev, uint32_t off, uint32_t *val)
{
	char req[32], ans[CTNIC_SIM_LINE_MAX], what[32];
	int rc;

	snprintf(req, sizeof(req), "R 0x%04x\n", off);
	snprintf(what, sizeof(what), "CSR read 0x%04x", off);
	if ((rc = transact(dev, what, req, ans, sizeof(ans))) < 0)
		return rc;
	return parse_ok_value(dev, "CSR read", off, ans, val);
}

static int sim_csr_write(struct ctnic_dev *dev, uint32_t off, uint32_t val)
{
	char req[48], ans[CTNIC_SIM_LINE_MAX], what[32];

	snprintf(req, sizeof(req), "W 0x%04x 0x%08" PRIx32 "\n", off, val);
	snprintf(what, sizeof(what), "CSR write 0x%04x", off);
	return transact(dev, what, req, ans, sizeof(ans));
}

static int sim_host_mem(struct ctnic_dev *dev, void **base, size_t *len, uint64_t *dev_addr)
{
	struct sim *s = dev->priv;

	*base = s->mem;
	*len = s->mem_len;
	*dev_addr = 0; /* the card's AXI4 master addresses the file from offset 0 */
	return 0;
}

/*
 * RESET (protocol 2): ctnic-sim pulses rst on the RTL; host memory (the
 * shared file) stays. Interrupts counted before the answer are drained, as
 * the other backends do; an EV line still in flight may yet count one.
 */
static int sim_reset(struct ctnic_dev *dev)
{
	struct sim *s = dev->priv;
	char ans[CTNIC_SIM_LINE_MAX];
	int rc = transact(dev, "ctnic_reset (RESET)", "RESET\n", ans, sizeof(ans));

	for (int i = 0; rc == 0 && s->ev_running && i < CTNIC_SIM_IRQ_VECTORS; i++) {
		uint64_t stale;

		while (read(s->irq_efd[i], &stale, sizeof(stale)) == (ssize_t)sizeof(stale))
			;
	}
	return rc;
}

/* The event connection's reader: "EV irq <i>" adds one to eventfd i; other lines are not for it. */
static void *ev_reader(void *arg)
{
	struct sim *s = arg;
	char buf[CTNIC_SIM_LINE_MAX * 4];
	size_t len = 0;

	for (;;) {
		char *nl = memchr(buf, '\n', len);

		if (!nl) {
			ssize_t n;

			if (len == sizeof(buf))
				len = 0; /* a line this long is nothing we know: drop it */
			n = recv(s->ev_fd, buf + len, sizeof(buf) - len, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				pthread_mutex_lock(&s->ev_lock);
				s->ev_gone = 1;
				pthread_cond_broadcast(&s->ev_cond);
				pthread_mutex_unlock(&s->ev_lock);
				return NULL;
			}
			len += (size_t)n;
			continue;
		}
		*nl = '\0';
		unsigned v;
		unsigned long long seq = 0;
		int used = 0;
		if ((sscanf(buf, "EV irq %u%n %llu%n", &v, &used, &seq, &used) >= 1) && buf[used] == '\0' &&
		    v < CTNIC_SIM_IRQ_VECTORS) {
			uint64_t one = 1;

			if (write(s->irq_efd[v], &one, sizeof(one)) < 0) {
				/* The count is saturated: the fd is readable anyway. */
			}
		}
		if (seq) {
			pthread_mutex_lock(&s->ev_lock);
			s->ev_done = seq;
			pthread_cond_broadcast(&s->ev_cond);
			pthread_mutex_unlock(&s->ev_lock);
		}
		len -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, len);
	}
}

/* Opens the event connection and starts its reader (once per device). */
static int start_events(struct ctnic_dev *dev)
{
	struct sim *s = dev->priv;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char hello[32];
	int rc;

	for (int i = 0; i < CTNIC_SIM_IRQ_VECTORS; i++) {
		s->irq_efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (s->irq_efd[i] < 0)
			return ctnic_dev_err(dev, -errno, "eventfd for interrupt vector %d of %s: %s", i, dev->uri,
					     strerror(errno));
	}
	memcpy(sa.sun_path, s->path, strlen(s->path) + 1);
	s->ev_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->ev_fd < 0 || connect(s->ev_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return ctnic_dev_err(dev, -errno, "connect the interrupt connection to ctnic-sim %s: %s",
				     s->path, strerror(errno));
	/* HELLO makes the simulator count this connection in for EV lines; its answer is skipped by the reader. */
	snprintf(hello, sizeof(hello), "HELLO %d\n", CTNIC_SIM_PROTO_VERSION);
	if (send(s->ev_fd, hello, strlen(hello), MSG_NOSIGNAL) != (ssize_t)strlen(hello))
		return ctnic_dev_err(dev, -EIO, "HELLO on the interrupt connection to ctnic-sim %s: %s",
				     s->path, strerror(errno));
	/*
	 * Its answer, read here a byte at a time (the EV lines after it are the
	 * reader's): " ev <n>" at its end names the last EV this connection
	 * will not get. Without it (an older simulator) answers do not wait.
	 */
	char ans[CTNIC_SIM_LINE_MAX];
	size_t alen = 0;
	for (;;) {
		struct pollfd p = { .fd = s->ev_fd, .events = POLLIN };
		ssize_t n;

		if (alen + 1 >= sizeof(ans) || poll(&p, 1, SIM_TIMEOUT_MS) <= 0 ||
		    (n = recv(s->ev_fd, ans + alen, 1, 0)) <= 0)
			return ctnic_dev_err(dev, -EPROTO, "HELLO on the interrupt connection to ctnic-sim %s: no answer line",
					     s->path);
		if (ans[alen] == '\n')
			break;
		alen++;
	}
	ans[alen] = '\0';
	const char *ev = strstr(ans, " ev ");
	unsigned long long base;
	int sync = !strncmp(ans, "OK ", 3) && ev && sscanf(ev, " ev %llu", &base) == 1;
	if (sync)
		s->ev_base = s->ev_done = s->req_seq = base;
	/*
	 * The reader takes no signals (it inherits this mask): they stay with the
	 * application's threads, so a daemon that blocks SIGTERM for its signalfd
	 * is not killed by one delivered to the reader.
	 */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->ev_thread, NULL, ev_reader, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return ctnic_dev_err(dev, -rc, "thread for the interrupts of %s: %s", dev->uri, strerror(rc));
	s->ev_running = 1;
	s->ev_sync = sync;
	return 0;
}

static int sim_irq_fd(struct ctnic_dev *dev, unsigned vector, int *fd)
{
	struct sim *s = dev->priv;
	int rc;

	if (vector >= CTNIC_SIM_IRQ_VECTORS)
		return ctnic_dev_err(dev, -EINVAL, "interrupt vector %u of %s: ctnic-sim has vectors 0..%d",
				     vector, dev->uri, CTNIC_SIM_IRQ_VECTORS - 1);
	if (!s->ev_running && (rc = start_events(dev)) < 0)
		return rc;
	*fd = s->irq_efd[vector];
	return 0;
}

/* ---- sim: only calls (ctnic_sim.h) ------------------------------------------------ */

static int sim_of(struct ctnic_dev *dev, const char *what)
{
	if (dev->ops != &ctnic_backend_sim)
		return ctnic_dev_err(dev, -ENOTSUP, "%s on %s: only sim: devices (ctnic-sim) take frames and run cycles on request",
				     what, dev->uri);
	return 0;
}

/* An answer "cycle <n>" (after OK) into *cycle. */
static int parse_cycle(struct ctnic_dev *dev, const char *what, const char *ans, uint64_t *cycle)
{
	unsigned long long v;
	int used = 0;

	if (sscanf(ans, "cycle %llu%n", &v, &used) != 1 || ans[used] != '\0')
		return ctnic_dev_err(dev, -EPROTO, "%s on %s: answer 'OK %.64s' is not 'OK cycle <n>'", what, dev->uri,
				     ans);
	if (cycle)
		*cycle = v;
	return 0;
}

int ctnic_sim_port_rx(struct ctnic_dev *dev, unsigned port, const void *frame, size_t len, uint64_t *cycle)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *f = frame;
	char ans[CTNIC_SIM_LINE_MAX], *req, *p;
	int rc;

	if ((rc = sim_of(dev, "ctnic_sim_port_rx")) < 0)
		return rc;
	if (len < CTNIC_SIM_FRAME_MIN || len > CTNIC_SIM_FRAME_MAX || !frame)
		return ctnic_dev_err(dev, -EINVAL, "ctnic_sim_port_rx on %s: a frame of %zu bytes: give %d..%d bytes",
				     dev->uri, len, CTNIC_SIM_FRAME_MIN, CTNIC_SIM_FRAME_MAX);
	if (!(req = malloc(32 + 2 * len)))
		return ctnic_dev_err(dev, -ENOMEM, "ctnic_sim_port_rx on %s: out of memory", dev->uri);
	p = req + sprintf(req, "FEED %u ", port);
	for (size_t i = 0; i < len; i++) {
		*p++ = hex[f[i] >> 4];
		*p++ = hex[f[i] & 15];
	}
	*p++ = '\n';
	*p = '\0';
	rc = transact(dev, "ctnic_sim_port_rx (FEED)", req, ans, sizeof(ans));
	free(req);
	if (rc == -EIO && !strcmp(((struct sim *)dev->priv)->err_code, CTNIC_SIM_ERR_RANGE))
		rc = -EINVAL; /* the port: ctnic-sim knows how many the card has */
	return rc < 0 ? rc : parse_cycle(dev, "ctnic_sim_port_rx (FEED)", ans, cycle);
}

int ctnic_sim_run(struct ctnic_dev *dev, uint64_t cycles, uint64_t *cycle)
{
	char req[48], ans[CTNIC_SIM_LINE_MAX];
	int rc;

	if ((rc = sim_of(dev, "ctnic_sim_run")) < 0)
		return rc;
	if (cycles > CTNIC_SIM_RUN_MAX)
		return ctnic_dev_err(dev, -EINVAL, "ctnic_sim_run on %s: %" PRIu64 " cycles: at most %" PRIu64
				     " in one call (move long gaps of device time with TICK_ADVANCE)",
				     dev->uri, cycles, CTNIC_SIM_RUN_MAX);
	snprintf(req, sizeof(req), "RUN %" PRIu64 "\n", cycles);
	if ((rc = transact(dev, "ctnic_sim_run (RUN)", req, ans, sizeof(ans))) < 0)
		return rc;
	return parse_cycle(dev, "ctnic_sim_run (RUN)", ans, cycle);
}

int ctnic_sim_status(struct ctnic_dev *dev, uint64_t *cycle)
{
	char ans[CTNIC_SIM_LINE_MAX];
	unsigned long long v;
	int rc;

	if ((rc = sim_of(dev, "ctnic_sim_status")) < 0)
		return rc;
	if ((rc = transact(dev, "ctnic_sim_status (STATUS)", "STATUS\n", ans, sizeof(ans))) < 0)
		return rc;
	if (sscanf(ans, "cycle %llu ", &v) != 1)
		return ctnic_dev_err(dev, -EPROTO, "ctnic_sim_status (STATUS) on %s: answer 'OK %.64s' does not start with 'cycle <n>'",
				     dev->uri, ans);
	if (cycle)
		*cycle = v;
	return 0;
}

const struct ctnic_backend_ops ctnic_backend_sim = {
	.scheme = "sim",
	.usage = "sim:PATH",
	.open = sim_open,
	.close = sim_close,
	.csr_read = sim_csr_read,
	.csr_write = sim_csr_write,
	.host_mem = sim_host_mem,
	.irq_fd = sim_irq_fd,
	.reset = sim_reset,
};
