/*
 * ctlnat.c - NAT rules through the control socket (ctlnat.h). Every change
 * is made on the ruleset's iptables-save text and parsed whole, so a rule
 * the parser refuses never half-applies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlcmd.h"
#include "ctlnat.h"

static struct ctnicd_core *core_of(void *ctx, char *err, size_t errlen)
{
	struct ctnicd_daemon *d = ctx;

	if (!d->core)
		snprintf(err, errlen, "no connection tracking on this card: %s", d->no_core ? d->no_core : "not set up");
	return d->core;
}

static const char *need_string(const cJSON *req, const char *name, const char *example, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, name);

	if (!cJSON_IsString(v)) {
		snprintf(err, errlen, "\"%s\" must be a string, e.g. %s", name, example);
		return NULL;
	}
	return v->valuestring;
}

/* The answer: the ruleset as text and its rule count. */
static cJSON *rules_answer(const struct ctnic_nat_ruleset *rs, char *err, size_t errlen)
{
	char *text = ctnic_nat_save(rs);
	cJSON *r;

	if (!text) {
		snprintf(err, errlen, "nat: out of memory");
		return NULL;
	}
	r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "rules", text);
	cJSON_AddNumberToObject(r, "count", (double)rs->nrules);
	free(text);
	return r;
}

/* Parses text as the new ruleset and puts it in place; NULL with err when it is refused. */
static cJSON *replace(struct ctnicd_core *c, const char *text, const char *name, char *err, size_t errlen)
{
	struct ctnic_nat_ruleset *rs;

	if (ctnic_nat_parse(text, name, 1, &rs, err, errlen) < 0)
		return NULL;
	ctnic_nat_ruleset_free(c->conf->nat);
	c->conf->nat = rs;
	snprintf(c->conf->nat_source, sizeof(c->conf->nat_source), "%s", "the control socket");
	ctnicd_core_apply(c);
	return rules_answer(rs, err, errlen);
}

cJSON *ctnicd_cmd_nat_list(void *ctx, const cJSON *req, char *err, size_t errlen)
{
	struct ctnicd_core *c = core_of(ctx, err, errlen);

	(void)req;
	return c ? rules_answer(c->conf->nat, err, errlen) : NULL;
}

cJSON *ctnicd_cmd_nat_load(void *ctx, const cJSON *req, char *err, size_t errlen)
{
	struct ctnicd_core *c = core_of(ctx, err, errlen);
	const char *text = c ? need_string(req, "text", "\"*nat\\n-A POSTROUTING -o wan -j MASQUERADE\\nCOMMIT\\n\"",
					   err, errlen) : NULL;

	return text ? replace(c, text, "rules", err, errlen) : NULL;
}

/* The current rules as text, with `rule` appended to its chain (before COMMIT). */
static char *with_rule(struct ctnicd_core *c, const char *rule, char *err, size_t errlen)
{
	char *text = ctnic_nat_save(c->conf->nat), *out, *commit;
	size_t n;

	if (!text || !(commit = strstr(text, "COMMIT\n"))) {
		free(text);
		snprintf(err, errlen, "nat: out of memory");
		return NULL;
	}
	n = strlen(text) + strlen(rule) + 2;
	if (!(out = malloc(n))) {
		free(text);
		snprintf(err, errlen, "nat: out of memory");
		return NULL;
	}
	*commit = '\0';
	snprintf(out, n, "%s%s\nCOMMIT\n", text, rule);
	free(text);
	return out;
}

static bool one_line(const char *rule, char *err, size_t errlen)
{
	if (strncmp(rule, "-A ", 3) || strpbrk(rule, "\r\n")) {
		snprintf(err, errlen, "\"rule\" must be one rule as iptables-save writes it: \"-A CHAIN ...\"");
		return false;
	}
	return true;
}

cJSON *ctnicd_cmd_nat_add(void *ctx, const cJSON *req, char *err, size_t errlen)
{
	struct ctnicd_core *c = core_of(ctx, err, errlen);
	const char *rule = c ? need_string(req, "rule", "\"-A POSTROUTING -o wan -j MASQUERADE\"", err, errlen) : NULL;
	cJSON *r;
	char *text;

	if (!rule || !one_line(rule, err, errlen) || !(text = with_rule(c, rule, err, errlen)))
		return NULL;
	r = replace(c, text, "rule", err, errlen);
	free(text);
	return r;
}

/* The n-th line of text (0-based) that starts with prefix, as an offset; -1 when none. */
static long nth_line(const char *text, const char *prefix, unsigned long n)
{
	size_t pl = strlen(prefix);

	for (const char *l = text; *l; l = strchr(l, '\n') + 1) {
		if (!strncmp(l, prefix, pl) && n-- == 0)
			return l - text;
		if (!strchr(l, '\n'))
			break;
	}
	return -1;
}

/* Removes the line at offset off of text (in place). */
static void cut_line(char *text, long off)
{
	char *l = text + off, *end = strchr(l, '\n');

	memmove(l, end ? end + 1 : l + strlen(l), strlen(end ? end + 1 : l + strlen(l)) + 1);
}

cJSON *ctnicd_cmd_nat_delete(void *ctx, const cJSON *req, char *err, size_t errlen)
{
	struct ctnicd_core *c = core_of(ctx, err, errlen);
	const cJSON *rule = cJSON_GetObjectItemCaseSensitive(req, "rule");
	const cJSON *chain = cJSON_GetObjectItemCaseSensitive(req, "chain");
	const cJSON *index = cJSON_GetObjectItemCaseSensitive(req, "index");
	char *text, prefix[48], line[4096];
	long off = -1;
	cJSON *r;

	if (!c)
		return NULL;
	if (cJSON_IsString(rule)) {
		/* The rule as the saver writes it: add it to a copy, save, and take that chain's last line. */
		struct ctnic_nat_ruleset *rs;
		char *probe, *saved, name[32];
		long last = -1;

		if (!one_line(rule->valuestring, err, errlen) || !(probe = with_rule(c, rule->valuestring, err, errlen)))
			return NULL;
		if (ctnic_nat_parse(probe, "rule", 1, &rs, err, errlen) < 0) {
			free(probe);
			return NULL;
		}
		free(probe);
		saved = ctnic_nat_save(rs);
		ctnic_nat_ruleset_free(rs);
		if (!saved || sscanf(rule->valuestring, "-A %31s", name) != 1) {
			free(saved);
			snprintf(err, errlen, "nat: out of memory");
			return NULL;
		}
		snprintf(prefix, sizeof(prefix), "-A %s ", name);
		for (unsigned long i = 0; nth_line(saved, prefix, i) >= 0; i++)
			last = nth_line(saved, prefix, i);
		if (last < 0) {
			free(saved);
			snprintf(err, errlen, "no such rule: nat list shows the rules");
			return NULL;
		}
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(saved + last, "\n"), saved + last);
		free(saved);
		text = ctnic_nat_save(c->conf->nat);
		for (unsigned long i = 0; text && (off = nth_line(text, prefix, i)) >= 0; i++)
			if (!strncmp(text + off, line, strlen(line)) && text[off + (long)strlen(line)] == '\n')
				break;
	} else if (cJSON_IsString(chain) && cJSON_IsNumber(index) && index->valuedouble >= 1 &&
		   index->valuedouble == (double)(long)index->valuedouble && strlen(chain->valuestring) < 32) {
		snprintf(prefix, sizeof(prefix), "-A %s ", chain->valuestring);
		text = ctnic_nat_save(c->conf->nat);
		off = text ? nth_line(text, prefix, (unsigned long)index->valuedouble - 1) : -1;
	} else {
		snprintf(err, errlen, "nat delete takes \"rule\" (\"-A CHAIN ...\", as iptables -D RULE) or "
			 "\"chain\" and \"index\" (1-based, as iptables -D CHAIN N)");
		return NULL;
	}
	if (!text || off < 0) {
		snprintf(err, errlen, "no such rule: %s", text ? "nat list shows the rules" : "out of memory");
		free(text);
		return NULL;
	}
	cut_line(text, off);
	r = replace(c, text, "rules", err, errlen);
	free(text);
	return r;
}
