/*
 * vfio_priv.h - what the VFIO layer's files share: the handle behind
 * struct ctnic_vfio and the two error helpers (errf also serves pci.c and
 * pci_sysfs.c). vfio.c opens and closes a
 * device (group, container, config space, BARs, reset), vfio_irq.c turns
 * MSI/MSI-X vectors into eventfds, vfio_dma.c maps DMA memory at IOVAs from
 * the ranges the IOMMU reports. Not installed; not part of the API.
 */
#ifndef CTNIC_VFIO_PRIV_H
#define CTNIC_VFIO_PRIV_H

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

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

/* IOMMU info and IOVA ranges of a fresh container (vfio_dma.c); undone by teardown. */
int ctnic_vfio_dma_setup(struct ctnic_vfio *v, char *err, size_t errlen);
/* Unmaps and frees every DMA mapping, frees the ranges. */
void ctnic_vfio_dma_teardown(struct ctnic_vfio *v);

/* Sets the handle's message; returns rc. */
__attribute__((format(printf, 3, 4)))
static inline int fail(struct ctnic_vfio *v, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->err, sizeof(v->err), fmt, ap);
	va_end(ap);
	return rc;
}

/* Writes a message into a caller's buffer (NULL: none); returns rc. */
__attribute__((format(printf, 4, 5)))
static inline int errf(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

#endif
