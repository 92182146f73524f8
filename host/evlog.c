/*
 * evlog.c - the connection event ring (evlog.h).
 */
#include <stdlib.h>

#include "evlog.h"

const char *ctnicd_ev_type_name(enum ctnicd_ev_type t)
{
	static const char *const n[] = { "NEW", "UPDATE", "DESTROY" };

	return (unsigned)t < 3 ? n[t] : "?";
}

const char *ctnicd_end_why_name(enum ctnicd_end_why w)
{
	static const char *const n[] = { "expired", "rst", "reopen", "early_drop", "deleted" };

	return (unsigned)w < CTNICD_END_WHYS ? n[w] : "?";
}

int ctnicd_evlog_start(struct ctnicd_evlog *l)
{
	if (!l->e)
		l->e = calloc(CTNICD_EVLOG_SIZE, sizeof(*l->e));
	return l->e ? 0 : -1;
}

void ctnicd_evlog_free(struct ctnicd_evlog *l)
{
	free(l->e);
	l->e = NULL;
}

void ctnicd_evlog_add(struct ctnicd_evlog *l, const struct ctnicd_ev *ev)
{
	struct ctnicd_ev *slot;

	if (!l->e)
		return;
	slot = &l->e[l->next % CTNICD_EVLOG_SIZE];
	*slot = *ev;
	slot->seq = l->next++;
}

uint64_t ctnicd_evlog_first(const struct ctnicd_evlog *l)
{
	return l->next > CTNICD_EVLOG_SIZE ? l->next - CTNICD_EVLOG_SIZE : 0;
}

const struct ctnicd_ev *ctnicd_evlog_get(const struct ctnicd_evlog *l, uint64_t seq)
{
	if (!l->e || seq >= l->next || seq < ctnicd_evlog_first(l))
		return NULL;
	return &l->e[seq % CTNICD_EVLOG_SIZE];
}
