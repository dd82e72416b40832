/* Batch normalisation per channel. Training: normalise by the batch's mean
 * and (biased) variance and update the running statistics (unbiased
 * variance, as PyTorch); evaluation: normalise by the running statistics.
 * Parameters gamma[n], beta[n]; state running mean[n], running var[n];
 * aux (forward -> backward): batch mean[n], 1/sqrt(var + eps)[n]. */
#include <math.h>

#include "engine/op.h"

static size_t two_per_channel(const nf_vertex *v) { return 2 * (size_t)v->nout; }

static size_t aux_floats(const nf_vertex *v, int n, int h, int w)
{
    (void)n; (void)h; (void)w;
    return two_per_channel(v);
}

static void init(const nf_vertex *v, float *param, float *state, nf_rng *rng)
{
    (void)rng;
    for (int i = 0; i < v->nout; i++) {
        param[i] = 1.0f;            /* gamma */
        param[v->nout + i] = 0.0f;  /* beta */
        state[i] = 0.0f;            /* running mean */
        state[v->nout + i] = 1.0f;  /* running variance */
    }
}

/* Sums are taken in float over blocks of this many values (vectorised),
 * the block sums in double. */
#define BLOCK 512
/* Below this many floats per channel a pass is not worth a second thread. */
#define PARALLEL_MIN 4096

/* Mean and biased variance of one channel in one pass, shifted by its first
 * value so that the sum of squares does not cancel. */
static void channel_stats(const float *x, size_t count, double *mean, double *var)
{
    float k = x[0];
    double s = 0, ss = 0;
    for (size_t i0 = 0; i0 < count; i0 += BLOCK) {
        size_t m = count - i0 < BLOCK ? count - i0 : BLOCK;
        const float *b = x + i0;
        float fs = 0, fss = 0;
#pragma omp simd reduction(+ : fs, fss)
        for (size_t i = 0; i < m; i++) {
            float d = b[i] - k;
            fs += d;
            fss += d * d;
        }
        s += fs;
        ss += fss;
    }
    double m = s / (double)count, v = ss / (double)count - m * m;
    *mean = k + m;
    *var = v > 0 ? v : 0;
}

/* Sum of dy and of dy * (x - mean) over one channel. */
static void grad_sums(const float *x, const float *dy, size_t count, float mean, double *sum_dy, double *sum_dyx)
{
    double s = 0, sx = 0;
    for (size_t i0 = 0; i0 < count; i0 += BLOCK) {
        size_t m = count - i0 < BLOCK ? count - i0 : BLOCK;
        const float *xb = x + i0, *db = dy + i0;
        float fs = 0, fsx = 0;
#pragma omp simd reduction(+ : fs, fsx)
        for (size_t i = 0; i < m; i++) {
            fs += db[i];
            fsx += db[i] * (xb[i] - mean);
        }
        s += fs;
        sx += fsx;
    }
    *sum_dy = s;
    *sum_dyx = sx;
}

static void forward(const nf_op_call *c)
{
    const nf_vertex *v = c->v;
    size_t count = nf_tensor_plane(c->x[0]);
    const float *gamma = c->param, *beta = c->param + v->nout;
    float *run_mean = c->state, *run_var = c->state + v->nout;
    float momentum = v->attr.momentum, eps = v->attr.eps;
#pragma omp parallel for num_threads(c->threads) if (c->threads > 1 && count > PARALLEL_MIN)
    for (int ch = 0; ch < v->nout; ch++) {
        const float *x = c->x[0]->data + ch * count;
        float *y = c->y->data + ch * count;
        float mean, inv_std;
        if (c->training) {
            double m, var;
            channel_stats(x, count, &m, &var);
            mean = (float)m;
            inv_std = (float)(1.0 / sqrt(var + eps));
            double unbiased = count > 1 ? var * count / (count - 1) : var;
            run_mean[ch] = (1 - momentum) * run_mean[ch] + momentum * (float)m;
            run_var[ch] = (1 - momentum) * run_var[ch] + momentum * (float)unbiased;
            c->aux[ch] = mean;
            c->aux[v->nout + ch] = inv_std;
        } else {
            mean = run_mean[ch];
            inv_std = 1.0f / sqrtf(run_var[ch] + eps);
        }
        float scale = gamma[ch] * inv_std, shift = beta[ch] - mean * scale;
#pragma omp simd
        for (size_t p = 0; p < count; p++) y[p] = x[p] * scale + shift;
    }
}

static void backward(const nf_op_call *c)
{
    const nf_vertex *v = c->v;
    size_t count = nf_tensor_plane(c->x[0]);
    const float *gamma = c->param;
    float *dgamma = c->grad, *dbeta = c->grad + v->nout;
#pragma omp parallel for num_threads(c->threads) if (c->threads > 1 && count > PARALLEL_MIN)
    for (int ch = 0; ch < v->nout; ch++) {
        const float *x = c->x[0]->data + ch * count, *dy = c->dy->data + ch * count;
        float mean = c->aux[ch], inv_std = c->aux[v->nout + ch];
        double sum_dy, sum_dyx;
        grad_sums(x, dy, count, mean, &sum_dy, &sum_dyx);
        double sum_dy_xhat = sum_dyx * inv_std;
        dgamma[ch] += (float)sum_dy_xhat;
        dbeta[ch] += (float)sum_dy;
        if (!c->dx[0]) continue;
        float *dx = c->dx[0]->data + ch * count;
        /* dx = k (dy - mean(dy) - xhat mean(dy xhat)), xhat = (x - mean) inv_std,
         * as dx += k dy + a x + b */
        float k = gamma[ch] * inv_std, mean_dy = (float)(sum_dy / count);
        float mean_dy_xhat = (float)(sum_dy_xhat / count);
        float a = -k * mean_dy_xhat * inv_std, b = -k * mean_dy - a * mean;
        if (c->dx_add[0]) {
#pragma omp simd
            for (size_t p = 0; p < count; p++) dx[p] += k * dy[p] + a * x[p] + b;
        } else {
#pragma omp simd
            for (size_t p = 0; p < count; p++) dx[p] = k * dy[p] + a * x[p] + b;
        }
    }
}

static int param_blocks(const nf_vertex *v, nf_block *b)
{
    (void)v;
    b[0] = (nf_block){.per_out = 1, .per_in = 0, .inner = 1, .fresh = NF_FRESH_ONE};
    b[1] = (nf_block){.per_out = 1, .per_in = 0, .inner = 1, .fresh = NF_FRESH_ZERO};
    return 2;
}

static int state_blocks(const nf_vertex *v, nf_block *b)
{
    (void)v;
    b[0] = (nf_block){.per_out = 1, .per_in = 0, .inner = 1, .fresh = NF_FRESH_ZERO};
    b[1] = (nf_block){.per_out = 1, .per_in = 0, .inner = 1, .fresh = NF_FRESH_ONE};
    return 2;
}

static const nf_attr_desc attrs[] = {
    NF_ATTR("momentum", NF_ATTR_REAL, momentum, 0, 1, 0, NF_ATTR_KEEP, NULL),
    NF_ATTR("eps", NF_ATTR_REAL, eps, 1e-12, 1, 0, NF_ATTR_KEEP, NULL),
    {NULL},
};

const nf_op_def nf_op_batchnorm = {
    .name = "batchnorm", .kind = NF_KIND_TRANSPARENT, .n_param = two_per_channel,
    .n_state = two_per_channel, .aux_floats = aux_floats, .init = init, .forward = forward,
    .backward = backward, .param_blocks = param_blocks, .state_blocks = state_blocks,
    .attrs = attrs, .flops = nf_op_flops_pass, .brief = nf_op_brief_none,
};
