/*
 * vfio_backend.c - the `pci:` backend of libctnic: a real card bound to
 * vfio-pci, through the VFIO layer (ctnic_vfio.h).
 *
 *   pci:0000:03:00.0   the card at that PCI address
 *   pci:               discovery: the one card with ctnic's vendor and device
 *                      id (CTNIC_PCI_VENDOR_ID:CTNIC_PCI_DEVICE_ID)
 *
 * CSR access is 32-bit MMIO on BAR0. Host memory is one DMA buffer mapped
 * through the IOMMU on first use; its device address is an IOVA from the
 * ranges the IOMMU reports.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "ctnic_vfio.h"

/* Host memory the pci backend offers the card (rings and packet buffers). */
#define PCI_HOST_MEM_SIZE (4u << 20)
/* Cards a discovery looks at before it gives up listing them. */
#define PCI_DISCOVER_MAX 16u

struct pci_be {
	struct ctnic_vfio *v;
	volatile void *bar0;
	size_t bar0_size;
	struct ctnic_vfio_dma mem;
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

static int pci_open(struct ctnic_dev *dev, const char *arg)
{
	char bdf[CTNIC_PCI_BDF_LEN], err[CTNIC_VFIO_ERR_LEN];
	int rc;

	if (*arg == '\0') {
		rc = discover(dev, bdf);
		if (rc < 0)
			return rc;
	} else if (ctnic_pci_parse_bdf(arg, bdf) < 0) {
		return ctnic_dev_err(dev, -EINVAL, "ctnic_open %s: '%s' is not a PCI address like "
				     "0000:03:00.0 (lspci -D shows them)", dev->uri, arg);
	}

	struct pci_be *p = calloc(1, sizeof(*p));
	if (!p)
		return ctnic_dev_err(dev, -ENOMEM, "ctnic_open %s: out of memory", dev->uri);
	dev->priv = p;
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
		int rc = ctnic_vfio_dma_alloc(p->v, PCI_HOST_MEM_SIZE, &p->mem);
		if (rc < 0)
			return ctnic_dev_err(dev, rc, "%s", ctnic_vfio_error(p->v));
	}
	*base = p->mem.vaddr;
	*len = p->mem.size;
	*dev_addr = p->mem.iova;
	return 0;
}

const struct ctnic_backend_ops ctnic_backend_pci = {
	.scheme = "pci",
	.usage = "pci:BDF (or pci: to discover)",
	.open = pci_open,
	.close = pci_close,
	.csr_read = pci_csr_read,
	.csr_write = pci_csr_write,
	.host_mem = pci_host_mem,
};
