/* Explicit random number streams (xoshiro256**, seeded through splitmix64).
 *
 * Every random draw in nasfit comes from a stream derived from
 * (run seed, id, purpose): the same seed gives the same run whatever the
 * thread count, and a resumed run draws what the uninterrupted one would. */
#ifndef NF_RNG_H
#define NF_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct nf_rng { uint64_t s[4]; /* xoshiro256** state, never all zero */ } nf_rng;

/* What a stream is for; part of its seed so two purposes never share draws. */
typedef enum nf_rng_purpose {
    NF_RNG_INIT = 1,    /* weight initialisation */
    NF_RNG_SHUFFLE,     /* batch order */
    NF_RNG_AUGMENT,     /* data augmentation */
    NF_RNG_DROPOUT,     /* dropout masks */
    NF_RNG_SPLIT,       /* train/validation split */
    NF_RNG_MUTATE,      /* choice and parameters of mutations */
    NF_RNG_SELECT,      /* parent selection */
    NF_RNG_TEST,        /* tests and benchmarks */
} nf_rng_purpose;

/* Seeds r from (seed, id, purpose). */
void nf_rng_seed(nf_rng *r, uint64_t seed, uint64_t id, uint64_t purpose);

uint64_t nf_rng_next(nf_rng *r);
/* Uniform in [0, 1). */
double nf_rng_uniform(nf_rng *r);
/* Uniform integer in [0, n); n > 0. Unbiased. */
uint64_t nf_rng_below(nf_rng *r, uint64_t n);
/* Standard normal. */
double nf_rng_normal(nf_rng *r);
/* Shuffles a[0..n) in place (Fisher-Yates). */
void nf_rng_shuffle(nf_rng *r, int *a, size_t n);

#endif
