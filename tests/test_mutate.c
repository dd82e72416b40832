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

static void test_differing_changes_on_concat_inputs(void **state)
{
    (void)state;
    nf_mutate_params p = params();
    nf_graph *g = fx_inception();
    nf_plan_target t[2] = {{.vertex = 3, .size = 1}, {.vertex = 4, .size = 8}};
    assert_int_equal(nf_mutate_sizes(g, t, 2, &p), NF_OK);
    assert_int_equal(g->v[3].nout, 1);
    assert_int_equal(g->v[4].nout, 8);
    assert_int_equal(g->v[5].nout, 9);
    assert_int_equal(g->v[9].nin, 9);
    size_t n;
    free(fx_outputs(g, 2, 1, &n));
    nf_graph_destroy(g);
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
        size_t n;
        free(fx_outputs(h, 2, 1, &n));
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
    size_t k;
    free(fx_outputs(g, 2, 1, &k));
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
        cmocka_unit_test(test_differing_changes_on_concat_inputs),
        cmocka_unit_test(test_remove_vertex),
        cmocka_unit_test(test_add_edge_into_add),
        cmocka_unit_test(test_refused_mutations_change_nothing),
        cmocka_unit_test(test_pruning_by_value),
        cmocka_unit_test(test_value_fallback_is_weight_norm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
