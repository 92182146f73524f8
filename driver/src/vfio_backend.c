/*
 * vfio_backend.c - the `pci:` backend of libctnic: a real card bound to
 * vfio-pci, through the VFIO layer (ctnic_vfio.h).
 *
 *   pci:0000:03:00.0         the card at that PCI address
 *   pci:                     discovery: the one card with ctnic's vendor and
 *                            device id (CTNIC_PCI_VENDOR_ID:CTNIC_PCI_DEVICE_ID)
 *   pci:0000:03:00.0,mem=N   either, with N MiB of host memory (default 64)
 *   pci:mem=N
 *
 * CSR access is 32-bit MMIO on BAR0; writes go through ctnic_mmio_write32,
 * which orders the host's earlier memory writes (ring entries) before the
 * store reaches the card (the doorbell rule of docs/rings.md). Host memory is
 * one DMA buffer mapped through the IOMMU on first use; its device address is
 * an IOVA from the ranges the IOMMU reports; it is pinned, so it counts
 * against RLIMIT_MEMLOCK (checked at open, docs/deployment.md). Interrupt
 * vector i (docs/rings.md) is MSI-X vector i, or MSI when the card has no
 * MSI-X; all of them are enabled on the first ctnic_irq_fd, one eventfd each.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "backend.h"
#include "ctnic_vfio.h"

/* Host memory the pci backend offers the card (rings and packet buffers), in MiB. */
#define PCI_HOST_MEM_DEFAULT_MIB 64u
/* The most a mem= option may ask for: 64 GiB. */
#define PCI_HOST_MEM_MAX_MIB 65536u
/* Cards a discovery looks at before it gives up listing them. */
#define PCI_DISCOVER_MAX 16u
/* CAP_IPC_LOCK (linux/capability.h): its holder is not held to RLIMIT_MEMLOCK. */
#define PCI_CAP_IPC_LOCK 14

struct pci_be {
	struct ctnic_vfio *v;
	volatile void *bar0;
	size_t bar0_size;
	size_t mem_size; /* host memory to map on first use (mem=) */
	struct ctnic_vfio_dma mem;
	/* Interrupts, once asked for: nvec vectors of one type, eventfd i for vector i. */
	unsigned nvec;
	int irq_fds[CTNIC_RINGS];
	const char *irq_type;
};

/* The one ctnic card on the bus, or a message saying why there is not one. */
static int discover(struct ctnic_dev *dev, char bdf[CTNIC_PCI_BDF_LEN])
{
	struct ctnic_pci_dev devs[PCI_DISCOVER_MAX];
	char err[CTNIC_VFIO_ERR_LEN];
	size_t n = 0;

	int rc = ctnic_pci_find(CTNIC_PCI_VENDOR_ID, CTNIC_PCI_DEVICE_ID, NULL, devs,
				PCI_DISCOVER_MAX, &n, err, sizeof(err));
	if (rc < 0)
		return ctnic_dev_err(dev, rc, "ctnic_open %s: %s", dev->uri, err);
	if (n == 0)
		return ctnic_dev_err(dev, -ENODEV,
				     "ctnic_open %s: no ctnic card (PCI id %04x:%04x) on the PCI bus "
				     "(lspci -d %04x:%04x): check that it is seated and powered, or "
				     "give its address as pci:BDF", dev->uri, CTNIC_PCI_VENDOR_ID,
				     CTNIC_PCI_DEVICE_ID, CTNIC_PCI_VENDOR_ID, CTNIC_PCI_DEVICE_ID);
	if (n > 1) {
		char list[160];
		size_t used = 0;
		list[0] = '\0';
		for (size_t i = 0; i < n && i < PCI_DISCOVER_MAX; i++) {
			int k = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
					 devs[i].bdf);
			if (k < 0 || (size_t)k >= sizeof(list) - used)
				break;
			used += (size_t)k;
		}
		return ctnic_dev_err(dev, -EEXIST, "ctnic_open %s: %zu ctnic cards found (%s): "
				     "name one as pci:BDF", dev->uri, n, list);
	}
	memcpy(bdf, devs[0].bdf, CTNIC_PCI_BDF_LEN);
	return 0;
}

static void pci_close(struct ctnic_dev *dev)
{
	struct pci_be *p = dev->priv;
	if (!p)
		return;
	if (p->mem.vaddr)
		ctnic_vfio_dma_free(p->v, &p->mem);
	ctnic_vfio_close(p->v);
	free(p);
	dev->priv = NULL;
}

/*
 * Splits "BDF", "BDF,mem=N", "mem=N" or "" into the address (empty:
 * discover) and the host memory size in MiB.
 */
static int parse_arg(struct ctnic_dev *dev, const char *arg, char addr[32], unsigned *mem_mib)
{
	const char *comma = strchr(arg, ','), *opts;
	size_t alen;

	if (!strncmp(arg, "mem=", 4)) {
		alen = 0; /* no address: discovery with options */
		opts = arg;
	} else {
		alen = comma ? (size_t)(comma - arg) : strlen(arg);
		opts = comma ? comma + 1 : NULL;
	}
	if (alen >= 32)
		return ctnic_dev_err(dev, -EINVAL, "ctnic_open %s: '%.40s...' is not a PCI address like "
				     "0000:03:00.0 (lspci -D shows them)", dev->uri, arg);
	memcpy(addr, arg, alen);
	addr[alen] = '\0';
	*mem_mib = PCI_HOST_MEM_DEFAULT_MIB;
	while (opts) {
		const char *o = opts, *next = strchr(o, ',');
		size_t olen = next ? (size_t)(next - o) : strlen(o);
		unsigned long v = 0;
		char *end = NULL;

		if (olen > 4 && !strncmp(o, "mem=", 4)) {
			errno = 0;
			v = strtoul(o + 4, &end, 10);
		}
		if (!end || end != o + olen || errno || o[4] < '0' || o[4] > '9' || v < 1 ||
		    v > PCI_HOST_MEM_MAX_MIB)
			return ctnic_dev_err(dev, -EINVAL, "ctnic_open %s: option '%.*s' is not mem=N: give "
					     "pci:BDF,mem=N or pci:mem=N with N the host memory in MiB, 1 to %u "
					     "(default %u)", dev->uri, (int)(olen > 40 ? 40 : olen), o,
					     PCI_HOST_MEM_MAX_MIB, PCI_HOST_MEM_DEFAULT_MIB);
		*mem_mib = (unsigned)v;
		opts = next ? next + 1 : NULL;
	}
	return 0;
}

/* Whether this thread holds CAP_IPC_LOCK in its effective set (/proc/self/status CapEff). */
static bool has_ipc_lock(void)
{
	char line[128];
	unsigned long long eff = 0;
	bool found = false;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "CapEff: %llx", &eff) == 1;
	fclose(f);
	return found && (eff >> PCI_CAP_IPC_LOCK & 1u);
}

/*
 * Refuses host memory that RLIMIT_MEMLOCK will not let VFIO pin (the type1
 * IOMMU counts every pinned page against it unless the process holds
 * CAP_IPC_LOCK), before anything is opened, with the ulimit -l it needs.
 */
static int check_memlock(struct ctnic_dev *dev, unsigned mem_mib)
{
	struct rlimit rl;
	unsigned long long need_kib = (unsigned long long)mem_mib << 10;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    (unsigned long long)rl.rlim_cur >= need_kib << 10 || has_ipc_lock())
		return 0;
	return ctnic_dev_err(dev, -ENOMEM, "ctnic_open %s: %u MiB of host memory cannot be pinned for DMA: "
			     "the locked-memory limit (RLIMIT_MEMLOCK) is %llu KiB and VFIO counts every "
			     "pinned page: raise it to at least %llu KiB (ulimit -l %llu; LimitMEMLOCK=%lluK "
			     "in a systemd unit), grant CAP_IPC_LOCK, or ask for less with mem=N "
			     "(docs/deployment.md)", dev->uri, mem_mib,
			     (unsigned long long)rl.rlim_cur >> 10, need_kib, need_kib, need_kib);
}

static int pci_open(struct ctnic_dev *dev, const char *arg)
{
	char bdf[CTNIC_PCI_BDF_LEN], err[CTNIC_VFIO_ERR_LEN], addr[32];
	unsigned mem_mib = PCI_HOST_MEM_DEFAULT_MIB;
	int rc;

	if ((rc = parse_arg(dev, arg, addr, &mem_mib)) < 0)
		return rc;
	if (*addr == '\0') {
		rc = discover(dev, bdf);
		if (rc < 0)
			return rc;
	} else if (ctnic_pci_parse_bdf(addr, bdf) < 0) {
		return ctnic_dev_err(dev, -EINVAL, "ctnic_open %s: '%s' is not a PCI address like "
				     "0000:03:00.0 (lspci -D shows them)", dev->uri, addr);
	}
	if ((rc = check_memlock(dev, mem_mib)) < 0)
		return rc;

	struct pci_be *p = calloc(1, sizeof(*p));
	if (!p)
		return ctnic_dev_err(dev, -ENOMEM, "ctnic_open %s: out of memory", dev->uri);
	dev->priv = p;
	p->mem_size = (size_t)mem_mib << 20;
	rc = ctnic_vfio_open(bdf, NULL, &p->v, err, sizeof(err));
	if (rc < 0) {
		ctnic_dev_err(dev, rc, "%s", err);
		goto fail;
	}
	rc = ctnic_vfio_bar_map(p->v, 0, &p->bar0, &p->bar0_size);
	if (rc < 0) {
		ctnic_dev_err(dev, rc, "%s", ctnic_vfio_error(p->v));
		goto fail;
	}
	if (p->bar0_size < CTNIC_BAR0_SIZE) {
		rc = ctnic_dev_err(dev, -ENODEV, "ctnic_open %s: BAR0 of %s is %zu bytes, the card's "
				   "registers need 0x%x: is this a ctnic card?", dev->uri, bdf,
				   p->bar0_size, CTNIC_BAR0_SIZE);
		goto fail;
	}
	/* The card masters DMA (rings) and MSI-X writes. */
	rc = ctnic_vfio_bus_master(p->v, true);
	if (rc < 0) {
		ctnic_dev_err(dev, rc, "%s", ctnic_vfio_error(p->v));
		goto fail;
	}
	return 0;
fail:
	pci_close(dev);
	return rc;
}

static int pci_csr_read(struct ctnic_dev *dev, uint32_t off, uint32_t *val)
{
	struct pci_be *p = dev->priv;
	*val = ctnic_mmio_read32(p->bar0, off);
	return 0;
}

static int pci_csr_write(struct ctnic_dev *dev, uint32_t off, uint32_t val)
{
	struct pci_be *p = dev->priv;
	ctnic_mmio_write32(p->bar0, off, val);
	return 0;
}

static int pci_host_mem(struct ctnic_dev *dev, void **base, size_t *len, uint64_t *dev_addr)
{
	struct pci_be *p = dev->priv;
	if (!p->mem.vaddr) {
		int rc = ctnic_vfio_dma_alloc(p->v, p->mem_size, &p->mem);
		if (rc < 0)
			return ctnic_dev_err(dev, rc, "ctnic_host_mem on %s (%zu MiB, option mem=): %s",
					     dev->uri, p->mem_size >> 20, ctnic_vfio_error(p->v));
	}
	*base = p->mem.vaddr;
	*len = p->mem.size;
	*dev_addr = p->mem.iova;
	return 0;
}

/* Enables the card's vectors, MSI-X if it has them, else MSI: one eventfd per ring vector. */
static int irq_setup(struct ctnic_dev *dev)
{
	struct pci_be *p = dev->priv;
	static const struct {
		enum ctnic_vfio_irq_type type;
		const char *name;
	} kinds[] = { { CTNIC_VFIO_IRQ_MSIX, "MSI-X" }, { CTNIC_VFIO_IRQ_MSI, "MSI" } };
	int rc;

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		unsigned have = 0;

		if ((rc = ctnic_vfio_irq_count(p->v, kinds[k].type, &have)) < 0)
			return ctnic_dev_err(dev, rc, "ctnic_irq_fd on %s: %s", dev->uri, ctnic_vfio_error(p->v));
		if (have == 0)
			continue;
		unsigned n = have < CTNIC_RINGS ? have : CTNIC_RINGS;
		if ((rc = ctnic_vfio_irq_enable(p->v, kinds[k].type, n, p->irq_fds)) < 0)
			return ctnic_dev_err(dev, rc, "ctnic_irq_fd on %s: %s", dev->uri, ctnic_vfio_error(p->v));
		p->nvec = n;
		p->irq_type = kinds[k].name;
		return 0;
	}
	return ctnic_dev_err(dev, -ENOTSUP, "ctnic_irq_fd on %s: the device offers neither MSI-X nor MSI "
			     "(lspci -vv -s %s): poll the rings instead", dev->uri, ctnic_vfio_bdf(p->v));
}

static int pci_irq_fd(struct ctnic_dev *dev, unsigned vector, int *fd)
{
	struct pci_be *p = dev->priv;
	int rc;

	if (vector >= CTNIC_RINGS)
		return ctnic_dev_err(dev, -EINVAL, "interrupt vector %u of %s: the card has vectors 0..%u",
				     vector, dev->uri, CTNIC_RINGS - 1);
	if (!p->nvec && (rc = irq_setup(dev)) < 0)
		return rc;
	/* docs/rings.md: with a single vector every ring signals vector 0. */
	if (p->nvec == 1)
		vector = 0;
	if (vector >= p->nvec)
		return ctnic_dev_err(dev, -ENOTSUP, "interrupt vector %u of %s: the device enabled only %u %s "
				     "vectors (one per ring, or one for all, is what the card offers): "
				     "poll that ring instead", vector, dev->uri, p->nvec, p->irq_type);
	*fd = p->irq_fds[vector];
	return 0;
}

/*
 * VFIO_DEVICE_RESET: the kernel saves and restores config space around it,
 * so BAR mappings, bus mastering and the MSI-X/MSI setup (with its eventfds)
 * survive; the card's own registers go to their reset values. Interrupts that
 * fired before the reset are drained from the eventfds.
 */
static int pci_reset(struct ctnic_dev *dev)
{
	struct pci_be *p = dev->priv;
	int rc;

	if ((rc = ctnic_vfio_reset(p->v)) < 0)
		return ctnic_dev_err(dev, rc, "ctnic_reset on %s: %s", dev->uri, ctnic_vfio_error(p->v));
	if ((rc = ctnic_vfio_bus_master(p->v, true)) < 0)
		return ctnic_dev_err(dev, rc, "ctnic_reset on %s: after the reset: %s", dev->uri,
				     ctnic_vfio_error(p->v));
	for (unsigned i = 0; i < p->nvec; i++) {
		uint64_t stale;

		while (read(p->irq_fds[i], &stale, sizeof(stale)) == (ssize_t)sizeof(stale))
			;
	}
	return 0;
}

const struct ctnic_backend_ops ctnic_backend_pci = {
	.scheme = "pci",
	.usage = "pci:BDF[,mem=MiB] (or pci: to discover)",
	.open = pci_open,
	.close = pci_close,
	.csr_read = pci_csr_read,
	.csr_write = pci_csr_write,
	.host_mem = pci_host_mem,
	.irq_fd = pci_irq_fd,
	.reset = pci_reset,
};
