/*
 * dev.c - the device API common to every backend (ctnic.h): opening by URI,
 * error messages, CSR access checks, the table window and typed entries.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

/* TBL_STATUS polls before a table operation counts as hung. */
#define TBL_POLL_MAX 1000

static const struct ctnic_backend_ops *const backends[] = {
#define X(name) &ctnic_backend_##name,
	CTNIC_BACKENDS
#undef X
};

int ctnic_dev_err(struct ctnic_dev *dev, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dev->err, sizeof(dev->err), fmt, ap);
	va_end(ap);
	return code;
}

static void usage_list(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 backends[i]->usage);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
}

int ctnic_open(struct ctnic_dev **devp, const char *uri, char *err, size_t errlen)
{
	const struct ctnic_backend_ops *ops = NULL;
	struct ctnic_dev *dev;
	const char *colon;
	char usage[192];
	int rc;

	*devp = NULL;
	usage_list(usage, sizeof(usage));
	if (!uri || !*uri) {
		snprintf(err, errlen, "ctnic_open: empty device URI: give one of %s", usage);
		return -EINVAL;
	}
	colon = strchr(uri, ':');
	if (!colon) {
		snprintf(err, errlen, "ctnic_open: device URI '%s' has no scheme: give one of %s",
			 uri, usage);
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		size_t n = strlen(backends[i]->scheme);

		if ((size_t)(colon - uri) == n && !strncmp(uri, backends[i]->scheme, n))
			ops = backends[i];
	}
	if (!ops) {
		snprintf(err, errlen, "ctnic_open: unknown scheme '%.*s' in device URI '%s': give one of %s",
			 (int)(colon - uri), uri, uri, usage);
		return -EINVAL;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev || !(dev->uri = strdup(uri))) {
		free(dev);
		snprintf(err, errlen, "ctnic_open %s: out of memory", uri);
		return -ENOMEM;
	}
	dev->ops = ops;
	rc = ops->open(dev, colon + 1);
	if (rc < 0) {
		snprintf(err, errlen, "%s", dev->err);
		free(dev->uri);
		free(dev);
		return rc;
	}
	dev->err[0] = '\0';
	*devp = dev;
	return 0;
}

void ctnic_close(struct ctnic_dev *dev)
{
	if (!dev)
		return;
	dev->ops->close(dev);
	free(dev->uri);
	free(dev);
}

int ctnic_reset(struct ctnic_dev *dev)
{
	if (!dev->ops->reset)
		return ctnic_dev_err(dev, -ENOTSUP, "ctnic_reset on %s: this backend cannot reset the card",
				     dev->uri);
	return dev->ops->reset(dev);
}

const char *ctnic_last_error(const struct ctnic_dev *dev)
{
	return dev->err;
}

const char *ctnic_uri(const struct ctnic_dev *dev)
{
	return dev->uri;
}

static int check_off(struct ctnic_dev *dev, const char *what, uint32_t off)
{
	if (off % 4u || off >= CTNIC_BAR0_SIZE)
		return ctnic_dev_err(dev, -EINVAL,
				     "%s 0x%x on %s: not an aligned BAR0 offset (4-byte aligned, below 0x%x)",
				     what, off, dev->uri, CTNIC_BAR0_SIZE);
	return 0;
}

int ctnic_csr_read(struct ctnic_dev *dev, uint32_t off, uint32_t *val)
{
	int rc = check_off(dev, "ctnic_csr_read", off);

	return rc < 0 ? rc : dev->ops->csr_read(dev, off, val);
}

int ctnic_csr_write(struct ctnic_dev *dev, uint32_t off, uint32_t val)
{
	int rc = check_off(dev, "ctnic_csr_write", off);

	return rc < 0 ? rc : dev->ops->csr_write(dev, off, val);
}

int ctnic_host_mem(struct ctnic_dev *dev, void **base, size_t *len, uint64_t *dev_addr)
{
	if (!dev->ops->host_mem)
		return ctnic_dev_err(dev, -ENOTSUP, "ctnic_host_mem on %s: this backend has no host memory",
				     dev->uri);
	return dev->ops->host_mem(dev, base, len, dev_addr);
}

int ctnic_tick_read(struct ctnic_dev *dev, uint64_t *tick)
{
	uint32_t lo, hi;
	int rc;

	/* Reading TICK_LO latches TICK_HI (regmap): LO first. */
	if ((rc = ctnic_csr_read(dev, CTNIC_REG_TICK_LO, &lo)) < 0 ||
	    (rc = ctnic_csr_read(dev, CTNIC_REG_TICK_HI, &hi)) < 0)
		return rc;
	*tick = (uint64_t)hi << 32 | lo;
	return 0;
}

int ctnic_dev_info(struct ctnic_dev *dev, struct ctnic_dev_info *info)
{
	static const struct {
		uint32_t off;
		size_t field;
	} regs[] = {
		{ CTNIC_REG_ID, offsetof(struct ctnic_dev_info, id) },
		{ CTNIC_REG_VERSION, offsetof(struct ctnic_dev_info, version) },
		{ CTNIC_REG_CAP_PORTS, offsetof(struct ctnic_dev_info, ports) },
		{ CTNIC_REG_CAP_WAYS, offsetof(struct ctnic_dev_info, ways) },
		{ CTNIC_REG_CAP_BUCKETS, offsetof(struct ctnic_dev_info, buckets) },
		{ CTNIC_REG_CAP_FLOWS, offsetof(struct ctnic_dev_info, flows) },
		{ CTNIC_REG_CAP_NEXTHOPS, offsetof(struct ctnic_dev_info, nexthops) },
		{ CTNIC_REG_CAP_CLASSES, offsetof(struct ctnic_dev_info, classes) },
	};
	int rc;

	memset(info, 0, sizeof(*info));
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		uint32_t v;

		if ((rc = ctnic_csr_read(dev, regs[i].off, &v)) < 0)
			return rc;
		memcpy((char *)info + regs[i].field, &v, sizeof(v));
	}
	if (info->id != CTNIC_REG_ID_RESET)
		return ctnic_dev_err(dev, -ENODEV,
				     "ctnic_dev_info on %s: ID register reads 0x%08x, not 0x%08x ('CTNC'): "
				     "this is not a ctnic card, or BAR0 is not mapped right",
				     dev->uri, info->id, CTNIC_REG_ID_RESET);
	return ctnic_tick_read(dev, &info->tick);
}

static int op_is_write(enum ctnic_tbl_op op)
{
	return op == CTNIC_TBL_OP_KEY_WRITE || op == CTNIC_TBL_OP_FLOW_WRITE ||
	       op == CTNIC_TBL_OP_NH_WRITE;
}

int ctnic_tbl_op(struct ctnic_dev *dev, enum ctnic_tbl_op op, uint32_t index,
		 uint32_t *words, unsigned n)
{
	const char *name = ctnic_tbl_op_name(op);
	uint32_t st = 0;
	int rc, polls;

	if (!name || n > CTNIC_REG_TBL_DATA_COUNT)
		return ctnic_dev_err(dev, -EINVAL, "ctnic_tbl_op on %s: op %u with %u words is not a table operation",
				     dev->uri, (unsigned)op, n);
	if (op_is_write(op))
		for (unsigned i = 0; i < n; i++)
			if ((rc = ctnic_csr_write(dev, CTNIC_REG_TBL_DATA(i), words[i])) < 0)
				return rc;
	if ((rc = ctnic_csr_write(dev, CTNIC_REG_TBL_INDEX, index)) < 0 ||
	    (rc = ctnic_csr_write(dev, CTNIC_REG_TBL_CMD, (uint32_t)op & CTNIC_TBL_CMD_OP_MASK)) < 0)
		return rc;
	for (polls = 0; polls < TBL_POLL_MAX; polls++) {
		if ((rc = ctnic_csr_read(dev, CTNIC_REG_TBL_STATUS, &st)) < 0)
			return rc;
		if (!(st & CTNIC_TBL_STATUS_BUSY_MASK))
			break;
	}
	if (polls == TBL_POLL_MAX)
		return ctnic_dev_err(dev, -ETIMEDOUT, "table %s of entry %u on %s: TBL_STATUS still BUSY after %d reads: the card's table engine is hung; reset the card",
				     name, index, dev->uri, TBL_POLL_MAX);
	if (st & CTNIC_TBL_STATUS_ERROR_MASK)
		return ctnic_dev_err(dev, -EIO, "table %s of entry %u on %s: refused by the card (TBL_STATUS.ERROR): index out of range for this card's capacities (CAP_*)",
				     name, index, dev->uri);
	if (!op_is_write(op))
		for (unsigned i = 0; i < n; i++)
			if ((rc = ctnic_csr_read(dev, CTNIC_REG_TBL_DATA(i), &words[i])) < 0)
				return rc;
	return 0;
}

/* The typed entry helpers: pack, one table op; or one table op, unpack. */
#define ENTRY_ACCESS(name, type, nwords, wop, rop, pack, unpack)                          \
	int ctnic_##name##_write(struct ctnic_dev *dev, uint32_t index, const type *e)     \
	{                                                                                  \
		uint32_t w[nwords];                                                        \
                                                                                           \
		pack(e, w);                                                                \
		return ctnic_tbl_op(dev, wop, index, w, nwords);                           \
	}                                                                                  \
	int ctnic_##name##_read(struct ctnic_dev *dev, uint32_t index, type *e)            \
	{                                                                                  \
		uint32_t w[nwords];                                                        \
		int rc = ctnic_tbl_op(dev, rop, index, w, nwords);                         \
                                                                                           \
		if (rc == 0)                                                               \
			unpack(w, e);                                                      \
		return rc;                                                                 \
	}

ENTRY_ACCESS(key, struct ctnic_key_entry, CTNIC_KEY_WORDS, CTNIC_TBL_OP_KEY_WRITE,
	     CTNIC_TBL_OP_KEY_READ, ctnic_key_entry_pack, ctnic_key_entry_unpack)
ENTRY_ACCESS(flow, struct ctnic_flow, CTNIC_FLOW_WORDS, CTNIC_TBL_OP_FLOW_WRITE,
	     CTNIC_TBL_OP_FLOW_READ, ctnic_flow_pack, ctnic_flow_unpack)
ENTRY_ACCESS(nexthop, struct ctnic_nexthop, CTNIC_NH_WORDS, CTNIC_TBL_OP_NH_WRITE,
	     CTNIC_TBL_OP_NH_READ, ctnic_nexthop_pack, ctnic_nexthop_unpack)
