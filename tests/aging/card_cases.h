/*
 * card_cases.h - aging cases run on any card behind libctnic (the model:
 * card in test_aging, the verilated ctnic_card of tests/dma in
 * test_aging_card): command ring in, event ring out, BAR0 for the rest.
 */
#ifndef CTNIC_TEST_AGING_CARD_CASES_H
#define CTNIC_TEST_AGING_CARD_CASES_H

#include "ctnic.h"
#include "ctnic_ring.h"

#ifdef __cplusplus
extern "C" {
#endif

struct aging_card {
	struct ctnic_dev *dev;
	struct ctnic_dma_pool *pool;
	struct ctnic_ring *cmd, *ev;
	/* lets the card run after time moved (the RTL needs clocks to scan; NULL: the model) */
	void (*run)(void *arg);
	void *arg;
	char why[512];
};

/* Command and event rings on dev (2^ev_log2 event slots), TICK_PERIOD 0. 0, or -1 and why. */
int aging_card_open(struct aging_card *c, struct ctnic_dev *dev, unsigned ev_log2);
void aging_card_close(struct aging_card *c);

/*
 * Per class 0..14 (timeouts ascending, class 15 at 0): one tick before the
 * timeout no event and the record valid; at the timeout the EXPIRY event
 * (flow id, class, generation, tick, the record with its final counters)
 * and the record invalid; class 15 never. 0, or -1 and why.
 */
int aging_case_per_class(struct aging_card *c);

/*
 * 40 flows due at once with 4 event slots: the scanner stops short of
 * retiring them all (nothing retired without room for its event), and as
 * the host frees slots every expiry arrives exactly once. 0, or -1 and why.
 */
int aging_case_full_ring(struct aging_card *c);

#ifdef __cplusplus
}
#endif

#endif
