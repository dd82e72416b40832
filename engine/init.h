/* Weight initialisers. fan_in/fan_out count the inputs/outputs of one neuron
 * (a conv's nin*k*k and nout*k*k). */
#ifndef NF_INIT_H
#define NF_INIT_H

#include <stddef.h>

#include "engine/rng.h"

typedef enum nf_init {
    NF_INIT_HE_UNIFORM,     /* U(-b, b), b = sqrt(6 / fan_in): the default for layers */
    NF_INIT_HE_NORMAL,      /* N(0, 2 / fan_in) */
    NF_INIT_GLOROT_UNIFORM, /* U(-b, b), b = sqrt(6 / (fan_in + fan_out)) */
    NF_INIT_GLOROT_NORMAL,  /* N(0, 2 / (fan_in + fan_out)) */
    NF_INIT_ZEROS,
    NF_INIT_COUNT
} nf_init;

/* Fills w[0..n) by the rule. */
void nf_init_fill(nf_init rule, float *w, size_t n, double fan_in, double fan_out, nf_rng *rng);

/* A small random value for a new neuron's incoming weight (surgery). */
float nf_init_small(nf_rng *rng, double fan_in);

#endif
