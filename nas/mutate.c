#include "nas/mutate.h"

#include <string.h>

#include "engine/graph_edit.h"
#include "nas/surgery.h"

nf_mutate_params nf_mutate_defaults(nf_rng *rng)
{
    return (nf_mutate_params){.plan = nf_plan_defaults(), .rng = rng, .align = NF_ALIGN_MEET};
}

/* ==== the copy-and-swap frame ============================================ */

/* Replaces g's contents by c's and frees what g held. */
static void swap_in(nf_graph *g, nf_graph *c)
{
    nf_graph t = *g;
    *g = *c;
    *c = t;
    nf_graph_destroy(c);
}

static nf_status begin(const nf_graph *g, const nf_mutate_params *p, nf_graph **c)
{
    if (!p || !p->rng) return nf_fail(NF_ERR_ARG, "a mutation needs parameters with an rng");
    return nf_graph_clone(g, c);
}

/* Checks the copy and swaps it in, or throws it away. */
static nf_status finish(nf_graph *g, nf_graph *c, nf_status st)
{
    if (!st) st = nf_graph_check(c);
    if (st) { nf_graph_destroy(c); return st; }
    swap_in(g, c);
    return NF_OK;
}

/* Plans r on c and applies the plan's surgery to c. */
static nf_status plan_apply(nf_graph *c, const nf_plan_request *r, const nf_plan_params *pp, nf_rng *rng)
{
    nf_plan *plan;
    nf_status st = nf_plan_solve(c, r, pp, &plan);
    if (st) return st;
    st = nf_surgery_apply(c, plan, rng);
    nf_plan_destroy(plan);
    return st;
}

static int valid_index(const nf_graph *g, int i) { return i >= 0 && i < g->n; }

/* ==== sizes =============================================================== */

nf_status nf_mutate_sizes(nf_graph *g, const nf_plan_target *targets, int n, const nf_mutate_params *p)
{
    for (int t = 0; t < n; t++)
        if (!valid_index(g, targets[t].vertex)) return nf_fail(NF_ERR_ARG, "vertex %d does not exist", targets[t].vertex);
    nf_graph *c;
    nf_status st = begin(g, p, &c);
    if (st) return st;
    nf_plan_request r = {.targets = targets, .n_targets = n};
    return finish(g, c, plan_apply(c, &r, &p->plan, p->rng));
}

nf_status nf_mutate_nout(nf_graph *g, int i, int delta, const nf_mutate_params *p)
{
    if (!valid_index(g, i)) return nf_fail(NF_ERR_ARG, "vertex %d does not exist", i);
    nf_plan_target t = {.vertex = i, .size = g->v[i].nout + delta};
    return nf_mutate_sizes(g, &t, 1, p);
}

nf_status nf_mutate_nin(nf_graph *g, int i, int delta, const nf_mutate_params *p)
{
    if (!valid_index(g, i) || nf_graph_kind(g, i) != NF_KIND_LAYER)
        return nf_fail(NF_ERR_ARG, "vertex %d is not a layer", i);
    return nf_mutate_nout(g, g->v[i].inputs[0], delta, p);
}

/* ==== aligning two sides an edit joins ==================================== */

/* Plans sizes of a's and b's groups equal by strategy align (b is the
 * downstream side). */
static nf_status align_plan(nf_graph *c, int a, int b, nf_align align, const nf_mutate_params *p)
{
    int na = c->v[a].nout, nb = c->v[b].nout;
    nf_plan_tie tie = {a, b};
    nf_plan_target t[2] = {{.vertex = a}, {.vertex = b}};
    nf_plan_request r = {.ties = &tie, .n_ties = 1, .targets = t, .n_targets = 2};
    switch (align) {
    case NF_ALIGN_FAIL:
        if (na == nb) return NF_OK;
        return nf_fail(NF_ERR_INFEASIBLE, "sizes %d and %d differ and alignment is refused", na, nb);
    case NF_ALIGN_GROW: t[0].size = t[1].size = na > nb ? na : nb; break;
    case NF_ALIGN_SHRINK: t[0].size = t[1].size = na < nb ? na : nb; break;
    case NF_ALIGN_CONSUMERS: t[0].size = t[1].size = na; break;
    case NF_ALIGN_MEET: r.n_targets = 0; break;
    default: return nf_fail(NF_ERR_ARG, "unknown alignment %d", (int)align);
    }
    nf_plan_params pp = p->plan;
    pp.relax = 0;
    return plan_apply(c, &r, &pp, p->rng);
}

/* Removes vertices nobody reads (but the output), last first. */
static nf_status prune_dead(nf_graph *c)
{
    for (int i = c->n - 2; i >= 1; i--)
        if (nf_graph_consumers(c, i, NULL) == 0) {
            nf_status st = nf_graph_remove_vertex(c, i, -1);
            if (st) return st;
        }
    return NF_OK;
}

/* ==== removing and inserting vertices ===================================== */

nf_status nf_mutate_remove(nf_graph *g, int i, const nf_mutate_params *p)
{
    if (i < 1 || i >= g->n - 1) return nf_fail(NF_ERR_ARG, "vertex %d cannot be removed (input, output or missing)", i);
    if (g->v[i].n_inputs != 1) return nf_fail(NF_ERR_ARG, "vertex %d has %d inputs; only single-input vertices are removed", i, g->v[i].n_inputs);
    nf_graph *c;
    nf_status st = begin(g, p, &c);
    if (st) return st;
    int src = c->v[i].inputs[0];
    if (c->v[src].nout != c->v[i].nout) st = align_plan(c, src, i, p->align, p);
    if (!st) st = nf_graph_remove_vertex(c, i, src);
    if (!st) st = nf_graph_layout(c, p->rng); /* compacts the buffers; every size is kept */
    return finish(g, c, st);
}

nf_status nf_mutate_insert(nf_graph *g, const nf_insert *s, const nf_mutate_params *p, int *index)
{
    if (index) *index = -1;
    if (!valid_index(g, s->anchor) || (s->before && s->anchor == 0))
        return nf_fail(NF_ERR_ARG, "cannot insert at vertex %d", s->anchor);
    if (s->op == NF_OP_INPUT || (unsigned)s->op >= NF_OP_COUNT) return nf_fail(NF_ERR_ARG, "cannot insert op %d", (int)s->op);
    if (s->before && (s->slot < 0 || s->slot >= g->v[s->anchor].n_inputs))
        return nf_fail(NF_ERR_ARG, "vertex %d has no input slot %d", s->anchor, s->slot);
    nf_graph *c;
    nf_status st = begin(g, p, &c);
    if (st) return st;
    int src = s->before ? c->v[s->anchor].inputs[s->slot] : s->anchor;
    int at = s->before ? s->anchor : s->anchor + 1;
    st = nf_graph_insert_vertex(c, at, s->op, &s->attr, c->v[src].nout, &src, 1);
    if (!st) {
        if (s->before) c->v[s->anchor + 1].inputs[s->slot] = at;
        else nf_graph_redirect(c, src, at, at);
        st = nf_graph_layout(c, p->rng);
    }
    int layer = nf_graph_kind(c, at) == NF_KIND_LAYER;
    if (!st && layer) st = nf_graph_set_identity(c, at);
    if (!st && layer && s->nout > 0 && s->nout != c->v[at].nout) {
        nf_plan_target t = {.vertex = at, .size = s->nout};
        nf_plan_request r = {.targets = &t, .n_targets = 1};
        nf_plan_params pp = p->plan;
        pp.value = NULL; /* the caller's values describe the graph before the insertion */
        st = plan_apply(c, &r, &pp, p->rng);
    }
    st = finish(g, c, st);
    if (!st && index) *index = at;
    return st;
}

/* ==== edges =============================================================== */

nf_status nf_mutate_add_edge(nf_graph *g, int from, int to, int pos, const nf_mutate_params *p)
{
    if (!valid_index(g, to) || !valid_index(g, from) || from >= to)
        return nf_fail(NF_ERR_ARG, "an edge %d -> %d breaks topological order", from, to);
    nf_kind kind = nf_graph_kind(g, to);
    if (kind != NF_KIND_CONCAT && kind != NF_KIND_ADD) return nf_fail(NF_ERR_ARG, "vertex %d is neither concat nor add", to);
    if (pos < 0) pos = g->v[to].n_inputs;
    if (pos > g->v[to].n_inputs) return nf_fail(NF_ERR_ARG, "vertex %d has no input position %d", to, pos);
    nf_graph *c;
    nf_status st = begin(g, p, &c);
    if (st) return st;
    if (kind == NF_KIND_CONCAT) {
        nf_plan_request r = {.edit = NF_PLAN_EDIT_CONCAT_INSERT, .concat = to, .pos = pos, .from = from};
        nf_plan_params pp = p->plan;
        pp.relax = 0;
        st = plan_apply(c, &r, &pp, p->rng);
    } else if (c->v[from].nout != c->v[to].nout) {
        st = align_plan(c, from, to, p->align, p);
    }
    if (!st) st = nf_graph_add_input(c, to, from, pos);
    return finish(g, c, st);
}

nf_status nf_mutate_remove_edge(nf_graph *g, int to, int pos, const nf_mutate_params *p)
{
    if (!valid_index(g, to)) return nf_fail(NF_ERR_ARG, "vertex %d does not exist", to);
    nf_kind kind = nf_graph_kind(g, to);
    if (kind != NF_KIND_CONCAT && kind != NF_KIND_ADD) return nf_fail(NF_ERR_ARG, "vertex %d is neither concat nor add", to);
    if (pos < 0 || pos >= g->v[to].n_inputs) return nf_fail(NF_ERR_ARG, "vertex %d has no input %d", to, pos);
    if (g->v[to].n_inputs < 2) return nf_fail(NF_ERR_GRAPH, "vertex %d would have no input left", to);
    nf_graph *c;
    nf_status st = begin(g, p, &c);
    if (st) return st;
    if (kind == NF_KIND_CONCAT) {
        nf_plan_request r = {.edit = NF_PLAN_EDIT_CONCAT_DROP, .concat = to, .pos = pos};
        nf_plan_params pp = p->plan;
        pp.relax = 0;
        st = plan_apply(c, &r, &pp, p->rng);
    }
    if (!st) st = nf_graph_remove_input(c, to, pos);
    if (!st) st = prune_dead(c);
    if (!st) st = nf_graph_layout(c, p->rng);
    return finish(g, c, st);
}

/* ==== kernels and activations ============================================= */

nf_status nf_mutate_kernel(nf_graph *g, int i, int kernel)
{
    /* The surgery is all-or-nothing and a "same" kernel keeps every shape. */
    return nf_surgery_kernel(g, i, kernel);
}

nf_status nf_mutate_activation(nf_graph *g, int i, nf_act act)
{
    if (!valid_index(g, i) || g->v[i].op != NF_OP_ACT) return nf_fail(NF_ERR_ARG, "vertex %d is not an activation", i);
    if ((unsigned)act >= NF_ACT_COUNT) return nf_fail(NF_ERR_ARG, "unknown activation %d", (int)act);
    g->v[i].attr.act = act;
    g->v[i].attr.alpha = act == NF_ACT_ELU ? 1.0f : 0.01f;
    return NF_OK;
}
