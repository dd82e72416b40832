/* Batches for the training loop: float32 [C][N][H][W] tensors of normalised
 * pixels, shuffled per epoch, optionally augmented. */
#ifndef NF_DS_BATCH_H
#define NF_DS_BATCH_H

#include <stdint.h>

#include "datasets/dataset.h"
#include "datasets/normalize.h"
#include "engine/tensor.h"

/* Augmentation, all off by default (flips are wrong for digits or text). */
typedef struct nf_augment {
    int shift; /* pad by `shift` pixels (black) and crop back at a random offset in
                  [-shift, shift] per axis; 0 = off */
    int flip;  /* 1 = mirror horizontally with probability 1/2 */
} nf_augment;

/* Every augmentation off. */
nf_augment nf_augment_defaults(void);

typedef struct nf_batcher nf_batcher;

/* A batcher over ds (borrowed: it must outlive the batcher), normalising
 * with norm (NULL = pixel/255), augmenting with aug (NULL = none), batch
 * images per batch. Random draws come from the NF_RNG_SHUFFLE and
 * NF_RNG_AUGMENT streams of (seed, epoch). Starts at epoch 0 in data set
 * order. NF_ERR_ARG when norm's channels differ from ds's, batch < 1 or the
 * shift is negative or larger than the image. */
nf_status nf_batcher_create(const nf_dataset *ds, const nf_ds_norm *norm, const nf_augment *aug,
                            int batch, uint64_t seed, nf_batcher **out);
/* NULL is a no-op. */
void nf_batcher_destroy(nf_batcher *b);

/* Restarts at the first batch of `epoch`: in data set order, or (shuffle)
 * in an order drawn from (seed, epoch); the augmentation draws of an epoch
 * depend only on (seed, epoch) too, so an epoch can be replayed. */
void nf_batcher_start_epoch(nf_batcher *b, int epoch, int shuffle);

/* Restarts in the shuffled order of `epoch` at position `from`, with the
 * epoch ending before position `to` (both clamped to [0, images]): a slice
 * of the epoch, batched and augmented exactly as the same positions of a
 * whole epoch are. */
void nf_batcher_seek(nf_batcher *b, int epoch, int from, int to);

/* Fills the next k <= batch images of the epoch into x and their labels into
 * labels[0..k) (labels may be NULL) and returns k: 0 at the end of the epoch.
 * x is caller-allocated with x->c, x->h, x->w equal to the data set's and
 * x->n >= batch (its capacity, left unchanged); the k images are written as
 * a packed [C][k][H][W] tensor at x->data, so a partial last batch is the
 * tensor {x->c, k, x->h, x->w, x->data}. Values are (pixel/255 - mean)/std.
 * Returns -1 (NF_ERR_ARG in nf_last_error) when x does not fit. */
int nf_batcher_next(nf_batcher *b, nf_tensor *x, int *labels);
/* nf_batcher_next as the engine's batch source (engine/train.h's
 * nf_batch_source, user = the batcher): the one adapter between them. */
int nf_batcher_source(void *batcher, nf_tensor *x, int *labels);

/* The data set indices of the images of the last batch returned. */
const int *nf_batcher_indices(const nf_batcher *b);
/* Batches per epoch (the last may be partial). */
int nf_batcher_batches(const nf_batcher *b);
/* The data set being batched. */
const nf_dataset *nf_batcher_dataset(const nf_batcher *b);

#endif
