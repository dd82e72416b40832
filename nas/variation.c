#include "nas/variation.h"

#include <math.h>
#include <stdlib.h>

#include "nas/crossover.h"
#include "nas/mutate.h"

nf_variation nf_variation_defaults(void)
{
    nf_variation v = {.two_changes = 0.3, .three_changes = 0.1, .lr_odds = 0.8, .lr_sigma = 0.3,
                      .min_lr = 1e-5, .max_lr = 0.1, .optimizer_odds = 0.05, .decay_odds = 0.1,
                      .batch_odds = 0.05, .min_batch = 16, .max_batch = 256, .crossover_odds = 0.1,
                      .head_crossover_odds = 0.05,
                      .plan_ms = 1000, .limits = nf_limits_defaults(), .space = nf_space_defaults()};
#define DEFAULT_ODDS(id, num, name, phase, weight, apply) v.odds[num] = weight;
    NF_GRAPH_CHANGES(DEFAULT_ODDS)
#undef DEFAULT_ODDS
    return v;
}

nf_status nf_variation_check(const nf_variation *v)
{
    double total = 0;
    for (int k = 0; k < NF_CHANGE_COUNT; k++) {
        if (!(v->odds[k] >= 0)) return nf_fail(NF_ERR_ARG, "mutation odds of %s must not be negative", nf_change_name(k));
        if (nf_change_is_graph(k)) total += v->odds[k];
    }
    if (!(total > 0)) return nf_fail(NF_ERR_ARG, "every graph mutation has odds 0");
    double p[] = {v->two_changes, v->three_changes, v->lr_odds, v->optimizer_odds, v->decay_odds, v->batch_odds,
                  v->crossover_odds, v->head_crossover_odds};
    for (size_t k = 0; k < sizeof p / sizeof p[0]; k++)
        if (!(p[k] >= 0 && p[k] <= 1)) return nf_fail(NF_ERR_ARG, "mutation odds %g is not a probability", p[k]);
    if (v->two_changes + v->three_changes > 1) return nf_fail(NF_ERR_ARG, "odds of two and three changes add up past 1");
    if (!(v->min_lr > 0 && v->min_lr < v->max_lr && v->max_lr < 10)) return nf_fail(NF_ERR_ARG, "learning-rate range is empty or out of (0, 10)");
    if (v->min_batch < 1 || v->min_batch > v->max_batch || v->max_batch > 4096)
        return nf_fail(NF_ERR_ARG, "batch range %d..%d is empty or out of 1..4096", v->min_batch, v->max_batch);
    if (v->plan_ms < 1) return nf_fail(NF_ERR_ARG, "plan time limit must be positive");
    return nf_space_check(&v->space);
}

/* ==== choosing vertices ================================================== */

/* A vertex's mean neuron value; unmeasured neurons count as `fallback`. */
static double mean_value(const nf_graph *g, int i, double fallback)
{
    const nf_vertex *v = &g->v[i];
    double sum = 0;
    for (int k = 0; k < v->nout; k++) {
        float x = g->value[v->value_off + k];
        sum += x >= 0 && isfinite(x) ? x : fallback;
    }
    return v->nout ? sum / v->nout : fallback;
}

typedef int (*vertex_filter)(const nf_graph *g, int i);

/* A vertex passing keep, drawn with odds by rank of mean value: low values
 * likelier when prefer_low, high ones otherwise, uniform when by_value is 0.
 * NF_ERR_INFEASIBLE (no detail: the change does not apply here) when none
 * passes; NF_ERR_NOMEM, nothing drawn, when the lists cannot be allocated. */
static nf_status pick(const nf_graph *g, vertex_filter keep, int by_value, int prefer_low, nf_rng *rng, int *chosen)
{
    *chosen = -1;
    int *idx = malloc((size_t)g->n * sizeof *idx), n = 0;
    double *val = malloc((size_t)g->n * sizeof *val), *weight = malloc((size_t)g->n * sizeof *weight);
    if (!idx || !val || !weight) {
        free(idx); free(val); free(weight);
        return nf_fail(NF_ERR_NOMEM, "cannot list the vertices of a %d-vertex graph", g->n);
    }
    for (int i = 1; i < g->n - 1; i++)
        if (keep(g, i)) { idx[n] = i; val[n] = mean_value(g, i, 0); n++; }
    /* The vertex at the preferred end weighs n, the next n - 1, ... (ties
     * ranked by index); 1 each when the values do not matter. */
    double total = 0;
    for (int a = 0; a < n; a++) {
        int ahead = 0;
        for (int b = 0; b < n; b++)
            ahead += (prefer_low ? val[b] < val[a] : val[b] > val[a]) || (val[b] == val[a] && b < a);
        weight[a] = by_value ? n - ahead : 1;
        total += weight[a];
    }
    double x = n ? nf_rng_uniform(rng) * total : 0;
    for (int a = 0; a < n; a++) {
        *chosen = idx[a];
        if ((x -= weight[a]) < 0) break;
    }
    free(idx); free(val); free(weight);
    return n ? NF_OK : NF_ERR_INFEASIBLE;
}

static int is_layer(const nf_graph *g, int i) { return nf_graph_kind(g, i) == NF_KIND_LAYER; }
static int is_conv(const nf_graph *g, int i) { return g->v[i].op == NF_OP_CONV2D; }
static int is_act(const nf_graph *g, int i) { return g->v[i].op == NF_OP_ACT; }
static int is_spatial_act(const nf_graph *g, int i) { return is_act(g, i) && g->v[i].h > 1; }
static int is_pool(const nf_graph *g, int i) { return g->v[i].op == NF_OP_MAXPOOL || g->v[i].op == NF_OP_AVGPOOL; }
static int is_big_act(const nf_graph *g, int i) { return is_spatial_act(g, i) && g->v[i].h >= 4 && g->v[i].w >= 4; }
static int is_joint(const nf_graph *g, int i)
{
    return (g->v[i].op == NF_OP_ADD || g->v[i].op == NF_OP_CONCAT) && g->v[i].n_inputs >= 2;
}
static int is_head_anchor(const nf_graph *g, int i)
{
    return g->v[i].op == NF_OP_GAP || (is_act(g, i) && g->v[i].h == 1);
}
static int is_removable(const nf_graph *g, int i) { return is_layer(g, i) && g->v[i].n_inputs == 1; }

/* ==== the graph changes ================================================== */

/* Everything one change needs. */
typedef struct change_ctx {
    const nf_variation *v;
    nf_candidate *child;
    nf_rng *rng;            /* choices */
    nf_mutate_params mp;    /* carries the weight-initialisation stream */
} change_ctx;

static nf_status resize(change_ctx *x, int grow)
{
    nf_graph *g = x->child->g;
    int i;
    nf_status st = pick(g, is_layer, 1, !grow, x->rng, &i);
    if (st) return st;
    int n = g->v[i].nout, id = g->v[i].id;
    int delta = (int)ceil(n * (0.1 + 0.3 * nf_rng_uniform(x->rng)));
    if (!grow) delta = n - delta < 2 ? n - 2 : delta;
    if (delta < 1) return NF_ERR_INFEASIBLE;
    st = nf_mutate_nout(g, i, grow ? delta : -delta, &x->mp);
    if (st) return st;
    int at = nf_graph_find(g, id);
    nf_candidate_log(x->child, grow ? NF_CHANGE_GROW : NF_CHANGE_SHRINK, id, n, g->v[at].nout);
    return NF_OK;
}

/* Inserts op after vertex anchor; *index receives the new vertex. */
static nf_status insert_after(change_ctx *x, int anchor, nf_op op, const nf_attr *a, int *index)
{
    nf_insert s = {.anchor = anchor, .op = op, .attr = *a};
    return nf_mutate_insert(x->child->g, &s, &x->mp, index);
}

/* A conv (3x3, identity) after a spatial activation, or a dense after the
 * pooling or a dense activation; a relu follows when the anchor is a relu,
 * whose non-negative output it then passes unchanged. */
static nf_status insert_layer(change_ctx *x, int dense)
{
    nf_graph *g = x->child->g;
    int anchor;
    nf_status st = pick(g, dense ? is_head_anchor : is_spatial_act, 0, 0, x->rng, &anchor);
    if (st) return st;
    int relu = is_act(g, anchor) && g->v[anchor].attr.act == NF_ACT_RELU;
    nf_attr a = nf_attr_default();
    a.kernel = 3;
    a.bias = dense;
    int at;
    st = insert_after(x, anchor, dense ? NF_OP_DENSE : NF_OP_CONV2D, &a, &at);
    if (!st && relu) st = insert_after(x, at, NF_OP_ACT, &a, NULL);
    if (st) return st;
    nf_candidate_log(x->child, dense ? NF_CHANGE_INSERT_DENSE : NF_CHANGE_INSERT_CONV, g->v[at].id, 0, g->v[at].nout);
    return NF_OK;
}

static nf_status change_remove(change_ctx *x)
{
    nf_graph *g = x->child->g;
    int i;
    nf_status st = pick(g, is_removable, 1, 1, x->rng, &i);
    if (st) return st;
    int id = g->v[i].id, n = g->v[i].nout;
    st = nf_mutate_remove(g, i, &x->mp);
    if (!st) nf_candidate_log(x->child, NF_CHANGE_REMOVE, id, n, 0);
    return st;
}

/* A vertex before b with b's spatial size that is not b's input, or -1. */
static int skip_source(const nf_graph *g, int b, nf_rng *rng)
{
    int n = 0, chosen = -1;
    for (int a = 1; a < b - 1; a++) {
        if (g->v[a].h != g->v[b].h || g->v[a].w != g->v[b].w || !is_act(g, a)) continue;
        if (nf_rng_below(rng, (uint64_t)++n) == 0) chosen = a; /* reservoir: uniform over the matches */
    }
    return chosen;
}

/* An add or concat after activation b with an earlier activation a of the
 * same spatial size as its second input. */
static nf_status add_skip(change_ctx *x, nf_op op)
{
    nf_graph *g = x->child->g;
    int b;
    nf_status st = pick(g, is_spatial_act, 0, 0, x->rng, &b);
    if (st) return st;
    int a = skip_source(g, b, x->rng);
    if (a < 0) return NF_ERR_INFEASIBLE;
    int joint, from_id = g->v[a].id;
    nf_attr attr = nf_attr_default();
    st = insert_after(x, b, op, &attr, &joint);
    if (st) return st;
    int before = g->v[joint].nout;
    st = nf_mutate_add_edge(g, nf_graph_find(g, from_id), joint, -1, &x->mp);
    if (st) return st;
    nf_candidate_log(x->child, op == NF_OP_ADD ? NF_CHANGE_SKIP_ADD : NF_CHANGE_SKIP_CONCAT, g->v[joint].id, before,
                     g->v[joint].nout);
    return NF_OK;
}

static nf_status change_skip_remove(change_ctx *x)
{
    nf_graph *g = x->child->g;
    int j;
    nf_status st = pick(g, is_joint, 0, 0, x->rng, &j);
    if (st) return st;
    int id = g->v[j].id, before = g->v[j].n_inputs;
    st = nf_mutate_remove_edge(g, j, (int)nf_rng_below(x->rng, (uint64_t)before), &x->mp);
    if (!st) nf_candidate_log(x->child, NF_CHANGE_SKIP_REMOVE, id, before, before - 1);
    return st;
}

static nf_status change_kernel(change_ctx *x)
{
    nf_graph *g = x->child->g;
    int i;
    nf_status st = pick(g, is_conv, 0, 0, x->rng, &i);
    if (st) return st;
    int old = g->v[i].attr.kernel, k = nf_space_kernel(&x->v->space, x->rng);
    if (k == old) return NF_ERR_INFEASIBLE;
    st = nf_mutate_kernel(g, i, k);
    if (!st) nf_candidate_log(x->child, NF_CHANGE_KERNEL, g->v[i].id, old, k);
    return st;
}

static nf_status change_activation(change_ctx *x)
{
    static const nf_act choices[] = {NF_ACT_RELU, NF_ACT_LEAKY_RELU, NF_ACT_ELU, NF_ACT_SELU, NF_ACT_TANH};
    nf_graph *g = x->child->g;
    int i;
    nf_status st = pick(g, is_act, 0, 0, x->rng, &i);
    if (st) return st;
    nf_act old = g->v[i].attr.act, act = choices[nf_rng_below(x->rng, 5)];
    if (act == old) return NF_ERR_INFEASIBLE;
    st = nf_mutate_activation(g, i, act);
    if (!st) nf_candidate_log(x->child, NF_CHANGE_ACTIVATION, g->v[i].id, old, act);
    return st;
}

static nf_status change_pool_add(change_ctx *x)
{
    nf_graph *g = x->child->g;
    int i;
    nf_status st = pick(g, is_big_act, 0, 0, x->rng, &i);
    if (st) return st;
    nf_attr a = nf_attr_default();
    nf_op op = nf_rng_below(x->rng, 2) ? NF_OP_AVGPOOL : NF_OP_MAXPOOL;
    int at, side = g->v[i].h;
    st = insert_after(x, i, op, &a, &at);
    if (!st) nf_candidate_log(x->child, NF_CHANGE_POOL_ADD, g->v[at].id, side, g->v[at].h);
    return st;
}

static nf_status change_pool_remove(change_ctx *x)
{
    nf_graph *g = x->child->g;
    int i;
    nf_status st = pick(g, is_pool, 0, 0, x->rng, &i);
    if (st) return st;
    int id = g->v[i].id, side = g->v[i].h, in = g->v[g->v[i].inputs[0]].h;
    st = nf_mutate_remove(g, i, &x->mp);
    if (!st) nf_candidate_log(x->child, NF_CHANGE_POOL_REMOVE, id, side, in);
    return st;
}

static nf_status change_grow(change_ctx *x) { return resize(x, 1); }
static nf_status change_shrink(change_ctx *x) { return resize(x, 0); }
static nf_status change_insert_conv(change_ctx *x) { return insert_layer(x, 0); }
static nf_status change_insert_dense(change_ctx *x) { return insert_layer(x, 1); }
static nf_status change_skip_add(change_ctx *x) { return add_skip(x, NF_OP_ADD); }
static nf_status change_skip_concat(change_ctx *x) { return add_skip(x, NF_OP_CONCAT); }

/* The graph changes' rows of nas/change_kinds.h: when each runs and what does it. */
typedef struct graph_change {
    int phase;
    nf_status (*apply)(change_ctx *x);
} graph_change;

#define GRAPH_ROW(id, num, name, when, weight, fn) [num] = {when, fn},
static const graph_change graph_changes[NF_CHANGE_COUNT] = {NF_GRAPH_CHANGES(GRAPH_ROW)};
#undef GRAPH_ROW

static nf_status apply_graph_change(change_ctx *x, nf_change_kind kind)
{
    return nf_change_is_graph(kind) ? graph_changes[kind].apply(x) : NF_ERR_ARG;
}

/* Applies one change on a copy; keeps it only if it succeeded and the
 * child stays within the limits. Returns 1 if kept; *fatal receives
 * NF_ERR_NOMEM (the child as it was before the change) when memory ran out. */
static int try_graph_change(change_ctx *x, nf_change_kind kind, nf_status *fatal)
{
    nf_graph *backup;
    if ((*fatal = nf_graph_clone(x->child->g, &backup))) return 0;
    int logged = x->child->n_changes;
    nf_status st = apply_graph_change(x, kind);
    if (!st && !nf_limits_check(&x->v->limits, x->child->g, x->child->set.batch)) {
        nf_graph_destroy(backup);
        return 1;
    }
    nf_graph_destroy(x->child->g);
    x->child->g = backup;
    x->child->n_changes = logged;
    if (st == NF_ERR_NOMEM) *fatal = st; /* out of memory is not "this change does not apply" */
    return 0;
}

/* ==== order and settings ================================================= */

/* When a change runs (nas/change_kinds.h: removals and shrinks, changes of
 * kind, growth, new layers last). */
static int phase_of(nf_change_kind k) { return graph_changes[k].phase; }

/* A graph change drawn by its relative odds (the last graph kind when
 * rounding leaves x past every bin). */
static nf_change_kind draw_kind(const nf_variation *v, nf_rng *rng)
{
    double total = 0;
    for (int k = 0; k < NF_CHANGE_COUNT; k++)
        if (nf_change_is_graph(k)) total += v->odds[k];
    double x = nf_rng_uniform(rng) * total;
    int last = 0;
    for (int k = 0; k < NF_CHANGE_COUNT; k++) {
        if (!nf_change_is_graph(k)) continue;
        last = k;
        if ((x -= v->odds[k]) < 0) break;
    }
    return (nf_change_kind)last;
}

static int graph_change_count(const nf_variation *v, nf_rng *rng)
{
    double u = nf_rng_uniform(rng);
    return u < v->three_changes ? 3 : u < v->three_changes + v->two_changes ? 2 : 1;
}

static double clamp(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }
static int is_sgd_family(nf_optim_kind k) { return k != NF_OPTIM_ADAM && k != NF_OPTIM_ADAMW; }

/* Learning-rate range of an optimiser kind (the SGD family takes rates 10x Adam's). */
static double lr_bound(const nf_variation *v, nf_optim_kind k, int upper)
{
    double scale = is_sgd_family(k) ? 10 : 1;
    return (upper ? v->max_lr : v->min_lr) * scale;
}

static void switch_optimizer(nf_candidate *c, nf_optim_kind kind)
{
    nf_optim old = c->set.optim, fresh = nf_optim_defaults(kind);
    /* Keep the rate's position relative to each kind's default. */
    fresh.lr = (float)(old.lr * fresh.lr / nf_optim_defaults(old.kind).lr);
    fresh.weight_decay = old.weight_decay;
    c->set.optim = fresh;
    nf_optim_reset(c->g); /* the moments of one kind mean nothing to another */
}

static void mutate_settings(const nf_variation *v, nf_candidate *c, nf_rng *rng)
{
    nf_optim *o = &c->set.optim;
    if (nf_rng_uniform(rng) < v->optimizer_odds) {
        static const nf_optim_kind kinds[] = {NF_OPTIM_ADAM, NF_OPTIM_ADAMW, NF_OPTIM_NESTEROV, NF_OPTIM_MOMENTUM};
        nf_optim_kind old = o->kind, k = kinds[nf_rng_below(rng, 4)];
        if (k != old) {
            switch_optimizer(c, k);
            nf_candidate_log(c, NF_CHANGE_OPTIMIZER, -1, old, k);
        }
    }
    if (nf_rng_uniform(rng) < v->lr_odds) {
        double old = o->lr;
        o->lr = (float)clamp(old * exp(v->lr_sigma * nf_rng_normal(rng)), lr_bound(v, o->kind, 0), lr_bound(v, o->kind, 1));
        nf_candidate_log(c, NF_CHANGE_LR, -1, old, o->lr);
    }
    if (nf_rng_uniform(rng) < v->decay_odds) {
        static const float decays[] = {0, 1e-5f, 1e-4f, 5e-4f, 1e-3f, 1e-2f};
        double old = o->weight_decay;
        o->weight_decay = decays[nf_rng_below(rng, 6)];
        if (o->weight_decay != old) nf_candidate_log(c, NF_CHANGE_WEIGHT_DECAY, -1, old, o->weight_decay);
    }
    if (nf_rng_uniform(rng) < v->batch_odds) {
        int old = c->set.batch, b = nf_rng_below(rng, 2) ? old * 2 : old / 2;
        if (b >= v->min_batch && b <= v->max_batch && !nf_limits_check(&v->limits, c->g, b)) {
            c->set.batch = b;
            nf_candidate_log(c, NF_CHANGE_BATCH, -1, old, b);
        }
    }
}

static void cross_settings(nf_candidate *c, const nf_candidate *p2)
{
    if (p2->set.optim.kind != c->set.optim.kind) nf_optim_reset(c->g);
    nf_candidate_log(c, NF_CHANGE_CROSS_SETTINGS, -1, (double)c->set.optim.lr, (double)p2->set.optim.lr);
    c->set.optim = p2->set.optim;
    c->set.batch = p2->set.batch;
}

/* The child's head from p2 (when it fits the limits). */
static nf_status cross_head(change_ctx *x, const nf_candidate *p2)
{
    nf_graph *g;
    nf_status st = nf_crossover_head(x->child->g, p2->g, &x->mp, &g);
    if (st == NF_ERR_NOMEM) return st;
    if (st || nf_limits_check(&x->v->limits, g, x->child->set.batch)) {
        nf_graph_destroy(g);
        return NF_OK; /* refused: not applied */
    }
    nf_candidate_log(x->child, NF_CHANGE_CROSS_HEAD, -1, (double)x->child->g->n_param, (double)g->n_param);
    nf_graph_destroy(x->child->g);
    x->child->g = g;
    return NF_OK;
}

/* One attempt at a child. */
static nf_status attempt(const nf_variation *v, const nf_candidate *p1, const nf_candidate *p2, nf_rng *rng,
                         nf_rng *init_rng, nf_candidate *child)
{
    change_ctx x = {v, child, rng, nf_mutate_defaults(init_rng)};
    x.mp.plan.time_limit_ms = v->plan_ms;
    /* Refused by the planner before anything is allocated; the rest of the
     * limits are checked on the result (try_graph_change). */
    if (v->limits.max_width > 0) x.mp.limits.max_width = v->limits.max_width;
    if (v->limits.max_params > 0) x.mp.limits.max_params = v->limits.max_params;
    if (p2 && p2 != p1 && nf_rng_uniform(rng) < v->head_crossover_odds) {
        nf_status st = cross_head(&x, p2);
        if (st) return st;
    }
    nf_change_kind kinds[3];
    int n = graph_change_count(v, rng);
    for (int k = 0; k < n; k++) kinds[k] = draw_kind(v, rng);
    for (int phase = 0; phase < NF_PHASE_COUNT; phase++)
        for (int k = 0; k < n; k++) {
            nf_status fatal = NF_OK;
            if (phase_of(kinds[k]) == phase) try_graph_change(&x, kinds[k], &fatal);
            if (fatal) return fatal;
        }
    if (p2 && p2 != p1 && nf_rng_uniform(rng) < v->crossover_odds) cross_settings(child, p2);
    mutate_settings(v, child, rng);
    return NF_OK;
}

#define ATTEMPTS 8

nf_status nf_vary(const nf_variation *v, const nf_candidate *p1, const nf_candidate *p2, int64_t id, int gen,
                  uint64_t seed, nf_candidate **out)
{
    *out = NULL;
    nf_rng rng, init_rng;
    nf_rng_seed(&rng, seed, (uint64_t)id, NF_RNG_MUTATE);
    nf_rng_seed(&init_rng, seed, (uint64_t)id, NF_RNG_INIT);
    for (int tries = 0; tries < ATTEMPTS; tries++) {
        nf_candidate *c;
        nf_status st = nf_candidate_child(p1, id, gen, &c);
        if (st) return st;
        st = attempt(v, p1, p2, &rng, &init_rng, c);
        if (!st && c->n_changes > 0) {
            for (int k = 0; k < c->n_changes; k++)
                if (c->changes[k].kind == NF_CHANGE_CROSS_SETTINGS || c->changes[k].kind == NF_CHANGE_CROSS_HEAD)
                    c->parent[1] = p2->id;
            *out = c;
            return NF_OK;
        }
        nf_candidate_destroy(c);
        if (st) return st;
    }
    return nf_fail(NF_ERR_INFEASIBLE, "no change could be made to candidate %lld in %d attempts", (long long)p1->id, ATTEMPTS);
}
