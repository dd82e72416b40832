/* The search space the initial population is drawn from: a stem, a few
 * stages of conv blocks (plain, residual or branched), downsampling between
 * stages, global average pooling, a small dense head and the output layer.
 *
 * Kernel sizes are drawn knowingly: bench_shapes measures 5x5 and 7x7
 * convolutions 4-8x slower per image than 3x3 (Winograd), so 3 is the
 * common case and 5 and 7 are rare. */
#ifndef NF_SPACE_H
#define NF_SPACE_H

#include "engine/graph.h"
#include "engine/rng.h"

typedef struct nf_space {
    int min_stages, max_stages;       /* stages of blocks, a downsampling between two (2..3) */
    int min_blocks, max_blocks;       /* blocks per stage (1..2) */
    int min_width, max_width;         /* channels of the first stage (16..32); each later stage doubles */
    int max_dense;                    /* dense layers between pooling and output (0..max; 1) */
    int min_dense_width, max_dense_width; /* their widths (64..256) */
    double kernel_weight[4];          /* relative odds of kernels 1, 3, 5, 7 (0.15, 0.75, 0.08, 0.02) */
    double residual_odds;             /* a block is residual (0.35) ... */
    double branched_odds;             /* ... or branched into a concat (0.2); else plain */
    double other_act_odds;            /* a block's activation is not relu (0.2) */
    double stride_conv_odds;          /* downsampling by a stride-2 conv rather than pooling (0.25) */
} nf_space;

nf_space nf_space_defaults(void);

/* NF_ERR_ARG with the field named when a range is empty or a value is out
 * of what the engine supports. */
nf_status nf_space_check(const nf_space *s);

/* Draws an architecture for c x h x w images and `classes` classes from s
 * with rng, builds it and initialises its weights (from rng too). */
nf_status nf_space_draw(const nf_space *s, int c, int h, int w, int classes, nf_rng *rng, nf_graph **out);

/* A kernel size (1, 3, 5, 7) drawn by s->kernel_weight. */
int nf_space_kernel(const nf_space *s, nf_rng *rng);
/* An activation: relu, or with s->other_act_odds one of leaky relu, elu, selu, tanh. */
nf_act nf_space_act(const nf_space *s, nf_rng *rng);

#endif
