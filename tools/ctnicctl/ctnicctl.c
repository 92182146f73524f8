/*
 * ctnicctl - the control CLI of ctnicd (docs/daemon.md). It sends one JSON
 * request over the daemon's control socket and prints the answer as text
 * (or as the JSON itself with -o json). Errors go to stderr, exit 1; usage
 * errors exit 2.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#define DEFAULT_SOCKET "/run/ctnic/ctnicd.sock"
#define ANSWER_MAX (1u << 20)
#define TIMEOUT_MS 15000

struct cli {
	const char *socket;
	int json;
};

/* Sends req to the daemon and returns its parsed answer's "result", or NULL after printing why. */
static cJSON *call(const struct cli *cli, const char *req, cJSON **answer)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *buf = NULL;
	size_t len = 0;
	int fd;

	*answer = NULL;
	if (strlen(cli->socket) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "ctnicctl: socket path %s is too long\n", cli->socket);
		return NULL;
	}
	memcpy(sa.sun_path, cli->socket, strlen(cli->socket) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "ctnicctl: connect to ctnicd at %s: %s: is ctnicd running (give its --socket with -s)?\n",
			cli->socket, strerror(errno));
		goto fail;
	}
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req) ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) != 1) {
		fprintf(stderr, "ctnicctl: send to ctnicd at %s: %s\n", cli->socket, strerror(errno));
		goto fail;
	}
	if (!(buf = malloc(ANSWER_MAX)))
		goto fail;
	while (!memchr(buf, '\n', len)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, TIMEOUT_MS) <= 0) {
			fprintf(stderr, "ctnicctl: ctnicd at %s did not answer in %d ms\n", cli->socket, TIMEOUT_MS);
			goto fail;
		}
		n = recv(fd, buf + len, ANSWER_MAX - 1 - len, 0);
		if (n <= 0 || len + (size_t)n >= ANSWER_MAX - 1) {
			fprintf(stderr, "ctnicctl: ctnicd at %s closed the connection without a whole answer\n",
				cli->socket);
			goto fail;
		}
		len += (size_t)n;
	}
	*strchr(buf, '\n') = '\0';
	close(fd);
	fd = -1;
	*answer = cJSON_Parse(buf);
	cJSON *ok = cJSON_GetObjectItemCaseSensitive(*answer, "ok");
	cJSON *res = cJSON_GetObjectItemCaseSensitive(*answer, "result");
	if (!*answer || !cJSON_IsBool(ok)) {
		fprintf(stderr, "ctnicctl: ctnicd at %s answered something that is not a ctnicd answer: %.200s\n",
			cli->socket, buf);
		goto fail;
	}
	if (!cJSON_IsTrue(ok)) {
		cJSON *e = cJSON_GetObjectItemCaseSensitive(*answer, "error");
		fprintf(stderr, "ctnicctl: %s\n", cJSON_IsString(e) ? e->valuestring : "ctnicd refused without a reason");
		goto fail;
	}
	if (cli->json)
		printf("%s\n", buf);
	free(buf);
	return res;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	cJSON_Delete(*answer);
	*answer = NULL;
	return NULL;
}

static int help_wanted(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

static int cmd_device(const struct cli *cli, int argc, char **argv)
{
	static const char *const fields[][2] = {
		{ "ports", "network ports" }, { "ways", "key entries per bucket" },
		{ "buckets", "buckets per sub-table" }, { "flows", "flow records" },
		{ "nexthops", "next hops" }, { "classes", "timeout classes" },
	};
	cJSON *ans, *r;

	if (help_wanted(argc, argv)) {
		printf("usage: ctnicctl [-s SOCKET] [-o json] device\n"
		       "  the card's id, version, tick counter and capacities, read from its registers\n");
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "ctnicctl device: unexpected argument '%s'\n", argv[1]);
		return 2;
	}
	if (!(r = call(cli, "{\"cmd\":\"device\"}", &ans)))
		return 1;
	if (!cli->json) {
#define STR(k) (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r, k)) ? \
		cJSON_GetObjectItemCaseSensitive(r, k)->valuestring : "?")
		printf("device    %s\n", STR("uri"));
		printf("id        %s (%s)\n", STR("id"), STR("id_text"));
		printf("version   %s (%s)\n", STR("version"), STR("version_raw"));
		printf("tick      %s\n", STR("tick_text"));
		printf("ports on  %s\n", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "enabled")) ? "yes (CTRL.ENABLE)" : "no");
#undef STR
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			cJSON *v = cJSON_GetObjectItemCaseSensitive(r, fields[i][0]);
			printf("%-9s %.0f %s\n", fields[i][0], cJSON_IsNumber(v) ? v->valuedouble : -1.0, fields[i][1]);
		}
	}
	cJSON_Delete(ans);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(const struct cli *, int, char **);
	const char *help;
} commands[] = {
	{ "device", cmd_device, "the card's id, version, tick counter and capacities" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: ctnicctl [-s SOCKET] [-o text|json] COMMAND [ARGS]\n"
		   "  -s, --socket PATH   ctnicd's control socket (default $CTNIC_SOCKET or " DEFAULT_SOCKET ")\n"
		   "  -o, --output FMT    text (default) or json\n"
		   "commands (each takes --help):\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { .socket = getenv("CTNIC_SOCKET") };
	int c;

	if (!cli.socket || !*cli.socket)
		cli.socket = DEFAULT_SOCKET;
	/* '+': options after the command belong to the command. */
	while ((c = getopt_long(argc, argv, "+s:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': cli.socket = optarg; break;
		case 'o':
			if (strcmp(optarg, "json") && strcmp(optarg, "text")) {
				fprintf(stderr, "ctnicctl: -o %s: give text or json\n", optarg);
				return 2;
			}
			cli.json = !strcmp(optarg, "json");
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "ctnicctl: no command given\n");
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name))
			return commands[i].fn(&cli, argc - optind, argv + optind);
	fprintf(stderr, "ctnicctl: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return 2;
}
