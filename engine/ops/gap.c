/* Global average pooling: each channel of each image averaged to 1x1. */
#include <stdio.h>
#include "engine/op.h"

static nf_status shape(const nf_vertex *v, int in_h, int in_w, int *h, int *w)
{
    (void)v; (void)in_h; (void)in_w;
    *h = *w = 1;
    return NF_OK;
}

static void forward(const nf_op_call *c)
{
    const nf_tensor *x = c->x[0];
    size_t area = (size_t)x->h * x->w, planes = (size_t)x->c * x->n;
    for (size_t p = 0; p < planes; p++) {
        const float *xp = x->data + p * area;
        float s = 0.0f;
        for (size_t i = 0; i < area; i++) s += xp[i];
        c->y->data[p] = s / (float)area;
    }
}

static void backward(const nf_op_call *c)
{
    if (!c->dx[0]) return;
    nf_op_dx_begin(c, 0);
    const nf_tensor *x = c->x[0];
    size_t area = (size_t)x->h * x->w, planes = (size_t)x->c * x->n;
    for (size_t p = 0; p < planes; p++) {
        float g = c->dy->data[p] / (float)area;
        float *dxp = c->dx[0]->data + p * area;
        for (size_t i = 0; i < area; i++) dxp[i] += g;
    }
}

static int brief(const nf_vertex *v, char *buf, size_t cap)
{
    (void)v;
    return snprintf(buf, cap, "gap ");
}

const nf_op_def nf_op_gap = {.name = "gap", .kind = NF_KIND_TRANSPARENT, .shape = shape,
                             .forward = forward, .backward = backward, .attrs = nf_op_no_attrs,
                             .flops = nf_op_flops_pass, .brief = brief};
