/* 2-D convolution, odd square kernel k (1..7), stride 1 or 2, "same"
 * padding k/2 (output ceil(in/stride)), optional bias.
 *
 * 3x3 stride-1 convs go through Winograd F(2x2,3x3) (winograd.c: 2.25x
 * fewer multiplications, no column buffer). The others: on [C][N][H][W] a
 * convolution is W[nout][nin*k*k] x cols[nin*k*k][N*Ho*Wo] (im2col). The
 * batch is cut into NF_SLICES slices (one per thread), each processed in
 * chunks of images so the column buffer stays bounded
 * (the tuning's col_floats); each chunk's GEMM writes straight into
 * its part of the output.
 * Parameters: W[nout][nin][k][k], then b[nout] if bias. */
#include <stdio.h>
#include <cblas.h>
#include <string.h>

#include "engine/init.h"
#include "engine/op.h"
#include "engine/ops/winograd.h"

nf_conv_tuning nf_conv_tuning_default(void)
{
    return (nf_conv_tuning){.winograd = 1, .wino_min_in = 4, .wino_tiles = 192, .col_floats = 1 << 20};
}

typedef struct geometry {
    int c, n, h, w;       /* input */
    int ho, wo;           /* output spatial size */
    int k, stride, pad;   /* kernel */
    int rows;             /* c * k * k */
    int chunk;            /* images per column buffer */
} geometry;

static geometry geometry_of(const nf_vertex *v, int n, int h, int w, const nf_conv_tuning *t)
{
    geometry g = {.c = v->nin, .n = n, .h = h, .w = w, .k = v->attr.kernel,
                  .stride = v->attr.stride, .pad = v->attr.kernel / 2};
    g.ho = (h - 1) / g.stride + 1;
    g.wo = (w - 1) / g.stride + 1;
    g.rows = g.c * g.k * g.k;
    size_t per_image = (size_t)g.rows * g.ho * g.wo;
    size_t chunk = per_image ? (size_t)t->col_floats / per_image : 1;
    int per_slice = (n + NF_SLICES - 1) / NF_SLICES;
    if (per_slice < 1) per_slice = 1;
    g.chunk = chunk < 1 ? 1 : chunk > (size_t)per_slice ? per_slice : (int)chunk;
    return g;
}

static size_t weight_count(const nf_vertex *v)
{
    return (size_t)v->nout * v->nin * v->attr.kernel * v->attr.kernel;
}

static size_t n_param(const nf_vertex *v) { return weight_count(v) + (v->attr.bias ? (size_t)v->nout : 0); }

static nf_status shape(const nf_vertex *v, int in_h, int in_w, int *h, int *w)
{
    *h = (in_h - 1) / v->attr.stride + 1;
    *w = (in_w - 1) / v->attr.stride + 1;
    return NF_OK;
}

/* A 1x1 stride-1 convolution's input is its own column matrix: row c of
 * images [n0, n0+nb) is x + (c*n + n0)*area, rows n*area apart, so the GEMMs
 * read x and write dx directly, with no im2col, col2im or zeroing. */
static int direct(const geometry *g) { return g->k == 1 && g->stride == 1; }

/* Floats of one column buffer (none when direct). */
static size_t col_floats(const geometry *g)
{
    return direct(g) ? 0 : (size_t)g->rows * g->chunk * g->ho * g->wo;
}

/* Per slice: columns, their gradient, a partial weight gradient. */
static size_t slice_floats(const nf_vertex *v, const geometry *g)
{
    return 2 * col_floats(g) + weight_count(v);
}

static size_t work_floats(const nf_vertex *v, int n, int h, int w, const nf_conv_tuning *t)
{
    if (nf_wino_applies(v, h, w, t)) return nf_wino_work_floats(v, n, h, w, t);
    geometry g = geometry_of(v, n, h, w, t);
    return NF_SLICES * slice_floats(v, &g);
}

static void init(const nf_vertex *v, float *param, float *state, nf_rng *rng)
{
    (void)state;
    int kk = v->attr.kernel * v->attr.kernel;
    nf_init_fill(NF_INIT_FAN_IN_UNIFORM, param, weight_count(v), (double)v->nin * kk, (double)v->nout * kk, rng);
    if (v->attr.bias) memset(param + weight_count(v), 0, (size_t)v->nout * sizeof(float));
}

static void identity(const nf_vertex *v, float *param)
{
    int k = v->attr.kernel, centre = (k / 2) * k + k / 2;
    memset(param, 0, n_param(v) * sizeof(float));
    for (int o = 0; o < v->nout; o++) param[((size_t)o * v->nin + o) * k * k + centre] = 1.0f;
}

/* The output columns [lo, hi) whose input column ox*stride - pad + kx lies
 * inside the image (0 <= ix < w); the others read padding. */
static void valid_columns(const geometry *g, int kx, int *lo, int *hi)
{
    int first = g->pad - kx, last = g->w - 1 + g->pad - kx; /* ox*stride must lie in [first, last] */
    *lo = first > 0 ? (first + g->stride - 1) / g->stride : 0;
    *hi = last < 0 ? 0 : last / g->stride + 1;
    if (*lo > g->wo) *lo = g->wo; /* an image narrower than the kernel's reach */
    if (*hi > g->wo) *hi = g->wo;
    if (*hi < *lo) *hi = *lo;
}

/* cols[(c*k+ky)*k+kx][i*ho*wo + oy*wo + ox] = x[c][n0+i][oy*s-p+ky][ox*s-p+kx] (0 outside). */
static void im2col(const geometry *g, const float *x, int n0, int nb, float *cols)
{
    size_t row_len = (size_t)nb * g->ho * g->wo;
    int s = g->stride;
    for (int c = 0; c < g->c; c++)
        for (int ky = 0; ky < g->k; ky++)
            for (int kx = 0; kx < g->k; kx++) {
                float *row = cols + ((size_t)(c * g->k + ky) * g->k + kx) * row_len;
                int lo, hi, off = kx - g->pad;
                valid_columns(g, kx, &lo, &hi);
                for (int i = 0; i < nb; i++) {
                    const float *plane = x + ((size_t)c * g->n + n0 + i) * g->h * g->w;
                    for (int oy = 0; oy < g->ho; oy++) {
                        int iy = oy * s - g->pad + ky;
                        float *out = row + ((size_t)i * g->ho + oy) * g->wo;
                        if (iy < 0 || iy >= g->h) { memset(out, 0, (size_t)g->wo * sizeof(float)); continue; }
                        const float *line = plane + (size_t)iy * g->w;
                        for (int ox = 0; ox < lo; ox++) out[ox] = 0.0f;
                        if (s == 1) {
                            if (hi > lo) memcpy(out + lo, line + lo + off, (size_t)(hi - lo) * sizeof(float));
                        } else
                            for (int ox = lo; ox < hi; ox++) out[ox] = line[ox * s + off];
                        for (int ox = hi; ox < g->wo; ox++) out[ox] = 0.0f;
                    }
                }
            }
}

/* The adjoint of im2col: adds each column entry back into dx. */
static void col2im(const geometry *g, const float *cols, int n0, int nb, float *dx)
{
    size_t row_len = (size_t)nb * g->ho * g->wo;
    int s = g->stride;
    for (int c = 0; c < g->c; c++)
        for (int ky = 0; ky < g->k; ky++)
            for (int kx = 0; kx < g->k; kx++) {
                const float *row = cols + ((size_t)(c * g->k + ky) * g->k + kx) * row_len;
                int lo, hi, off = kx - g->pad;
                valid_columns(g, kx, &lo, &hi);
                for (int i = 0; i < nb; i++) {
                    float *plane = dx + ((size_t)c * g->n + n0 + i) * g->h * g->w;
                    for (int oy = 0; oy < g->ho; oy++) {
                        int iy = oy * s - g->pad + ky;
                        if (iy < 0 || iy >= g->h) continue;
                        const float *in = row + ((size_t)i * g->ho + oy) * g->wo;
                        float *line = plane + (size_t)iy * g->w;
                        if (s == 1) {
#pragma omp simd
                            for (int ox = lo; ox < hi; ox++) line[ox + off] += in[ox];
                        } else {
                            for (int ox = lo; ox < hi; ox++) line[ox * s + off] += in[ox];
                        }
                    }
                }
            }
}

/* The column matrix of images [n0, n0+nb) and its row stride: x itself when
 * direct, else cols filled by im2col. */
static const float *columns(const geometry *g, const float *x, int n0, int nb, float *cols, int *ld)
{
    size_t area = (size_t)g->ho * g->wo;
    if (direct(g)) {
        *ld = (int)((size_t)g->n * area);
        return x + (size_t)n0 * area;
    }
    im2col(g, x, n0, nb, cols);
    *ld = nb * (int)area;
    return cols;
}

/* Images [first, last) of slice s of a batch of n. */
static void slice_range(int n, int s, int *first, int *last)
{
    int per = (n + NF_SLICES - 1) / NF_SLICES;
    *first = s * per < n ? s * per : n;
    *last = *first + per < n ? *first + per : n;
}

static void forward_im2col(const nf_op_call *c)
{
    const nf_vertex *v = c->v;
    const nf_tensor *x = c->x[0];
    geometry g = geometry_of(v, x->n, x->h, x->w, c->tuning);
    size_t area = (size_t)g.ho * g.wo, plane = (size_t)g.n * area;
#pragma omp parallel for num_threads(c->threads) schedule(static, 1) if (c->threads > 1)
    for (int s = 0; s < NF_SLICES; s++) {
        float *cols = c->work + s * slice_floats(v, &g);
        int first, last;
        slice_range(g.n, s, &first, &last);
        for (int n0 = first; n0 < last; n0 += g.chunk) {
            int nb = last - n0 < g.chunk ? last - n0 : g.chunk;
            int ldb;
            const float *b = columns(&g, x->data, n0, nb, cols, &ldb);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, v->nout, nb * (int)area, g.rows,
                        1.0f, c->param, g.rows, b, ldb, 0.0f, c->y->data + (size_t)n0 * area, (int)plane);
        }
    }
}

static void backward_im2col(const nf_op_call *c)
{
    const nf_vertex *v = c->v;
    const nf_tensor *x = c->x[0];
    geometry g = geometry_of(v, x->n, x->h, x->w, c->tuning);
    size_t area = (size_t)g.ho * g.wo, plane = (size_t)g.n * area, nw = weight_count(v);
    int used[NF_SLICES] = {0};
    if (!direct(&g)) nf_op_dx_begin(c, 0); /* col2im adds */
#pragma omp parallel for num_threads(c->threads) schedule(static, 1) if (c->threads > 1)
    for (int s = 0; s < NF_SLICES; s++) {
        float *cols = c->work + s * slice_floats(v, &g);
        float *dcols = cols + col_floats(&g), *dw = dcols + col_floats(&g);
        int first, last;
        slice_range(g.n, s, &first, &last);
        for (int n0 = first; n0 < last; n0 += g.chunk) {
            int nb = last - n0 < g.chunk ? last - n0 : g.chunk;
            const float *dy = c->dy->data + (size_t)n0 * area;
            int ldb;
            const float *b = columns(&g, x->data, n0, nb, cols, &ldb);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, v->nout, g.rows, nb * (int)area,
                        1.0f, dy, (int)plane, b, ldb, used[s] ? 1.0f : 0.0f, dw, g.rows);
            used[s] = 1;
            if (!c->dx[0]) continue;
            if (direct(&g)) {
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, g.rows, nb * (int)area, v->nout,
                            1.0f, c->param, g.rows, dy, (int)plane, c->dx_add[0] ? 1.0f : 0.0f,
                            c->dx[0]->data + (size_t)n0 * area, (int)plane);
                continue;
            }
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, g.rows, nb * (int)area, v->nout,
                        1.0f, c->param, g.rows, dy, (int)plane, 0.0f, dcols, nb * (int)area);
            col2im(&g, dcols, n0, nb, c->dx[0]->data);
        }
    }
    for (int s = 0; s < NF_SLICES; s++) { /* partial weight gradients, in slice order */
        if (!used[s]) continue;
        const float *dw = c->work + s * slice_floats(v, &g) + 2 * col_floats(&g);
        for (size_t i = 0; i < nw; i++) c->grad[i] += dw[i];
    }
}

static void forward(const nf_op_call *c)
{
    const nf_vertex *v = c->v;
    const nf_tensor *x = c->x[0];
    if (nf_wino_applies(v, x->h, x->w, c->tuning)) nf_wino_forward(c);
    else forward_im2col(c);
    if (v->attr.bias) nf_op_add_bias(c->y, c->param + weight_count(v));
}

static void backward(const nf_op_call *c)
{
    const nf_vertex *v = c->v;
    const nf_tensor *x = c->x[0];
    if (nf_wino_applies(v, x->h, x->w, c->tuning)) nf_wino_backward(c);
    else backward_im2col(c);
    if (v->attr.bias) nf_op_bias_grad(c->dy, c->grad + weight_count(v));
}

static int param_blocks(const nf_vertex *v, nf_block *b)
{
    int kk = v->attr.kernel * v->attr.kernel;
    b[0] = (nf_block){.per_out = 1, .per_in = 1, .inner = kk, .fresh = NF_FRESH_RANDOM};
    b[1] = (nf_block){.per_out = 1, .per_in = 0, .inner = 1, .fresh = NF_FRESH_ZERO};
    return v->attr.bias ? 2 : 1;
}

static const nf_attr_desc attrs[] = {
    NF_ATTR("kernel", NF_ATTR_INT, kernel, 1, 7, 1, NF_ATTR_KEEP, NULL),
    NF_ATTR("stride", NF_ATTR_INT, stride, 1, 2, 0, NF_ATTR_KEEP, NULL),
    NF_ATTR("bias", NF_ATTR_BOOL, bias, 0, 1, 0, NF_ATTR_KEEP, NULL),
    {NULL},
};

static double flops(const nf_vertex *v, const nf_vertex *in)
{
    (void)in;
    return 2.0 * v->nout * v->h * v->w * v->nin * v->attr.kernel * v->attr.kernel;
}

/* c32 for a 3x3 stride-1 conv of 32 channels, else c32k5 or c32k3s2. */
static int brief(const nf_vertex *v, char *buf, size_t cap)
{
    if (v->attr.kernel == 3 && v->attr.stride == 1) return snprintf(buf, cap, "c%d ", v->nout);
    return snprintf(buf, cap, "c%dk%d%s ", v->nout, v->attr.kernel, v->attr.stride > 1 ? "s2" : "");
}

const nf_op_def nf_op_conv2d = {
    .name = "conv2d", .kind = NF_KIND_LAYER, .shape = shape, .n_param = n_param,
    .work_floats = work_floats, .init = init, .identity = identity, .forward = forward,
    .backward = backward, .param_blocks = param_blocks, .attrs = attrs, .flops = flops, .brief = brief,
};
