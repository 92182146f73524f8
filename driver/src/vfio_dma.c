/*
 * vfio_dma.c - host memory for a device's DMA: VFIO_IOMMU_MAP_DMA at IOVAs
 * allocated first-fit from the ranges VFIO_IOMMU_GET_INFO reports (never the
 * process's virtual addresses: the IOMMU's address width is often narrower),
 * below the device's DMA width.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "ctnic_vfio.h"
#include "vfio_priv.h"

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

int ctnic_vfio_dma_setup(struct ctnic_vfio *v, char *err, size_t errlen)
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

void ctnic_vfio_dma_teardown(struct ctnic_vfio *v)
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
