/*
 * ctnicctl - the control CLI of ctnicd (docs/daemon.md, docs/user-guide.md).
 * It sends JSON requests over the daemon's control socket and prints the
 * answers in formats people already know (tools/replay/ctfmt.h):
 * connections as `conntrack -L` lines, events as `conntrack -E` lines,
 * timeouts as sysctl lines, NAT rules as iptables-save text, statistics as
 * `name = value` lines or the Prometheus text format. -o json prints the
 * daemon's answer line as it came. Errors go to stderr: exit 1 when the
 * daemon cannot be reached or refuses, 2 for usage errors.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctnicctl.h"

static const struct {
	const char *name;
	int (*fn)(struct cli *, int, char **);
	const char *help;
} commands[] = {
	{ "conn", ctl_cmd_conn, "list | delete | flush: connections, as conntrack -L" },
	{ "events", ctl_cmd_events, "connection events as conntrack -E, until interrupted" },
	{ "timeout", ctl_cmd_timeout, "list | get NAME | set NAME SECONDS, by Linux sysctl name" },
	{ "nat", ctl_cmd_nat, "list | add RULE | delete RULE | load FILE, in iptables-save syntax" },
	{ "stats", ctl_cmd_stats, "counters of the card and the daemon (-o prometheus)" },
	{ "device", ctl_cmd_device, "the card's id, version, tick and capacities; 'device regs': its registers" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: ctnicctl [-s SOCKET] [-o text|json|prometheus] COMMAND [ARGS]\n"
		   "  -s, --socket PATH   ctnicd's control socket (default $CTNIC_SOCKET or " CTNICCTL_DEFAULT_SOCKET ")\n"
		   "  -o, --output FMT    text (default), json (the daemon's answer), prometheus (stats)\n"
		   "commands (each takes --help):\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "exit status: 0 done, 1 ctnicd unreachable or refused, 2 usage error\n");
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
		cli.socket = CTNICCTL_DEFAULT_SOCKET;
	/* '+': options after the command belong to the command. */
	while ((c = getopt_long(argc, argv, "+s:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': cli.socket = optarg; break;
		case 'o':
			if (ctl_set_output(&cli, optarg, NULL) < 0)
				return 2;
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
		if (!strcmp(argv[optind], commands[i].name)) {
			int rc;

			if (cli.out == OUT_PROM && strcmp(argv[optind], "stats")) {
				fprintf(stderr, "ctnicctl: -o prometheus is for stats only\n");
				return 2;
			}
			rc = commands[i].fn(&cli, argc - optind, argv + optind);
			if (fflush(stdout) != 0 && rc == 0) {
				fprintf(stderr, "ctnicctl: writing the output: %s\n", strerror(errno));
				rc = 1;
			}
			return rc;
		}
	fprintf(stderr, "ctnicctl: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return 2;
}
