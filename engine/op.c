#include "engine/op.h"

#include <assert.h>
#include <string.h>

const nf_op_def *const nf_op_table[NF_OP_COUNT] = {
    [NF_OP_INPUT] = &nf_op_input,
    [NF_OP_CONV2D] = &nf_op_conv2d,
    [NF_OP_DENSE] = &nf_op_dense,
    [NF_OP_BATCHNORM] = &nf_op_batchnorm,
    [NF_OP_ACT] = &nf_op_act,
    [NF_OP_MAXPOOL] = &nf_op_maxpool,
    [NF_OP_AVGPOOL] = &nf_op_avgpool,
    [NF_OP_GAP] = &nf_op_gap,
    [NF_OP_DROPOUT] = &nf_op_dropout,
    [NF_OP_CONCAT] = &nf_op_concat,
    [NF_OP_ADD] = &nf_op_add,
};

void nf_op_dx_begin(const nf_op_call *c, int k)
{
    if (c->dx[k] && !c->dx_add[k]) memset(c->dx[k]->data, 0, nf_tensor_count(c->dx[k]) * sizeof(float));
}

void nf_op_add_bias(nf_tensor *y, const float *b)
{
    size_t plane = nf_tensor_plane(y);
    for (int o = 0; o < y->c; o++) {
        float *row = y->data + (size_t)o * plane;
        for (size_t p = 0; p < plane; p++) row[p] += b[o];
    }
}

void nf_op_bias_grad(const nf_tensor *dy, float *db)
{
    size_t plane = nf_tensor_plane(dy);
    for (int o = 0; o < dy->c; o++) {
        const float *row = dy->data + (size_t)o * plane;
        float s = 0.0f;
        for (size_t p = 0; p < plane; p++) s += row[p];
        db[o] += s;
    }
}

static_assert(sizeof nf_op_table / sizeof nf_op_table[0] == NF_OP_COUNT,
              "the op table must cover every nf_op");
