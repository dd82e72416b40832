/* Training and evaluation loops over batches supplied by the caller, so the
 * engine needs to know nothing of data sets. */
#ifndef NF_TRAIN_H
#define NF_TRAIN_H

#include "engine/exec.h"
#include "engine/optim.h"

/* Fills x (capacity x->n images) and labels with the next batch; returns the
 * number of images put, 0 when the epoch is over, -1 on failure (detail in
 * nf_last_error): the loops then stop with NF_ERR_ARG quoting it. */
typedef int (*nf_batch_source)(void *user, nf_tensor *x, int *labels);

/* Called after every training step (numbered from 1) of n images with its
 * mean loss (for progress, deadlines); may be NULL. A non-zero return
 * stops the epoch (NF_ERR_INTERRUPTED). */
typedef int (*nf_step_hook)(void *user, long step, int n, float loss);

typedef struct nf_train_params {
    nf_optim optim;        /* optimiser and learning rate */
    int value_every;       /* record neuron values every this many steps (0: never; default 8) */
    float value_decay;     /* their moving-average decay (0.9) */
    nf_step_hook hook;     /* progress callback, may be NULL */
    void *hook_user;
    /* If set, the learning rate of each step (numbered from 1 within the
     * epoch) instead of optim.lr: a schedule. */
    float (*rate)(void *user, long step);
    void *rate_user;
    float label_smoothing; /* nf_loss_xent_smoothed's smoothing (0: plain cross-entropy) */
} nf_train_params;

nf_train_params nf_train_defaults(void);

/* One step on the first n images of the executor's input: forward, loss,
 * backward, optimiser step. Writes the batch's mean loss to *loss.
 * NF_ERR_ARG (a label outside the classes, bad n) or NF_ERR_GRAPH (e made
 * for another shape of g), nothing changed then. */
nf_status nf_train_step(nf_exec *e, nf_graph *g, int n, const int *labels, const nf_optim *o,
                        nf_rng *rng, float *loss);

/* A pass over every batch of source. mean_loss (may be NULL) receives the
 * mean training loss over the images seen. Stops at the first step whose
 * loss is not finite with NF_ERR_DIVERGED (the weights are then not usable;
 * the detail names the step), rather than training on for nothing. */
nf_status nf_train_epoch(nf_exec *e, nf_graph *g, nf_batch_source source, void *user,
                         const nf_train_params *p, nf_rng *rng, double *mean_loss);

/* Fraction of images classified right over every batch of source (batch
 * statistics off), and their mean loss (either may be NULL). */
nf_status nf_evaluate(nf_exec *e, nf_graph *g, nf_batch_source source, void *user,
                 double *accuracy, double *mean_loss);

/* Recomputes every batchnorm's running statistics as the plain average of
 * the statistics of up to max_batches training-mode batches of source at
 * the current weights. The moving averages kept during training lag behind
 * weights that change every step: on the reference CNN after one epoch of
 * Fashion-MNIST this moved test accuracy from 0.77-0.85 (seed to seed) to
 * 0.853-0.855. Weights are not touched. */
nf_status nf_refresh_batchnorm(nf_exec *e, nf_graph *g, nf_batch_source source, void *user, int max_batches);

#endif
