/*
 * backend.h - what a libctnic backend provides, and the table of backends.
 *
 * A backend is one file (driver/src/<name>.c) defining one
 * `const struct ctnic_backend_ops ctnic_backend_<name>`, plus one line in
 * CTNIC_BACKENDS below. dev.c owns everything common: URI dispatch, error
 * strings, the table window and the typed entry helpers.
 */
#ifndef CTNIC_BACKEND_H
#define CTNIC_BACKEND_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "ctnic.h"

struct ctnic_backend_ops {
	/* URI scheme, without the colon ("sim" for sim:PATH). */
	const char *scheme;
	/* Shown in the message for an unknown scheme, e.g. "sim:PATH". */
	const char *usage;
	/* arg is the URI after "scheme:". Sets dev->priv. Errors via ctnic_dev_err. */
	int (*open)(struct ctnic_dev *dev, const char *arg);
	/* Frees what open made; never fails. */
	void (*close)(struct ctnic_dev *dev);
	/* off is checked by dev.c: aligned and inside BAR0. */
	int (*csr_read)(struct ctnic_dev *dev, uint32_t off, uint32_t *val);
	int (*csr_write)(struct ctnic_dev *dev, uint32_t off, uint32_t val);
	/* Optional (NULL: no host memory). */
	int (*host_mem)(struct ctnic_dev *dev, void **base, size_t *len, uint64_t *dev_addr);
	/* Optional (NULL: no interrupts): a pollable fd for interrupt vector `vector` (ctnic_ring.h). */
	int (*irq_fd)(struct ctnic_dev *dev, unsigned vector, int *fd);
	/* Optional (NULL: -ENOTSUP): the card back to its reset state, host memory kept (ctnic_reset). */
	int (*reset)(struct ctnic_dev *dev);
};

struct ctnic_dev {
	const struct ctnic_backend_ops *ops;
	void *priv;
	char *uri;
	char err[CTNIC_ERR_LEN];
};

/* Sets dev's error message (printf-style) and returns code (negative errno). */
int ctnic_dev_err(struct ctnic_dev *dev, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The backends, in the order URIs are matched: one X(name) per backend. */
#define CTNIC_BACKENDS \
	X(sim) \
	X(pci) \
	X(model)

#define X(name) extern const struct ctnic_backend_ops ctnic_backend_##name;
CTNIC_BACKENDS
#undef X

#endif /* CTNIC_BACKEND_H */
