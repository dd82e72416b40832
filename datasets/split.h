/* Stratified, seeded selections of a data set: the train/validation split
 * and subsampling for quick runs. The same seed always gives the same
 * selection; each class keeps its share. Results keep the source order. */
#ifndef NF_DS_SPLIT_H
#define NF_DS_SPLIT_H

#include <stdint.h>

#include "datasets/dataset.h"

/* Splits full into *train and *val (both new, owned by the caller): from each
 * class, round(count * val_fraction) images chosen at random from the
 * NF_RNG_SPLIT stream of seed go to val, the rest to train (a class never
 * loses its last training image). val_fraction in [0, 1); 0 gives an empty
 * val set. NF_ERR_ARG on a bad fraction. */
nf_status nf_ds_split(const nf_dataset *full, double val_fraction, uint64_t seed, nf_dataset **train,
                      nf_dataset **val);

/* A stratified random subset of `limit` images (all of ds when limit >= n):
 * class quotas proportional to the class sizes (largest remainders get the
 * leftover images). limit > 0. */
nf_status nf_ds_subsample(const nf_dataset *ds, int limit, uint64_t seed, nf_dataset **out);

#endif
