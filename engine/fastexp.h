/* exp(x) in float that gcc vectorises inside `#pragma omp simd` loops (a call
 * to libm's expf stays scalar there), for the activations elu, selu,
 * sigmoid and tanh. Relative error at most 2.5e-7 (4 ulp) over [-87, 88]
 * (tests/test_forward.c, activations_match_libm, checks the activations against libm).
 *
 * x = k ln2 + r with |r| <= ln2/2; exp(r) by its Taylor polynomial to r^6
 * (truncation error below 2^-23 relative); 2^k built in the exponent bits.
 * Inputs are clamped to [-87, 88], where 2^k stays a normal float: below,
 * the result is exp(-87) (1.6e-38) instead of something smaller; above,
 * exp(88) (1.7e38) instead of a larger value or infinity. NaN stays NaN
 * (comparisons with NaN are false, so it passes the clamp), without any
 * float-to-int conversion of it. */
#ifndef NF_FASTEXP_H
#define NF_FASTEXP_H

#include <stdint.h>
#include <string.h>

#pragma omp declare simd notinbranch
static inline float nf_fast_exp(float x)
{
    const float round_shift = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    float t = x * 1.44269504088896341f + round_shift;
    float k = t - round_shift;
    float r = x - k * 0.693145751953125f; /* ln 2, split so that k * hi is exact */
    r = r - k * 1.42860682030941723212e-6f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720))))));
    uint32_t tb, sb; /* unsigned: a NaN's bits wrap instead of overflowing */
    memcpy(&tb, &t, sizeof tb);
    sb = (tb - 0x4b400000u + 127u) << 23; /* t's bits minus round_shift's are k; this is 2^k */
    float scale;
    memcpy(&scale, &sb, sizeof scale);
    return p * scale;
}

#endif
