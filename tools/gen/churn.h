/* ctnic-story-gen --scenario churn: thousands of TCP and UDP connections
 * through a NAT gateway, opened, closed, reset, refused, left to time out
 * and their client ports reused, in random interleaved order
 * (docs/testing.md, "The churn").
 *
 * Activity comes in rounds of CTNIC_CHURN_ROUND_S seconds: every packet of a
 * round lies within one millisecond (one device tick) of the round's start,
 * 100 ns apart, in the random order the generator chose. The gateway's
 * timeouts (written with --conf) are whole rounds, so every connection ends
 * exactly at a round's start: a replay meets few distinct expiry moments,
 * however many connections there are. The client network (port 0) and the
 * server network (port 1) are written as the gateway receives them; the
 * server side answers the translated tuple, which the rules make
 * deterministic (DNAT to fixed targets, SNAT to one address keeping the
 * client's port, and no two live connections share a client port).
 */
#ifndef CTNIC_GEN_CHURN_H
#define CTNIC_GEN_CHURN_H

#include <stdint.h>

#define CTNIC_CHURN_ROUND_S 2

struct ctnic_churn_opts {
	uint64_t seed;
	unsigned conns;           /* connections to open */
	unsigned rounds;          /* rounds in which they open (0: conns / 100, at least 10) */
	const char *out[2];       /* what each port receives */
	const char *expect[2];    /* what a correct NAT gateway sends out of each port */
	const char *conf;         /* the gateway's configuration for ctnic-replay */
	int kind;                 /* only connections of this kind (ctnic_churn_kind), 0: all kinds */
	int list;                 /* print each connection's plan */
};

/* A kind by name (close_client, close_server, rst_client, rst_server,
 * refused, syn_only, syn_recv, idle, half_closed, udp_unreplied,
 * udp_stream): 1.., or 0 for none; and back (NULL past the last). */
int ctnic_churn_kind(const char *name);
const char *ctnic_churn_kind_name(int kind);

/* Writes the files and prints the plan's summary (`churn.NAME = VALUE`
 * lines) on stdout. 0, or -1 with the reason on stderr. */
int ctnic_churn_generate(const struct ctnic_churn_opts *o);

#endif
