/* Inverted dropout: in training each value is zeroed with probability rate
 * and the others scaled by 1/(1-rate); in evaluation it passes through.
 * aux keeps the mask (0 or the scale) from forward to backward. */
#include <string.h>

#include "engine/op.h"

static size_t aux_floats(const nf_vertex *v, int n, int h, int w)
{
    return (size_t)v->nout * n * h * w;
}

static void forward(const nf_op_call *c)
{
    size_t n = nf_tensor_count(c->x[0]);
    float rate = c->v->attr.rate;
    if (!c->training || rate <= 0.0f || !c->rng) {
        memcpy(c->y->data, c->x[0]->data, n * sizeof(float));
        for (size_t i = 0; i < n && c->training; i++) c->aux[i] = 1.0f;
        return;
    }
    float scale = 1.0f / (1.0f - rate);
    for (size_t i = 0; i < n; i++) {
        c->aux[i] = nf_rng_uniform(c->rng) < rate ? 0.0f : scale;
        c->y->data[i] = c->x[0]->data[i] * c->aux[i];
    }
}

static void backward(const nf_op_call *c)
{
    if (!c->dx[0]) return;
    nf_op_dx_begin(c, 0);
    size_t n = nf_tensor_count(c->x[0]);
    for (size_t i = 0; i < n; i++) c->dx[0]->data[i] += c->dy->data[i] * c->aux[i];
}

static const nf_attr_desc attrs[] = {NF_ATTR("rate", NF_ATTR_REAL, rate, 0, 0.99, 0, 0.5, NULL), {NULL}};

const nf_op_def nf_op_dropout = {.name = "dropout", .kind = NF_KIND_TRANSPARENT, .aux_floats = aux_floats,
                                 .forward = forward, .backward = backward, .attrs = attrs,
                                 .flops = nf_op_flops_pass, .brief = nf_op_brief_none};
