/* flows.cpp - connections and their placement in the table (flows.h). */
#include "flows.h"

Conn make_conn(const ctnic_key &k, uint32_t ts, uint32_t td, uint16_t tsp, uint16_t tdp, uint8_t nh0,
	       uint8_t nh1, bool ttl_dec)
{
	Conn c{};
	bool icmp = k.proto == 1;

	if (icmp)
		tdp = 0;
	c.key[0] = k;
	c.key[1] = ctnic_key{td, ts, icmp ? tsp : tdp, icmp ? (uint16_t)0 : tsp, k.proto};
	c.out[0] = ctnic_flow_dir{ts, td, tsp, tdp, CTNIC_ACTION_FORWARD, ttl_dec, nh0};
	c.out[1] = ctnic_flow_dir{k.daddr, k.saddr, icmp ? k.sport : k.dport, icmp ? (uint16_t)0 : k.sport,
				  CTNIC_ACTION_FORWARD, ttl_dec, nh1};
	return c;
}

Table::Table(Tb &tb)
    : buckets(ctnic_model_csr_read(tb.model(), CTNIC_REG_CAP_BUCKETS)),
      ways(ctnic_model_csr_read(tb.model(), CTNIC_REG_CAP_WAYS)), used(2 * buckets * ways),
      entry(2 * buckets * ways)
{
}

long Table::place(const ctnic_key &k, std::mt19937_64 &rng)
{
	uint32_t h = ctnic_key_hash(&k);
	std::vector<uint32_t> free;

	for (unsigned sub = 0; sub < 2; sub++)
		for (unsigned w = 0; w < ways; w++) {
			uint32_t s = ctnic_slot(sub, ctnic_bucket(h, sub, buckets), w, buckets, ways);
			if (!used[s])
				free.push_back(s);
		}
	if (free.empty())
		return -1;
	return free[rng() % free.size()];
}

bool Table::insert(const ctnic_key_entry &e, std::mt19937_64 &rng, unsigned max_moves)
{
	std::vector<std::pair<uint32_t, ctnic_key_entry>> undo;
	ctnic_key_entry cur = e;

	for (unsigned n = 0; n <= max_moves; n++) {
		long s = place(cur.key, rng);
		if (s >= 0) {
			used[s] = true;
			entry[s] = cur;
			return true;
		}
		/* both buckets full: take a random way of either, and re-place its entry */
		uint32_t h = ctnic_key_hash(&cur.key);
		unsigned sub = rng() & 1;
		uint32_t v = ctnic_slot(sub, ctnic_bucket(h, sub, buckets), rng() % ways, buckets, ways);
		undo.emplace_back(v, entry[v]);
		std::swap(cur, entry[v]);
	}
	for (auto it = undo.rbegin(); it != undo.rend(); ++it)
		entry[it->first] = it->second;
	return false;
}

unsigned Table::filled() const
{
	unsigned n = 0;

	for (bool u : used)
		n += u;
	return n;
}

void Table::write_all(Tb &tb)
{
	for (uint32_t s = 0; s < used.size(); s++)
		if (used[s])
			tb.key_write(s, entry[s]);
}

bool install(Tb &tb, Table &t, Conn &c, uint8_t tclass)
{
	ctnic_flow f{};
	long s[2];

	f.dir[0] = c.out[0];
	f.dir[1] = c.out[1];
	f.valid = true;
	f.tclass = tclass;
	f.generation = (uint16_t)c.fid;
	s[0] = t.place(c.key[0], tb.rng());
	if (s[0] < 0)
		return false;
	t.used[s[0]] = true;
	s[1] = t.place(c.key[1], tb.rng());
	if (s[1] < 0) {
		t.used[s[0]] = false;
		return false;
	}
	t.used[s[1]] = true;
	tb.flow_write(c.fid, f);
	for (int d = 0; d < 2; d++) {
		ctnic_key_entry e{true, d == 1, c.fid, c.key[d]};
		t.entry[s[d]] = e;
		tb.key_write((uint32_t)s[d], e);
	}
	return true;
}

ctnic_nexthop nexthop(uint8_t port, bool macs, uint8_t tag)
{
	ctnic_nexthop n{};

	n.valid = true;
	n.rewrite_macs = macs;
	n.port = port;
	for (int i = 0; i < 6; i++) {
		n.dst_mac[i] = (uint8_t)(0x02 + tag + i);
		n.src_mac[i] = (uint8_t)(0x52 + tag + i);
	}
	return n;
}

PktSpec spec_of(const Conn &c, int d)
{
	PktSpec s;

	s.proto = c.key[d].proto;
	s.saddr = c.key[d].saddr;
	s.daddr = c.key[d].daddr;
	s.sport = c.key[d].sport;
	s.dport = c.key[d].dport;
	s.icmp_type = d ? 0 : 8;
	return s;
}
