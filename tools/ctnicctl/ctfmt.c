/*
 * ctfmt.c - ctnicd's answers in conntrack and Prometheus formats (ctfmt.h).
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "ctfmt.h"

static const cJSON *get(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

static const char *str(const cJSON *o, const char *name)
{
	const cJSON *v = get(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool num(const cJSON *o, const char *name, double *v)
{
	const cJSON *n = get(o, name);

	if (!cJSON_IsNumber(n))
		return false;
	*v = n->valuedouble;
	return true;
}

static bool has_flag(const cJSON *conn, const char *flag)
{
	const cJSON *fl = get(conn, "flags"), *e;

	cJSON_ArrayForEach(e, fl)
		if (cJSON_IsString(e) && !strcmp(e->valuestring, flag))
			return true;
	return false;
}

/* One direction: "src=A dst=B sport=P dport=Q" (ICMP: "id=N"), then its counters. */
static void tuple(FILE *f, const cJSON *t, const cJSON *conn, const char *pk, const char *by)
{
	double v;

	fprintf(f, " src=%s dst=%s", str(t, "src") ? str(t, "src") : "?", str(t, "dst") ? str(t, "dst") : "?");
	if (num(t, "sport", &v))
		fprintf(f, " sport=%.0f", v);
	if (num(t, "dport", &v))
		fprintf(f, " dport=%.0f", v);
	if (num(t, "id", &v))
		fprintf(f, " id=%.0f", v);
	if (num(conn, pk, &v))
		fprintf(f, " packets=%.0f", v);
	if (num(conn, by, &v))
		fprintf(f, " bytes=%.0f", v);
}

/* A conntrack line; a DESTROY event's has no timeout and no state, as in Linux. */
static void conn_line(FILE *f, const cJSON *c, bool destroy)
{
	const char *proto = str(c, "proto"), *state = str(c, "state");
	double pnum = 0, to;

	if (!num(c, "protonum", &pnum) && proto) /* events name the protocol only */
		pnum = !strcmp(proto, "tcp") ? 6 : !strcmp(proto, "udp") ? 17 : !strcmp(proto, "icmp") ? 1 : 0;
	/* conntrack -L: "%-8s %u %lu " protocol name, number, seconds left. */
	fprintf(f, "%-8s %.0f", proto ? proto : "unknown", pnum);
	if (!destroy) {
		if (num(c, "timeout", &to))
			fprintf(f, " %.0f", to);
		else if (cJSON_IsNull(get(c, "timeout")))
			fputs(" -", f); /* a static flow: never expires */
		if (state)
			fprintf(f, " %s", state);
	}
	tuple(f, get(c, "orig"), c, "packets", "bytes");
	/* As in Linux: [UNREPLIED] after the original tuple, [ASSURED] after the reply. */
	if (has_flag(c, "UNREPLIED"))
		fputs(" [UNREPLIED]", f);
	tuple(f, get(c, "reply"), c, "reply_packets", "reply_bytes");
	if (has_flag(c, "ASSURED"))
		fputs(" [ASSURED]", f);
	if (cJSON_IsTrue(get(c, "in_card")) || has_flag(c, "OFFLOAD"))
		fputs(" [HW_OFFLOAD]", f);
	if (has_flag(c, "TO_HOST"))
		fputs(" [TO_HOST]", f);
	if (has_flag(c, "STATIC"))
		fputs(" [STATIC]", f);
	if (str(c, "why")) /* a DESTROY event's cause: expired, rst, reopen, early_drop, deleted */
		fprintf(f, " (%s)", str(c, "why"));
	fputc('\n', f);
}

void ctnic_fmt_conn(FILE *f, const cJSON *c)
{
	conn_line(f, c, false);
}

void ctnic_fmt_conns(FILE *f, FILE *stderr_f, const char *prog, const cJSON *result)
{
	const cJSON *e, *arr = get(result, "conns");
	int n = 0;

	cJSON_ArrayForEach(e, arr) {
		ctnic_fmt_conn(f, e);
		n++;
	}
	if (stderr_f)
		fprintf(stderr_f, "%s: %d flow entries have been shown.\n", prog, n);
}

void ctnic_fmt_event(FILE *f, const cJSON *ev)
{
	const char *type = str(ev, "type");
	const cJSON *c = get(ev, "conn");
	char tag[16];

	/* conntrack -E right-aligns the tag to the width of "[DESTROY]". */
	snprintf(tag, sizeof(tag), "[%.8s]", type ? type : "?");
	fprintf(f, "%9s ", tag);
	conn_line(f, c ? c : ev, type && !strcmp(type, "DESTROY"));
}

/* ---- statistics -------------------------------------------------------------------- */

/* name = value lines, nested objects joined with '.', array items by their "port" or index. */
static void flat(FILE *f, const char *prefix, const cJSON *o)
{
	const cJSON *e;
	char name[256];
	int i = 0;

	cJSON_ArrayForEach(e, o) {
		if (cJSON_IsArray(o)) {
			const cJSON *p = cJSON_IsObject(e) ? get(e, "port") : NULL;

			if (cJSON_IsNumber(p))
				snprintf(name, sizeof(name), "%s%.0f", prefix, p->valuedouble);
			else if (cJSON_IsString(p)) /* card.ports[host] reads card.host, the host path */
				snprintf(name, sizeof(name), "%.*s%s", (int)(strlen(prefix) >= 4 &&
					 !strcmp(prefix + strlen(prefix) - 4, "port") ? strlen(prefix) - 4 : strlen(prefix)),
					 prefix, p->valuestring);
			else
				snprintf(name, sizeof(name), "%s%d", prefix, i);
		} else {
			snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", e->string);
		}
		i++;
		if (cJSON_IsArray(o) == false && !strcmp(e->string, "port"))
			continue; /* an array item's name, used above */
		if (cJSON_IsObject(e) || cJSON_IsArray(e)) {
			char sub[270];

			/* card.ports[0] reads card.port0; daemon.tx_ports[1] reads daemon.tx_port1 */
			if (cJSON_IsArray(e)) {
				size_t l = strlen(name);

				snprintf(sub, sizeof(sub), "%.*s", (int)(l && name[l - 1] == 's' ? l - 1 : l), name);
			} else {
				snprintf(sub, sizeof(sub), "%s", name);
			}
			flat(f, sub, e);
		} else if (cJSON_IsNumber(e)) {
			fprintf(f, "%s = %.0f\n", name, e->valuedouble);
		} else if (cJSON_IsString(e)) {
			fprintf(f, "%s = %s\n", name, e->valuestring);
		} else if (cJSON_IsBool(e)) {
			fprintf(f, "%s = %d\n", name, cJSON_IsTrue(e));
		}
	}
}

void ctnic_fmt_stats_text(FILE *f, const cJSON *result)
{
	flat(f, "", result);
}

/* Metric names take [a-zA-Z0-9_]; label values are quoted. */
static void metric_name(char *out, size_t len, const char *a, const char *b)
{
	size_t n = 0;

	for (const char *s = a; *s && n + 1 < len; s++)
		out[n++] = isalnum((unsigned char)*s) ? (char)tolower((unsigned char)*s) : '_';
	if (b && n + 1 < len)
		out[n++] = '_';
	for (const char *s = b; s && *s && n + 1 < len; s++)
		out[n++] = isalnum((unsigned char)*s) ? (char)tolower((unsigned char)*s) : '_';
	out[n] = '\0';
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One family whose label takes each key of object o: ctnic_card_punt_total{reason="MISS"} 2 */
static void labelled(FILE *f, const char *name, const char *label, const cJSON *o, const char *help)
{
	const cJSON *e;

	if (!cJSON_IsObject(o))
		return;
	family(f, name, "counter", help);
	cJSON_ArrayForEach(e, o)
		if (cJSON_IsNumber(e))
			fprintf(f, "%s{%s=\"%s\"} %.0f\n", name, label, e->string, e->valuedouble);
}

/* The card's per-port counters: ctnic_card_port_rx_packets_total{port="0"} 6 */
static void ports(FILE *f, const cJSON *arr)
{
	static const char *const fields[][2] = {
		{ "rx_packets", "frames received on the port" }, { "rx_bytes", "bytes received on the port" },
		{ "tx_packets", "frames sent out of the port" }, { "tx_bytes", "bytes sent out of the port" },
	};
	char name[128];

	if (!cJSON_IsArray(arr))
		return;
	for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
		const cJSON *p;

		snprintf(name, sizeof(name), "ctnic_card_port_%s_total", fields[k][0]);
		family(f, name, "counter", fields[k][1]);
		cJSON_ArrayForEach(p, arr) {
			const cJSON *id = get(p, "port"), *v = get(p, fields[k][0]);

			if (!cJSON_IsNumber(v))
				continue;
			if (cJSON_IsNumber(id))
				fprintf(f, "%s{port=\"%.0f\"} %.0f\n", name, id->valuedouble, v->valuedouble);
			else
				fprintf(f, "%s{port=\"%s\"} %.0f\n", name, cJSON_IsString(id) ? id->valuestring : "?",
					v->valuedouble);
		}
	}
}

void ctnic_fmt_stats_prometheus(FILE *f, const cJSON *r)
{
	const cJSON *card = get(r, "card"), *d = get(r, "daemon"), *e;
	char name[160];
	double v;

	if (card) {
		ports(f, get(card, "ports"));
		labelled(f, "ctnic_card_punt_total", "reason", get(card, "punt"),
			 "frames the card sent to the host, by punt reason");
		labelled(f, "ctnic_card_drop_total", "reason", get(card, "drop"), "frames the card dropped, by reason");
		if (num(card, "hits", &v)) {
			family(f, "ctnic_card_hits_total", "counter", "flow table lookups that found a flow");
			fprintf(f, "ctnic_card_hits_total %.0f\n", v);
		}
		if (num(card, "misses", &v)) {
			family(f, "ctnic_card_misses_total", "counter", "flow table lookups that found none");
			fprintf(f, "ctnic_card_misses_total %.0f\n", v);
		}
		if (num(get(card, "aging"), "expired", &v)) {
			family(f, "ctnic_card_aging_expired_total", "counter", "flows the card's aging scanner retired");
			fprintf(f, "ctnic_card_aging_expired_total %.0f\n", v);
		}
		if (num(get(card, "aging"), "passes", &v)) {
			family(f, "ctnic_card_aging_passes_total", "counter", "passes of the card's aging scanner over the flow table");
			fprintf(f, "ctnic_card_aging_passes_total %.0f\n", v);
		}
	}
	if (!d)
		return;
	labelled(f, "ctnic_daemon_punt_total", "reason", get(d, "punt"), "punted frames the daemon handled, by reason");
	labelled(f, "ctnic_daemon_late_total", "action", get(d, "late"),
		 "late packets (no connection): translated by the linger memory, dropped, answered with RST, passed");
	if (cJSON_IsArray(e = get(d, "tx_ports"))) {
		const cJSON *p;
		int i = 0;

		family(f, "ctnic_daemon_tx_packets_total", "counter", "frames the daemon sent, by port");
		cJSON_ArrayForEach(p, e)
			if (cJSON_IsNumber(p))
				fprintf(f, "ctnic_daemon_tx_packets_total{port=\"%d\"} %.0f\n", i++, p->valuedouble);
		if (num(d, "tx_host_stack", &v))
			fprintf(f, "ctnic_daemon_tx_packets_total{port=\"host\"} %.0f\n", v);
	}
	if (cJSON_IsObject(e = get(d, "table"))) {
		const cJSON *t;

		cJSON_ArrayForEach(t, e) {
			if (!cJSON_IsNumber(t))
				continue;
			metric_name(name, sizeof(name), "ctnic_daemon_table", t->string);
			family(f, name, "gauge", "the connection table (linger: bindings of ended connections)");
			fprintf(f, "%s %.0f\n", name, t->valuedouble);
		}
	}
	cJSON_ArrayForEach(e, d) {
		if (!cJSON_IsNumber(e) || !strcmp(e->string, "tx_host_stack"))
			continue;
		metric_name(name, sizeof(name), "ctnic_daemon", e->string);
		strncat(name, "_total", sizeof(name) - strlen(name) - 1);
		family(f, name, "counter", e->string);
		fprintf(f, "%s %.0f\n", name, e->valuedouble);
	}
}
