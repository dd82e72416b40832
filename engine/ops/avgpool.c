/* 2x2 average pooling, stride 2. */
#include <stdio.h>
#include "engine/ops/pool2.h"

static void forward(const nf_op_call *c)
{
    const nf_tensor *x = c->x[0];
    nf_tensor *y = c->y;
    size_t planes = (size_t)x->c * x->n;
    for (size_t p = 0; p < planes; p++) {
        const float *xp = x->data + p * x->h * x->w;
        float *yp = y->data + p * y->h * y->w;
        for (int oy = 0; oy < y->h; oy++)
            for (int ox = 0; ox < y->w; ox++) {
                const float *win = xp + 2 * oy * x->w + 2 * ox;
                yp[oy * y->w + ox] = 0.25f * (win[0] + win[1] + win[x->w] + win[x->w + 1]);
            }
    }
}

static void backward(const nf_op_call *c)
{
    if (!c->dx[0]) return;
    nf_op_dx_begin(c, 0);
    const nf_tensor *x = c->x[0], *dy = c->dy;
    size_t planes = (size_t)x->c * x->n;
    for (size_t p = 0; p < planes; p++) {
        float *dxp = c->dx[0]->data + p * x->h * x->w;
        const float *dyp = dy->data + p * dy->h * dy->w;
        for (int oy = 0; oy < dy->h; oy++)
            for (int ox = 0; ox < dy->w; ox++) {
                float g = 0.25f * dyp[oy * dy->w + ox];
                float *win = dxp + 2 * oy * x->w + 2 * ox;
                win[0] += g; win[1] += g; win[x->w] += g; win[x->w + 1] += g;
            }
    }
}

static int brief(const nf_vertex *v, char *buf, size_t cap)
{
    (void)v;
    return snprintf(buf, cap, "avg ");
}

const nf_op_def nf_op_avgpool = {.name = "avgpool", .kind = NF_KIND_TRANSPARENT, .shape = pool2_shape,
                                 .forward = forward, .backward = backward, .attrs = nf_op_no_attrs,
                                 .flops = nf_op_flops_pass, .brief = brief};
