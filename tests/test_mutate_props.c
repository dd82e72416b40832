/* Random property test: thousands of random mutations of every kind on
 * random graphs with nested add and concat blocks. After each one the graph
 * is valid, every size relation and buffer slice holds, a forward and
 * backward pass runs with finite results, and a refused mutation changed
 * nothing. A failure prints the seed and step to replay it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>

#include "engine/op.h"
#include "nas/mutate.h"
#include "tests/nas_fixtures.h"

#define GRAPHS 300
#define STEPS_PER_GRAPH 50

static int pick(nf_rng *r, int lo, int hi) { return lo + (int)nf_rng_below(r, (uint64_t)(hi - lo + 1)); }

static int conv_bn_relu(nf_graph *g, int x, int n, nf_rng *r)
{
    int c = nf_graph_conv(g, x, n, 1 + 2 * pick(r, 0, 1), 1, pick(r, 0, 1));
    if (pick(r, 0, 1)) c = nf_graph_batchnorm(g, c);
    return nf_graph_act(g, c, pick(r, 0, 1) ? NF_ACT_RELU : NF_ACT_TANH);
}

static int block(nf_graph *g, int x, int depth, nf_rng *r);

/* Branches into a concat of total size `total` (0: free sizes). */
static int inception(nf_graph *g, int x, int total, int depth, nf_rng *r)
{
    int nb = total ? pick(r, 2, total < 3 ? 2 : 3) : pick(r, 2, 3), in[3], left = total;
    for (int k = 0; k < nb; k++) {
        int n = total ? (k == nb - 1 ? left : pick(r, 1, left - (nb - 1 - k))) : pick(r, 1, 4);
        left -= n;
        in[k] = conv_bn_relu(g, x, n, r);
        if (depth > 0 && pick(r, 0, 2) == 0) in[k] = block(g, in[k], depth - 1, r);
    }
    return fx_append(g, NF_OP_CONCAT, in, nb);
}

/* Residual block; its inner part may be an inception of the same size. */
static int residual(nf_graph *g, int x, int depth, nf_rng *r)
{
    int n = g->v[x].nout, y;
    if (n >= 2 && depth > 0 && pick(r, 0, 1)) y = inception(g, x, n, depth - 1, r);
    else y = conv_bn_relu(g, x, n, r);
    if (depth > 0 && pick(r, 0, 2) == 0) y = block(g, y, depth - 1, r);
    nf_graph_check(g);
    if (g->v[y].nout != n) y = nf_graph_conv(g, y, n, 1, 1, 0);
    int in[2] = {x, y};
    return fx_append(g, NF_OP_ADD, in, 2);
}

static int block(nf_graph *g, int x, int depth, nf_rng *r)
{
    nf_graph_check(g); /* derives the sizes the builders read */
    switch (pick(r, 0, 2)) {
    case 0: return conv_bn_relu(g, x, pick(r, 1, 5), r);
    case 1: return residual(g, x, depth, r);
    default: return inception(g, x, 0, depth, r);
    }
}

static nf_graph *random_graph(nf_rng *r)
{
    nf_graph *g;
    assert_int_equal(nf_graph_create(2, 4, 4, &g), NF_OK);
    int x = conv_bn_relu(g, 0, pick(r, 2, 5), r);
    for (int k = pick(r, 2, 4); k > 0; k--) x = block(g, x, 2, r);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, x), 3, 1);
    assert_int_equal(nf_graph_layout(g, r), NF_OK);
    return g;
}

/* Every size relation and buffer slice, checked independently of nf_graph_check. */
static const char *broken(nf_graph *g)
{
    if (nf_graph_check(g)) return nf_last_error();
    size_t po = 0, so = 0, vo = 0;
    for (int i = 0; i < g->n; i++) {
        const nf_vertex *v = &g->v[i];
        const nf_op_def *d = nf_op_def_of(v->op);
        int sum = 0;
        for (int k = 0; k < v->n_inputs; k++) {
            int n = g->v[v->inputs[k]].nout;
            sum += n;
            if (nf_graph_kind(g, i) == NF_KIND_ADD && n != v->nout) return "add input size";
        }
        nf_kind kind = nf_graph_kind(g, i);
        if (kind == NF_KIND_CONCAT && sum != v->nout) return "concat size";
        if (kind == NF_KIND_TRANSPARENT && v->nout != v->nin) return "transparent size";
        if (kind == NF_KIND_LAYER && v->nin != g->v[v->inputs[0]].nout) return "layer input size";
        if (v->nout < 1) return "empty vertex";
        if (v->param_off != po || v->n_param != (d->n_param ? d->n_param(v) : 0)) return "param slice";
        if (v->state_off != so || v->n_state != (d->n_state ? d->n_state(v) : 0)) return "state slice";
        if (v->value_off != vo) return "value slice";
        po += v->n_param; so += v->n_state; vo += (size_t)v->nout;
    }
    if (po != g->n_param || so != g->n_state || vo != g->n_value) return "buffer sizes";
    if (g->v[g->n - 1].nout != 3 || g->v[0].nout != 2) return "input or output size changed";
    return NULL;
}

/* A forward and backward pass; NULL if everything is finite. */
static const char *run_passes(nf_graph *g, nf_rng *r)
{
    nf_exec *e;
    if (nf_exec_create(g, 2, &e)) return "cannot create an executor";
    fx_fill_input(e, 3);
    assert_int_equal(nf_exec_forward(e, g, 2, 1, r), NF_OK);
    nf_tensor *dy = nf_exec_output_grad(e);
    for (size_t k = 0; k < nf_tensor_count(dy); k++) dy->data[k] = (float)nf_rng_normal(r);
    memset(g->grad, 0, g->n_param * sizeof(float));
    assert_int_equal(nf_exec_backward(e, g), NF_OK);
    const char *bad = NULL;
    const nf_tensor *y = nf_exec_output(e);
    for (size_t k = 0; k < nf_tensor_count(y); k++) if (!isfinite(y->data[k])) bad = "non-finite output";
    for (size_t k = 0; k < g->n_param; k++) if (!isfinite(g->grad[k])) bad = "non-finite gradient";
    nf_exec_destroy(e);
    return bad;
}

static int random_vertex(nf_graph *g, nf_rng *r, nf_kind want, int any)
{
    for (int tries = 0; tries < 40; tries++) {
        int i = pick(r, 0, g->n - 1);
        if (any || nf_graph_kind(g, i) == want) return i;
    }
    return -1;
}

static const char *const op_names[] = {"nout", "nin", "sizes", "remove", "insert", "add_edge",
                                        "remove_edge", "kernel", "activation", "timeout"};

/* Set by mutate_once: the last add_edge went into a concat (its new block
 * arrives with zero outgoing weights, so the function must not move). */
static int edge_into_concat;

/* One random mutation; returns its status and names it. */
static nf_status mutate_once(nf_graph *g, nf_rng *r, nf_mutate_params *p, int *which)
{
    int op = pick(r, 0, 9);
    *which = op;
    p->plan.time_limit_ms = 1000;
    p->align = (nf_align)pick(r, 0, 4);
    switch (op) {
    case 0: return nf_mutate_nout(g, pick(r, 0, g->n - 1), pick(r, -3, 3), p);
    case 1: {
        int i = random_vertex(g, r, NF_KIND_LAYER, 0);
        return i < 0 ? NF_OK : nf_mutate_nin(g, i, pick(r, -2, 3), p);
    }
    case 2: {
        nf_plan_target t[2];
        for (int k = 0; k < 2; k++) {
            t[k] = (nf_plan_target){.vertex = pick(r, 1, g->n - 2)};
            t[k].size = g->v[t[k].vertex].nout + pick(r, -2, 2);
        }
        return nf_mutate_sizes(g, t, 2, p);
    }
    case 3: return nf_mutate_remove(g, pick(r, 1, g->n - 2), p);
    case 4: {
        static const nf_op ops[] = {NF_OP_CONV2D, NF_OP_DENSE, NF_OP_BATCHNORM, NF_OP_ACT, NF_OP_DROPOUT, NF_OP_CONCAT, NF_OP_ADD};
        nf_insert s = {.anchor = pick(r, 0, g->n - 1), .op = ops[pick(r, 0, 6)], .attr = nf_attr_default()};
        s.before = s.anchor > 0 && pick(r, 0, 1);
        if (s.before) s.slot = pick(r, 0, g->v[s.anchor].n_inputs - 1);
        if (pick(r, 0, 1)) s.nout = pick(r, 1, 6);
        return nf_mutate_insert(g, &s, p, NULL);
    }
    case 5: {
        int to = random_vertex(g, r, pick(r, 0, 1) ? NF_KIND_CONCAT : NF_KIND_ADD, 0);
        if (to < 1) return NF_OK;
        edge_into_concat = nf_graph_kind(g, to) == NF_KIND_CONCAT;
        return nf_mutate_add_edge(g, pick(r, 0, to - 1), to, pick(r, -1, g->v[to].n_inputs), p);
    }
    case 6: {
        int to = random_vertex(g, r, pick(r, 0, 1) ? NF_KIND_CONCAT : NF_KIND_ADD, 0);
        if (to < 1) return NF_OK;
        return nf_mutate_remove_edge(g, to, pick(r, 0, g->v[to].n_inputs - 1), p);
    }
    case 7: {
        int i = random_vertex(g, r, NF_KIND_LAYER, 0);
        return i < 0 ? NF_OK : nf_mutate_kernel(g, i, 1 + 2 * pick(r, 0, 2));
    }
    case 8: {
        int i = random_vertex(g, r, NF_KIND_TRANSPARENT, 0);
        return i < 0 ? NF_OK : nf_mutate_activation(g, i, (nf_act)pick(r, 0, NF_ACT_COUNT - 1));
    }
    default:
        p->plan.time_limit_ms = 0; /* forced time-out: must be refused (or need no solver) */
        return nf_mutate_nout(g, pick(r, 1, g->n - 2), pick(r, 1, 3), p);
    }
}

/* 1 if no neuron value is non-finite (the planner's only harmful mark for
 * a graph's own values). */
static int no_harmful_values(const nf_graph *g)
{
    for (size_t k = 0; k < g->n_value; k++)
        if (!isfinite(g->value[k])) return 0;
    return 1;
}

/* 1 if the report shows a size request that only grew (the graph before it given). */
static int grew(const nf_graph *before, const nf_mutate_report *rep)
{
    if (rep->n_targets == 0) return 0;
    for (int t = 0; t < rep->n_targets; t++) {
        int v = rep->target[t].vertex;
        if (v >= before->n || rep->target[t].asked < before->v[v].nout || rep->target[t].got < before->v[v].nout) return 0;
    }
    return 1;
}

static int same_outputs(nf_graph *g, const float *before, size_t n)
{
    size_t m;
    float *after = fx_outputs(g, 2, 5, &m);
    int same = m == n && fx_max_diff(before, after, n) <= 1e-4;
    free(after);
    return same;
}

static void test_random_mutations(void **state)
{
    (void)state;
    uint64_t seed = 20261124;
    const char *env = getenv("NASFIT_PROPS_SEED");
    if (env) seed = strtoull(env, NULL, 10);
    int ok = 0, refused = 0, counts[10][2] = {{0}}, by_status[NF_STATUS_COUNT] = {0};
    for (int graph = 0; graph < GRAPHS; graph++) {
        nf_rng r;
        nf_rng_seed(&r, seed, (uint64_t)graph, NF_RNG_TEST);
        nf_rng wr;
        nf_rng_seed(&wr, seed, (uint64_t)graph, NF_RNG_MUTATE);
        nf_graph *g = random_graph(&r);
        const char *bad = broken(g);
        if (bad) fail_msg("seed %llu graph %d: the random graph is broken: %s", (unsigned long long)seed, graph, bad);
        nf_mutate_params p = nf_mutate_defaults(&wr);
        for (int step = 0; step < STEPS_PER_GRAPH; step++) {
            /* Sometimes values exist, sometimes some are harmful. */
            if (pick(&r, 0, 3) == 0)
                for (size_t k = 0; k < g->n_value; k++) {
                    int u = pick(&r, 0, 40);
                    g->value[k] = u == 0 ? NAN : u == 1 ? -1.0f : (float)nf_rng_uniform(&r);
                }
            nf_graph *before;
            assert_int_equal(nf_graph_clone(g, &before), NF_OK);
            int which, harmless = no_harmful_values(g);
            size_t n_out = 0;
            float *out_before = fx_outputs(g, 2, 5, &n_out);
            nf_mutate_report rep;
            p.report = &rep;
            edge_into_concat = 0;
            nf_status st = mutate_once(g, &r, &p, &which);
            if (which == 9 && st == NF_OK && rep.changed)
                fail_msg("seed %llu graph %d step %d: a mutation with no time left was applied",
                         (unsigned long long)seed, graph, step);
            /* A growth request keeps every neuron that is not harmful: the function stays. */
            int growth = (which <= 2 && grew(before, &rep)) || (which == 5 && edge_into_concat);
            if (st == NF_OK && harmless && growth && !same_outputs(g, out_before, n_out))
                fail_msg("seed %llu graph %d step %d (%s): a growth dropped a live neuron",
                         (unsigned long long)seed, graph, step, op_names[which]);
            free(out_before);
            counts[which][st != NF_OK]++;
            by_status[st]++;
            if (st) {
                refused++;
                if (getenv("NASFIT_PROPS_VERBOSE")) print_message("refused %s: %s: %s\n", op_names[which], nf_status_name(st), nf_last_error());
                if (st == NF_ERR_NOMEM || st == NF_ERR_SOLVER)
                    fail_msg("seed %llu graph %d step %d (%s): %s: %s", (unsigned long long)seed, graph, step,
                             op_names[which], nf_status_name(st), nf_last_error());
                if (!fx_graphs_equal(g, before))
                    fail_msg("seed %llu graph %d step %d (%s): refused (%s) but the graph changed",
                             (unsigned long long)seed, graph, step, op_names[which], nf_status_name(st));
            } else {
                ok++;
                if ((bad = broken(g)) || (bad = run_passes(g, &r)))
                    fail_msg("seed %llu graph %d step %d (%s): %s", (unsigned long long)seed, graph, step, op_names[which], bad);
            }
            nf_graph_destroy(before);
            if (g->n > 80 || g->n_param > 200000) break; /* start a fresh graph */
        }
        nf_graph_destroy(g);
    }
    print_message("seed %llu: %d mutations applied, %d refused\n", (unsigned long long)seed, ok, refused);
    for (int k = 0; k < 10; k++) print_message("  %-12s applied %4d refused %4d\n", op_names[k], counts[k][0], counts[k][1]);
    for (int k = 1; k < NF_STATUS_COUNT; k++)
        if (by_status[k]) print_message("  refused as %-20s %4d\n", nf_status_name((nf_status)k), by_status[k]);
    /* Every operation must really be exercised, the forced time-out refused. */
    for (int k = 0; k < 9; k++) assert_true(counts[k][0] > 10);
    assert_true(counts[9][1] > 10);
    assert_true(ok > GRAPHS * STEPS_PER_GRAPH / 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
