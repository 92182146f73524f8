/*
 * ctnicctl.h - what ctnicctl's files share: the connection to ctnicd (one
 * JSON request, one answer line; docs/daemon.md), argument helpers, and the
 * commands (conn.c: conn, events; admin.c: timeout, nat, stats, device).
 * Answers are printed with ctfmt.h.
 */
#ifndef CTNICCTL_H
#define CTNICCTL_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#define CTNICCTL_DEFAULT_SOCKET "/run/ctnic/ctnicd.sock"

enum out { OUT_TEXT, OUT_JSON, OUT_PROM };

struct cli {
	const char *socket;
	enum out out;
};

/* A connected socket to ctnicd, or -1 after printing why (with a hint for EACCES and ENOENT). */
int ctl_connect(const struct cli *cli);
/* Sends req (freed) and returns the answer's "result" (owned by *answer), or NULL after printing why;
 * with -o json the answer line is printed as it came. */
cJSON *ctl_call(const struct cli *cli, cJSON *req, cJSON **answer);
/* {"cmd": cmd} */
cJSON *ctl_request(const char *cmd);

bool ctl_help_wanted(int argc, char **argv);
/* -o FMT; cmd NULL for the global option. 0, or -1 after printing why. */
int ctl_set_output(struct cli *cli, const char *v, const char *cmd);
/* The filter options (conn list, conn delete, events) into req; *any when one was given. The index after them, or -1. */
int ctl_parse_filter(struct cli *cli, const char *cmd, int argc, char **argv, cJSON *req, bool *any);
/* Arguments from first on may only be -o FMT. 0, or -1 after printing why. */
int ctl_only_output(struct cli *cli, const char *cmd, int argc, char **argv, int first);

#define FILTER_USAGE \
	"  filters (all given must match):\n" \
	"    -p, --proto P     tcp, udp or icmp\n" \
	"    --state S         TCP state (ESTABLISHED, CLOSE_WAIT, TIME_WAIT, ...)\n" \
	"    --addr A          an address in either tuple\n" \
	"    --port N          a port in either tuple\n" \
	"  or one connection by a tuple of either direction (all four, with -p):\n" \
	"    -s, --src A  -d, --dst A  --sport N  --dport N   (ICMP: --sport is the echo id, --dport 0)\n"

/* The commands: argv[0] is the command's name; exit status 0, 1 (ctnicd unreachable or refused) or 2 (usage). */
int ctl_cmd_conn(struct cli *cli, int argc, char **argv);
int ctl_cmd_events(struct cli *cli, int argc, char **argv);
int ctl_cmd_timeout(struct cli *cli, int argc, char **argv);
int ctl_cmd_nat(struct cli *cli, int argc, char **argv);
int ctl_cmd_stats(struct cli *cli, int argc, char **argv);
int ctl_cmd_device(struct cli *cli, int argc, char **argv);

#endif /* CTNICCTL_H */
