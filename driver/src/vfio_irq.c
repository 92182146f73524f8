/*
 * vfio_irq.c - a device's MSI or MSI-X vectors as eventfds
 * (VFIO_DEVICE_SET_IRQS with VFIO_IRQ_SET_DATA_EVENTFD), and waiting on one.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "ctnic_vfio.h"
#include "vfio_priv.h"

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
