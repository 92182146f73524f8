/*
 * sim_hostram_test - ctnic-sim's host RAM and interrupt path, through libctnic's sim
 * backend, with the probe card of tests/system/probe (an AXI4 master and an
 * interrupt output driven by registers): the card's bursts land in the
 * shared-memory file the host maps, byte strobes are honoured, reads see
 * what the host wrote, addresses outside the file answer DECERR, and each
 * rising interrupt edge makes the vector's fd readable.
 *
 * usage: sim_hostram_test CTNIC-SIM-PROBE
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctnic.h"
#include "ctnic_ring.h"
#include "harness.h"

/* The probe's registers (tests/system/probe/ctnic_top.v). */
#define P_ADDR_LO 0x3000u
#define P_ADDR_HI 0x3004u
#define P_BEATS   0x3008u
#define P_CMD     0x300cu
#define P_STATUS  0x3010u
#define P_SUM     0x3014u
#define P_SEED    0x3018u
#define P_LAST    0x301cu
#define CMD_WRITE 1u
#define CMD_READ  2u
#define RESP_DECERR 3u
#define MEM_SIZE 65536u

static struct ctnic_dev *dev;
static uint8_t *mem;

/* Runs one probe burst; returns its worst AXI response (0..3), or -1 when the probe never finishes. */
static int burst(uint32_t cmd, uint64_t addr, unsigned beats, uint32_t seed, unsigned last_bytes)
{
	uint32_t st = 1;

	if (ctnic_csr_write(dev, P_ADDR_LO, (uint32_t)addr) < 0 || ctnic_csr_write(dev, P_ADDR_HI, (uint32_t)(addr >> 32)) < 0 ||
	    ctnic_csr_write(dev, P_BEATS, beats) < 0 || ctnic_csr_write(dev, P_SEED, seed) < 0 ||
	    ctnic_csr_write(dev, P_LAST, last_bytes) < 0 || ctnic_csr_write(dev, P_CMD, cmd) < 0)
		return -1;
	for (int i = 0; i < 10000 && (st & 1u); i++)
		if (ctnic_csr_read(dev, P_STATUS, &st) < 0)
			return -1;
	return st & 1u ? -1 : (int)(st >> 1 & 3u);
}

/* The probe's pattern, as bytes in host memory (little-endian words). */
static uint8_t pattern_byte(uint32_t seed, unsigned beat, unsigned byte)
{
	uint32_t w = seed + 16u * beat + byte / 4;

	return (uint8_t)(w >> (8 * (byte % 4)));
}

static int holds_pattern(uint64_t addr, unsigned beats, uint32_t seed, unsigned last_bytes)
{
	for (unsigned b = 0; b < beats; b++)
		for (unsigned j = 0; j < 64; j++) {
			int written = b + 1 < beats || !last_bytes || j < last_bytes;
			uint8_t want = written ? pattern_byte(seed, b, j) : 0xaa;

			if (mem[addr + 64 * b + j] != want) {
				tap_diag("byte %u of beat %u at 0x%llx: 0x%02x, expected 0x%02x", j, b,
					 (unsigned long long)addr, mem[addr + 64 * b + j], want);
				return 0;
			}
		}
	return 1;
}

static void test_dma(void)
{
	uint32_t sum = 0, got = 0;
	int r;

	memset(mem, 0xaa, MEM_SIZE);
	r = burst(CMD_WRITE, 0x1000, 4, 0x11110000u, 0);
	tap(r == 0 && holds_pattern(0x1000, 4, 0x11110000u, 0) && mem[0x1100] == 0xaa && mem[0xfff] == 0xaa,
	    "a 4-beat write burst of the card lands in host memory at its device address, nothing around it");

	r = burst(CMD_WRITE, 0x2000, 2, 7, 10);
	tap(r == 0 && holds_pattern(0x2000, 2, 7, 10), "write strobes are honoured: a last beat of 10 bytes writes 10 bytes");

	for (unsigned i = 0; i < 48; i++) {
		uint32_t w = i * 3u + 1u;

		memcpy(mem + 0x3000 + 4 * i, &w, 4);
		sum += w;
	}
	r = burst(CMD_READ, 0x3000, 3, 0, 0);
	if (ctnic_csr_read(dev, P_SUM, &got) < 0)
		r = -1;
	tap(r == 0 && got == sum,
	    "a 3-beat read burst sees what the host wrote (sum 0x%x, card 0x%x)", sum, got);

	r = burst(CMD_WRITE, MEM_SIZE - 64, 2, 0x500, 0);
	tap(r == (int)RESP_DECERR && holds_pattern(MEM_SIZE - 64, 1, 0x500, 0),
	    "a write burst running past the end of host memory answers DECERR, and only its beat inside is done");

	r = burst(CMD_READ, 1ull << 40, 1, 0, 0);
	tap(r == (int)RESP_DECERR && ctnic_csr_read(dev, P_SUM, &got) == 0 && got == 0,
	    "a read outside host memory answers DECERR with zero data");
}

static int readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

static void test_interrupts(void)
{
	int fd0 = -1, fd1 = -1;
	uint64_t n = 0;

	if (!tap(ctnic_irq_fd(dev, CTNIC_RING_ID_INJECT, &fd1) == 0 && ctnic_irq_fd(dev, CTNIC_RING_ID_PUNT, &fd0) == 0,
		 "the sim backend gives an interrupt fd per ring")) {
		tap_diag("%s", ctnic_last_error(dev));
		return;
	}
	ctnic_csr_write(dev, CTNIC_REG_IRQ_ENABLE, 1u << CTNIC_RING_ID_INJECT);
	ctnic_csr_write(dev, CTNIC_REG_IRQ_TEST, 1u << CTNIC_RING_ID_INJECT);
	tap(readable(fd1, 5000) && read(fd1, &n, sizeof(n)) == sizeof(n) && n == 1,
	    "a rising interrupt edge makes its vector's fd readable, counted once");
	ctnic_csr_write(dev, CTNIC_REG_IRQ_TEST, 1u << CTNIC_RING_ID_PUNT);
	tap(!readable(fd0, 300), "a cause whose interrupt is not enabled sends nothing");
	ctnic_irq_ack(dev, CTNIC_RING_ID_INJECT);
	ctnic_csr_write(dev, CTNIC_REG_IRQ_TEST, 1u << CTNIC_RING_ID_INJECT);
	tap(readable(fd1, 5000) && read(fd1, &n, sizeof(n)) == sizeof(n) && n == 1,
	    "after ctnic_irq_ack the next cause interrupts again");
}

int main(int argc, char **argv)
{
	char sock[128], logf[128], uri[160], err[CTNIC_ERR_LEN];
	const char *dir;
	void *base;
	size_t len;
	uint64_t dev_addr;
	pid_t sim;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CTNIC-SIM-PROBE\n", argv[0]);
		return 2;
	}
	dir = th_tmpdir("dma");
	snprintf(sock, sizeof(sock), "%s/sim.sock", dir);
	snprintf(logf, sizeof(logf), "%s/sim.log", dir);
	snprintf(uri, sizeof(uri), "sim:%s", sock);
	char *sim_argv[] = { argv[1], "--socket", sock, "--host-mem-size", "65536", NULL };
	sim = th_spawn(sim_argv, logf);
	if (!tap(th_wait_path(sock, sim, 30000) == 0 && ctnic_open(&dev, uri, err, sizeof(err)) == 0 &&
		 ctnic_host_mem(dev, &base, &len, &dev_addr) == 0 && len == MEM_SIZE && dev_addr == 0,
		 "libctnic maps the probe card's host memory (%u bytes at device address 0)", MEM_SIZE)) {
		th_diag_file(logf);
	} else {
		mem = base;
		test_dma();
		test_interrupts();
		ctnic_close(dev);
	}
	kill(sim, SIGTERM);
	th_wait(sim, 20000);
	th_cleanup();
	return tap_done();
}
