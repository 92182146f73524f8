/*
 * pci.c - finding the card on the PCI bus with libpci (pciutils): every
 * function with a given vendor and device id, with its address, the driver
 * bound to it and its IOMMU group, so the daemon can say which card to bind
 * to vfio-pci before it opens one.
 *
 * libpci reports fatal errors through a callback that must not return; the
 * one here jumps back to ctnic_pci_find with the message, so the library
 * neither prints nor exits.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <pci/pci.h>

#include "ctnic_vfio.h"
#include "vfio_priv.h"

/* The scan in progress on this thread: where libpci's error callback returns to. */
static _Thread_local struct {
	jmp_buf env;
	char msg[256];
} scan_ctx;

__attribute__((format(printf, 1, 2), noreturn))
static void lib_error(char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(scan_ctx.msg, sizeof(scan_ctx.msg), fmt, ap);
	va_end(ap);
	longjmp(scan_ctx.env, 1);
}

__attribute__((format(printf, 1, 2)))
static void lib_quiet(char *fmt, ...)
{
	(void)fmt;
}

int ctnic_pci_find(uint16_t vendor_id, uint16_t device_id, const struct ctnic_vfio_opts *opts,
		   struct ctnic_pci_dev *devs, size_t max, size_t *found, char *err, size_t errlen)
{
	/* volatile: these live across the longjmp from lib_error */
	struct pci_access *volatile pacc = NULL;
	volatile size_t n = 0;
	char sysfs_path[PATH_MAX];
	int rc = 0;

	*found = 0;
	pacc = pci_alloc();
	if (!pacc)
		return errf(err, errlen, -ENOMEM, "pci_alloc: out of memory");
	pacc->error = lib_error;
	pacc->warning = lib_quiet;
	pacc->debug = lib_quiet;
	if (opts && opts->sysfs_root) {
		/* A sysfs tree elsewhere (a container's, or a test's): read it and only it. */
		snprintf(sysfs_path, sizeof(sysfs_path), "%s/bus/pci", opts->sysfs_root);
		pacc->method = PCI_ACCESS_SYS_BUS_PCI;
		pci_set_param(pacc, "sysfs.path", sysfs_path);
	}

	if (setjmp(scan_ctx.env)) {
		rc = errf(err, errlen, -EIO,
			  "libpci scan for %04x:%04x: %s: check that sysfs is mounted at %s",
			  vendor_id, device_id, scan_ctx.msg,
			  opts && opts->sysfs_root ? opts->sysfs_root : "/sys");
		goto out;
	}
	pci_init(pacc);
	pci_scan_bus(pacc);
	for (struct pci_dev *d = pacc->devices; d; d = d->next) {
		pci_fill_info(d, PCI_FILL_IDENT);
		if (d->vendor_id != vendor_id || (device_id != 0xffff && d->device_id != device_id))
			continue;
		if (n < max) {
			char bdf[32];
			snprintf(bdf, sizeof(bdf), "%04x:%02x:%02x.%u", d->domain, d->bus, d->dev,
				 d->func);
			struct ctnic_pci_dev *out = &devs[n];
			rc = ctnic_pci_describe(bdf, opts, out, err, errlen);
			if (rc < 0)
				goto out;
			out->vendor_id = d->vendor_id;
			out->device_id = d->device_id;
		}
		n++;
	}
	*found = n;
out:
	pci_cleanup(pacc);
	return rc;
}
