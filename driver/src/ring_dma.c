/*
 * ring_dma.c - DMA memory for rings and buffers (ctnic_ring.h): a first-fit
 * allocator of 4096-byte pages over the device's host memory.
 *
 * The free list is a sorted array of page extents, coalesced on free; a
 * device holds a handful of rings and buffers, so linear scans are enough.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "ctnic_ring.h"

#define DMA_PAGE 4096u

struct extent {
	size_t off, len; /* bytes from the start of host memory, page multiples */
};

struct ctnic_dma_pool {
	struct ctnic_dev *dev;
	uint8_t *base;
	size_t len;
	uint64_t iova;
	struct extent *free; /* sorted by off, never adjacent */
	size_t nfree, cap;
};

int ctnic_dma_pool_create(struct ctnic_dev *dev, struct ctnic_dma_pool **poolp)
{
	struct ctnic_dma_pool *p;
	void *base;
	size_t len;
	uint64_t iova;
	int rc;

	*poolp = NULL;
	if ((rc = ctnic_host_mem(dev, &base, &len, &iova)) < 0)
		return rc;
	/* The device address of host memory is page aligned on every backend; keep the pool so. */
	if ((uintptr_t)base % DMA_PAGE || iova % DMA_PAGE || len < DMA_PAGE)
		return ctnic_dev_err(dev, -EINVAL,
				     "ctnic_dma_pool_create on %s: host memory (%zu bytes at device address 0x%llx) is not page aligned or smaller than a page",
				     dev->uri, len, (unsigned long long)iova);
	p = calloc(1, sizeof(*p));
	if (!p || !(p->free = malloc(8 * sizeof(*p->free)))) {
		free(p);
		return ctnic_dev_err(dev, -ENOMEM, "ctnic_dma_pool_create on %s: out of memory", dev->uri);
	}
	p->dev = dev;
	p->base = base;
	p->len = len / DMA_PAGE * DMA_PAGE;
	p->iova = iova;
	p->cap = 8;
	p->nfree = 1;
	p->free[0] = (struct extent){ 0, p->len };
	*poolp = p;
	return 0;
}

void ctnic_dma_pool_destroy(struct ctnic_dma_pool *pool)
{
	if (!pool)
		return;
	free(pool->free);
	free(pool);
}

int ctnic_dma_alloc(struct ctnic_dma_pool *pool, size_t len, struct ctnic_dma_buf *buf)
{
	size_t need = (len + DMA_PAGE - 1) / DMA_PAGE * DMA_PAGE;

	memset(buf, 0, sizeof(*buf));
	if (need == 0 || need < len)
		return ctnic_dev_err(pool->dev, -EINVAL, "ctnic_dma_alloc on %s: %zu bytes is not a size to allocate",
				     pool->dev->uri, len);
	for (size_t i = 0; i < pool->nfree; i++) {
		struct extent *e = &pool->free[i];

		if (e->len < need)
			continue;
		buf->va = pool->base + e->off;
		buf->iova = pool->iova + e->off;
		buf->len = need;
		e->off += need;
		e->len -= need;
		if (!e->len) {
			memmove(e, e + 1, (pool->nfree - i - 1) * sizeof(*e));
			pool->nfree--;
		}
		memset(buf->va, 0, need);
		return 0;
	}
	return ctnic_dev_err(pool->dev, -ENOMEM,
			     "ctnic_dma_alloc on %s: no free block of %zu bytes in the %zu bytes of host memory: free buffers, or give the device more host memory",
			     pool->dev->uri, need, pool->len);
}

void ctnic_dma_free(struct ctnic_dma_pool *pool, struct ctnic_dma_buf *buf)
{
	size_t off, i;

	if (!buf->va)
		return;
	off = (size_t)((uint8_t *)buf->va - pool->base);
	for (i = 0; i < pool->nfree && pool->free[i].off < off; i++)
		;
	/* Merge with the extent before, the one after, or both; else insert. */
	if (i > 0 && pool->free[i - 1].off + pool->free[i - 1].len == off) {
		pool->free[i - 1].len += buf->len;
		if (i < pool->nfree && off + buf->len == pool->free[i].off) {
			pool->free[i - 1].len += pool->free[i].len;
			memmove(&pool->free[i], &pool->free[i + 1], (pool->nfree - i - 1) * sizeof(*pool->free));
			pool->nfree--;
		}
	} else if (i < pool->nfree && off + buf->len == pool->free[i].off) {
		pool->free[i].off = off;
		pool->free[i].len += buf->len;
	} else {
		if (pool->nfree == pool->cap) {
			struct extent *n = realloc(pool->free, 2 * pool->cap * sizeof(*n));

			/* Out of memory for the list: the block stays allocated (leaked), nothing breaks. */
			if (!n)
				goto done;
			pool->free = n;
			pool->cap *= 2;
		}
		memmove(&pool->free[i + 1], &pool->free[i], (pool->nfree - i) * sizeof(*pool->free));
		pool->free[i] = (struct extent){ off, buf->len };
		pool->nfree++;
	}
done:
	memset(buf, 0, sizeof(*buf));
}
