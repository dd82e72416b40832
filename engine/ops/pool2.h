/* Shared by the 2x2 stride-2 poolings: output size floor(in / 2). */
#ifndef NF_POOL2_H
#define NF_POOL2_H

#include "engine/op.h"

static inline nf_status pool2_shape(const nf_vertex *v, int in_h, int in_w, int *h, int *w)
{
    if (in_h < 2 || in_w < 2)
        return nf_fail(NF_ERR_GRAPH, "vertex id %d (%s): input %dx%d is too small to pool 2x2",
                       v->id, nf_op_name(v->op), in_h, in_w);
    *h = in_h / 2;
    *w = in_w / 2;
    return NF_OK;
}

#endif
