/* Winograd F(2x2, 3x3) (Lavin & Gray, 2015) for 3x3 stride-1 convolutions.
 *
 * Each 2x2 block of outputs (a tile) is A^T [ (G g G^T) . (B^T d B) ] A,
 * with d the 4x4 input window around it and g a 3x3 kernel: 16
 * multiplications per tile and channel pair instead of 36. Summed over input
 * channels, the 16 positions of the 4x4 product are 16 independent GEMMs:
 *   M[xi][O][T] = U[xi][O][C] x V[xi][C][T]
 * (U: transformed weights, V: transformed input tiles, T: tiles).
 *
 * Backward:
 *   input gradient  the same algorithm on dy with the kernel flipped and
 *                   transposed (a stride-1 same conv's adjoint is one);
 *   weight gradient by the transposition rule: dU[xi] = dM[xi] x V[xi]^T
 *                   with dM = A dY A^T per tile, then dW = G^T dU G.
 *
 * The batch is split into NF_SLICES slices of images (one per thread at
 * most), each cut into chunks of about the tuning's wino_tiles tiles
 * so the transformed data stays in cache between transform and GEMM. */
#include "engine/ops/winograd.h"

#include <cblas.h>
#include <string.h>

/* Widest input handled (the row buffers live on the stack). */
#define WINO_MAX_W 512

typedef struct wgeom {
    int c, o;        /* input, output channels */
    int n, h, w;     /* batch and spatial size (output == input) */
    int th, tw;      /* tiles per column and per row */
    int per_img;     /* tiles per image */
    int chunk;       /* images per chunk */
    int maxch;       /* max(c, o) */
} wgeom;

static wgeom wgeom_of(const nf_vertex *v, int n, int h, int w, const nf_conv_tuning *t)
{
    wgeom g = {.c = v->nin, .o = v->nout, .n = n, .h = h, .w = w, .th = (h + 1) / 2, .tw = (w + 1) / 2};
    g.per_img = g.th * g.tw;
    int per_slice = (n + NF_SLICES - 1) / NF_SLICES;
    int chunk = t->wino_tiles / g.per_img;
    g.chunk = chunk < 1 ? 1 : chunk > per_slice ? (per_slice < 1 ? 1 : per_slice) : chunk;
    g.maxch = g.c > g.o ? g.c : g.o;
    return g;
}

int nf_wino_applies(const nf_vertex *v, int in_h, int in_w, const nf_conv_tuning *t)
{
    (void)in_h;
    return t->winograd && v->nin >= t->wino_min_in && v->attr.kernel == 3 && v->attr.stride == 1 && in_w <= WINO_MAX_W;
}

/* Per slice: two tile buffers and a partial weight gradient. */
static size_t slice_floats(const wgeom *g)
{
    return 2 * (size_t)16 * g->maxch * g->chunk * g->per_img + (size_t)16 * g->o * g->c;
}

size_t nf_wino_work_floats(const nf_vertex *v, int n, int in_h, int in_w, const nf_conv_tuning *t)
{
    wgeom g = wgeom_of(v, n, in_h, in_w, t);
    return 2 * (size_t)16 * g.o * g.c + NF_SLICES * slice_floats(&g);
}

/* ---- transforms --------------------------------------------------------- */

/* U[xi][o][c] = (G g G^T)[xi] for every kernel g = W[o][c]; with flip, the
 * kernel of the adjoint instead: U[xi][c][o] from W[o][c] rotated by 180. */
static void weights_transform(const float *W, int o, int c, int flip, float *U)
{
    size_t plane = (size_t)o * c;
    for (int oi = 0; oi < o; oi++)
        for (int ci = 0; ci < c; ci++) {
            const float *w = W + ((size_t)oi * c + ci) * 9;
            float g[3][3], t[4][3];
            for (int i = 0; i < 9; i++) g[i / 3][i % 3] = flip ? w[8 - i] : w[i];
            for (int j = 0; j < 3; j++) {
                t[0][j] = g[0][j];
                t[1][j] = 0.5f * (g[0][j] + g[1][j] + g[2][j]);
                t[2][j] = 0.5f * (g[0][j] - g[1][j] + g[2][j]);
                t[3][j] = g[2][j];
            }
            float *u = U + (flip ? (size_t)ci * o + oi : (size_t)oi * c + ci);
            for (int i = 0; i < 4; i++) {
                u[(i * 4 + 0) * plane] = t[i][0];
                u[(i * 4 + 1) * plane] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
                u[(i * 4 + 2) * plane] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
                u[(i * 4 + 3) * plane] = t[i][2];
            }
        }
}

/* dW[o][c] += G^T dU G for every kernel, dU[xi][o][c]. */
static void weights_gradient(const float *dU, int o, int c, float *dW)
{
    size_t plane = (size_t)o * c;
    for (size_t k = 0; k < plane; k++) {
        float d[4][4], t[3][4];
        for (int xi = 0; xi < 16; xi++) d[xi / 4][xi % 4] = dU[xi * plane + k];
        for (int j = 0; j < 4; j++) {
            t[0][j] = d[0][j] + 0.5f * (d[1][j] + d[2][j]);
            t[1][j] = 0.5f * (d[1][j] - d[2][j]);
            t[2][j] = 0.5f * (d[1][j] + d[2][j]) + d[3][j];
        }
        float *w = dW + k * 9;
        for (int i = 0; i < 3; i++) {
            w[i * 3 + 0] += t[i][0] + 0.5f * (t[i][1] + t[i][2]);
            w[i * 3 + 1] += 0.5f * (t[i][1] - t[i][2]);
            w[i * 3 + 2] += 0.5f * (t[i][1] + t[i][2]) + t[i][3];
        }
    }
}

/* A row of zeros standing for the padding above and below a plane. */
static const float zero_row[WINO_MAX_W + 4];

/* Row r of an h x w plane, or zeros outside it. */
static const float *row_at(const float *x, int h, int w, int r)
{
    return r >= 0 && r < h ? x + (size_t)r * w : zero_row;
}

/* The transforms work on bands of tile rows laid out with 2 floats per tile
 * (2*tw per tile row), so that their inner loops run over every tile of the
 * band at once: tile rows of 7 or 14 tiles are too short for vectors. */
#define BAND_FLOATS 2048

/* V[xi*ld + t] = (B^T d B)[xi] for the tiles t of one h x w plane. Per tile
 * row, e holds the vertical transform at columns 2tx-1, 2tx and f at
 * columns 2tx+1, 2tx+2: the tile's four columns. */
static void input_tiles(const wgeom *g, const float *x, float *v, size_t ld)
{
    int w = g->w, tw = g->tw, rw = 2 * tw, band = BAND_FLOATS / rw;
    float e[4][BAND_FLOATS], f[4][BAND_FLOATS];
    for (int ty0 = 0; ty0 < g->th; ty0 += band) {
        int nb = g->th - ty0 < band ? g->th - ty0 : band;
        for (int b = 0; b < nb; b++) {
            int ty = ty0 + b;
            const float *d0 = row_at(x, g->h, w, 2 * ty - 1), *d1 = row_at(x, g->h, w, 2 * ty);
            const float *d2 = row_at(x, g->h, w, 2 * ty + 1), *d3 = row_at(x, g->h, w, 2 * ty + 2);
            float *e0 = e[0] + b * rw, *e1 = e[1] + b * rw, *e2 = e[2] + b * rw, *e3 = e[3] + b * rw;
            float *f0 = f[0] + b * rw, *f1 = f[1] + b * rw, *f2 = f[2] + b * rw, *f3 = f[3] + b * rw;
            int ne = w < rw - 1 ? w : rw - 1; /* columns of e after its left padding */
            e0[0] = e1[0] = e2[0] = e3[0] = 0.0f;
#pragma omp simd
            for (int k = 0; k < ne; k++) {
                e0[k + 1] = d0[k] - d2[k];
                e1[k + 1] = d1[k] + d2[k];
                e2[k + 1] = d2[k] - d1[k];
                e3[k + 1] = d1[k] - d3[k];
            }
            for (int k = ne + 1; k < rw; k++) e0[k] = e1[k] = e2[k] = e3[k] = 0.0f;
#pragma omp simd
            for (int k = 1; k < w; k++) {
                f0[k - 1] = d0[k] - d2[k];
                f1[k - 1] = d1[k] + d2[k];
                f2[k - 1] = d2[k] - d1[k];
                f3[k - 1] = d1[k] - d3[k];
            }
            for (int k = w - 1; k < rw; k++) f0[k] = f1[k] = f2[k] = f3[k] = 0.0f; /* right padding */
        }
        int nt = nb * tw;
        for (int i = 0; i < 4; i++) {
            float *out = v + (size_t)(i * 4) * ld + (size_t)ty0 * tw;
            const float *E = e[i], *F = f[i];
#pragma omp simd
            for (int t = 0; t < nt; t++) {
                float a = E[2 * t], b = E[2 * t + 1], c = F[2 * t], dd = F[2 * t + 1];
                out[t] = a - c;
                out[ld + t] = b + c;
                out[2 * ld + t] = c - b;
                out[3 * ld + t] = b - dd;
            }
        }
    }
}

/* dM[xi*ld + t] = (A dY A^T)[xi] for the 2x2 tiles t of one plane of dy. */
static void grad_tiles(const wgeom *g, const float *dy, float *m, size_t ld)
{
    int w = g->w, tw = g->tw, rw = 2 * tw, band = BAND_FLOATS / rw;
    float e[4][BAND_FLOATS];
    for (int ty0 = 0; ty0 < g->th; ty0 += band) {
        int nb = g->th - ty0 < band ? g->th - ty0 : band;
        for (int b = 0; b < nb; b++) {
            int ty = ty0 + b;
            const float *r0 = row_at(dy, g->h, w, 2 * ty), *r1 = row_at(dy, g->h, w, 2 * ty + 1);
            float *e0 = e[0] + b * rw, *e1 = e[1] + b * rw, *e2 = e[2] + b * rw, *e3 = e[3] + b * rw;
#pragma omp simd
            for (int k = 0; k < w; k++) {
                e0[k] = r0[k];
                e1[k] = r0[k] + r1[k];
                e2[k] = r0[k] - r1[k];
                e3[k] = -r1[k];
            }
            if (w < rw) e0[w] = e1[w] = e2[w] = e3[w] = 0.0f; /* odd width */
        }
        int nt = nb * tw;
        for (int i = 0; i < 4; i++) {
            float *out = m + (size_t)(i * 4) * ld + (size_t)ty0 * tw;
            const float *E = e[i];
#pragma omp simd
            for (int t = 0; t < nt; t++) {
                float a = E[2 * t], b = E[2 * t + 1];
                out[t] = a;
                out[ld + t] = a + b;
                out[2 * ld + t] = a - b;
                out[3 * ld + t] = -b;
            }
        }
    }
}

/* y (one h x w plane) = or += A^T M A for its tiles, M[xi*ld + t]. Output
 * rows 2ty and 2ty+1 are built in z0, z1 (2*tw wide: one column more than
 * y when w is odd). */
static void output_tiles(const wgeom *g, const float *m, size_t ld, float *y, int accumulate)
{
    int w = g->w, tw = g->tw, rw = 2 * tw, band = BAND_FLOATS / rw;
    float z0[BAND_FLOATS], z1[BAND_FLOATS];
    for (int ty0 = 0; ty0 < g->th; ty0 += band) {
        int nb = g->th - ty0 < band ? g->th - ty0 : band, nt = nb * tw;
        const float *p[16];
        for (int xi = 0; xi < 16; xi++) p[xi] = m + xi * ld + (size_t)ty0 * tw;
#pragma omp simd
        for (int t = 0; t < nt; t++) {
            float a0 = p[0][t] + p[4][t] + p[8][t], a1 = p[1][t] + p[5][t] + p[9][t];
            float a2 = p[2][t] + p[6][t] + p[10][t], a3 = p[3][t] + p[7][t] + p[11][t];
            float b0 = p[4][t] - p[8][t] - p[12][t], b1 = p[5][t] - p[9][t] - p[13][t];
            float b2 = p[6][t] - p[10][t] - p[14][t], b3 = p[7][t] - p[11][t] - p[15][t];
            z0[2 * t] = a0 + a1 + a2;
            z0[2 * t + 1] = a1 - a2 - a3;
            z1[2 * t] = b0 + b1 + b2;
            z1[2 * t + 1] = b1 - b2 - b3;
        }
        for (int b = 0; b < nb; b++) {
            int ty = ty0 + b;
            for (int r = 0; r < 2 && 2 * ty + r < g->h; r++) {
                float *out = y + (size_t)(2 * ty + r) * w;
                const float *src = (r ? z1 : z0) + b * rw;
                if (accumulate) {
#pragma omp simd
                    for (int k = 0; k < w; k++) out[k] += src[k];
                } else {
#pragma omp simd
                    for (int k = 0; k < w; k++) out[k] = src[k];
                }
            }
        }
    }
}

/* ---- passes ------------------------------------------------------------- */

/* Tiles of images [n0, n0+nb) of a [ch][N][h][w] tensor into buf[16][ch][T]. */
static void tiles_of(const wgeom *g, const float *t, int ch, int n0, int nb, int grad, float *buf)
{
    size_t T = (size_t)nb * g->per_img, hw = (size_t)g->h * g->w;
    for (int k = 0; k < ch; k++)
        for (int i = 0; i < nb; i++) {
            const float *plane = t + ((size_t)k * g->n + n0 + i) * hw;
            float *dst = buf + (size_t)k * T + (size_t)i * g->per_img;
            if (grad) grad_tiles(g, plane, dst, (size_t)ch * T);
            else input_tiles(g, plane, dst, (size_t)ch * T);
        }
}

/* out[ch][N][h][w] (images [n0, n0+nb)) = or += the tiles in buf[16][ch][T]. */
static void untile(const wgeom *g, const float *buf, int ch, int n0, int nb, float *out, int accumulate)
{
    size_t T = (size_t)nb * g->per_img, hw = (size_t)g->h * g->w;
    for (int k = 0; k < ch; k++)
        for (int i = 0; i < nb; i++)
            output_tiles(g, buf + (size_t)k * T + (size_t)i * g->per_img, (size_t)ch * T,
                         out + ((size_t)k * g->n + n0 + i) * hw, accumulate);
}

/* out[xi] = U[xi] (rows x inner) x in[xi] (inner x T), for the 16 xi. */
static void gemm16(const float *U, int rows, int inner, const float *in, size_t T, float *out)
{
    for (int xi = 0; xi < 16; xi++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, (int)T, inner, 1.0f,
                    U + (size_t)xi * rows * inner, inner, in + (size_t)xi * inner * T, (int)T, 0.0f,
                    out + (size_t)xi * rows * T, (int)T);
}

/* Images [first, last) of slice s. */
static void slice_range(const wgeom *g, int s, int *first, int *last)
{
    int per = (g->n + NF_SLICES - 1) / NF_SLICES;
    *first = s * per < g->n ? s * per : g->n;
    *last = *first + per < g->n ? *first + per : g->n;
}

void nf_wino_forward(const nf_op_call *c)
{
    const nf_tensor *x = c->x[0];
    wgeom g = wgeom_of(c->v, x->n, x->h, x->w, c->tuning);
    float *U = c->work, *slices = c->work + 2 * (size_t)16 * g.o * g.c;
    weights_transform(c->param, g.o, g.c, 0, U);
    size_t tilebuf = (size_t)16 * g.maxch * g.chunk * g.per_img;
#pragma omp parallel for num_threads(c->threads) schedule(static, 1) if (c->threads > 1)
    for (int s = 0; s < NF_SLICES; s++) {
        float *V = slices + s * slice_floats(&g), *M = V + tilebuf;
        int first, last;
        slice_range(&g, s, &first, &last);
        for (int n0 = first; n0 < last; n0 += g.chunk) {
            int nb = last - n0 < g.chunk ? last - n0 : g.chunk;
            size_t T = (size_t)nb * g.per_img;
            tiles_of(&g, x->data, g.c, n0, nb, 0, V);
            gemm16(U, g.o, g.c, V, T, M);
            untile(&g, M, g.o, n0, nb, c->y->data, 0);
        }
    }
}

void nf_wino_backward(const nf_op_call *c)
{
    const nf_tensor *x = c->x[0];
    wgeom g = wgeom_of(c->v, x->n, x->h, x->w, c->tuning);
    size_t uf = (size_t)16 * g.o * g.c;
    float *Uflip = c->work + uf, *slices = c->work + 2 * uf;
    float *dx = c->dx[0] ? c->dx[0]->data : NULL;
    if (dx) weights_transform(c->param, g.o, g.c, 1, Uflip);
    size_t tilebuf = (size_t)16 * g.maxch * g.chunk * g.per_img;
    int used[NF_SLICES] = {0};
#pragma omp parallel for num_threads(c->threads) schedule(static, 1) if (c->threads > 1)
    for (int s = 0; s < NF_SLICES; s++) {
        float *A = slices + s * slice_floats(&g), *B = A + tilebuf, *dU = B + tilebuf;
        int first, last;
        slice_range(&g, s, &first, &last);
        for (int n0 = first; n0 < last; n0 += g.chunk) {
            int nb = last - n0 < g.chunk ? last - n0 : g.chunk;
            size_t T = (size_t)nb * g.per_img;
            tiles_of(&g, x->data, g.c, n0, nb, 0, A);       /* V of x */
            tiles_of(&g, c->dy->data, g.o, n0, nb, 1, B);   /* dM of dy */
            for (int xi = 0; xi < 16; xi++)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g.o, g.c, (int)T, 1.0f,
                            B + (size_t)xi * g.o * T, (int)T, A + (size_t)xi * g.c * T, (int)T,
                            used[s] ? 1.0f : 0.0f, dU + (size_t)xi * g.o * g.c, g.c);
            used[s] = 1;
            if (!dx) continue;
            tiles_of(&g, c->dy->data, g.o, n0, nb, 0, B);   /* V of dy */
            gemm16(Uflip, g.c, g.o, B, T, A);
            untile(&g, A, g.c, n0, nb, dx, c->dx_add[0]);
        }
    }
    /* Partial weight gradients summed in slice order. */
    float *total = NULL;
    for (int s = 0; s < NF_SLICES; s++) {
        if (!used[s]) continue;
        float *dU = slices + s * slice_floats(&g) + 2 * tilebuf;
        if (!total) { total = dU; continue; }
        for (size_t k = 0; k < uf; k++) total[k] += dU[k];
    }
    if (total) weights_gradient(total, g.o, g.c, c->grad);
}
