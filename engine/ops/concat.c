/* Concatenation along channels: the inputs' channel blocks one after
 * another, in input order. In [C][N][H][W] each input is one contiguous
 * block, so this is a sequence of memcpy. */
#include <stdio.h>
#include <string.h>

#include "engine/op.h"

static void forward(const nf_op_call *c)
{
    float *y = c->y->data;
    for (int k = 0; k < c->n_inputs; k++) {
        size_t n = nf_tensor_count(c->x[k]);
        memcpy(y, c->x[k]->data, n * sizeof(float));
        y += n;
    }
}

static void backward(const nf_op_call *c)
{
    const float *dy = c->dy->data;
    for (int k = 0; k < c->n_inputs; k++) {
        size_t n = nf_tensor_count(c->x[k]);
        nf_op_dx_begin(c, k);
        if (c->dx[k])
            for (size_t i = 0; i < n; i++) c->dx[k]->data[i] += dy[i];
        dy += n;
    }
}

static int brief(const nf_vertex *v, char *buf, size_t cap) { return v->n_inputs > 1 ? snprintf(buf, cap, "| ") : nf_op_brief_none(v, buf, cap); }

const nf_op_def nf_op_concat = {.name = "concat", .kind = NF_KIND_CONCAT, .forward = forward, .backward = backward,
                                .attrs = nf_op_no_attrs, .flops = nf_op_flops_pass, .brief = brief};
