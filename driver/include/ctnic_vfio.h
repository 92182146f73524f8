/*
 * ctnic_vfio.h - libctnic's VFIO layer and PCI discovery: a PCIe device
 * bound to vfio-pci, driven from userspace through the kernel's legacy
 * container/group interface (the one Debian's kernels build: no iommufd, no
 * no-IOMMU mode).
 *
 * One struct ctnic_vfio is one device with its own container (one IOMMU
 * domain). It maps BARs, maps host memory for DMA at IOVAs taken from the
 * ranges VFIO_IOMMU_GET_INFO reports (never identity-mapped virtual
 * addresses), turns MSI and MSI-X vectors into eventfds, resets the device
 * and reads and writes its config space.
 *
 * Errors: every function returns 0 or a negative errno. ctnic_vfio_open()
 * writes its message into the caller's buffer; the others keep it in the
 * handle, read with ctnic_vfio_error(). A message says which call failed on
 * which object, why, and what to do (docs/deployment.md explains each).
 * Nothing here prints or exits. A handle is not thread-safe: use it from one
 * thread at a time (reading a mapped BAR or an eventfd needs no lock).
 */
#ifndef CTNIC_VFIO_H
#define CTNIC_VFIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <endian.h>

/* Room for any message of this layer. */
#define CTNIC_VFIO_ERR_LEN 512u
/* A PCI address as sysfs spells it, "0000:03:00.0", plus its NUL. */
#define CTNIC_PCI_BDF_LEN 13u
/* BARs of a PCI function. */
#define CTNIC_VFIO_BARS 6u

struct ctnic_vfio;

/* Where the kernel interfaces live; NULL fields take the defaults. */
struct ctnic_vfio_opts {
	const char *sysfs_root; /* default "/sys" */
	const char *vfio_dir;   /* default "/dev/vfio" */
};

/*
 * Opens the device at bdf ("0000:03:00.0"; "03:00.0" means domain 0): checks
 * that it is bound to vfio-pci, opens its IOMMU group and a container, sets
 * the type1 IOMMU, reads the IOVA ranges, and gets the device fd. opts may be
 * NULL. On failure *out is NULL and err holds the reason.
 */
int ctnic_vfio_open(const char *bdf, const struct ctnic_vfio_opts *opts,
		    struct ctnic_vfio **out, char *err, size_t errlen);

/* Undoes open: disables interrupts, unmaps DMA and BARs, closes the fds. */
void ctnic_vfio_close(struct ctnic_vfio *v);

/* The last failure's message on this handle ("" when none). */
const char *ctnic_vfio_error(const struct ctnic_vfio *v);

const char *ctnic_vfio_bdf(const struct ctnic_vfio *v);
int ctnic_vfio_group(const struct ctnic_vfio *v);

/* ---- BARs ---- */

/*
 * Maps BAR bar (0..5) into the process; *addr and *size describe it. A BAR is
 * mapped once: a second call returns the same mapping. Fails with a message
 * for a BAR that is absent, an I/O port BAR, or one vfio-pci will not mmap.
 */
int ctnic_vfio_bar_map(struct ctnic_vfio *v, unsigned bar, volatile void **addr, size_t *size);
int ctnic_vfio_bar_unmap(struct ctnic_vfio *v, unsigned bar);

/*
 * Orders this thread's earlier stores to normal (cacheable) memory before a
 * later store to a BAR, as seen by the device: the doorbell rule of
 * docs/rings.md (ring entries are in host memory before the card hears of
 * them). A C11 release fence is not enough: it orders only against other
 * CPUs (the inner shareable domain on Arm), not against a device reading
 * memory after an uncached MMIO write. What each architecture needs is what
 * Linux's writel() puts before the store (__iowmb(), Documentation/
 * memory-barriers.txt "KERNEL I/O BARRIER EFFECTS"):
 *  - x86: nothing but a compiler barrier; stores are not reordered with
 *    older stores, uncached ones included (Intel SDM vol. 3A 9.2.2 "Memory
 *    Ordering in P6 and More Recent Processor Families", 12.3 "Methods of
 *    Caching Available"), so a write to a UC BAR follows the ring entries.
 *  - AArch64: DMB OSHST, ordering stores in the outer shareable domain, where
 *    the device observes them (Arm ARM B2.3; arch/arm64/include/asm/barrier.h
 *    __dma_wmb, used by __iowmb).
 *  - POWER: SYNC (hwsync); lwsync does not order cacheable stores against
 *    cache-inhibited ones (Power ISA Book II 1.7.1; arch/powerpc io.h writel).
 *  - RISC-V: FENCE W,O (memory writes before device output; arch/riscv
 *    include/asm/mmio.h __io_bw).
 *  - anything else: a full sequentially consistent fence, the strongest the
 *    compiler offers without knowing the architecture.
 */
static inline void ctnic_mmio_wmb(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ __volatile__("" ::: "memory");
#elif defined(__aarch64__)
	__asm__ __volatile__("dmb oshst" ::: "memory");
#elif defined(__powerpc__) || defined(__powerpc64__)
	__asm__ __volatile__("sync" ::: "memory");
#elif defined(__riscv)
	__asm__ __volatile__("fence w,o" ::: "memory");
#else
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

/*
 * 32-bit little-endian register access on a mapped BAR. ctnic_mmio_write32
 * is the one register write of the pci: backend, doorbells included: it puts
 * ctnic_mmio_wmb() before the store (writel() semantics), so a doorbell never
 * overtakes the ring entries it announces. The _relaxed form has no barrier,
 * for writes that announce nothing in memory.
 */
static inline uint32_t ctnic_mmio_read32(volatile void *base, size_t off)
{
	return le32toh(*(volatile uint32_t *)((volatile uint8_t *)base + off));
}

static inline void ctnic_mmio_write32_relaxed(volatile void *base, size_t off, uint32_t val)
{
	*(volatile uint32_t *)((volatile uint8_t *)base + off) = htole32(val);
}

static inline void ctnic_mmio_write32(volatile void *base, size_t off, uint32_t val)
{
	ctnic_mmio_wmb();
	ctnic_mmio_write32_relaxed(base, off, val);
}

static inline void ctnic_mmio_write64(volatile void *base, size_t off, uint64_t val)
{
	ctnic_mmio_wmb();
	*(volatile uint64_t *)((volatile uint8_t *)base + off) = htole64(val);
}

/* ---- DMA ---- */

/* Host memory the device reaches at iova. */
struct ctnic_vfio_dma {
	void *vaddr;
	uint64_t iova;
	size_t size;
};

/*
 * The device's DMA address width (the edu test device: 28 bits). IOVAs are
 * allocated below 2^bits. Default 64.
 */
int ctnic_vfio_set_dma_bits(struct ctnic_vfio *v, unsigned bits);

/*
 * Allocates size bytes (rounded up to the IOMMU page size), zeroed, and maps
 * them for device reads and writes at an IOVA from the usable ranges.
 */
int ctnic_vfio_dma_alloc(struct ctnic_vfio *v, size_t size, struct ctnic_vfio_dma *dma);
/* Unmaps from the IOMMU and frees what dma_alloc gave. */
int ctnic_vfio_dma_free(struct ctnic_vfio *v, struct ctnic_vfio_dma *dma);

/*
 * Maps caller memory (page-aligned address and size) at a fresh IOVA;
 * ctnic_vfio_dma_unmap() removes the mapping. The memory is pinned while
 * mapped and counts against RLIMIT_MEMLOCK.
 */
int ctnic_vfio_dma_map(struct ctnic_vfio *v, void *vaddr, size_t size, uint64_t *iova);
int ctnic_vfio_dma_unmap(struct ctnic_vfio *v, uint64_t iova, size_t size);

/* IOMMU page size used for alignment, and how many mappings the kernel still allows (-1: not reported). */
uint64_t ctnic_vfio_iommu_pagesize(const struct ctnic_vfio *v);
long ctnic_vfio_dma_avail(struct ctnic_vfio *v);

/* Usable IOVA ranges as VFIO_IOMMU_GET_INFO reported them. */
struct ctnic_vfio_iova_range {
	uint64_t start;
	uint64_t end; /* inclusive */
};
size_t ctnic_vfio_iova_ranges(const struct ctnic_vfio *v, const struct ctnic_vfio_iova_range **ranges);

/* ---- Interrupts ---- */

enum ctnic_vfio_irq_type {
	CTNIC_VFIO_IRQ_INTX = 0, /* VFIO_PCI_INTX_IRQ_INDEX */
	CTNIC_VFIO_IRQ_MSI = 1,  /* VFIO_PCI_MSI_IRQ_INDEX */
	CTNIC_VFIO_IRQ_MSIX = 2, /* VFIO_PCI_MSIX_IRQ_INDEX */
};

/* Vectors the device offers of this type (0: none). */
int ctnic_vfio_irq_count(struct ctnic_vfio *v, enum ctnic_vfio_irq_type type, unsigned *count);

/*
 * Enables count vectors of type, each signalling its own eventfd (fds[i],
 * non-blocking, owned by the handle until irq_disable or close). Only one
 * type is enabled at a time. Turn on bus mastering first: an MSI is a DMA
 * write.
 */
int ctnic_vfio_irq_enable(struct ctnic_vfio *v, enum ctnic_vfio_irq_type type, unsigned count,
			  int *fds);
int ctnic_vfio_irq_disable(struct ctnic_vfio *v);

/*
 * Waits up to timeout_ms for the eventfd to fire; *count gets how many
 * interrupts arrived since the last read. Returns 0, -ETIMEDOUT, or another
 * -errno.
 */
int ctnic_vfio_irq_wait(int fd, int timeout_ms, uint64_t *count);

/* ---- Reset and config space ---- */

/* VFIO_DEVICE_RESET (function-level, PM or bus reset, as the kernel can). */
int ctnic_vfio_reset(struct ctnic_vfio *v);
bool ctnic_vfio_can_reset(const struct ctnic_vfio *v);

int ctnic_vfio_config_read(struct ctnic_vfio *v, unsigned off, void *buf, size_t len);
int ctnic_vfio_config_write(struct ctnic_vfio *v, unsigned off, const void *buf, size_t len);
/* Sets or clears Bus Master Enable (and Memory Space Enable when on). */
int ctnic_vfio_bus_master(struct ctnic_vfio *v, bool on);

/* ---- PCI discovery (libpci) ---- */

struct ctnic_pci_dev {
	char bdf[CTNIC_PCI_BDF_LEN];
	uint16_t vendor_id;
	uint16_t device_id;
	char driver[64]; /* bound driver, "" when none */
	int iommu_group; /* -1: no IOMMU group (IOMMU off) */
};

/*
 * Finds up to max PCI functions with this vendor and device id (device_id
 * 0xffff: any) and fills devs; *found gets how many matched in all (which
 * may exceed max). opts->sysfs_root as for ctnic_vfio_open.
 */
int ctnic_pci_find(uint16_t vendor_id, uint16_t device_id, const struct ctnic_vfio_opts *opts,
		   struct ctnic_pci_dev *devs, size_t max, size_t *found, char *err, size_t errlen);

/* Fills driver and IOMMU group of the device at bdf from sysfs. */
int ctnic_pci_describe(const char *bdf, const struct ctnic_vfio_opts *opts, struct ctnic_pci_dev *dev,
		       char *err, size_t errlen);

/* Normalizes "03:00.0" or "0000:03:00.0" to the sysfs form; -EINVAL otherwise. */
int ctnic_pci_parse_bdf(const char *in, char out[CTNIC_PCI_BDF_LEN]);

#endif
