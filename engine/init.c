#include "engine/init.h"

#include <math.h>

void nf_init_fill(nf_init rule, float *w, size_t n, double fan_in, double fan_out, nf_rng *rng)
{
    if (fan_in < 1) fan_in = 1;
    if (fan_out < 1) fan_out = 1;
    double uniform_bound = 0, normal_std = 0;
    switch (rule) {
    case NF_INIT_FAN_IN_UNIFORM: uniform_bound = 1.0 / sqrt(fan_in); break;
    case NF_INIT_HE_UNIFORM: uniform_bound = sqrt(6.0 / fan_in); break;
    case NF_INIT_HE_NORMAL: normal_std = sqrt(2.0 / fan_in); break;
    case NF_INIT_GLOROT_UNIFORM: uniform_bound = sqrt(6.0 / (fan_in + fan_out)); break;
    case NF_INIT_GLOROT_NORMAL: normal_std = sqrt(2.0 / (fan_in + fan_out)); break;
    default: break;
    }
    for (size_t i = 0; i < n; i++) {
        if (uniform_bound > 0) w[i] = (float)((2.0 * nf_rng_uniform(rng) - 1.0) * uniform_bound);
        else if (normal_std > 0) w[i] = (float)(nf_rng_normal(rng) * normal_std);
        else w[i] = 0.0f;
    }
}
