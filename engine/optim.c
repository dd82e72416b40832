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

/* Adam's bias corrections for a parameter at age t, folded into the step
 * size and eps as PyTorch does. */
typedef struct correction { float t, step, c2; } correction;

static correction correction_at(float t, const nf_optim *o)
{
    double c1 = 1.0 - pow(o->beta1, t);
    return (correction){t, (float)(o->lr / c1), (float)sqrt(1.0 - pow(o->beta2, t))};
}

/* Every parameter is corrected by its own age, so one that a mutation
 * created is stepped as in a fresh network. Ages come in long runs (a
 * vertex, a row), so the corrections are recomputed only when it changes. */
static void adam_family(nf_graph *g, const nf_optim *o)
{
    float *w = g->param, *m = g->moment1, *v = g->moment2;
    const float *dw = g->grad, *age = g->age;
    float b1 = o->beta1, b2 = o->beta2, eps = o->eps;
    int decoupled = o->kind == NF_OPTIM_ADAMW;
    float l2 = decoupled ? 0.0f : o->weight_decay, decay = decoupled ? 1.0f - o->lr * o->weight_decay : 1.0f;
    correction c = correction_at(1.0f, o);
    for (size_t i = 0; i < g->n_param; i++) {
        if (age[i] != c.t) c = correction_at(age[i], o);
        float d = dw[i] + l2 * w[i];
        m[i] = b1 * m[i] + (1 - b1) * d;
        v[i] = b2 * v[i] + (1 - b2) * d * d;
        w[i] = w[i] * decay - c.step * m[i] / (sqrtf(v[i]) / c.c2 + eps);
    }
}

static void grow_older(nf_graph *g)
{
    for (size_t i = 0; i < g->n_param; i++) g->age[i] = fminf(g->age[i] + 1.0f, NF_AGE_MAX);
}

void nf_optim_step(nf_graph *g, const nf_optim *o)
{
    grow_older(g);
    if (o->kind == NF_OPTIM_ADAM || o->kind == NF_OPTIM_ADAMW) adam_family(g, o);
    else sgd_family(g, o);
}

void nf_optim_reset(nf_graph *g)
{
    size_t bytes = g->n_param * sizeof(float);
    if (!bytes) return;
    memset(g->moment1, 0, bytes);
    memset(g->moment2, 0, bytes);
    memset(g->age, 0, bytes);
}

float nf_optim_cosine(float lr, double at) { return (float)(lr * 0.5 * (1.0 + cos(M_PI * (at < 1 ? at : 1)))); }
