/*
 * ctnic.h - libctnic: one API to reach a ctnic card, whatever is behind it.
 *
 * A device is opened by URI:
 *   sim:PATH       the Verilator card in a ctnic-sim process listening on the
 *                  UNIX socket PATH (docs/simulator.md)
 *   model:[KEY=N,...]  the C reference model in this process
 *   pci:BDF[,mem=MiB]  a real card bound to vfio-pci (docs/deployment.md);
 *   pci:[mem=MiB]      the one card with ctnic's PCI id (discovery)
 * Each scheme is a backend of its own (driver/src/backend.h).
 *
 * Errors: every call returns 0 on success and a negative errno value on
 * failure. ctnic_open() writes its message into the caller's buffer (there
 * is no device yet); every other call leaves its message in the device,
 * read with ctnic_last_error(). Messages say which call failed, on what,
 * why, and what to do. The library never prints and never exits.
 *
 * Register offsets and fields come from ctnic_regs.h (generated from
 * hw/regmap.json); entry layouts and their packing from ctnic_flow.h.
 */
#ifndef CTNIC_H
#define CTNIC_H

#include <stddef.h>
#include <stdint.h>

#include "ctnic_flow.h"
#include "ctnic_regs.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ctnic_dev;

/* Length that holds any libctnic error message. */
#define CTNIC_ERR_LEN 512u

/* Opens the device named by URI. On failure *devp is NULL and err says why. */
int ctnic_open(struct ctnic_dev **devp, const char *uri, char *err, size_t errlen);
/* Closes what ctnic_open opened; NULL is allowed. The card keeps running. */
void ctnic_close(struct ctnic_dev *dev);

/*
 * Resets the card: afterwards every register reads its reset value
 * (hw/regmap.json; counters included), every ring is off and interrupts are
 * disabled. Host memory (ctnic_host_mem) is kept, with its device address.
 * Rings created before are stale: ctnic_ring_destroy them (harmless after a
 * reset) and create them again. Table contents are not part of the reset:
 * the model clears them, the RTL's rst leaves its table RAMs as they were
 * (docs/hardware.md), so software that needs empty tables writes them.
 * pci: is a VFIO device reset (-ENOTSUP with advice when the device has no
 * reset method), model: puts the model back to its reset state, sim: makes
 * ctnic-sim pulse rst on the RTL.
 */
int ctnic_reset(struct ctnic_dev *dev);

/* The message of the last failed call on dev ("" when none failed yet). */
const char *ctnic_last_error(const struct ctnic_dev *dev);
/* The URI the device was opened with. */
const char *ctnic_uri(const struct ctnic_dev *dev);

/* One 32-bit BAR0 register at byte offset off (4-byte aligned, < CTNIC_BAR0_SIZE). */
int ctnic_csr_read(struct ctnic_dev *dev, uint32_t off, uint32_t *val);
int ctnic_csr_write(struct ctnic_dev *dev, uint32_t off, uint32_t val);

/*
 * Host memory the card can reach by DMA (the sim backend's shared-memory
 * file). *base is where it is mapped here, *len its size, *dev_addr the
 * address the card uses for base[0]. -ENOTSUP when the backend has none.
 */
int ctnic_host_mem(struct ctnic_dev *dev, void **base, size_t *len, uint64_t *dev_addr);

/* The 64-bit device tick counter (TICK_LO then the TICK_HI it latched). */
int ctnic_tick_read(struct ctnic_dev *dev, uint64_t *tick);

/* What the card says it is (the ID, VERSION, TICK and CAP_* registers). */
struct ctnic_dev_info {
	uint32_t id;       /* CTNIC_REG_ID_RESET on a ctnic card */
	uint32_t version;  /* VERSION: major 23:16, minor 15:8, patch 7:0 */
	uint64_t tick;
	uint32_t ports;
	uint32_t ways;
	uint32_t buckets;  /* per sub-table */
	uint32_t flows;
	uint32_t nexthops;
	uint32_t classes;
};

/* Reads the info registers; -ENODEV with a message when ID is not a ctnic card's. */
int ctnic_dev_info(struct ctnic_dev *dev, struct ctnic_dev_info *info);

/*
 * One table operation through the TBL_* window: for a write op, words[0..n)
 * go to TBL_DATA first; TBL_INDEX and TBL_CMD are written, TBL_STATUS is
 * polled until not BUSY; for a read op, TBL_DATA[0..n) is read into words.
 * -EIO with a message when the card sets TBL_STATUS.ERROR.
 */
int ctnic_tbl_op(struct ctnic_dev *dev, enum ctnic_tbl_op op, uint32_t index,
		 uint32_t *words, unsigned n);

/* Typed entry access over ctnic_tbl_op, packed with ctnic_flow.h. */
int ctnic_key_write(struct ctnic_dev *dev, uint32_t slot, const struct ctnic_key_entry *e);
int ctnic_key_read(struct ctnic_dev *dev, uint32_t slot, struct ctnic_key_entry *e);
int ctnic_flow_write(struct ctnic_dev *dev, uint32_t flow_id, const struct ctnic_flow *f);
int ctnic_flow_read(struct ctnic_dev *dev, uint32_t flow_id, struct ctnic_flow *f);
int ctnic_nexthop_write(struct ctnic_dev *dev, uint32_t index, const struct ctnic_nexthop *n);
int ctnic_nexthop_read(struct ctnic_dev *dev, uint32_t index, struct ctnic_nexthop *n);

#ifdef __cplusplus
}
#endif

#endif /* CTNIC_H */
