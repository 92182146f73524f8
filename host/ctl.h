/*
 * ctl.h - ctnicd's control socket: a UNIX stream socket carrying one JSON
 * object per line each way (docs/daemon.md).
 *
 *   request:  {"cmd": "device", ...}         ("id" optional, echoed back)
 *   answer:   {"ok": true, "result": {...}}  or  {"ok": false, "error": "..."}
 *
 * Commands are a table of handlers, so later commands are one entry more.
 * A malformed request gets an error answer; nothing a client sends stops
 * the daemon.
 *
 * Streams: a handler whose result object has "stream": NAME subscribes its
 * client to NAME; from then on the client also gets every line
 * ctnicd_ctl_publish(ctl, NAME, ...) sends, until it closes (it may still
 * send requests). A subscriber that cannot take a line at once is dropped,
 * so a slow reader never stalls the daemon.
 *
 * Permissions: the socket is mode 0660, of group "ctnic" when that group
 * exists; a peer (SO_PEERCRED) that is not root, not the daemon's own
 * user and not in group ctnic gets one error line and is closed.
 */
#ifndef CTNICD_CTL_H
#define CTNICD_CTL_H

#include <poll.h>
#include <stddef.h>

#include <cjson/cJSON.h>

/* Longest request line accepted. */
#define CTNICD_CTL_LINE_MAX 65536u

/* Returns the result object, or NULL with err set. req is the whole request. */
typedef cJSON *(*ctnicd_ctl_fn)(void *ctx, const cJSON *req, char *err, size_t errlen);

struct ctnicd_ctl_cmd {
	const char *name;
	ctnicd_ctl_fn fn;
	const char *help;
};

struct ctnicd_ctl;

/* Listens on path (mode 0660); cmds ends with a {NULL} entry. */
int ctnicd_ctl_open(struct ctnicd_ctl **ctlp, const char *path, const struct ctnicd_ctl_cmd *cmds,
		    void *ctx, char *err, size_t errlen);
/* Closes every connection and removes the socket. */
void ctnicd_ctl_close(struct ctnicd_ctl *ctl);

/* Fills up to max pollfds; returns how many. */
size_t ctnicd_ctl_pollfds(struct ctnicd_ctl *ctl, struct pollfd *pfd, size_t max);
/* Serves what the pollfds of ctnicd_ctl_pollfds say is ready. */
void ctnicd_ctl_serve(struct ctnicd_ctl *ctl, const struct pollfd *pfd, size_t n);

/* The answer line (without newline) to one request line; the caller frees it. Exposed for tests. */
char *ctnicd_ctl_answer(const struct ctnicd_ctl_cmd *cmds, void *ctx, const char *line);

/* Sends line (one JSON object, no newline) to every subscriber of stream. */
void ctnicd_ctl_publish(struct ctnicd_ctl *ctl, const char *stream, const char *line);
/* Has stream any subscriber? */
int ctnicd_ctl_subscribers(const struct ctnicd_ctl *ctl, const char *stream);

#endif /* CTNICD_CTL_H */
