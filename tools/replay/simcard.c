/*
 * simcard.c - ctnic-replay's sim backend (simcard.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "simcard.h"

#define START_WAIT_MS 30000
#define STOP_WAIT_MS 30000

struct simcard {
	pid_t pid;
	char dir[64];
	char sock[96];
	char log[96];
	char *out[SIMCARD_PORTS];    /* ctnic-sim writes OUT.tmp and renames it when it stops */
	bool stopped;
};

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The last non-empty line of ctnic-sim's log, for a message. */
static void log_tail(const struct simcard *s, char *buf, size_t len)
{
	FILE *f = fopen(s->log, "r");
	char line[512];

	snprintf(buf, len, "(no message)");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0])
			snprintf(buf, len, "%s", line);
	}
	fclose(f);
}

static void status_text(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, len, "status %d", status);
}

/* Waits for the child up to ms; 1 with *status when it ended, 0 when it still runs. */
static int wait_child(struct simcard *s, long ms, int *status)
{
	for (long waited = 0;; waited += 10) {
		pid_t p = waitpid(s->pid, status, WNOHANG);

		if (p == s->pid || (p < 0 && errno == ECHILD)) {
			s->pid = 0;
			return 1;
		}
		if (waited >= ms)
			return 0;
		sleep_ms(10);
	}
}

/* The simulator's path socket appears once it accepts (docs/simulator.md). */
static int start(struct simcard *s, const char *bin, char *err, size_t errlen)
{
	char *argv[4 + 2 * SIMCARD_PORTS + 1], (*outs)[128] = calloc(SIMCARD_PORTS, 128);
	int argc = 0, status;
	pid_t parent;

	if (!outs) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (access(bin, X_OK) < 0) {
		snprintf(err, errlen, "%s: %s (build it with make, or give --sim PATH)", bin, strerror(errno));
		free(outs);
		return -1;
	}
	argv[argc++] = (char *)bin;
	argv[argc++] = "--socket";
	argv[argc++] = s->sock;
	for (unsigned p = 0; p < SIMCARD_PORTS; p++)
		if (s->out[p]) {
			snprintf(outs[p], 128, "%u=%s", p, s->out[p]);
			argv[argc++] = "--out";
			argv[argc++] = outs[p];
		}
	argv[argc] = NULL;
	parent = getpid();
	s->pid = fork();
	if (s->pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		s->pid = 0;
		free(outs);
		return -1;
	}
	if (s->pid == 0) {
		int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (fd >= 0)
			dup2(fd, 2);
		/*
		 * Stopped by ctnic-replay only, after the card is read: not by a
		 * Ctrl-C to the terminal's process group; but with it if it dies.
		 */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		execv(bin, argv);
		_exit(127);
	}
	free(outs);
	for (int waited = 0; waited < START_WAIT_MS; waited += 20) {
		if (access(s->sock, F_OK) == 0)
			return 0;
		if (wait_child(s, 0, &status)) {
			char why[64], last[512];

			status_text(status, why, sizeof(why));
			log_tail(s, last, sizeof(last));
			snprintf(err, errlen, "%s ended before its socket appeared (%s): %s", bin, why, last);
			return -1;
		}
		sleep_ms(20);
	}
	snprintf(err, errlen, "%s: no socket %s after %d ms", bin, s->sock, START_WAIT_MS);
	return -1;
}

int simcard_open(struct simcard **sp, const char *sim_bin, const char *argv0, const bool record[SIMCARD_PORTS],
		 struct ctnic_dev **devp, char *err, size_t errlen)
{
	struct simcard *s = calloc(1, sizeof(*s));
	char bin[4096], uri[128];

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
	snprintf(s->log, sizeof(s->log), "%s/ctnic-sim.log", s->dir);
	for (unsigned p = 0; p < SIMCARD_PORTS; p++)
		if (record[p]) {
			if (asprintf(&s->out[p], "%s/port-%u.pcap", s->dir, p) < 0) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
		}
	if (start(s, bin, err, errlen) < 0)
		goto fail;
	snprintf(uri, sizeof(uri), "sim:%s", s->sock);
	if (ctnic_open(devp, uri, err, errlen) < 0)
		goto fail;
	*sp = s;
	return 0;
fail:
	simcard_close(s);
	return -1;
}

pid_t simcard_pid(const struct simcard *s)
{
	return s->pid;
}

const char *simcard_socket(const struct simcard *s)
{
	return s->sock;
}

const char *simcard_port_pcap(const struct simcard *s, unsigned port)
{
	return port < SIMCARD_PORTS && s->stopped ? s->out[port] : NULL;
}

int simcard_stop(struct simcard *s, char *err, size_t errlen)
{
	char why[64], last[512];
	int status = 0;

	if (!s->pid) {
		snprintf(err, errlen, "ctnic-sim is not running");
		return -1;
	}
	kill(s->pid, SIGTERM);
	if (!wait_child(s, STOP_WAIT_MS, &status)) {
		kill(s->pid, SIGKILL);
		wait_child(s, STOP_WAIT_MS, &status);
		snprintf(err, errlen, "ctnic-sim did not stop within %d ms of SIGTERM (killed)", STOP_WAIT_MS);
		return -1;
	}
	s->stopped = true;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		status_text(status, why, sizeof(why));
		log_tail(s, last, sizeof(last));
		snprintf(err, errlen, "ctnic-sim ended with %s: %s", why, last);
		return -1;
	}
	return 0;
}

/* Everything in the directory: ctnic-sim's socket, host memory and outputs when it could not remove them. */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d) {
		while ((e = readdir(d))) {
			char path[512];

			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

void simcard_close(struct simcard *s)
{
	int status;

	if (!s)
		return;
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		if (!wait_child(s, STOP_WAIT_MS, &status)) {
			kill(s->pid, SIGKILL);
			wait_child(s, STOP_WAIT_MS, &status);
		}
	}
	if (s->dir[0])
		remove_dir(s->dir);
	for (unsigned p = 0; p < SIMCARD_PORTS; p++)
		free(s->out[p]);
	free(s);
}
