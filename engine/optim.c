#include "engine/optim.h"

#include <math.h>
#include <string.h>

static const char *const names[NF_OPTIM_COUNT] = {"sgd", "momentum", "nesterov", "adam", "adamw"};

const char *nf_optim_name(nf_optim_kind kind)
{
    return (unsigned)kind < NF_OPTIM_COUNT && names[kind] ? names[kind] : "unknown";
}

nf_optim_kind nf_optim_parse(const char *name)
{
    for (int k = 0; k < NF_OPTIM_COUNT; k++)
        if (names[k] && !strcmp(name, names[k])) return (nf_optim_kind)k;
    return NF_OPTIM_COUNT;
}

nf_optim nf_optim_defaults(nf_optim_kind kind)
{
    int adam = kind == NF_OPTIM_ADAM || kind == NF_OPTIM_ADAMW;
    return (nf_optim){.kind = kind, .lr = adam ? 1e-3f : 0.01f, .momentum = 0.9f, .beta1 = 0.9f,
                      .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = kind == NF_OPTIM_ADAMW ? 0.01f : 0.0f};
}

static void sgd_family(nf_graph *g, const nf_optim *o)
{
    float *w = g->param, *m = g->moment1;
    const float *dw = g->grad;
    float lr = o->lr, mu = o->momentum, wd = o->weight_decay;
    for (size_t i = 0; i < g->n_param; i++) {
        float d = dw[i] + wd * w[i];
        if (o->kind == NF_OPTIM_SGD) { w[i] -= lr * d; continue; }
        m[i] = mu * m[i] + d;
        w[i] -= lr * (o->kind == NF_OPTIM_NESTEROV ? d + mu * m[i] : m[i]);
    }
}

static void adam_family(nf_graph *g, const nf_optim *o)
{
    float *w = g->param, *m = g->moment1, *v = g->moment2;
    const float *dw = g->grad;
    float b1 = o->beta1, b2 = o->beta2, eps = o->eps;
    double t = (double)g->step;
    /* Bias correction folded into the step size and eps, as PyTorch does. */
    float c1 = (float)(1.0 - pow(b1, t)), c2 = (float)sqrt(1.0 - pow(b2, t));
    float step = o->lr / c1;
    int decoupled = o->kind == NF_OPTIM_ADAMW;
    float l2 = decoupled ? 0.0f : o->weight_decay, decay = decoupled ? 1.0f - o->lr * o->weight_decay : 1.0f;
    for (size_t i = 0; i < g->n_param; i++) {
        float d = dw[i] + l2 * w[i];
        m[i] = b1 * m[i] + (1 - b1) * d;
        v[i] = b2 * v[i] + (1 - b2) * d * d;
        w[i] = w[i] * decay - step * m[i] / (sqrtf(v[i]) / c2 + eps);
    }
}

void nf_optim_step(nf_graph *g, const nf_optim *o)
{
    g->step++;
    if (o->kind == NF_OPTIM_ADAM || o->kind == NF_OPTIM_ADAMW) adam_family(g, o);
    else sgd_family(g, o);
}
