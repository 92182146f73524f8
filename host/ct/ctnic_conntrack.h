/*
 * ctnic_conntrack.h - connection tracking semantics of the ctnic daemon:
 * the TCP state machine of Linux's nf_conntrack_proto_tcp.c as a table, the
 * UDP, ICMP and generic trackers, per-state timeouts by their Linux sysctl
 * names, and the timeout classes the card ages flows by.
 *
 * Pure logic: no I/O, no globals, no clock. Times are seconds here; the
 * daemon turns them into device ticks. docs/conntrack.md is the prose.
 */
#ifndef CTNIC_CONNTRACK_H
#define CTNIC_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* TCP states, numbered as Linux's enum tcp_conntrack. */
enum ctnic_tcp_state {
	CTNIC_TCP_NONE = 0,
	CTNIC_TCP_SYN_SENT,
	CTNIC_TCP_SYN_RECV,
	CTNIC_TCP_ESTABLISHED,
	CTNIC_TCP_FIN_WAIT,
	CTNIC_TCP_CLOSE_WAIT,
	CTNIC_TCP_LAST_ACK,
	CTNIC_TCP_TIME_WAIT,
	CTNIC_TCP_CLOSE,
	CTNIC_TCP_SYN_SENT2,
	CTNIC_TCP_STATES,          /* number of states */
	/* Table outcomes that are not states (Linux's sIV and sIG). */
	CTNIC_TCP_INVALID = CTNIC_TCP_STATES,
	CTNIC_TCP_IGNORE,
};

/* Flag classes: which of RST/SYN/FIN/ACK decide a packet's row. */
enum ctnic_tcp_flag_class {
	CTNIC_TCP_SYN_SET = 0,
	CTNIC_TCP_SYNACK_SET,
	CTNIC_TCP_FIN_SET,
	CTNIC_TCP_ACK_SET,
	CTNIC_TCP_RST_SET,
	CTNIC_TCP_NONE_SET,
	CTNIC_TCP_FLAG_CLASSES,
};

/* TCP header byte 13. */
#define CTNIC_TH_FIN 0x01u
#define CTNIC_TH_SYN 0x02u
#define CTNIC_TH_RST 0x04u
#define CTNIC_TH_PSH 0x08u
#define CTNIC_TH_ACK 0x10u
#define CTNIC_TH_URG 0x20u
#define CTNIC_TH_ECE 0x40u
#define CTNIC_TH_CWR 0x80u

/* Direction of a packet within its connection. */
enum ctnic_dir { CTNIC_DIR_ORIGINAL = 0, CTNIC_DIR_REPLY = 1 };

const char *ctnic_tcp_state_name(unsigned state);   /* "ESTABLISHED"; "INVALID", "IGNORE" */
const char *ctnic_tcp_class_name(unsigned fclass);  /* "SYN", "SYN-ACK", ... */

/* The row of a packet: Linux's get_conntrack_index() (RST first, then SYN, FIN, ACK). */
enum ctnic_tcp_flag_class ctnic_tcp_flag_class(uint8_t flags);

/* Linux's tcp_error() flag check: false for combinations such as SYN|FIN or none. */
bool ctnic_tcp_flags_valid(uint8_t flags);

/* One cell of tcp_conntracks[dir][class][state]: a state, INVALID or IGNORE. */
unsigned ctnic_tcp_table(enum ctnic_dir dir, enum ctnic_tcp_flag_class fclass, unsigned state);

/* Timeout classes: what the card ages a flow by (flow record word 8, bits 7:4). */
enum ctnic_tclass {
	CTNIC_TC_TCP_SYN_SENT = 0,
	CTNIC_TC_TCP_SYN_RECV,
	CTNIC_TC_TCP_ESTABLISHED,
	CTNIC_TC_TCP_FIN_WAIT,
	CTNIC_TC_TCP_CLOSE_WAIT,
	CTNIC_TC_TCP_LAST_ACK,
	CTNIC_TC_TCP_TIME_WAIT,
	CTNIC_TC_TCP_CLOSE,
	CTNIC_TC_TCP_SYN_SENT2,
	CTNIC_TC_TCP_RETRANS,      /* nf_conntrack_tcp_timeout_max_retrans */
	CTNIC_TC_TCP_UNACK,        /* nf_conntrack_tcp_timeout_unacknowledged */
	CTNIC_TC_UDP,              /* unreplied */
	CTNIC_TC_UDP_STREAM,
	CTNIC_TC_ICMP,
	CTNIC_TC_GENERIC,
	CTNIC_TCLASSES,            /* 15: fits the card's 16 */
};

/* Timeouts in seconds, one per class. */
struct ctnic_ct_timeouts {
	uint32_t sec[CTNIC_TCLASSES];
};

/* Linux's defaults (nf_conntrack_proto_*.c). */
void ctnic_ct_timeouts_default(struct ctnic_ct_timeouts *t);

/*
 * The Linux sysctl name of a class ("nf_conntrack_tcp_timeout_established"),
 * or NULL when Linux has none (SYN_SENT2: fixed 120 s in Linux; ctnic
 * calls it "nf_conntrack_tcp_timeout_syn_sent2").
 */
const char *ctnic_tclass_sysctl(enum ctnic_tclass c);

/*
 * Class of a sysctl name, with or without the "net.netfilter." prefix.
 * Returns the class, or -1 when the name is not a timeout.
 */
int ctnic_tclass_by_sysctl(const char *name);

/* The class of a steady TCP state (the timeout Linux gives timeouts[state]). */
enum ctnic_tclass ctnic_tcp_state_tclass(enum ctnic_tcp_state s);

/* Tracker parameters: the Linux sysctls that change semantics. */
struct ctnic_ct_opts {
	struct ctnic_ct_timeouts timeouts;
	bool tcp_loose;          /* nf_conntrack_tcp_loose, Linux default 1 */
};

/* Linux's defaults: default timeouts, tcp_loose on. */
void ctnic_ct_opts_default(struct ctnic_ct_opts *o);

/*
 * Sets a tracker parameter by its Linux sysctl name (with or without
 * "net.netfilter."): any timeout above (whole seconds, 1 or more) or
 * nf_conntrack_tcp_loose (0 or 1). For the configuration file and for
 * ctnicctl. Returns 0, or -1 with "NAME = VALUE: why" in err and *o unchanged.
 */
int ctnic_ct_opts_set(struct ctnic_ct_opts *o, const char *name, const char *value,
		      char *err, size_t errlen);

/* Reads one by name: 0 and *value, or -1 when the name is not one of them. */
int ctnic_ct_opts_get(const struct ctnic_ct_opts *o, const char *name, uint32_t *value);

/* Per-connection TCP tracking state: 4 bytes, no sequence window. */
struct ctnic_tcp_track {
	uint8_t state;           /* enum ctnic_tcp_state */
	uint8_t last_index;      /* flag class of the last packet that changed us */
	uint8_t last_dir;
	uint8_t flags;           /* CTNIC_TCPF_* */
};

#define CTNIC_TCPF_CLOSE_INIT_ORIG  0x01u /* the original side sent the first FIN */
#define CTNIC_TCPF_CLOSE_INIT_REPLY 0x02u /* the reply side sent the first FIN */
#define CTNIC_TCPF_SEEN_REPLY       0x04u /* a packet of the reply direction was accepted */
#define CTNIC_TCPF_ASSURED          0x08u /* Linux's IPS_ASSURED */
#define CTNIC_TCPF_SIMOPEN          0x10u /* simultaneous open (SYN_SENT2 seen) */
#define CTNIC_TCPF_CHALLENGE_ACK    0x20u /* a SYN was let through in LAST_ACK: the next ACK may be RFC 5961's */
#define CTNIC_TCPF_PICKED_UP        0x40u /* created from a mid-stream ACK (loose) */

/* What the tracker decided about one packet. */
enum ctnic_ct_verdict {
	CTNIC_CT_ACCEPT = 0, /* in the connection: forward translated, state may have moved */
	CTNIC_CT_IGNORE,     /* forward translated, state unchanged (Linux's NF_ACCEPT on sIG) */
	CTNIC_CT_INVALID,    /* not part of this connection's state machine (Linux's -NF_ACCEPT) */
	CTNIC_CT_REOPEN,     /* SYN reopening a closed connection: end it, then create anew */
	CTNIC_CT_KILL,       /* accept the packet, then end the connection now (RST before any reply) */
};

const char *ctnic_ct_verdict_name(enum ctnic_ct_verdict v);

struct ctnic_ct_result {
	enum ctnic_ct_verdict verdict;
	uint8_t old_state;
	uint8_t new_state;
	bool refresh;            /* restart the idle timer (false: keep the old deadline) */
	enum ctnic_tclass tclass;/* class to age by from now (valid for ACCEPT) */
};

/*
 * May a TCP packet with these flags, seen on no connection, create one?
 * Linux's tcp_new(): a SYN always; a mid-stream ACK only with tcp_loose.
 * FIN, RST, SYN-ACK and invalid combinations never.
 */
bool ctnic_tcp_may_create(const struct ctnic_ct_opts *o, uint8_t flags);

/* Starts a tracker for a packet ctnic_tcp_may_create() allowed (state NONE). */
void ctnic_tcp_track_init(struct ctnic_tcp_track *t);

/*
 * Runs one packet (its TCP flags, its direction) through a tracker, as
 * Linux's nf_conntrack_tcp_packet() without the sequence window check.
 * Updates *t on ACCEPT, IGNORE and KILL; leaves it on INVALID and REOPEN.
 */
void ctnic_tcp_packet(const struct ctnic_ct_opts *o, struct ctnic_tcp_track *t,
		      enum ctnic_dir dir, uint8_t flags, struct ctnic_ct_result *r);

/*
 * True while the tracker needs every packet of the flow, not only
 * SYN/FIN/RST: in the states where a pure ACK moves the state (SYN_RECV,
 * FIN_WAIT, LAST_ACK). The daemon sets the flow's action to "host"
 * then, since the card only punts SYN/FIN/RST of a known flow.
 */
bool ctnic_tcp_needs_acks(enum ctnic_tcp_state s);

/*
 * May a full table evict this TCP connection for a new one? Linux's
 * early_drop: one never assured, or one closing (tcp_can_early_drop:
 * FIN_WAIT, CLOSE_WAIT, LAST_ACK, TIME_WAIT, CLOSE). UDP and others: only
 * when not assured (seen_reply for UDP).
 */
bool ctnic_tcp_can_early_drop(const struct ctnic_tcp_track *t);

/* Is the connection over (CLOSE or TIME_WAIT: nothing but a reopen may follow)? */
bool ctnic_tcp_is_closing(enum ctnic_tcp_state s);

/* UDP: a packet of a direction; returns the class to age by from now. */
struct ctnic_udp_track {
	uint8_t seen_reply;
};
enum ctnic_tclass ctnic_udp_packet(struct ctnic_udp_track *t, enum ctnic_dir dir);

/*
 * ICMP: may a message of this type start a connection? Linux's icmp_new():
 * echo (8), timestamp (13), information (15) and address mask (17)
 * requests. The card looks up only echo; the rest reach the host as L4_OTHER.
 */
bool ctnic_icmp_may_create(uint8_t type);

/*
 * The class a connection of this protocol ages by when it is not TCP
 * (TCP: ctnic_tcp_packet's result): UDP unreplied, ICMP, generic.
 */
enum ctnic_tclass ctnic_proto_tclass(uint8_t proto);

#endif /* CTNIC_CONNTRACK_H */
