/*
 * vfio.c - one PCI device driven through VFIO's container/group interface
 * (Documentation/driver-api/vfio.rst): checks that it is bound to vfio-pci,
 * opens its IOMMU group and a type1 container, gets the device, and gives
 * access to its config space and BARs, and reset. Interrupts are in
 * vfio_irq.c, DMA in vfio_dma.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "ctnic_vfio.h"
#include "vfio_priv.h"

const char *ctnic_vfio_error(const struct ctnic_vfio *v)
{
	return v->err;
}

const char *ctnic_vfio_bdf(const struct ctnic_vfio *v)
{
	return v->bdf;
}

int ctnic_vfio_group(const struct ctnic_vfio *v)
{
	return v->group_id;
}

/*
 * For a group that is not viable: the devices in it that are bound to a host
 * driver (anything but vfio-pci or no driver), as "0000:00:1f.3 (snd_hda_intel)".
 */
static void group_offenders(const char *sysfs, int group, char *out, size_t outlen)
{
	char path[PATH_MAX];
	size_t used = 0;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices", sysfs, group);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		struct ctnic_pci_dev dev;
		struct ctnic_vfio_opts o = {.sysfs_root = sysfs};
		if (ctnic_pci_describe(e->d_name, &o, &dev, NULL, 0) < 0)
			continue;
		if (dev.driver[0] == '\0' || strcmp(dev.driver, "vfio-pci") == 0)
			continue;
		int n = snprintf(out + used, outlen - used, "%s%s (%s)", used ? ", " : "", dev.bdf,
				 dev.driver);
		if (n < 0 || (size_t)n >= outlen - used)
			break;
		used += (size_t)n;
	}
	closedir(d);
}

static int open_group(struct ctnic_vfio *v, char *err, size_t errlen)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/vfio", v->vfio_dir);
	v->container_fd = open(path, O_RDWR | O_CLOEXEC);
	if (v->container_fd < 0) {
		int e = errno;
		return errf(err, errlen, -e,
			    "open %s: %s: %s", path, strerror(e),
			    e == ENOENT ? "the vfio modules are not loaded: modprobe vfio-pci"
				        : "run as root, or give this user access to /dev/vfio (docs/deployment.md)");
	}
	int api = ioctl(v->container_fd, VFIO_GET_API_VERSION);
	if (api != VFIO_API_VERSION)
		return errf(err, errlen, -EINVAL,
			    "VFIO_GET_API_VERSION on %s: kernel speaks version %d, this driver %d: "
			    "use a kernel with the VFIO type1 container interface", path, api,
			    VFIO_API_VERSION);
	if (ioctl(v->container_fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) == 1)
		v->iommu_type = VFIO_TYPE1v2_IOMMU;
	else if (ioctl(v->container_fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) == 1)
		v->iommu_type = VFIO_TYPE1_IOMMU;
	else
		return errf(err, errlen, -ENOTSUP,
			    "VFIO_CHECK_EXTENSION on %s: no type1 IOMMU backend: "
			    "modprobe vfio_iommu_type1 (and check that the IOMMU is on)", path);

	snprintf(path, sizeof(path), "%s/%d", v->vfio_dir, v->group_id);
	v->group_fd = open(path, O_RDWR | O_CLOEXEC);
	if (v->group_fd < 0) {
		int e = errno;
		const char *what =
			e == ENOENT ? "the group has no VFIO node: is the device bound to vfio-pci?"
			: e == EBUSY ? "the group is already open, by another process (another ctnicd, a VM, a DPDK application) or by this one: stop the other user"
			: e == EACCES || e == EPERM
				? "this user may not open it: run as root, or chown the group node to the daemon's user (a udev rule, docs/deployment.md)"
				: "see docs/deployment.md";
		return errf(err, errlen, -e, "open %s (IOMMU group %d of %s): %s: %s", path,
			    v->group_id, v->bdf, strerror(e), what);
	}

	struct vfio_group_status status = {.argsz = sizeof(status)};
	if (ioctl(v->group_fd, VFIO_GROUP_GET_STATUS, &status) < 0)
		return errf(err, errlen, -errno, "VFIO_GROUP_GET_STATUS on %s: %s", path,
			    strerror(errno));
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		char offenders[256];
		group_offenders(v->sysfs_root, v->group_id, offenders, sizeof(offenders));
		return errf(err, errlen, -EPERM,
			    "VFIO_GROUP_GET_STATUS on %s: IOMMU group %d is not viable: unbind every "
			    "device of IOMMU group %d from its host driver (bind it to vfio-pci too, or "
			    "leave it without a driver)%s%s",
			    path, v->group_id, v->group_id, offenders[0] ? "; still bound: " : "",
			    offenders);
	}

	if (ioctl(v->group_fd, VFIO_GROUP_SET_CONTAINER, &v->container_fd) < 0)
		return errf(err, errlen, -errno, "VFIO_GROUP_SET_CONTAINER on %s: %s", path,
			    strerror(errno));

	if (ioctl(v->container_fd, VFIO_SET_IOMMU, v->iommu_type) < 0) {
		int e = errno;
		if (e == EPERM)
			return errf(err, errlen, -e,
				    "VFIO_SET_IOMMU (type1) for IOMMU group %d of %s: %s: no interrupt "
				    "remapping (a device could forge MSIs): enable it in the firmware "
				    "(VT-d/AMD-Vi, x2APIC) or, on a host you trust, echo 1 > "
				    "/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts",
				    v->group_id, v->bdf, strerror(e));
		return errf(err, errlen, -e, "VFIO_SET_IOMMU (type1) for IOMMU group %d of %s: %s",
			    v->group_id, v->bdf, strerror(e));
	}
	return 0;
}

static int open_device(struct ctnic_vfio *v, char *err, size_t errlen)
{
	v->device_fd = ioctl(v->group_fd, VFIO_GROUP_GET_DEVICE_FD, v->bdf);
	if (v->device_fd < 0)
		return errf(err, errlen, -errno,
			    "VFIO_GROUP_GET_DEVICE_FD for %s in group %d: %s: is another process using "
			    "the device?", v->bdf, v->group_id, strerror(errno));

	v->info.argsz = sizeof(v->info);
	if (ioctl(v->device_fd, VFIO_DEVICE_GET_INFO, &v->info) < 0)
		return errf(err, errlen, -errno, "VFIO_DEVICE_GET_INFO on %s: %s", v->bdf,
			    strerror(errno));
	if (!(v->info.flags & VFIO_DEVICE_FLAGS_PCI))
		return errf(err, errlen, -ENODEV, "VFIO_DEVICE_GET_INFO on %s: not a PCI device",
			    v->bdf);

	struct vfio_region_info reg = {.argsz = sizeof(reg), .index = VFIO_PCI_CONFIG_REGION_INDEX};
	if (ioctl(v->device_fd, VFIO_DEVICE_GET_REGION_INFO, &reg) < 0)
		return errf(err, errlen, -errno,
			    "VFIO_DEVICE_GET_REGION_INFO (config space) on %s: %s", v->bdf,
			    strerror(errno));
	v->cfg_offset = reg.offset;
	v->cfg_size = reg.size;
	return 0;
}

int ctnic_vfio_open(const char *bdf, const struct ctnic_vfio_opts *opts,
		    struct ctnic_vfio **out, char *err, size_t errlen)
{
	struct ctnic_pci_dev dev;
	int rc;

	*out = NULL;
	rc = ctnic_pci_describe(bdf, opts, &dev, err, errlen);
	if (rc < 0)
		return rc;
	const char *sysfs = opts && opts->sysfs_root ? opts->sysfs_root : "/sys";
	if (strcmp(dev.driver, "vfio-pci") != 0) {
		char unbind[PATH_MAX];
		unbind[0] = '\0';
		if (dev.driver[0])
			snprintf(unbind, sizeof(unbind), "echo %s > %s/bus/pci/devices/%s/driver/unbind; ",
				 dev.bdf, sysfs, dev.bdf);
		return errf(err, errlen, -ENODEV,
			    "%s (%04x:%04x) is bound to %s, not vfio-pci: bind it with "
			    "modprobe vfio-pci; echo vfio-pci > %s/bus/pci/devices/%s/driver_override; "
			    "%secho %s > %s/bus/pci/drivers_probe "
			    "(or: echo %04x %04x > %s/bus/pci/drivers/vfio-pci/new_id)",
			    dev.bdf, dev.vendor_id, dev.device_id,
			    dev.driver[0] ? dev.driver : "no driver", sysfs, dev.bdf, unbind, dev.bdf,
			    sysfs, dev.vendor_id, dev.device_id, sysfs);
	}
	if (dev.iommu_group < 0)
		return errf(err, errlen, -ENODEV,
			    "%s/bus/pci/devices/%s/iommu_group: missing: the IOMMU is off; boot with "
			    "intel_iommu=on (Intel) or amd_iommu=on (AMD), with VT-d/AMD-Vi enabled in "
			    "the firmware", sysfs, dev.bdf);

	struct ctnic_vfio *v = calloc(1, sizeof(*v));
	if (!v)
		return errf(err, errlen, -ENOMEM, "ctnic_vfio_open %s: out of memory", dev.bdf);
	v->container_fd = v->group_fd = v->device_fd = -1;
	v->group_id = dev.iommu_group;
	v->dma_limit = UINT64_MAX;
	snprintf(v->bdf, sizeof(v->bdf), "%s", dev.bdf);
	snprintf(v->sysfs_root, sizeof(v->sysfs_root), "%s", sysfs);
	snprintf(v->vfio_dir, sizeof(v->vfio_dir), "%s",
		 opts && opts->vfio_dir ? opts->vfio_dir : "/dev/vfio");

	rc = open_group(v, err, errlen);
	if (rc < 0)
		goto fail;
	rc = ctnic_vfio_dma_setup(v, err, errlen);
	if (rc < 0)
		goto fail;
	rc = open_device(v, err, errlen);
	if (rc < 0)
		goto fail;
	*out = v;
	return 0;
fail:
	ctnic_vfio_close(v);
	return rc;
}

void ctnic_vfio_close(struct ctnic_vfio *v)
{
	if (!v)
		return;
	if (v->device_fd >= 0)
		ctnic_vfio_irq_disable(v);
	for (unsigned i = 0; i < CTNIC_VFIO_BARS; i++)
		ctnic_vfio_bar_unmap(v, i);
	ctnic_vfio_dma_teardown(v);
	if (v->device_fd >= 0)
		close(v->device_fd);
	if (v->group_fd >= 0)
		close(v->group_fd);
	if (v->container_fd >= 0)
		close(v->container_fd);
	free(v);
}

/* ---- config space ---- */

int ctnic_vfio_config_read(struct ctnic_vfio *v, unsigned off, void *buf, size_t len)
{
	if (off + len > v->cfg_size)
		return fail(v, -EINVAL, "config read of %zu bytes at 0x%x on %s: beyond "
			    "the %llu bytes of config space", len, off, v->bdf,
			    (unsigned long long)v->cfg_size);
	ssize_t n = pread(v->device_fd, buf, len, (off_t)(v->cfg_offset + off));
	if (n != (ssize_t)len)
		return fail(v, n < 0 ? -errno : -EIO,
			    "pread of config space 0x%x+%zu on %s: %s", off, len, v->bdf,
			    n < 0 ? strerror(errno) : "short read");
	return 0;
}

int ctnic_vfio_config_write(struct ctnic_vfio *v, unsigned off, const void *buf, size_t len)
{
	if (off + len > v->cfg_size)
		return fail(v, -EINVAL, "config write of %zu bytes at 0x%x on %s: beyond "
			    "the %llu bytes of config space", len, off, v->bdf,
			    (unsigned long long)v->cfg_size);
	ssize_t n = pwrite(v->device_fd, buf, len, (off_t)(v->cfg_offset + off));
	if (n != (ssize_t)len)
		return fail(v, n < 0 ? -errno : -EIO,
			    "pwrite of config space 0x%x+%zu on %s: %s", off, len, v->bdf,
			    n < 0 ? strerror(errno) : "short write");
	return 0;
}

int ctnic_vfio_bus_master(struct ctnic_vfio *v, bool on)
{
	uint16_t cmd;
	int rc = ctnic_vfio_config_read(v, PCI_COMMAND, &cmd, sizeof(cmd));
	if (rc < 0)
		return rc;
	cmd = le16toh(cmd);
	if (on)
		cmd |= PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
	else
		cmd &= (uint16_t)~PCI_COMMAND_MASTER;
	cmd = htole16(cmd);
	return ctnic_vfio_config_write(v, PCI_COMMAND, &cmd, sizeof(cmd));
}

/* ---- BARs ---- */

int ctnic_vfio_bar_map(struct ctnic_vfio *v, unsigned bar, volatile void **addr, size_t *size)
{
	if (bar >= CTNIC_VFIO_BARS)
		return fail(v, -EINVAL, "BAR %u of %s: a PCI function has BARs 0-5", bar,
			    v->bdf);
	if (v->bar[bar].addr) {
		*addr = v->bar[bar].addr;
		*size = v->bar[bar].size;
		return 0;
	}
	struct vfio_region_info reg = {.argsz = sizeof(reg), .index = VFIO_PCI_BAR0_REGION_INDEX + bar};
	if (ioctl(v->device_fd, VFIO_DEVICE_GET_REGION_INFO, &reg) < 0)
		return fail(v, -errno, "VFIO_DEVICE_GET_REGION_INFO (BAR %u) on %s: %s",
			    bar, v->bdf, strerror(errno));
	if (reg.size == 0)
		return fail(v, -ENOENT, "BAR %u of %s: not implemented by the device "
			    "(size 0): check the BAR number against lspci -vv", bar, v->bdf);
	if (!(reg.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		uint32_t raw = 0;
		bool io = ctnic_vfio_config_read(v, PCI_BASE_ADDRESS_0 + 4 * bar, &raw, 4) == 0 &&
			  (le32toh(raw) & PCI_BASE_ADDRESS_SPACE_IO);
		return fail(v, -ENOTSUP,
			    "BAR %u of %s (%llu bytes): vfio-pci does not allow mmap: %s", bar,
			    v->bdf, (unsigned long long)reg.size,
			    io ? "it is an I/O port BAR; only memory BARs can be mapped"
			       : "a memory BAR smaller than a page or one the kernel protects; "
				 "check the card's BAR layout (docs/deployment.md)");
	}
	void *p = mmap(NULL, reg.size, PROT_READ | PROT_WRITE, MAP_SHARED, v->device_fd,
		       (off_t)reg.offset);
	if (p == MAP_FAILED)
		return fail(v, -errno,
			    "mmap of BAR %u of %s (%llu bytes): %s: the BAR may hold the MSI-X "
			    "table, which this kernel does not let userspace map",
			    bar, v->bdf, (unsigned long long)reg.size, strerror(errno));
	v->bar[bar].addr = p;
	v->bar[bar].size = reg.size;
	*addr = p;
	*size = reg.size;
	return 0;
}

int ctnic_vfio_bar_unmap(struct ctnic_vfio *v, unsigned bar)
{
	if (bar >= CTNIC_VFIO_BARS || !v->bar[bar].addr)
		return 0;
	int rc = munmap((void *)v->bar[bar].addr, v->bar[bar].size);
	v->bar[bar].addr = NULL;
	v->bar[bar].size = 0;
	if (rc < 0)
		return fail(v, -errno, "munmap of BAR %u of %s: %s", bar, v->bdf,
			    strerror(errno));
	return 0;
}

/* ---- reset ---- */

bool ctnic_vfio_can_reset(const struct ctnic_vfio *v)
{
	return (v->info.flags & VFIO_DEVICE_FLAGS_RESET) != 0;
}

int ctnic_vfio_reset(struct ctnic_vfio *v)
{
	if (!ctnic_vfio_can_reset(v))
		return fail(v, -ENOTSUP,
			    "VFIO_DEVICE_RESET on %s: the device has no reset the kernel can "
			    "use (no FLR, no PM reset, no bus reset that touches it alone): "
			    "remove and rescan it (echo 1 > %s/bus/pci/devices/%s/remove; "
			    "echo 1 > %s/bus/pci/rescan) or power-cycle the host",
			    v->bdf, v->sysfs_root, v->bdf, v->sysfs_root);
	if (ioctl(v->device_fd, VFIO_DEVICE_RESET) < 0)
		return fail(v, -errno, "VFIO_DEVICE_RESET on %s: %s: %s", v->bdf, strerror(errno),
			    errno == EAGAIN || errno == EBUSY
				    ? "another device on the bus is in use; retry"
				    : "every reset method the kernel tried failed; see dmesg, and "
				      "choose one that works in /sys/bus/pci/devices/<bdf>/reset_method");
	return 0;
}
