/* Elementwise activations: identity, relu, leaky relu, elu, selu, sigmoid,
 * tanh. Every pass is one vectorised loop per activation; the exponential
 * is nf_fast_exp (a call to libm's expf would keep the loop scalar, which
 * made elu cost as much as the whole rest of a training step). The backward
 * pass takes the derivative from the output y where that saves an
 * exponential (elu, selu, sigmoid, tanh) and from the input x otherwise. */
#include <string.h>

#include "engine/fastexp.h"
#include "engine/op.h"

/* Below this many floats a pass is not worth a second thread. */
#define PARALLEL_MIN 65536

#define SELU_SCALE 1.0507009873554805f
#define SELU_ALPHA 1.6732632423543772f

/* A vectorised loop over i in [0, n), on `threads` threads when n is large;
 * the enclosing function defines n and threads. The `if` names `parallel`:
 * without that it would apply to `simd` as well and turn vectorisation off
 * whenever the loop runs on one thread. */
#define EACH_ELEMENT                                                                                   \
    _Pragma("omp parallel for simd num_threads(threads) if (parallel : threads > 1 && n > PARALLEL_MIN)") \
    for (size_t i = 0; i < n; i++)

/* y[i] = expr for every i, expr written in terms of v = x[i]. */
#define FORWARD(expr)           \
    do {                        \
        EACH_ELEMENT {          \
            float v = x[i];     \
            y[i] = (expr);      \
        }                       \
    } while (0)

/* dx[i] = expr (or += when the gradient adds to another consumer's), expr
 * written in terms of v = x[i], out = y[i] and g = dy[i]. Every value is
 * loaded unconditionally (unused ones are dropped by the compiler), so each
 * choice in expr is a select and the loop vectorises: a load under a
 * condition kept relu's backward scalar. */
#define BACKWARD(expr)                                          \
    do {                                                        \
        if (add) {                                              \
            EACH_ELEMENT {                                      \
                float v = x[i], out = y[i], g = dy[i];          \
                (void)v, (void)out;                             \
                dx[i] += (expr);                                \
            }                                                   \
        } else {                                                \
            EACH_ELEMENT {                                      \
                float v = x[i], out = y[i], g = dy[i];          \
                (void)v, (void)out;                             \
                dx[i] = (expr);                                 \
            }                                                   \
        }                                                       \
    } while (0)

/* tanh x = 1 - 2 / (e^2x + 1): exact limits +-1, absolute error ~1e-7. */
#pragma omp declare simd notinbranch
static inline float tanh_of(float x) { return 1.0f - 2.0f / (nf_fast_exp(2.0f * x) + 1.0f); }

static void forward(const nf_op_call *c)
{
    size_t n = nf_tensor_count(c->x[0]);
    int threads = c->threads;
    const float *x = c->x[0]->data;
    float *y = c->y->data, a = c->v->attr.alpha;
    switch (c->v->attr.act) {
    case NF_ACT_RELU: FORWARD(v < 0 ? 0.0f : v); break; /* NaN passes, as in PyTorch */
    case NF_ACT_LEAKY_RELU: FORWARD(v < 0 ? a * v : v); break;
    case NF_ACT_ELU: FORWARD(v > 0 ? v : a * (nf_fast_exp(v) - 1.0f)); break;
    case NF_ACT_SELU: FORWARD(SELU_SCALE * (v > 0 ? v : SELU_ALPHA * (nf_fast_exp(v) - 1.0f))); break;
    case NF_ACT_SIGMOID: FORWARD(1.0f / (1.0f + nf_fast_exp(-v))); break;
    case NF_ACT_TANH: FORWARD(tanh_of(v)); break;
    default: memcpy(y, x, n * sizeof(float)); break;
    }
}

static void backward(const nf_op_call *c)
{
    if (!c->dx[0]) return;
    size_t n = nf_tensor_count(c->x[0]);
    int threads = c->threads, add = c->dx_add[0];
    const float *x = c->x[0]->data, *y = c->y->data, *dy = c->dy->data;
    float *dx = c->dx[0]->data, a = c->v->attr.alpha;
    switch (c->v->attr.act) {
    case NF_ACT_RELU: BACKWARD(v > 0 ? g : 0.0f); break;
    case NF_ACT_LEAKY_RELU: BACKWARD(v > 0 ? g : a * g); break;
    case NF_ACT_ELU: BACKWARD(v > 0 ? g : g * (out + a)); break;
    case NF_ACT_SELU: BACKWARD(g * (v > 0 ? SELU_SCALE : out + SELU_SCALE * SELU_ALPHA)); break;
    case NF_ACT_SIGMOID: BACKWARD(g * out * (1.0f - out)); break;
    case NF_ACT_TANH: BACKWARD(g * (1.0f - out * out)); break;
    default: BACKWARD(g); break;
    }
}

static int has_alpha(const nf_attr *a) { return a->act == NF_ACT_LEAKY_RELU || a->act == NF_ACT_ELU; }

static const nf_attr_desc attrs[] = {
    NF_ATTR("activation", NF_ATTR_ACT, act, 0, NF_ACT_COUNT - 1, 1, NF_ATTR_KEEP, NULL),
    NF_ATTR("alpha", NF_ATTR_REAL, alpha, 0, 100, 0, NF_ATTR_KEEP, has_alpha),
    {NULL},
};

const nf_op_def nf_op_act = {.name = "act", .kind = NF_KIND_TRANSPARENT, .forward = forward, .backward = backward,
                             .attrs = attrs, .flops = nf_op_flops_pass, .brief = nf_op_brief_none};
