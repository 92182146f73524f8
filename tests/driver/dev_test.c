/*
 * dev_test - libctnic's device API and its sim backend, against a fake
 * ctnic-sim (a thread speaking the protocol of sim_proto.h, told how to
 * misbehave): URIs refused with messages that say what to do, CSR access,
 * the table window, host memory, and every way the simulator can answer
 * badly. The real simulator's side is tests/system/sim_proto_test.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctnic.h"
#include "ctnic_ring.h"
#include "ctnic_sim.h"
#include "sim_proto.h"

enum fake_mode {
	FAKE_GOOD,        /* answers like ctnic-sim, with a notification before every read answer */
	FAKE_ERR,         /* answers R and W with ERR bus */
	FAKE_GARBAGE,     /* answers R, RUN and STATUS with lines that are no answer */
	FAKE_HANGUP,      /* closes the connection after HELLO */
	FAKE_OLD_VERSION, /* HELLO answer of another protocol version */
	FAKE_IRQ,         /* rings interrupt vector 2 twice on the second connection */
	FAKE_SEQ,         /* protocol 3's numbered EV lines: R raises vector 1, told late on the second connection */
};

struct fake {
	enum fake_mode mode;
	char dir[64], sock[96], mem[96];
	int lfd;
	pthread_t thread;
	uint32_t regs[CTNIC_BAR0_SIZE / 4];
	unsigned requests; /* lines after HELLO */
	int ev_conn;       /* the second connection (FAKE_SEQ) */
	uint64_t cycle;    /* moved by RUN, as ctnic-sim's clock */
	uint8_t fed[CTNIC_SIM_FEED_FRAME_MAX]; /* the last frame FEED brought, and its port */
	size_t fed_len;
	unsigned fed_port;
	volatile int stop;
};

static void answer(int fd, const char *fmt, ...)
{
	char buf[CTNIC_SIM_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (send(fd, buf, strlen(buf), MSG_NOSIGNAL) < 0)
		return;
}

/* Answers one request line of a client; false: hang up on it. */
static int fake_line(struct fake *f, int fd, char *line, int *hellos)
{
	unsigned off, val;

	if (!strncmp(line, "HELLO ", 6)) {
		answer(fd, "OK ctnic-sim %d mem %s 8192%s\n",
		       f->mode == FAKE_OLD_VERSION ? 99 : CTNIC_SIM_PROTO_VERSION, f->mem,
		       f->mode == FAKE_SEQ ? " ev 0" : "");
		if (f->mode == FAKE_SEQ && ++*hellos == 2)
			f->ev_conn = fd;
		/* The second connection is libctnic's interrupt line: ring it. */
		if (f->mode == FAKE_IRQ && ++*hellos == 2)
			answer(fd, "EV irq 2\nEV irq 99\nEV news\nEV irq 2\n");
		return f->mode != FAKE_HANGUP;
	}
	f->requests++;
	if (f->mode == FAKE_ERR) {
		answer(fd, "ERR bus no AXI4-Lite response to read 0x0000: the RTL is hung\n");
	} else if (!strcmp(line, "RESET")) {
		/* Before R, whose sscanf would read "RESET" as R 0xe. As ctnic-sim: registers to reset values. */
		memset(f->regs, 0, sizeof(f->regs));
		f->regs[CTNIC_REG_ID / 4] = CTNIC_REG_ID_RESET;
		f->regs[CTNIC_REG_VERSION / 4] = CTNIC_REG_VERSION_RESET;
		answer(fd, "EV irq 1\nOK\n");
	} else if (!strncmp(line, "FEED ", 5)) {
		char *hex;
		unsigned port = (unsigned)strtoul(line + 5, &hex, 10);
		size_t n = strlen(++hex) / 2;

		if (port > 1) {
			answer(fd, "ERR range port %u does not exist: the card has ports 0..1\n", port);
			return 1;
		}
		for (size_t i = 0; i < n && i < sizeof(f->fed); i++)
			sscanf(hex + 2 * i, "%2hhx", &f->fed[i]);
		f->fed_len = n;
		f->fed_port = port;
		answer(fd, "EV irq 0\nOK cycle %llu\n", (unsigned long long)f->cycle);
	} else if (!strncmp(line, "RUN ", 4)) {
		f->cycle += strtoull(line + 4, NULL, 0);
		answer(fd, f->mode == FAKE_GARBAGE ? "OK cycle %llu and more\n" : "OK cycle %llu\n",
		       (unsigned long long)f->cycle);
	} else if (!strcmp(line, "STATUS")) {
		if (f->mode == FAKE_GARBAGE)
			answer(fd, "OK inputs 0 busy 0\n");
		else
			answer(fd, "OK cycle %llu inputs 0 busy 0 rx_enable 0\n", (unsigned long long)f->cycle);
	} else if (f->mode == FAKE_SEQ && sscanf(line, "R %x", &off) == 1) {
		/* The interrupt before the answer on this connection, 300 ms later on the other. */
		answer(fd, "EV irq 1 1\nOK 0x%08x\n", f->regs[off / 4]);
		usleep(300000);
		answer(f->ev_conn, "EV irq 1 1\n");
	} else if (sscanf(line, "R %x", &off) == 1) {
		if (f->mode == FAKE_GARBAGE)
			answer(fd, "HELLO THERE\n");
		else
			answer(fd, "EV irq 0\nOK 0x%08x\n", f->regs[off / 4]);
	} else if (sscanf(line, "W %x %x", &off, &val) == 2) {
		f->regs[off / 4] = val;
		answer(fd, "OK\n");
	} else {
		answer(fd, "ERR syntax what\n");
	}
	return 1;
}

/* Serves up to 4 connections at once until fake_stop. */
static void *fake_main(void *arg)
{
	struct fake *f = arg;
	struct {
		int fd;
		char buf[CTNIC_SIM_FEED_LINE_MAX + CTNIC_SIM_LINE_MAX];
		size_t len;
	} c[4];
	int nc = 0, hellos = 0;

	while (!f->stop || nc) {
		struct pollfd p[5] = { { .fd = f->lfd, .events = POLLIN } };

		for (int i = 0; i < nc; i++)
			p[1 + i] = (struct pollfd){ .fd = c[i].fd, .events = POLLIN };
		if (poll(p, (nfds_t)(1 + nc), 100) < 0)
			break;
		if ((p[0].revents & POLLIN) && nc < 4) {
			c[nc].fd = accept(f->lfd, NULL, NULL);
			c[nc].len = 0;
			nc += c[nc].fd >= 0;
		}
		for (int i = nc - 1; i >= 0; i--) {
			ssize_t n;
			char *nl;
			int keep = 1;

			if (!p[1 + i].revents)
				continue;
			n = recv(c[i].fd, c[i].buf + c[i].len, sizeof(c[i].buf) - c[i].len, 0);
			if (n <= 0)
				keep = 0;
			else
				c[i].len += (size_t)n;
			while (keep && (nl = memchr(c[i].buf, '\n', c[i].len))) {
				*nl = '\0';
				keep = fake_line(f, c[i].fd, c[i].buf, &hellos);
				c[i].len -= (size_t)(nl + 1 - c[i].buf);
				memmove(c[i].buf, nl + 1, c[i].len);
			}
			if (!keep) {
				close(c[i].fd);
				c[i] = c[--nc];
			}
		}
	}
	for (int i = 0; i < nc; i++)
		close(c[i].fd);
	return NULL;
}

static struct fake *fake_start(enum fake_mode mode)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int mfd;

	assert_non_null(f);
	f->mode = mode;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ctnic-devt-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sock, sizeof(f->sock), "%s/sim.sock", f->dir);
	snprintf(f->mem, sizeof(f->mem), "%s/sim.mem", f->dir);
	mfd = open(f->mem, O_RDWR | O_CREAT, 0600);
	assert_true(mfd >= 0 && ftruncate(mfd, 8192) == 0);
	close(mfd);
	f->regs[CTNIC_REG_ID / 4] = CTNIC_REG_ID_RESET;
	f->regs[CTNIC_REG_VERSION / 4] = CTNIC_REG_VERSION_RESET;
	f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->sock);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 1), 0);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
	return f;
}

static void fake_stop(struct fake *f)
{
	f->stop = 1;
	pthread_join(f->thread, NULL);
	close(f->lfd);
	unlink(f->sock);
	unlink(f->mem);
	rmdir(f->dir);
	free(f);
}

static struct ctnic_dev *open_fake(struct fake *f)
{
	struct ctnic_dev *dev;
	char uri[128], err[CTNIC_ERR_LEN];

	snprintf(uri, sizeof(uri), "sim:%s", f->sock);
	assert_int_equal(ctnic_open(&dev, uri, err, sizeof(err)), 0);
	return dev;
}

static void expect_open_fails(const char *uri, int code, const char *needle1, const char *needle2)
{
	struct ctnic_dev *dev = (struct ctnic_dev *)1;
	char err[CTNIC_ERR_LEN] = "";

	assert_int_equal(ctnic_open(&dev, uri, err, sizeof(err)), code);
	assert_null(dev);
	print_message("# %s -> %s\n", uri, err);
	assert_non_null(strstr(err, needle1));
	assert_non_null(strstr(err, needle2));
}

static void test_empty_uri_is_refused_with_the_schemes_to_use(void **state)
{
	(void)state;
	expect_open_fails("", -EINVAL, "empty device URI", "sim:PATH");
}

static void test_uri_without_scheme_is_refused(void **state)
{
	(void)state;
	expect_open_fails("/tmp/sim.sock", -EINVAL, "has no scheme", "sim:PATH");
}

static void test_unknown_scheme_is_refused_by_name(void **state)
{
	(void)state;
	expect_open_fails("tap:eth0", -EINVAL, "unknown scheme 'tap'", "sim:PATH");
}

static void test_sim_uri_without_path_is_refused(void **state)
{
	(void)state;
	expect_open_fails("sim:", -EINVAL, "no socket path", "sim:PATH");
}

static void test_sim_path_longer_than_a_unix_socket_takes_is_refused(void **state)
{
	char uri[200];

	(void)state;
	memset(uri, 'a', sizeof(uri) - 1);
	uri[sizeof(uri) - 1] = '\0';
	memcpy(uri, "sim:/", 5);
	expect_open_fails(uri, -ENAMETOOLONG, "socket path is", "use a shorter path");
}

static void test_missing_simulator_says_to_start_it(void **state)
{
	(void)state;
	expect_open_fails("sim:/nonexistent/ctnic-sim.sock", -ENOENT, "/nonexistent/ctnic-sim.sock",
			  "start ctnic-sim");
}

static void test_hello_of_another_protocol_version_is_refused(void **state)
{
	struct fake *f = fake_start(FAKE_OLD_VERSION);
	char uri[128], err[CTNIC_ERR_LEN];
	struct ctnic_dev *dev;

	(void)state;
	snprintf(uri, sizeof(uri), "sim:%s", f->sock);
	assert_int_equal(ctnic_open(&dev, uri, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "not ctnic-sim protocol"));
	fake_stop(f);
}

static void test_csr_write_then_read_skips_notifications(void **state)
{
	struct fake *f = fake_start(FAKE_GOOD);
	struct ctnic_dev *dev = open_fake(f);
	uint32_t v = 0;

	(void)state;
	assert_int_equal(ctnic_csr_write(dev, CTNIC_REG_SCRATCH, 0xdeadbeef), 0);
	assert_int_equal(ctnic_csr_read(dev, CTNIC_REG_SCRATCH, &v), 0);
	assert_int_equal(v, 0xdeadbeef);
	assert_int_equal(ctnic_csr_read(dev, CTNIC_REG_ID, &v), 0);
	assert_int_equal(v, CTNIC_REG_ID_RESET);
	ctnic_close(dev);
	fake_stop(f);
}

static void test_unaligned_or_outside_bar0_offsets_never_reach_the_card(void **state)
{
	struct fake *f = fake_start(FAKE_GOOD);
	struct ctnic_dev *dev = open_fake(f);
	uint32_t v;

	(void)state;
	assert_int_equal(ctnic_csr_read(dev, 0x2, &v), -EINVAL);
	assert_non_null(strstr(ctnic_last_error(dev), "not an aligned BAR0 offset"));
	assert_int_equal(ctnic_csr_write(dev, CTNIC_BAR0_SIZE, 1), -EINVAL);
	/* A request sent would have been answered (and counted) before the call returned. */
	assert_int_equal(f->requests, 0);
	ctnic_close(dev);
	fake_stop(f);
}

static void test_simulator_error_answer_becomes_an_error_with_its_reason(void **state)
{
	struct fake *f = fake_start(FAKE_ERR);
	struct ctnic_dev *dev = open_fake(f);
	uint32_t v;

	(void)state;
	assert_int_equal(ctnic_csr_read(dev, CTNIC_REG_ID, &v), -EIO);
	assert_non_null(strstr(ctnic_last_error(dev), "ctnic-sim refused: bus no AXI4-Lite response"));
	ctnic_close(dev);
	fake_stop(f);
}

static void test_answer_that_is_not_the_protocol_is_a_protocol_error(void **state)
{
	struct fake *f = fake_start(FAKE_GARBAGE);
	struct ctnic_dev *dev = open_fake(f);
	uint32_t v;

	(void)state;
	assert_int_equal(ctnic_csr_read(dev, CTNIC_REG_ID, &v), -EPROTO);
	assert_non_null(strstr(ctnic_last_error(dev), "unexpected answer 'HELLO THERE'"));
	ctnic_close(dev);
	fake_stop(f);
}

static void test_simulator_exit_is_reported_not_hung_on(void **state)
{
	struct fake *f = fake_start(FAKE_HANGUP);
	struct ctnic_dev *dev = open_fake(f);
	uint32_t v;

	(void)state;
	assert_int_equal(ctnic_csr_read(dev, CTNIC_REG_ID, &v), -ECONNRESET);
	assert_non_null(strstr(ctnic_last_error(dev), "the simulator exited"));
	ctnic_close(dev);
	fake_stop(f);
}

static void test_host_memory_is_the_simulator_file_shared(void **state)
{
	struct fake *f = fake_start(FAKE_GOOD);
	struct ctnic_dev *dev = open_fake(f);
	uint8_t byte = 0;
	uint64_t dev_addr = 1;
	size_t len = 0;
	void *base = NULL;
	int fd;

	(void)state;
	assert_int_equal(ctnic_host_mem(dev, &base, &len, &dev_addr), 0);
	assert_int_equal(len, 8192);
	assert_int_equal(dev_addr, 0);
	((uint8_t *)base)[4097] = 0xa5;
	fd = open(f->mem, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &byte, 1, 4097), 1);
	close(fd);
	assert_int_equal(byte, 0xa5);
	ctnic_close(dev);
	fake_stop(f);
}

static void test_table_error_bit_fails_the_operation(void **state)
{
	struct fake *f = fake_start(FAKE_GOOD);
	struct ctnic_dev *dev = open_fake(f);
	struct ctnic_key_entry e = { .valid = true, .flow_id = 3, .key = { .saddr = 0xc0000201, .proto = 6 } };

	(void)state;
	f->regs[CTNIC_REG_TBL_STATUS / 4] = CTNIC_TBL_STATUS_ERROR_MASK;
	assert_int_equal(ctnic_key_write(dev, 9999, &e), -EIO);
	assert_non_null(strstr(ctnic_last_error(dev), "key_write of entry 9999"));
	assert_non_null(strstr(ctnic_last_error(dev), "refused by the card"));
	ctnic_close(dev);
	fake_stop(f);
}

static void test_key_write_fills_the_window_with_packed_words_then_commands(void **state)
{
	struct fake *f = fake_start(FAKE_GOOD);
	struct ctnic_dev *dev = open_fake(f);
	struct ctnic_key_entry e = { .valid = true, .reply = true, .flow_id = 77,
				     .key = { 0xc6336407, 0xcb00710a, 40000, 80, 6 } };
	uint32_t w[CTNIC_KEY_WORDS];

	(void)state;
	assert_int_equal(ctnic_key_write(dev, 42, &e), 0);
	ctnic_key_entry_pack(&e, w);
	for (unsigned i = 0; i < CTNIC_KEY_WORDS; i++)
		assert_int_equal(f->regs[CTNIC_REG_TBL_DATA(i) / 4], w[i]);
	assert_int_equal(f->regs[CTNIC_REG_TBL_INDEX / 4], 42);
	assert_int_equal(f->regs[CTNIC_REG_TBL_CMD / 4], CTNIC_TBL_OP_KEY_WRITE);
	ctnic_close(dev);
	fake_stop(f);
}

static void test_dev_info_refuses_a_device_that_is_not_ctnic(void **state)
{
	struct fake *f = fake_start(FAKE_GOOD);
	struct ctnic_dev *dev = open_fake(f);
	struct ctnic_dev_info info;

	(void)state;
	f->regs[CTNIC_REG_ID / 4] = 0x12345678;
	assert_int_equal(ctnic_dev_info(dev, &info), -ENODEV);
	assert_non_null(strstr(ctnic_last_error(dev), "reads 0x12345678"));
	ctnic_close(dev);
	fake_stop(f);
}

static void test_interrupt_lines_make_the_vector_fd_readable(void **state)
{
	struct fake *f = fake_start(FAKE_IRQ);
	struct ctnic_dev *dev = open_fake(f);
	struct pollfd p = { .events = POLLIN };
	uint64_t count = 0;
	int fd2, fd1;

	(void)state;
	assert_int_equal(ctnic_irq_fd(dev, 8, &fd2), -EINVAL);
	assert_int_equal(ctnic_irq_fd(dev, 2, &fd2), 0);
	assert_int_equal(ctnic_irq_fd(dev, 1, &fd1), 0);
	/* Both lines for vector 2 count, in one read or two; the others do not. */
	uint64_t total = 0;
	p.fd = fd2;
	while (total < 2 && poll(&p, 1, 5000) == 1 && read(fd2, &count, sizeof(count)) == sizeof(count))
		total += count;
	assert_int_equal(total, 2);
	assert_int_equal(poll(&p, 1, 200), 0);
	p.fd = fd1;
	assert_int_equal(poll(&p, 1, 0), 0);
	/* Requests still work beside the interrupt connection. */
	uint32_t v;
	assert_int_equal(ctnic_csr_read(dev, CTNIC_REG_ID, &v), 0);
	assert_int_equal(v, CTNIC_REG_ID_RESET);
	ctnic_close(dev);
	fake_stop(f);
}

static void test_reset_is_one_request_and_the_registers_read_their_reset_values(void **state)
{
	struct fake *f = fake_start(FAKE_GOOD);
	struct ctnic_dev *dev = open_fake(f);
	uint32_t v = 0;

	(void)state;
	assert_int_equal(ctnic_csr_write(dev, CTNIC_REG_SCRATCH, 0x1234), 0);
	unsigned before = f->requests;
	assert_int_equal(ctnic_reset(dev), 0);
	assert_int_equal(f->requests, before + 1);
	assert_int_equal(ctnic_csr_read(dev, CTNIC_REG_SCRATCH, &v), 0);
	assert_int_equal(v, CTNIC_REG_SCRATCH_RESET);
	assert_int_equal(ctnic_csr_read(dev, CTNIC_REG_ID, &v), 0);
	assert_int_equal(v, CTNIC_REG_ID_RESET);
	ctnic_close(dev);
	fake_stop(f);
}

static void test_reset_refused_by_the_simulator_says_why(void **state)
{
	struct fake *f = fake_start(FAKE_ERR);
	struct ctnic_dev *dev = open_fake(f);

	(void)state;
	assert_int_equal(ctnic_reset(dev), -EIO);
	print_message("# %s\n", ctnic_last_error(dev));
	assert_non_null(strstr(ctnic_last_error(dev), "ctnic_reset"));
	assert_non_null(strstr(ctnic_last_error(dev), "ctnic-sim refused"));
	ctnic_close(dev);
	fake_stop(f);
}

static void test_an_answer_waits_until_the_interrupts_before_it_are_counted(void **state)
{
	struct fake *f = fake_start(FAKE_SEQ);
	struct ctnic_dev *dev = open_fake(f);
	struct pollfd p = { .events = POLLIN };
	uint32_t v;

	(void)state;
	assert_int_equal(ctnic_irq_fd(dev, 1, &p.fd), 0);
	assert_int_equal(ctnic_csr_read(dev, CTNIC_REG_ID, &v), 0);
	assert_int_equal(v, CTNIC_REG_ID_RESET);
	/* The EV line numbered 1 came before the answer: its count is there when the read returns. */
	assert_int_equal(poll(&p, 1, 0), 1);
	ctnic_close(dev);
	fake_stop(f);
}

/* ---- sim: only calls (ctnic_sim.h) ---- */

static void test_sim_port_rx_sends_the_frame_and_returns_the_cycle_it_was_queued(void **state)
{
	struct fake *f = fake_start(FAKE_GOOD);
	struct ctnic_dev *dev = open_fake(f);
	static uint8_t frame[CTNIC_SIM_FRAME_MAX];
	uint64_t cycle = 1;

	(void)state;
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 13 + 5);
	f->cycle = 777;
	assert_int_equal(ctnic_sim_port_rx(dev, 1, frame, 60, &cycle), 0);
	assert_int_equal(cycle, 777);
	assert_int_equal(f->fed_port, 1);
	assert_int_equal(f->fed_len, 60);
	assert_memory_equal(f->fed, frame, 60);
	/* The longest frame fits its line; a NULL cycle is allowed. */
	assert_int_equal(ctnic_sim_port_rx(dev, 0, frame, sizeof(frame), NULL), 0);
	assert_int_equal(f->fed_port, 0);
	assert_int_equal(f->fed_len, sizeof(frame));
	assert_memory_equal(f->fed, frame, sizeof(frame));
	ctnic_close(dev);
	fake_stop(f);
}

static void test_sim_port_rx_refuses_lengths_and_ports_the_card_cannot_take(void **state)
{
	struct fake *f = fake_start(FAKE_GOOD);
	struct ctnic_dev *dev = open_fake(f);
	static uint8_t frame[CTNIC_SIM_FRAME_MAX + 1];

	(void)state;
	assert_int_equal(ctnic_sim_port_rx(dev, 0, frame, CTNIC_SIM_FRAME_MIN - 1, NULL), -EINVAL);
	assert_non_null(strstr(ctnic_last_error(dev), "a frame of 0 bytes: give 1..9216"));
	assert_int_equal(ctnic_sim_port_rx(dev, 0, frame, sizeof(frame), NULL), -EINVAL);
	assert_int_equal(ctnic_sim_port_rx(dev, 0, NULL, 60, NULL), -EINVAL);
	assert_int_equal(f->requests, 0); /* refused here, never sent */
	/* The port: the simulator knows how many the card has. */
	assert_int_equal(ctnic_sim_port_rx(dev, 2, frame, 60, NULL), -EINVAL);
	print_message("# %s\n", ctnic_last_error(dev));
	assert_non_null(strstr(ctnic_last_error(dev), "port 2 does not exist"));
	assert_int_equal(f->requests, 1);
	ctnic_close(dev);
	fake_stop(f);
}

static void test_sim_run_and_status_return_the_cycle(void **state)
{
	struct fake *f = fake_start(FAKE_GOOD);
	struct ctnic_dev *dev = open_fake(f);
	uint64_t cycle = 0;

	(void)state;
	f->cycle = 50;
	assert_int_equal(ctnic_sim_run(dev, 1000, &cycle), 0);
	assert_int_equal(cycle, 1050);
	assert_int_equal(ctnic_sim_run(dev, CTNIC_SIM_RUN_MAX, &cycle), 0);
	assert_int_equal(cycle, 1050 + CTNIC_SIM_RUN_MAX);
	cycle = 0;
	assert_int_equal(ctnic_sim_status(dev, &cycle), 0);
	assert_int_equal(cycle, 1050 + CTNIC_SIM_RUN_MAX);
	assert_int_equal(ctnic_sim_status(dev, NULL), 0);
	unsigned before = f->requests;
	assert_int_equal(ctnic_sim_run(dev, CTNIC_SIM_RUN_MAX + 1, &cycle), -EINVAL);
	assert_non_null(strstr(ctnic_last_error(dev), "TICK_ADVANCE"));
	assert_int_equal(f->requests, before);
	ctnic_close(dev);
	fake_stop(f);
}

static void test_sim_calls_report_refusals_and_bad_answers(void **state)
{
	struct fake *f = fake_start(FAKE_ERR), *g = fake_start(FAKE_GARBAGE);
	struct ctnic_dev *dev = open_fake(f), *gdev = open_fake(g);
	uint8_t frame[60] = { 0 };
	uint64_t cycle;

	(void)state;
	assert_int_equal(ctnic_sim_port_rx(dev, 0, frame, sizeof(frame), &cycle), -EIO);
	assert_non_null(strstr(ctnic_last_error(dev), "ctnic_sim_port_rx (FEED)"));
	assert_non_null(strstr(ctnic_last_error(dev), "ctnic-sim refused: bus"));
	assert_int_equal(ctnic_sim_run(dev, 10, &cycle), -EIO);
	assert_non_null(strstr(ctnic_last_error(dev), "ctnic_sim_run (RUN)"));
	assert_int_equal(ctnic_sim_status(dev, &cycle), -EIO);
	assert_int_equal(ctnic_sim_run(gdev, 10, &cycle), -EPROTO);
	assert_non_null(strstr(ctnic_last_error(gdev), "is not 'OK cycle <n>'"));
	assert_int_equal(ctnic_sim_status(gdev, &cycle), -EPROTO);
	assert_non_null(strstr(ctnic_last_error(gdev), "does not start with 'cycle <n>'"));
	ctnic_close(dev);
	ctnic_close(gdev);
	fake_stop(f);
	fake_stop(g);
}

static void test_sim_calls_on_other_devices_are_not_supported(void **state)
{
	struct ctnic_dev *dev;
	char err[CTNIC_ERR_LEN];
	uint8_t frame[60] = { 0 };

	(void)state;
	assert_int_equal(ctnic_open(&dev, "model:", err, sizeof(err)), 0);
	assert_int_equal(ctnic_sim_port_rx(dev, 0, frame, sizeof(frame), NULL), -ENOTSUP);
	assert_non_null(strstr(ctnic_last_error(dev), "ctnic_sim_port_rx on model:"));
	assert_non_null(strstr(ctnic_last_error(dev), "only sim: devices"));
	assert_int_equal(ctnic_sim_run(dev, 1, NULL), -ENOTSUP);
	assert_non_null(strstr(ctnic_last_error(dev), "ctnic_sim_run"));
	assert_int_equal(ctnic_sim_status(dev, NULL), -ENOTSUP);
	assert_non_null(strstr(ctnic_last_error(dev), "ctnic_sim_status"));
	ctnic_close(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_uri_is_refused_with_the_schemes_to_use),
		cmocka_unit_test(test_uri_without_scheme_is_refused),
		cmocka_unit_test(test_unknown_scheme_is_refused_by_name),
		cmocka_unit_test(test_sim_uri_without_path_is_refused),
		cmocka_unit_test(test_sim_path_longer_than_a_unix_socket_takes_is_refused),
		cmocka_unit_test(test_missing_simulator_says_to_start_it),
		cmocka_unit_test(test_hello_of_another_protocol_version_is_refused),
		cmocka_unit_test(test_csr_write_then_read_skips_notifications),
		cmocka_unit_test(test_unaligned_or_outside_bar0_offsets_never_reach_the_card),
		cmocka_unit_test(test_simulator_error_answer_becomes_an_error_with_its_reason),
		cmocka_unit_test(test_answer_that_is_not_the_protocol_is_a_protocol_error),
		cmocka_unit_test(test_simulator_exit_is_reported_not_hung_on),
		cmocka_unit_test(test_host_memory_is_the_simulator_file_shared),
		cmocka_unit_test(test_table_error_bit_fails_the_operation),
		cmocka_unit_test(test_key_write_fills_the_window_with_packed_words_then_commands),
		cmocka_unit_test(test_dev_info_refuses_a_device_that_is_not_ctnic),
		cmocka_unit_test(test_interrupt_lines_make_the_vector_fd_readable),
		cmocka_unit_test(test_reset_is_one_request_and_the_registers_read_their_reset_values),
		cmocka_unit_test(test_reset_refused_by_the_simulator_says_why),
		cmocka_unit_test(test_an_answer_waits_until_the_interrupts_before_it_are_counted),
		cmocka_unit_test(test_sim_port_rx_sends_the_frame_and_returns_the_cycle_it_was_queued),
		cmocka_unit_test(test_sim_port_rx_refuses_lengths_and_ports_the_card_cannot_take),
		cmocka_unit_test(test_sim_run_and_status_return_the_cycle),
		cmocka_unit_test(test_sim_calls_report_refusals_and_bad_answers),
		cmocka_unit_test(test_sim_calls_on_other_devices_are_not_supported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
