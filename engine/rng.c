#include "engine/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void nf_rng_seed(nf_rng *r, uint64_t seed, uint64_t id, uint64_t purpose)
{
    /* Mix the three parts through splitmix64 one after another so that
     * neighbouring ids or purposes give unrelated streams. */
    uint64_t x = seed;
    uint64_t h = splitmix64(&x);
    x = h ^ id;
    h = splitmix64(&x);
    x = h ^ (purpose * 0xD1B54A32D192ED03ull);
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3])) r->s[0] = 1;
}

uint64_t nf_rng_next(nf_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double nf_rng_uniform(nf_rng *r) { return (nf_rng_next(r) >> 11) * 0x1.0p-53; }

uint64_t nf_rng_below(nf_rng *r, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = nf_rng_next(r); while (x >= limit);
    return x % n;
}

double nf_rng_normal(nf_rng *r)
{
    /* Box-Muller; one of the pair is dropped to keep the state simple. */
    double u1 = 1.0 - nf_rng_uniform(r); /* (0, 1] */
    double u2 = nf_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void nf_rng_shuffle(nf_rng *r, int *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = nf_rng_below(r, i);
        int t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}
