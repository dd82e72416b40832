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

static_assert(sizeof nf_op_table / sizeof nf_op_table[0] == NF_OP_COUNT,
              "the op table must cover every nf_op");
