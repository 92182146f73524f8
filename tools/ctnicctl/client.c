/*
 * client.c - ctnicctl's connection to ctnicd and its argument helpers (ctnicctl.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctnicctl.h"

#define ANSWER_MAX (1u << 24)
#define TIMEOUT_MS 15000

int ctl_connect(const struct cli *cli)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(cli->socket) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "ctnicctl: socket path %s is too long\n", cli->socket);
		return -1;
	}
	memcpy(sa.sun_path, cli->socket, strlen(cli->socket) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		if (e == EACCES || e == EPERM)
			fprintf(stderr, "ctnicctl: connect to ctnicd at %s: %s: the control socket is for root and the "
					"'ctnic' group only\n", cli->socket, strerror(e));
		else
			fprintf(stderr, "ctnicctl: connect to ctnicd at %s: %s: is ctnicd running (give its socket with -s)?\n",
				cli->socket, strerror(e));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Reads one line into *buf (grown as needed); 0, or -1 after printing why. timeout_ms < 0: wait forever. */
static int read_line(const struct cli *cli, int fd, char **buf, size_t *len, size_t *cap, int timeout_ms)
{
	char *nl;

	while (!(nl = *len ? memchr(*buf, '\n', *len) : NULL)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (*cap - *len < 4096) {
			size_t nc = *cap ? *cap * 2 : 65536;
			char *b;

			if (nc > ANSWER_MAX || !(b = realloc(*buf, nc))) {
				fprintf(stderr, "ctnicctl: an answer from ctnicd at %s is longer than %u bytes\n", cli->socket,
					ANSWER_MAX);
				return -1;
			}
			*buf = b;
			*cap = nc;
		}
		if (poll(&p, 1, timeout_ms) == 0) {
			fprintf(stderr, "ctnicctl: ctnicd at %s did not answer in %d ms\n", cli->socket, timeout_ms);
			return -1;
		}
		n = recv(fd, *buf + *len, *cap - *len - 1, 0);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			fprintf(stderr, "ctnicctl: ctnicd at %s closed the connection without a whole answer\n", cli->socket);
			return -1;
		}
		*len += (size_t)n;
	}
	*nl = '\0';
	return 0;
}

/* Checks an answer line; its "result", or NULL after printing the daemon's error. */
static cJSON *answer_result(const struct cli *cli, const char *line, cJSON **answer)
{
	cJSON *ok, *res;

	*answer = cJSON_Parse(line);
	ok = cJSON_GetObjectItemCaseSensitive(*answer, "ok");
	res = cJSON_GetObjectItemCaseSensitive(*answer, "result");
	if (!*answer || !cJSON_IsBool(ok)) {
		fprintf(stderr, "ctnicctl: ctnicd at %s answered something that is not a ctnicd answer: %.200s\n",
			cli->socket, line);
		goto fail;
	}
	if (!cJSON_IsTrue(ok)) {
		cJSON *e = cJSON_GetObjectItemCaseSensitive(*answer, "error");

		fprintf(stderr, "ctnicctl: %s\n", cJSON_IsString(e) ? e->valuestring : "ctnicd refused without a reason");
		goto fail;
	}
	return res ? res : (cJSON *)cJSON_CreateObject(); /* never NULL on success */
fail:
	cJSON_Delete(*answer);
	*answer = NULL;
	return NULL;
}

/* Sends req (freed) and returns the answer's "result", or NULL after printing why. */
cJSON *ctl_call(const struct cli *cli, cJSON *req, cJSON **answer)
{
	char *text = cJSON_PrintUnformatted(req), *buf = NULL;
	size_t len = 0, cap = 0;
	cJSON *res = NULL;
	int fd;

	cJSON_Delete(req);
	*answer = NULL;
	if (!text)
		return NULL;
	if ((fd = ctl_connect(cli)) < 0)
		goto out;
	if (send(fd, text, strlen(text), MSG_NOSIGNAL) != (ssize_t)strlen(text) || send(fd, "\n", 1, MSG_NOSIGNAL) != 1) {
		fprintf(stderr, "ctnicctl: send to ctnicd at %s: %s\n", cli->socket, strerror(errno));
		goto out;
	}
	if (read_line(cli, fd, &buf, &len, &cap, TIMEOUT_MS) < 0)
		goto out;
	res = answer_result(cli, buf, answer);
	if (res && cli->out == OUT_JSON)
		printf("%s\n", buf);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(text);
	return res;
}

cJSON *ctl_request(const char *cmd)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "cmd", cmd);
	return r;
}

/* ---- arguments ------------------------------------------------------------------ */

bool ctl_help_wanted(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

int ctl_set_output(struct cli *cli, const char *v, const char *cmd)
{
	if (!strcmp(v, "text"))
		cli->out = OUT_TEXT;
	else if (!strcmp(v, "json"))
		cli->out = OUT_JSON;
	else if (!strcmp(v, "prometheus") && (!cmd || !strcmp(cmd, "stats")))
		cli->out = OUT_PROM;
	else {
		fprintf(stderr, "ctnicctl%s%s: -o %s: give text or json%s\n", cmd ? " " : "", cmd ? cmd : "", v,
			!cmd || !strcmp(cmd, "stats") ? " or prometheus" : "");
		return -1;
	}
	return 0;
}

static int parse_port(const char *cmd, const char *opt, const char *v, long *port)
{
	char *end;

	errno = 0;
	*port = strtol(v, &end, 10);
	if (errno || *end || !*v || *port < 0 || *port > 65535) {
		fprintf(stderr, "ctnicctl %s: %s %s: a port number 0..65535\n", cmd, opt, v);
		return -1;
	}
	return 0;
}

static int check_addr(const char *cmd, const char *opt, const char *v)
{
	struct in_addr a;

	if (inet_pton(AF_INET, v, &a) != 1) {
		fprintf(stderr, "ctnicctl %s: %s %s: an IPv4 address, e.g. 192.0.2.10\n", cmd, opt, v);
		return -1;
	}
	return 0;
}

/* The filter options of conn list, conn delete and events into req. Returns the next argument's index, or -1. */
int ctl_parse_filter(struct cli *cli, const char *cmd, int argc, char **argv, cJSON *req, bool *any)
{
	static const struct option lopts[] = {
		{ "proto", required_argument, NULL, 'p' }, { "state", required_argument, NULL, 'S' },
		{ "addr", required_argument, NULL, 'a' },  { "port", required_argument, NULL, 'P' },
		{ "src", required_argument, NULL, 's' },   { "dst", required_argument, NULL, 'd' },
		{ "sport", required_argument, NULL, 'x' }, { "dport", required_argument, NULL, 'y' },
		{ "output", required_argument, NULL, 'o' }, { NULL, 0, NULL, 0 },
	};
	int c;
	long port;

	*any = false;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+p:s:d:o:", lopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (strcmp(optarg, "tcp") && strcmp(optarg, "udp") && strcmp(optarg, "icmp")) {
				fprintf(stderr, "ctnicctl %s: -p %s: give tcp, udp or icmp\n", cmd, optarg);
				return -1;
			}
			cJSON_AddStringToObject(req, "proto", optarg);
			break;
		case 'S': cJSON_AddStringToObject(req, "state", optarg); break;
		case 'a':
		case 's':
		case 'd':
			if (check_addr(cmd, c == 'a' ? "--addr" : c == 's' ? "--src" : "--dst", optarg) < 0)
				return -1;
			cJSON_AddStringToObject(req, c == 'a' ? "addr" : c == 's' ? "src" : "dst", optarg);
			break;
		case 'P':
		case 'x':
		case 'y':
			if (parse_port(cmd, c == 'P' ? "--port" : c == 'x' ? "--sport" : "--dport", optarg, &port) < 0)
				return -1;
			cJSON_AddNumberToObject(req, c == 'P' ? "port" : c == 'x' ? "sport" : "dport", (double)port);
			break;
		case 'o':
			if (ctl_set_output(cli, optarg, cmd) < 0)
				return -1;
			continue;
		default:
			fprintf(stderr, "ctnicctl %s: unknown option or missing value: %s (see --help)\n", cmd, argv[optind - 1]);
			return -1;
		}
		*any = true;
	}
	if (optind < argc) {
		fprintf(stderr, "ctnicctl %s: unexpected argument '%s'\n", cmd, argv[optind]);
		return -1;
	}
	return optind;
}

/* Only -o FMT (and --help, handled before). Returns 0 or -1. */
int ctl_only_output(struct cli *cli, const char *cmd, int argc, char **argv, int first)
{
	for (int i = first; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			if (ctl_set_output(cli, argv[++i], cmd) < 0)
				return -1;
		} else if (!strncmp(argv[i], "-o", 2) && argv[i][2]) {
			if (ctl_set_output(cli, argv[i] + 2, cmd) < 0)
				return -1;
		} else {
			fprintf(stderr, "ctnicctl %s: unexpected argument '%s'\n", cmd, argv[i]);
			return -1;
		}
	}
	return 0;
}

/* ---- conn and events ------------------------------------------------------------ */
