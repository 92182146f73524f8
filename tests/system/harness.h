/*
 * harness.h - what the system tests share: TAP output, child processes
 * (ctnic-sim, ctnicd, ctnicctl) with their output in log files, waiting for
 * a socket path to appear, and a scratch directory.
 */
#ifndef CTNIC_TEST_HARNESS_H
#define CTNIC_TEST_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

/* Prints "ok N - name" or "not ok N - name"; returns cond. */
int tap(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "# ..." (diagnostics). */
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the plan "1..N" and returns the exit status: 0 when nothing failed. */
int tap_done(void);

/* A fresh directory under /tmp (short: socket paths are limited); removed by th_cleanup. */
const char *th_tmpdir(const char *tag);
void th_cleanup(void);

/* Starts argv[0] with stdout and stderr appended to log; returns its pid or -1. */
pid_t th_spawn(char *const argv[], const char *log);
/* Waits until path exists: 0, or -1 when pid exited first or timeout_ms passed. */
int th_wait_path(const char *path, pid_t pid, int timeout_ms);
/* Waits for pid: its wait status, or -1 after killing it when timeout_ms passed. */
int th_wait(pid_t pid, int timeout_ms);
/* Runs argv to completion, stdout into out (NUL-terminated); returns its wait status or -1. */
int th_run(char *const argv[], char *out, size_t cap, int timeout_ms);
/* Prints a file as TAP diagnostics (a log of a failed child). */
void th_diag_file(const char *path);

#endif /* CTNIC_TEST_HARNESS_H */
