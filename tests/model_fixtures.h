/* A network with every op kind, every conv kernel (1, 3, 5, 7) at stride 1
 * and 2, every activation, both poolings (on odd sizes too), global average
 * pooling, dense on a spatial map and on a vector, concat, add of four
 * branches and dropout; with weights and batchnorm statistics moved away
 * from their initial values so that nothing is trivially the identity.
 * Header only: used by the cmocka tests and by the ONNX fixture program. */
#ifndef NF_TESTS_MODEL_FIXTURES_H
#define NF_TESTS_MODEL_FIXTURES_H

#include "engine/graph.h"

static inline int fx_conv_bn_act(nf_graph *g, int at, int nout, int k, int s, int bias, int bn, nf_act act)
{
    at = nf_graph_conv(g, at, nout, k, s, bias);
    if (bn && at >= 0) at = nf_graph_batchnorm(g, at);
    return at >= 0 ? nf_graph_act(g, at, act) : -1;
}

/* Builds the body; returns the last vertex index or -1. Needs h, w >= 16. */
static inline int fx_every_op_body(nf_graph *g, int classes)
{
    int a = fx_conv_bn_act(g, 0, 8, 3, 1, 1, 1, NF_ACT_RELU);
    int b = fx_conv_bn_act(g, a, 8, 5, 2, 0, 1, NF_ACT_LEAKY_RELU);
    int c = fx_conv_bn_act(g, b, 8, 7, 1, 1, 0, NF_ACT_ELU);
    int d = fx_conv_bn_act(g, b, 6, 1, 1, 0, 0, NF_ACT_SELU);
    int cd[2] = {c, d}, e = -1;
    if (c < 0 || d < 0 || nf_graph_append(g, NF_OP_CONCAT, NULL, 0, cd, 2, &e)) return -1;
    e = nf_graph_unary(g, NF_OP_MAXPOOL, e);
    int br[4] = {fx_conv_bn_act(g, e, 12, 3, 2, 1, 0, NF_ACT_SIGMOID),
                 fx_conv_bn_act(g, e, 12, 5, 2, 0, 1, NF_ACT_TANH),
                 fx_conv_bn_act(g, e, 12, 7, 2, 1, 0, NF_ACT_IDENTITY),
                 nf_graph_conv(g, e, 12, 1, 2, 0)}, sum = -1;
    if (br[0] < 0 || br[1] < 0 || br[2] < 0 || br[3] < 0 || nf_graph_append(g, NF_OP_ADD, NULL, 0, br, 4, &sum))
        return -1;
    int p = nf_graph_unary(g, NF_OP_AVGPOOL, sum);
    int dn = nf_graph_act(g, nf_graph_dense(g, p, 10, 1), NF_ACT_RELU);  /* dense at every position */
    int dr = nf_graph_unary(g, NF_OP_DROPOUT, dn);
    int gap = nf_graph_unary(g, NF_OP_GAP, dr);
    int h1 = nf_graph_act(g, nf_graph_batchnorm(g, nf_graph_dense(g, gap, 16, 0)), NF_ACT_RELU);
    return h1 < 0 ? -1 : nf_graph_dense(g, h1, classes, 1);
}

/* Moves every parameter by noise and gives the batchnorms running means
 * and variances of their own. */
static inline void fx_perturb(nf_graph *g, nf_rng *rng)
{
    for (size_t i = 0; i < g->n_param; i++) g->param[i] += (float)(0.2 * nf_rng_normal(rng));
    for (int i = 0; i < g->n; i++) {
        const nf_vertex *v = &g->v[i];
        if (v->op != NF_OP_BATCHNORM) continue;
        for (int k = 0; k < v->nout; k++) {
            g->state[v->state_off + k] = (float)(0.3 * nf_rng_normal(rng));
            g->state[v->state_off + v->nout + k] = (float)(0.5 + nf_rng_uniform(rng));
        }
    }
}

/* The whole network for c x h x w images; NULL on failure. */
static inline nf_graph *fx_every_op(int c, int h, int w, int classes, uint64_t seed)
{
    nf_graph *g;
    nf_rng rng;
    nf_rng_seed(&rng, seed, 0, NF_RNG_TEST);
    if (nf_graph_create(c, h, w, &g)) return NULL;
    if (fx_every_op_body(g, classes) < 0 || nf_graph_layout(g, &rng)) {
        nf_graph_destroy(g);
        return NULL;
    }
    fx_perturb(g, &rng);
    return g;
}

#endif
