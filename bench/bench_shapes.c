/* Training speed of the shapes a search produces, on one thread (one
 * candidate per thread is how a search runs): the reference CNN and variants
 * of it with other kernel sizes, widths (odd ones too, as the size planner
 * gives), stride-2 downsampling, residual adds, concatenated branches, other
 * activations and a wider dense head. Prints per shape the training images/s
 * on 28x28x1 batches of 64 and the effective GFLOP/s (3 x the forward
 * multiply-adds of its convolutions and dense layers, x 2, per second), so a
 * slow path shows up as a low GFLOP/s next to its neighbours.
 *
 *   bench_shapes [--quick] [SHAPE...]     (only the named shapes, e.g. elu) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/clock.h"
#include "app/session/progress.h"
#include "engine/exec.h"
#include "engine/loss.h"
#include "engine/train.h"

enum { BATCH = 64, SIDE = 28, CLASSES = 10 };

typedef struct shape {
    const char *name;
    int width[4];  /* channels of the four convolutions (two per stage) */
    int kernel;    /* of every convolution */
    int stride2;   /* 1: downsample by the second conv of a stage (stride 2), not max pooling */
    int skip;      /* 1: each stage's second conv block is added to its first */
    int branch;    /* 1: each stage's second conv block is a concat of a k and a 1x1 conv */
    nf_act act;
    int hidden;    /* >0: a dense layer of this width (+ relu) before the output */
} shape;

static const shape shapes[] = {
    {"reference", {32, 32, 64, 64}, 3, 0, 0, 0, NF_ACT_RELU, 0},
    {"kernel_1", {32, 32, 64, 64}, 1, 0, 0, 0, NF_ACT_RELU, 0},
    {"kernel_5", {32, 32, 64, 64}, 5, 0, 0, 0, NF_ACT_RELU, 0},
    {"kernel_7", {32, 32, 64, 64}, 7, 0, 0, 0, NF_ACT_RELU, 0},
    {"narrow", {16, 16, 32, 32}, 3, 0, 0, 0, NF_ACT_RELU, 0},
    {"wide", {64, 64, 128, 128}, 3, 0, 0, 0, NF_ACT_RELU, 0},
    {"odd_widths", {29, 37, 61, 71}, 3, 0, 0, 0, NF_ACT_RELU, 0},
    {"stride_2", {32, 32, 64, 64}, 3, 1, 0, 0, NF_ACT_RELU, 0},
    {"residual", {32, 32, 64, 64}, 3, 0, 1, 0, NF_ACT_RELU, 0},
    {"branched", {32, 32, 64, 64}, 3, 0, 0, 1, NF_ACT_RELU, 0},
    {"elu", {32, 32, 64, 64}, 3, 0, 0, 0, NF_ACT_ELU, 0},
    {"dense_head_256", {32, 32, 64, 64}, 3, 0, 0, 0, NF_ACT_RELU, 256},
};

/* conv -> batchnorm -> act; the act's index, or -1. */
static int block(nf_graph *g, int at, int nout, int kernel, int stride, nf_act act)
{
    at = nf_graph_conv(g, at, nout, kernel, stride, 0);
    if (at >= 0) at = nf_graph_batchnorm(g, at);
    if (at >= 0) at = nf_graph_act(g, at, act);
    return at;
}

/* The second block of a stage, shaped by s; `first` is the stage's first block. */
static int second_block(nf_graph *g, const shape *s, int first, int nout)
{
    int stride = s->stride2 ? 2 : 1;
    if (s->branch) {
        int a = block(g, first, nout / 2, s->kernel, stride, s->act);
        int b = a >= 0 ? block(g, first, nout - nout / 2, 1, stride, s->act) : -1;
        int in[2] = {a, b}, out = -1;
        if (b < 0 || nf_graph_append(g, NF_OP_CONCAT, NULL, 0, in, 2, &out)) return -1;
        return out;
    }
    int at = block(g, first, nout, s->kernel, stride, s->act);
    if (at < 0 || !s->skip) return at;
    int in[2] = {first, at}, out = -1;
    if (nf_graph_append(g, NF_OP_ADD, NULL, 0, in, 2, &out)) return -1;
    return out;
}

static nf_graph *build(const shape *s)
{
    nf_graph *g;
    if (nf_graph_create(1, SIDE, SIDE, &g)) return NULL;
    int at = 0;
    for (int stage = 0; stage < 2 && at >= 0; stage++) {
        int w = s->width[2 * stage], w2 = s->skip ? w : s->width[2 * stage + 1];
        at = block(g, at, w, s->kernel, 1, s->act);
        if (at >= 0) at = second_block(g, s, at, w2);
        if (at >= 0 && !s->stride2) at = nf_graph_unary(g, NF_OP_MAXPOOL, at);
    }
    if (at >= 0) at = nf_graph_unary(g, NF_OP_GAP, at);
    if (at >= 0 && s->hidden) at = nf_graph_dense(g, at, s->hidden, 1);
    if (at >= 0 && s->hidden) at = nf_graph_act(g, at, NF_ACT_RELU);
    if (at >= 0) at = nf_graph_dense(g, at, CLASSES, 1);
    nf_rng rng;
    nf_rng_seed(&rng, 1, 0, NF_RNG_INIT);
    if (at < 0 || nf_graph_layout(g, &rng)) { nf_graph_destroy(g); return NULL; }
    return g;
}

/* Forward multiply-adds per image of the convolutions and dense layers. */
static double forward_macs(const nf_graph *g)
{
    double macs = 0;
    for (int i = 0; i < g->n; i++) {
        const nf_vertex *v = &g->v[i];
        if (v->op == NF_OP_CONV2D)
            macs += (double)v->h * v->w * v->nin * v->nout * v->attr.kernel * v->attr.kernel;
        else if (v->op == NF_OP_DENSE)
            macs += (double)v->nin * v->nout;
    }
    return macs;
}

/* Training images/s of g on one thread, on noise with random labels (speed
 * does not depend on what is learnt). */
static double train_speed(nf_graph *g, double seconds)
{
    nf_exec *e;
    if (nf_exec_create(g, BATCH, &e)) return -1;
    nf_rng rng;
    nf_rng_seed(&rng, 1, 0, NF_RNG_TEST);
    nf_tensor *x = nf_exec_input(e);
    for (size_t i = 0; i < nf_tensor_count(x); i++) x->data[i] = (float)nf_rng_normal(&rng);
    int labels[BATCH];
    for (int i = 0; i < BATCH; i++) labels[i] = (int)nf_rng_below(&rng, CLASSES);
    nf_optim o = nf_optim_defaults(NF_OPTIM_ADAM);
    float loss;
    for (int i = 0; i < 3; i++) /* warm-up */
        if (nf_train_step(e, g, BATCH, labels, &o, &rng, &loss)) { fprintf(stderr, "%s\n", nf_last_error()); exit(1); }
    long steps = 0;
    double t0 = nf_clock(), t;
    do {
        if (nf_train_step(e, g, BATCH, labels, &o, &rng, &loss)) { fprintf(stderr, "%s\n", nf_last_error()); exit(1); }
        steps++;
    } while ((t = nf_clock() - t0) < seconds);
    nf_exec_destroy(e);
    return steps * BATCH / t;
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && !strcmp(argv[1], "--quick");
    double seconds = quick ? 0.2 : 1.5;
    char **only = argv + 1 + quick;
    int n_only = argc - 1 - quick;
    printf("# training on 1 thread, batch %d, %dx%dx1 inputs\n", BATCH, SIDE, SIDE);
    int status = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        int wanted = n_only == 0;
        for (int k = 0; k < n_only; k++) wanted |= !strcmp(only[k], shapes[i].name);
        if (!wanted) continue;
        nf_graph *g = build(&shapes[i]);
        double speed = g ? train_speed(g, seconds) : -1;
        if (speed < 0) {
            fprintf(stderr, "bench_shapes: %s: %s\n", shapes[i].name, nf_last_error());
            status = 1;
        } else {
            printf("shape_%s_train_1t_images_per_s: %.0f  (%zu params, %.1f GFLOP/s)\n", shapes[i].name, speed,
                   nf_graph_param_count(g), 6 * forward_macs(g) * speed * 1e-9);
        }
        nf_graph_destroy(g);
    }
    return status;
}
