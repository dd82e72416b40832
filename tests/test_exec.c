/* The executor and the training loops, held to their contracts: an
 * executor refuses a graph whose shapes changed since it was made, keeps
 * the convolution tuning it was made with, the loops report a failing
 * batch source and labels outside the classes, and nf_alloc refuses sizes
 * it cannot round. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>

#include "engine/graph_edit.h"
#include "engine/loss.h"
#include "engine/op.h"
#include "engine/optim.h"
#include "engine/train.h"
#include "nas/mutate.h"
#include "tests/nas_fixtures.h"

/* ==== an executor after its graph changed ================================= */

static void test_exec_refuses_a_mutated_graph(void **state)
{
    (void)state;
    nf_graph *g = fx_chain();
    nf_exec *e;
    assert_int_equal(nf_exec_create(g, 2, &e), NF_OK);
    fx_fill_input(e, 1);
    assert_int_equal(nf_exec_forward(e, g, 2, 1, NULL), NF_OK);
    /* a clone has the same shapes: the executor fits it */
    nf_graph *c;
    assert_int_equal(nf_graph_clone(g, &c), NF_OK);
    assert_int_equal(nf_exec_forward(e, c, 2, 0, NULL), NF_OK);
    nf_graph_destroy(c);

    nf_rng rng = fx_rng(5);
    nf_mutate_params p = nf_mutate_defaults(&rng);
    nf_insert s = {.anchor = 4, .op = NF_OP_CONV2D, .attr = nf_attr_default()};
    assert_int_equal(nf_mutate_insert(g, &s, &p, NULL), NF_OK);
    assert_int_equal(nf_exec_forward(e, g, 2, 1, NULL), NF_ERR_GRAPH);
    assert_non_null(strstr(nf_last_error(), "make a new one"));
    assert_int_equal(nf_exec_backward(e, g), NF_ERR_GRAPH);
    nf_exec_destroy(e);

    /* a size change keeps the vertex count but not the shapes */
    assert_int_equal(nf_exec_create(g, 2, &e), NF_OK);
    fx_fill_input(e, 1);
    assert_int_equal(nf_exec_forward(e, g, 2, 1, NULL), NF_OK);
    assert_int_equal(nf_mutate_nout(g, 1, 3, &p), NF_OK);
    assert_int_equal(nf_exec_forward(e, g, 2, 1, NULL), NF_ERR_GRAPH);
    nf_exec_destroy(e);

    /* so do a kernel change and a plain edit followed by a layout */
    assert_int_equal(nf_exec_create(g, 2, &e), NF_OK);
    assert_int_equal(nf_mutate_kernel(g, 1, 5), NF_OK);
    assert_int_equal(nf_exec_forward(e, g, 2, 0, NULL), NF_ERR_GRAPH);
    nf_exec_destroy(e);
    assert_int_equal(nf_exec_create(g, 2, &e), NF_OK);
    g->v[1].nout = 9;
    assert_int_equal(nf_graph_layout(g, &rng), NF_OK);
    assert_int_equal(nf_exec_forward(e, g, 2, 0, NULL), NF_ERR_GRAPH);
    nf_exec_destroy(e);
    nf_graph_destroy(g);
}

static void test_exec_refuses_bad_batch_counts(void **state)
{
    (void)state;
    nf_graph *g = fx_chain();
    nf_exec *e;
    assert_int_equal(nf_exec_create(g, 2, &e), NF_OK);
    assert_int_equal(nf_exec_forward(e, g, 3, 0, NULL), NF_ERR_ARG);
    assert_int_equal(nf_exec_forward(e, g, 0, 0, NULL), NF_ERR_ARG);
    nf_exec_destroy(e);
    nf_graph_destroy(g);
}

/* ==== the convolution tuning is the executor's own ======================= */

/* input(8, 12x12) -> conv3x3 8 -> conv 5x5 8 -> gap -> dense 3: both paths. */
static nf_graph *two_convs(void)
{
    nf_graph *g;
    assert_int_equal(nf_graph_create(8, 12, 12, &g), NF_OK);
    int c = nf_graph_conv(g, nf_graph_conv(g, 0, 8, 3, 1, 1), 8, 5, 1, 0);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, c), 3, 1);
    fx_layout(g, 7);
    return g;
}

static void test_exec_keeps_its_tuning(void **state)
{
    (void)state;
    nf_graph *g = two_convs();
    nf_conv_tuning small = nf_conv_tuning_default();
    small.wino_tiles = 4;
    small.col_floats = 64;
    nf_exec *e, *big;
    assert_int_equal(nf_exec_create_tuned(g, 4, &small, &e), NF_OK);
    size_t bytes = nf_exec_bytes(e);
    fx_fill_input(e, 3);
    assert_int_equal(nf_exec_forward(e, g, 4, 1, NULL), NF_OK);
    float before[12];
    memcpy(before, nf_exec_output(e)->data, sizeof before);
    /* an executor with bigger chunks (a bigger work buffer) computes the same */
    assert_int_equal(nf_exec_create(g, 4, &big), NF_OK);
    assert_true(nf_exec_bytes(big) > bytes);
    fx_fill_input(big, 3);
    assert_int_equal(nf_exec_forward(big, g, 4, 1, NULL), NF_OK);
    for (int i = 0; i < 12; i++) assert_float_equal(before[i], nf_exec_output(big)->data[i], 1e-4 * (1 + fabsf(before[i])));
    assert_int_equal(nf_exec_forward(e, g, 4, 1, NULL), NF_OK);
    assert_memory_equal(before, nf_exec_output(e)->data, sizeof before);
    assert_int_equal(nf_exec_backward(e, g), NF_OK);
    assert_int_equal(nf_exec_bytes(e), bytes);
    nf_exec_destroy(big);
    nf_exec_destroy(e);
    nf_graph_destroy(g);
}

/* ==== the training loops ================================================== */

typedef struct source { int calls, fail_at, label; } source;

/* Batches of 2 random images; the fail_at-th call fails (-1). */
static int test_source(void *user, nf_tensor *x, int *labels)
{
    source *s = user;
    if (++s->calls == s->fail_at) { nf_fail(NF_ERR_ARG, "batch tensor does not fit"); return -1; }
    if (s->calls > 4) return 0;
    nf_rng r = fx_rng((uint64_t)s->calls);
    for (size_t k = 0; k < (size_t)x->c * 2 * x->h * x->w; k++) x->data[k] = (float)nf_rng_normal(&r);
    labels[0] = 0;
    labels[1] = s->label;
    return 2;
}

static void test_loops_report_a_failing_source(void **state)
{
    (void)state;
    nf_graph *g = fx_chain();
    nf_exec *e;
    assert_int_equal(nf_exec_create(g, 2, &e), NF_OK);
    nf_rng rng = fx_rng(2);
    nf_train_params p = nf_train_defaults();
    source s = {.fail_at = 2, .label = 1};
    double loss = -1, acc = -1;
    assert_int_equal(nf_train_epoch(e, g, test_source, &s, &p, &rng, &loss), NF_ERR_ARG);
    assert_non_null(strstr(nf_last_error(), "batch tensor does not fit"));
    assert_int_equal(s.calls, 2);
    s = (source){.fail_at = 3, .label = 1};
    assert_int_equal(nf_evaluate(e, g, test_source, &s, &acc, &loss), NF_ERR_ARG);
    s = (source){.fail_at = 1, .label = 1};
    assert_int_equal(nf_refresh_batchnorm(e, g, test_source, &s, 10), NF_ERR_ARG);
    s = (source){.fail_at = 0, .label = 1};
    assert_int_equal(nf_train_epoch(e, g, test_source, &s, &p, &rng, &loss), NF_OK);
    assert_int_equal(s.calls, 5);
    nf_exec_destroy(e);
    nf_graph_destroy(g);
}

static void test_labels_outside_the_classes_are_refused(void **state)
{
    (void)state;
    nf_graph *g = fx_chain(); /* 3 classes */
    nf_exec *e;
    assert_int_equal(nf_exec_create(g, 2, &e), NF_OK);
    nf_rng rng = fx_rng(2);
    nf_train_params p = nf_train_defaults();
    float *kept = malloc(g->n_param * sizeof *kept);
    memcpy(kept, g->param, g->n_param * sizeof *kept);
    double loss;
    source s = {.label = 3};
    assert_int_equal(nf_train_epoch(e, g, test_source, &s, &p, &rng, &loss), NF_ERR_ARG);
    assert_non_null(strstr(nf_last_error(), "label 3"));
    assert_memory_equal(kept, g->param, g->n_param * sizeof *kept);
    s = (source){.label = -1};
    assert_int_equal(nf_evaluate(e, g, test_source, &s, NULL, &loss), NF_ERR_ARG);
    /* the loss itself never reads outside the logits */
    float z[6] = {0}, dz[6] = {7, 7, 7, 7, 7, 7};
    nf_tensor tz = {3, 2, 1, 1, z}, tdz = {3, 2, 1, 1, dz};
    int labels[2] = {1, 3};
    assert_true(isnan(nf_loss_xent(&tz, labels, &tdz, NULL)));
    assert_float_equal(dz[0], 7.0f, 0.0f);
    free(kept);
    nf_exec_destroy(e);
    nf_graph_destroy(g);
}

/* ==== allocation ========================================================== */

static void test_alloc_refuses_sizes_it_cannot_round(void **state)
{
    (void)state;
    assert_null(nf_alloc(SIZE_MAX));
    assert_null(nf_alloc(SIZE_MAX - 62));
    void *p = nf_alloc(1);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 64, 0);
    nf_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exec_refuses_a_mutated_graph),
        cmocka_unit_test(test_exec_refuses_bad_batch_counts),
        cmocka_unit_test(test_exec_keeps_its_tuning),
        cmocka_unit_test(test_loops_report_a_failing_source),
        cmocka_unit_test(test_labels_outside_the_classes_are_refused),
        cmocka_unit_test(test_alloc_refuses_sizes_it_cannot_round),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
