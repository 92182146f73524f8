/*
 * pci_guest.c - runs inside the QEMU guest after vfio_guest: libctnic's
 * libpci discovery against a real kernel's sysfs, and the device API's pci:
 * backend (ctnic.h) on edu and e1000e: BAR0, host memory, interrupts as
 * pollable fds (e1000e's MSI-X vectors through ctnic_irq_fd), and
 * ctnic_reset (e1000e resets; edu, which has no reset, is refused with
 * advice). Discovery answers are checked against what sysfs
 * itself says (the device's links), not against constants. Linked
 * dynamically with all of libctnic, unsanitized (Debian ships no static
 * libpci); the initramfs carries the shared libraries.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctnic.h"
#include "ctnic_ring.h"
#include "ctnic_regs.h"
#include "ctnic_vfio.h"
#include "testdev.h"

static int test_no, failures;

static void tap(int ok, const char *name)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++test_no, name);
	fflush(stdout);
	failures += !ok;
}

/* Base name of a sysfs link, "" when absent. */
static void link_name(const char *bdf, const char *what, char *out, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, what);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	out[0] = '\0';
	if (n < 0)
		return;
	target[n] = '\0';
	const char *b = strrchr(target, '/');
	b = b ? b + 1 : target;
	if (strlen(b) < len)
		memcpy(out, b, strlen(b) + 1);
}

/* Finds vendor:device and checks each answer's driver and group against sysfs. */
static int find_checked(unsigned vendor, unsigned device, size_t *found)
{
	struct ctnic_pci_dev devs[16];
	char err[CTNIC_VFIO_ERR_LEN];
	int rc = ctnic_pci_find((uint16_t)vendor, (uint16_t)device, NULL, devs, 16, found, err,
				sizeof(err));
	if (rc < 0) {
		printf("# ctnic_pci_find %04x:%04x: %s\n", vendor, device, err);
		return 0;
	}
	int ok = 1;
	for (size_t i = 0; i < *found && i < 16; i++) {
		char drv[64], grp[64];
		link_name(devs[i].bdf, "driver", drv, sizeof(drv));
		link_name(devs[i].bdf, "iommu_group", grp, sizeof(grp));
		printf("# found %s %04x:%04x driver \"%s\" IOMMU group %d\n", devs[i].bdf,
		       devs[i].vendor_id, devs[i].device_id, devs[i].driver, devs[i].iommu_group);
		ok &= strcmp(drv, devs[i].driver) == 0 && grp[0] && atoi(grp) == devs[i].iommu_group &&
		      devs[i].vendor_id == vendor && (device == 0xffff || devs[i].device_id == device);
	}
	return ok;
}

/* edu registers (QEMU docs/specs/edu.txt), reached through ctnic_csr_*. */
#define EDU_ID 0x00
#define EDU_LIVENESS 0x04
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_BUF 0x40000u

static int edu_dma(struct ctnic_dev *d, uint64_t src, uint64_t dst, uint32_t n, uint32_t cmd)
{
	/* A 32-bit write to a 64-bit edu DMA register sets it whole (upper half 0). */
	if (src >> 32 || dst >> 32)
		return -ERANGE;
	int rc = ctnic_csr_write(d, EDU_DMA_SRC, (uint32_t)src);
	rc = rc < 0 ? rc : ctnic_csr_write(d, EDU_DMA_DST, (uint32_t)dst);
	rc = rc < 0 ? rc : ctnic_csr_write(d, EDU_DMA_COUNT, n);
	rc = rc < 0 ? rc : ctnic_csr_write(d, EDU_DMA_CMD, cmd | 1u);
	for (int i = 0; rc == 0 && i < 5000; i++) {
		uint32_t c;
		rc = ctnic_csr_read(d, EDU_DMA_CMD, &c);
		if (rc == 0 && !(c & 1u))
			return 0;
		usleep(1000);
	}
	return rc < 0 ? rc : -ETIMEDOUT;
}

static void test_pci_backend(void)
{
	char err[CTNIC_ERR_LEN], bdf[CTNIC_PCI_BDF_LEN], uri[32];
	struct ctnic_pci_dev devs[1];
	struct ctnic_dev *d;
	size_t n = 0;

	int rc = ctnic_pci_find(0x1234, 0x11e8, NULL, devs, 1, &n, err, sizeof(err));
	snprintf(bdf, sizeof(bdf), "%s", rc == 0 && n == 1 ? devs[0].bdf : "0000:00:01.0");
	snprintf(uri, sizeof(uri), "pci:%s", bdf);
	rc = ctnic_open(&d, uri, err, sizeof(err));
	if (rc < 0) {
		printf("# ctnic_open %s: %s\n", uri, err);
		tap(0, "ctnic_open pci:BDF reaches BAR0: edu's id and liveness registers through ctnic_csr_*");
		tap(0, "ctnic_dev_info refuses a device that is not a ctnic card");
		tap(0, "ctnic_host_mem gives memory the device reaches by DMA at its device address");
	} else {
		uint32_t id = 0, inv = 0;
		rc = ctnic_csr_read(d, EDU_ID, &id);
		rc = rc < 0 ? rc : ctnic_csr_write(d, EDU_LIVENESS, 0xa5a5f00fu);
		rc = rc < 0 ? rc : ctnic_csr_read(d, EDU_LIVENESS, &inv);
		printf("# %s: id 0x%08x, liveness 0x%08x\n", uri, id, inv);
		tap(rc == 0 && id == 0x010000edu && inv == ~0xa5a5f00fu,
		    "ctnic_open pci:BDF reaches BAR0: edu's id and liveness registers through ctnic_csr_*");

		struct ctnic_dev_info info;
		rc = ctnic_dev_info(d, &info);
		printf("# ctnic_dev_info: %s\n", ctnic_last_error(d));
		tap(rc == -ENODEV, "ctnic_dev_info refuses a device that is not a ctnic card");

		void *base = NULL;
		size_t len = 0;
		uint64_t dev_addr = 0;
		rc = ctnic_host_mem(d, &base, &len, &dev_addr);
		int same = 0;
		if (rc == 0 && len >= 3 * 4096) {
			uint8_t *b = base;
			for (size_t i = 0; i < 4000; i++)
				b[i] = (uint8_t)(i * 7 + 3);
			memset(b + 8192, 0, 4000);
			int r1 = edu_dma(d, dev_addr, EDU_BUF, 4000, 0);
			int r2 = edu_dma(d, EDU_BUF, dev_addr + 8192, 4000, 2);
			same = r1 == 0 && r2 == 0 && memcmp(b, b + 8192, 4000) == 0;
			printf("# host memory: %zu bytes at device address 0x%llx; edu DMA %d/%d, copy %s\n",
			       len, (unsigned long long)dev_addr, r1, r2, same ? "equal" : "DIFFERS");
		} else {
			printf("# ctnic_host_mem: %s\n", ctnic_last_error(d));
		}
		tap(same, "ctnic_host_mem gives memory the device reaches by DMA at its device address");
		ctnic_close(d);
	}

	rc = ctnic_open(&d, "pci:", err, sizeof(err));
	printf("# ctnic_open pci: -> %s\n", rc ? err : "opened");
	tap(rc == -ENODEV && strstr(err, "1234:c7c1"),
	    "ctnic_open pci: with no ctnic card on the bus fails and names the card's PCI id");
	if (rc == 0)
		ctnic_close(d);
	rc = ctnic_open(&d, "pci:eth0", err, sizeof(err));
	tap(rc == -EINVAL, "ctnic_open pci: with something that is not a PCI address is refused");
	if (rc == 0)
		ctnic_close(d);
}

/* e1000e registers (testdev.h), reached through ctnic_csr_*; causes 0..3 go to ring vectors 0..3. */

/* Whether fd polls readable within ms; drains it when it does. */
static int fired(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	uint64_t n;
	if (poll(&p, 1, ms) != 1)
		return 0;
	return read(fd, &n, sizeof(n)) == (ssize_t)sizeof(n);
}

static void test_pci_irq_and_reset(void)
{
	const char *n1 = "ctnic_irq_fd on pci: gives one eventfd per ring vector: e1000e's MSI-X vectors 0-3 each arrive on their own";
	const char *n2 = "ctnic_reset on pci: resets e1000e (a written register reads 0 again) and CSR access goes on";
	const char *n3 = "ctnic_reset on pci: of edu (no reset method) is refused with advice";
	const char *n4 = "ctnic_open pci:BDF,mem=N gives N MiB of host memory";
	char err[CTNIC_ERR_LEN], uri[48];
	struct ctnic_pci_dev devs[1];
	struct ctnic_dev *d;
	size_t n = 0;

	int rc = ctnic_pci_find(0x8086, 0x10d3, NULL, devs, 1, &n, err, sizeof(err));
	snprintf(uri, sizeof(uri), "pci:%s,mem=8", rc == 0 && n == 1 ? devs[0].bdf : "0000:00:02.0");
	rc = ctnic_open(&d, uri, err, sizeof(err));
	if (rc < 0) {
		printf("# ctnic_open %s: %s\n", uri, err);
		tap(0, n1);
		tap(0, n2);
		tap(0, n4);
	} else {
		int fds[CTNIC_RINGS], good = 0;
		for (unsigned v = 0; v < CTNIC_RINGS; v++) {
			fds[v] = -1;
			if (ctnic_irq_fd(d, v, &fds[v]) < 0)
				printf("# ctnic_irq_fd %u: %s\n", v, ctnic_last_error(d));
		}
		for (unsigned v = 0; v < CTNIC_RINGS && fds[v] >= 0; v++) {
			/* Route cause v to MSI-X vector v (IVAR field v: vector in bits 2:0, valid bit 3). */
			rc = ctnic_csr_write(d, E1K_IMC, ~0u);
			rc = rc < 0 ? rc : ctnic_csr_write(d, E1K_ICR, ~0u);
			rc = rc < 0 ? rc : ctnic_csr_write(d, E1K_IVAR, (0x8u | v) << (4 * v));
			rc = rc < 0 ? rc : ctnic_csr_write(d, E1K_IMS, e1k_cause[v]);
			rc = rc < 0 ? rc : ctnic_csr_write(d, E1K_ICS, e1k_cause[v]);
			int got = rc == 0 && fired(fds[v], 2000), others = 0;
			for (unsigned o = 0; o < CTNIC_RINGS; o++)
				if (o != v && fds[o] >= 0 && fired(fds[o], 0))
					others++;
			printf("# cause 0x%08x -> ring vector %u (fd %d): %s, %d other vector(s) fired\n",
			       e1k_cause[v], v, fds[v], got ? "received" : "SILENT", others);
			good += got && !others;
		}
		int bad_vec = fds[0] >= 0 ? ctnic_irq_fd(d, CTNIC_RINGS, &fds[0]) : 0;
		tap(good == (int)CTNIC_RINGS && bad_vec == -EINVAL, n1);
		/* QEMU 7.2's e1000e can crash if MSI-X goes off with its throttle timer pending. */
		ctnic_csr_write(d, E1K_IMC, ~0u);
		ctnic_csr_write(d, E1K_ICR, ~0u);
		usleep(10000);

		uint32_t before = 0, after = 1;
		rc = ctnic_csr_write(d, E1K_RDBAL0, 0x12345000u);
		rc = rc < 0 ? rc : ctnic_csr_read(d, E1K_RDBAL0, &before);
		rc = rc < 0 ? rc : ctnic_reset(d);
		if (rc < 0)
			printf("# ctnic_reset %s: %s\n", uri, ctnic_last_error(d));
		rc = rc < 0 ? rc : ctnic_csr_read(d, E1K_RDBAL0, &after);
		printf("# RDBAL0 0x%08x before ctnic_reset, 0x%08x after\n", before, after);
		tap(rc == 0 && before == 0x12345000u && after == 0, n2);

		void *base;
		size_t len = 0;
		uint64_t da;
		rc = ctnic_host_mem(d, &base, &len, &da);
		printf("# %s: host memory %s%zu bytes at device address 0x%llx\n", uri,
		       rc ? ctnic_last_error(d) : "", len, (unsigned long long)da);
		tap(rc == 0 && len == 8u << 20, n4);
		ctnic_close(d);
	}

	rc = ctnic_pci_find(0x1234, 0x11e8, NULL, devs, 1, &n, err, sizeof(err));
	snprintf(uri, sizeof(uri), "pci:%s", rc == 0 && n == 1 ? devs[0].bdf : "0000:00:01.0");
	rc = ctnic_open(&d, uri, err, sizeof(err));
	if (rc < 0) {
		printf("# ctnic_open %s: %s\n", uri, err);
		tap(0, n3);
		return;
	}
	rc = ctnic_reset(d);
	printf("# ctnic_reset %s -> %s\n", uri, ctnic_last_error(d));
	tap(rc == -ENOTSUP && strstr(ctnic_last_error(d), "ctnic_reset") &&
	    strstr(ctnic_last_error(d), "rescan"), n3);
	ctnic_close(d);
}

int main(void)
{
	size_t n = 0;
	int ok = find_checked(0x1234, 0x11e8, &n);
	tap(ok && n == 1, "libpci discovery finds the one edu (1234:11e8) with its driver and IOMMU group");
	ok = find_checked(0x8086, 0x10d3, &n);
	tap(ok && n == 1, "libpci discovery finds the one e1000e (8086:10d3) with its driver and IOMMU group");
	ok = find_checked(0x8086, 0xffff, &n);
	tap(ok && n >= 5, "libpci discovery by vendor alone finds every Intel function (host bridge, e1000e, ICH9)");
	ok = find_checked(CTNIC_PCI_VENDOR_ID, CTNIC_PCI_DEVICE_ID, &n);
	tap(ok && n == 0, "libpci discovery of the ctnic card's id finds nothing where there is no card");
	test_pci_backend();
	test_pci_irq_and_reset();
	printf("1..%d\n", test_no);
	return failures ? 1 : 0;
}
