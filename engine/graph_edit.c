#include "engine/graph_edit.h"

#include <stdlib.h>
#include <string.h>

nf_status nf_graph_insert_vertex(nf_graph *g, int at, nf_op op, const nf_attr *attr, int nout,
                                 const int *inputs, int n_inputs)
{
    if (at < 1 || at > g->n) return nf_fail(NF_ERR_ARG, "cannot insert a vertex at index %d of %d", at, g->n);
    if (op == NF_OP_INPUT || (unsigned)op >= NF_OP_COUNT) return nf_fail(NF_ERR_ARG, "cannot insert op %d", (int)op);
    if (n_inputs < 1 || !inputs) return nf_fail(NF_ERR_ARG, "an inserted vertex needs an input");
    for (int k = 0; k < n_inputs; k++)
        if (inputs[k] < 0 || inputs[k] >= at)
            return nf_fail(NF_ERR_ARG, "inserted vertex at %d: input %d breaks topological order", at, inputs[k]);
    /* Append at the end (which allocates), then rotate it into place. */
    nf_status st = nf_graph_append(g, op, attr, nout, inputs, n_inputs, NULL);
    if (st) return st;
    nf_vertex nv = g->v[g->n - 1];
    memmove(&g->v[at + 1], &g->v[at], (size_t)(g->n - 1 - at) * sizeof *g->v);
    g->v[at] = nv;
    for (int i = at + 1; i < g->n; i++)
        for (int k = 0; k < g->v[i].n_inputs; k++)
            if (g->v[i].inputs[k] >= at) g->v[i].inputs[k]++;
    nf_graph_touch(g);
    return NF_OK;
}

nf_status nf_graph_remove_vertex(nf_graph *g, int index, int replacement)
{
    if (index < 1 || index >= g->n) return nf_fail(NF_ERR_ARG, "cannot remove vertex %d", index);
    if (replacement >= index) return nf_fail(NF_ERR_ARG, "replacement %d must precede vertex %d", replacement, index);
    for (int i = index + 1; i < g->n; i++)
        for (int k = 0; k < g->v[i].n_inputs; k++)
            if (g->v[i].inputs[k] == index && replacement < 0)
                return nf_fail(NF_ERR_GRAPH, "vertex %d is still used by vertex %d", index, i);
    free(g->v[index].inputs);
    memmove(&g->v[index], &g->v[index + 1], (size_t)(g->n - index - 1) * sizeof *g->v);
    g->n--;
    for (int i = index; i < g->n; i++)
        for (int k = 0; k < g->v[i].n_inputs; k++) {
            int *p = &g->v[i].inputs[k];
            if (*p == index) *p = replacement;
            else if (*p > index) (*p)--;
        }
    nf_graph_touch(g);
    return NF_OK;
}

nf_status nf_graph_add_input(nf_graph *g, int to, int from, int pos)
{
    if (to < 1 || to >= g->n || from < 0 || from >= to)
        return nf_fail(NF_ERR_ARG, "edge %d -> %d breaks topological order", from, to);
    nf_vertex *v = &g->v[to];
    if (pos < 0 || pos > v->n_inputs) return nf_fail(NF_ERR_ARG, "input position %d out of range", pos);
    int *in = realloc(v->inputs, (size_t)(v->n_inputs + 2) * sizeof *in);
    if (!in) return nf_fail(NF_ERR_NOMEM, "cannot grow an input list");
    memmove(&in[pos + 1], &in[pos], (size_t)(v->n_inputs - pos) * sizeof *in);
    in[pos] = from;
    v->inputs = in;
    v->n_inputs++;
    nf_graph_touch(g);
    return NF_OK;
}

nf_status nf_graph_remove_input(nf_graph *g, int to, int pos)
{
    if (to < 1 || to >= g->n) return nf_fail(NF_ERR_ARG, "vertex %d does not exist", to);
    nf_vertex *v = &g->v[to];
    if (pos < 0 || pos >= v->n_inputs) return nf_fail(NF_ERR_ARG, "input position %d out of range", pos);
    if (v->n_inputs < 2) return nf_fail(NF_ERR_GRAPH, "vertex %d would have no input left", to);
    memmove(&v->inputs[pos], &v->inputs[pos + 1], (size_t)(v->n_inputs - pos - 1) * sizeof *v->inputs);
    v->n_inputs--;
    nf_graph_touch(g);
    return NF_OK;
}

int nf_graph_redirect(nf_graph *g, int from, int to, int skip)
{
    int moved = 0;
    for (int i = from + 1; i < g->n; i++) {
        if (i == skip) continue;
        for (int k = 0; k < g->v[i].n_inputs; k++)
            if (g->v[i].inputs[k] == from) { g->v[i].inputs[k] = to; moved++; }
    }
    if (moved) nf_graph_touch(g);
    return moved;
}
