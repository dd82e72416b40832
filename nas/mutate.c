#include "nas/mutate.h"

#include <stdlib.h>
#include <string.h>

#include "engine/graph_edit.h"
#include "engine/op.h"
#include "nas/surgery.h"

nf_mutate_params nf_mutate_defaults(nf_rng *rng)
{
    return (nf_mutate_params){.plan = nf_plan_defaults(), .rng = rng, .align = NF_ALIGN_MEET,
                              .limits = nf_limits_ceiling()};
}

/* ==== plan first, then copy and swap ===================================== */

/* Replaces g's contents by c's and frees what g held. */
static void swap_in(nf_graph *g, nf_graph *c)
{
    nf_graph t = *g;
    *g = *c;
    *c = t;
    nf_graph_destroy(c);
}

static nf_status begin(const nf_mutate_params *p)
{
    if (!p || !p->rng) return nf_fail(NF_ERR_ARG, "a mutation needs parameters with an rng");
    if (p->report) memset(p->report, 0, sizeof *p->report);
    return NF_OK;
}

/* Parameter floats of vertex v with nin, nout replaced. */
static size_t params_of(const nf_vertex *v, int nin, int nout)
{
    nf_vertex x = *v;
    x.nin = nin;
    x.nout = nout;
    const nf_op_def *d = nf_op_def_of(x.op);
    return d->n_param ? d->n_param(&x) : 0;
}

/* p's limits, a 0 (none) meaning the ceiling. */
static int width_limit(const nf_mutate_params *p)
{
    return p->limits.max_width > 0 ? p->limits.max_width : nf_limits_ceiling().max_width;
}

static size_t params_limit(const nf_mutate_params *p)
{
    return (size_t)(p->limits.max_params > 0 ? p->limits.max_params : nf_limits_ceiling().max_params);
}

/* NF_ERR_LIMIT when vertex sizes (nout_of[i], nin_of[i]) exceed p's limits. */
static nf_status check_limits(const nf_graph *g, const int *nin_of, const int *nout_of, const nf_mutate_params *p)
{
    size_t total = 0;
    for (int i = 0; i < g->n; i++) {
        if (nout_of[i] > width_limit(p))
            return nf_fail(NF_ERR_LIMIT, "vertex %d would have %d neurons (limit %d)", i, nout_of[i], width_limit(p));
        total += params_of(&g->v[i], nin_of[i], nout_of[i]);
    }
    if (total > params_limit(p))
        return nf_fail(NF_ERR_LIMIT, "the graph would have %zu parameters (limit %zu)", total, params_limit(p));
    return NF_OK;
}

/* The limits against the sizes plan gives g. */
static nf_status plan_limits(const nf_graph *g, const nf_plan *plan, const nf_mutate_params *p)
{
    int *nin = malloc((size_t)g->n * sizeof *nin), *nout = malloc((size_t)g->n * sizeof *nout);
    nf_status st = NF_OK;
    if (!nin || !nout) st = nf_fail(NF_ERR_NOMEM, "cannot check a plan's sizes");
    for (int i = 0; i < g->n && !st; i++) {
        nout[i] = nf_plan_size(plan, i);
        nin[i] = nf_graph_kind(g, i) == NF_KIND_LAYER ? nf_plan_size(plan, g->v[i].inputs[0]) : nout[i];
    }
    if (!st) st = check_limits(g, nin, nout, p);
    free(nin); free(nout);
    return st;
}

/* The limits against g's current sizes (after a structural edit). */
static nf_status graph_limits(const nf_graph *g, const nf_mutate_params *p)
{
    int *nin = malloc((size_t)g->n * sizeof *nin), *nout = malloc((size_t)g->n * sizeof *nout);
    nf_status st = NF_OK;
    if (!nin || !nout) st = nf_fail(NF_ERR_NOMEM, "cannot check a graph's sizes");
    for (int i = 0; i < g->n && !st; i++) { nin[i] = g->v[i].nin; nout[i] = g->v[i].nout; }
    if (!st) st = check_limits(g, nin, nout, p);
    free(nin); free(nout);
    return st;
}

/* Records the request's targets and what the plan gives them. */
static void report_plan(const nf_plan *plan, const nf_plan_request *r, const nf_mutate_params *p)
{
    nf_mutate_report *rep = p->report;
    if (!rep) return;
    rep->relaxed |= nf_plan_get_stats(plan)->relaxed;
    rep->changed |= nf_plan_changes(plan);
    for (int t = 0; t < r->n_targets && rep->n_targets < NF_MUTATE_REPORT_TARGETS; t++) {
        int k = rep->n_targets++;
        rep->target[k].vertex = r->targets[t].vertex;
        rep->target[k].asked = r->targets[t].size;
        rep->target[k].got = nf_plan_size(plan, r->targets[t].vertex);
    }
}

/* Plans r on g (only read) and checks the plan against the limits. */
static nf_status plan_checked(const nf_graph *g, const nf_plan_request *r, const nf_plan_params *pp,
                              const nf_mutate_params *p, nf_plan **out)
{
    nf_status st = nf_plan_solve(g, r, pp, out);
    if (!st) st = plan_limits(g, *out, p);
    if (st) { nf_plan_destroy(*out); *out = NULL; return st; }
    report_plan(*out, r, p);
    return NF_OK;
}

/* Checks the copy and swaps it in, or throws it away. */
static nf_status finish(nf_graph *g, nf_graph *c, nf_status st, const nf_mutate_params *p)
{
    if (!st) st = nf_graph_check(c);
    if (!st) st = graph_limits(c, p);
    if (st) {
        nf_graph_destroy(c);
        if (p->report) memset(p->report, 0, sizeof *p->report);
        return st;
    }
    swap_in(g, c);
    if (p->report) p->report->changed = 1;
    return NF_OK;
}

/* A copy of g with plan's surgery applied (plan may be NULL: a plain copy). */
static nf_status copy_with(const nf_graph *g, const nf_plan *plan, nf_rng *rng, nf_graph **c)
{
    nf_status st = nf_graph_clone(g, c);
    if (!st && plan) st = nf_surgery_apply(*c, plan, rng);
    if (st) { nf_graph_destroy(*c); *c = NULL; }
    return st;
}

static int valid_index(const nf_graph *g, int i) { return i >= 0 && i < g->n; }

/* 1 if every target asks for at least its current size. */
static int growth(const nf_graph *g, const nf_plan_target *targets, int n)
{
    for (int t = 0; t < n; t++)
        if (targets[t].size < g->v[targets[t].vertex].nout) return 0;
    return n > 0;
}

/* ==== sizes =============================================================== */

nf_status nf_mutate_sizes(nf_graph *g, const nf_plan_target *targets, int n, const nf_mutate_params *p)
{
    nf_status st = begin(p);
    if (st) return st;
    if (n < 1 || !targets) return nf_fail(NF_ERR_ARG, "no size requested");
    for (int t = 0; t < n; t++) {
        if (!valid_index(g, targets[t].vertex)) return nf_fail(NF_ERR_ARG, "vertex %d does not exist", targets[t].vertex);
        if (targets[t].size > width_limit(p))
            return nf_fail(NF_ERR_LIMIT, "vertex %d: %d neurons asked (limit %d)", targets[t].vertex, targets[t].size, width_limit(p));
    }
    nf_plan_request r = {.targets = targets, .n_targets = n, .keep_all = growth(g, targets, n)};
    nf_plan *plan;
    if ((st = plan_checked(g, &r, &p->plan, p, &plan))) return st;
    nf_graph *c = NULL;
    if (nf_plan_changes(plan)) {
        st = copy_with(g, plan, p->rng, &c);
        if (!st) st = finish(g, c, NF_OK, p);
    }
    nf_plan_destroy(plan);
    return st;
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
 * downstream side). *out is NULL when they are equal already. */
static nf_status align_plan(const nf_graph *g, int a, int b, const nf_mutate_params *p, nf_plan **out)
{
    *out = NULL;
    int na = g->v[a].nout, nb = g->v[b].nout;
    if (na == nb) return NF_OK;
    nf_plan_tie tie = {a, b};
    nf_plan_target t[2] = {{.vertex = a}, {.vertex = b}};
    nf_plan_request r = {.ties = &tie, .n_ties = 1, .targets = t, .n_targets = 2};
    switch (p->align) {
    case NF_ALIGN_FAIL: return nf_fail(NF_ERR_INFEASIBLE, "sizes %d and %d differ and alignment is refused", na, nb);
    case NF_ALIGN_GROW: t[0].size = t[1].size = na > nb ? na : nb; r.keep_all = 1; break;
    case NF_ALIGN_SHRINK: t[0].size = t[1].size = na < nb ? na : nb; break;
    case NF_ALIGN_CONSUMERS: t[0].size = t[1].size = na; break;
    case NF_ALIGN_MEET: r.n_targets = 0; break;
    default: return nf_fail(NF_ERR_ARG, "unknown alignment %d", (int)p->align);
    }
    nf_plan_params pp = p->plan;
    pp.relax = 0;
    return plan_checked(g, &r, &pp, p, out);
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
    nf_status st = begin(p);
    if (st) return st;
    if (i < 1 || i >= g->n - 1) return nf_fail(NF_ERR_ARG, "vertex %d cannot be removed (input, output or missing)", i);
    if (g->v[i].n_inputs != 1) return nf_fail(NF_ERR_ARG, "vertex %d has %d inputs; only single-input vertices are removed", i, g->v[i].n_inputs);
    int src = g->v[i].inputs[0];
    nf_plan *plan;
    if ((st = align_plan(g, src, i, p, &plan))) return st;
    nf_graph *c;
    st = copy_with(g, plan, p->rng, &c);
    nf_plan_destroy(plan);
    if (st) return st;
    st = nf_graph_remove_vertex(c, i, src);
    if (!st) st = nf_graph_layout(c, p->rng); /* compacts the buffers; every size is kept */
    return finish(g, c, st, p);
}

/* Arguments of an insertion, checked before anything is copied. */
static nf_status check_insert(const nf_graph *g, const nf_insert *s)
{
    if (!valid_index(g, s->anchor) || (s->before && s->anchor == 0))
        return nf_fail(NF_ERR_ARG, "cannot insert at vertex %d", s->anchor);
    if (s->op == NF_OP_INPUT || (unsigned)s->op >= NF_OP_COUNT) return nf_fail(NF_ERR_ARG, "cannot insert op %d", (int)s->op);
    if (s->before && (s->slot < 0 || s->slot >= g->v[s->anchor].n_inputs))
        return nf_fail(NF_ERR_ARG, "vertex %d has no input slot %d", s->anchor, s->slot);
    if (s->nout < 0) return nf_fail(NF_ERR_ARG, "an inserted layer cannot have %d neurons", s->nout);
    if (s->op == NF_OP_CONV2D && s->attr.stride != 1)
        return nf_fail(NF_ERR_ARG, "a stride-%d conv2d cannot start as an identity; insert stride 1", s->attr.stride);
    return NF_OK;
}

/* A new batchnorm computes the identity in evaluation mode: gamma 1, beta 0
 * (its initialiser), running mean 0 and variance 1 - eps. */
static void batchnorm_identity(nf_graph *c, int at)
{
    const nf_vertex *v = &c->v[at];
    float var = v->attr.eps < 1.0f ? 1.0f - v->attr.eps : 1.0f;
    for (int k = 0; k < v->nout; k++) c->state[v->state_off + (size_t)v->nout + k] = var;
}

nf_status nf_mutate_insert(nf_graph *g, const nf_insert *s, const nf_mutate_params *p, int *index)
{
    if (index) *index = -1;
    nf_status st = begin(p);
    if (st || (st = check_insert(g, s))) return st;
    if (s->nout > width_limit(p)) return nf_fail(NF_ERR_LIMIT, "%d neurons asked (limit %d)", s->nout, width_limit(p));
    nf_graph *c;
    if ((st = nf_graph_clone(g, &c))) return st;
    int src = s->before ? c->v[s->anchor].inputs[s->slot] : s->anchor;
    int at = s->before ? s->anchor : s->anchor + 1;
    st = nf_graph_insert_vertex(c, at, s->op, &s->attr, c->v[src].nout, &src, 1);
    if (!st) {
        if (s->before) c->v[s->anchor + 1].inputs[s->slot] = at;
        else nf_graph_redirect(c, src, at, at);
        st = nf_graph_layout(c, p->rng);
    }
    int layer = !st && nf_graph_kind(c, at) == NF_KIND_LAYER; /* c->v[at] exists only after a good insert */
    if (!st && layer) st = nf_graph_set_identity(c, at);
    if (!st && s->op == NF_OP_BATCHNORM) batchnorm_identity(c, at);
    if (!st && layer && s->nout > 0 && s->nout != c->v[at].nout) {
        nf_plan_target t = {.vertex = at, .size = s->nout};
        nf_plan_request r = {.targets = &t, .n_targets = 1, .keep_all = s->nout > c->v[at].nout};
        nf_plan_params pp = p->plan;
        pp.value = NULL; /* the caller's values describe the graph before the insertion */
        nf_plan *plan;
        st = plan_checked(c, &r, &pp, p, &plan);
        if (!st) st = nf_surgery_apply(c, plan, p->rng);
        nf_plan_destroy(plan);
    }
    int identity = layer || s->op == NF_OP_BATCHNORM || (s->op == NF_OP_DROPOUT) ||
                   (s->op == NF_OP_ACT && s->attr.act == NF_ACT_IDENTITY);
    st = finish(g, c, st, p);
    if (!st && index) *index = at;
    if (!st && p->report) p->report->identity = identity && !(p->report->relaxed);
    return st;
}

/* ==== edges =============================================================== */

nf_status nf_mutate_add_edge(nf_graph *g, int from, int to, int pos, const nf_mutate_params *p)
{
    nf_status st = begin(p);
    if (st) return st;
    if (!valid_index(g, to) || !valid_index(g, from) || from >= to)
        return nf_fail(NF_ERR_ARG, "an edge %d -> %d breaks topological order", from, to);
    nf_kind kind = nf_graph_kind(g, to);
    if (kind != NF_KIND_CONCAT && kind != NF_KIND_ADD) return nf_fail(NF_ERR_ARG, "vertex %d is neither concat nor add", to);
    if (pos == -1) pos = g->v[to].n_inputs;
    if (pos < 0 || pos > g->v[to].n_inputs) return nf_fail(NF_ERR_ARG, "vertex %d has no input position %d", to, pos);
    nf_plan *plan = NULL;
    if (kind == NF_KIND_CONCAT) {
        nf_plan_request r = {.edit = NF_PLAN_EDIT_CONCAT_INSERT, .concat = to, .pos = pos, .from = from, .keep_all = 1};
        nf_plan_params pp = p->plan;
        pp.relax = 0;
        st = plan_checked(g, &r, &pp, p, &plan);
    } else {
        st = align_plan(g, from, to, p, &plan);
    }
    if (st) return st;
    nf_graph *c;
    st = copy_with(g, plan, p->rng, &c);
    nf_plan_destroy(plan);
    if (st) return st;
    st = nf_graph_add_input(c, to, from, pos);
    return finish(g, c, st, p);
}

nf_status nf_mutate_remove_edge(nf_graph *g, int to, int pos, const nf_mutate_params *p)
{
    nf_status st = begin(p);
    if (st) return st;
    if (!valid_index(g, to)) return nf_fail(NF_ERR_ARG, "vertex %d does not exist", to);
    nf_kind kind = nf_graph_kind(g, to);
    if (kind != NF_KIND_CONCAT && kind != NF_KIND_ADD) return nf_fail(NF_ERR_ARG, "vertex %d is neither concat nor add", to);
    if (pos < 0 || pos >= g->v[to].n_inputs) return nf_fail(NF_ERR_ARG, "vertex %d has no input %d", to, pos);
    if (g->v[to].n_inputs < 2) return nf_fail(NF_ERR_GRAPH, "vertex %d would have no input left", to);
    nf_plan *plan = NULL;
    if (kind == NF_KIND_CONCAT) {
        nf_plan_request r = {.edit = NF_PLAN_EDIT_CONCAT_DROP, .concat = to, .pos = pos};
        nf_plan_params pp = p->plan;
        pp.relax = 0;
        if ((st = plan_checked(g, &r, &pp, p, &plan))) return st;
    }
    nf_graph *c;
    st = copy_with(g, plan, p->rng, &c);
    nf_plan_destroy(plan);
    if (st) return st;
    st = nf_graph_remove_input(c, to, pos);
    if (!st) st = prune_dead(c);
    if (!st) st = nf_graph_layout(c, p->rng);
    return finish(g, c, st, p);
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
