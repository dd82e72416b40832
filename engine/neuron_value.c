#include "engine/neuron_value.h"

#include <math.h>

#include "engine/graph_edit.h"
#include "engine/op.h"

nf_status nf_value_update(nf_graph *g, const nf_exec *e, int n, float decay)
{
    if (!(decay >= 0.0f && decay < 1.0f)) return nf_fail(NF_ERR_ARG, "value decay %g must be in [0, 1)", (double)decay);
    if (n < 1) return nf_fail(NF_ERR_ARG, "value update over %d images", n);
    if (!g->value) return nf_fail(NF_ERR_GRAPH, "the graph has no value buffer (call nf_graph_layout)");
    for (int i = 1; i < g->n; i++) {
        const nf_vertex *v = &g->v[i];
        const nf_tensor *y = nf_exec_vertex_output(e, i), *dy = nf_exec_vertex_grad(e, i);
        if (!y || !dy || !y->data || !dy->data || v->value_off == NF_GRAPH_NO_SLICE) continue;
        int nb = n < y->n ? n : y->n;
        size_t hw = (size_t)y->h * y->w, plane = (size_t)y->n * hw;
        for (int c = 0; c < v->nout && c < y->c; c++) {
            const float *a = y->data + (size_t)c * plane, *d = dy->data + (size_t)c * plane;
            double sum = 0;
            for (int b = 0; b < nb; b++) {
                double s = 0;
                for (size_t k = 0; k < hw; k++) s += (double)a[b * hw + k] * d[b * hw + k];
                sum += fabs(s / (double)hw);
            }
            float m = (float)(sum / nb);
            float *val = &g->value[v->value_off + c];
            *val = (*val < 0.0f && isfinite(*val)) ? m : decay * *val + (1.0f - decay) * m;
        }
    }
    return NF_OK;
}

float nf_value_weight_norm(const nf_graph *g, int i, int neuron)
{
    const nf_vertex *v = &g->v[i];
    const nf_op_def *d = nf_op_def_of(v->op);
    if (!d->param_blocks || v->param_off == NF_GRAPH_NO_SLICE || !g->param) return 0.0f;
    nf_block b[NF_MAX_BLOCKS];
    int nb = d->param_blocks(v, b);
    size_t off = v->param_off;
    double ss = 0;
    for (int k = 0; k < nb; k++) {
        size_t rows = b[k].per_out ? (size_t)v->nout : 1, cols = b[k].per_in ? (size_t)v->nin : 1;
        size_t row = cols * (size_t)b[k].inner;
        if (b[k].per_out && neuron < v->nout)
            for (size_t j = 0; j < row; j++) {
                double x = g->param[off + (size_t)neuron * row + j];
                ss += x * x;
            }
        off += rows * row;
    }
    return (float)sqrt(ss);
}
