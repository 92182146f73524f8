/*
 * admin.c - ctnicctl timeout, nat, stats and device (ctnicctl.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctfmt.h"
#include "ctnicctl.h"

#define RULES_MAX (1u << 20)

static void sysctl_line(const cJSON *o)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, o)
		if (cJSON_IsNumber(e))
			printf("%s = %.0f\n", e->string, e->valuedouble);
}

int ctl_cmd_timeout(struct cli *cli, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	cJSON *req, *ans, *r;
	int want;

	if (argc < 2 || ctl_help_wanted(argc, argv)) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: ctnicctl timeout list              every timeout (seconds) and nf_conntrack_tcp_loose\n"
			"       ctnicctl timeout get NAME          one, by its Linux sysctl name\n"
			"       ctnicctl timeout set NAME SECONDS  change one (nf_conntrack_tcp_loose: 0 or 1)\n"
			"  NAME as sysctl names it, with or without net.netfilter., e.g.\n"
			"  nf_conntrack_tcp_timeout_close_wait; printed as sysctl prints: NAME = VALUE\n");
		return argc < 2 ? 2 : 0;
	}
	want = !strcmp(sub, "list") ? 2 : !strcmp(sub, "get") ? 3 : !strcmp(sub, "set") ? 4 : 0;
	if (!want) {
		fprintf(stderr, "ctnicctl timeout: unknown subcommand '%s' (list, get, set)\n", sub);
		return 2;
	}
	if (argc < want || (argc > want && ctl_only_output(cli, "timeout", argc, argv, want) < 0)) {
		if (argc < want)
			fprintf(stderr, "ctnicctl timeout %s: give %s\n", sub, want == 3 ? "NAME" : "NAME SECONDS");
		return 2;
	}
	if (want == 2) {
		req = ctl_request("timeout list");
	} else {
		req = ctl_request(want == 3 ? "timeout get" : "timeout set");
		cJSON_AddStringToObject(req, "name", argv[2]);
		if (want == 4) {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(argv[3], &end, 10);
			if (errno || *end || !*argv[3] || argv[3][0] == '-' || v > 4294967295ul) {
				fprintf(stderr, "ctnicctl timeout set: %s: whole seconds, 0..4294967295\n", argv[3]);
				cJSON_Delete(req);
				return 2;
			}
			cJSON_AddNumberToObject(req, "value", (double)v);
		}
	}
	if (!(r = ctl_call(cli, req, &ans)))
		return 1;
	if (cli->out == OUT_TEXT) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(r, "name"), *v = cJSON_GetObjectItemCaseSensitive(r, "value");

		if (want == 2)
			sysctl_line(r);
		else if (cJSON_IsString(n) && cJSON_IsNumber(v))
			printf("%s = %.0f\n", n->valuestring, v->valuedouble);
	}
	cJSON_Delete(ans);
	return 0;
}

/* ---- nat ------------------------------------------------------------------------- */

static char *read_file(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *buf;
	size_t n;

	if (!f) {
		fprintf(stderr, "ctnicctl nat load: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (!(buf = malloc(RULES_MAX + 1))) {
		if (f != stdin)
			fclose(f);
		return NULL;
	}
	n = fread(buf, 1, RULES_MAX + 1, f);
	if (ferror(f) || n > RULES_MAX) {
		fprintf(stderr, "ctnicctl nat load: %s: %s\n", path, ferror(f) ? strerror(errno) : "longer than 1 MiB");
		free(buf);
		buf = NULL;
	} else {
		buf[n] = '\0';
	}
	if (f != stdin)
		fclose(f);
	return buf;
}

/* The words of a rule, joined with blanks: ctnicctl nat add -A PREROUTING -d ... */
static char *join(int argc, char **argv)
{
	size_t l = 1;
	char *s;

	for (int i = 0; i < argc; i++)
		l += strlen(argv[i]) + 3;
	if (!(s = calloc(1, l)))
		return NULL;
	for (int i = 0; i < argc; i++) {
		bool quote = strpbrk(argv[i], " \t") != NULL; /* --comment "two words" */

		strcat(s, i ? " " : "");
		strcat(s, quote ? "\"" : "");
		strcat(s, argv[i]);
		strcat(s, quote ? "\"" : "");
	}
	return s;
}

int ctl_cmd_nat(struct cli *cli, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	cJSON *req, *ans, *r;
	const cJSON *rules;

	/* A rule's words are not ctnicctl's options: only "nat --help" and "nat SUB --help" ask for help. */
	if (argc < 2 || !strcmp(sub, "--help") || !strcmp(sub, "-h") || (argc == 3 && !strcmp(argv[2], "--help"))) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: ctnicctl nat list                 the NAT rules, as iptables-save -t nat prints them\n"
			"       ctnicctl nat add -A CHAIN RULE    append a rule (iptables -t nat -A syntax)\n"
			"       ctnicctl nat delete -A CHAIN RULE the first rule equal to it (iptables -D RULE)\n"
			"       ctnicctl nat delete CHAIN N       rule N (from 1) of CHAIN (iptables -D CHAIN N)\n"
			"       ctnicctl nat load FILE            replace every rule with FILE's (iptables-save -t nat\n"
			"                                         text, '-' for stdin); refused whole on any error\n"
			"  e.g. ctnicctl nat add -A PREROUTING -d 198.51.100.80/32 -p tcp -j DNAT --to-destination 203.0.113.5:8080\n");
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(sub, "list")) {
		if (ctl_only_output(cli, "nat list", argc, argv, 2) < 0)
			return 2;
		req = ctl_request("nat list");
	} else if (!strcmp(sub, "load")) {
		char *text;

		if (argc != 3) {
			fprintf(stderr, "ctnicctl nat load: give one FILE (or - for stdin)\n");
			return 2;
		}
		if (!(text = read_file(argv[2])))
			return 1;
		req = ctl_request("nat load");
		cJSON_AddStringToObject(req, "text", text);
		free(text);
	} else if (!strcmp(sub, "add") || !strcmp(sub, "delete")) {
		char *end, *rule;
		long idx;

		if (argc < 3) {
			fprintf(stderr, "ctnicctl nat %s: give a rule, e.g. -A PREROUTING -d 198.51.100.80/32 -p tcp -j DNAT "
					"--to-destination 203.0.113.5:8080\n", sub);
			return 2;
		}
		req = ctl_request(!strcmp(sub, "add") ? "nat add" : "nat delete");
		if (!strcmp(sub, "delete") && argc == 4 && argv[2][0] != '-') {
			errno = 0;
			idx = strtol(argv[3], &end, 10);
			if (errno || *end || idx < 1) {
				fprintf(stderr, "ctnicctl nat delete: %s: a rule number from 1\n", argv[3]);
				cJSON_Delete(req);
				return 2;
			}
			cJSON_AddStringToObject(req, "chain", argv[2]);
			cJSON_AddNumberToObject(req, "index", (double)idx);
		} else {
			if (strcmp(argv[2], "-A")) {
				fprintf(stderr, "ctnicctl nat %s: a rule starts with -A CHAIN (iptables-save syntax)\n", sub);
				cJSON_Delete(req);
				return 2;
			}
			if (!(rule = join(argc - 2, argv + 2))) {
				cJSON_Delete(req);
				return 1;
			}
			cJSON_AddStringToObject(req, "rule", rule);
			free(rule);
		}
	} else {
		fprintf(stderr, "ctnicctl nat: unknown subcommand '%s' (list, add, delete, load)\n", sub);
		return 2;
	}
	if (!(r = ctl_call(cli, req, &ans)))
		return 1;
	rules = cJSON_GetObjectItemCaseSensitive(r, "rules");
	if (cli->out == OUT_TEXT && !strcmp(sub, "list") && cJSON_IsString(rules))
		fputs(rules->valuestring, stdout);
	cJSON_Delete(ans);
	return 0;
}

/* ---- stats and device ------------------------------------------------------------- */

int ctl_cmd_stats(struct cli *cli, int argc, char **argv)
{
	cJSON *ans, *r;

	if (ctl_help_wanted(argc, argv)) {
		printf("usage: ctnicctl stats [-o text|json|prometheus]\n"
		       "  counters of the card (per port, per punt reason, drops, hits, misses) and of the daemon\n"
		       "  (table occupancy, installs, expiries, late packets translated or dropped, ...)\n"
		       "  text: NAME = VALUE lines; prometheus: the Prometheus text exposition format\n");
		return 0;
	}
	if (ctl_only_output(cli, "stats", argc, argv, 1) < 0)
		return 2;
	if (!(r = ctl_call(cli, ctl_request("stats"), &ans)))
		return 1;
	if (cli->out == OUT_TEXT)
		ctnic_fmt_stats_text(stdout, r);
	else if (cli->out == OUT_PROM)
		ctnic_fmt_stats_prometheus(stdout, r);
	cJSON_Delete(ans);
	return 0;
}

static int cmd_device_regs(struct cli *cli, int argc, char **argv)
{
	const cJSON *regs, *e;
	cJSON *ans, *r;

	if (ctl_only_output(cli, "device regs", argc, argv, 2) < 0)
		return 2;
	if (!(r = ctl_call(cli, ctl_request("device regs"), &ans)))
		return 1;
	regs = cJSON_GetObjectItemCaseSensitive(r, "regs");
	if (cli->out == OUT_TEXT)
		cJSON_ArrayForEach(e, regs) {
			const cJSON *n = cJSON_GetObjectItemCaseSensitive(e, "name"), *o = cJSON_GetObjectItemCaseSensitive(e, "offset"),
				    *v = cJSON_GetObjectItemCaseSensitive(e, "value");

			printf("%-28s 0x%04x  %s\n", cJSON_IsString(n) ? n->valuestring : "?",
			       cJSON_IsNumber(o) ? (unsigned)o->valuedouble : 0u, cJSON_IsString(v) ? v->valuestring : "?");
		}
	cJSON_Delete(ans);
	return 0;
}

int ctl_cmd_device(struct cli *cli, int argc, char **argv)
{
	static const char *const fields[][2] = {
		{ "ports", "network ports" }, { "ways", "key entries per bucket" },
		{ "buckets", "buckets per sub-table" }, { "flows", "flow records" },
		{ "nexthops", "next hops" }, { "classes", "timeout classes" },
	};
	cJSON *ans, *r;

	if (ctl_help_wanted(argc, argv)) {
		printf("usage: ctnicctl device [-o json]   the card's id, version, tick counter and capacities\n"
		       "       ctnicctl device regs [-o json]  every readable register by name (docs/regmap.md), read now\n");
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "regs"))
		return cmd_device_regs(cli, argc, argv);
	if (ctl_only_output(cli, "device", argc, argv, 1) < 0)
		return 2;
	if (!(r = ctl_call(cli, ctl_request("device"), &ans)))
		return 1;
	if (cli->out == OUT_TEXT) {
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

/* ---- main ------------------------------------------------------------------------ */
