/* Dense (fully connected) layer: y = W x + b, applied at every spatial
 * position, so on [C][N][H][W] it is one GEMM W[nout][nin] x X[nin][N*H*W]
 * (a 1x1 convolution). Parameters: W[nout][nin], then b[nout] if bias. */
#include <stdio.h>
#include <cblas.h>
#include <string.h>

#include "engine/init.h"
#include "engine/op.h"

static size_t n_param(const nf_vertex *v)
{
    return (size_t)v->nout * v->nin + (v->attr.bias ? (size_t)v->nout : 0);
}

static void init(const nf_vertex *v, float *param, float *state, nf_rng *rng)
{
    (void)state;
    nf_init_fill(NF_INIT_HE_UNIFORM, param, (size_t)v->nout * v->nin, v->nin, v->nout, rng);
    if (v->attr.bias) memset(param + (size_t)v->nout * v->nin, 0, (size_t)v->nout * sizeof(float));
}

static void identity(const nf_vertex *v, float *param)
{
    memset(param, 0, n_param(v) * sizeof(float));
    for (int o = 0; o < v->nout; o++) param[(size_t)o * v->nin + o] = 1.0f;
}

static void forward(const nf_op_call *c)
{
    const nf_vertex *v = c->v;
    int positions = (int)nf_tensor_plane(c->x[0]);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, v->nout, positions, v->nin,
                1.0f, c->param, v->nin, c->x[0]->data, positions, 0.0f, c->y->data, positions);
    if (v->attr.bias) nf_op_add_bias(c->y, c->param + (size_t)v->nout * v->nin);
}

static void backward(const nf_op_call *c)
{
    const nf_vertex *v = c->v;
    int positions = (int)nf_tensor_plane(c->x[0]);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, v->nout, v->nin, positions,
                1.0f, c->dy->data, positions, c->x[0]->data, positions, 1.0f, c->grad, v->nin);
    if (v->attr.bias) nf_op_bias_grad(c->dy, c->grad + (size_t)v->nout * v->nin);
    if (c->dx[0])
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, v->nin, positions, v->nout,
                    1.0f, c->param, v->nin, c->dy->data, positions, c->dx_add[0] ? 1.0f : 0.0f,
                    c->dx[0]->data, positions);
}

static int param_blocks(const nf_vertex *v, nf_block *b)
{
    b[0] = (nf_block){.per_out = 1, .per_in = 1, .inner = 1, .fresh = NF_FRESH_RANDOM};
    b[1] = (nf_block){.per_out = 1, .per_in = 0, .inner = 1, .fresh = NF_FRESH_ZERO};
    return v->attr.bias ? 2 : 1;
}

static const nf_attr_desc attrs[] = {NF_ATTR("bias", NF_ATTR_BOOL, bias, 0, 1, 0, NF_ATTR_KEEP, NULL), {NULL}};

static double flops(const nf_vertex *v, const nf_vertex *in)
{
    (void)in;
    return 2.0 * (double)v->nin * v->nout;
}

static int brief(const nf_vertex *v, char *buf, size_t cap) { return snprintf(buf, cap, "d%d ", v->nout); }

const nf_op_def nf_op_dense = {
    .name = "dense", .kind = NF_KIND_LAYER, .n_param = n_param, .init = init,
    .identity = identity, .forward = forward, .backward = backward, .param_blocks = param_blocks,
    .attrs = attrs, .flops = flops, .brief = brief,
};
