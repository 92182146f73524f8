/*
 * ctnic_tuples.h - the tuples of live connections and their NAT bindings.
 *
 * Every live connection owns two keys (contract: one per direction): its
 * original tuple and its reply tuple. This set holds both for every
 * connection, so the reply tuple a NAT binding picks is never a key of any
 * other live connection, in either direction (Linux's nf_nat_used_tuple).
 * The choice follows Linux's get_unique_tuple(): keep the tuple when it is
 * free and in range, reuse an existing mapping of the same source, pick the
 * address by a hash of source and destination (source only with
 * --persistent), keep the port when possible, and otherwise search the port
 * range from a random offset (sequentially for DNAT). Unlike Linux, the
 * search is exhaustive: a range is refused only when it is truly full.
 *
 * No I/O, no globals; the random offsets come from the seed given.
 */
#ifndef CTNIC_TUPLES_H
#define CTNIC_TUPLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctnic_flow.h"
#include "ct/ctnic_conntrack.h"
#include "ct/ctnic_nat.h"

struct ctnic_tuples;

/* A set for at most max_conns live connections. */
struct ctnic_tuples *ctnic_tuples_create(uint32_t max_conns, uint64_t seed,
					 char *err, size_t errlen);
void ctnic_tuples_destroy(struct ctnic_tuples *t);

/* Field by field (a struct ctnic_key has padding). */
bool ctnic_key_equal(const struct ctnic_key *a, const struct ctnic_key *b);

/*
 * The reply key of a tuple as the card looks it up: addresses and ports
 * swapped; for ICMP echo the identifier stays in sport and dport is 0.
 */
struct ctnic_key ctnic_tuple_invert(const struct ctnic_key *k);

/*
 * Adds a connection with original tuple *orig. dnat and snat are the
 * translations asked for (NULL: none); DNAT is applied first, as Linux's
 * PREROUTING comes before POSTROUTING. On success *reply is the reply key
 * (its inversion is the tuple the original direction leaves with) and
 * `cookie` is stored for lookups. Fails, changing nothing, when orig is
 * already a key, the set is full, or no free tuple is left in a range.
 */
int ctnic_tuples_add(struct ctnic_tuples *t, const struct ctnic_key *orig,
		     const struct ctnic_nat_range *dnat, const struct ctnic_nat_range *snat,
		     uint32_t cookie, struct ctnic_key *reply, char *err, size_t errlen);

/* Removes the connection whose original tuple is *orig; -1 when there is none. */
int ctnic_tuples_remove(struct ctnic_tuples *t, const struct ctnic_key *orig);

/*
 * Finds the connection that owns key *k (either direction). On success fills
 * what is asked (any pointer may be NULL): its cookie, which direction k is,
 * and its original and reply keys.
 */
bool ctnic_tuples_lookup(const struct ctnic_tuples *t, const struct ctnic_key *k,
			 uint32_t *cookie, enum ctnic_dir *dir,
			 struct ctnic_key *orig, struct ctnic_key *reply);

/*
 * An ICMP error quotes a packet that left the gateway (*inner: its tuple as
 * it left). Finds the connection it belongs to (Linux inverts the quote and
 * looks it up): *dir is the direction the error itself travels in, and
 * *inner_out the tuple the quote must carry after translation (the quoted
 * packet as it arrived at the gateway). Any pointer may be NULL.
 */
bool ctnic_tuples_icmp_inner(const struct ctnic_tuples *t, const struct ctnic_key *inner,
			     uint32_t *cookie, enum ctnic_dir *dir, struct ctnic_key *inner_out);

/* Is k a key of any live connection? */
bool ctnic_tuples_used(const struct ctnic_tuples *t, const struct ctnic_key *k);

uint32_t ctnic_tuples_count(const struct ctnic_tuples *t);

#endif /* CTNIC_TUPLES_H */
