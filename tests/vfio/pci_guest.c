/*
 * pci_guest.c - runs inside the QEMU guest after vfio_guest: libctnic's
 * libpci discovery against a real kernel's sysfs. Each answer is checked
 * against what sysfs itself says (the device's links), not against constants.
 * Linked dynamically (Debian ships no static libpci); the initramfs carries
 * the shared libraries.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctnic_regs.h"
#include "ctnic_vfio.h"

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
	printf("1..%d\n", test_no);
	return failures ? 1 : 0;
}
