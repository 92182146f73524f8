/*
 * ctnic_late.h - what to do with a late packet: one that found no live
 * connection and may not create one (a FIN after its entry timed out, most
 * often). Issue 5's rule, in one place: translate it with the binding its
 * connection had if the linger memory still holds it; otherwise drop it (or
 * answer a TCP packet with a rate-limited RST) when any NAT rule covers it
 * in either direction; never forward it untranslated then. A packet no rule
 * covers has nothing to hide and passes as Linux would pass it.
 */
#ifndef CTNIC_LATE_H
#define CTNIC_LATE_H

#include <stdbool.h>
#include <stdint.h>

#include "ct/ctnic_conf.h"
#include "ct/ctnic_linger.h"
#include "ct/ctnic_nat.h"

enum ctnic_late_action {
	CTNIC_LATE_ACT_PASS = 0,   /* no rule covers it: forward as it is */
	CTNIC_LATE_ACT_TRANSLATE,  /* a lingering binding: forward as *out */
	CTNIC_LATE_ACT_DROP,       /* covered and forgotten: drop */
	CTNIC_LATE_ACT_RST,        /* covered and forgotten, TCP, policy rst: drop and send RST */
	CTNIC_LATE_ACTIONS,
};

const char *ctnic_late_action_name(enum ctnic_late_action a);

/* At most `rate` events per `window` time units (the caller's clock). */
struct ctnic_ratelimit {
	uint32_t rate;
	uint64_t window;
	uint64_t cur;              /* current window number */
	uint32_t used;
};

void ctnic_ratelimit_init(struct ctnic_ratelimit *r, uint32_t rate, uint64_t window);
bool ctnic_ratelimit_take(struct ctnic_ratelimit *r, uint64_t now);

struct ctnic_late {
	const struct ctnic_linger *linger;
	const struct ctnic_nat_ruleset *rules;
	const struct ctnic_nat_env *env;
	enum ctnic_late_policy policy;
	struct ctnic_ratelimit rst_limit;
	uint64_t count[CTNIC_LATE_ACTIONS];  /* outcomes, for the daemon's statistics */
	uint64_t rst_limited;                /* RSTs not sent for the rate (dropped only) */
};

/*
 * Decides for a late packet with key *k that came in on in_if (NULL when
 * unknown) with TCP flags tcp_flags (0 when not TCP), at `now` (the linger
 * memory's and rate limit's unit). *out is the tuple to send it with for
 * TRANSLATE; *line the covering rule's line for DROP and RST (either may be
 * NULL). Counts the outcome.
 */
enum ctnic_late_action ctnic_late_decide(struct ctnic_late *l, const struct ctnic_key *k,
					 const char *in_if, uint8_t tcp_flags, uint64_t now,
					 struct ctnic_key *out, unsigned *line);

/*
 * Must a packet that found no live connection, and that its protocol would
 * let create one (ctnic_tcp_may_create(), any UDP), be handled as a late
 * packet instead? Issue 5's "even with loose pickup on". Yes when:
 *  - the linger memory holds it as a reply key (the far side of an ended
 *    connection answers late), or, for TCP other than a SYN, as an original
 *    key (a mid-stream pickup of an ended connection);
 *  - it is not a TCP SYN and it comes from the address a rule translates to
 *    (ctnic_nat_covers() says REPLY): a connection created from it would
 *    carry no translation and reveal that address.
 * tcp_flags is 0 for UDP and ICMP.
 */
bool ctnic_late_blocks_create(const struct ctnic_late *l, const struct ctnic_key *k,
			      const char *in_if, uint8_t tcp_flags, uint64_t now);

#endif /* CTNIC_LATE_H */
