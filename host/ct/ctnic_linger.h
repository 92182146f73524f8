/*
 * ctnic_linger.h - the linger memory: the bindings of recently ended
 * connections, so that a late packet (a FIN after the entry timed out, in
 * either direction) leaves with the translation its connection had instead
 * of untranslated. Bounded in entries (the oldest goes first) and in time
 * (an entry is forgotten `linger` time units after its connection ended).
 *
 * Times are whatever unit the caller uses consistently (device ticks in the
 * daemon). No I/O, no globals.
 */
#ifndef CTNIC_LINGER_H
#define CTNIC_LINGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctnic_flow.h"
#include "ct/ctnic_conntrack.h"

struct ctnic_linger;

/* What is remembered of an ended connection. */
struct ctnic_linger_entry {
	struct ctnic_key orig;   /* its original key (as the client's packets arrive) */
	struct ctnic_key reply;  /* its reply key (as the far side's packets arrive) */
	uint64_t expires;        /* forgotten from this time on */
	uint32_t cookie;         /* the caller's (e.g. what else it needs to forward) */
};

/* max_entries 0 or linger 0 make a memory that remembers nothing. */
struct ctnic_linger *ctnic_linger_create(uint32_t max_entries, uint64_t linger,
					 char *err, size_t errlen);
void ctnic_linger_destroy(struct ctnic_linger *l);

/*
 * Remembers a connection that ended at `now`. When full, the oldest entry is
 * forgotten first (counted in ctnic_linger_evicted()). A later add of the
 * same keys shadows an earlier one.
 */
void ctnic_linger_add(struct ctnic_linger *l, const struct ctnic_key *orig,
		      const struct ctnic_key *reply, uint32_t cookie, uint64_t now);

/*
 * Finds the newest unexpired entry with key *k as its original (dir
 * ORIGINAL) or reply (dir REPLY) key. *out and *dir may be NULL.
 */
bool ctnic_linger_lookup(const struct ctnic_linger *l, const struct ctnic_key *k, uint64_t now,
			 struct ctnic_linger_entry *out, enum ctnic_dir *dir);

/*
 * The tuple a late packet of direction `dir` leaves with: the inversion of
 * the other direction's key.
 */
struct ctnic_key ctnic_linger_translate(const struct ctnic_linger_entry *e, enum ctnic_dir dir);

/* Forgets the entries for orig (a new connection took the tuple); returns how many. */
uint32_t ctnic_linger_forget(struct ctnic_linger *l, const struct ctnic_key *orig);

/* Drops every entry expired at `now`; returns how many. */
uint32_t ctnic_linger_expire(struct ctnic_linger *l, uint64_t now);

uint32_t ctnic_linger_count(const struct ctnic_linger *l);
uint64_t ctnic_linger_evicted(const struct ctnic_linger *l);

/* Changes the time (config reload); entries keep the expiry they were given. */
void ctnic_linger_set_time(struct ctnic_linger *l, uint64_t linger);

#endif /* CTNIC_LINGER_H */
