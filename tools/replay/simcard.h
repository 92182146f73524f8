/*
 * simcard.h - ctnic-replay's sim backend: a ctnic-sim process of its own
 * (docs/simulator.md), reached through libctnic's sim: backend, its frames
 * fed one at a time with ctnic_sim_port_rx (ctnic_sim.h).
 *
 * ctnic-sim writes what each recorded port transmits to a pcap in the
 * simcard's temporary directory, stamped with the card's cycle (4 ns each);
 * ctnic-replay turns those stamps into device time. ctnic-sim's own messages
 * go to a log there too, shown when something fails.
 */
#ifndef CTNIC_REPLAY_SIMCARD_H
#define CTNIC_REPLAY_SIMCARD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ctnic.h"

#define SIMCARD_PORTS 16u

struct simcard;

/*
 * Starts sim_bin (NULL: the ctnic-sim of the build argv0 belongs to) on a
 * socket in a fresh temporary directory, recording port P's transmissions
 * for each record[P], and opens it. 0 with *devp, or -1 with err
 * (everything it started is stopped). A port the simulated card does not
 * have is refused by ctnic-sim, and err says so.
 */
int simcard_open(struct simcard **sp, const char *sim_bin, const char *argv0, const bool record[SIMCARD_PORTS],
		 struct ctnic_dev **devp, char *err, size_t errlen);

/* The process and its socket, for messages. */
pid_t simcard_pid(const struct simcard *s);
const char *simcard_socket(const struct simcard *s);

/*
 * The pcap of port P's transmissions, complete once simcard_stop stopped
 * ctnic-sim (it writes them through stdio and renames them when it stops);
 * NULL for a port not recorded or while ctnic-sim runs.
 */
const char *simcard_port_pcap(const struct simcard *s, unsigned port);

/*
 * Stops ctnic-sim (SIGTERM: it completes and renames its outputs) and waits
 * for it. 0 when it exited cleanly, else -1 with err (its log's last line).
 * Close the device first.
 */
int simcard_stop(struct simcard *s, char *err, size_t errlen);

/* Stops the simulator if it still runs and removes its directory; NULL is allowed. */
void simcard_close(struct simcard *s);

#endif /* CTNIC_REPLAY_SIMCARD_H */
