/* Weight initialisers. fan_in/fan_out count the inputs/outputs of one neuron
 * (a conv's nin*k*k and nout*k*k). */
#ifndef NF_INIT_H
#define NF_INIT_H

#include <stddef.h>

#include "engine/rng.h"

typedef enum nf_init {
    NF_INIT_FAN_IN_UNIFORM, /* U(-b, b), b = 1 / sqrt(fan_in): PyTorch's default; conv2d's */
    NF_INIT_HE_UNIFORM,     /* U(-b, b), b = sqrt(6 / fan_in): dense's default */
    NF_INIT_HE_NORMAL,      /* N(0, 2 / fan_in) */
    NF_INIT_GLOROT_UNIFORM, /* U(-b, b), b = sqrt(6 / (fan_in + fan_out)) */
    NF_INIT_GLOROT_NORMAL,  /* N(0, 2 / (fan_in + fan_out)) */
    NF_INIT_ZEROS,
    NF_INIT_COUNT
} nf_init;

/* Why two defaults. A conv sits in front of a batchnorm in nasfit's
 * networks: the scale of its weights does not change what it computes, but
 * Adam's steps have a fixed size, so larger weights learn more slowly. With
 * He's bound (2.45x larger) the reference CNN's epoch-1 loss was 0.597,
 * with fan-in uniform 0.573-0.583, as PyTorch's 0.578-0.587. A dense layer
 * has no batchnorm in front (a head, an MLP): He keeps a ReLU layer's
 * signal, and on the pruning test (tests/test_mutate.c, 20 seeds) pruning
 * by neuron value beat random pruning 17 times with He, 6 with fan-in. */

/* Fills w[0..n) by the rule. */
void nf_init_fill(nf_init rule, float *w, size_t n, double fan_in, double fan_out, nf_rng *rng);

#endif
