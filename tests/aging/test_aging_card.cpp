/*
 * test_aging_card - the aging cases of card_cases.c on the RTL card: hw/
 * ctnic_card.v verilated (tests/dma's RtlCard, small tables: 256 flows),
 * so the expiries go from the scanner through the engine's pipeline slots
 * and the DMA engine's event writer into the event ring in host memory.
 * The same cases run on the model: card in test_aging. Prints TAP.
 */
#include <cstdio>
#include <string>

#include "../dma/card.h"

extern "C" {
#include "card_cases.h"
}

namespace {

int n, failed;

/* The scanner needs clocks after time moves: a pass over 256 records is a few hundred. */
void run(void *arg)
{
	auto *card = static_cast<RtlCard *>(arg);

	for (int i = 0; i < 3000; i++)
		card->step();
}

void one(int (*fn)(struct aging_card *), unsigned ev_log2, const char *name)
{
	RtlCard card(1, 0.0, 0);
	struct aging_card c = {};
	bool ok;

	c.run = run;
	c.arg = &card;
	ok = aging_card_open(&c, card.dev(), ev_log2) == 0 && fn(&c) == 0 && card.violations.empty();
	std::printf("%s %d - %s\n", ok ? "ok" : "not ok", ++n, name);
	if (!ok) {
		failed++;
		std::printf("# %s\n", c.why);
		for (const auto &v : card.violations)
			std::printf("# DMA rule: %s\n", v.c_str());
	}
	aging_card_close(&c);
}

} // namespace

int main()
{
	one(aging_case_per_class, 6,
	    "RTL card: per class 0..14 the EXPIRY event (id, class, generation, tick, final counters) comes at the timeout and not one tick earlier; class 15 never");
	one(aging_case_full_ring, 2,
	    "RTL card: 40 flows due with 4 event slots: the scanner holds back, every expiry arrives exactly once as slots free");
	std::printf("1..%d\n", n);
	return failed ? 1 : 0;
}
