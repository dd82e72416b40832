#include "engine/models.h"

/* conv k x k (no bias) -> batchnorm -> relu; returns the relu's index or -1. */
static int conv_bn_relu(nf_graph *g, int at, int nout)
{
    at = nf_graph_conv(g, at, nout, 3, 1, 0);
    if (at >= 0) at = nf_graph_batchnorm(g, at);
    if (at >= 0) at = nf_graph_act(g, at, NF_ACT_RELU);
    return at;
}

nf_status nf_model_reference_cnn(int c, int h, int w, int classes, nf_rng *rng, nf_graph **out)
{
    nf_graph *g;
    nf_status st = nf_graph_create(c, h, w, &g);
    if (st) return st;
    int at = conv_bn_relu(g, 0, 32);
    if (at >= 0) at = conv_bn_relu(g, at, 32);
    if (at >= 0) at = nf_graph_unary(g, NF_OP_MAXPOOL, at);
    if (at >= 0) at = conv_bn_relu(g, at, 64);
    if (at >= 0) at = conv_bn_relu(g, at, 64);
    if (at >= 0) at = nf_graph_unary(g, NF_OP_MAXPOOL, at);
    if (at >= 0) at = nf_graph_unary(g, NF_OP_GAP, at);
    if (at >= 0) at = nf_graph_dense(g, at, classes, 1);
    st = at < 0 ? NF_ERR_GRAPH : nf_graph_layout(g, rng);
    if (st) { nf_graph_destroy(g); return st; }
    *out = g;
    return NF_OK;
}
