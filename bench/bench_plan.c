/* Planning time for one output-size change on three graphs, with the size
 * of the MILP solved. Prints `key: value` lines.
 *
 *   cnn20      a 20-vertex CNN with a residual and an inception block
 *   mixed1000  ~1,000 vertices of residual blocks whose inner part is an
 *              inception (a concat feeding an add) and plain inception
 *              blocks: one Δnout on the stem reaches four blocks
 *   mixed1000_allreach  the same with residual blocks only: one program
 *              spans the whole graph (the worst case)
 *   chain10000 a conv followed by 10,000 transparent vertices
 *   dense200/300/500  DenseNet-like: every layer reads the concat of all
 *              earlier layers' outputs, and every second layer is added
 *              to the one before it, so add ties pull every group into
 *              one program (issue 14: 500 vertices took 230-915 ms) */
#include <stdio.h>
#include <stdlib.h>

#include "engine/clock.h"
#include "app/session/progress.h"
#include "engine/graph.h"
#include "nas/plan.h"

static int cat2(nf_graph *g, int a, int b)
{
    int in[2] = {a, b}, at = -1;
    nf_graph_append(g, NF_OP_CONCAT, NULL, 0, in, 2, &at);
    return at;
}

static int add2(nf_graph *g, int a, int b)
{
    int in[2] = {a, b}, at = -1;
    nf_graph_append(g, NF_OP_ADD, NULL, 0, in, 2, &at);
    return at;
}

static int cbr(nf_graph *g, int x, int n, int k)
{
    return nf_graph_act(g, nf_graph_batchnorm(g, nf_graph_conv(g, x, n, k, 1, 0)), NF_ACT_RELU);
}

static nf_graph *finish(nf_graph *g, int x)
{
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, x), 10, 1);
    nf_rng r;
    nf_rng_seed(&r, 1, 0, NF_RNG_TEST);
    if (nf_graph_layout(g, &r)) {
        fprintf(stderr, "bench_plan: %s\n", nf_last_error());
        exit(1);
    }
    return g;
}

/* stem, residual block, inception block, downsampling conv, head: 20 vertices. */
static nf_graph *cnn20(int *target)
{
    nf_graph *g;
    nf_graph_create(3, 16, 16, &g);
    int s = cbr(g, 0, 16, 3);
    int r = nf_graph_batchnorm(g, nf_graph_conv(g, cbr(g, s, 16, 3), 16, 3, 1, 0));
    int x = nf_graph_act(g, add2(g, s, r), NF_ACT_RELU);
    *target = nf_graph_conv(g, x, 8, 3, 1, 0);
    int c = cat2(g, *target, nf_graph_conv(g, x, 8, 1, 1, 0));
    x = nf_graph_unary(g, NF_OP_MAXPOOL, nf_graph_act(g, nf_graph_batchnorm(g, c), NF_ACT_RELU));
    x = nf_graph_act(g, nf_graph_conv(g, x, 32, 3, 1, 0), NF_ACT_RELU);
    return finish(g, x);
}

/* Residual blocks x + cat(a(x), b(x)) of width 16 with a varying split
 * (a concat feeding an add, every split different from its neighbours'),
 * every fifth block a plain inception cat(a(x), b(x)) of free width,
 * chained until ~1,000 vertices. */
static nf_graph *mixed1000(int *target, int plain_every)
{
    nf_graph *g;
    nf_graph_create(3, 4, 4, &g);
    int x = cbr(g, 0, 16, 3);
    *target = x;
    for (int k = 0; g->n < 990; k++) {
        if (plain_every && k % plain_every == plain_every - 1) {
            x = nf_graph_conv(g, cat2(g, cbr(g, x, 8 + k % 3, 3), cbr(g, x, 8, 1)), 16, 1, 1, 0);
            continue;
        }
        int split = 3 + k % 11;
        int a = cbr(g, x, split, 3), b = cbr(g, x, 16 - split, 1);
        x = nf_graph_act(g, add2(g, x, nf_graph_batchnorm(g, cat2(g, a, b))), NF_ACT_RELU);
    }
    return finish(g, x);
}

static nf_graph *chain10000(int *target)
{
    nf_graph *g;
    nf_graph_create(3, 4, 4, &g);
    int x = nf_graph_conv(g, 0, 16, 3, 1, 0);
    *target = x;
    for (int k = 0; k < 5000; k++) x = nf_graph_act(g, nf_graph_batchnorm(g, x), NF_ACT_RELU);
    return finish(g, x);
}

/* A dense block of about `vertices` vertices (see the header). */
static nf_graph *densenet(int vertices, int *target)
{
    nf_graph *g;
    nf_graph_create(3, 8, 8, &g);
    int *out = malloc((size_t)vertices * sizeof *out), n = 0;
    out[n++] = *target = nf_graph_conv(g, 0, 8, 3, 1, 0);
    while (g->n < vertices - 3) {
        int in = n == 1 ? out[0] : -1;
        if (n > 1) nf_graph_append(g, NF_OP_CONCAT, NULL, 0, out, n, &in);
        int y = cbr(g, in, 4, 3);
        if (n % 2 == 0 && n > 1) y = add2(g, y, out[n - 1]);
        out[n++] = y;
    }
    int last = -1;
    nf_graph_append(g, NF_OP_CONCAT, NULL, 0, out, n, &last);
    free(out);
    return finish(g, last);
}

static void bench(const char *name, nf_graph *g, int target, int delta, double goal_ms)
{
    nf_plan_target t = {.vertex = target, .size = g->v[target].nout + delta};
    nf_plan_request r = {.targets = &t, .n_targets = 1};
    nf_plan_stats st;
    nf_plan_params p = nf_plan_defaults();
    p.stats = &st;
    p.time_limit_ms = 60000;
    int reps = 0;
    double t0 = nf_clock(), best = 1e9;
    while (reps < 200 && (reps < 3 || nf_clock() - t0 < 2.0)) {
        double t1 = nf_clock();
        nf_plan *plan;
        nf_status s = nf_plan_solve(g, &r, &p, &plan);
        if (s) {
            fprintf(stderr, "bench_plan: %s: %s (%s)\n", name, nf_status_name(s), nf_last_error());
            exit(1);
        }
        double dt = nf_clock() - t1;
        if (dt < best) best = dt;
        nf_plan_destroy(plan);
        reps++;
    }
    double mean = (nf_clock() - t0) / reps;
    printf("%s.vertices: %d\n", name, g->n);
    printf("%s.groups: %d\n", name, st.groups);
    printf("%s.program_groups: %d\n", name, st.program_groups);
    printf("%s.milp_rows: %d\n", name, st.rows);
    printf("%s.milp_cols: %d\n", name, st.cols);
    printf("%s.milp_int_cols: %d\n", name, st.int_cols);
    printf("%s.plan_ms_mean: %.3f\n", name, mean * 1e3);
    printf("%s.plan_ms_best: %.3f\n", name, best * 1e3);
    printf("%s.plan_ms_goal: %.0f\n", name, goal_ms);
    printf("%s.plan_vs_goal: %.3f\n", name, mean * 1e3 / goal_ms);
    nf_graph_destroy(g);
}

int main(void)
{
    int t;
    nf_graph *g = cnn20(&t);
    bench("cnn20", g, t, 3, 5);
    g = mixed1000(&t, 5);
    bench("mixed1000", g, t, 3, 100);
    g = mixed1000(&t, 0); /* worst case: every block residual, one program spans the graph */
    bench("mixed1000_allreach", g, t, 3, 100);
    g = chain10000(&t);
    bench("chain10000", g, t, 3, 1000);
    g = densenet(200, &t);
    bench("dense200", g, t, 3, 100);
    g = densenet(300, &t);
    bench("dense300", g, t, 3, 100);
    g = densenet(500, &t);
    bench("dense500", g, t, 3, 100);
    return 0;
}
