/* Head crossover: the child is the first parent's body with the second
 * parent's head, weights included, the seam sized by the planner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "nas/crossover.h"
#include "nas_fixtures.h"

/* p1 = fx_chain (..., gap, dense 3); p2 = the same body, a head with an
 * extra dense + relu, and head weights of its own. */
static void two_parents(nf_graph **p1, nf_graph **p2, nf_mutate_params *p)
{
    *p1 = fx_chain();
    assert_int_equal(nf_graph_clone(*p1, p2), NF_OK);
    int gap = -1;
    for (int i = 0; i < (*p2)->n; i++)
        if ((*p2)->v[i].op == NF_OP_GAP) gap = i;
    nf_insert s = {.anchor = gap, .op = NF_OP_DENSE, .attr = nf_attr_default()};
    s.attr.bias = 1;
    int at;
    assert_int_equal(nf_mutate_insert(*p2, &s, p, &at), NF_OK);
    s = (nf_insert){.anchor = at, .op = NF_OP_ACT, .attr = nf_attr_default()};
    assert_int_equal(nf_mutate_insert(*p2, &s, p, NULL), NF_OK);
    nf_rng r = fx_rng(99);
    for (int i = at; i < (*p2)->n; i++) {
        const nf_vertex *v = &(*p2)->v[i];
        for (size_t k = 0; k < v->n_param; k++) (*p2)->param[v->param_off + k] += 0.3f * (float)nf_rng_normal(&r);
    }
}

static void test_child_computes_body_of_one_and_head_of_other(void **state)
{
    (void)state;
    nf_rng r = fx_rng(1);
    nf_mutate_params p = nf_mutate_defaults(&r);
    nf_graph *p1, *p2, *child, *back;
    two_parents(&p1, &p2, &p);
    assert_int_equal(nf_crossover_head(p1, p2, &p, &child), NF_OK);
    assert_int_equal(nf_crossover_head(p2, p1, &p, &back), NF_OK);
    size_t n;
    float *a = fx_outputs(p2, 4, 5, &n), *b = fx_outputs(child, 4, 5, &n);
    float *c = fx_outputs(p1, 4, 5, &n), *d = fx_outputs(back, 4, 5, &n);
    assert_true(fx_max_diff(a, b, n) == 0);
    assert_true(fx_max_diff(c, d, n) == 0);
    assert_true(fx_max_diff(a, c, n) > 1e-3); /* the heads differ */
    assert_int_equal(child->n, p2->n);
    assert_int_equal(back->n, p1->n);
    free(a); free(b); free(c); free(d);
    nf_graph_destroy(p1); nf_graph_destroy(p2); nf_graph_destroy(child); nf_graph_destroy(back);
}

/* Pooled features of different counts: the donor's head is resized to the
 * body's, and the child is a valid graph that trains. */
static void test_seam_of_different_sizes(void **state)
{
    (void)state;
    nf_rng r = fx_rng(2);
    nf_mutate_params p = nf_mutate_defaults(&r);
    nf_graph *p1, *p2, *child;
    two_parents(&p1, &p2, &p);
    assert_int_equal(nf_mutate_nout(p2, 4, 3, &p), NF_OK); /* conv 2 of the chain: 5 -> 8 pooled features */
    assert_int_equal(nf_crossover_head(p1, p2, &p, &child), NF_OK);
    int gap = -1;
    for (int i = 0; i < child->n; i++)
        if (child->v[i].op == NF_OP_GAP) gap = i;
    assert_int_equal(child->v[gap].nout, 5);
    assert_int_equal(child->v[gap + 1].nin, 5);
    assert_int_equal(child->v[gap + 1].nout, p2->v[gap + 1].nout);
    size_t n;
    float *y = fx_outputs(child, 4, 6, &n);
    for (size_t k = 0; k < n; k++) assert_true(isfinite(y[k]));
    free(y);
    nf_graph_destroy(p1); nf_graph_destroy(p2); nf_graph_destroy(child);
}

static void test_refused_without_a_single_pooling(void **state)
{
    (void)state;
    nf_rng r = fx_rng(3);
    nf_mutate_params p = nf_mutate_defaults(&r);
    nf_graph *g, *h, *child = (nf_graph *)1;
    assert_int_equal(nf_graph_create(1, 4, 4, &g), NF_OK);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, nf_graph_unary(g, NF_OP_GAP, nf_graph_conv(g, 0, 2, 3, 1, 0))), 2, 1);
    fx_layout(g, 1);
    h = fx_chain();
    assert_int_equal(nf_crossover_head(g, h, &p, &child), NF_ERR_GRAPH);
    assert_null(child);
    nf_graph_destroy(g); nf_graph_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_child_computes_body_of_one_and_head_of_other),
        cmocka_unit_test(test_seam_of_different_sizes),
        cmocka_unit_test(test_refused_without_a_single_pooling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
