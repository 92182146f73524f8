/*
 * ctl.c - ctnicd's control socket (ctl.h).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"

#define CTL_CLIENTS_MAX 32

#define CTL_GROUP "ctnic"

struct ctl_client {
	int fd;
	char *buf;
	size_t len;
	int discarding; /* inside an overlong line */
	char stream[16]; /* the stream it subscribed to, "" none */
};

struct ctnicd_ctl {
	int lfd;
	char *path;
	const struct ctnicd_ctl_cmd *cmds;
	void *ctx;
	struct ctl_client c[CTL_CLIENTS_MAX];
	size_t nc;
};

/* One answer line: {"ok":true,"result":...} when result, else {"ok":false,"error":...}. */
static char *reply(const cJSON *id, cJSON *result, const char *error)
{
	cJSON *a = cJSON_CreateObject();
	char *s;

	cJSON_AddBoolToObject(a, "ok", result != NULL);
	if (id)
		cJSON_AddItemToObject(a, "id", cJSON_Duplicate(id, 1));
	if (result)
		cJSON_AddItemToObject(a, "result", result);
	else
		cJSON_AddStringToObject(a, "error", error);
	s = cJSON_PrintUnformatted(a);
	cJSON_Delete(a);
	return s;
}

static char *error_answer(const cJSON *id, const char *msg)
{
	return reply(id, NULL, msg);
}

/* The answer to line; a result naming a "stream" subscribes the asker (stream, when not NULL). */
static char *answer(const struct ctnicd_ctl_cmd *cmds, void *ctx, const char *line, char *stream, size_t slen)
{
	char err[512], names[256] = "";
	const cJSON *cmd, *id;
	cJSON *req, *res;
	char *s;

	req = cJSON_ParseWithLength(line, strlen(line));
	if (!req)
		return error_answer(NULL, "request is not JSON: send one object per line, e.g. {\"cmd\":\"device\"}");
	id = cJSON_GetObjectItemCaseSensitive(req, "id");
	cmd = cJSON_GetObjectItemCaseSensitive(req, "cmd");
	if (!cJSON_IsObject(req) || !cJSON_IsString(cmd)) {
		s = error_answer(cJSON_IsObject(req) ? id : NULL,
				 "request has no \"cmd\" string: send e.g. {\"cmd\":\"device\"}");
		cJSON_Delete(req);
		return s;
	}
	for (const struct ctnicd_ctl_cmd *c = cmds; c->name; c++) {
		if (strcmp(c->name, cmd->valuestring)) {
			size_t used = strlen(names);
			snprintf(names + used, sizeof(names) - used, "%s%s", used ? ", " : "", c->name);
			continue;
		}
		err[0] = '\0';
		res = c->fn(ctx, req, err, sizeof(err));
		if (!res) {
			s = error_answer(id, err[0] ? err : "the command failed without saying why");
			cJSON_Delete(req);
			return s;
		}
		if (stream) {
			const cJSON *st = cJSON_GetObjectItemCaseSensitive(res, "stream");

			if (cJSON_IsString(st))
				snprintf(stream, slen, "%s", st->valuestring);
		}
		s = reply(id, res, NULL);
		cJSON_Delete(req);
		return s;
	}
	snprintf(err, sizeof(err), "unknown command \"%.64s\": this daemon knows %s", cmd->valuestring, names);
	s = error_answer(id, err);
	cJSON_Delete(req);
	return s;
}

char *ctnicd_ctl_answer(const struct ctnicd_ctl_cmd *cmds, void *ctx, const char *line)
{
	return answer(cmds, ctx, line, NULL, 0);
}

/* The socket belongs to group ctnic when there is one (the daemon must be root to give it away). */
static int set_group(const char *path)
{
	struct group *g = getgrnam(CTL_GROUP);

	if (!g || geteuid() != 0)
		return 0;
	return chown(path, (uid_t)-1, g->gr_gid);
}

/* Root, the daemon's own user, or a member of group ctnic. */
static int peer_allowed(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct group *g;
	struct passwd *pw;
	gid_t groups[256];
	int n = 256;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return 0;
	if (cr.uid == 0 || cr.uid == geteuid())
		return 1;
	if (!(g = getgrnam(CTL_GROUP)))
		return 0;
	if (cr.gid == g->gr_gid)
		return 1;
	if (!(pw = getpwuid(cr.uid)) || getgrouplist(pw->pw_name, cr.gid, groups, &n) < 0)
		return 0;
	for (int i = 0; i < n; i++)
		if (groups[i] == g->gr_gid)
			return 1;
	return 0;
}

int ctnicd_ctl_open(struct ctnicd_ctl **ctlp, const char *path, const struct ctnicd_ctl_cmd *cmds,
		    void *ctx, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctnicd_ctl *ctl;
	char tmp[sizeof(sa.sun_path)];
	int rc;

	*ctlp = NULL;
	if (strlen(path) + 5 > sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket path %s is too long for a UNIX socket (%zu bytes at most)",
			 path, sizeof(sa.sun_path) - 5);
		return -ENAMETOOLONG;
	}
	if (!(ctl = calloc(1, sizeof(*ctl))) || !(ctl->path = strdup(path))) {
		free(ctl);
		snprintf(err, errlen, "control socket %s: out of memory", path);
		return -ENOMEM;
	}
	ctl->cmds = cmds;
	ctl->ctx = ctx;
	/* Refuse to take over the socket of a daemon that still serves it. */
	ctl->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (ctl->lfd >= 0 && connect(ctl->lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		snprintf(err, errlen, "control socket %s is served by another running ctnicd: stop it or give another --socket",
			 path);
		rc = -EADDRINUSE;
		goto fail;
	}
	if (ctl->lfd >= 0)
		close(ctl->lfd);
	/* Bound under a temporary name and renamed: the path appears only when it accepts. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	memcpy(sa.sun_path, tmp, strlen(tmp) + 1);
	unlink(tmp);
	ctl->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ctl->lfd < 0 || bind(ctl->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(tmp, 0660) < 0 || set_group(tmp) < 0 || listen(ctl->lfd, 16) < 0 || rename(tmp, path) < 0) {
		rc = -errno;
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		unlink(tmp);
		goto fail;
	}
	*ctlp = ctl;
	return 0;
fail:
	if (ctl->lfd >= 0)
		close(ctl->lfd);
	free(ctl->path);
	free(ctl);
	return rc;
}

static void drop_client(struct ctnicd_ctl *ctl, size_t i)
{
	close(ctl->c[i].fd);
	free(ctl->c[i].buf);
	ctl->c[i] = ctl->c[--ctl->nc];
}

void ctnicd_ctl_close(struct ctnicd_ctl *ctl)
{
	if (!ctl)
		return;
	while (ctl->nc)
		drop_client(ctl, 0);
	close(ctl->lfd);
	unlink(ctl->path);
	free(ctl->path);
	free(ctl);
}

size_t ctnicd_ctl_pollfds(struct ctnicd_ctl *ctl, struct pollfd *pfd, size_t max)
{
	size_t n = 0;

	if (n < max)
		pfd[n++] = (struct pollfd){ .fd = ctl->lfd, .events = POLLIN };
	for (size_t i = 0; i < ctl->nc && n < max; i++)
		pfd[n++] = (struct pollfd){ .fd = ctl->c[i].fd, .events = POLLIN };
	return n;
}

/*
 * Sends one answer line and frees it. A client that stops reading must not
 * stall the daemon: after 2 s without room it is given up (returns 0).
 */
static int send_line(int fd, char *json)
{
	size_t len = json ? strlen(json) : 0, done = 0;
	int ok = json != NULL;

	if (json)
		json[len++] = '\n'; /* replaces the terminator; cJSON's buffer ends there */
	while (ok && done < len) {
		ssize_t n = send(fd, json + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			ok = poll(&p, 1, 2000) > 0;
		else if (n <= 0)
			ok = 0;
		else
			done += (size_t)n;
	}
	free(json);
	return ok;
}

/* false: the client is gone. */
static int serve_client(struct ctnicd_ctl *ctl, struct ctl_client *c)
{
	char buf[4096];
	ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0)
		return 0;
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			if (!c->discarding) {
				char *line = c->buf ? c->buf : (char[]){ '\0' };

				if (c->buf)
					c->buf[c->len] = '\0';
				if (!send_line(c->fd, answer(ctl->cmds, ctl->ctx, line, c->stream, sizeof(c->stream))))
					return 0;
			}
			c->discarding = 0;
			c->len = 0;
			continue;
		}
		if (c->discarding)
			continue;
		if (c->len + 1 >= CTNICD_CTL_LINE_MAX) {
			if (!send_line(c->fd, error_answer(NULL, "request line longer than 65535 bytes: discarded")))
				return 0;
			c->discarding = 1;
			continue;
		}
		if (!c->buf && !(c->buf = malloc(CTNICD_CTL_LINE_MAX)))
			return 0;
		c->buf[c->len++] = buf[i];
	}
	return 1;
}

void ctnicd_ctl_serve(struct ctnicd_ctl *ctl, const struct pollfd *pfd, size_t n)
{
	/* Clients first (pfd[1..]), from the last, so dropping one keeps the others' indexes. */
	for (size_t i = n; i-- > 1;) {
		if (i - 1 < ctl->nc && pfd[i].revents && pfd[i].fd == ctl->c[i - 1].fd &&
		    !serve_client(ctl, &ctl->c[i - 1]))
			drop_client(ctl, i - 1);
	}
	if (n && (pfd[0].revents & POLLIN)) {
		int fd = accept4(ctl->lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0)
			return;
		if (ctl->nc == CTL_CLIENTS_MAX) {
			send_line(fd, error_answer(NULL, "too many control clients: try again later"));
			close(fd);
			return;
		}
		if (!peer_allowed(fd)) {
			send_line(fd, error_answer(NULL, "permission denied: the control socket serves root and group "
						   CTL_GROUP " only"));
			close(fd);
			return;
		}
		ctl->c[ctl->nc++] = (struct ctl_client){ .fd = fd };
	}
}

void ctnicd_ctl_publish(struct ctnicd_ctl *ctl, const char *stream, const char *line)
{
	size_t len = strlen(line);

	for (size_t i = ctl->nc; i-- > 0;) {
		struct ctl_client *c = &ctl->c[i];
		struct iovec iov[2] = { { (void *)line, len }, { "\n", 1 } };
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

		if (strcmp(c->stream, stream))
			continue;
		/* All of it at once, or the reader is too slow: dropped, the daemon never waits. */
		if (sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)(len + 1))
			drop_client(ctl, i);
	}
}

int ctnicd_ctl_subscribers(const struct ctnicd_ctl *ctl, const char *stream)
{
	int n = 0;

	for (size_t i = 0; i < ctl->nc; i++)
		n += !strcmp(ctl->c[i].stream, stream);
	return n;
}
