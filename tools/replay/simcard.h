/*
 * simcard.h - ctnic-replay's sim backend: a ctnic-sim process of its own
 * (docs/simulator.md), reached through libctnic's sim: backend.
 *
 * Replay through the simulated card needs two things ctnic-sim does not
 * have yet: the DMA rings in the RTL (the daemon's core runs on them), and
 * a request that feeds one frame into a port at a given device time (today
 * its ports read whole pcap files at start and feed them back to back).
 * simcard_open starts the simulator, checks the first on the real card,
 * and until both exist refuses with a message saying which is missing; it
 * never falls back to the model.
 */
#ifndef CTNIC_REPLAY_SIMCARD_H
#define CTNIC_REPLAY_SIMCARD_H

#include <stddef.h>

#include "ctnic.h"

struct simcard;

/*
 * Starts sim_bin (NULL: ctnic-sim of the build argv0 belongs to) on a
 * socket in a fresh temporary directory, and opens it. 0 with *devp, or -1
 * with err (everything it started is stopped).
 */
int simcard_open(struct simcard **sp, const char *sim_bin, const char *argv0, struct ctnic_dev **devp,
		 char *err, size_t errlen);
/* Stops the simulator and removes its directory; NULL is allowed. */
void simcard_close(struct simcard *s);

#endif /* CTNIC_REPLAY_SIMCARD_H */
