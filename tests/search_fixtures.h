/* A tiny image task for the search tests (header only: every
 * tests/test_*.c is its own binary). Include after <cmocka.h>. */
#ifndef NF_TESTS_SEARCH_FIXTURES_H
#define NF_TESTS_SEARCH_FIXTURES_H

#include "datasets/dataset.h"
#include "engine/rng.h"

/* n images of 8x8, 4 classes: class k has a bright bar in quadrant k, on
 * noise that sometimes hides it, so accuracy has room to grow. */
static inline nf_dataset *fx_quadrant_set(int n, uint64_t seed)
{
    nf_dataset *d;
    assert_int_equal(nf_ds_create(n, 1, 8, 8, 4, &d), NF_OK);
    nf_rng r;
    nf_rng_seed(&r, seed, 0, NF_RNG_TEST);
    for (int i = 0; i < n; i++) {
        int k = (int)nf_rng_below(&r, 4), y0 = (k / 2) * 4, x0 = (k % 2) * 4;
        d->labels[i] = k;
        uint8_t *px = d->pixels + (size_t)i * 64;
        for (int p = 0; p < 64; p++) px[p] = (uint8_t)nf_rng_below(&r, 160);
        for (int x = 0; x < 4; x++) px[(y0 + 1 + (int)nf_rng_below(&r, 2)) * 8 + x0 + x] = (uint8_t)(150 + nf_rng_below(&r, 106));
    }
    return d;
}

#endif
