/* Training one candidate: the search's unit of work.
 *
 * A task is pure: (candidate with its weights, optimiser state and
 * settings; the data; a slice of the endless stream of shuffled training
 * epochs) in, (the trained candidate and its scores) out. It touches
 * nothing shared and nothing global, so tasks run side by side on threads
 * today and could run on other machines. The same task gives the same
 * result, bit for bit, wherever and whenever it runs. */
#ifndef NF_TASK_H
#define NF_TASK_H

#include <stdint.h>

#include "datasets/batch.h"
#include "datasets/dataset.h"
#include "datasets/normalize.h"
#include "nas/candidate.h"

/* What every task reads (borrowed, never written). */
typedef struct nf_data {
    const nf_dataset *train;  /* the search's training part */
    const nf_dataset *val;    /* fitness is measured here */
    nf_ds_norm norm;          /* normalisation of train */
    nf_augment aug;           /* augmentation of training images */
    uint64_t seed;            /* run seed: batch order, augmentation and dropout streams */
} nf_data;

typedef struct nf_task_params {
    int64_t start;            /* first image of the slice in the stream of shuffled epochs */
    int64_t images;           /* images in the slice */
    int generation;           /* the generation it trains for (dropout stream; recorded) */
    int cosine;               /* 1: the learning rate follows a cosine from the candidate's to 0 ... */
    int64_t schedule_done;    /* ... of which this many images are behind the slice's start ... */
    int64_t schedule_images;  /* ... over this many images in all (0: over the slice alone) */
    int val_images;           /* score on the first this many validation images (0: all) */
    double deadline;          /* seconds the task may take, scoring included (0: none): the slice is then
                                 resized as it trains, at the speed measured so far, to end in time
                                 (the cosine follows the new length); only for a time-budgeted final
                                 training, as it depends on the machine's speed */
    int refresh_images;       /* training images batchnorm statistics are re-measured on (1024) */
    float label_smoothing;    /* targets smoothed by this (engine/loss.h; 0: none) */
    double average_share;     /* the weights scored are the mean of those after each step of the slice's
                                 last this share of images (0: the last step's alone) */
    double param_penalty;     /* fitness -= this x parameters / 1e6 (0) */
    double flops_penalty;     /* fitness -= this x forward MFLOPs per image / 100 (0) */
    double time_penalty;      /* fitness -= this x log2(predicted training seconds per image / 1 ms), when above 1 ms (0.004) */
    int threads;              /* threads of one pass (1 inside a parallel loop) */
    int (*threads_now)(void *user); /* if set, polled every step: threads for the next pass */
    void *threads_user;
    int (*stop)(void *user);  /* polled every step; nonzero interrupts (may be NULL) */
    void *stop_user;
    void (*progress)(void *user, int64_t done, int64_t total); /* after every step (may be NULL) */
    void *progress_user;
} nf_task_params;

nf_task_params nf_task_defaults(void);

/* Where a task's time went. */
typedef struct nf_task_out {
    double seconds;              /* the whole task, on the clock */
    double score_seconds;        /* of which batchnorm re-measurement and validation */
    double worker_seconds;       /* the whole task in workers' time: a thread lent by */
    double score_worker_seconds; /* an idle worker counts as its time (threads_now) */
} nf_task_out;

/* Trains c on the slice, re-measures its batchnorm statistics and scores
 * it on d->val. A candidate whose loss stops being finite is marked
 * NF_CAND_FAILED with the reason and the worst fitness, and NF_OK is
 * returned: the search goes on. Errors: NF_ERR_NOMEM, NF_ERR_INTERRUPTED
 * (the candidate is then as it was trained so far: not usable). */
nf_status nf_task_train(nf_candidate *c, const nf_data *d, const nf_task_params *p);
/* The same, telling where the time went (out may be NULL). */
nf_status nf_task_run(nf_candidate *c, const nf_data *d, const nf_task_params *p, nf_task_out *out);


/* Accuracy of g on every image of ds (batchnorm in inference mode). */
nf_status nf_task_accuracy(nf_graph *g, const nf_dataset *ds, const nf_ds_norm *norm, int batch, int threads,
                           double *accuracy);

#endif
