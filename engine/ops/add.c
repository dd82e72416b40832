/* Elementwise sum of inputs of equal shape. */
#include <stdio.h>
#include <string.h>

#include "engine/op.h"

static void forward(const nf_op_call *c)
{
    size_t n = nf_tensor_count(c->y);
    memcpy(c->y->data, c->x[0]->data, n * sizeof(float));
    for (int k = 1; k < c->n_inputs; k++)
        for (size_t i = 0; i < n; i++) c->y->data[i] += c->x[k]->data[i];
}

static void backward(const nf_op_call *c)
{
    size_t n = nf_tensor_count(c->y);
    for (int k = 0; k < c->n_inputs; k++) nf_op_dx_begin(c, k);
    for (int k = 0; k < c->n_inputs; k++)
        if (c->dx[k])
            for (size_t i = 0; i < n; i++) c->dx[k]->data[i] += c->dy->data[i];
}

/* "+" where a brief shows where branches meet. */
static int brief(const nf_vertex *v, char *buf, size_t cap) { return v->n_inputs > 1 ? snprintf(buf, cap, "+ ") : nf_op_brief_none(v, buf, cap); }

const nf_op_def nf_op_add = {.name = "add", .kind = NF_KIND_ADD, .forward = forward, .backward = backward,
                             .attrs = nf_op_no_attrs, .flops = nf_op_flops_pass, .brief = brief};
