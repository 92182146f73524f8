/*
 * ctlcmd.h - the requests ctnicd's control socket serves (docs/daemon.md
 * "The control socket"): device, conn list / delete / flush, stats,
 * timeout get / set / list. Each takes the request object and returns a
 * result object, or NULL with a message; a request with wrong or missing
 * fields gets an error that says what to send, and changes nothing.
 */
#ifndef CTNICD_CTLCMD_H
#define CTNICD_CTLCMD_H

#include "core.h"
#include "ctl.h"

/* What the commands act on. core is NULL when the card has no rings (static flows only). */
struct ctnicd_daemon {
	struct ctnic_dev *dev;
	struct ctnicd_core *core;
	const char *no_core;         /* why core is NULL */
};

/* The command table, ending with {NULL}; ctx is a struct ctnicd_daemon. */
extern const struct ctnicd_ctl_cmd ctnicd_commands[];

#endif /* CTNICD_CTLCMD_H */
