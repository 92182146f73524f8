/*
 * vfio.c - one PCI device driven through VFIO's container/group interface
 * (Documentation/driver-api/vfio.rst): group and container setup, BAR
 * mapping, config space, reset, interrupts, and DMA mapping with an IOVA
 * allocator over the ranges the IOMMU reports.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "ctnic_vfio.h"

/* One DMA mapping, kept sorted by IOVA. */
struct dma_map {
	uint64_t iova;
	uint64_t size;
	void *vaddr;
	bool owned; /* allocated by ctnic_vfio_dma_alloc: munmap on free */
};

struct ctnic_vfio {
	char bdf[CTNIC_PCI_BDF_LEN];
	char sysfs_root[PATH_MAX / 4];
	char vfio_dir[PATH_MAX / 4];
	int group_id;
	int container_fd;
	int group_fd;
	int device_fd;
	int iommu_type;
	struct vfio_device_info info;
	uint64_t cfg_offset;
	uint64_t cfg_size;
	struct {
		volatile void *addr;
		size_t size;
	} bar[CTNIC_VFIO_BARS];

	/* DMA */
	struct ctnic_vfio_iova_range *ranges;
	size_t nranges;
	uint64_t pgsize;
	uint64_t dma_limit; /* highest usable IOVA (device address width) */
	struct dma_map *maps;
	size_t nmaps;
	size_t capmaps;

	/* interrupts */
	int irq_type;
	unsigned irq_count;
	int *irq_fds;

	char err[CTNIC_VFIO_ERR_LEN];
};

static int dma_setup(struct ctnic_vfio *v, char *err, size_t errlen);
static void dma_teardown(struct ctnic_vfio *v);

__attribute__((format(printf, 3, 4)))
static int fail(struct ctnic_vfio *v, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->err, sizeof(v->err), fmt, ap);
	va_end(ap);
	return rc;
}

__attribute__((format(printf, 4, 5)))
static int errf(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

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
	rc = dma_setup(v, err, errlen);
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
	dma_teardown(v);
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

/* ---- interrupts ---- */

static const char *irq_name(enum ctnic_vfio_irq_type t)
{
	return t == CTNIC_VFIO_IRQ_MSIX ? "MSI-X" : t == CTNIC_VFIO_IRQ_MSI ? "MSI" : "INTx";
}

int ctnic_vfio_irq_count(struct ctnic_vfio *v, enum ctnic_vfio_irq_type type, unsigned *count)
{
	struct vfio_irq_info info = {.argsz = sizeof(info), .index = (uint32_t)type};
	if (ioctl(v->device_fd, VFIO_DEVICE_GET_IRQ_INFO, &info) < 0)
		return fail(v, -errno, "VFIO_DEVICE_GET_IRQ_INFO (%s) on %s: %s",
			    irq_name(type), v->bdf, strerror(errno));
	*count = info.count;
	return 0;
}

static int set_irqs(struct ctnic_vfio *v, uint32_t index, uint32_t flags, unsigned count,
		    const int *fds)
{
	size_t sz = sizeof(struct vfio_irq_set) + count * sizeof(int32_t);
	struct vfio_irq_set *set = calloc(1, sz);
	if (!set)
		return -ENOMEM;
	set->argsz = (uint32_t)sz;
	set->flags = flags | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = index;
	set->start = 0;
	set->count = count;
	for (unsigned i = 0; i < count; i++) {
		int32_t fd = fds[i];
		memcpy(set->data + i * sizeof(fd), &fd, sizeof(fd));
	}
	int rc = ioctl(v->device_fd, VFIO_DEVICE_SET_IRQS, set) < 0 ? -errno : 0;
	free(set);
	return rc;
}

int ctnic_vfio_irq_enable(struct ctnic_vfio *v, enum ctnic_vfio_irq_type type, unsigned count,
			  int *fds)
{
	unsigned have;
	int rc;

	if (type != CTNIC_VFIO_IRQ_MSI && type != CTNIC_VFIO_IRQ_MSIX)
		return fail(v, -ENOTSUP, "interrupts of %s: INTx is not supported (it "
			    "needs unmasking after every interrupt): use MSI or MSI-X",
			    v->bdf);
	rc = ctnic_vfio_irq_count(v, type, &have);
	if (rc < 0)
		return rc;
	if (count == 0 || count > have)
		return fail(v, -EINVAL, "enabling %u %s vectors on %s: the device offers %u",
			    count, irq_name(type), v->bdf, have);
	rc = ctnic_vfio_irq_disable(v);
	if (rc < 0)
		return rc;

	int *own = calloc(count, sizeof(int));
	if (!own)
		return fail(v, -ENOMEM, "enabling %s on %s: out of memory", irq_name(type),
			    v->bdf);
	for (unsigned i = 0; i < count; i++)
		own[i] = -1;
	for (unsigned i = 0; i < count; i++) {
		own[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (own[i] < 0) {
			rc = fail(v, -errno, "eventfd for %s vector %u of %s: %s",
				  irq_name(type), i, v->bdf, strerror(errno));
			goto fail;
		}
	}
	rc = set_irqs(v, (uint32_t)type, VFIO_IRQ_SET_DATA_EVENTFD, count, own);
	if (rc < 0) {
		fail(v, rc, "VFIO_DEVICE_SET_IRQS (%s, %u vectors) on %s: %s%s",
		     irq_name(type), count, v->bdf, strerror(-rc),
		     rc == -ENOSPC || rc == -EINVAL ? ": the host could not allocate the vectors" : "");
		goto fail;
	}
	v->irq_type = (int)type;
	v->irq_count = count;
	v->irq_fds = own;
	memcpy(fds, own, count * sizeof(int));
	return 0;
fail:
	for (unsigned i = 0; i < count; i++)
		if (own[i] >= 0)
			close(own[i]);
	free(own);
	return rc;
}

int ctnic_vfio_irq_disable(struct ctnic_vfio *v)
{
	if (!v->irq_fds)
		return 0;
	int rc = set_irqs(v, (uint32_t)v->irq_type, VFIO_IRQ_SET_DATA_NONE, 0, NULL);
	for (unsigned i = 0; i < v->irq_count; i++)
		close(v->irq_fds[i]);
	free(v->irq_fds);
	v->irq_fds = NULL;
	v->irq_count = 0;
	if (rc < 0)
		return fail(v, rc, "VFIO_DEVICE_SET_IRQS (disable %s) on %s: %s",
			    irq_name((enum ctnic_vfio_irq_type)v->irq_type), v->bdf,
			    strerror(-rc));
	return 0;
}

int ctnic_vfio_irq_wait(int fd, int timeout_ms, uint64_t *count)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int n;

	do {
		n = poll(&p, 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ETIMEDOUT;
	uint64_t c;
	ssize_t r = read(fd, &c, sizeof(c));
	if (r < 0)
		return -errno;
	if (r != (ssize_t)sizeof(c))
		return -EIO;
	if (count)
		*count = c;
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

/* ---- DMA ---- */

/*
 * VFIO_IOMMU_GET_INFO: the IOMMU page sizes, the usable IOVA ranges (the
 * IOMMU's address width minus reserved windows such as the MSI doorbell at
 * 0xfee00000) and how many more mappings the container allows.
 */
static int iommu_info(struct ctnic_vfio *v, struct vfio_iommu_type1_info **out, char *err,
		      size_t errlen)
{
	uint32_t argsz = sizeof(struct vfio_iommu_type1_info);
	struct vfio_iommu_type1_info *info = NULL;

	for (;;) {
		struct vfio_iommu_type1_info *n = realloc(info, argsz);
		if (!n) {
			free(info);
			return errf(err, errlen, -ENOMEM, "VFIO_IOMMU_GET_INFO for %s: out of memory",
				    v->bdf);
		}
		info = n;
		memset(info, 0, argsz);
		info->argsz = argsz;
		if (ioctl(v->container_fd, VFIO_IOMMU_GET_INFO, info) < 0) {
			int e = errno;
			free(info);
			return errf(err, errlen, -e, "VFIO_IOMMU_GET_INFO for %s: %s", v->bdf,
				    strerror(e));
		}
		if (info->argsz <= argsz)
			break;
		argsz = info->argsz; /* the capability chain did not fit: ask again */
	}
	*out = info;
	return 0;
}

/*
 * Offset of capability id in the chain after info, 0 when absent. The kernel
 * packs capabilities at 4-byte offsets, so their 64-bit fields may be
 * misaligned here: callers copy them out with memcpy.
 */
static uint32_t find_cap(const struct vfio_iommu_type1_info *info, uint16_t id)
{
	if (!(info->flags & VFIO_IOMMU_INFO_CAPS) || info->cap_offset == 0)
		return 0;
	uint32_t off = info->cap_offset;
	while (off && off + sizeof(struct vfio_info_cap_header) <= info->argsz) {
		struct vfio_info_cap_header h;
		memcpy(&h, (const uint8_t *)info + off, sizeof(h));
		if (h.id == id)
			return off;
		if (h.next <= off)
			break; /* a chain only moves forward */
		off = h.next;
	}
	return 0;
}

/* Copies the IOVA range capability at off into v->ranges. */
static int read_iova_ranges(struct ctnic_vfio *v, const struct vfio_iommu_type1_info *info,
			    uint32_t off)
{
	const uint8_t *base = (const uint8_t *)info + off;
	const size_t head = offsetof(struct vfio_iommu_type1_info_cap_iova_range, iova_ranges);
	uint32_t nr;

	if (off + head > info->argsz)
		return -EIO;
	memcpy(&nr, base + offsetof(struct vfio_iommu_type1_info_cap_iova_range, nr_iovas), sizeof(nr));
	if (off + head + (uint64_t)nr * sizeof(struct vfio_iova_range) > info->argsz)
		return -EIO;
	v->ranges = calloc(nr ? nr : 1, sizeof(*v->ranges));
	if (!v->ranges)
		return -ENOMEM;
	for (uint32_t i = 0; i < nr; i++) {
		struct vfio_iova_range r;
		memcpy(&r, base + head + i * sizeof(r), sizeof(r));
		v->ranges[i].start = r.start;
		v->ranges[i].end = r.end;
	}
	v->nranges = nr;
	return 0;
}

static int dma_setup(struct ctnic_vfio *v, char *err, size_t errlen)
{
	struct vfio_iommu_type1_info *info;
	int rc = iommu_info(v, &info, err, errlen);
	if (rc < 0)
		return rc;

	v->pgsize = 4096;
	if ((info->flags & VFIO_IOMMU_INFO_PGSIZES) && info->iova_pgsizes)
		v->pgsize = info->iova_pgsizes & -info->iova_pgsizes; /* the smallest */
	if (v->pgsize < (uint64_t)sysconf(_SC_PAGESIZE))
		v->pgsize = (uint64_t)sysconf(_SC_PAGESIZE);

	uint32_t off = find_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	if (off) {
		rc = read_iova_ranges(v, info, off);
		if (rc < 0) {
			free(info);
			return errf(err, errlen, rc, "VFIO_IOMMU_GET_INFO for %s: %s", v->bdf,
				    rc == -ENOMEM ? "out of memory"
						  : "IOVA range capability runs past the reply");
		}
	} else {
		/* An older kernel without the capability: no reserved windows known. */
		v->nranges = 1;
		v->ranges = calloc(1, sizeof(*v->ranges));
		if (!v->ranges) {
			free(info);
			return errf(err, errlen, -ENOMEM, "IOVA ranges of %s: out of memory", v->bdf);
		}
		v->ranges[0].start = 0;
		v->ranges[0].end = UINT64_MAX;
	}
	free(info);
	if (v->nranges == 0)
		return errf(err, errlen, -ENOSPC, "VFIO_IOMMU_GET_INFO for %s: the IOMMU reports no "
			    "usable IOVA range", v->bdf);
	return 0;
}

static void dma_teardown(struct ctnic_vfio *v)
{
	for (size_t i = 0; i < v->nmaps; i++) {
		struct dma_map *m = &v->maps[i];
		struct vfio_iommu_type1_dma_unmap um = {
			.argsz = sizeof(um), .iova = m->iova, .size = m->size};
		if (v->container_fd >= 0)
			(void)ioctl(v->container_fd, VFIO_IOMMU_UNMAP_DMA, &um);
		if (m->owned)
			munmap(m->vaddr, m->size);
	}
	free(v->maps);
	v->maps = NULL;
	v->nmaps = v->capmaps = 0;
	free(v->ranges);
	v->ranges = NULL;
	v->nranges = 0;
}

uint64_t ctnic_vfio_iommu_pagesize(const struct ctnic_vfio *v)
{
	return v->pgsize;
}

size_t ctnic_vfio_iova_ranges(const struct ctnic_vfio *v, const struct ctnic_vfio_iova_range **r)
{
	*r = v->ranges;
	return v->nranges;
}

long ctnic_vfio_dma_avail(struct ctnic_vfio *v)
{
	struct vfio_iommu_type1_info *info;
	char e[CTNIC_VFIO_ERR_LEN];
	if (iommu_info(v, &info, e, sizeof(e)) < 0)
		return -1;
	uint32_t off = find_cap(info, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	long avail = -1;
	if (off && off + sizeof(struct vfio_iommu_type1_info_dma_avail) <= info->argsz) {
		uint32_t a;
		memcpy(&a, (const uint8_t *)info + off +
			       offsetof(struct vfio_iommu_type1_info_dma_avail, avail), sizeof(a));
		avail = (long)a;
	}
	free(info);
	return avail;
}

int ctnic_vfio_set_dma_bits(struct ctnic_vfio *v, unsigned bits)
{
	if (bits < 12 || bits > 64)
		return fail(v, -EINVAL, "DMA address width %u for %s: must be 12..64 bits", bits,
			    v->bdf);
	v->dma_limit = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
	return 0;
}

/*
 * First fit: the lowest IOVA in a usable range, at or below dma_limit, that
 * overlaps no mapping. IOVA 0 and the page after it stay unused, so a device
 * following a zeroed descriptor faults instead of writing into a buffer.
 */
static int iova_alloc(struct ctnic_vfio *v, uint64_t size, uint64_t *iova)
{
	const uint64_t pg = v->pgsize;
	for (size_t r = 0; r < v->nranges; r++) {
		uint64_t start = v->ranges[r].start < pg ? pg : v->ranges[r].start;
		uint64_t end = v->ranges[r].end < v->dma_limit ? v->ranges[r].end : v->dma_limit;
		uint64_t cur = (start + pg - 1) & ~(pg - 1);
		if (cur < start || end < cur)
			continue;
		for (size_t i = 0; i <= v->nmaps; i++) {
			uint64_t gap_end = i < v->nmaps ? v->maps[i].iova : UINT64_MAX; /* exclusive */
			if (i < v->nmaps && v->maps[i].iova + v->maps[i].size <= cur)
				continue;
			if (gap_end > cur && gap_end - cur >= size && end - cur >= size - 1) {
				*iova = cur;
				return 0;
			}
			if (i == v->nmaps)
				break;
			cur = v->maps[i].iova + v->maps[i].size;
			if (cur > end)
				break;
		}
	}
	return -ENOSPC;
}

static int maps_insert(struct ctnic_vfio *v, const struct dma_map *m)
{
	if (v->nmaps == v->capmaps) {
		size_t cap = v->capmaps ? v->capmaps * 2 : 16;
		struct dma_map *n = realloc(v->maps, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		v->maps = n;
		v->capmaps = cap;
	}
	size_t i = v->nmaps;
	while (i > 0 && v->maps[i - 1].iova > m->iova) {
		v->maps[i] = v->maps[i - 1];
		i--;
	}
	v->maps[i] = *m;
	v->nmaps++;
	return 0;
}

static long find_map(const struct ctnic_vfio *v, uint64_t iova, uint64_t size)
{
	for (size_t i = 0; i < v->nmaps; i++)
		if (v->maps[i].iova == iova && v->maps[i].size == size)
			return (long)i;
	return -1;
}

/* What to do about a failed VFIO_IOMMU_MAP_DMA, by errno. */
static void map_advice(struct ctnic_vfio *v, int e, char *out, size_t outlen)
{
	struct rlimit rl;
	if (e == ENOMEM && getrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
		char lim[32];
		if (rl.rlim_cur == RLIM_INFINITY)
			snprintf(lim, sizeof(lim), "unlimited");
		else
			snprintf(lim, sizeof(lim), "%llu bytes", (unsigned long long)rl.rlim_cur);
		snprintf(out, outlen,
			 "pinning it exceeds RLIMIT_MEMLOCK (%s, counting buffers already mapped): "
			 "raise it (ulimit -l; LimitMEMLOCK= in a systemd unit) or grant CAP_IPC_LOCK",
			 lim);
	} else if (e == ENOSPC) {
		snprintf(out, outlen,
			 "vfio_iommu_type1's dma_entry_limit (mappings per container) is used up: "
			 "map fewer, larger buffers, or raise it (module option dma_entry_limit=N)");
	} else if (e == EINVAL) {
		snprintf(out, outlen, "the IOVA or size is not usable by this IOMMU (page size %llu)",
			 (unsigned long long)v->pgsize);
	} else if (e == EEXIST) {
		snprintf(out, outlen, "the IOVA range is already mapped");
	} else {
		snprintf(out, outlen, "see docs/deployment.md");
	}
}

static int dma_map_at(struct ctnic_vfio *v, void *vaddr, uint64_t size, bool owned, uint64_t *iova)
{
	if (((uintptr_t)vaddr | size) & (v->pgsize - 1) || size == 0)
		return fail(v, -EINVAL, "DMA map of %llu bytes at %p for %s: address and size must be "
			    "multiples of the IOMMU page size %llu", (unsigned long long)size, vaddr,
			    v->bdf, (unsigned long long)v->pgsize);
	uint64_t at;
	if (iova_alloc(v, size, &at) < 0)
		return fail(v, -ENOSPC, "DMA map of %llu bytes for %s: no free IOVA range of that size "
			    "up to IOVA 0x%llx (the device's DMA width) in the ranges the IOMMU "
			    "reports: unmap buffers or map smaller ones", (unsigned long long)size, v->bdf,
			    (unsigned long long)v->dma_limit);
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)vaddr,
		.iova = at,
		.size = size,
	};
	if (ioctl(v->container_fd, VFIO_IOMMU_MAP_DMA, &map) < 0) {
		int e = errno;
		char advice[400];
		map_advice(v, e, advice, sizeof(advice));
		return fail(v, -e, "VFIO_IOMMU_MAP_DMA of %llu bytes at IOVA 0x%llx for %s: %s: %s",
			    (unsigned long long)size, (unsigned long long)at, v->bdf, strerror(e),
			    advice);
	}
	struct dma_map m = {.iova = at, .size = size, .vaddr = vaddr, .owned = owned};
	if (maps_insert(v, &m) < 0) {
		struct vfio_iommu_type1_dma_unmap um = {.argsz = sizeof(um), .iova = at, .size = size};
		(void)ioctl(v->container_fd, VFIO_IOMMU_UNMAP_DMA, &um);
		return fail(v, -ENOMEM, "DMA map for %s: out of memory", v->bdf);
	}
	*iova = at;
	return 0;
}

int ctnic_vfio_dma_map(struct ctnic_vfio *v, void *vaddr, size_t size, uint64_t *iova)
{
	return dma_map_at(v, vaddr, size, false, iova);
}

int ctnic_vfio_dma_unmap(struct ctnic_vfio *v, uint64_t iova, size_t size)
{
	long i = find_map(v, iova, size);
	if (i < 0)
		return fail(v, -ENOENT, "DMA unmap of %zu bytes at IOVA 0x%llx for %s: no such "
			    "mapping", size, (unsigned long long)iova, v->bdf);
	struct vfio_iommu_type1_dma_unmap um = {.argsz = sizeof(um), .iova = iova, .size = size};
	if (ioctl(v->container_fd, VFIO_IOMMU_UNMAP_DMA, &um) < 0)
		return fail(v, -errno, "VFIO_IOMMU_UNMAP_DMA of %zu bytes at IOVA 0x%llx for %s: %s",
			    size, (unsigned long long)iova, v->bdf, strerror(errno));
	if (um.size != size)
		return fail(v, -EIO, "VFIO_IOMMU_UNMAP_DMA at IOVA 0x%llx for %s: unmapped %llu of "
			    "%zu bytes", (unsigned long long)iova, v->bdf,
			    (unsigned long long)um.size, size);
	memmove(&v->maps[i], &v->maps[i + 1], (v->nmaps - (size_t)i - 1) * sizeof(v->maps[0]));
	v->nmaps--;
	return 0;
}

int ctnic_vfio_dma_alloc(struct ctnic_vfio *v, size_t size, struct ctnic_vfio_dma *dma)
{
	uint64_t len = (size + v->pgsize - 1) & ~(v->pgsize - 1);
	if (size == 0 || len < size)
		return fail(v, -EINVAL, "DMA alloc of %zu bytes for %s: bad size", size, v->bdf);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return fail(v, -errno, "mmap of %llu bytes of DMA memory for %s: %s",
			    (unsigned long long)len, v->bdf, strerror(errno));
	uint64_t iova;
	int rc = dma_map_at(v, p, len, true, &iova);
	if (rc < 0) {
		munmap(p, len);
		return rc;
	}
	dma->vaddr = p;
	dma->iova = iova;
	dma->size = len;
	return 0;
}

int ctnic_vfio_dma_free(struct ctnic_vfio *v, struct ctnic_vfio_dma *dma)
{
	if (!dma->vaddr)
		return 0;
	int rc = ctnic_vfio_dma_unmap(v, dma->iova, dma->size);
	if (rc < 0)
		return rc;
	munmap(dma->vaddr, dma->size);
	dma->vaddr = NULL;
	dma->iova = 0;
	dma->size = 0;
	return 0;
}
