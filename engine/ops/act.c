/* Elementwise activations: identity, relu, leaky relu, elu, selu, sigmoid,
 * tanh. The derivative is taken from the input x (kept by the executor). */
#include <math.h>
#include <string.h>

#include "engine/op.h"

/* Below this many floats a pass is not worth a second thread. */
#define PARALLEL_MIN 65536

#define SELU_SCALE 1.0507009873554805f
#define SELU_ALPHA 1.6732632423543772f

static float apply(nf_act act, float alpha, float x)
{
    switch (act) {
    case NF_ACT_RELU: return x > 0 ? x : 0.0f;
    case NF_ACT_LEAKY_RELU: return x > 0 ? x : alpha * x;
    case NF_ACT_ELU: return x > 0 ? x : alpha * expm1f(x);
    case NF_ACT_SELU: return SELU_SCALE * (x > 0 ? x : SELU_ALPHA * expm1f(x));
    case NF_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case NF_ACT_TANH: return tanhf(x);
    default: return x;
    }
}

static float derivative(nf_act act, float alpha, float x)
{
    switch (act) {
    case NF_ACT_RELU: return x > 0 ? 1.0f : 0.0f;
    case NF_ACT_LEAKY_RELU: return x > 0 ? 1.0f : alpha;
    case NF_ACT_ELU: return x > 0 ? 1.0f : alpha * expf(x);
    case NF_ACT_SELU: return SELU_SCALE * (x > 0 ? 1.0f : SELU_ALPHA * expf(x));
    case NF_ACT_SIGMOID: { float s = 1.0f / (1.0f + expf(-x)); return s * (1.0f - s); }
    case NF_ACT_TANH: { float t = tanhf(x); return 1.0f - t * t; }
    default: return 1.0f;
    }
}

static void forward(const nf_op_call *c)
{
    size_t n = nf_tensor_count(c->x[0]);
    const float *x = c->x[0]->data;
    float *y = c->y->data;
    nf_act act = c->v->attr.act;
    float alpha = c->v->attr.alpha;
    if (act == NF_ACT_RELU) { /* the common case, kept branch-free for vectorisation */
#pragma omp parallel for simd num_threads(c->threads) if (c->threads > 1 && n > PARALLEL_MIN)
        for (size_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0.0f;
        return;
    }
    if (act == NF_ACT_IDENTITY) { memcpy(y, x, n * sizeof(float)); return; }
    for (size_t i = 0; i < n; i++) y[i] = apply(act, alpha, x[i]);
}

static void backward(const nf_op_call *c)
{
    if (!c->dx[0]) return;
    size_t n = nf_tensor_count(c->x[0]);
    const float *x = c->x[0]->data, *dy = c->dy->data;
    float *dx = c->dx[0]->data;
    nf_act act = c->v->attr.act;
    float alpha = c->v->attr.alpha;
    int add = c->dx_add[0];
    if (act == NF_ACT_RELU) { /* dy loaded unconditionally: a select, not a branch */
        if (add) {
#pragma omp parallel for simd num_threads(c->threads) if (c->threads > 1 && n > PARALLEL_MIN)
            for (size_t i = 0; i < n; i++) {
                float d = dy[i];
                dx[i] += x[i] > 0 ? d : 0.0f;
            }
        } else {
#pragma omp parallel for simd num_threads(c->threads) if (c->threads > 1 && n > PARALLEL_MIN)
            for (size_t i = 0; i < n; i++) {
                float d = dy[i];
                dx[i] = x[i] > 0 ? d : 0.0f;
            }
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        float d = dy[i] * derivative(act, alpha, x[i]);
        dx[i] = add ? dx[i] + d : d;
    }
}

const nf_op_def nf_op_act = {.name = "act", .kind = NF_KIND_TRANSPARENT, .forward = forward, .backward = backward};
