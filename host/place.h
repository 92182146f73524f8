/*
 * place.h - where key entries go in the card's table (docs/contract.md
 * "The table"): a shadow of every key slot, a free way in either candidate
 * bucket, and cuckoo moves when both buckets are full.
 *
 * A slot is shadowed by a 32-bit reference (0: free; else bit 31 set, bit
 * 30 the direction, bits 21:0 the flow id) and the 16-bit number of the
 * other bucket its key could live in, so the search for moves never
 * rehashes a key: the shadow costs 6 bytes per slot. The caller turns the moves into commands in the order given:
 * each move deletes the key from its old slot and then writes it into its
 * new one, so the card never holds one key twice (a packet that meets the
 * key in motion misses and the daemon, which knows the connection, forwards
 * it); the new key is written last.
 */
#ifndef CTNICD_PLACE_H
#define CTNICD_PLACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctnic_flow.h"

#define CTNICD_REF(id, dir) (0x80000000u | ((uint32_t)(dir) << 30) | (id))
#define CTNICD_REF_ID(r) ((r) & CTNIC_FLOW_ID_MAX)
#define CTNICD_REF_DIR(r) (((r) >> 30) & 1u)

/* Longest chain of moves tried for one key. */
#define CTNICD_PLACE_DEPTH 4u

struct ctnicd_place {
	uint32_t *ref;               /* one per slot */
	uint16_t *alt;               /* one per slot: the entry's bucket in the other sub-table */
	uint32_t buckets, ways, nslots;
	uint32_t used;
	uint64_t moves;              /* cuckoo moves made, for statistics */
};

struct ctnicd_move {
	uint32_t from, to, ref;
};

int ctnicd_place_init(struct ctnicd_place *p, uint32_t buckets, uint32_t ways, char *err, size_t errlen);
void ctnicd_place_fini(struct ctnicd_place *p);

/*
 * Places key *k for reference ref: a free way of either candidate bucket,
 * else a chain of at most CTNICD_PLACE_DEPTH moves (breadth first: the
 * shortest) that frees one. On success the shadow is updated, moves[0..*n)
 * are the moves to make first (in order) and *slot is the key's slot.
 * -ENOSPC when no chain exists (nothing changed).
 */
int ctnicd_place_add(struct ctnicd_place *p, const struct ctnic_key *k, uint32_t ref,
		     struct ctnicd_move moves[CTNICD_PLACE_DEPTH], unsigned *n, uint32_t *slot);

/* Records that key *k (reference ref) is at slot (a table read back from the card). */
void ctnicd_place_set(struct ctnicd_place *p, uint32_t slot, uint32_t ref, const struct ctnic_key *k);

/* Frees a slot. */
void ctnicd_place_del(struct ctnicd_place *p, uint32_t slot);

#endif /* CTNICD_PLACE_H */
