/*
 * exc.c - every packet the card hands to the daemon (docs/daemon.md
 * "Exception handling"): new connections, TCP state moves, ICMP errors,
 * TTL expiry, ARP, late packets. A packet covered by a NAT rule never
 * leaves untranslated: it is translated (a live or lingering binding),
 * dropped, or answered with a RST; every outcome is counted.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "aging.h"
#include "core.h"
#include "install.h"
#include "ctnic_model.h"
#include "pkt.h"
#include "route.h"

const uint8_t ctnicd_host_mac[6] = { 0x02, 0xc7, 0xc1, 0x00, 0x00, 0xff };

/* How many records a full table searches for one to evict. */
#define EARLY_DROP_BUDGET 256u

static const char *port_name(const struct ctnicd_core *c, unsigned port)
{
	return port < CTNIC_CONF_PORTS && c->conf->ports[port].set ? c->conf->ports[port].name : NULL;
}

static void ip_packet(struct ctnicd_core *c, unsigned in_port, uint8_t *f, size_t len,
		      const struct ctnicd_pkt *p);

/* ---- sending ------------------------------------------------------------------- */

static void time_exceeded(struct ctnicd_core *c, unsigned in_port, const uint8_t *f, const struct ctnicd_pkt *p)
{
	uint8_t out[160];

	c->st.drop_ttl++;
	/* Never about an ICMP error, nor for the host stack's own packets. */
	if (in_port >= CTNIC_CONF_PORTS || !c->conf->ports[in_port].set ||
	    (p->proto == 1 && p->icmp_type != 0 && p->icmp_type != 8))
		return;
	ctnicd_send(c, in_port, out, ctnicd_build_time_exceeded(out, f, p, c->conf->ports[in_port].addr,
								c->port_mac[in_port]));
	c->st.time_exceeded++;
}

/* Next hop for daddr, counting the drop when there is none. */
static int next_hop(struct ctnicd_core *c, uint32_t daddr, struct ctnic_nexthop *nh)
{
	int rc = ctnicd_resolve(c, daddr, nh);

	if (rc == -1)
		c->st.no_route++;
	else if (rc == -2)
		c->st.no_neigh++;
	return rc;
}

/*
 * Sends f with the tuple `out` through the card's own rewrite: TTL (unless
 * for the host stack), MACs, checksums. false when it was dropped (counted).
 */
static bool forward(struct ctnicd_core *c, unsigned in_port, uint8_t *f, size_t len, const struct ctnicd_pkt *p,
		    const struct ctnic_key *out)
{
	struct ctnic_nexthop nh;
	struct ctnic_flow_dir d = { .saddr = out->saddr, .daddr = out->daddr, .sport = out->sport,
				    .dport = out->dport, .action = CTNIC_ACTION_FORWARD };

	if (next_hop(c, out->daddr, &nh) < 0)
		return false;
	/* Linux decrements TTL on forwarding only: not for the host stack, nor for its own packets. */
	d.ttl_dec = nh.port != CTNICD_HOST_PORT && in_port != CTNICD_HOST_PORT;
	if (d.ttl_dec && p->ttl <= 1) {
		time_exceeded(c, in_port, f, p);
		return false;
	}
	if (ctnic_model_rewrite(f, len, &d, &nh) < 0) {
		c->st.covered_unsupported++;
		return false;
	}
	ctnicd_send(c, nh.port, f, len);
	return true;
}

/* Forwards a packet no rule covers as Linux would: routed, TTL decremented, nothing translated. */
static void pass(struct ctnicd_core *c, unsigned in_port, uint8_t *f, size_t len, const struct ctnicd_pkt *p)
{
	struct ctnic_nexthop nh;
	uint16_t o, n;
	uint8_t *ip = f + p->l3;

	if (next_hop(c, p->key.daddr, &nh) < 0)
		return;
	if (nh.port != CTNICD_HOST_PORT && in_port != CTNICD_HOST_PORT) {
		if (p->ttl <= 1) {
			time_exceeded(c, in_port, f, p);
			return;
		}
		o = (uint16_t)(ip[8] << 8 | ip[9]);
		n = (uint16_t)(o - 0x100u);
		ip[8]--;
		o = ctnic_model_csum_update((uint16_t)(ip[10] << 8 | ip[11]), &o, &n, 1);
		ip[10] = (uint8_t)(o >> 8);
		ip[11] = (uint8_t)o;
	}
	if (nh.rewrite_macs) {
		memcpy(f, nh.dst_mac, 6);
		memcpy(f + 6, nh.src_mac, 6);
	}
	c->st.passed++;
	ctnicd_send(c, nh.port, f, len);
}

/* ---- the card's flow record of a connection ------------------------------------ */

static struct ctnic_key ref_key(struct ctnicd_core *c, uint32_t ref)
{
	return ctnicd_conns_key(&c->conns, CTNICD_REF_ID(ref), (enum ctnic_dir)CTNICD_REF_DIR(ref));
}

/* Both keys of connection id: [0] original, [1] reply (the reply is a tuple-set lookup: once). */
static void conn_keys(const struct ctnicd_core *c, uint32_t id, struct ctnic_key k[2])
{
	k[0] = c->conns.c[id].orig;
	k[1] = ctnicd_conns_key(&c->conns, id, CTNIC_DIR_REPLY);
}

/* The record of connection id with keys k: each direction leaves as the other's key turned around. */
static void record_of(const struct ctnicd_core *c, uint32_t id, const struct ctnic_key k[2], struct ctnic_flow *f)
{
	const struct ctnicd_conn *cn = &c->conns.c[id];

	memset(f, 0, sizeof(*f));
	f->valid = true;
	f->tclass = ctnicd_aging_card_class(cn);
	f->generation = cn->gen;
	f->last_seen = cn->last_seen;
	for (int d = 0; d < 2; d++) {
		struct ctnic_key out = ctnic_tuple_invert(&k[!d]);
		bool local = cn->flags & (d ? CTNICD_CONN_LOCAL1 : CTNICD_CONN_LOCAL0);

		f->dir[d] = (struct ctnic_flow_dir){
			.saddr = out.saddr, .daddr = out.daddr, .sport = out.sport, .dport = out.dport,
			.action = local || (cn->flags & CTNICD_CONN_TO_HOST) || (d && ctnicd_conn_awaits_reply(cn))
					  ? CTNIC_ACTION_HOST
					  : CTNIC_ACTION_FORWARD,
			.ttl_dec = !(cn->xflags & CTNICD_CONNX_TTL_KEEP), .nexthop = cn->nh[d],
		};
	}
}

void ctnicd_flow_record(const struct ctnicd_core *c, uint32_t id, struct ctnic_flow *f)
{
	struct ctnic_key k[2];

	conn_keys(c, id, k);
	record_of(c, id, k, f);
}

/* Both keys placed (cuckoo moves posted first), then one FLOW_INSTALL. */
static void install(struct ctnicd_core *c, uint32_t id, const struct ctnic_nexthop nh[2], const struct ctnic_key k[2])
{
	struct ctnicd_conn *cn = &c->conns.c[id];
	struct ctnic_cmd cmd = { .op = CTNIC_CMD_OP_FLOW_INSTALL, .index = id, .tag = id };
	struct ctnic_key_entry ke[2];
	struct ctnic_flow f;

	for (int d = 0; d < 2; d++) {
		if (nh[d].port == CTNICD_HOST_PORT) {
			cn->flags |= d ? CTNICD_CONN_LOCAL1 : CTNICD_CONN_LOCAL0;
			cn->nh[d] = 0;
		} else if (ctnicd_nexthop_index(c, &nh[d], &cn->nh[d]) < 0) {
			c->st.install_no_slot++;
			return;
		}
	}
	for (int d = 0; d < 2; d++) {
		struct ctnicd_move mv[CTNICD_PLACE_DEPTH];
		unsigned n = 0;

		ke[d] = (struct ctnic_key_entry){ .valid = true, .reply = d == 1, .flow_id = id, .key = k[d] };
		if (ctnicd_place_add(&c->place, &ke[d].key, CTNICD_REF(id, d), mv, &n, &cn->slot[d]) < 0) {
			if (d == 1) {
				ctnicd_place_del(&c->place, cn->slot[0]);
				cn->slot[0] = UINT32_MAX;
			}
			c->st.install_no_slot++;
			return;
		}
		for (unsigned i = 0; i < n; i++) {
			uint32_t mid = CTNICD_REF_ID(mv[i].ref), md = CTNICD_REF_DIR(mv[i].ref);
			struct ctnic_cmd del = { .op = CTNIC_CMD_OP_KEY_DELETE, .index = mv[i].from, .tag = mid };
			struct ctnic_cmd wr = { .op = CTNIC_CMD_OP_KEY_WRITE, .index = mv[i].to, .tag = mid };
			struct ctnic_key_entry e = { .valid = true, .reply = md == 1, .flow_id = mid,
						     .key = ref_key(c, mv[i].ref) };

			ctnic_key_entry_pack(&e, wr.data);
			if (mid == id && md == 0)
				cn->slot[0] = mv[i].to; /* our own first key moved for the second */
			else
				c->conns.c[mid].slot[md] = mv[i].to;
			/* Delete, then write: the card never holds the key twice. */
			ctnicd_post(c, &del);
			ctnicd_post(c, &wr);
		}
		c->st.cuckoo_moves += n;
	}
	record_of(c, id, k, &f);
	ctnic_flow_pack(&f, cmd.data);
	cmd.index2 = cn->slot[0];
	cmd.index3 = cn->slot[1];
	ctnic_key_entry_pack(&ke[0], cmd.key0);
	ctnic_key_entry_pack(&ke[1], cmd.key1);
	if (ctnicd_post(c, &cmd) < 0) {
		for (int d = 0; d < 2; d++) {
			ctnicd_place_del(&c->place, cn->slot[d]);
			cn->slot[d] = UINT32_MAX;
		}
		return;
	}
	cn->flags |= CTNICD_CONN_IN_CARD;
	c->st.installs++;
}

/*
 * Into the card when both directions have a next hop (the host stack for
 * our own addresses); until then the daemon forwards the connection's
 * packets itself, and tries again with the next one.
 */
static void try_install(struct ctnicd_core *c, uint32_t id)
{
	struct ctnic_nexthop nh[2];
	struct ctnic_key k[2];

	conn_keys(c, id, k);
	for (int d = 0; d < 2; d++) {
		struct ctnic_key out = ctnic_tuple_invert(&k[!d]);

		if (ctnicd_resolve(c, out.daddr, &nh[d]) < 0)
			return;
	}
	install(c, id, nh, k);
}

/*
 * A state, class or action change: the card's record is read (its
 * counters and last-seen are the card's), changed, and written back.
 */
static void update(struct ctnicd_core *c, uint32_t id)
{
	struct ctnicd_conn *cn = &c->conns.c[id];
	struct ctnic_cmd cmd = { .op = CTNIC_CMD_OP_FLOW_WRITE, .index = id, .tag = id };
	struct ctnic_flow now, want;

	if (!(cn->flags & CTNICD_CONN_IN_CARD))
		return;
	ctnicd_core_commit(c);
	if (ctnic_flow_read(c->dev, id, &now) < 0 || !now.valid || now.generation != cn->gen)
		return;
	ctnicd_flow_record(c, id, &want);
	want.last_seen = now.last_seen;
	memcpy(want.pkts, now.pkts, sizeof(want.pkts));
	memcpy(want.bytes, now.bytes, sizeof(want.bytes));
	ctnic_flow_pack(&want, cmd.data);
	if (ctnicd_post(c, &cmd) == 0)
		c->st.updates++;
}

/* ---- connections ---------------------------------------------------------------- */

static bool may_create(struct ctnicd_core *c, const struct ctnicd_pkt *p, const char *in_if)
{
	bool proto_ok;

	switch (p->proto) {
	case 6: proto_ok = ctnic_tcp_may_create(&c->conf->ct, p->tcp_flags); break;
	case 17: proto_ok = true; break;
	case 1: proto_ok = ctnic_icmp_may_create(p->icmp_type) && p->icmp_type == 8; break;
	default: proto_ok = false; break;
	}
	return proto_ok && !ctnic_late_blocks_create(&c->late, &p->key, in_if, p->tcp_flags, c->now);
}

/* The first packet's tracking: state, class, flags. */
static void track_first(struct ctnicd_core *c, struct ctnicd_conn *cn, uint8_t flags)
{
	struct ctnic_ct_result r;

	if (cn->orig.proto == 6) {
		ctnic_tcp_track_init(&cn->tcp);
		ctnic_tcp_packet(&c->conf->ct, &cn->tcp, CTNIC_DIR_ORIGINAL, flags, &r);
		cn->tclass = (uint8_t)r.tclass;
		if (ctnic_tcp_needs_acks((enum ctnic_tcp_state)cn->tcp.state))
			cn->flags |= CTNICD_CONN_TO_HOST;
	} else {
		cn->tclass = (uint8_t)ctnic_proto_tclass(cn->orig.proto);
	}
	cn->last_seen = (uint32_t)c->now;
}

static void create(struct ctnicd_core *c, unsigned in_port, uint8_t *f, size_t len, const struct ctnicd_pkt *p)
{
	const bool from_host = in_port == CTNICD_HOST_PORT;
	struct ctnic_nat_pkt np = { .k = p->key, .in_if = from_host ? NULL : port_name(c, in_port) };
	struct ctnic_nat_action dn, sn;
	const struct ctnic_nat_range *dr = NULL, *sr = NULL;
	struct ctnic_nexthop nh0;
	struct ctnic_key reply, out0;
	uint32_t id;
	char err[256];
	int rc;

	if (ctnic_nat_eval(c->conf->nat, from_host ? CTNIC_HOOK_OUTPUT : CTNIC_HOOK_PREROUTING, &np, &c->env, &dn,
			   err, sizeof(err)) < 0) {
		c->st.conn_no_binding++;
		snprintf(c->err, sizeof(c->err), "NAT: %s", err);
		return;
	}
	if (dn.manip == CTNIC_NAT_MANIP_DST) {
		dr = &dn.range;
		np.k.daddr = dn.range.min_addr;
	}
	if (next_hop(c, np.k.daddr, &nh0) < 0)
		return;
	np.in_if = NULL;
	np.out_if = nh0.port == CTNICD_HOST_PORT ? NULL : port_name(c, nh0.port);
	if (ctnic_nat_eval(c->conf->nat, nh0.port == CTNICD_HOST_PORT ? CTNIC_HOOK_INPUT : CTNIC_HOOK_POSTROUTING,
			   &np, &c->env, &sn, err, sizeof(err)) < 0) {
		c->st.conn_no_binding++;
		snprintf(c->err, sizeof(c->err), "NAT: %s", err);
		return;
	}
	if (sn.manip == CTNIC_NAT_MANIP_SRC)
		sr = &sn.range;
	/* A packet that dies here makes no connection (Linux drops it before confirming one). */
	if (nh0.port != CTNICD_HOST_PORT && !from_host && p->ttl <= 1) {
		time_exceeded(c, in_port, f, p);
		return;
	}
	while ((rc = ctnicd_conns_add(&c->conns, &p->key, dr, sr, &id, &reply, err, sizeof(err))) == -ENOSPC) {
		uint32_t victim = ctnicd_conns_early_drop(&c->conns, EARLY_DROP_BUDGET);

		if (victim == UINT32_MAX) {
			c->st.conn_full_drop++;
			return;
		}
		ctnicd_conn_end(c, victim, c->conns.c[victim].gen, false, true, CTNICD_END_EARLY_DROP);
		c->st.conn_early_drop++;
	}
	if (rc < 0) {
		c->st.conn_no_binding++;
		snprintf(c->err, sizeof(c->err), "new connection: %s", err);
		return;
	}
	c->st.conn_new++;
	ctnic_linger_forget(c->linger, &p->key);
	track_first(c, &c->conns.c[id], p->tcp_flags);
	try_install(c, id);
	ctnicd_conn_event(c, id, CTNICD_EV_NEW, 0);
	out0 = ctnic_tuple_invert(&reply);
	forward(c, in_port, f, len, p, &out0);
}

/* A packet of live connection id, direction dir. */
static void known(struct ctnicd_core *c, uint32_t id, enum ctnic_dir dir, unsigned in_port, uint8_t *f,
		  size_t len, const struct ctnicd_pkt *p)
{
	struct ctnicd_conn *cn = &c->conns.c[id];
	uint8_t old_class = cn->tclass, old_flags = cn->flags;
	struct ctnic_ct_result r = { .verdict = CTNIC_CT_ACCEPT, .refresh = true };
	struct ctnic_key out;

	if (p->proto == 6) {
		ctnic_tcp_packet(&c->conf->ct, &cn->tcp, dir, p->tcp_flags, &r);
		if (r.verdict == CTNIC_CT_REOPEN) {
			/* A SYN reopening a closed connection: the old one ends, the SYN makes a new one. */
			ctnicd_conn_end(c, id, cn->gen, false, false, CTNICD_END_REOPEN);
			ip_packet(c, in_port, f, len, p);
			return;
		}
		if (r.verdict == CTNIC_CT_ACCEPT || r.verdict == CTNIC_CT_KILL) {
			cn->tclass = (uint8_t)r.tclass;
			if (ctnic_tcp_needs_acks((enum ctnic_tcp_state)cn->tcp.state))
				cn->flags |= CTNICD_CONN_TO_HOST;
			else
				cn->flags &= (uint8_t)~CTNICD_CONN_TO_HOST;
			if (cn->tcp.flags & CTNIC_TCPF_ASSURED)
				cn->flags |= CTNICD_CONN_ASSURED;
		}
		if (r.verdict == CTNIC_CT_INVALID)
			c->st.fwd_invalid++;
	} else if (p->proto == 17) {
		struct ctnic_udp_track u = { .seen_reply = (cn->flags & CTNICD_CONN_REPLIED) != 0 };

		/*
		 * The card punts an unreplied flow's reply direction (record_of), so the
		 * first answer is seen here: the flow becomes a stream, and the record is
		 * rewritten (update) with the stream class and both directions forwarded.
		 * Later packets the card forwards, so the stream is assured at once, as a
		 * flow read back from the card with the stream class is (readback.c).
		 */
		cn->tclass = (uint8_t)ctnic_udp_packet(&u, dir);
		if (dir == CTNIC_DIR_REPLY)
			cn->flags |= CTNICD_CONN_REPLIED | CTNICD_CONN_ASSURED;
		else if (cn->flags & CTNICD_CONN_REPLIED)
			cn->flags |= CTNICD_CONN_ASSURED;
	} else if (dir == CTNIC_DIR_REPLY) {
		cn->flags |= CTNICD_CONN_REPLIED;
	}
	if (r.refresh && (r.verdict == CTNIC_CT_ACCEPT || r.verdict == CTNIC_CT_KILL))
		cn->last_seen = (uint32_t)c->now;
	if (p->proto == 6 && r.verdict == CTNIC_CT_ACCEPT && r.new_state != r.old_state)
		ctnicd_conn_event(c, id, CTNICD_EV_UPDATE, 0);
	if (cn->tclass != old_class || ((cn->flags ^ old_flags) & CTNICD_CONN_TO_HOST))
		update(c, id);
	/* Kept in software so far (no next hop, or no slot): the card may take it now. */
	if (!(cn->flags & CTNICD_CONN_IN_CARD) && r.verdict != CTNIC_CT_KILL &&
	    c->place.used < c->place.nslots - c->place.nslots / 8)
		try_install(c, id);
	{
		struct ctnic_key other = ctnicd_conns_key(&c->conns, id, (enum ctnic_dir)!dir);

		out = ctnic_tuple_invert(&other);
	}
	if (forward(c, in_port, f, len, p, &out))
		c->st.fwd++;
	if (r.verdict == CTNIC_CT_KILL)
		ctnicd_conn_end(c, id, cn->gen, false, true, CTNICD_END_RST);
}

/* No connection, and this packet may not make one. */
static void late(struct ctnicd_core *c, unsigned in_port, uint8_t *f, size_t len, const struct ctnicd_pkt *p,
		 const char *in_if)
{
	struct ctnic_key out;
	uint8_t rst[80];

	switch (ctnic_late_decide(&c->late, &p->key, in_if, p->proto == 6 ? p->tcp_flags : 0, c->now, &out, NULL)) {
	case CTNIC_LATE_ACT_TRANSLATE:
		forward(c, in_port, f, len, p, &out);
		break;
	case CTNIC_LATE_ACT_PASS:
		pass(c, in_port, f, len, p);
		break;
	case CTNIC_LATE_ACT_RST:
		ctnicd_send(c, in_port, rst,
			    ctnicd_build_rst(rst, f, p, in_port < CTNIC_CONF_PORTS ? c->port_mac[in_port] : f));
		break;
	default:
		break; /* dropped, counted in c->late */
	}
}

static void ip_packet(struct ctnicd_core *c, unsigned in_port, uint8_t *f, size_t len, const struct ctnicd_pkt *p)
{
	const char *in_if = in_port == CTNICD_HOST_PORT ? NULL : port_name(c, in_port);
	enum ctnic_dir dir;
	uint32_t id;

	if (ctnicd_conns_find(&c->conns, &p->key, &id, &dir))
		known(c, id, dir, in_port, f, len, p);
	else if (may_create(c, p, in_if))
		create(c, in_port, f, len, p);
	else
		late(c, in_port, f, len, p, in_if);
}

/* An ICMP error: translated with its quote when it is about a live connection. */
/*
 * The connection an ICMP error is about, live or lingering: *kd the key of
 * the direction the error travels, *ko the other one (the quote must read
 * as ko after translation: the quoted packet as it arrived here).
 */
static bool icmp_conn(struct ctnicd_core *c, const struct ctnic_key *inner, struct ctnic_key *kd,
		      struct ctnic_key *ko)
{
	struct ctnic_linger_entry le;
	struct ctnic_key back;
	enum ctnic_dir dir;
	uint32_t id;

	if (ctnic_tuples_icmp_inner(c->conns.tu, inner, &id, &dir, NULL)) {
		*kd = ctnicd_conns_key(&c->conns, id, dir);
		*ko = ctnicd_conns_key(&c->conns, id, (enum ctnic_dir)!dir);
		return true;
	}
	/* Ended lately: the quote left as the other direction's translation, so turned around it is a key. */
	back = ctnic_tuple_invert(inner);
	if (!ctnic_linger_lookup(c->linger, &back, c->now, &le, &dir))
		return false;
	*kd = dir == CTNIC_DIR_ORIGINAL ? le.orig : le.reply;
	*ko = dir == CTNIC_DIR_ORIGINAL ? le.reply : le.orig;
	return true;
}

/* An ICMP error: translated with its quote when it is about a live or lingering connection. */
static void icmp_error(struct ctnicd_core *c, unsigned in_port, uint8_t *f, size_t len, const struct ctnicd_pkt *p)
{
	const char *in_if = in_port == CTNICD_HOST_PORT ? NULL : port_name(c, in_port);
	struct ctnic_key inner, kd, ko, t;
	struct ctnic_nexthop nh;
	uint32_t osrc;

	if (ctnicd_icmp_inner(f, p, &inner) < 0 || !icmp_conn(c, &inner, &kd, &ko)) {
		/*
		 * About nothing known: dropped if a rule covers the error, the quoted
		 * packet, or the quote turned around (the direction the error travels:
		 * a DNAT target's error about an ended connection).
		 */
		struct ctnic_key back;

		if (ctnic_nat_covers(c->conf->nat, &p->key, in_if, &c->env, NULL) != CTNIC_NAT_COVER_NONE ||
		    ctnicd_icmp_inner(f, p, &inner) < 0 ||
		    ctnic_nat_covers(c->conf->nat, &inner, NULL, &c->env, NULL) != CTNIC_NAT_COVER_NONE ||
		    (back = ctnic_tuple_invert(&inner),
		     ctnic_nat_covers(c->conf->nat, &back, in_if, &c->env, NULL) != CTNIC_NAT_COVER_NONE)) {
			c->st.icmp_err_dropped++;
			return;
		}
		c->st.icmp_err_passed++;
		pass(c, in_port, f, len, p);
		return;
	}
	t = ctnic_tuple_invert(&ko);
	/* The endpoint's own error takes its translated address; a router's keeps its own. */
	osrc = p->key.saddr == kd.saddr ? t.saddr : p->key.saddr;
	if (next_hop(c, t.daddr, &nh) < 0)
		return;
	if (nh.port != CTNICD_HOST_PORT && p->ttl <= 1) {
		c->st.drop_ttl++;
		return;
	}
	if (ctnicd_icmp_translate(f, p, osrc, t.daddr, &ko, nh.port != CTNICD_HOST_PORT) < 0) {
		c->st.icmp_err_dropped++;
		return;
	}
	if (nh.rewrite_macs) {
		memcpy(f, nh.dst_mac, 6);
		memcpy(f + 6, nh.src_mac, 6);
	}
	c->st.icmp_err_translated++;
	ctnicd_send(c, nh.port, f, len);
}

static void arp(struct ctnicd_core *c, unsigned in_port, const uint8_t *f, size_t len)
{
	uint8_t sha[6], out[64];
	uint32_t spa, tpa;
	uint16_t op;
	const struct ctnic_conf_port *cp = in_port < CTNIC_CONF_PORTS ? &c->conf->ports[in_port] : NULL;

	/* The host stack reaches everything through us: proxy ARP answers it for any address but its own. */
	if (in_port == CTNICD_HOST_PORT && ctnicd_arp_parse(f, len, &op, sha, &spa, &tpa) == 0 && op == 1 &&
	    tpa != spa) {
		ctnicd_send(c, in_port, out, ctnicd_build_arp(out, 2, ctnicd_host_mac, tpa, sha, spa, sha));
		c->st.arp_replies++;
		return;
	}
	if (!cp || !cp->set || ctnicd_arp_parse(f, len, &op, sha, &spa, &tpa) < 0) {
		c->st.arp_dropped++;
		return;
	}
	/* Senders on the port's subnet are neighbours (RFC 826's merge). */
	if (cp->plen && ((spa ^ cp->addr) >> (32 - cp->plen)) == 0 && spa != cp->addr)
		ctnicd_neigh_learn(c, in_port, spa, sha);
	if (op == 1 && tpa == cp->addr) {
		ctnicd_send(c, in_port, out, ctnicd_build_arp(out, 2, c->port_mac[in_port], cp->addr, sha, spa, sha));
		c->st.arp_replies++;
	}
}

/* Advances the daemon's clock to a 32-bit device tick seen after it. */
static void clock_at(struct ctnicd_core *c, uint32_t tick)
{
	uint32_t d = tick - (uint32_t)c->now;

	if (d < 0x80000000u)
		c->now += d;
}

static void handle(struct ctnicd_core *c, unsigned in_port, unsigned reason, const uint8_t *frame, size_t len)
{
	uint8_t f[CTNICD_FRAME_MAX];
	struct ctnicd_pkt p;

	if (len > sizeof(f) || ctnicd_pkt_parse(frame, len, &p) < 0) {
		c->st.punt_bad++;
		return;
	}
	memcpy(f, frame, len);
	if (p.ethertype != CTNICD_ETH_IPV4) {
		if (p.ethertype == CTNICD_ETH_ARP)
			arp(c, in_port, f, len);
		else
			c->st.non_ipv4_dropped++;
		return;
	}
	switch (reason) {
	case CTNIC_PUNT_ICMP_ERROR:
		icmp_error(c, in_port, f, len, &p);
		return;
	case CTNIC_PUNT_IP_OPTIONS:
	case CTNIC_PUNT_FRAGMENT:
	case CTNIC_PUNT_L4_OTHER:
		if (ctnic_nat_covers(c->conf->nat, &p.key, in_port == CTNICD_HOST_PORT ? NULL : port_name(c, in_port),
				     &c->env, NULL) != CTNIC_NAT_COVER_NONE)
			c->st.covered_unsupported++;
		else
			pass(c, in_port, f, len, &p);
		return;
	default:
		ip_packet(c, in_port, f, len, &p);
	}
}

void ctnicd_core_punt(struct ctnicd_core *c, const struct ctnic_punt_desc *d, const uint8_t *frame, size_t len)
{
	unsigned in_port = d->port < c->info.ports ? d->port : CTNICD_HOST_PORT;

	c->st.punt[d->reason & 15u]++;
	clock_at(c, d->tick);
	handle(c, in_port, d->reason, frame, len);
}

void ctnicd_core_host_rx(struct ctnicd_core *c, const uint8_t *frame, size_t len)
{
	struct ctnicd_pkt p;
	unsigned reason = CTNIC_PUNT_MISS;

	c->st.host_rx++;
	ctnicd_core_clock(c);
	/* The reason the card would have given it. */
	if (ctnicd_pkt_parse(frame, len, &p) == 0 && p.ethertype == CTNICD_ETH_IPV4) {
		if (p.frag)
			reason = CTNIC_PUNT_FRAGMENT;
		else if ((frame[p.l3] & 15u) > 5)
			reason = CTNIC_PUNT_IP_OPTIONS;
		else if (p.proto == 1 && p.icmp_type != 0 && p.icmp_type != 8)
			reason = (p.icmp_type == 3 || p.icmp_type == 4 || p.icmp_type == 5 || p.icmp_type == 11 ||
				  p.icmp_type == 12) ? CTNIC_PUNT_ICMP_ERROR : CTNIC_PUNT_L4_OTHER;
		else if (p.proto != 1 && p.proto != 6 && p.proto != 17)
			reason = CTNIC_PUNT_L4_OTHER;
	}
	handle(c, CTNICD_HOST_PORT, reason, frame, len);
	ctnicd_core_commit(c);
	ctnicd_core_flush(c);
}

int ctnicd_core_punts(struct ctnicd_core *c)
{
	struct ctnic_ring *punt = c->ring[CTNIC_RING_ID_PUNT];
	struct ctnic_punt_frame pf;
	int rc;

	ctnic_irq_ack(c->dev, CTNIC_RING_ID_PUNT);
	while ((rc = ctnic_punt_poll(punt, &pf)) == 1)
		ctnicd_core_punt(c, &pf.desc, pf.frame, pf.len);
	if (rc < 0) {
		c->st.punt_bad++;
		snprintf(c->err, sizeof(c->err), "punt ring: %s", ctnic_last_error(c->dev));
	}
	ctnic_ring_release(punt);
	ctnicd_core_commit(c);
	ctnicd_core_flush(c);
	return rc < 0 ? rc : 0;
}

int ctnicd_core_static(struct ctnicd_core *c, const struct ctnicd_flow_spec *spec, uint32_t *id,
		       char *err, size_t errlen)
{
	struct ctnic_nat_range dr = { 0 }, sr = { 0 };
	struct ctnic_nexthop nh[2] = { spec->nh[0], spec->nh[1] };
	struct ctnicd_conn *cn;
	struct ctnic_key reply;
	int rc;

	for (int d = 0; d < 2; d++)
		if (nh[d].port >= c->info.ports) {
			snprintf(err, errlen, "%s port %u does not exist: this card has ports 0..%u",
				 d ? "reply-out" : "out", nh[d].port, c->info.ports - 1);
			return -1;
		}
	dr = (struct ctnic_nat_range){ .min_addr = spec->dnat_addr, .max_addr = spec->dnat_addr, .map_ips = true,
				       .min_port = spec->dnat_to, .max_port = spec->dnat_to, .map_ports = spec->dnat_port };
	sr = (struct ctnic_nat_range){ .min_addr = spec->snat_addr, .max_addr = spec->snat_addr, .map_ips = true,
				       .min_port = spec->snat_to, .max_port = spec->snat_to, .map_ports = spec->snat_port };
	rc = ctnicd_conns_add(&c->conns, &spec->orig, spec->dnat ? &dr : NULL, spec->snat ? &sr : NULL, id, &reply,
			      err, errlen);
	if (rc < 0)
		return -1;
	cn = &c->conns.c[*id];
	cn->flags |= CTNICD_CONN_STATIC | CTNICD_CONN_ASSURED | CTNICD_CONN_REPLIED;
	cn->tclass = spec->tclass;
	if (!spec->ttl_dec)
		cn->xflags |= CTNICD_CONNX_TTL_KEEP;
	cn->tcp.state = CTNIC_TCP_ESTABLISHED;
	cn->last_seen = (uint32_t)c->now;
	{
		struct ctnic_key k[2] = { spec->orig, reply };

		install(c, *id, nh, k);
	}
	ctnicd_core_commit(c);
	if (!(cn->flags & CTNICD_CONN_IN_CARD)) {
		snprintf(err, errlen, "no room in the card for it (key buckets or next hops full)%s%s",
			 c->err[0] ? ": " : "", c->err);
		ctnicd_conns_del(&c->conns, *id);
		return -1;
	}
	return 0;
}
