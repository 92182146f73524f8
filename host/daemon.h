/*
 * daemon.h - ctnicd as a program (docs/daemon.md "Running it"): options,
 * configuration and its reload, the device, the static flows, and the one
 * event loop (punt and event rings, the control socket, signals, the host
 * stack's TAP, the expiry sweep).
 */
#ifndef CTNICD_DAEMON_H
#define CTNICD_DAEMON_H

/* ctnicd's main: exit status 0, 1 (device or flow failed) or 2 (usage, configuration). */
int ctnicd_main(int argc, char **argv);

#endif /* CTNICD_DAEMON_H */
