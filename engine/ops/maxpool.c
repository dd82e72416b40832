/* 2x2 max pooling, stride 2. Backward finds the maximum again from the
 * input rather than keeping argmax indices (saves a buffer per pool). */
#include <stdio.h>
#include "engine/ops/pool2.h"

/* Below this many input floats a pass is not worth a second thread. */
#define PARALLEL_MIN 65536

/* Offset (within the window) of the first maximum of the 2x2 window at x. */
static int argmax4(const float *x, int w)
{
    float a = x[0], b = x[1], c = x[w], d = x[w + 1];
    int i = 0;
    float m = a;
    if (b > m) { m = b; i = 1; }
    if (c > m) { m = c; i = w; }
    if (d > m) { i = w + 1; }
    return i;
}

static void forward(const nf_op_call *c)
{
    const nf_tensor *x = c->x[0];
    nf_tensor *y = c->y;
    long planes = (long)x->c * x->n;
#pragma omp parallel for num_threads(c->threads) if (c->threads > 1 && planes * x->h * x->w > PARALLEL_MIN)
    for (long p = 0; p < planes; p++) {
        const float *xp = x->data + p * x->h * x->w;
        float *yp = y->data + p * y->h * y->w;
        for (int oy = 0; oy < y->h; oy++)
            for (int ox = 0; ox < y->w; ox++) {
                const float *win = xp + 2 * oy * x->w + 2 * ox;
                float a = win[0] > win[1] ? win[0] : win[1], b = win[x->w] > win[x->w + 1] ? win[x->w] : win[x->w + 1];
                yp[oy * y->w + ox] = a > b ? a : b;
            }
    }
}

static void backward(const nf_op_call *c)
{
    if (!c->dx[0]) return;
    const nf_tensor *x = c->x[0], *dy = c->dy;
    int add = c->dx_add[0];
    if (!add && (x->h % 2 || x->w % 2)) { nf_op_dx_begin(c, 0); add = 1; } /* rows or columns no window covers */
    long planes = (long)x->c * x->n;
#pragma omp parallel for num_threads(c->threads) if (c->threads > 1 && planes * x->h * x->w > PARALLEL_MIN)
    for (long p = 0; p < planes; p++) {
        const float *xp = x->data + p * x->h * x->w;
        float *dxp = c->dx[0]->data + p * x->h * x->w;
        const float *dyp = dy->data + p * dy->h * dy->w;
        for (int oy = 0; oy < dy->h; oy++)
            for (int ox = 0; ox < dy->w; ox++) {
                size_t at = (size_t)2 * oy * x->w + 2 * ox;
                int m = argmax4(xp + at, x->w);
                float g = dyp[oy * dy->w + ox];
                if (add) { dxp[at + m] += g; continue; }
                dxp[at] = dxp[at + 1] = dxp[at + x->w] = dxp[at + x->w + 1] = 0.0f;
                dxp[at + m] = g;
            }
    }
}

static int brief(const nf_vertex *v, char *buf, size_t cap)
{
    (void)v;
    return snprintf(buf, cap, "max ");
}

const nf_op_def nf_op_maxpool = {.name = "maxpool", .kind = NF_KIND_TRANSPARENT, .shape = pool2_shape,
                                 .forward = forward, .backward = backward, .attrs = nf_op_no_attrs,
                                 .flops = nf_op_flops_pass, .brief = brief};
