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
	uint64_t streamed;           /* the next event sequence number the "events" stream sends */
};

/*
 * The "events" stream's lines since the last call, each a JSON object
 * {"event":{"type":"NEW|UPDATE|DESTROY","tick":N,"seq":N,"conn":{...}}}
 * ("conn" as conn list gives it; for a connection that is gone, what the
 * event kept: id, proto, state, both tuples, why), handed to fn; a gap in
 * the ring is one {"event":{"type":"LOST","count":N}} line.
 */
typedef void ctnicd_line_fn(void *arg, const char *line);
void ctnicd_events_stream(struct ctnicd_daemon *d, ctnicd_line_fn *fn, void *arg);

/* The command table, ending with {NULL}; ctx is a struct ctnicd_daemon. */
extern const struct ctnicd_ctl_cmd ctnicd_commands[];

#endif /* CTNICD_CTLCMD_H */
