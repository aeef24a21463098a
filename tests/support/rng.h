/* rng: xorshift64*, the small pseudo-random generator of the randomized tests. Each test starts it from
 * a fixed seed of its own, so a failure reproduces run after run. */
#ifndef QMPRACE_TEST_RNG_H
#define QMPRACE_TEST_RNG_H

#include <stdint.h>

struct rng {
    uint64_t state; /* the seed to begin with; never 0 */
};

/* The next number of the sequence. */
uint64_t rng_next(struct rng *r);

#endif
