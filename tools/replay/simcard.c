/*
 * simcard.c - ctnic-replay's sim backend (simcard.h).
 */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "simcard.h"

#define START_WAIT_MS 30000

struct simcard {
	pid_t pid;
	char dir[64];
	char sock[96];
};

void simcard_close(struct simcard *s)
{
	if (!s)
		return;
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	if (s->dir[0]) {
		unlink(s->sock);
		rmdir(s->dir);
	}
	free(s);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The simulator's path socket appears once it accepts (docs/simulator.md). */
static int start(struct simcard *s, const char *bin, char *err, size_t errlen)
{
	int status;

	if (access(bin, X_OK) < 0) {
		snprintf(err, errlen, "%s: %s (build it with make, or give --sim PATH)", bin, strerror(errno));
		return -1;
	}
	s->pid = fork();
	if (s->pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (s->pid == 0) {
		execl(bin, bin, "--socket", s->sock, (char *)NULL);
		_exit(127);
	}
	for (int waited = 0; waited < START_WAIT_MS; waited += 20) {
		if (access(s->sock, F_OK) == 0)
			return 0;
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			snprintf(err, errlen, "%s exited before its socket appeared (status %d)", bin, status);
			return -1;
		}
		sleep_ms(20);
	}
	snprintf(err, errlen, "%s: no socket %s after %d ms", bin, s->sock, START_WAIT_MS);
	return -1;
}

int simcard_open(struct simcard **sp, const char *sim_bin, const char *argv0, struct ctnic_dev **devp,
		 char *err, size_t errlen)
{
	struct simcard *s = calloc(1, sizeof(*s));
	char bin[4096], uri[128], why[1024];
	struct ctnicd_core *core = NULL;
	struct ctnic_conf *conf = NULL;

	*sp = NULL;
	*devp = NULL;
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (sim_bin) {
		snprintf(bin, sizeof(bin), "%s", sim_bin);
	} else {
		char a[4096];

		/* BUILD/tools/replay/ctnic-replay -> BUILD/sim/ctnic-sim/ctnic-sim */
		snprintf(a, sizeof(a), "%s", argv0);
		snprintf(bin, sizeof(bin), "%s/../../sim/ctnic-sim/ctnic-sim", dirname(a));
	}
	snprintf(s->dir, sizeof(s->dir), "/tmp/ctnic-replay-XXXXXX");
	if (!mkdtemp(s->dir)) {
		snprintf(err, errlen, "mkdtemp %s: %s", s->dir, strerror(errno));
		s->dir[0] = '\0';
		goto fail;
	}
	snprintf(s->sock, sizeof(s->sock), "%s/sim.sock", s->dir);
	if (start(s, bin, err, errlen) < 0)
		goto fail;
	snprintf(uri, sizeof(uri), "sim:%s", s->sock);
	if (ctnic_open(devp, uri, err, errlen) < 0)
		goto fail;
	/* The daemon's core needs the four DMA rings: ask the real card for them. */
	if (ctnic_conf_parse("", "(replay)", NULL, &conf, why, sizeof(why)) < 0 ||
	    ctnicd_core_create(&core, *devp, conf, 1, why, sizeof(why)) < 0) {
		snprintf(err, errlen,
			 "the simulated card cannot carry the DMA rings yet (%s): the card ctnic-sim runs has no DMA "
			 "engine of docs/rings.md behind it yet; replay with --backend model (the reference model "
			 "in-process)", why);
		goto fail;
	}
	ctnicd_core_destroy(core);
	snprintf(err, errlen,
		 "the simulated card has its rings, but ctnic-sim cannot yet feed a frame into a port at a given "
		 "device time (its ports read whole pcap files at start); replay with --backend model");
fail:
	ctnic_close(*devp);
	*devp = NULL;
	simcard_close(s);
	return -1;
}
