/* The size planner alone: which neurons each vertex keeps and where new
 * ones go, for every kind of size relation, and its refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "nas/groups.h"
#include "nas/plan.h"
#include "tests/nas_fixtures.h"

static nf_plan *plan_ok(const nf_graph *g, const nf_plan_request *r, const nf_plan_params *p)
{
    nf_plan *plan = NULL;
    nf_status st = nf_plan_solve(g, r, p, &plan);
    if (st) fail_msg("plan refused: %s (%s)", nf_status_name(st), nf_last_error());
    return plan;
}

static nf_plan *plan_target(const nf_graph *g, int vertex, int size, const nf_plan_params *p)
{
    nf_plan_target t = {.vertex = vertex, .size = size};
    nf_plan_request r = {.targets = &t, .n_targets = 1};
    return plan_ok(g, &r, p);
}

static int count_new(const int *seq, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++) k += seq[i] < 0;
    return k;
}

/* Every vertex's planned size agrees with its kind's rule. */
static void assert_relations(const nf_graph *g, const nf_plan *plan)
{
    for (int i = 1; i < g->n; i++) {
        const nf_vertex *v = &g->v[i];
        int n = nf_plan_size(plan, i);
        assert_true(n >= 1);
        nf_kind k = nf_graph_kind(g, i);
        if (k == NF_KIND_TRANSPARENT) assert_int_equal(n, nf_plan_size(plan, v->inputs[0]));
        if (k == NF_KIND_ADD)
            for (int q = 0; q < v->n_inputs; q++) assert_int_equal(n, nf_plan_size(plan, v->inputs[q]));
        if (k == NF_KIND_CONCAT) {
            int sum = 0;
            for (int q = 0; q < v->n_inputs; q++) sum += nf_plan_size(plan, v->inputs[q]);
            assert_int_equal(n, sum);
        }
    }
    assert_int_equal(nf_plan_size(plan, 0), g->v[0].nout);
    assert_int_equal(nf_plan_size(plan, g->n - 1), g->v[g->n - 1].nout);
}

static void test_chain_grow_follows_transparent(void **state)
{
    (void)state;
    nf_graph *g = fx_chain();
    nf_plan_stats st;
    nf_plan_params p = nf_plan_defaults();
    p.stats = &st;
    nf_plan *plan = plan_target(g, 1, 7, &p);
    int n;
    const int *seq = nf_plan_neurons(plan, 3, &n); /* the relu after bn after conv 1 */
    assert_int_equal(n, 7);
    for (int i = 0; i < 4; i++) assert_int_equal(seq[i], i); /* old neurons first, in order */
    assert_int_equal(count_new(seq, n), 3);
    assert_int_equal(nf_plan_size(plan, 4), 5); /* the next conv is untouched */
    assert_int_equal(st.program_groups, 1);     /* conv, bn, relu are one group, alone in the program */
    assert_relations(g, plan);
    nf_plan_destroy(plan);
    nf_graph_destroy(g);
}

static void test_shrink_keeps_most_valuable(void **state)
{
    (void)state;
    nf_graph *g = fx_chain();
    float *value = malloc(g->n_value * sizeof *value);
    for (size_t k = 0; k < g->n_value; k++) value[k] = 1.0f;
    const float v4[5] = {0.5f, 3.0f, 0.1f, 2.0f, 0.2f};
    for (int k = 0; k < 5; k++) value[g->v[4].value_off + k] = v4[k];
    nf_plan_params p = nf_plan_defaults();
    p.value = value;
    nf_plan *plan = plan_target(g, 4, 2, &p);
    int n;
    const int *seq = nf_plan_neurons(plan, 4, &n);
    assert_int_equal(n, 2);
    assert_int_equal(seq[0], 1);
    assert_int_equal(seq[1], 3);
    nf_plan_destroy(plan);
    /* The recorded values are used when none are supplied. */
    for (int k = 0; k < 5; k++) g->value[g->v[4].value_off + k] = v4[4 - k];
    plan = plan_target(g, 4, 2, NULL);
    seq = nf_plan_neurons(plan, 4, &n);
    assert_int_equal(seq[0], 1);
    assert_int_equal(seq[1], 3);
    nf_plan_destroy(plan);
    free(value);
    nf_graph_destroy(g);
}

static void test_harmful_neurons_go_first(void **state)
{
    (void)state;
    nf_graph *g = fx_chain();
    for (int k = 0; k < 5; k++) g->value[g->v[4].value_off + k] = 1.0f;
    g->value[g->v[4].value_off + 2] = NAN;
    /* No size change asked: the non-finite neuron is replaced by a new one. */
    nf_plan *plan = plan_target(g, 4, 5, NULL);
    int n;
    const int *seq = nf_plan_neurons(plan, 4, &n);
    assert_int_equal(n, 5);
    for (int i = 0; i < n; i++) assert_int_not_equal(seq[i], 2);
    assert_int_equal(count_new(seq, n), 1);
    nf_plan_destroy(plan);
    /* A caller's negative value marks a neuron harmful too; shrinking drops it first. */
    float *value = malloc(g->n_value * sizeof *value);
    for (size_t k = 0; k < g->n_value; k++) value[k] = 0.001f;
    value[g->v[4].value_off + 0] = -0.5f;
    nf_plan_params p = nf_plan_defaults();
    p.value = value;
    plan = plan_target(g, 4, 4, &p);
    seq = nf_plan_neurons(plan, 4, &n);
    assert_int_equal(n, 4);
    for (int i = 0; i < n; i++) assert_int_equal(seq[i], i + 1);
    nf_plan_destroy(plan);
    free(value);
    nf_graph_destroy(g);
}

static void test_insert_position(void **state)
{
    (void)state;
    nf_graph *g = fx_chain();
    nf_plan_target t = {.vertex = 4, .size = 7, .insert_before = 1 + 2}; /* in front of old neuron 2 */
    nf_plan_request r = {.targets = &t, .n_targets = 1};
    nf_plan *plan = plan_ok(g, &r, NULL);
    int n;
    const int *seq = nf_plan_neurons(plan, 4, &n);
    const int want[7] = {0, 1, -1, -1, 2, 3, 4};
    assert_int_equal(n, 7);
    assert_memory_equal(seq, want, sizeof want);
    nf_plan_destroy(plan);
    nf_graph_destroy(g);
}

static void test_add_members_change_together(void **state)
{
    (void)state;
    nf_graph *g = fx_residual();
    int group[16], ng;
    assert_int_equal(nf_groups_of_graph(g, group, &ng), NF_OK);
    for (int i = 2; i <= 7; i++) assert_int_equal(group[i], group[1]); /* c1 ... add, relu, gap */
    assert_int_not_equal(group[8], group[1]);                           /* the dense owns its neurons */
    assert_int_equal(ng, 3);                                            /* input, the block, the dense */
    nf_plan *plan = plan_target(g, 3, 9, NULL); /* conv c2 inside the residual block */
    assert_int_equal(nf_plan_get_stats(plan)->groups, ng); /* the planner groups with nf_groups_of too */
    for (int i = 1; i <= 6; i++) assert_int_equal(nf_plan_size(plan, i), 9);
    assert_relations(g, plan);
    nf_plan_destroy(plan);
    plan = plan_target(g, 1, 2, NULL);
    for (int i = 1; i <= 6; i++) assert_int_equal(nf_plan_size(plan, i), 2);
    nf_plan_destroy(plan);
    nf_graph_destroy(g);
}

static void test_concat_input_and_concat_targets(void **state)
{
    (void)state;
    nf_graph *g = fx_inception();
    /* Growing one input grows the concat by as much, new neurons inside its block. */
    nf_plan *plan = plan_target(g, 3, 5, NULL);
    int n;
    const int *seq = nf_plan_neurons(plan, 5, &n);
    const int want[10] = {0, 1, 2, -1, -1, 3, 4, 5, 6, 7};
    assert_int_equal(n, 10);
    assert_memory_equal(seq, want, sizeof want);
    assert_int_equal(nf_plan_size(plan, 4), 5);
    assert_relations(g, plan);
    nf_plan_destroy(plan);
    /* A target on the concat is spread over its inputs. */
    plan = plan_target(g, 7, 4, NULL);
    assert_int_equal(nf_plan_size(plan, 5), 4);
    assert_true(nf_plan_size(plan, 3) >= 1 && nf_plan_size(plan, 4) >= 1);
    assert_relations(g, plan);
    nf_plan_destroy(plan);
    nf_graph_destroy(g);
}

static void test_differing_changes_on_concat_inputs(void **state)
{
    (void)state;
    nf_graph *g = fx_inception();
    nf_plan_target t[2] = {{.vertex = 3, .size = 1}, {.vertex = 4, .size = 9}};
    nf_plan_request r = {.targets = t, .n_targets = 2};
    nf_plan *plan = plan_ok(g, &r, NULL);
    assert_int_equal(nf_plan_size(plan, 3), 1);
    assert_int_equal(nf_plan_size(plan, 4), 9);
    assert_int_equal(nf_plan_size(plan, 5), 10);
    assert_relations(g, plan);
    nf_plan_destroy(plan);
    /* ...and together with a target on the concat that contradicts them: refused. */
    nf_plan_target t3[3] = {{.vertex = 3, .size = 1}, {.vertex = 4, .size = 9}, {.vertex = 5, .size = 6}};
    nf_plan_request r3 = {.targets = t3, .n_targets = 3};
    nf_plan_params p = nf_plan_defaults();
    p.relax = 0;
    nf_plan *bad = NULL;
    assert_int_equal(nf_plan_solve(g, &r3, &p, &bad), NF_ERR_INFEASIBLE);
    assert_null(bad);
    nf_graph_destroy(g);
}

static void test_size_cycle(void **state)
{
    (void)state;
    nf_graph *g = fx_size_cycle();
    /* a grows by one: the concat grows, so y (added to it) grows, so a's and b's inputs grow. */
    nf_plan *plan = plan_target(g, 2, 3, NULL);
    assert_int_equal(nf_plan_size(plan, 2), 3);
    assert_int_equal(nf_plan_size(plan, 4), 5);
    assert_int_equal(nf_plan_size(plan, 1), 5);
    assert_relations(g, plan);
    /* y's new neuron sits where the concat's does: inside a's block. */
    int n;
    const int *cy = nf_plan_neurons(plan, 1, &n), *cc = nf_plan_neurons(plan, 4, NULL);
    assert_memory_equal(cy, cc, (size_t)n * sizeof *cy);
    assert_int_equal(cc[2], -1);
    nf_plan_destroy(plan);
    /* A target on y itself is split between a and b. */
    plan = plan_target(g, 1, 7, NULL);
    assert_int_equal(nf_plan_size(plan, 4), 7);
    assert_relations(g, plan);
    nf_plan_destroy(plan);
    /* y cannot be 1 (a and b need one neuron each): the exact plan is refused. */
    nf_plan_params p = nf_plan_defaults();
    p.relax = 0;
    nf_plan_target t = {.vertex = 1, .size = 1};
    nf_plan_request r = {.targets = &t, .n_targets = 1};
    nf_plan *bad = NULL;
    assert_int_equal(nf_plan_solve(g, &r, &p, &bad), NF_ERR_INFEASIBLE);
    plan = plan_ok(g, &r, NULL); /* the relaxed pass gets as close as it can */
    assert_int_equal(nf_plan_size(plan, 1), 2);
    assert_true(nf_plan_get_stats(plan)->relaxed);
    nf_plan_destroy(plan);
    nf_graph_destroy(g);
}

/* Two concats of different block structure joined by an add. */
static void test_two_concats_in_one_group(void **state)
{
    (void)state;
    nf_graph *g;
    assert_int_equal(nf_graph_create(2, 4, 4, &g), NF_OK);
    int a = nf_graph_conv(g, 0, 3, 1, 1, 0), b = nf_graph_conv(g, 0, 5, 1, 1, 0);
    int c = nf_graph_conv(g, 0, 4, 1, 1, 0), d = nf_graph_conv(g, 0, 4, 1, 1, 0);
    int ab[2] = {a, b}, cd[2] = {c, d};
    int s[2] = {fx_append(g, NF_OP_CONCAT, ab, 2), fx_append(g, NF_OP_CONCAT, cd, 2)};
    int add = fx_append(g, NF_OP_ADD, s, 2);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, add), 2, 0);
    fx_layout(g, 5);
    nf_plan *plan = plan_target(g, add, 10, NULL);
    int n;
    const int *x = nf_plan_neurons(plan, s[0], &n), *y = nf_plan_neurons(plan, s[1], NULL);
    assert_int_equal(n, 10);
    assert_memory_equal(x, y, (size_t)n * sizeof *x); /* position by position the same neurons */
    assert_relations(g, plan);
    nf_plan_destroy(plan);
    plan = plan_target(g, a, 1, NULL); /* shrinking a forces the other concat to drop the same slots */
    x = nf_plan_neurons(plan, s[0], &n);
    y = nf_plan_neurons(plan, s[1], NULL);
    assert_memory_equal(x, y, (size_t)n * sizeof *x);
    assert_relations(g, plan);
    nf_plan_destroy(plan);
    nf_graph_destroy(g);
}

static void test_concat_insert_at_front(void **state)
{
    (void)state;
    nf_graph *g = fx_inception();
    /* c0's relu (4 neurons) becomes input 0 of the concat. */
    nf_plan_request r = {.edit = NF_PLAN_EDIT_CONCAT_INSERT, .concat = 5, .pos = 0, .from = 2};
    nf_plan *plan = plan_ok(g, &r, NULL);
    int n;
    const int *seq = nf_plan_neurons(plan, 5, &n);
    const int want[12] = {-1, -1, -1, -1, 0, 1, 2, 3, 4, 5, 6, 7};
    assert_int_equal(n, 12);
    assert_memory_equal(seq, want, sizeof want);
    assert_int_equal(nf_plan_size(plan, 2), 4); /* the new input itself is untouched */
    nf_plan_destroy(plan);
    /* Removing input 1 (b, 5 neurons): the concat keeps exactly a's block. */
    nf_plan_request d = {.edit = NF_PLAN_EDIT_CONCAT_DROP, .concat = 5, .pos = 1};
    plan = plan_ok(g, &d, NULL);
    seq = nf_plan_neurons(plan, 6, &n);
    const int want2[3] = {0, 1, 2};
    assert_int_equal(n, 3);
    assert_memory_equal(seq, want2, sizeof want2);
    nf_plan_destroy(plan);
    nf_graph_destroy(g);
}

static void test_refusals(void **state)
{
    (void)state;
    nf_graph *g = fx_residual();
    nf_plan *plan = NULL;
    nf_plan_target t = {.vertex = 1, .size = 0};
    nf_plan_request r = {.targets = &t, .n_targets = 1};
    assert_int_equal(nf_plan_solve(g, &r, NULL, &plan), NF_ERR_INFEASIBLE); /* below one neuron */
    t = (nf_plan_target){.vertex = g->n - 1, .size = 5};
    assert_int_equal(nf_plan_solve(g, &r, NULL, &plan), NF_ERR_INFEASIBLE); /* the output is fixed */
    t = (nf_plan_target){.vertex = 0, .size = 5};
    assert_int_equal(nf_plan_solve(g, &r, NULL, &plan), NF_ERR_INFEASIBLE); /* so is the input */
    t = (nf_plan_target){.vertex = 3, .size = 8};
    nf_plan_params p = nf_plan_defaults();
    p.time_limit_ms = 0;
    nf_plan_stats st;
    p.stats = &st;
    assert_int_equal(nf_plan_solve(g, &r, &p, &plan), NF_ERR_TIMEOUT);
    assert_null(plan);
    assert_true(st.cols > 0);
    t = (nf_plan_target){.vertex = 99, .size = 2};
    assert_int_equal(nf_plan_solve(g, &r, NULL, &plan), NF_ERR_ARG);
    nf_graph_destroy(g);
}

static void test_only_reachable_groups_enter(void **state)
{
    (void)state;
    nf_graph *g = fx_inception();
    nf_plan_stats st;
    nf_plan_params p = nf_plan_defaults();
    p.stats = &st;
    nf_plan *plan = plan_target(g, 1, 6, &p); /* c0: a plain layer group */
    assert_int_equal(st.program_groups, 1);
    nf_plan_destroy(plan);
    plan = plan_target(g, 3, 6, &p); /* a: linked to the concat's group and b's */
    assert_int_equal(st.program_groups, 3);
    assert_true(st.groups > 3);
    nf_plan_destroy(plan);
    nf_graph_destroy(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_grow_follows_transparent),
        cmocka_unit_test(test_shrink_keeps_most_valuable),
        cmocka_unit_test(test_harmful_neurons_go_first),
        cmocka_unit_test(test_insert_position),
        cmocka_unit_test(test_add_members_change_together),
        cmocka_unit_test(test_concat_input_and_concat_targets),
        cmocka_unit_test(test_differing_changes_on_concat_inputs),
        cmocka_unit_test(test_size_cycle),
        cmocka_unit_test(test_two_concats_in_one_group),
        cmocka_unit_test(test_concat_insert_at_front),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_only_reachable_groups_enter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
