/* What a candidate costs, computed from its architecture alone (so the
 * guards decide the same way on every machine and at every resume), and
 * the limits a search keeps every candidate within. */
#ifndef NF_COST_H
#define NF_COST_H

#include <stdint.h>

#include "engine/graph.h"

typedef struct nf_cost {
    int64_t params;            /* trainable parameters */
    double flops;              /* forward FLOPs per image (a training step is about 3x) */
    double activation_bytes;   /* bytes per image of outputs and gradients a training step holds */
} nf_cost;

/* g checked and laid out. */
nf_cost nf_cost_of(const nf_graph *g);

/* Predicted seconds of one training step's work per image (forward and
 * backward) on one thread: a per-op speed model (docs/search.md), from the
 * architecture alone so that every machine and every resume decides the
 * same way. Large kernels cost more per FLOP than 3x3 ones (bench_shapes:
 * 5x5 and 7x7 take 4.6x and 8.8x a 3x3's time, for 2.8x and 5.4x its FLOPs). */
double nf_cost_train_seconds(const nf_graph *g);

typedef struct nf_limits {
    int64_t max_params;        /* 0: none */
    double max_mflops;         /* forward MFLOPs per image; 0: none */
    double max_memory_mb;      /* activation memory of one training batch, MB; 0: none */
    int max_width;             /* largest nout of a layer; 0: none */
} nf_limits;

/* The ceiling of any graph the mutation core builds, whatever a search
 * allows: 8192 neurons in a vertex (8x the widest layer of common CNNs)
 * and 2^27 parameters (4 buffers of 512 MiB: weights, gradients, two
 * moments, what a workstation can train one candidate of). */
nf_limits nf_limits_ceiling(void);

/* 600,000 parameters (a run file keeps about 16 bytes per parameter of
 * each living candidate: this keeps an 8-hour run's file under 100 MB),
 * 150 MFLOPs per image, 1,024 MB per batch, 256 neurons. */
nf_limits nf_limits_defaults(void);

/* NF_OK when a candidate of this architecture training with batch fits;
 * else NF_ERR_ARG naming the limit it passes. */
nf_status nf_limits_check(const nf_limits *l, const nf_graph *g, int batch);

#endif
