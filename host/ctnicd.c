/*
 * ctnicd - the ctnic daemon, minimal form (docs/daemon.md): opens a card by
 * URI, installs the static flows of its command line and config file, turns
 * the ports on (CTRL.ENABLE), and serves the control socket until SIGTERM or
 * SIGINT, when it removes its socket and exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "ctl.h"
#include "ctnic.h"
#include "install.h"

#define DEFAULT_SOCKET "/run/ctnic/ctnicd.sock"
#define SPECS_MAX 256

struct daemon {
	struct ctnic_dev *dev;
	struct ctnic_dev_info info;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ctnicd --device URI [--socket PATH] [--config FILE] [--flow SPEC]...\n"
		"  --device URI    the card: sim:PATH (a ctnic-sim socket)\n"
		"  --socket PATH   control socket for ctnicctl (default " DEFAULT_SOCKET ")\n"
		"  --config FILE   lines 'flow SPEC'; '#' starts a comment\n"
		"  --flow SPEC     a static flow, e.g.\n"
		"                  'proto=tcp src=198.51.100.7:40000 dst=203.0.113.10:80\n"
		"                   dnat=192.0.2.10:8080 out=1 reply-out=0'\n"
		"                  keys: proto src dst snat dnat out reply-out out-mac reply-mac ttl class\n"
		"  --help          this text\n");
}

static cJSON *cmd_device(void *ctx, const cJSON *req, char *err, size_t errlen)
{
	struct daemon *d = ctx;
	struct ctnic_dev_info i;
	char id[5], ver[16], hex[16];
	cJSON *r;

	(void)req;
	if (ctnic_dev_info(d->dev, &i) < 0) {
		snprintf(err, errlen, "%s", ctnic_last_error(d->dev));
		return NULL;
	}
	for (int k = 0; k < 4; k++) {
		char c = (char)(i.id >> (24 - 8 * k));
		id[k] = c >= 0x20 && c < 0x7f ? c : '.';
	}
	id[4] = '\0';
	snprintf(ver, sizeof(ver), "%u.%u.%u", (i.version & CTNIC_VERSION_MAJOR_MASK) >> CTNIC_VERSION_MAJOR_SHIFT,
		 (i.version & CTNIC_VERSION_MINOR_MASK) >> CTNIC_VERSION_MINOR_SHIFT,
		 (i.version & CTNIC_VERSION_PATCH_MASK) >> CTNIC_VERSION_PATCH_SHIFT);
	r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "uri", ctnic_uri(d->dev));
	snprintf(hex, sizeof(hex), "0x%08x", i.id);
	cJSON_AddStringToObject(r, "id", hex);
	cJSON_AddStringToObject(r, "id_text", id);
	snprintf(hex, sizeof(hex), "0x%08x", i.version);
	cJSON_AddStringToObject(r, "version_raw", hex);
	cJSON_AddStringToObject(r, "version", ver);
	/* A JSON number holds 53 bits exactly; the tick goes as a decimal string too. */
	cJSON_AddNumberToObject(r, "tick", (double)i.tick);
	snprintf(hex, sizeof(hex), "%llu", (unsigned long long)i.tick);
	cJSON_AddStringToObject(r, "tick_text", hex);
	cJSON_AddNumberToObject(r, "ports", i.ports);
	cJSON_AddNumberToObject(r, "ways", i.ways);
	cJSON_AddNumberToObject(r, "buckets", i.buckets);
	cJSON_AddNumberToObject(r, "flows", i.flows);
	cJSON_AddNumberToObject(r, "nexthops", i.nexthops);
	cJSON_AddNumberToObject(r, "classes", i.classes);
	/* Whether the ports take frames: the first thing to look at when nothing flows. */
	uint32_t st;
	if (ctnic_csr_read(d->dev, CTNIC_REG_STATUS, &st) < 0) {
		snprintf(err, errlen, "%s", ctnic_last_error(d->dev));
		cJSON_Delete(r);
		return NULL;
	}
	cJSON_AddBoolToObject(r, "enabled", (st & CTNIC_STATUS_ENABLED_MASK) != 0);
	return r;
}

static const struct ctnicd_ctl_cmd commands[] = {
	{ "device", cmd_device, "the card's id, version, tick counter and capacities" },
	{ NULL, NULL, NULL },
};

/* Reads 'flow SPEC' lines; a bad line is refused with its number, and nothing of the file is used. */
static int read_config(const char *path, char **specs, int *nspecs)
{
	char line[1024];
	int lineno = 0, n = *nspecs;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "ctnicd: config %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *hash = strchr(line, '#');

		lineno++;
		if (hash)
			*hash = '\0';
		p += strspn(p, " \t\r\n");
		if (!*p)
			continue;
		if (strncmp(p, "flow", 4) || !strchr(" \t", p[4])) {
			fprintf(stderr, "ctnicd: config %s line %d: expected 'flow SPEC'\n", path, lineno);
			goto fail;
		}
		if (n == SPECS_MAX) {
			fprintf(stderr, "ctnicd: config %s line %d: more than %d flows\n", path, lineno, SPECS_MAX);
			goto fail;
		}
		p[strcspn(p, "\r\n")] = '\0';
		specs[n++] = strdup(p + 5);
	}
	fclose(f);
	*nspecs = n;
	return 0;
fail:
	while (n > *nspecs)
		free(specs[--n]);
	fclose(f);
	return -1;
}

static int run(struct daemon *d, const char *sock_path)
{
	struct ctnicd_ctl *ctl;
	char err[CTNIC_ERR_LEN];
	sigset_t mask;
	int sfd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		fprintf(stderr, "ctnicd: signalfd: %s\n", strerror(errno));
		return 1;
	}
	if (ctnicd_ctl_open(&ctl, sock_path, commands, d, err, sizeof(err)) < 0) {
		fprintf(stderr, "ctnicd: %s\n", err);
		close(sfd);
		return 1;
	}
	fprintf(stderr, "ctnicd: serving %s on %s\n", ctnic_uri(d->dev), sock_path);
	for (;;) {
		struct pollfd pfd[40];
		size_t n;

		pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		n = ctnicd_ctl_pollfds(ctl, pfd + 1, 39);
		if (poll(pfd, n + 1, -1) < 0 && errno != EINTR) {
			fprintf(stderr, "ctnicd: poll: %s\n", strerror(errno));
			break;
		}
		if (pfd[0].revents)
			break;
		ctnicd_ctl_serve(ctl, pfd + 1, n);
	}
	ctnicd_ctl_close(ctl);
	close(sfd);
	fprintf(stderr, "ctnicd: stopped\n");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "flow", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *uri = NULL, *sock_path = DEFAULT_SOCKET;
	char *specs[SPECS_MAX], err[CTNIC_ERR_LEN];
	struct ctnicd_flow_spec *parsed = NULL;
	struct daemon d = { 0 };
	int nspecs = 0, c, rc = 1;

	while ((c = getopt_long(argc, argv, "d:s:c:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': uri = optarg; break;
		case 's': sock_path = optarg; break;
		case 'c':
			if (read_config(optarg, specs, &nspecs) < 0) {
				rc = 2;
				goto out;
			}
			break;
		case 'f':
			if (nspecs == SPECS_MAX) {
				fprintf(stderr, "ctnicd: more than %d flows\n", SPECS_MAX);
				goto out;
			}
			specs[nspecs++] = strdup(optarg);
			break;
		case 'h': usage(stdout); rc = 0; goto out;
		default: usage(stderr); rc = 2; goto out;
		}
	}
	if (optind < argc || !uri) {
		fprintf(stderr, optind < argc ? "ctnicd: unexpected argument '%s'\n" : "ctnicd: --device URI is required%s\n",
			optind < argc ? argv[optind] : "");
		usage(stderr);
		rc = 2;
		goto out;
	}

	/* Every spec is checked before the card is touched. */
	parsed = calloc((size_t)nspecs + 1, sizeof(*parsed));
	if (!parsed)
		goto out;
	for (int i = 0; i < nspecs; i++) {
		if (ctnicd_flow_spec_parse(specs[i], &parsed[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "ctnicd: flow %d: %s\n", i + 1, err);
			rc = 2;
			goto out_parsed;
		}
	}
	if (ctnic_open(&d.dev, uri, err, sizeof(err)) < 0) {
		fprintf(stderr, "ctnicd: %s\n", err);
		goto out_parsed;
	}
	if (ctnic_dev_info(d.dev, &d.info) < 0) {
		fprintf(stderr, "ctnicd: %s\n", ctnic_last_error(d.dev));
		goto out_dev;
	}
	for (int i = 0; i < nspecs; i++) {
		struct ctnicd_flow_placed pl;

		if (ctnicd_flow_install(d.dev, &d.info, &parsed[i], &pl, err, sizeof(err)) < 0) {
			fprintf(stderr, "ctnicd: flow %d (%s) not installed: %s\n", i + 1, specs[i], err);
			goto out_dev;
		}
		fprintf(stderr, "ctnicd: flow %d installed: flow id %u, key slots %u and %u, next hops %u and %u\n",
			i + 1, pl.flow_id, pl.slot[0], pl.slot[1], pl.nexthop[0], pl.nexthop[1]);
	}
	if (ctnic_csr_write(d.dev, CTNIC_REG_CTRL, CTNIC_CTRL_ENABLE_MASK) < 0) {
		fprintf(stderr, "ctnicd: enabling the ports: %s\n", ctnic_last_error(d.dev));
		goto out_dev;
	}
	rc = run(&d, sock_path);
out_dev:
	ctnic_close(d.dev);
out_parsed:
	free(parsed);
out:
	while (nspecs)
		free(specs[--nspecs]);
	return rc;
}
