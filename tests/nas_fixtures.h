/* Small graphs and helpers shared by the nas/ tests (header only: every
 * tests/test_*.c is its own binary). Include after <cmocka.h>. */
#ifndef NF_TESTS_NAS_FIXTURES_H
#define NF_TESTS_NAS_FIXTURES_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec.h"
#include "engine/graph.h"

static inline nf_rng fx_rng(uint64_t seed)
{
    nf_rng r;
    nf_rng_seed(&r, seed, 0, NF_RNG_TEST);
    return r;
}

static inline int fx_append(nf_graph *g, nf_op op, const int *in, int n)
{
    int at = -1;
    assert_int_equal(nf_graph_append(g, op, NULL, 0, in, n, &at), NF_OK);
    return at;
}

static inline void fx_layout(nf_graph *g, uint64_t seed)
{
    nf_rng r = fx_rng(seed);
    assert_int_equal(nf_graph_layout(g, &r), NF_OK);
}

/* input(3, 8x8) -> conv 4 -> bn -> relu -> conv 5 -> relu -> gap -> dense 3 */
static inline nf_graph *fx_chain(void)
{
    nf_graph *g;
    assert_int_equal(nf_graph_create(3, 8, 8, &g), NF_OK);
    int c1 = nf_graph_conv(g, 0, 4, 3, 1, 1);
    int r1 = nf_graph_act(g, nf_graph_batchnorm(g, c1), NF_ACT_RELU);
    int c2 = nf_graph_conv(g, r1, 5, 3, 1, 0);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, nf_graph_act(g, c2, NF_ACT_RELU)), 3, 1);
    fx_layout(g, 1);
    return g;
}

/* input(3, 8x8) -> c1 conv 6 -> r1 relu -> c2 conv 6 -> bn -> add(r1, bn)
 * -> relu -> gap -> dense 4.  Indices: c1 1, r1 2, c2 3, bn 4, add 5. */
static inline nf_graph *fx_residual(void)
{
    nf_graph *g;
    assert_int_equal(nf_graph_create(3, 8, 8, &g), NF_OK);
    int c1 = nf_graph_conv(g, 0, 6, 3, 1, 0);
    int r1 = nf_graph_act(g, c1, NF_ACT_RELU);
    int bn = nf_graph_batchnorm(g, nf_graph_conv(g, r1, 6, 3, 1, 1));
    int in[2] = {r1, bn};
    int add = fx_append(g, NF_OP_ADD, in, 2);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, nf_graph_act(g, add, NF_ACT_RELU)), 4, 1);
    fx_layout(g, 2);
    return g;
}

/* input(3, 8x8) -> c0 conv 4 -> r0 relu -> a conv 3, b conv 5 (both of r0)
 * -> cat(a, b) -> bn -> relu -> gap -> dense 4.
 * Indices: c0 1, r0 2, a 3, b 4, cat 5, bn 6, relu 7, gap 8, dense 9. */
static inline nf_graph *fx_inception(void)
{
    nf_graph *g;
    assert_int_equal(nf_graph_create(3, 8, 8, &g), NF_OK);
    int r0 = nf_graph_act(g, nf_graph_conv(g, 0, 4, 3, 1, 1), NF_ACT_RELU);
    int in[2] = {nf_graph_conv(g, r0, 3, 3, 1, 1), nf_graph_conv(g, r0, 5, 1, 1, 1)};
    int cat = fx_append(g, NF_OP_CONCAT, in, 2);
    int r = nf_graph_act(g, nf_graph_batchnorm(g, cat), NF_ACT_RELU);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, r), 4, 1);
    fx_layout(g, 3);
    return g;
}

/* The "size cycle": a concat feeding an add that shares an ancestor with it.
 * input(3, 8x8) -> y conv 4 -> a conv 2 (y), b conv 2 (y) -> c = cat(a, b)
 * -> s = add(c, y) -> relu -> gap -> dense 3.
 * Indices: y 1, a 2, b 3, c 4, s 5, relu 6, gap 7, dense 8. */
static inline nf_graph *fx_size_cycle(void)
{
    nf_graph *g;
    assert_int_equal(nf_graph_create(3, 8, 8, &g), NF_OK);
    int y = nf_graph_conv(g, 0, 4, 3, 1, 1);
    int in[2] = {nf_graph_conv(g, y, 2, 3, 1, 1), nf_graph_conv(g, y, 2, 3, 1, 1)};
    int c = fx_append(g, NF_OP_CONCAT, in, 2);
    int s_in[2] = {c, y};
    int s = fx_append(g, NF_OP_ADD, s_in, 2);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, nf_graph_act(g, s, NF_ACT_RELU)), 3, 1);
    fx_layout(g, 4);
    return g;
}

/* Fills the executor input with a fixed pseudo-random batch. */
static inline void fx_fill_input(nf_exec *e, uint64_t seed)
{
    nf_rng r = fx_rng(seed);
    nf_tensor *x = nf_exec_input(e);
    for (size_t k = 0; k < nf_tensor_count(x); k++) x->data[k] = (float)nf_rng_normal(&r);
}

/* Evaluation-mode outputs of g on a fixed batch of n images; caller frees. */
static inline float *fx_outputs(nf_graph *g, int n, uint64_t seed, size_t *count)
{
    nf_exec *e;
    assert_int_equal(nf_exec_create(g, n, &e), NF_OK);
    fx_fill_input(e, seed);
    assert_int_equal(nf_exec_forward(e, g, n, 0, NULL), NF_OK);
    const nf_tensor *y = nf_exec_output(e);
    *count = nf_tensor_count(y);
    float *out = malloc(*count * sizeof *out);
    memcpy(out, y->data, *count * sizeof *out);
    nf_exec_destroy(e);
    return out;
}

static inline double fx_max_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t k = 0; k < n; k++) m = fmax(m, fabs((double)a[k] - b[k]));
    return m;
}

/* 1 if a and b are identical: structure, every field, every buffer byte. */
static inline int fx_graphs_equal(const nf_graph *a, const nf_graph *b)
{
    if (a->n != b->n || a->next_id != b->next_id || a->n_param != b->n_param || a->n_state != b->n_state ||
        a->n_value != b->n_value || a->in_c != b->in_c)
        return 0;
    if (a->shape_version != b->shape_version) return 0; /* executors made for a still fit */
    for (int i = 0; i < a->n; i++) {
        const nf_vertex *x = &a->v[i], *y = &b->v[i];
        if (x->n_inputs != y->n_inputs || memcmp(x->inputs, y->inputs, (size_t)x->n_inputs * sizeof(int))) return 0;
        if (x->op != y->op || x->id != y->id || x->nin != y->nin || x->nout != y->nout || x->h != y->h || x->w != y->w ||
            memcmp(&x->attr, &y->attr, sizeof x->attr) || x->param_off != y->param_off || x->n_param != y->n_param ||
            x->state_off != y->state_off || x->n_state != y->n_state || x->value_off != y->value_off)
            return 0;
    }
    size_t fp = a->n_param * sizeof(float);
    return !memcmp(a->param, b->param, fp) && !memcmp(a->grad, b->grad, fp) && !memcmp(a->moment1, b->moment1, fp) &&
           !memcmp(a->moment2, b->moment2, fp) && !memcmp(a->age, b->age, fp) && !memcmp(a->state, b->state, a->n_state * sizeof(float)) &&
           !memcmp(a->value, b->value, a->n_value * sizeof(float));
}

#endif
