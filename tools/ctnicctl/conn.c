/*
 * conn.c - ctnicctl conn list / delete / flush and events (ctnicctl.h).
 */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctfmt.h"
#include "ctnicctl.h"

int ctl_cmd_conn(struct cli *cli, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	cJSON *req, *ans, *r;
	bool any;

	if (argc < 2 || ctl_help_wanted(argc, argv)) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: ctnicctl conn list [FILTER]     connections, as conntrack -L prints them\n"
			"       ctnicctl conn delete FILTER     end the matching connections (their bindings linger)\n"
			"       ctnicctl conn flush             end every connection\n" FILTER_USAGE
			"  -o json prints ctnicd's answer\n");
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(sub, "list") || !strcmp(sub, "delete")) {
		char cmd[16];

		snprintf(cmd, sizeof(cmd), "conn %s", sub);
		req = ctl_request(cmd);
		if (ctl_parse_filter(cli, cmd, argc - 1, argv + 1, req, &any) < 0) {
			cJSON_Delete(req);
			return 2;
		}
		if (!strcmp(sub, "delete") && !any) {
			fprintf(stderr, "ctnicctl conn delete: give a filter or a tuple (see --help); conn flush ends all\n");
			cJSON_Delete(req);
			return 2;
		}
		if (!(r = ctl_call(cli, req, &ans)))
			return 1;
		if (cli->out == OUT_TEXT) {
			const cJSON *d = cJSON_GetObjectItemCaseSensitive(r, "deleted");

			if (!strcmp(sub, "list"))
				ctnic_fmt_conns(stdout, stderr, "ctnicctl", r);
			else
				fprintf(stderr, "ctnicctl: %.0f flow entries have been deleted.\n",
					cJSON_IsNumber(d) ? d->valuedouble : 0.0);
		}
		cJSON_Delete(ans);
		return 0;
	}
	if (!strcmp(sub, "flush")) {
		const cJSON *d;

		if (ctl_only_output(cli, "conn flush", argc, argv, 2) < 0)
			return 2;
		if (!(r = ctl_call(cli, ctl_request("conn flush"), &ans)))
			return 1;
		d = cJSON_GetObjectItemCaseSensitive(r, "deleted");
		if (cli->out == OUT_TEXT)
			fprintf(stderr, "ctnicctl: connection tracking table has been emptied (%.0f flow entries).\n",
				cJSON_IsNumber(d) ? d->valuedouble : 0.0);
		cJSON_Delete(ans);
		return 0;
	}
	fprintf(stderr, "ctnicctl conn: unknown subcommand '%s' (list, delete, flush)\n", sub);
	return 2;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

#define EVENTS_POLL_MS 200

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool jnum_is(const cJSON *o, const char *k, double want)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) && v->valuedouble == want;
}

/* Does one direction of an event equal the filter's tuple? */
static bool tuple_is(const cJSON *t, const cJSON *f)
{
	const char *a = jstr(t, "src"), *b = jstr(t, "dst");
	const cJSON *sp = cJSON_GetObjectItemCaseSensitive(f, "sport"), *dp = cJSON_GetObjectItemCaseSensitive(f, "dport");

	return a && b && !strcmp(a, jstr(f, "src")) && !strcmp(b, jstr(f, "dst")) &&
	       (jnum_is(t, "sport", sp->valuedouble) || jnum_is(t, "id", sp->valuedouble)) &&
	       (jnum_is(t, "dport", dp->valuedouble) || !cJSON_GetObjectItemCaseSensitive(t, "dport"));
}

/* The filter of conn list, applied to an event here (ctnicd's events request takes none). */
static bool event_matches(const cJSON *ev, const cJSON *f)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(ev, "conn") ? cJSON_GetObjectItemCaseSensitive(ev, "conn") : ev;
	const cJSON *t[2] = { cJSON_GetObjectItemCaseSensitive(c, "orig"), cJSON_GetObjectItemCaseSensitive(c, "reply") };
	const char *v;
	const cJSON *n;

	if ((v = jstr(f, "proto")) && (!jstr(c, "proto") || strcmp(v, jstr(c, "proto"))))
		return false;
	if ((v = jstr(f, "state")) && (!jstr(c, "state") || strcasecmp(v, jstr(c, "state"))))
		return false;
	if (jstr(f, "src"))
		return tuple_is(t[0], f) || tuple_is(t[1], f);
	if ((v = jstr(f, "addr"))) {
		bool hit = false;

		for (int d = 0; d < 2; d++)
			hit |= (jstr(t[d], "src") && !strcmp(v, jstr(t[d], "src"))) ||
			       (jstr(t[d], "dst") && !strcmp(v, jstr(t[d], "dst")));
		if (!hit)
			return false;
	}
	if ((n = cJSON_GetObjectItemCaseSensitive(f, "port"))) {
		bool hit = false;

		for (int d = 0; d < 2; d++)
			hit |= jnum_is(t[d], "sport", n->valuedouble) || jnum_is(t[d], "dport", n->valuedouble);
		if (!hit)
			return false;
	}
	return true;
}

/*
 * events: ctnicd keeps the last events in a ring read by sequence number
 * (docs/daemon.md); ctnicctl asks for what came since the last answer every
 * 200 ms and prints each as conntrack -E does, until interrupted.
 */
int ctl_cmd_events(struct cli *cli, int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	cJSON *filter = cJSON_CreateObject(), *ans, *r;
	double next = -1;
	bool any, json;

	if (ctl_help_wanted(argc, argv)) {
		printf("usage: ctnicctl events [FILTER] [-o json]\n"
		       "  connection events as conntrack -E prints them ([NEW], [UPDATE], [DESTROY] with its cause),\n"
		       "  from now until interrupted; -o json: one JSON object per event and line (docs/daemon.md)\n"
		       FILTER_USAGE);
		cJSON_Delete(filter);
		return 0;
	}
	if (ctl_parse_filter(cli, "events", argc, argv, filter, &any) < 0) {
		cJSON_Delete(filter);
		return 2;
	}
	/* A tuple needs all of it, as conn list's does. */
	if ((jstr(filter, "src") || jstr(filter, "dst") || cJSON_GetObjectItemCaseSensitive(filter, "sport") ||
	     cJSON_GetObjectItemCaseSensitive(filter, "dport")) &&
	    !(jstr(filter, "src") && jstr(filter, "dst") && cJSON_GetObjectItemCaseSensitive(filter, "sport") &&
	      cJSON_GetObjectItemCaseSensitive(filter, "dport") && jstr(filter, "proto"))) {
		fprintf(stderr, "ctnicctl events: a tuple needs -p, --src, --dst, --sport and --dport\n");
		cJSON_Delete(filter);
		return 2;
	}
	json = cli->out == OUT_JSON;
	cli->out = OUT_TEXT; /* the answers are not printed whole: the events are, one a line */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!stop) {
		cJSON *req = ctl_request("events"), *e;
		const cJSON *n, *lost;

		if (next >= 0) {
			cJSON_AddNumberToObject(req, "since", next);
			cJSON_AddNumberToObject(req, "max", 4096);
		}
		if (!(r = ctl_call(cli, req, &ans))) {
			cJSON_Delete(filter);
			return stop ? 0 : 1;
		}
		n = cJSON_GetObjectItemCaseSensitive(r, "next");
		lost = cJSON_GetObjectItemCaseSensitive(r, "lost");
		if (cJSON_IsNumber(lost) && lost->valuedouble > 0)
			fprintf(stderr, "ctnicctl: %.0f events lost (they left ctnicd's ring before they were read)\n",
				lost->valuedouble);
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(r, "events")) {
			char *line;

			if (!event_matches(e, filter))
				continue;
			if (!json) {
				ctnic_fmt_event(stdout, e);
			} else if ((line = cJSON_PrintUnformatted(e))) {
				printf("%s\n", line); /* JSON Lines: one event object a line */
				free(line);
			}
		}
		if (cJSON_IsNumber(n))
			next = n->valuedouble;
		cJSON_Delete(ans);
		if (!stop)
			poll(NULL, 0, EVENTS_POLL_MS);
	}
	cJSON_Delete(filter);
	return 0;
}

/* ---- timeout ---------------------------------------------------------------------- */
