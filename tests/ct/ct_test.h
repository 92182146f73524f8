/*
 * ct_test.h - helpers shared by the host/ct tests: tuples, and the seed of
 * random tests (printed, replayable from argv[1] or CTNIC_SEED).
 */
#ifndef CT_TEST_H
#define CT_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ctnic_flow.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static inline struct ctnic_key key(uint8_t proto, uint32_t s, uint16_t sp, uint32_t d, uint16_t dp)
{
	struct ctnic_key k = { .saddr = s, .daddr = d, .sport = sp, .dport = dp, .proto = proto };

	return k;
}

/* The run's seed: argv[1], else $CTNIC_SEED, else the time; printed as a TAP comment. */
static inline uint64_t ct_test_seed(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : getenv("CTNIC_SEED");
	uint64_t seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);

	printf("# seed %llu (replay: %s %llu)\n", (unsigned long long)seed, argv[0],
	       (unsigned long long)seed);
	fflush(stdout);
	return seed;
}

/* xorshift64 over a state the test owns. */
static inline uint32_t ct_rand(uint64_t *s, uint32_t n)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s % n);
}

#endif /* CT_TEST_H */
