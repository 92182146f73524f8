/*
 * conntrack.c - the TCP state machine as Linux's tcp_conntracks table, the
 * UDP tracker, and the timeout classes (ctnic_conntrack.h).
 *
 * The table and the reasoning next to each odd cell follow
 * net/netfilter/nf_conntrack_proto_tcp.c, which is the reference: a reader
 * can check this file against it row by row. What ctnic leaves out (the
 * sequence-number window) is said where it matters and in docs/conntrack.md.
 */
#include <string.h>

#include "ct/ct_util.h"
#include "ct/ctnic_conntrack.h"

#define sNO CTNIC_TCP_NONE
#define sSS CTNIC_TCP_SYN_SENT
#define sSR CTNIC_TCP_SYN_RECV
#define sES CTNIC_TCP_ESTABLISHED
#define sFW CTNIC_TCP_FIN_WAIT
#define sCW CTNIC_TCP_CLOSE_WAIT
#define sLA CTNIC_TCP_LAST_ACK
#define sTW CTNIC_TCP_TIME_WAIT
#define sCL CTNIC_TCP_CLOSE
#define sS2 CTNIC_TCP_SYN_SENT2
#define sIV CTNIC_TCP_INVALID
#define sIG CTNIC_TCP_IGNORE

/*
 * We are the man in the middle: every packet passes us but may be lost
 * after us, and we guess the state of the current sender.
 *
 * IGNORE (sIG): the packet may be valid or invalid, and the receiver may
 * answer with a closing RST or a SYN-ACK that tells us which; forward it and
 * keep the state. INVALID (sIV): truly invalid for this connection.
 */
static const uint8_t tcp_conntracks[2][CTNIC_TCP_FLAG_CLASSES][CTNIC_TCP_STATES] = {
	{
/* ORIGINAL */
/*	     sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2 */
/*syn*/	   { sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2 },
/*
 *	sNO -> sSS	Initialize a new connection.
 *	sSS -> sSS	Retransmitted SYN.
 *	sS2 -> sS2	Late retransmitted SYN.
 *	sSR -> sIG
 *	sES -> sIG	A SYN in window outside SYN_SENT is an error: the
 *			receiver answers RST and closes; or we are out of
 *			sync and hold a dead connection.
 *	sFW, sCW, sLA -> sIG
 *	sTW -> sSS	Reopened connection (RFC 1122 4.2.2.13).
 *	sCL -> sSS
 */
/*	     sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2 */
/*synack*/ { sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR },
/*
 *	sNO -> sIV	Too late and no reason to do anything.
 *	sSS -> sIV	The client cannot send SYN and then SYN-ACK.
 *	sS2 -> sSR	SYN-ACK sent to SYN2 in simultaneous open.
 *	sSR -> sSR	Late retransmitted SYN-ACK in simultaneous open.
 *	sES..sCL -> sIV	Invalid SYN-ACK sent by the client.
 */
/*	     sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2 */
/*fin*/	   { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
/*
 *	sNO -> sIV	Too late and no reason to do anything: a FIN never
 *			creates a connection (the root of design.md's leak).
 *	sSS -> sIV	The client may not send FIN here: we wait for the
 *			SYN-ACK first.
 *	sS2 -> sIV
 *	sSR -> sFW	Close started.
 *	sES -> sFW
 *	sFW -> sLA	FIN seen in both directions, waiting for the last ACK
 *			(or a retransmitted FIN).
 *	sCW -> sLA
 *	sLA -> sLA	Retransmitted FIN.
 *	sTW -> sTW
 *	sCL -> sCL
 */
/*	     sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2 */
/*ack*/	   { sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV },
/*
 *	sNO -> sES	Assumed: mid-stream pickup (only with tcp_loose).
 *	sSS -> sIV	No SYN-ACK seen yet.
 *	sS2 -> sIV
 *	sSR -> sES	Established.
 *	sES -> sES
 *	sFW -> sCW	Close request answered by ACK.
 *	sCW -> sCW
 *	sLA -> sTW	Last ACK (unless it is RFC 5961's challenge ACK).
 *	sTW -> sTW	Retransmitted last ACK.
 *	sCL -> sCL
 */
/*	     sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2 */
/*rst*/	   { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
/*none*/   { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
	},
	{
/* REPLY */
/*	     sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2 */
/*syn*/	   { sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2 },
/*
 *	sNO -> sIV	Never reached.
 *	sSS -> sS2	Simultaneous open.
 *	sS2 -> sS2	Retransmitted simultaneous SYN.
 *	sSR..sLA -> sIV	Invalid SYN sent by the server.
 *	sTW -> sSS	Reopened connection, the server may have switched role.
 *	sCL -> sIV
 */
/*	     sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2 */
/*synack*/ { sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR },
/*
 *	sSS -> sSR	Standard open.
 *	sS2 -> sSR	Simultaneous open.
 *	sSR -> sIG	Retransmitted SYN-ACK.
 *	sES -> sIG	Late retransmitted SYN-ACK?
 *	sFW..sCL -> sIG	May answer a SYN we ignored.
 */
/*	     sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2 */
/*fin*/	   { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
/*
 *	sSS -> sIV	The server may not send FIN here.
 *	sS2 -> sIV
 *	sSR -> sFW	Close started.
 *	sES -> sFW
 *	sFW -> sLA	FIN seen in both directions.
 *	sCW -> sLA	(design.md's story: the server closed, the client
 *			ACKed; this is the client's FIN while we still
 *			remember the connection.)
 *	sLA -> sLA	Retransmitted FIN.
 *	sTW -> sTW
 *	sCL -> sCL
 */
/*	     sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2 */
/*ack*/	   { sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG },
/*
 *	sSS -> sIG	Might be a half-open connection.
 *	sS2 -> sIG
 *	sSR -> sSR	Might answer a late resent SYN.
 *	sES -> sES
 *	sFW -> sCW	Close request answered by ACK.
 *	sCW -> sCW
 *	sLA -> sTW	Last ACK.
 *	sTW -> sTW	Retransmitted last ACK.
 *	sCL -> sCL
 */
/*	     sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2 */
/*rst*/	   { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
/*none*/   { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
	},
};

static const char *const state_names[CTNIC_TCP_STATES + 2] = {
	"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
	"CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
	"INVALID", "IGNORE",
};

static const char *const class_names[CTNIC_TCP_FLAG_CLASSES] = {
	"SYN", "SYN-ACK", "FIN", "ACK", "RST", "NONE",
};

const char *ctnic_tcp_state_name(unsigned state)
{
	return state < CTNIC_TCP_STATES + 2 ? state_names[state] : "?";
}

const char *ctnic_tcp_class_name(unsigned fclass)
{
	return fclass < CTNIC_TCP_FLAG_CLASSES ? class_names[fclass] : "?";
}

enum ctnic_tcp_flag_class ctnic_tcp_flag_class(uint8_t flags)
{
	if (flags & CTNIC_TH_RST)
		return CTNIC_TCP_RST_SET;
	if (flags & CTNIC_TH_SYN)
		return flags & CTNIC_TH_ACK ? CTNIC_TCP_SYNACK_SET : CTNIC_TCP_SYN_SET;
	if (flags & CTNIC_TH_FIN)
		return CTNIC_TCP_FIN_SET;
	if (flags & CTNIC_TH_ACK)
		return CTNIC_TCP_ACK_SET;
	return CTNIC_TCP_NONE_SET;
}

bool ctnic_tcp_flags_valid(uint8_t flags)
{
	/* Linux's tcp_valid_flags: PSH, ECE and CWR are always allowed. */
	uint8_t f = flags & (uint8_t)~(CTNIC_TH_PSH | CTNIC_TH_ECE | CTNIC_TH_CWR);

	switch (f) {
	case CTNIC_TH_SYN:
	case CTNIC_TH_SYN | CTNIC_TH_URG:
	case CTNIC_TH_SYN | CTNIC_TH_ACK:
	case CTNIC_TH_RST:
	case CTNIC_TH_RST | CTNIC_TH_ACK:
	case CTNIC_TH_FIN | CTNIC_TH_ACK:
	case CTNIC_TH_FIN | CTNIC_TH_ACK | CTNIC_TH_URG:
	case CTNIC_TH_ACK:
	case CTNIC_TH_ACK | CTNIC_TH_URG:
		return true;
	default:
		return false;
	}
}

unsigned ctnic_tcp_table(enum ctnic_dir dir, enum ctnic_tcp_flag_class fclass, unsigned state)
{
	if ((unsigned)dir > 1 || (unsigned)fclass >= CTNIC_TCP_FLAG_CLASSES ||
	    state >= CTNIC_TCP_STATES)
		return CTNIC_TCP_INVALID;
	return tcp_conntracks[dir][fclass][state];
}

/* Class index = TCP state - 1 for SYN_SENT..SYN_SENT2 (NONE has no timeout). */
static const struct {
	const char *sysctl;
	uint32_t def;
} tclass_info[CTNIC_TCLASSES] = {
	[CTNIC_TC_TCP_SYN_SENT]    = { "nf_conntrack_tcp_timeout_syn_sent", 120 },
	[CTNIC_TC_TCP_SYN_RECV]    = { "nf_conntrack_tcp_timeout_syn_recv", 60 },
	[CTNIC_TC_TCP_ESTABLISHED] = { "nf_conntrack_tcp_timeout_established", 432000 },
	[CTNIC_TC_TCP_FIN_WAIT]    = { "nf_conntrack_tcp_timeout_fin_wait", 120 },
	[CTNIC_TC_TCP_CLOSE_WAIT]  = { "nf_conntrack_tcp_timeout_close_wait", 60 },
	[CTNIC_TC_TCP_LAST_ACK]    = { "nf_conntrack_tcp_timeout_last_ack", 30 },
	[CTNIC_TC_TCP_TIME_WAIT]   = { "nf_conntrack_tcp_timeout_time_wait", 120 },
	[CTNIC_TC_TCP_CLOSE]       = { "nf_conntrack_tcp_timeout_close", 10 },
	/* Linux has no sysctl for SYN_SENT2 (tcp_timeouts[] fixes 2 minutes). */
	[CTNIC_TC_TCP_SYN_SENT2]   = { "nf_conntrack_tcp_timeout_syn_sent2", 120 },
	[CTNIC_TC_TCP_RETRANS]     = { "nf_conntrack_tcp_timeout_max_retrans", 300 },
	[CTNIC_TC_TCP_UNACK]       = { "nf_conntrack_tcp_timeout_unacknowledged", 300 },
	[CTNIC_TC_UDP]             = { "nf_conntrack_udp_timeout", 30 },
	[CTNIC_TC_UDP_STREAM]      = { "nf_conntrack_udp_timeout_stream", 120 },
	[CTNIC_TC_ICMP]            = { "nf_conntrack_icmp_timeout", 30 },
	[CTNIC_TC_GENERIC]         = { "nf_conntrack_generic_timeout", 600 },
};

void ctnic_ct_timeouts_default(struct ctnic_ct_timeouts *t)
{
	for (int i = 0; i < CTNIC_TCLASSES; i++)
		t->sec[i] = tclass_info[i].def;
}

void ctnic_ct_opts_default(struct ctnic_ct_opts *o)
{
	memset(o, 0, sizeof(*o));
	ctnic_ct_timeouts_default(&o->timeouts);
	o->tcp_loose = true;
}

const char *ctnic_tclass_sysctl(enum ctnic_tclass c)
{
	if ((unsigned)c >= CTNIC_TCLASSES)
		return NULL;
	return tclass_info[c].sysctl;
}

static const char *bare_sysctl(const char *name);

int ctnic_tclass_by_sysctl(const char *name)
{
	name = bare_sysctl(name);
	for (int i = 0; i < CTNIC_TCLASSES; i++)
		if (strcmp(name, tclass_info[i].sysctl) == 0)
			return i;
	return -1;
}

static const char *bare_sysctl(const char *name)
{
	static const char prefix[] = "net.netfilter.";

	return strncmp(name, prefix, sizeof(prefix) - 1) ? name : name + sizeof(prefix) - 1;
}

int ctnic_ct_opts_set(struct ctnic_ct_opts *o, const char *name, const char *value,
		      char *err, size_t errlen)
{
	int tc = ctnic_tclass_by_sysctl(name);
	uint32_t v;

	if (tc >= 0) {
		if (ctnic_ct_parse_u32(value, 1, 0x7fffffffu, &v))
			return ctnic_ct_errf(err, errlen, "%s = %s: a timeout is a whole number "
					     "of seconds, 1 or more", name, value);
		o->timeouts.sec[tc] = v;
		return 0;
	}
	if (!strcmp(bare_sysctl(name), "nf_conntrack_tcp_loose")) {
		if (ctnic_ct_parse_u32(value, 0, 1, &v))
			return ctnic_ct_errf(err, errlen, "%s = %s: must be 0 or 1", name, value);
		o->tcp_loose = v;
		return 0;
	}
	return ctnic_ct_errf(err, errlen, "%s: not a setting ctnic knows (timeouts "
			     "nf_conntrack_*_timeout*, nf_conntrack_tcp_loose)", name);
}

int ctnic_ct_opts_get(const struct ctnic_ct_opts *o, const char *name, uint32_t *value)
{
	int tc = ctnic_tclass_by_sysctl(name);

	if (tc >= 0)
		*value = o->timeouts.sec[tc];
	else if (!strcmp(bare_sysctl(name), "nf_conntrack_tcp_loose"))
		*value = o->tcp_loose;
	else
		return -1;
	return 0;
}

enum ctnic_tclass ctnic_tcp_state_tclass(enum ctnic_tcp_state s)
{
	if (s >= CTNIC_TCP_SYN_SENT && s <= CTNIC_TCP_SYN_SENT2)
		return (enum ctnic_tclass)(CTNIC_TC_TCP_SYN_SENT + (s - CTNIC_TCP_SYN_SENT));
	/* NONE is never aged: a tracker leaves it with its first packet. */
	return CTNIC_TC_TCP_CLOSE;
}

const char *ctnic_ct_verdict_name(enum ctnic_ct_verdict v)
{
	static const char *const n[] = { "ACCEPT", "IGNORE", "INVALID", "REOPEN", "KILL" };

	return (unsigned)v < sizeof(n) / sizeof(n[0]) ? n[v] : "?";
}

bool ctnic_tcp_may_create(const struct ctnic_ct_opts *o, uint8_t flags)
{
	unsigned next;

	if (!ctnic_tcp_flags_valid(flags))
		return false;
	next = tcp_conntracks[CTNIC_DIR_ORIGINAL][ctnic_tcp_flag_class(flags)][CTNIC_TCP_NONE];
	if (next == CTNIC_TCP_SYN_SENT)
		return true;
	/* Linux's tcp_new(): anything else valid is a mid-stream pickup. */
	return next < CTNIC_TCP_STATES && o->tcp_loose;
}

void ctnic_tcp_track_init(struct ctnic_tcp_track *t)
{
	memset(t, 0, sizeof(*t));
	t->state = CTNIC_TCP_NONE;
	t->last_index = CTNIC_TCP_NONE_SET;
}

static uint8_t close_init_bit(enum ctnic_dir dir)
{
	return dir == CTNIC_DIR_ORIGINAL ? CTNIC_TCPF_CLOSE_INIT_ORIG : CTNIC_TCPF_CLOSE_INIT_REPLY;
}

static void result(struct ctnic_ct_result *r, enum ctnic_ct_verdict v, unsigned old_state,
		   unsigned new_state, bool refresh)
{
	r->verdict = v;
	r->old_state = (uint8_t)old_state;
	r->new_state = (uint8_t)new_state;
	r->refresh = refresh;
	r->tclass = ctnic_tcp_state_tclass((enum ctnic_tcp_state)new_state);
}

void ctnic_tcp_packet(const struct ctnic_ct_opts *o, struct ctnic_tcp_track *t,
		      enum ctnic_dir dir, uint8_t flags, struct ctnic_ct_result *r)
{
	unsigned old_state = t->state, new_state, index;
	bool seen_reply = t->flags & CTNIC_TCPF_SEEN_REPLY;
	const uint32_t *to = o->timeouts.sec;

	/* tcp_error(): a bad flag combination never reaches the table. */
	if (!ctnic_tcp_flags_valid(flags) || old_state >= CTNIC_TCP_STATES) {
		result(r, CTNIC_CT_INVALID, old_state, old_state, false);
		return;
	}
	index = ctnic_tcp_flag_class(flags);
	new_state = tcp_conntracks[dir][index][old_state];

	switch (new_state) {
	case CTNIC_TCP_SYN_SENT:
		if (old_state < CTNIC_TCP_TIME_WAIT)
			break;
		/*
		 * RFC 1122: an actively closed connection lingers in
		 * TIME-WAIT but MAY accept a new SYN to reopen it; we ignore
		 * its conditions since we are in TIME-WAIT anyway. Also an
		 * aborted connection (the same side sent RST last) that the
		 * client restarts: end it and let the SYN create a new one.
		 */
		if ((t->flags & (CTNIC_TCPF_CLOSE_INIT_ORIG | CTNIC_TCPF_CLOSE_INIT_REPLY)) ||
		    (t->last_dir == dir && t->last_index == CTNIC_TCP_RST_SET)) {
			result(r, CTNIC_CT_REOPEN, old_state, old_state, false);
			return;
		}
		/* fall through */
	case CTNIC_TCP_IGNORE:
		/*
		 * Our entry may be out of sync, so let packets through that
		 * may signal the real connection: a) SYN in ORIGINAL,
		 * b) SYN-ACK in REPLY, c) ACK in REPLY after the first SYN.
		 * An invalid one draws a RST that we catch.
		 *
		 * b) A SYN-ACK answering a SYN we ignored means client and
		 * server are in sync and we are not: resync to SYN_RECV.
		 * Linux also requires the SYN-ACK to acknowledge exactly the
		 * ignored SYN's sequence; ctnic keeps no sequence numbers
		 * and accepts the SYN-ACK on its flags alone.
		 */
		if (index == CTNIC_TCP_SYNACK_SET && t->last_index == CTNIC_TCP_SYN_SET &&
		    t->last_dir != dir) {
			old_state = CTNIC_TCP_SYN_SENT;
			new_state = CTNIC_TCP_SYN_RECV;
			t->flags &= (uint8_t)~CTNIC_TCPF_CHALLENGE_ACK;
			break;
		}
		t->last_index = (uint8_t)index;
		t->last_dir = (uint8_t)dir;
		if (index == CTNIC_TCP_SYN_SET && dir == CTNIC_DIR_ORIGINAL) {
			/*
			 * a) A SYN in LAST_ACK may draw RFC 5961's challenge
			 * ACK, which must not be taken for the last ACK.
			 */
			t->flags &= (uint8_t)~CTNIC_TCPF_CHALLENGE_ACK;
			if (old_state == CTNIC_TCP_LAST_ACK)
				t->flags |= CTNIC_TCPF_CHALLENGE_ACK;
		}
		if (dir == CTNIC_DIR_REPLY)
			t->flags |= CTNIC_TCPF_SEEN_REPLY;
		result(r, CTNIC_CT_IGNORE, old_state, old_state, false);
		return;
	case CTNIC_TCP_INVALID:
		result(r, CTNIC_CT_INVALID, old_state, old_state, false);
		return;
	case CTNIC_TCP_TIME_WAIT:
		/* RFC 5961: a challenge ACK does not acknowledge our last FIN. */
		if (old_state == CTNIC_TCP_LAST_ACK && index == CTNIC_TCP_ACK_SET &&
		    t->last_dir != dir && t->last_index == CTNIC_TCP_SYN_SET &&
		    (t->flags & CTNIC_TCPF_CHALLENGE_ACK)) {
			t->flags &= (uint8_t)~CTNIC_TCPF_CHALLENGE_ACK;
			if (dir == CTNIC_DIR_REPLY)
				t->flags |= CTNIC_TCPF_SEEN_REPLY;
			result(r, CTNIC_CT_IGNORE, old_state, old_state, false);
			return;
		}
		break;
	case CTNIC_TCP_SYN_SENT2:
		/* The table alone cannot follow a simultaneous open. */
		t->flags |= CTNIC_TCPF_SIMOPEN;
		break;
	case CTNIC_TCP_SYN_RECV:
		if (dir == CTNIC_DIR_REPLY && index == CTNIC_TCP_ACK_SET &&
		    (t->flags & CTNIC_TCPF_SIMOPEN))
			new_state = CTNIC_TCP_ESTABLISHED;
		break;
	default:
		/*
		 * CLOSE on RST: Linux checks the RST's sequence number
		 * against the peer's highest ACK and keeps ESTABLISHED for
		 * an inexact one (a challenge ACK may follow). ctnic keeps
		 * no window and accepts the RST, as Linux does for closing
		 * states (tcp_can_early_drop) and with tcp_be_liberal.
		 */
		break;
	}

	/* In window (ctnic has no window check): the packet moves us. */
	t->last_index = (uint8_t)index;
	t->last_dir = (uint8_t)dir;
	t->state = (uint8_t)new_state;
	if (old_state == CTNIC_TCP_NONE && index == CTNIC_TCP_ACK_SET)
		t->flags |= CTNIC_TCPF_PICKED_UP;
	if (old_state != new_state && new_state == CTNIC_TCP_FIN_WAIT)
		t->flags |= close_init_bit(dir);

	result(r, CTNIC_CT_ACCEPT, old_state, new_state, true);
	if (index == CTNIC_TCP_RST_SET)
		r->tclass = CTNIC_TC_TCP_CLOSE;

	if (!seen_reply) {
		if (flags & CTNIC_TH_RST) {
			/*
			 * Only a RST ever came back (or we never saw a
			 * reply): a common failed connection, end it now.
			 */
			r->verdict = CTNIC_CT_KILL;
		} else if (index == CTNIC_TCP_SYN_SET && old_state == CTNIC_TCP_SYN_SENT) {
			/*
			 * Do not renew the timeout on a SYN retransmit, or a
			 * client (or NAT middlebox) reusing its port keeps the
			 * entry, and its NAT binding, alive for ever.
			 */
			r->refresh = false;
		} else if (new_state == CTNIC_TCP_ESTABLISHED &&
			   to[CTNIC_TC_TCP_ESTABLISHED] > to[CTNIC_TC_TCP_UNACK]) {
			/* Mid-stream pickup without a reply: no 5-day timeout. */
			r->tclass = CTNIC_TC_TCP_UNACK;
		}
	} else if (!(t->flags & CTNIC_TCPF_ASSURED) &&
		   (old_state == CTNIC_TCP_SYN_RECV || old_state == CTNIC_TCP_ESTABLISHED) &&
		   new_state == CTNIC_TCP_ESTABLISHED) {
		/* A valid ACK after SYN_RECV, or an answer to a picked-up one. */
		t->flags |= CTNIC_TCPF_ASSURED;
	}
	if (dir == CTNIC_DIR_REPLY)
		t->flags |= CTNIC_TCPF_SEEN_REPLY;
}

bool ctnic_tcp_needs_acks(enum ctnic_tcp_state s)
{
	/*
	 * SYN_RECV -> ESTABLISHED, FIN_WAIT -> CLOSE_WAIT and LAST_ACK ->
	 * TIME_WAIT happen on a pure ACK; every other move needs SYN, FIN
	 * or RST, which the card punts anyway.
	 */
	switch (s) {
	case CTNIC_TCP_SYN_RECV:
	case CTNIC_TCP_FIN_WAIT:
	case CTNIC_TCP_LAST_ACK:
		return true;
	default:
		return false;
	}
}

bool ctnic_tcp_can_early_drop(const struct ctnic_tcp_track *t)
{
	switch (t->state) {
	case CTNIC_TCP_FIN_WAIT:
	case CTNIC_TCP_CLOSE_WAIT:
	case CTNIC_TCP_LAST_ACK:
	case CTNIC_TCP_TIME_WAIT:
	case CTNIC_TCP_CLOSE:
		return true;
	default:
		return !(t->flags & CTNIC_TCPF_ASSURED);
	}
}

bool ctnic_tcp_is_closing(enum ctnic_tcp_state s)
{
	return s == CTNIC_TCP_TIME_WAIT || s == CTNIC_TCP_CLOSE;
}

enum ctnic_tclass ctnic_udp_packet(struct ctnic_udp_track *t, enum ctnic_dir dir)
{
	/*
	 * Traffic both ways makes it a stream. Linux (since 5.16) also waits
	 * two seconds before granting the stream timeout; ctnic grants it
	 * on the first reply, which the card cannot time finer anyway.
	 */
	if (dir == CTNIC_DIR_REPLY)
		t->seen_reply = 1;
	return t->seen_reply ? CTNIC_TC_UDP_STREAM : CTNIC_TC_UDP;
}

bool ctnic_icmp_may_create(uint8_t type)
{
	return type == 8 || type == 13 || type == 15 || type == 17;
}

enum ctnic_tclass ctnic_proto_tclass(uint8_t proto)
{
	switch (proto) {
	case 17:
		return CTNIC_TC_UDP;
	case 1:
		return CTNIC_TC_ICMP;
	default:
		return CTNIC_TC_GENERIC;
	}
}
