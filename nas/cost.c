#include "nas/cost.h"

#include "engine/op.h"

/* Forward FLOPs per image of vertex v (multiply-adds count two), as its op says. */
static double vertex_flops(const nf_graph *g, const nf_vertex *v)
{
    return nf_op_def_of(v->op)->flops(v, v->n_inputs > 0 ? &g->v[v->inputs[0]] : NULL);
}

nf_cost nf_cost_of(const nf_graph *g)
{
    nf_cost c = {.params = (int64_t)g->n_param};
    for (int i = 0; i < g->n; i++) {
        const nf_vertex *v = &g->v[i];
        c.flops += vertex_flops(g, v);
        c.activation_bytes += 2.0 * sizeof(float) * v->nout * v->h * v->w; /* output and its gradient */
    }
    return c;
}

/* ==== the speed model ===================================================== */

/* Calibrated on this project's bench machines (AVX-512 OpenBLAS kernels,
 * one thread): effective multiply-add rate of a conv or dense layer's
 * three GEMMs, and the time per element of the memory-bound passes of the
 * other ops (forward, backward and the optimiser's share). */
#define GEMM_FLOPS_PER_SECOND 28e9
#define ELEMENT_SECONDS 4e-9

/* Time per FLOP of a k x k convolution relative to a 3x3 one. */
static double kernel_factor(int k)
{
    static const double factor[] = {1.0, 1.0, 1.0, 1.0, 1.4, 1.64, 1.64, 1.63};
    return k >= 0 && k < 8 ? factor[k] : 1.63;
}

double nf_cost_train_seconds(const nf_graph *g)
{
    double seconds = 0;
    for (int i = 0; i < g->n; i++) {
        const nf_vertex *v = &g->v[i];
        double out = (double)v->nout * v->h * v->w, flops = vertex_flops(g, v);
        if (v->op == NF_OP_CONV2D) seconds += 3 * flops * kernel_factor(v->attr.kernel) / GEMM_FLOPS_PER_SECOND;
        else if (v->op == NF_OP_DENSE) seconds += 3 * flops / GEMM_FLOPS_PER_SECOND;
        seconds += 3 * out * ELEMENT_SECONDS;
    }
    return seconds;
}

nf_limits nf_limits_ceiling(void) { return (nf_limits){.max_params = (int64_t)1 << 27, .max_width = 8192}; }

nf_limits nf_limits_defaults(void)
{
    return (nf_limits){.max_params = 600000, .max_mflops = 150, .max_memory_mb = 1024, .max_width = 256};
}

nf_status nf_limits_check(const nf_limits *l, const nf_graph *g, int batch)
{
    nf_cost c = nf_cost_of(g);
    if (l->max_params && c.params > l->max_params)
        return nf_fail(NF_ERR_ARG, "%lld parameters exceed the limit of %lld", (long long)c.params, (long long)l->max_params);
    if (l->max_mflops > 0 && c.flops / 1e6 > l->max_mflops)
        return nf_fail(NF_ERR_ARG, "%.1f MFLOPs per image exceed the limit of %.1f", c.flops / 1e6, l->max_mflops);
    double mb = c.activation_bytes * batch / 1048576.0;
    if (l->max_memory_mb > 0 && mb > l->max_memory_mb)
        return nf_fail(NF_ERR_ARG, "%.0f MB of activations at batch %d exceed the limit of %.0f MB", mb, batch, l->max_memory_mb);
    for (int i = 0; l->max_width && i < g->n - 1; i++) { /* the output's size is the classes' */
        nf_kind k = nf_graph_kind(g, i);
        if (k == NF_KIND_LAYER && g->v[i].nout > l->max_width)
            return nf_fail(NF_ERR_ARG, "vertex %d has %d neurons, over the limit of %d", i, g->v[i].nout, l->max_width);
    }
    return NF_OK;
}
