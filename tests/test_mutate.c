/* Mutation operators: function preservation, pruning by value, the cases
 * NaiveNASlib gets wrong, refusals that change nothing, the value metric. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engine/loss.h"
#include "engine/neuron_value.h"
#include "engine/optim.h"
#include "engine/train.h"
#include "nas/mutate.h"
#include "nas/surgery.h"
#include "tests/nas_fixtures.h"

#define PRESERVED 1e-5

static nf_rng mut_rng;

static nf_mutate_params params(void)
{
    mut_rng = fx_rng(77);
    return nf_mutate_defaults(&mut_rng);
}

/* Runs mutate on g and asserts the evaluation outputs did not move. */
#define ASSERT_PRESERVES(g, call)                                                  \
    do {                                                                           \
        size_t n0_, n1_;                                                           \
        float *before_ = fx_outputs((g), 6, 9, &n0_);                              \
        nf_status st_ = (call);                                                    \
        if (st_) fail_msg("%s: %s", nf_status_name(st_), nf_last_error());         \
        assert_int_equal(nf_graph_check(g), NF_OK);                                \
        float *after_ = fx_outputs((g), 6, 9, &n1_);                               \
        assert_int_equal(n0_, n1_);                                                \
        double d_ = fx_max_diff(before_, after_, n0_);                             \
        if (d_ > PRESERVED) fail_msg("outputs moved by %g", d_);                   \
        free(before_); free(after_);                                               \
    } while (0)

/* Asserts call is refused with code and g is byte for byte unchanged. */
#define ASSERT_REFUSED(g, code, call)                                              \
    do {                                                                           \
        nf_graph *copy_;                                                           \
        assert_int_equal(nf_graph_clone((g), &copy_), NF_OK);                      \
        nf_status st_ = (call);                                                    \
        assert_int_equal(st_, (code));                                             \
        assert_true(fx_graphs_equal((g), copy_));                                  \
        nf_graph_destroy(copy_);                                                   \
    } while (0)

/* Asserts g passes nf_graph_check and computes finite outputs that are not
 * all equal (a mutated graph the search can train). */
static void assert_runs(nf_graph *g)
{
    assert_int_equal(nf_graph_check(g), NF_OK);
    size_t n;
    float *y = fx_outputs(g, 2, 1, &n);
    int varied = 0;
    for (size_t k = 0; k < n; k++) {
        assert_true(isfinite(y[k]));
        varied |= y[k] != y[0];
    }
    assert_true(varied);
    free(y);
}

/* Makes the batchnorm statistics and biases non-trivial, so preservation means something. */
static void perturb(nf_graph *g, uint64_t seed)
{
    nf_rng r = fx_rng(seed);
    for (size_t k = 0; k < g->n_param; k++) {
        g->moment1[k] = (float)nf_rng_normal(&r);
        g->moment2[k] = (float)nf_rng_uniform(&r);
    }
    for (int i = 0; i < g->n; i++)
        if (g->v[i].op == NF_OP_BATCHNORM)
            for (int k = 0; k < g->v[i].nout; k++) {
                g->param[g->v[i].param_off + k] = 0.5f + (float)nf_rng_uniform(&r);
                g->param[g->v[i].param_off + g->v[i].nout + k] = 0.1f * (float)nf_rng_normal(&r);
                g->state[g->v[i].state_off + k] = 0.1f * (float)nf_rng_normal(&r);
                g->state[g->v[i].state_off + g->v[i].nout + k] = 0.5f + (float)nf_rng_uniform(&r);
            }
}

/* ==== function preservation ============================================== */

static void test_grow_preserves_function(void **state)
{
    (void)state;
    nf_mutate_params p = params();
    nf_graph *g = fx_chain();
    perturb(g, 1);
    ASSERT_PRESERVES(g, nf_mutate_nout(g, 1, 3, &p));
    assert_int_equal(g->v[1].nout, 7);
    assert_int_equal(g->v[4].nin, 7);
    ASSERT_PRESERVES(g, nf_mutate_nin(g, 4, 2, &p));
    assert_int_equal(g->v[4].nin, 9);
    nf_graph_destroy(g);
    g = fx_residual();
    perturb(g, 2);
    ASSERT_PRESERVES(g, nf_mutate_nout(g, 3, 4, &p));
    assert_int_equal(g->v[1].nout, 10);
    nf_graph_destroy(g);
    g = fx_inception();
    perturb(g, 3);
    ASSERT_PRESERVES(g, nf_mutate_nout(g, 3, 2, &p));
    ASSERT_PRESERVES(g, nf_mutate_nout(g, 5, 3, &p)); /* the concat itself */
    assert_int_equal(g->v[5].nout, 13);
    nf_graph_destroy(g);
    g = fx_size_cycle();
    perturb(g, 4);
    ASSERT_PRESERVES(g, nf_mutate_nout(g, 2, 1, &p)); /* NaiveNASlib's size cycle */
    assert_int_equal(g->v[1].nout, 5);
    assert_int_equal(g->v[4].nout, 5);
    nf_graph_destroy(g);
}

static void test_insert_identity_preserves_function(void **state)
{
    (void)state;
    nf_mutate_params p = params();
    nf_graph *g = fx_inception();
    perturb(g, 5);
    int at;
    nf_insert s = {.anchor = 2, .op = NF_OP_CONV2D, .attr = nf_attr_default()};
    s.attr.bias = 1;
    ASSERT_PRESERVES(g, nf_mutate_insert(g, &s, &p, &at));
    assert_int_equal(at, 3);
    assert_int_equal(g->v[4].inputs[0], 3); /* both branches read the new conv */
    assert_int_equal(g->v[5].inputs[0], 3);
    /* Before the concat's second input, and growing at the same time. */
    s = (nf_insert){.anchor = 6, .before = 1, .slot = 1, .op = NF_OP_CONV2D, .attr = nf_attr_default(), .nout = 8};
    ASSERT_PRESERVES(g, nf_mutate_insert(g, &s, &p, &at));
    assert_int_equal(g->v[at].nout, 8);
    assert_int_equal(g->v[at + 1].nout, 3 + 8);
    /* A dense before the output. */
    s = (nf_insert){.anchor = g->n - 1, .before = 1, .op = NF_OP_DENSE, .attr = nf_attr_default()};
    ASSERT_PRESERVES(g, nf_mutate_insert(g, &s, &p, &at));
    /* A transparent identity activation. */
    s = (nf_insert){.anchor = 1, .op = NF_OP_ACT, .attr = nf_attr_default()};
    s.attr.act = NF_ACT_IDENTITY;
    ASSERT_PRESERVES(g, nf_mutate_insert(g, &s, &p, &at));
    nf_graph_destroy(g);
}

static void test_kernel_growth_preserves_function(void **state)
{
    (void)state;
    nf_graph *g = fx_inception();
    perturb(g, 6);
    ASSERT_PRESERVES(g, nf_mutate_kernel(g, 3, 5));
    ASSERT_PRESERVES(g, nf_mutate_kernel(g, 4, 3)); /* 1x1 -> 3x3 */
    assert_int_equal(g->v[4].attr.kernel, 3);
    /* Shrinking keeps the centre: back to 1x1 gives the original centre tap. */
    nf_graph *h = fx_inception();
    assert_int_equal(nf_mutate_kernel(h, 1, 1), NF_OK);
    nf_graph *orig = fx_inception();
    for (int o = 0; o < 4; o++)
        for (int c = 0; c < 3; c++)
            assert_float_equal(h->param[h->v[1].param_off + o * 3 + c],
                               orig->param[orig->v[1].param_off + (o * 3 + c) * 9 + 4], 0);
    assert_int_equal(nf_graph_check(h), NF_OK);
    ASSERT_REFUSED(h, NF_ERR_ARG, nf_mutate_kernel(h, 1, 4));
    ASSERT_REFUSED(h, NF_ERR_ARG, nf_mutate_kernel(h, 2, 3)); /* not a conv */
    nf_graph_destroy(h);
    nf_graph_destroy(orig);
    nf_graph_destroy(g);
}

/* ==== the cases NaiveNASlib gets wrong =================================== */

static void test_concat_edge_at_front(void **state)
{
    (void)state;
    nf_mutate_params p = params();
    nf_graph *g = fx_inception();
    perturb(g, 7);
    float gamma[8];
    memcpy(gamma, g->param + g->v[6].param_off, sizeof gamma);
    /* r0 (4 neurons) becomes the concat's FIRST input: its outgoing weights start at zero. */
    ASSERT_PRESERVES(g, nf_mutate_add_edge(g, 2, 5, 0, &p));
    assert_int_equal(g->v[5].n_inputs, 3);
    assert_int_equal(g->v[5].inputs[0], 2);
    assert_int_equal(g->v[5].nout, 12);
    /* The batchnorm after it: the new block first (fresh gamma 1), then the old neurons in order. */
    const float *ng = g->param + g->v[6].param_off;
    for (int k = 0; k < 4; k++) assert_float_equal(ng[k], 1.0f, 0);
    for (int k = 0; k < 8; k++) assert_float_equal(ng[4 + k], gamma[k], 0);
    /* In the middle of the now three inputs. */
    ASSERT_PRESERVES(g, nf_mutate_add_edge(g, 3, 5, 2, &p));
    assert_int_equal(g->v[5].nout, 15);
    nf_graph_destroy(g);
}

static void test_concat_edge_removed(void **state)
{
    (void)state;
    nf_mutate_params p = params();
    nf_graph *g = fx_inception();
    perturb(g, 8);
    float gamma[8];
    memcpy(gamma, g->param + g->v[6].param_off, sizeof gamma);
    int n = g->n;
    /* Remove input 0 (a, 3 neurons): the consumers keep exactly b's 5 columns. */
    assert_int_equal(nf_mutate_remove_edge(g, 5, 0, &p), NF_OK);
    assert_int_equal(g->n, n - 1); /* a had no other consumer: gone */
    int cat = 4;
    assert_int_equal(g->v[cat].op, NF_OP_CONCAT);
    assert_int_equal(g->v[cat].nout, 5);
    const float *ng = g->param + g->v[cat + 1].param_off;
    for (int k = 0; k < 5; k++) assert_float_equal(ng[k], gamma[3 + k], 0);
    nf_graph_destroy(g);
    /* A concat that feeds an add: the add partner drops the same positions. */
    nf_graph *h;
    assert_int_equal(nf_graph_create(2, 4, 4, &h), NF_OK);
    int in[2] = {nf_graph_conv(h, 0, 2, 1, 1, 0), nf_graph_conv(h, 0, 3, 1, 1, 0)};
    int c = fx_append(h, NF_OP_CONCAT, in, 2);
    int x = nf_graph_conv(h, 0, 5, 1, 1, 1);
    int s_in[2] = {c, x};
    int s = fx_append(h, NF_OP_ADD, s_in, 2);
    nf_graph_dense(h, nf_graph_unary(h, NF_OP_GAP, s), 2, 0);
    fx_layout(h, 9);
    float wx[5 * 2];
    memcpy(wx, h->param + h->v[x].param_off, sizeof wx);
    assert_int_equal(nf_mutate_remove_edge(h, c, 0, &p), NF_OK);
    x = 3; /* input 1 was pruned */
    assert_int_equal(h->v[x].nout, 3);
    for (int k = 0; k < 3 * 2; k++) assert_float_equal(h->param[h->v[x].param_off + k], wx[2 * 2 + k], 0);
    nf_graph_destroy(h);
}

/* ==== removal with alignment, edges into adds ============================= */

static void test_remove_vertex(void **state)
{
    (void)state;
    nf_mutate_params p = params();
    nf_graph *g = fx_chain();
    /* conv 4 -> 5 in the middle: sizes differ. */
    ASSERT_REFUSED(g, NF_ERR_INFEASIBLE, (p.align = NF_ALIGN_FAIL, nf_mutate_remove(g, 4, &p)));
    const nf_align ways[4] = {NF_ALIGN_GROW, NF_ALIGN_SHRINK, NF_ALIGN_MEET, NF_ALIGN_CONSUMERS};
    const int want[4] = {5, 4, -1, 4};
    for (int k = 0; k < 4; k++) {
        nf_graph *h;
        assert_int_equal(nf_graph_clone(g, &h), NF_OK);
        p.align = ways[k];
        assert_int_equal(nf_mutate_remove(h, 4, &p), NF_OK);
        assert_int_equal(h->n, g->n - 1);
        int sz = h->v[3].nout;
        if (want[k] > 0) assert_int_equal(sz, want[k]);
        else assert_true(sz >= 4 && sz <= 5);
        assert_int_equal(h->v[4].nout, sz); /* the relu now follows the first conv's group */
        assert_runs(h);
        nf_graph_destroy(h);
    }
    /* A transparent vertex goes without any plan; the output cannot go. */
    assert_int_equal(nf_mutate_remove(g, 2, &p), NF_OK);
    assert_int_equal(g->v[2].op, NF_OP_ACT);
    ASSERT_REFUSED(g, NF_ERR_ARG, nf_mutate_remove(g, g->n - 1, &p));
    /* Removing the gap leaves a spatial output: refused. */
    ASSERT_REFUSED(g, NF_ERR_GRAPH, nf_mutate_remove(g, g->n - 2, &p));
    nf_graph_destroy(g);
}

static void test_add_edge_into_add(void **state)
{
    (void)state;
    nf_mutate_params p = params();
    nf_graph *g = fx_residual();
    int n = g->n;
    /* c1's relu is 6 wide like the add: a third input needs no alignment. */
    assert_int_equal(nf_mutate_add_edge(g, 1, 5, -1, &p), NF_OK);
    assert_int_equal(g->v[5].n_inputs, 3);
    ASSERT_REFUSED(g, NF_ERR_ARG, nf_mutate_add_edge(g, 6, 5, -1, &p)); /* would be a cycle */
    /* An input of another size, grown to fit. */
    nf_insert s = {.anchor = 0, .op = NF_OP_CONV2D, .attr = nf_attr_default(), .nout = 0};
    int at;
    assert_int_equal(nf_mutate_insert(g, &s, &p, &at), NF_OK); /* a 3-wide conv after the image */
    assert_int_equal(g->v[at].nout, 3);
    p.align = NF_ALIGN_FAIL;
    ASSERT_REFUSED(g, NF_ERR_INFEASIBLE, nf_mutate_add_edge(g, at, 6, -1, &p));
    p.align = NF_ALIGN_GROW;
    assert_int_equal(nf_mutate_add_edge(g, at, 6, -1, &p), NF_OK);
    assert_int_equal(g->v[at].nout, 6);
    assert_int_equal(g->v[6].n_inputs, 4);
    assert_int_equal(nf_mutate_remove_edge(g, 6, 3, &p), NF_OK);
    assert_int_equal(g->n, n + 1); /* the new conv still feeds c1 */
    assert_runs(g);
    nf_graph_destroy(g);
}

/* ==== growth keeps live neurons, relaxed plans say so, limits ============= */

/* Two concats with different block boundaries in one add group:
 * y conv 4 -> a conv 2, b conv 2, d conv 1, e conv 3 (all of y);
 * c1 = cat(a, b), c2 = cat(d, e), s = add(c1, c2) -> relu -> gap -> dense 3.
 * Indices: y 1, a 2, b 3, d 4, e 5, c1 6, c2 7, s 8. */
static nf_graph *two_concats(void)
{
    nf_graph *g;
    assert_int_equal(nf_graph_create(3, 8, 8, &g), NF_OK);
    int y = nf_graph_conv(g, 0, 4, 3, 1, 1);
    int c1in[2] = {nf_graph_conv(g, y, 2, 3, 1, 1), nf_graph_conv(g, y, 2, 3, 1, 1)};
    int c2in[2] = {nf_graph_conv(g, y, 1, 3, 1, 1), nf_graph_conv(g, y, 3, 3, 1, 1)};
    int ad[2] = {fx_append(g, NF_OP_CONCAT, c1in, 2), fx_append(g, NF_OP_CONCAT, c2in, 2)};
    int s = fx_append(g, NF_OP_ADD, ad, 2);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, nf_graph_act(g, s, NF_ACT_RELU)), 3, 1);
    fx_layout(g, 4);
    return g;
}

/* A growth that the block boundaries allow only by dropping a neuron
 * (new neurons come in pairs) is refused, or relaxed without dropping. */
static void test_growth_never_drops_a_live_neuron(void **state)
{
    (void)state;
    nf_mutate_params p = params();
    nf_mutate_report rep;
    p.report = &rep;
    nf_graph *g = two_concats();
    for (int v = 1; v <= 8; v++) {
        nf_graph *copy;
        assert_int_equal(nf_graph_clone(g, &copy), NF_OK);
        size_t n0, n1;
        float *before = fx_outputs(g, 4, 3, &n0);
        nf_status st = nf_mutate_nout(g, v, 1, &p);
        if (st) {
            assert_int_equal(st, NF_ERR_INFEASIBLE);
            assert_true(fx_graphs_equal(g, copy));
        } else {
            float *after = fx_outputs(g, 4, 3, &n1);
            if (fx_max_diff(before, after, n0) > PRESERVED) fail_msg("nout +1 on vertex %d moved the output", v);
            assert_true(rep.target[0].got > copy->v[v].nout);
            free(after);
        }
        free(before);
        nf_graph_destroy(g);
        g = copy;
    }
    /* a alone cannot grow by one: c2 has no insertion point inside e */
    ASSERT_REFUSED(g, NF_ERR_INFEASIBLE, nf_mutate_nout(g, 2, 1, &p));
    nf_graph_destroy(g);

    /* y conv 3 -> a conv 1, b conv 2 -> c = cat(a, b) -> add(y, c): a to 3
     * with y kept at 3 can only be approached by taking neurons from b (a
     * relaxed plan did: a 2, b 1, the output moved). Refused instead. */
    assert_int_equal(nf_graph_create(3, 8, 8, &g), NF_OK);
    int y = nf_graph_conv(g, 0, 3, 3, 1, 1);
    int ab[2] = {nf_graph_conv(g, y, 1, 3, 1, 1), nf_graph_conv(g, y, 2, 3, 1, 1)};
    int ad[2] = {y, fx_append(g, NF_OP_CONCAT, ab, 2)};
    int s = fx_append(g, NF_OP_ADD, ad, 2);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, nf_graph_act(g, s, NF_ACT_RELU)), 3, 1);
    fx_layout(g, 5);
    nf_plan_target t[2] = {{.vertex = ab[0], .size = 3}, {.vertex = y, .size = 3}};
    ASSERT_REFUSED(g, NF_ERR_INFEASIBLE, nf_mutate_sizes(g, t, 2, &p));
    nf_graph_destroy(g);
}

/* y feeds c1 = cat(y, b) and, after the edit, c2 = cat(d, e, y); add(c1, c2)
 * ties them: the new block must be matched by growing b, not by dropping
 * neurons of d and e. */
static void test_concat_edge_grows_the_narrow_side(void **state)
{
    (void)state;
    nf_mutate_params p = params();
    nf_graph *g;
    assert_int_equal(nf_graph_create(3, 8, 8, &g), NF_OK);
    int y = nf_graph_conv(g, 0, 3, 3, 1, 1);
    int c1in[2] = {y, nf_graph_conv(g, y, 2, 3, 1, 1)};
    int c2in[2] = {nf_graph_conv(g, y, 2, 3, 1, 1), nf_graph_conv(g, y, 3, 3, 1, 1)};
    int ad[2] = {fx_append(g, NF_OP_CONCAT, c1in, 2), fx_append(g, NF_OP_CONCAT, c2in, 2)};
    int s = fx_append(g, NF_OP_ADD, ad, 2);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, nf_graph_act(g, s, NF_ACT_RELU)), 3, 1);
    fx_layout(g, 6);
    perturb(g, 6);
    int n_before[5];
    for (int v = 0; v < 5; v++) n_before[v] = g->v[v].nout;
    nf_graph *copy;
    assert_int_equal(nf_graph_clone(g, &copy), NF_OK);
    nf_status st = nf_mutate_add_edge(g, y, ad[1], -1, &p);
    if (st) {
        assert_true(fx_graphs_equal(g, copy));
    } else {
        for (int v = 1; v < 5; v++) assert_true(g->v[v].nout >= n_before[v]);
        size_t n0, n1;
        float *before = fx_outputs(copy, 4, 3, &n0), *after = fx_outputs(g, 4, 3, &n1);
        if (fx_max_diff(before, after, n0) > PRESERVED) fail_msg("the concat edge moved the output");
        free(before); free(after);
    }
    nf_graph_destroy(copy);
    nf_graph_destroy(g);

    /* Found by test_mutate_props: r relu 5 -> a conv 4, b conv 2 -> c1 = cat(a, b);
     * d conv 4, e conv 1, f conv 1 -> c2 = cat(d, e, f); add(c1, c2). A 5-wide
     * edge r -> c1 at the end needs 5 new neurons at c2's end (f grows); a
     * plan without the growth rule dropped neurons of a, b, d, e instead. */
    assert_int_equal(nf_graph_create(2, 6, 6, &g), NF_OK);
    int r = nf_graph_act(g, nf_graph_conv(g, 0, 5, 1, 1, 0), NF_ACT_RELU);
    int in1[2] = {nf_graph_conv(g, r, 4, 3, 1, 0), nf_graph_conv(g, r, 2, 3, 1, 0)};
    int in2[3] = {nf_graph_conv(g, r, 4, 3, 1, 0), nf_graph_conv(g, r, 1, 3, 1, 0), nf_graph_conv(g, r, 1, 1, 1, 0)};
    int s2[2] = {fx_append(g, NF_OP_CONCAT, in1, 2), fx_append(g, NF_OP_CONCAT, in2, 3)};
    int sum = fx_append(g, NF_OP_ADD, s2, 2);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, sum), 3, 1);
    fx_layout(g, 8);
    perturb(g, 8);
    assert_int_equal(nf_graph_clone(g, &copy), NF_OK);
    st = nf_mutate_add_edge(g, r, s2[0], -1, &p);
    if (st) {
        assert_true(fx_graphs_equal(g, copy));
    } else {
        for (int v = 1; v < copy->n; v++) assert_true(g->v[v].nout >= copy->v[v].nout);
        size_t n0, n1;
        float *before = fx_outputs(copy, 4, 3, &n0), *after = fx_outputs(g, 4, 3, &n1);
        if (fx_max_diff(before, after, n0) > PRESERVED) fail_msg("the concat edge moved the output");
        free(before); free(after);
    }
    nf_graph_destroy(copy);
    nf_graph_destroy(g);
}

static void test_relaxed_plans_report_sizes(void **state)
{
    (void)state;
    nf_mutate_params p = params();
    nf_mutate_report rep;
    p.report = &rep;
    nf_graph *g = fx_size_cycle(); /* y (4) = cat(a 2, b 2): y cannot go to 1 */
    assert_int_equal(nf_mutate_nout(g, 1, -3, &p), NF_OK);
    assert_int_equal(rep.relaxed, 1);
    assert_int_equal(rep.n_targets, 1);
    assert_int_equal(rep.target[0].vertex, 1);
    assert_int_equal(rep.target[0].asked, 1);
    assert_int_equal(rep.target[0].got, g->v[1].nout);
    assert_int_equal(rep.target[0].got, 2);
    /* exact requests say so too */
    assert_int_equal(nf_mutate_nout(g, 1, 2, &p), NF_OK);
    assert_int_equal(rep.relaxed, 0);
    assert_int_equal(rep.target[0].got, 4);
    /* a refusal leaves a zeroed report */
    p.plan.relax = 0;
    ASSERT_REFUSED(g, NF_ERR_INFEASIBLE, nf_mutate_nout(g, 1, -3, &p));
    assert_int_equal(rep.n_targets, 0);
    nf_graph_destroy(g);
}

static void test_growth_limits(void **state)
{
    (void)state;
    nf_mutate_params p = params();
    nf_graph *g = fx_size_cycle();
    ASSERT_REFUSED(g, NF_ERR_LIMIT, nf_mutate_nout(g, 2, nf_limits_ceiling().max_width, &p));
    p.limits.max_params = (int64_t)g->n_param + 100;
    ASSERT_REFUSED(g, NF_ERR_LIMIT, nf_mutate_nout(g, 2, 50, &p));
    assert_non_null(strstr(nf_last_error(), "parameters"));
    p.limits.max_width = 5;
    ASSERT_REFUSED(g, NF_ERR_LIMIT, nf_mutate_nout(g, 1, 2, &p));
    nf_insert s = {.anchor = 1, .op = NF_OP_CONV2D, .attr = nf_attr_default(), .nout = 6};
    ASSERT_REFUSED(g, NF_ERR_LIMIT, nf_mutate_insert(g, &s, &p, NULL));
    p = params();
    assert_int_equal(nf_mutate_nout(g, 1, 2, &p), NF_OK);
    nf_graph_destroy(g);
}

static void test_lenient_arguments_refused(void **state)
{
    (void)state;
    nf_mutate_params p = params();
    nf_graph *g = fx_inception();
    ASSERT_REFUSED(g, NF_ERR_ARG, nf_mutate_add_edge(g, 2, 5, -2, &p));
    nf_insert s = {.anchor = 2, .op = NF_OP_CONV2D, .attr = nf_attr_default(), .nout = -1};
    ASSERT_REFUSED(g, NF_ERR_ARG, nf_mutate_insert(g, &s, &p, NULL));
    /* a stride-2 conv is no identity */
    s.nout = 0;
    s.attr.stride = 2;
    ASSERT_REFUSED(g, NF_ERR_ARG, nf_mutate_insert(g, &s, &p, NULL));
    /* new neurons of a concat's group go where its inputs put them */
    nf_plan_target t = {.vertex = 5, .size = 10, .insert_before = 1};
    ASSERT_REFUSED(g, NF_ERR_ARG, nf_mutate_sizes(g, &t, 1, &p));
    nf_graph_destroy(g);
}

static void test_inserted_batchnorm_is_an_identity(void **state)
{
    (void)state;
    nf_mutate_params p = params();
    nf_mutate_report rep;
    p.report = &rep;
    nf_graph *g = fx_chain();
    nf_insert s = {.anchor = 4, .op = NF_OP_BATCHNORM, .attr = nf_attr_default()};
    s.attr.eps = 0.1f; /* large enough that a missing correction shows */
    ASSERT_PRESERVES(g, nf_mutate_insert(g, &s, &p, NULL));
    assert_int_equal(rep.identity, 1);
    s = (nf_insert){.anchor = 4, .op = NF_OP_MAXPOOL, .attr = nf_attr_default()};
    assert_int_equal(nf_mutate_insert(g, &s, &p, NULL), NF_OK);
    assert_int_equal(rep.identity, 0);
    nf_graph_destroy(g);
}

/* ==== refusals ============================================================ */

static void test_refused_mutations_change_nothing(void **state)
{
    (void)state;
    nf_mutate_params p = params();
    nf_graph *g = fx_size_cycle();
    ASSERT_REFUSED(g, NF_ERR_INFEASIBLE, nf_mutate_nout(g, 2, -2, &p)); /* below one neuron */
    ASSERT_REFUSED(g, NF_ERR_INFEASIBLE, nf_mutate_nout(g, g->n - 1, 1, &p)); /* the output */
    p.plan.time_limit_ms = 0;
    ASSERT_REFUSED(g, NF_ERR_TIMEOUT, nf_mutate_nout(g, 2, 3, &p));
    ASSERT_REFUSED(g, NF_ERR_TIMEOUT, nf_mutate_add_edge(g, 2, 4, 1, &p));
    p = params();
    ASSERT_REFUSED(g, NF_ERR_ARG, nf_mutate_nin(g, 4, 1, &p)); /* not a layer */
    ASSERT_REFUSED(g, NF_ERR_ARG, nf_mutate_remove_edge(g, 1, 0, &p));
    ASSERT_REFUSED(g, NF_ERR_ARG, nf_mutate_activation(g, 1, NF_ACT_TANH));
    /* y feeding the concat that y is added to: its size can never match. */
    ASSERT_REFUSED(g, NF_ERR_INFEASIBLE, nf_mutate_add_edge(g, 1, 4, 0, &p));
    assert_int_equal(nf_mutate_activation(g, 6, NF_ACT_TANH), NF_OK);
    assert_int_equal(g->v[6].attr.act, NF_ACT_TANH);
    nf_graph_destroy(g);
}

/* ==== neuron values and pruning =========================================== */

/* Two noisy xor clusters per class in 2-D. */
static void xor_batch(nf_rng *r, nf_tensor *x, int *labels, int n)
{
    for (int i = 0; i < n; i++) {
        int a = (int)nf_rng_below(r, 2), b = (int)nf_rng_below(r, 2);
        x->data[0 * n + i] = (float)(2 * a - 1) + 0.2f * (float)nf_rng_normal(r);
        x->data[1 * n + i] = (float)(2 * b - 1) + 0.2f * (float)nf_rng_normal(r);
        labels[i] = a ^ b;
    }
}

static double xor_loss(nf_graph *g)
{
    enum { N = 512 };
    nf_exec *e;
    assert_int_equal(nf_exec_create(g, N, &e), NF_OK);
    nf_rng r = fx_rng(1234);
    int labels[N];
    xor_batch(&r, nf_exec_input(e), labels, N);
    assert_int_equal(nf_exec_forward(e, g, N, 0, NULL), NF_OK);
    double loss = nf_loss_xent(nf_exec_output(e), labels, NULL, NULL);
    nf_exec_destroy(e);
    return loss;
}

static void test_pruning_by_value(void **state)
{
    (void)state;
    enum { B = 64, HIDDEN = 16 };
    nf_graph *g;
    assert_int_equal(nf_graph_create(2, 1, 1, &g), NF_OK);
    int h = nf_graph_dense(g, 0, HIDDEN, 1);
    nf_graph_dense(g, nf_graph_act(g, h, NF_ACT_RELU), 2, 1);
    fx_layout(g, 11);
    nf_exec *e;
    assert_int_equal(nf_exec_create(g, B, &e), NF_OK);
    nf_optim o = nf_optim_defaults(NF_OPTIM_ADAM);
    o.lr = 0.01f;
    nf_rng r = fx_rng(5);
    int labels[B];
    float loss;
    for (int step = 0; step < 600; step++) {
        xor_batch(&r, nf_exec_input(e), labels, B);
        assert_int_equal(nf_train_step(e, g, B, labels, &o, NULL, &loss), NF_OK);
        if (step % 5 == 0) assert_int_equal(nf_value_update(g, e, B, 0.9f), NF_OK);
    }
    nf_exec_destroy(e);
    double original = xor_loss(g);
    assert_true(original < 0.2);
    for (size_t k = 0; k < g->n_value; k++)
        if (k >= (size_t)g->v[1].value_off) assert_true(isfinite(g->value[k]) && g->value[k] >= 0);
    /* Three prunings of half the hidden layer. */
    /* Three prunings of half the hidden layer; "random" is the mean over several draws. */
    nf_graph *least, *most;
    assert_int_equal(nf_graph_clone(g, &least), NF_OK);
    assert_int_equal(nf_graph_clone(g, &most), NF_OK);
    nf_mutate_params p = params();
    assert_int_equal(nf_mutate_nout(least, h, -HIDDEN / 2, &p), NF_OK);
    float *value = malloc(g->n_value * sizeof *value);
    nf_rng vr = fx_rng(99);
    double l_rnd = 0;
    for (int draw = 0; draw < 8; draw++) {
        nf_graph *rnd;
        assert_int_equal(nf_graph_clone(g, &rnd), NF_OK);
        for (size_t k = 0; k < g->n_value; k++) value[k] = (float)nf_rng_uniform(&vr);
        p.plan.value = value;
        assert_int_equal(nf_mutate_nout(rnd, h, -HIDDEN / 2, &p), NF_OK);
        l_rnd += xor_loss(rnd) / 8;
        nf_graph_destroy(rnd);
    }
    float top = 0;
    for (size_t k = 0; k < g->n_value; k++) top = fmaxf(top, g->value[k]);
    for (size_t k = 0; k < g->n_value; k++) value[k] = top - g->value[k];
    assert_int_equal(nf_mutate_nout(most, h, -HIDDEN / 2, &p), NF_OK);
    double l_least = xor_loss(least), l_most = xor_loss(most);
    print_message("xor loss: original %.4f, pruned least %.4f, random %.4f, most %.4f\n", original, l_least, l_rnd, l_most);
    assert_true(l_most > l_rnd);
    assert_true(l_rnd > l_least);
    assert_true(l_least >= original - 1e-3);
    free(value);
    nf_graph_destroy(least); nf_graph_destroy(most);
    nf_graph_destroy(g);
}

static void test_value_fallback_is_weight_norm(void **state)
{
    (void)state;
    nf_graph *g = fx_chain();
    float w = nf_value_weight_norm(g, 1, 2);
    double ss = 0;
    for (int k = 0; k < 27; k++) ss += (double)g->param[g->v[1].param_off + 2 * 27 + k] * g->param[g->v[1].param_off + 2 * 27 + k];
    ss += (double)g->param[g->v[1].param_off + 4 * 27 + 2] * g->param[g->v[1].param_off + 4 * 27 + 2]; /* its bias */
    assert_float_equal(w, (float)sqrt(ss), 1e-5);
    assert_float_equal(nf_value_weight_norm(g, 3, 0), 0, 0); /* a relu has no weights */
    nf_graph_destroy(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grow_preserves_function),
        cmocka_unit_test(test_insert_identity_preserves_function),
        cmocka_unit_test(test_kernel_growth_preserves_function),
        cmocka_unit_test(test_concat_edge_at_front),
        cmocka_unit_test(test_concat_edge_removed),
        cmocka_unit_test(test_remove_vertex),
        cmocka_unit_test(test_add_edge_into_add),
        cmocka_unit_test(test_growth_never_drops_a_live_neuron),
        cmocka_unit_test(test_concat_edge_grows_the_narrow_side),
        cmocka_unit_test(test_relaxed_plans_report_sizes),
        cmocka_unit_test(test_growth_limits),
        cmocka_unit_test(test_lenient_arguments_refused),
        cmocka_unit_test(test_inserted_batchnorm_is_an_identity),
        cmocka_unit_test(test_refused_mutations_change_nothing),
        cmocka_unit_test(test_pruning_by_value),
        cmocka_unit_test(test_value_fallback_is_weight_norm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
