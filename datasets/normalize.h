/* Per-channel normalisation statistics, computed on the training part only
 * (never on validation or test images). */
#ifndef NF_DS_NORMALIZE_H
#define NF_DS_NORMALIZE_H

#include "datasets/dataset.h"

typedef struct nf_ds_norm {
    int c;                           /* channels */
    float mean[NF_DS_MAX_CHANNELS];  /* mean of pixel/255 per channel */
    float std[NF_DS_MAX_CHANNELS];   /* population standard deviation of pixel/255; 1 if 0 */
} nf_ds_norm;

/* The mean and standard deviation of pixel/255 per channel of train. An
 * empty set gives mean 0, std 1. */
nf_ds_norm nf_ds_normalization(const nf_dataset *train);

/* The identity normalisation for c channels (mean 0, std 1). */
nf_ds_norm nf_ds_norm_identity(int c);

#endif
