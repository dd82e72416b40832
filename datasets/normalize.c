#include "datasets/normalize.h"

#include <math.h>
#include <stdint.h>

nf_ds_norm nf_ds_norm_identity(int c)
{
    nf_ds_norm n = {.c = c};
    for (int k = 0; k < NF_DS_MAX_CHANNELS; k++) n.std[k] = 1.0f;
    return n;
}

nf_ds_norm nf_ds_normalization(const nf_dataset *train)
{
    nf_ds_norm norm = nf_ds_norm_identity(train->c);
    if (train->n == 0) return norm;
    /* A histogram per channel: one increment per pixel, exact sums after. */
    size_t plane = (size_t)train->h * train->w;
    for (int c = 0; c < train->c; c++) {
        uint64_t hist[256] = {0};
        for (int i = 0; i < train->n; i++) {
            const uint8_t *p = nf_ds_image(train, i) + c * plane;
            for (size_t j = 0; j < plane; j++) hist[p[j]]++;
        }
        double count = (double)plane * train->n, sum = 0, sq = 0;
        for (int v = 0; v < 256; v++) {
            double x = v / 255.0;
            sum += hist[v] * x;
            sq += hist[v] * x * x;
        }
        double mean = sum / count, var = sq / count - mean * mean;
        norm.mean[c] = (float)mean;
        norm.std[c] = var > 1e-12 ? (float)sqrt(var) : 1.0f;
    }
    return norm;
}
