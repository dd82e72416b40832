/* Finite-difference gradient checks for every op, for parameters and (through
 * a trainable layer placed before the op) for inputs. The loss is a fixed
 * random linear function of the logits, except in the loss test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "engine/exec.h"
#include "engine/graph.h"
#include "engine/loss.h"
#include "engine/op.h"
#include "engine/optim.h"

enum { BATCH = 3 };

/* The conv tuning every executor here is made with; the Winograd tests
 * change it, and their setup and teardown put the default back. */
static nf_conv_tuning tuning;

static int default_tuning(void **state)
{
    (void)state;
    tuning = nf_conv_tuning_default();
    return 0;
}

typedef struct fixture {
    nf_graph *g;
    nf_exec *e;
    float *r;       /* loss = sum r . logits */
    nf_rng rng;
} fixture;

static double loss_of(fixture *f)
{
    nf_rng drop;
    nf_rng_seed(&drop, 7, 0, NF_RNG_DROPOUT); /* the same dropout mask every time */
    assert_int_equal(nf_exec_forward(f->e, f->g, BATCH, 1, &drop), NF_OK);
    const nf_tensor *y = nf_exec_output(f->e);
    double s = 0;
    for (size_t i = 0; i < nf_tensor_count(y); i++) s += (double)f->r[i] * y->data[i];
    return s;
}

static void setup_fixture(fixture *f, nf_graph *g, uint64_t seed)
{
    f->g = g;
    nf_rng_seed(&f->rng, seed, 0, NF_RNG_TEST);
    assert_int_equal(nf_graph_layout(g, &f->rng), NF_OK);
    /* Give biases, gammas and betas non-trivial values too. */
    for (size_t i = 0; i < g->n_param; i++) g->param[i] += (float)(0.3 * nf_rng_normal(&f->rng));
    assert_int_equal(nf_exec_create_tuned(g, BATCH, &tuning, &f->e), NF_OK);
    nf_tensor *x = nf_exec_input(f->e);
    for (size_t i = 0; i < nf_tensor_count(x); i++) x->data[i] = (float)nf_rng_normal(&f->rng);
    size_t n_out = (size_t)nf_graph_classes(g) * BATCH;
    f->r = malloc(n_out * sizeof(float));
    for (size_t i = 0; i < n_out; i++) f->r[i] = (float)nf_rng_normal(&f->rng);
}

static void teardown_fixture(fixture *f)
{
    nf_exec_destroy(f->e);
    nf_graph_destroy(f->g);
    free(f->r);
}

/* Compares backward's parameter gradient with central differences at every
 * parameter; fails with the vertex and index of the worst mismatch. */
static void check_gradients(nf_graph *g, uint64_t seed, double h, double tol)
{
    fixture f;
    setup_fixture(&f, g, seed);
    loss_of(&f);
    nf_tensor *dy = nf_exec_output_grad(f.e);
    /* Gradient buffers hold whatever the previous training step left: fill
     * them with garbage, so an op that does not overwrite all of its input
     * gradient is caught below. */
    for (int i = 1; i < g->n - 1; i++) {
        nf_tensor *t = (nf_tensor *)nf_exec_vertex_grad(f.e, i);
        for (size_t k = 0; k < nf_tensor_count(t); k++) t->data[k] = 1e3f * (float)((k % 7) + 1);
    }
    memcpy(dy->data, f.r, nf_tensor_count(dy) * sizeof(float));
    memset(g->grad, 0, g->n_param * sizeof(float));
    assert_int_equal(nf_exec_backward(f.e, g), NF_OK);
    double worst = 0;
    size_t worst_at = 0;
    for (size_t i = 0; i < g->n_param; i++) {
        float saved = g->param[i];
        g->param[i] = saved + (float)h;
        double up = loss_of(&f);
        g->param[i] = saved - (float)h;
        double down = loss_of(&f);
        g->param[i] = saved;
        double numeric = (up - down) / (2 * h), analytic = g->grad[i];
        double err = fabs(numeric - analytic) / fmax(1.0, fmax(fabs(numeric), fabs(analytic)));
        if (err > worst) { worst = err; worst_at = i; }
    }
    if (worst > tol) {
        int v = 0;
        while (v + 1 < g->n && g->v[v + 1].param_off <= worst_at && g->v[v + 1].n_param) v++;
        fail_msg("seed %llu: gradient mismatch %.3g at parameter %zu (vertex %d, %s)",
                 (unsigned long long)seed, worst, worst_at, v, nf_op_name(g->v[v].op));
    }
    teardown_fixture(&f);
}

/* input(2, 6x6) -> conv1x1(3, bias) [so the op under test gets an input gradient] */
static nf_graph *stem(int size, int *last)
{
    nf_graph *g;
    assert_int_equal(nf_graph_create(2, size, size, &g), NF_OK);
    *last = nf_graph_conv(g, 0, 3, 1, 1, 1);
    return g;
}

/* ... -> tanh -> gap -> dense(4, bias) */
static void head(nf_graph *g, int at)
{
    at = nf_graph_act(g, at, NF_ACT_TANH);
    at = nf_graph_unary(g, NF_OP_GAP, at);
    assert_true(nf_graph_dense(g, at, 4, 1) > 0);
}

static void test_conv_kernels_and_strides(void **state)
{
    (void)state;
    int kernels[] = {1, 3, 5, 7}, sizes[] = {1, 2, 5, 7}; /* images smaller than the kernel too */
    for (int z = 0; z < 4; z++)
        for (int k = 0; k < 4; k++)
            for (int stride = 1; stride <= 2; stride++)
                for (int bias = 0; bias <= 1; bias++) {
                    int at;
                    nf_graph *g = stem(sizes[z], &at);
                    at = nf_graph_conv(g, at, 4, kernels[k], stride, bias);
                    head(g, at);
                    check_gradients(g, 100 + z * 16 + k * 4 + stride * 2 + bias, 1e-2, 2e-3);
                }
}

/* Every op, status, activation and optimiser has its table entry and name
 * (the tables are sized by their COUNT, so a forgotten entry compiles). */
static void test_tables_are_complete(void **state)
{
    (void)state;
    if (nf_op_table_check()) fail_msg("%s", nf_last_error());
    for (int k = 0; k < NF_STATUS_COUNT; k++) {
        assert_string_not_equal(nf_status_name((nf_status)k), "unknown status");
        for (int j = 0; j < k; j++) assert_string_not_equal(nf_status_name((nf_status)k), nf_status_name((nf_status)j));
    }
    for (int k = 0; k < NF_ACT_COUNT; k++) {
        assert_string_not_equal(nf_act_name((nf_act)k), "unknown");
        for (int j = 0; j < k; j++) assert_string_not_equal(nf_act_name((nf_act)k), nf_act_name((nf_act)j));
    }
    for (int k = 0; k < NF_OPTIM_COUNT; k++) {
        assert_string_not_equal(nf_optim_name((nf_optim_kind)k), "unknown");
        assert_int_equal(nf_optim_parse(nf_optim_name((nf_optim_kind)k)), k);
    }
    for (int k = 0; k < NF_OP_COUNT; k++) assert_string_not_equal(nf_op_name((nf_op)k), "unknown");
}

/* Winograd with several chunks per slice and a batch that does not split
 * evenly (3 images: slices of 2 and 1), on even and odd sizes. */
static void test_conv_winograd_chunks(void **state)
{
    (void)state;
    tuning.wino_tiles = 4;
    tuning.wino_min_in = 1; /* the stem has 3 channels */
    for (int size = 6; size <= 7; size++) {
        int at;
        nf_graph *g = stem(size, &at);
        at = nf_graph_conv(g, at, 4, 3, 1, size == 7);
        head(g, at);
        check_gradients(g, 900 + size, 1e-2, 2e-3);
    }
}

/* One forward and backward of g on fixed data with the current tuning;
 * copies the output of vertex `probe`, the gradient of vertex `probe_in`
 * (the conv's input) and the parameter gradient. */
static void run_once(nf_graph *g, int probe, int probe_in, int threads, float *y, float *dx, float *dw)
{
    nf_exec *e;
    assert_int_equal(nf_exec_create_tuned(g, 5, &tuning, &e), NF_OK);
    nf_exec_set_threads(e, threads);
    nf_rng r;
    nf_rng_seed(&r, 5, 0, NF_RNG_TEST);
    nf_tensor *x = nf_exec_input(e);
    for (size_t i = 0; i < nf_tensor_count(x); i++) x->data[i] = (float)nf_rng_normal(&r);
    assert_int_equal(nf_exec_forward(e, g, 5, 1, NULL), NF_OK);
    nf_tensor *dy = nf_exec_output_grad(e);
    for (size_t i = 0; i < nf_tensor_count(dy); i++) dy->data[i] = (float)nf_rng_normal(&r);
    memset(g->grad, 0, g->n_param * sizeof(float));
    assert_int_equal(nf_exec_backward(e, g), NF_OK);
    const nf_tensor *yt = nf_exec_vertex_output(e, probe), *dxt = nf_exec_vertex_grad(e, probe_in);
    memcpy(y, yt->data, nf_tensor_count(yt) * sizeof(float));
    memcpy(dx, dxt->data, nf_tensor_count(dxt) * sizeof(float));
    memcpy(dw, g->grad, g->n_param * sizeof(float));
    nf_exec_destroy(e);
}

static double max_rel_diff(const float *a, const float *b, size_t n)
{
    double worst = 0, scale = 1e-3;
    for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(a[i]));
    for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs((double)a[i] - b[i]) / scale);
    return worst;
}

/* The Winograd path computes what im2col computes (output, input gradient,
 * weight gradient) to float rounding, on wider layers than the gradient
 * checks use; and the result does not depend on the thread count. */
static void test_conv_winograd_matches_im2col(void **state)
{
    (void)state;
    int sizes[][2] = {{9, 9}, {8, 11}, {14, 14}};
    for (int k = 0; k < 3; k++) {
        nf_graph *g;
        assert_int_equal(nf_graph_create(3, sizes[k][0], sizes[k][1], &g), NF_OK);
        int a = nf_graph_conv(g, 0, 16, 1, 1, 1);
        int b = nf_graph_conv(g, a, 24, 3, 1, 0);
        head(g, b);
        nf_rng r;
        nf_rng_seed(&r, 950 + k, 0, NF_RNG_TEST);
        assert_int_equal(nf_graph_layout(g, &r), NF_OK);
        size_t ny = (size_t)24 * 5 * sizes[k][0] * sizes[k][1], ndx = ny / 24 * 16;
        float *y[3], *dx[3], *dw[3];
        for (int m = 0; m < 3; m++) {
            y[m] = malloc(ny * sizeof(float));
            dx[m] = malloc(ndx * sizeof(float));
            dw[m] = malloc(g->n_param * sizeof(float));
        }
        tuning.winograd = 0;
        run_once(g, b, a, 1, y[0], dx[0], dw[0]);
        tuning.winograd = 1;
        tuning.wino_tiles = 20;
        run_once(g, b, a, 1, y[1], dx[1], dw[1]);
        run_once(g, b, a, 2, y[2], dx[2], dw[2]);
        tuning = nf_conv_tuning_default();
        double ey = max_rel_diff(y[0], y[1], ny), edx = max_rel_diff(dx[0], dx[1], ndx);
        double edw = max_rel_diff(dw[0], dw[1], g->n_param);
        if (ey > 1e-5 || edx > 1e-5 || edw > 1e-5)
            fail_msg("%dx%d: Winograd differs from im2col: output %.3g, input gradient %.3g, weight gradient %.3g",
                     sizes[k][0], sizes[k][1], ey, edx, edw);
        assert_memory_equal(y[1], y[2], ny * sizeof(float));
        assert_memory_equal(dx[1], dx[2], ndx * sizeof(float));
        assert_memory_equal(dw[1], dw[2], g->n_param * sizeof(float));
        for (int m = 0; m < 3; m++) { free(y[m]); free(dx[m]); free(dw[m]); }
        nf_graph_destroy(g);
    }
}

static void test_dense(void **state)
{
    (void)state;
    for (int bias = 0; bias <= 1; bias++) {
        int at;
        nf_graph *g = stem(4, &at);
        at = nf_graph_dense(g, at, 5, bias); /* at every spatial position */
        at = nf_graph_act(g, at, NF_ACT_TANH);
        at = nf_graph_unary(g, NF_OP_GAP, at);
        at = nf_graph_dense(g, at, 6, bias);
        at = nf_graph_act(g, at, NF_ACT_SIGMOID);
        assert_true(nf_graph_dense(g, at, 4, 1) > 0);
        check_gradients(g, 200 + bias, 1e-2, 2e-3);
    }
}

static void test_batchnorm_training(void **state)
{
    (void)state;
    int at;
    nf_graph *g = stem(5, &at);
    at = nf_graph_batchnorm(g, at);
    head(g, at);
    check_gradients(g, 300, 3e-3, 3e-3);
}

static void test_activations(void **state)
{
    (void)state;
    for (int a = 0; a < NF_ACT_COUNT; a++) {
        int at;
        nf_graph *g = stem(4, &at);
        at = nf_graph_act(g, at, (nf_act)a);
        head(g, at);
        /* relu-like kinks: a small step keeps the check off them */
        check_gradients(g, 400 + a, 1e-3, 5e-3);
    }
}

static void test_pooling(void **state)
{
    (void)state;
    nf_op ops[] = {NF_OP_MAXPOOL, NF_OP_AVGPOOL, NF_OP_GAP};
    for (int k = 0; k < 3; k++)
        for (int size = 6; size <= 7; size++) {
            int at;
            nf_graph *g = stem(size, &at);
            at = nf_graph_unary(g, ops[k], at);
            head(g, at);
            check_gradients(g, 500 + k * 2 + size, 1e-3, 5e-3);
        }
}

static void test_dropout(void **state)
{
    (void)state;
    int at;
    nf_graph *g = stem(4, &at);
    at = nf_graph_unary(g, NF_OP_DROPOUT, at);
    head(g, at);
    check_gradients(g, 600, 1e-2, 2e-3);
}

/* stem -> three convs of different widths -> concat or add -> head */
static void check_merge(nf_op op, uint64_t seed)
{
    int at;
    nf_graph *g = stem(4, &at);
    int branch[3];
    for (int k = 0; k < 3; k++) branch[k] = nf_graph_conv(g, at, op == NF_OP_ADD ? 3 : 2 + k, 3, 1, 0);
    int merged;
    assert_int_equal(nf_graph_append(g, op, NULL, 0, branch, 3, &merged), NF_OK);
    head(g, merged);
    check_gradients(g, seed, 1e-2, 2e-3);
}

static void test_concat(void **state) { (void)state; check_merge(NF_OP_CONCAT, 700); }
static void test_add(void **state) { (void)state; check_merge(NF_OP_ADD, 701); }

/* A vertex used twice (fan-out) sums both gradients. */
static void test_fan_out(void **state)
{
    (void)state;
    int at;
    nf_graph *g = stem(4, &at);
    int a = nf_graph_act(g, at, NF_ACT_TANH);
    int b = nf_graph_conv(g, a, 3, 3, 1, 0);
    int in[2] = {a, b};
    int sum;
    assert_int_equal(nf_graph_append(g, NF_OP_ADD, NULL, 0, in, 2, &sum), NF_OK);
    head(g, sum);
    check_gradients(g, 800, 1e-2, 2e-3);
}

/* A producer listed twice by one consumer gets both parts of its gradient
 * (the first overwrites, the second adds), and a producer with three
 * consumers of different ops gets all three. */
static void test_repeated_input(void **state)
{
    (void)state;
    int at;
    nf_graph *g = stem(4, &at);
    int a = nf_graph_act(g, at, NF_ACT_TANH);
    int in[3] = {a, a, a};
    int sum;
    assert_int_equal(nf_graph_append(g, NF_OP_ADD, NULL, 0, in, 2, &sum), NF_OK);
    int b = nf_graph_batchnorm(g, a);
    int c = nf_graph_conv(g, a, 3, 3, 1, 0);
    in[0] = sum; in[1] = b; in[2] = c;
    int all;
    assert_int_equal(nf_graph_append(g, NF_OP_ADD, NULL, 0, in, 3, &all), NF_OK);
    head(g, all);
    check_gradients(g, 801, 3e-3, 2e-3);
}

static void test_loss_gradient_and_stability(void **state)
{
    (void)state;
    nf_tensor z, dz;
    assert_int_equal(nf_tensor_alloc(&z, 5, 4, 1, 1), NF_OK);
    assert_int_equal(nf_tensor_alloc(&dz, 5, 4, 1, 1), NF_OK);
    nf_rng rng;
    nf_rng_seed(&rng, 1, 0, NF_RNG_TEST);
    for (size_t i = 0; i < 20; i++) z.data[i] = (float)(3 * nf_rng_normal(&rng));
    int labels[4] = {0, 3, 4, 1};
    for (int s = 0; s < 2; s++) { /* plain, then label smoothing */
        float smoothing = s ? 0.1f : 0;
        nf_loss_xent_smoothed(&z, labels, smoothing, &dz, NULL);
        for (size_t i = 0; i < 20; i++) {
            float saved = z.data[i];
            z.data[i] = saved + 1e-2f;
            double up = nf_loss_xent_smoothed(&z, labels, smoothing, NULL, NULL);
            z.data[i] = saved - 1e-2f;
            double down = nf_loss_xent_smoothed(&z, labels, smoothing, NULL, NULL);
            z.data[i] = saved;
            assert_float_equal((up - down) / 2e-2, dz.data[i], 1e-3);
        }
    }
    /* Huge logits: finite loss, the right answer. */
    for (size_t i = 0; i < 20; i++) z.data[i] = 0;
    z.data[0 * 4 + 0] = 1e4f;  /* image 0 says class 0 (right) */
    z.data[2 * 4 + 1] = 1e4f;  /* image 1 says class 2 (wrong, label 3) */
    int correct = 0;
    float loss = nf_loss_xent(&z, labels, &dz, &correct);
    assert_true(isfinite(loss));
    assert_true(loss > 1e3f / 4);  /* image 1 is about 1e4 off, averaged over 4 */
    assert_int_equal(correct, 1);
    nf_tensor_free(&z);
    nf_tensor_free(&dz);
}

/* Label smoothing's optimum is its target: logits that are the log of
 * (1 - s) on the label plus s / K everywhere have zero gradient, and the
 * loss there is the target's entropy; without smoothing the same logits
 * still pull towards the label. */
static void test_smoothed_loss_is_least_at_its_target(void **state)
{
    (void)state;
    enum { K = 5, N = 3 };
    nf_tensor z, dz;
    assert_int_equal(nf_tensor_alloc(&z, K, N, 1, 1), NF_OK);
    assert_int_equal(nf_tensor_alloc(&dz, K, N, 1, 1), NF_OK);
    int labels[N] = {2, 0, 4};
    const float s = 0.2f;
    double on = 1 - s + s / K, off = s / K;
    for (int i = 0; i < N; i++)
        for (int k = 0; k < K; k++) z.data[k * N + i] = (float)log(k == labels[i] ? on : off);
    int correct = 0;
    float loss = nf_loss_xent_smoothed(&z, labels, s, &dz, &correct);
    for (int i = 0; i < K * N; i++) assert_float_equal(dz.data[i], 0, 1e-6);
    assert_float_equal(loss, -(on * log(on) + (K - 1) * off * log(off)), 1e-5);
    assert_int_equal(correct, N); /* the accuracy is the plain one */
    nf_loss_xent(&z, labels, &dz, NULL);
    for (int i = 0; i < N; i++) assert_true(dz.data[labels[i] * N + i] < -1e-3);
    nf_tensor_free(&z);
    nf_tensor_free(&dz);
}

/* The table check names what an op lacks for the rest of the program:
 * each real entry, with its attributes, FLOPs or brief token taken away. */
static void test_an_op_without_its_descriptions_is_refused(void **state)
{
    (void)state;
    for (int op = 0; op < NF_OP_COUNT; op++) {
        nf_op_def d = *nf_op_def_of((nf_op)op);
        assert_null(nf_op_def_missing(&d));
        nf_op_def no_attrs = d, no_flops = d, no_brief = d;
        no_attrs.attrs = NULL;
        no_flops.flops = NULL;
        no_brief.brief = NULL;
        assert_non_null(strstr(nf_op_def_missing(&no_attrs), "attrs"));
        assert_non_null(strstr(nf_op_def_missing(&no_flops), "flops"));
        if (op != NF_OP_INPUT) assert_non_null(strstr(nf_op_def_missing(&no_brief), "brief"));
    }
}

int main(void)
{
    default_tuning(NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_kernels_and_strides),
        cmocka_unit_test(test_tables_are_complete),
        cmocka_unit_test(test_an_op_without_its_descriptions_is_refused),
        cmocka_unit_test_setup_teardown(test_conv_winograd_chunks, default_tuning, default_tuning),
        cmocka_unit_test_setup_teardown(test_conv_winograd_matches_im2col, default_tuning, default_tuning),
        cmocka_unit_test(test_dense),
        cmocka_unit_test(test_batchnorm_training),
        cmocka_unit_test(test_activations),
        cmocka_unit_test(test_pooling),
        cmocka_unit_test(test_dropout),
        cmocka_unit_test(test_concat),
        cmocka_unit_test(test_add),
        cmocka_unit_test(test_fan_out),
        cmocka_unit_test(test_repeated_input),
        cmocka_unit_test(test_loss_gradient_and_stability),
        cmocka_unit_test(test_smoothed_loss_is_least_at_its_target),
    };
    return cmocka_run_group_tests_name("ops", tests, NULL, NULL);
}
