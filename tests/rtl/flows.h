/*
 * flows.h - connections for the RTL tests and the benchmark: two key
 * entries (original and reply) naming one flow record, placed in the
 * two-choice table the way software places them (contract "The table"),
 * with cuckoo moves when both candidate buckets are full.
 */
#ifndef CTNIC_TEST_FLOWS_H
#define CTNIC_TEST_FLOWS_H

#include <cstdint>
#include <random>
#include <vector>

#include "pkt.h"
#include "tb.h"

struct Conn {
	ctnic_key key[2];     /* original, reply */
	ctnic_flow_dir out[2];
	uint32_t fid;
};

/*
 * A connection whose original direction `k` leaves as (ts, td, tsp, tdp):
 * the reply comes back to (ts, tsp) from (td, tdp) and leaves as the
 * original's reverse. ICMP echo: ports are the identifier and 0.
 */
Conn make_conn(const ctnic_key &k, uint32_t ts, uint32_t td, uint16_t tsp, uint16_t tdp, uint8_t nh0,
	       uint8_t nh1, bool ttl_dec);

/* The key slots as software keeps them. */
class Table {
public:
	explicit Table(Tb &tb);

	/* A free slot for k in either candidate bucket, or -1. */
	long place(const ctnic_key &k, std::mt19937_64 &rng);
	/*
	 * Places e, moving entries cuckoo-style (a random walk of at most
	 * max_moves) when both buckets are full. Only the table's copy changes;
	 * write_all() sends it to the card. False when it found no room (the
	 * table is then as before).
	 */
	bool insert(const ctnic_key_entry &e, std::mt19937_64 &rng, unsigned max_moves = 500);
	/* Writes every slot that insert() filled, to the card and the model. */
	void write_all(Tb &tb);

	unsigned slots() const { return (unsigned)used.size(); }
	unsigned filled() const;

	unsigned buckets, ways;
	std::vector<bool> used;
	std::vector<ctnic_key_entry> entry;
};

/* Installs c as flow c.fid: the record first, the keys last. False when no room. */
bool install(Tb &tb, Table &t, Conn &c, uint8_t tclass = 1);

/* A valid next hop on `port`, with MACs made from `tag`. */
ctnic_nexthop nexthop(uint8_t port, bool macs, uint8_t tag);

/* A frame of direction d of connection c. */
PktSpec spec_of(const Conn &c, int d);

#endif /* CTNIC_TEST_FLOWS_H */
