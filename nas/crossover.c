#include "nas/crossover.h"

#include <string.h>

#include "engine/graph_edit.h"

/* Index of the only global average pooling of g, or -1. */
static int only_gap(const nf_graph *g)
{
    int at = -1;
    for (int i = 0; i < g->n; i++)
        if (g->v[i].op == NF_OP_GAP) {
            if (at >= 0) return -1;
            at = i;
        }
    return at;
}

/* 1 if nothing before `gap` reads a vertex after it (a head is a stretch). */
static int head_is_separate(const nf_graph *g, int gap)
{
    for (int i = gap + 1; i < g->n; i++)
        for (int k = 0; k < g->v[i].n_inputs; k++)
            if (g->v[i].inputs[k] < gap) return 0;
    return 1;
}

/* Copies every buffer slice of vertex `from` of a into vertex `to` of b
 * (same op and sizes). */
static void copy_slices(const nf_graph *a, int from, nf_graph *b, int to)
{
    const nf_vertex *x = &a->v[from];
    const nf_vertex *y = &b->v[to];
    size_t np = x->n_param * sizeof(float);
    memcpy(b->param + y->param_off, a->param + x->param_off, np);
    memcpy(b->moment1 + y->param_off, a->moment1 + x->param_off, np);
    memcpy(b->moment2 + y->param_off, a->moment2 + x->param_off, np);
    memcpy(b->age + y->param_off, a->age + x->param_off, np);
    memcpy(b->state + y->state_off, a->state + x->state_off, x->n_state * sizeof(float));
    memcpy(b->value + y->value_off, a->value + x->value_off, (size_t)x->nout * sizeof(float));
}

/* Appends the head of h (the vertices after gap_h) to c after gap_c. */
static nf_status append_head(nf_graph *c, int gap_c, const nf_graph *h, int gap_h)
{
    for (int j = gap_h + 1; j < h->n; j++) {
        const nf_vertex *v = &h->v[j];
        int inputs[64];
        if (v->n_inputs > 64) return nf_fail(NF_ERR_GRAPH, "a head vertex has %d inputs", v->n_inputs);
        for (int k = 0; k < v->n_inputs; k++) inputs[k] = gap_c + (v->inputs[k] - gap_h);
        nf_status st = nf_graph_append(c, v->op, &v->attr, v->nout, inputs, v->n_inputs, NULL);
        if (st) return st;
    }
    return NF_OK;
}

nf_status nf_crossover_head(const nf_graph *p1, const nf_graph *p2, const nf_mutate_params *p, nf_graph **out)
{
    *out = NULL;
    int gap1 = only_gap(p1), gap2 = only_gap(p2);
    if (gap1 < 0 || gap2 < 0 || !head_is_separate(p1, gap1) || !head_is_separate(p2, gap2))
        return nf_fail(NF_ERR_GRAPH, "a parent has no single global average pooling followed by a head");
    nf_graph *donor = NULL, *c = NULL;
    nf_status st = nf_graph_clone(p2, &donor);
    int delta = p1->v[gap1].nout - p2->v[gap2].nout;
    if (!st && delta) st = nf_mutate_nout(donor, gap2, delta, p); /* the seam, sized by the planner */
    if (!st && donor->v[gap2].nout != p1->v[gap1].nout)
        st = nf_fail(NF_ERR_INFEASIBLE, "the seam could not be sized exactly");
    if (!st) st = nf_graph_clone(p1, &c);
    for (int i = c ? c->n - 1 : 0; !st && i > gap1; i--) st = nf_graph_remove_vertex(c, i, -1);
    if (!st) st = append_head(c, gap1, donor, gap2);
    if (!st) st = nf_graph_layout(c, p->rng);
    for (int j = gap2 + 1; !st && j < donor->n; j++) copy_slices(donor, j, c, gap1 + (j - gap2));
    nf_graph_destroy(donor);
    if (st) {
        nf_graph_destroy(c);
        return st;
    }
    *out = c;
    return NF_OK;
}
