/* The data pipeline `nasfit fit` runs and `nasfit data` shows: load, limit
 * the training images, split off validation, normalise on train only. One
 * function, so `nasfit data` describes exactly what fit will train on. */
#ifndef NF_DS_PREPARE_H
#define NF_DS_PREPARE_H

#include <stdint.h>

#include "datasets/dataset.h"
#include "datasets/load.h"
#include "datasets/normalize.h"

typedef struct nf_ds_prepare_options {
    nf_ds_load_options load; /* how to load (nf_ds_load_defaults()) */
    double val_fraction;     /* share of each class held out for validation (0.1) */
    uint64_t seed;           /* run seed for the split and the subsample (1) */
    int train_limit;         /* 0 = all; else use only this many images of the training
                                file (stratified), before the validation split */
} nf_ds_prepare_options;

nf_ds_prepare_options nf_ds_prepare_defaults(void);

typedef struct nf_ds_splits {
    nf_dataset *train; /* what the search trains on; owned */
    nf_dataset *val;   /* what fitness is measured on; owned (may be empty) */
    nf_dataset *test;  /* the format's test set, never used by the search; owned or NULL */
    nf_ds_norm norm;   /* statistics of train */
} nf_ds_splits;

/* Loads spec (see nf_ds_load) and prepares it. */
nf_status nf_ds_prepare(const char *spec, const nf_ds_prepare_options *opt, nf_ds_splits *out);
/* Frees the three sets and zeroes out; NULL is a no-op. */
void nf_ds_splits_free(nf_ds_splits *s);

#endif
