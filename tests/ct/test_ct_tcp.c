/*
 * test_ct_tcp.c - the TCP tracker against Linux's transition table.
 *
 * Linux's tcp_conntracks[2][6][10] (net/netfilter/nf_conntrack_proto_tcp.c)
 * is transcribed below as text, independently of host/ct/conntrack.c. Every
 * cell (direction x flag class x state) is one test: real TCP header flag
 * bytes of that class go through the public API, and the outcome must be
 * what Linux's nf_conntrack_tcp_packet() does with that cell. Then the
 * special cases Linux handles outside the table, timeouts and UDP.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ct/ctnic_conntrack.h"

/* Linux, verbatim order: columns sNO sSS sSR sES sFW sCW sLA sTW sCL sS2. */
static const char *const linux_table[2][6] = {
	{ /* ORIGINAL */
		/* syn    */ "sSS sSS sIG sIG sIG sIG sIG sSS sSS sS2",
		/* synack */ "sIV sIV sSR sIV sIV sIV sIV sIV sIV sSR",
		/* fin    */ "sIV sIV sFW sFW sLA sLA sLA sTW sCL sIV",
		/* ack    */ "sES sIV sES sES sCW sCW sTW sTW sCL sIV",
		/* rst    */ "sIV sCL sCL sCL sCL sCL sCL sCL sCL sCL",
		/* none   */ "sIV sIV sIV sIV sIV sIV sIV sIV sIV sIV",
	},
	{ /* REPLY */
		/* syn    */ "sIV sS2 sIV sIV sIV sIV sIV sSS sIV sS2",
		/* synack */ "sIV sSR sIG sIG sIG sIG sIG sIG sIG sSR",
		/* fin    */ "sIV sIV sFW sFW sLA sLA sLA sTW sCL sIV",
		/* ack    */ "sIV sIG sSR sES sCW sCW sTW sTW sCL sIG",
		/* rst    */ "sIV sCL sCL sCL sCL sCL sCL sCL sCL sCL",
		/* none   */ "sIV sIV sIV sIV sIV sIV sIV sIV sIV sIV",
	},
};

static unsigned linux_cell(int dir, int cls, int state)
{
	static const char *const names[] = { "sNO", "sSS", "sSR", "sES", "sFW",
					     "sCW", "sLA", "sTW", "sCL", "sS2",
					     "sIV", "sIG" };
	const char *c = linux_table[dir][cls] + 4 * state;

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(c, names[i], 3) == 0)
			return i;
	return 99;
}

/* Real flag bytes of each class, as they appear on the wire. */
static const uint8_t class_flags[6][4] = {
	{ 0x02, 0x22, 0xc2, 0x0a },       /* SYN, SYN|URG, SYN|ECE|CWR, SYN|PSH */
	{ 0x12, 0x52, 0x1a, 0x00 },       /* SYN|ACK, +ECE, +PSH */
	{ 0x11, 0x19, 0x31, 0x00 },       /* FIN|ACK, FIN|PSH|ACK, FIN|ACK|URG */
	{ 0x10, 0x18, 0x30, 0x50 },       /* ACK, PSH|ACK, ACK|URG, ACK|ECE */
	{ 0x04, 0x14, 0x00, 0x00 },       /* RST, RST|ACK */
	{ 0x00, 0x00, 0x00, 0x00 },       /* no flag at all */
};
static const int class_nflags[6] = { 4, 3, 3, 4, 2, 1 };

struct cell {
	int dir, cls, state;
	char name[96];
};

static struct cell cells[2 * 6 * CTNIC_TCP_STATES];

/*
 * One cell through ctnic_tcp_packet(), from a tracker in `state` that has
 * seen a reply, is assured, whose original side sent the first FIN and whose
 * last packet was an ACK of the original direction. What Linux does with the
 * same cell and context (nf_conntrack_tcp_packet, window check passed):
 *   sIV -> invalid, state kept; sIG -> ignored, state kept;
 *   sSS from TIME_WAIT/CLOSE -> the entry is killed and looked up again
 *   (CLOSE_INIT is set); a simultaneous-open SYN_RECV without SYN_SENT2 seen
 *   stays SYN_RECV; anything else -> the cell's state; RST ages as CLOSE.
 */
static void test_cell(void **state)
{
	const struct cell *c = *state;
	struct ctnic_ct_opts o;
	unsigned want = linux_cell(c->dir, c->cls, c->state);

	ctnic_ct_opts_default(&o);
	assert_true(want <= CTNIC_TCP_IGNORE);
	for (int i = 0; i < class_nflags[c->cls]; i++) {
		uint8_t fl = class_flags[c->cls][i];
		struct ctnic_tcp_track t;
		struct ctnic_ct_result r;

		assert_int_equal(ctnic_tcp_flag_class(fl), c->cls);
		assert_int_equal(ctnic_tcp_table((enum ctnic_dir)c->dir, ctnic_tcp_flag_class(fl),
						 (unsigned)c->state), want);

		ctnic_tcp_track_init(&t);
		t.state = (uint8_t)c->state;
		t.flags = CTNIC_TCPF_SEEN_REPLY | CTNIC_TCPF_ASSURED | CTNIC_TCPF_CLOSE_INIT_ORIG;
		t.last_index = CTNIC_TCP_ACK_SET;
		t.last_dir = CTNIC_DIR_ORIGINAL;
		ctnic_tcp_packet(&o, &t, (enum ctnic_dir)c->dir, fl, &r);

		assert_int_equal(r.old_state, c->state);
		if (want == CTNIC_TCP_INVALID) {
			assert_int_equal(r.verdict, CTNIC_CT_INVALID);
			assert_int_equal(t.state, c->state);
		} else if (want == CTNIC_TCP_IGNORE) {
			assert_int_equal(r.verdict, CTNIC_CT_IGNORE);
			assert_int_equal(t.state, c->state);
			assert_false(r.refresh);
		} else if (want == CTNIC_TCP_SYN_SENT && c->state >= CTNIC_TCP_TIME_WAIT) {
			assert_int_equal(r.verdict, CTNIC_CT_REOPEN);
			assert_int_equal(t.state, c->state);
		} else {
			assert_int_equal(r.verdict, CTNIC_CT_ACCEPT);
			assert_int_equal(r.new_state, want);
			assert_int_equal(t.state, want);
			assert_true(r.refresh);
			assert_int_equal(r.tclass, c->cls == CTNIC_TCP_RST_SET ?
				CTNIC_TC_TCP_CLOSE : ctnic_tcp_state_tclass(want));
		}
	}
}

static void drive(const struct ctnic_ct_opts *o, struct ctnic_tcp_track *t, enum ctnic_dir d,
		  uint8_t flags, enum ctnic_ct_verdict v, enum ctnic_tcp_state s)
{
	struct ctnic_ct_result r;

	ctnic_tcp_packet(o, t, d, flags, &r);
	assert_int_equal(r.verdict, v);
	assert_int_equal(t->state, s);
}

static void fresh(struct ctnic_ct_opts *o, struct ctnic_tcp_track *t)
{
	ctnic_ct_opts_default(o);
	ctnic_tcp_track_init(t);
}

/* SYN, SYN-ACK, ACK: an assured ESTABLISHED connection. */
static void handshake(const struct ctnic_ct_opts *o, struct ctnic_tcp_track *t)
{
	drive(o, t, CTNIC_DIR_ORIGINAL, 0x02, CTNIC_CT_ACCEPT, CTNIC_TCP_SYN_SENT);
	drive(o, t, CTNIC_DIR_REPLY, 0x12, CTNIC_CT_ACCEPT, CTNIC_TCP_SYN_RECV);
	drive(o, t, CTNIC_DIR_ORIGINAL, 0x10, CTNIC_CT_ACCEPT, CTNIC_TCP_ESTABLISHED);
}

static void test_invalid_flag_combinations_are_invalid_in_every_state(void **state)
{
	static const uint8_t bad[] = { 0x03, 0x07, 0x01, 0x05, 0x06, 0x13, 0x3f, 0x08, 0x20, 0x00 };
	struct ctnic_ct_opts o;

	(void)state;
	ctnic_ct_opts_default(&o);
	for (unsigned i = 0; i < sizeof(bad); i++) {
		assert_false(ctnic_tcp_flags_valid(bad[i]));
		assert_false(ctnic_tcp_may_create(&o, bad[i]));
		for (int s = 0; s < CTNIC_TCP_STATES; s++) {
			struct ctnic_tcp_track t;
			struct ctnic_ct_result r;

			ctnic_tcp_track_init(&t);
			t.state = (uint8_t)s;
			ctnic_tcp_packet(&o, &t, CTNIC_DIR_ORIGINAL, bad[i], &r);
			assert_int_equal(r.verdict, CTNIC_CT_INVALID);
			assert_int_equal(t.state, s);
		}
	}
}

static void test_only_syn_creates_and_ack_only_with_loose(void **state)
{
	struct ctnic_ct_opts o;

	(void)state;
	ctnic_ct_opts_default(&o);
	assert_true(o.tcp_loose);
	assert_true(ctnic_tcp_may_create(&o, 0x02));
	assert_true(ctnic_tcp_may_create(&o, 0x10));
	assert_true(ctnic_tcp_may_create(&o, 0x18));
	assert_false(ctnic_tcp_may_create(&o, 0x11)); /* FIN|ACK: never, even loose */
	assert_false(ctnic_tcp_may_create(&o, 0x12)); /* SYN-ACK */
	assert_false(ctnic_tcp_may_create(&o, 0x04)); /* RST */
	assert_false(ctnic_tcp_may_create(&o, 0x14));
	o.tcp_loose = false;
	assert_true(ctnic_tcp_may_create(&o, 0x02));
	assert_false(ctnic_tcp_may_create(&o, 0x10));
	assert_false(ctnic_tcp_may_create(&o, 0x11));
}

static void test_handshake_and_design_story_close_wait(void **state)
{
	struct ctnic_ct_opts o;
	struct ctnic_tcp_track t;
	struct ctnic_ct_result r;

	(void)state;
	fresh(&o, &t);
	handshake(&o, &t);
	assert_true(ctnic_tcp_needs_acks(CTNIC_TCP_SYN_RECV));
	assert_true(t.flags & CTNIC_TCPF_ASSURED);
	/* The server closes, the client ACKs: CLOSE_WAIT, 60 s. */
	drive(&o, &t, CTNIC_DIR_REPLY, 0x11, CTNIC_CT_ACCEPT, CTNIC_TCP_FIN_WAIT);
	assert_true(t.flags & CTNIC_TCPF_CLOSE_INIT_REPLY);
	assert_true(ctnic_tcp_needs_acks(CTNIC_TCP_FIN_WAIT));
	ctnic_tcp_packet(&o, &t, CTNIC_DIR_ORIGINAL, 0x10, &r);
	assert_int_equal(r.verdict, CTNIC_CT_ACCEPT);
	assert_int_equal(r.new_state, CTNIC_TCP_CLOSE_WAIT);
	assert_int_equal(r.tclass, CTNIC_TC_TCP_CLOSE_WAIT);
	assert_int_equal(o.timeouts.sec[r.tclass], 60);
	/* Past the timeout the entry is gone; the client's FIN creates nothing. */
	assert_false(ctnic_tcp_may_create(&o, 0x11));
	/* While it lives, the client's FIN moves on to LAST_ACK, then TIME_WAIT. */
	drive(&o, &t, CTNIC_DIR_ORIGINAL, 0x11, CTNIC_CT_ACCEPT, CTNIC_TCP_LAST_ACK);
	drive(&o, &t, CTNIC_DIR_REPLY, 0x10, CTNIC_CT_ACCEPT, CTNIC_TCP_TIME_WAIT);
	assert_true(ctnic_tcp_is_closing(CTNIC_TCP_TIME_WAIT));
	/* A new SYN reopens a closed connection. */
	drive(&o, &t, CTNIC_DIR_ORIGINAL, 0x02, CTNIC_CT_REOPEN, CTNIC_TCP_TIME_WAIT);
}

static void test_rst_before_any_reply_kills(void **state)
{
	struct ctnic_ct_opts o;
	struct ctnic_tcp_track t;
	struct ctnic_ct_result r;

	(void)state;
	fresh(&o, &t);
	drive(&o, &t, CTNIC_DIR_ORIGINAL, 0x02, CTNIC_CT_ACCEPT, CTNIC_TCP_SYN_SENT);
	ctnic_tcp_packet(&o, &t, CTNIC_DIR_REPLY, 0x14, &r);
	assert_int_equal(r.verdict, CTNIC_CT_KILL);
	assert_int_equal(r.new_state, CTNIC_TCP_CLOSE);
	assert_int_equal(r.tclass, CTNIC_TC_TCP_CLOSE);
}

static void test_syn_retransmit_does_not_refresh(void **state)
{
	struct ctnic_ct_opts o;
	struct ctnic_tcp_track t;
	struct ctnic_ct_result r;

	(void)state;
	fresh(&o, &t);
	ctnic_tcp_packet(&o, &t, CTNIC_DIR_ORIGINAL, 0x02, &r);
	assert_true(r.refresh);
	ctnic_tcp_packet(&o, &t, CTNIC_DIR_ORIGINAL, 0x02, &r);
	assert_int_equal(r.verdict, CTNIC_CT_ACCEPT);
	assert_false(r.refresh);
}

static void test_loose_pickup_ages_as_unacknowledged_until_reply(void **state)
{
	struct ctnic_ct_opts o;
	struct ctnic_tcp_track t;
	struct ctnic_ct_result r;

	(void)state;
	fresh(&o, &t);
	ctnic_tcp_packet(&o, &t, CTNIC_DIR_ORIGINAL, 0x10, &r);
	assert_int_equal(r.verdict, CTNIC_CT_ACCEPT);
	assert_int_equal(r.new_state, CTNIC_TCP_ESTABLISHED);
	assert_int_equal(r.tclass, CTNIC_TC_TCP_UNACK);
	assert_true(t.flags & CTNIC_TCPF_PICKED_UP);
	ctnic_tcp_packet(&o, &t, CTNIC_DIR_REPLY, 0x10, &r);
	assert_int_equal(r.tclass, CTNIC_TC_TCP_UNACK); /* Linux: SEEN_REPLY is set after */
	ctnic_tcp_packet(&o, &t, CTNIC_DIR_ORIGINAL, 0x10, &r);
	assert_int_equal(r.tclass, CTNIC_TC_TCP_ESTABLISHED);
	assert_true(t.flags & CTNIC_TCPF_ASSURED);
}

static void test_simultaneous_open_reaches_established(void **state)
{
	struct ctnic_ct_opts o;
	struct ctnic_tcp_track t;

	(void)state;
	fresh(&o, &t);
	drive(&o, &t, CTNIC_DIR_ORIGINAL, 0x02, CTNIC_CT_ACCEPT, CTNIC_TCP_SYN_SENT);
	drive(&o, &t, CTNIC_DIR_REPLY, 0x02, CTNIC_CT_ACCEPT, CTNIC_TCP_SYN_SENT2);
	drive(&o, &t, CTNIC_DIR_ORIGINAL, 0x12, CTNIC_CT_ACCEPT, CTNIC_TCP_SYN_RECV);
	/* The table says SYN_RECV; Linux's SIMULTANEOUS_OPEN flag makes it ESTABLISHED. */
	drive(&o, &t, CTNIC_DIR_REPLY, 0x10, CTNIC_CT_ACCEPT, CTNIC_TCP_ESTABLISHED);
}

static void test_synack_after_ignored_syn_resyncs(void **state)
{
	struct ctnic_ct_opts o;
	struct ctnic_tcp_track t;

	(void)state;
	fresh(&o, &t);
	handshake(&o, &t);
	/* Out of sync: a fresh SYN in ESTABLISHED is ignored ... */
	drive(&o, &t, CTNIC_DIR_ORIGINAL, 0x02, CTNIC_CT_IGNORE, CTNIC_TCP_ESTABLISHED);
	/* ... and the server's SYN-ACK to it puts us back in sync. */
	drive(&o, &t, CTNIC_DIR_REPLY, 0x12, CTNIC_CT_ACCEPT, CTNIC_TCP_SYN_RECV);
	drive(&o, &t, CTNIC_DIR_ORIGINAL, 0x10, CTNIC_CT_ACCEPT, CTNIC_TCP_ESTABLISHED);
}

static void test_challenge_ack_in_last_ack_is_not_the_last_ack(void **state)
{
	struct ctnic_ct_opts o;
	struct ctnic_tcp_track t;

	(void)state;
	fresh(&o, &t);
	t.state = CTNIC_TCP_LAST_ACK;
	t.flags = CTNIC_TCPF_SEEN_REPLY | CTNIC_TCPF_ASSURED;
	drive(&o, &t, CTNIC_DIR_ORIGINAL, 0x02, CTNIC_CT_IGNORE, CTNIC_TCP_LAST_ACK);
	drive(&o, &t, CTNIC_DIR_REPLY, 0x10, CTNIC_CT_IGNORE, CTNIC_TCP_LAST_ACK);
	/* The real last ACK afterwards still closes. */
	drive(&o, &t, CTNIC_DIR_REPLY, 0x10, CTNIC_CT_ACCEPT, CTNIC_TCP_TIME_WAIT);
}

static void test_reopen_needs_close_or_rst_history(void **state)
{
	struct ctnic_ct_opts o;
	struct ctnic_tcp_track t;

	(void)state;
	/*
	 * CLOSE after the client's own RST: a new SYN from it reopens. After
	 * the server's RST, the client's SYN is ignored, as Linux does.
	 */
	for (int rst_dir = 0; rst_dir < 2; rst_dir++) {
		fresh(&o, &t);
		handshake(&o, &t);
		drive(&o, &t, (enum ctnic_dir)rst_dir, 0x04, CTNIC_CT_ACCEPT, CTNIC_TCP_CLOSE);
		drive(&o, &t, CTNIC_DIR_ORIGINAL, 0x02,
		      rst_dir == CTNIC_DIR_ORIGINAL ? CTNIC_CT_REOPEN : CTNIC_CT_IGNORE,
		      CTNIC_TCP_CLOSE);
	}
}

static void test_timeouts_have_linux_defaults_and_sysctl_names(void **state)
{
	static const struct {
		const char *name;
		uint32_t sec;
	} want[] = {
		{ "nf_conntrack_tcp_timeout_syn_sent", 120 },
		{ "nf_conntrack_tcp_timeout_syn_recv", 60 },
		{ "nf_conntrack_tcp_timeout_established", 432000 },
		{ "nf_conntrack_tcp_timeout_fin_wait", 120 },
		{ "nf_conntrack_tcp_timeout_close_wait", 60 },
		{ "nf_conntrack_tcp_timeout_last_ack", 30 },
		{ "nf_conntrack_tcp_timeout_time_wait", 120 },
		{ "nf_conntrack_tcp_timeout_close", 10 },
		{ "nf_conntrack_tcp_timeout_max_retrans", 300 },
		{ "nf_conntrack_tcp_timeout_unacknowledged", 300 },
		{ "nf_conntrack_udp_timeout", 30 },
		{ "net.netfilter.nf_conntrack_udp_timeout_stream", 120 },
		{ "nf_conntrack_icmp_timeout", 30 },
		{ "nf_conntrack_generic_timeout", 600 },
	};
	struct ctnic_ct_timeouts t;
	unsigned seen = 0;

	(void)state;
	ctnic_ct_timeouts_default(&t);
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int c = ctnic_tclass_by_sysctl(want[i].name);

		assert_true(c >= 0 && c < 16);
		assert_int_equal(t.sec[c], want[i].sec);
		seen |= 1u << c;
	}
	assert_int_equal(__builtin_popcount(seen), 14); /* all distinct classes */
	assert_int_equal(ctnic_tclass_by_sysctl("nf_conntrack_tcp_timeout_bogus"), -1);
	assert_true(CTNIC_TCLASSES <= 16);
	for (int s = CTNIC_TCP_SYN_SENT; s < CTNIC_TCP_STATES; s++)
		assert_string_equal(ctnic_tclass_sysctl(ctnic_tcp_state_tclass((enum ctnic_tcp_state)s)) +
				    strlen("nf_conntrack_tcp_timeout_"),
				    s == CTNIC_TCP_SYN_SENT2 ? "syn_sent2" :
				    s == CTNIC_TCP_SYN_SENT ? "syn_sent" :
				    s == CTNIC_TCP_SYN_RECV ? "syn_recv" :
				    s == CTNIC_TCP_ESTABLISHED ? "established" :
				    s == CTNIC_TCP_FIN_WAIT ? "fin_wait" :
				    s == CTNIC_TCP_CLOSE_WAIT ? "close_wait" :
				    s == CTNIC_TCP_LAST_ACK ? "last_ack" :
				    s == CTNIC_TCP_TIME_WAIT ? "time_wait" : "close");
}

static void test_early_drop_spares_assured_open_connections(void **state)
{
	struct ctnic_ct_opts o;
	struct ctnic_tcp_track t;

	(void)state;
	fresh(&o, &t);
	drive(&o, &t, CTNIC_DIR_ORIGINAL, 0x02, CTNIC_CT_ACCEPT, CTNIC_TCP_SYN_SENT);
	assert_true(ctnic_tcp_can_early_drop(&t));    /* unreplied */
	drive(&o, &t, CTNIC_DIR_REPLY, 0x12, CTNIC_CT_ACCEPT, CTNIC_TCP_SYN_RECV);
	drive(&o, &t, CTNIC_DIR_ORIGINAL, 0x10, CTNIC_CT_ACCEPT, CTNIC_TCP_ESTABLISHED);
	assert_false(ctnic_tcp_can_early_drop(&t));   /* assured and open */
	drive(&o, &t, CTNIC_DIR_REPLY, 0x11, CTNIC_CT_ACCEPT, CTNIC_TCP_FIN_WAIT);
	assert_true(ctnic_tcp_can_early_drop(&t));    /* closing */
}

static void test_options_set_and_get_by_sysctl_name(void **state)
{
	struct ctnic_ct_opts o;
	char err[256];
	uint32_t v;

	(void)state;
	ctnic_ct_opts_default(&o);
	assert_int_equal(ctnic_ct_opts_set(&o, "net.netfilter.nf_conntrack_tcp_timeout_close_wait",
					   "7", err, sizeof(err)), 0);
	assert_int_equal(o.timeouts.sec[CTNIC_TC_TCP_CLOSE_WAIT], 7);
	assert_int_equal(ctnic_ct_opts_get(&o, "nf_conntrack_tcp_timeout_close_wait", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(ctnic_ct_opts_set(&o, "nf_conntrack_tcp_loose", "0", err, sizeof(err)), 0);
	assert_false(o.tcp_loose);
	assert_int_equal(ctnic_ct_opts_set(&o, "nf_conntrack_udp_timeout", "0", err, sizeof(err)), -1);
	assert_string_equal(err, "nf_conntrack_udp_timeout = 0: a timeout is a whole number of "
			    "seconds, 1 or more");
	assert_int_equal(o.timeouts.sec[CTNIC_TC_UDP], 30);
	assert_int_equal(ctnic_ct_opts_set(&o, "nf_conntrack_tcp_be_liberal", "1", err, sizeof(err)), -1);
	assert_int_equal(ctnic_ct_opts_get(&o, "nf_conntrack_tcp_be_liberal", &v), -1);
}

static void test_udp_unreplied_then_stream(void **state)
{
	struct ctnic_udp_track u = { 0 };

	(void)state;
	assert_int_equal(ctnic_udp_packet(&u, CTNIC_DIR_ORIGINAL), CTNIC_TC_UDP);
	assert_int_equal(ctnic_udp_packet(&u, CTNIC_DIR_ORIGINAL), CTNIC_TC_UDP);
	assert_int_equal(ctnic_udp_packet(&u, CTNIC_DIR_REPLY), CTNIC_TC_UDP_STREAM);
	assert_int_equal(ctnic_udp_packet(&u, CTNIC_DIR_ORIGINAL), CTNIC_TC_UDP_STREAM);
}

static void test_icmp_requests_create_and_other_protocols_are_generic(void **state)
{
	(void)state;
	assert_true(ctnic_icmp_may_create(8));
	assert_true(ctnic_icmp_may_create(13));
	assert_false(ctnic_icmp_may_create(0));  /* echo reply */
	assert_false(ctnic_icmp_may_create(3));  /* unreachable: an error, never new */
	assert_int_equal(ctnic_proto_tclass(1), CTNIC_TC_ICMP);
	assert_int_equal(ctnic_proto_tclass(17), CTNIC_TC_UDP);
	assert_int_equal(ctnic_proto_tclass(47), CTNIC_TC_GENERIC);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_invalid_flag_combinations_are_invalid_in_every_state),
		cmocka_unit_test(test_only_syn_creates_and_ack_only_with_loose),
		cmocka_unit_test(test_handshake_and_design_story_close_wait),
		cmocka_unit_test(test_rst_before_any_reply_kills),
		cmocka_unit_test(test_syn_retransmit_does_not_refresh),
		cmocka_unit_test(test_loose_pickup_ages_as_unacknowledged_until_reply),
		cmocka_unit_test(test_simultaneous_open_reaches_established),
		cmocka_unit_test(test_synack_after_ignored_syn_resyncs),
		cmocka_unit_test(test_challenge_ack_in_last_ack_is_not_the_last_ack),
		cmocka_unit_test(test_reopen_needs_close_or_rst_history),
		cmocka_unit_test(test_timeouts_have_linux_defaults_and_sysctl_names),
		cmocka_unit_test(test_early_drop_spares_assured_open_connections),
		cmocka_unit_test(test_options_set_and_get_by_sysctl_name),
		cmocka_unit_test(test_udp_unreplied_then_stream),
		cmocka_unit_test(test_icmp_requests_create_and_other_protocols_are_generic),
	};
	enum { NCELLS = 2 * 6 * CTNIC_TCP_STATES, NFIXED = sizeof(fixed) / sizeof(fixed[0]) };
	static struct CMUnitTest tests[NCELLS + NFIXED];
	int n = 0;

	for (int d = 0; d < 2; d++)
		for (int c = 0; c < 6; c++)
			for (int s = 0; s < CTNIC_TCP_STATES; s++) {
				struct cell *x = &cells[n];
				unsigned w = linux_cell(d, c, s);

				x->dir = d;
				x->cls = c;
				x->state = s;
				snprintf(x->name, sizeof(x->name), "cell_%s_%s_in_%s_gives_%s",
					 d ? "reply" : "original", ctnic_tcp_class_name((unsigned)c),
					 ctnic_tcp_state_name((unsigned)s), ctnic_tcp_state_name(w));
				tests[n] = (struct CMUnitTest){ x->name, test_cell, NULL, NULL, x };
				n++;
			}
	for (int i = 0; i < NFIXED; i++)
		tests[n++] = fixed[i];
	return _cmocka_run_group_tests("ct_tcp", tests, (size_t)n, NULL, NULL);
}
