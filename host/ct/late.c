/*
 * late.c - the late-packet rule of issue 5 (ctnic_late.h).
 */
#include "ct/ctnic_late.h"

const char *ctnic_late_action_name(enum ctnic_late_action a)
{
	static const char *const n[] = { "pass", "translate", "drop", "rst" };

	return (unsigned)a < CTNIC_LATE_ACTIONS ? n[a] : "?";
}

void ctnic_ratelimit_init(struct ctnic_ratelimit *r, uint32_t rate, uint64_t window)
{
	r->rate = rate;
	r->window = window ? window : 1;
	r->cur = 0;
	r->used = 0;
}

bool ctnic_ratelimit_take(struct ctnic_ratelimit *r, uint64_t now)
{
	uint64_t w = now / r->window;

	if (w != r->cur) {
		r->cur = w;
		r->used = 0;
	}
	if (r->used >= r->rate)
		return false;
	r->used++;
	return true;
}

enum ctnic_late_action ctnic_late_decide(struct ctnic_late *l, const struct ctnic_key *k,
					 const char *in_if, uint8_t tcp_flags, uint64_t now,
					 struct ctnic_key *out, unsigned *line)
{
	struct ctnic_linger_entry e;
	enum ctnic_dir dir;
	enum ctnic_late_action a;

	if (l->linger && ctnic_linger_lookup(l->linger, k, now, &e, &dir)) {
		if (out)
			*out = ctnic_linger_translate(&e, dir);
		a = CTNIC_LATE_ACT_TRANSLATE;
	} else if (!ctnic_nat_covers(l->rules, k, in_if, l->env, line)) {
		a = CTNIC_LATE_ACT_PASS;
	} else if (l->policy == CTNIC_LATE_RST && k->proto == 6 &&
		   !(tcp_flags & CTNIC_TH_RST)) { /* never answer a RST with one */
		if (ctnic_ratelimit_take(&l->rst_limit, now)) {
			a = CTNIC_LATE_ACT_RST;
		} else {
			l->rst_limited++;
			a = CTNIC_LATE_ACT_DROP;
		}
	} else {
		a = CTNIC_LATE_ACT_DROP;
	}
	l->count[a]++;
	return a;
}

bool ctnic_late_blocks_create(const struct ctnic_late *l, const struct ctnic_key *k,
			      const char *in_if, uint8_t tcp_flags, uint64_t now)
{
	bool syn = k->proto == 6 && ctnic_tcp_flag_class(tcp_flags) == CTNIC_TCP_SYN_SET;
	enum ctnic_dir dir;

	if (l->linger && ctnic_linger_lookup(l->linger, k, now, NULL, &dir) &&
	    (dir == CTNIC_DIR_REPLY || (k->proto == 6 && !syn)))
		return true;
	return !syn && ctnic_nat_covers(l->rules, k, in_if, l->env, NULL) == CTNIC_NAT_COVER_REPLY;
}
