/*
 * pci_sysfs.c - what sysfs says about one PCI function: its address, the
 * driver bound to it and its IOMMU group. Kept apart from pci.c (libpci) so
 * the VFIO layer links without libpci (the QEMU test's static guest program).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctnic_vfio.h"
#include "vfio_priv.h"

static const char *sysfs_root(const struct ctnic_vfio_opts *opts)
{
	return opts && opts->sysfs_root ? opts->sysfs_root : "/sys";
}

int ctnic_pci_parse_bdf(const char *in, char out[CTNIC_PCI_BDF_LEN])
{
	unsigned dom = 0, bus, dev, fn;
	int n = 0;

	if (!in)
		return -EINVAL;
	if (sscanf(in, "%4x:%2x:%2x.%1u%n", &dom, &bus, &dev, &fn, &n) == 4 && in[n] == '\0') {
		/* full form */
	} else if (n = 0, dom = 0, sscanf(in, "%2x:%2x.%1u%n", &bus, &dev, &fn, &n) == 3 && in[n] == '\0') {
		/* bus:dev.fn in domain 0 */
	} else {
		return -EINVAL;
	}
	if (dev > 0x1f || fn > 7)
		return -EINVAL;
	snprintf(out, CTNIC_PCI_BDF_LEN, "%04x:%02x:%02x.%u", dom, bus, dev, fn);
	return 0;
}

/* Base name of the link target at path into out; -errno from readlink. */
static int link_basename(const char *path, char *out, size_t outlen)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	const char *base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= outlen)
		return -ENAMETOOLONG;
	memcpy(out, base, strlen(base) + 1);
	return 0;
}

static int read_hex_file(const char *path, unsigned *val)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	int ok = fscanf(f, "%x", val) == 1;
	fclose(f);
	return ok ? 0 : -EIO;
}

int ctnic_pci_describe(const char *bdf, const struct ctnic_vfio_opts *opts, struct ctnic_pci_dev *dev,
		       char *err, size_t errlen)
{
	const char *root = sysfs_root(opts);
	char path[PATH_MAX], name[64];
	struct stat st;
	unsigned id;
	int rc;

	memset(dev, 0, sizeof(*dev));
	dev->iommu_group = -1;
	if (ctnic_pci_parse_bdf(bdf, dev->bdf) < 0)
		return errf(err, errlen, -EINVAL,
				      "PCI address \"%s\" is not of the form 0000:03:00.0 or 03:00.0: "
				      "take it from lspci -D", bdf ? bdf : "(null)");

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", root, dev->bdf);
	if (stat(path, &st) < 0)
		return errf(err, errlen, -ENODEV,
				      "stat %s: %s: no PCI device %s; list the devices with lspci -D",
				      path, strerror(errno), dev->bdf);

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/vendor", root, dev->bdf);
	if (read_hex_file(path, &id) == 0)
		dev->vendor_id = (uint16_t)id;
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/device", root, dev->bdf);
	if (read_hex_file(path, &id) == 0)
		dev->device_id = (uint16_t)id;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", root, dev->bdf);
	rc = link_basename(path, dev->driver, sizeof(dev->driver));
	if (rc < 0 && rc != -ENOENT)
		return errf(err, errlen, rc, "readlink %s: %s", path, strerror(-rc));

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/iommu_group", root, dev->bdf);
	rc = link_basename(path, name, sizeof(name));
	if (rc == 0) {
		char *end;
		long g = strtol(name, &end, 10);
		if (*end != '\0' || g < 0 || g > INT_MAX)
			return errf(err, errlen, -EIO, "%s points at \"%s\", not a group number",
					      path, name);
		dev->iommu_group = (int)g;
	} else if (rc != -ENOENT) {
		return errf(err, errlen, rc, "readlink %s: %s", path, strerror(-rc));
	}
	return 0;
}
