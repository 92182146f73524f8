/*
 * conn.h - ctnicd's connection table: one 40-byte record per live
 * connection, indexed by the flow id the card knows it by, over host/ct's
 * tuple set (both keys of every connection, collision-free NAT bindings).
 *
 * A record's id is its flow id in the card; a generation, bumped each time
 * the id is freed, goes into the card's flow record and into command tags,
 * so a late completion or expiry event of an ended connection never touches
 * the connection that reused its id.
 */
#ifndef CTNICD_CONN_H
#define CTNICD_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ct/ctnic_conntrack.h"
#include "ct/ctnic_tuples.h"

#define CTNICD_CONN_USED     0x01u /* the record holds a live connection */
#define CTNICD_CONN_IN_CARD  0x02u /* both keys and the flow record are in the card */
#define CTNICD_CONN_TO_HOST  0x04u /* the card sends every packet of it to the host (pure ACKs needed) */
#define CTNICD_CONN_REPLIED  0x08u /* a packet of the reply direction was seen (UDP, ICMP, generic) */
#define CTNICD_CONN_ASSURED  0x10u /* Linux's IPS_ASSURED (UDP: seen_reply and a later packet) */
#define CTNICD_CONN_LOCAL0   0x20u /* the original direction goes to the host stack */
#define CTNICD_CONN_LOCAL1   0x40u /* the reply direction goes to the host stack */
#define CTNICD_CONN_STATIC   0x80u /* a static flow of the configuration: never expires */

struct ctnicd_conn {
	struct ctnic_key orig;       /* the original tuple (the reply key is in the tuple set) */
	uint32_t slot[2];            /* key slots in the card; slot[0] links free records */
	uint32_t last_seen;          /* device tick (low 32 bits) of the last packet known here */
	uint16_t gen;                /* generation of the id, bumped on free */
	uint8_t tclass;              /* timeout class (enum ctnic_tclass) */
	uint8_t flags;               /* CTNICD_CONN_* */
	struct ctnic_tcp_track tcp;  /* TCP state (other protocols: unused) */
	uint8_t nh[2];               /* the card's next hop of each direction */
	uint8_t xflags;              /* CTNICD_CONNX_* */
};

#define CTNICD_CONNX_TTL_KEEP 0x01u /* a static flow with ttl=keep: the card leaves TTL as it is */

/*
 * A UDP connection not answered yet: the card punts its reply direction, so
 * the daemon sees the first answer and moves the flow to the stream class
 * (the card alone would age a live stream by the unreplied timeout).
 */
static inline bool ctnicd_conn_awaits_reply(const struct ctnicd_conn *cn)
{
	return cn->orig.proto == 17 && !(cn->flags & (CTNICD_CONN_REPLIED | CTNICD_CONN_STATIC));
}

struct ctnicd_conns {
	struct ctnicd_conn *c;
	uint32_t cap;                /* records (nf_conntrack_max, at most the card's flows) */
	uint32_t used;
	uint32_t free_head;          /* UINT32_MAX: none */
	uint32_t drop_cursor;        /* where the next early-drop search starts */
	struct ctnic_tuples *tu;
};

int ctnicd_conns_init(struct ctnicd_conns *t, uint32_t cap, uint64_t seed, char *err, size_t errlen);
void ctnicd_conns_fini(struct ctnicd_conns *t);

/*
 * A new connection with original tuple *orig and the translations asked
 * for (NULL: none). On success *id is its record (zeroed but for orig, gen,
 * USED) and *reply its reply key. -ENOSPC when the table is full, -EEXIST
 * or -EADDRNOTAVAIL (no free binding) with a message otherwise.
 */
int ctnicd_conns_add(struct ctnicd_conns *t, const struct ctnic_key *orig,
		     const struct ctnic_nat_range *dnat, const struct ctnic_nat_range *snat,
		     uint32_t *id, struct ctnic_key *reply, char *err, size_t errlen);

/*
 * Re-creates a connection at a given id with a given reply key (a daemon
 * reading the card's table back): the binding is forced to that reply.
 * The free list is not kept: call ctnicd_conns_relink() after the last one.
 */
int ctnicd_conns_add_at(struct ctnicd_conns *t, uint32_t id, const struct ctnic_key *orig,
			const struct ctnic_key *reply, char *err, size_t errlen);
void ctnicd_conns_relink(struct ctnicd_conns *t);

/* Ends connection id: its keys leave the tuple set, its generation moves on. */
void ctnicd_conns_del(struct ctnicd_conns *t, uint32_t id);

/* The connection owning key *k and the direction k is of it. */
bool ctnicd_conns_find(const struct ctnicd_conns *t, const struct ctnic_key *k, uint32_t *id,
		       enum ctnic_dir *dir);

/* The key of direction dir of live connection id. */
struct ctnic_key ctnicd_conns_key(const struct ctnicd_conns *t, uint32_t id, enum ctnic_dir dir);

/* Live connection id of generation gen? */
bool ctnicd_conns_live(const struct ctnicd_conns *t, uint32_t id, uint16_t gen);

/*
 * Linux's early drop: a live connection that may be evicted for a new one
 * (TCP: never assured or closing; others: never replied), searched from a
 * rotating cursor over at most `budget` records. UINT32_MAX when none.
 */
uint32_t ctnicd_conns_early_drop(struct ctnicd_conns *t, uint32_t budget);

#endif /* CTNICD_CONN_H */
