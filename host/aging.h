/*
 * aging.h - the daemon's side of the card's aging (docs/hardware.md,
 * "Aging"; docs/daemon.md "Ends, timeouts and the linger memory").
 *
 * The card ages every offloaded flow by its record's class. The daemon
 * programs AGING_TIMEOUT[c] from its configuration (Linux's sysctl names
 * and defaults, docs/conntrack.md "Timeouts and classes"), keeps class 15
 * (CTNICD_TCLASS_NEVER) at timeout 0 for the flows that must never expire
 * (static flows), and turns every expiry event into the end of the
 * connection (core.c: ctnicd_conn_expired, generation checked).
 */
#ifndef CTNICD_AGING_H
#define CTNICD_AGING_H

#include <stdbool.h>
#include <stdint.h>

#include "core.h"

/* The card class whose timeout stays 0: its flows never expire. */
#define CTNICD_TCLASS_NEVER 15u

/*
 * Writes AGING_TIMEOUT[c] = the configured timeout of class c in device
 * ticks (c->timeout[], from the configuration), AGING_TIMEOUT[15] = 0, and
 * sets AGING_CTRL.ENABLE. Run again after every change of a timeout: the
 * card compares at each visit, so a change applies to every flow at once.
 * Returns 0, or the negative errno of the failing register access (c->err
 * says which).
 */
int ctnicd_aging_program(struct ctnicd_core *c);

/*
 * Whether the card ages (AGING_CTRL.ENABLE reads 1): the daemon's own sweep
 * then leaves in-card connections to the card's expiry events and ends only
 * the connections kept in software.
 */
bool ctnicd_aging_on(struct ctnicd_core *c);

/* The class a connection's record carries in the card: static flows never expire. */
uint8_t ctnicd_aging_card_class(const struct ctnicd_conn *cn);

#endif /* CTNICD_AGING_H */
