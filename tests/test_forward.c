/* Each op's forward values against the textbook definition, computed here
 * by plain loops (activations: against libm). The gradient checks in
 * test_ops.c prove that backward matches forward; they cannot see an op
 * that is wrong the same way in both (a planted off-by-one in conv's
 * column range passed them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "engine/exec.h"
#include "engine/graph.h"

enum { BATCH = 3 };

/* A graph under test: built by the caller from the input, closed here by
 * global average pooling and a dense layer so that it is valid. */
typedef struct run {
    nf_graph *g;
    nf_exec *e;
    nf_rng rng;
} run;

static nf_graph *input(int c, int h, int w)
{
    nf_graph *g;
    assert_int_equal(nf_graph_create(c, h, w, &g), NF_OK);
    return g;
}

/* Lays out g (closing it after vertex `last`), gives the parameters
 * non-trivial values and fills the input with normal noise. */
static run prepared(nf_graph *g, int last, uint64_t seed)
{
    run r = {.g = g};
    nf_rng_seed(&r.rng, seed, 0, NF_RNG_TEST);
    assert_true(nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, last), 2, 1) > 0);
    assert_int_equal(nf_graph_layout(g, &r.rng), NF_OK);
    for (size_t i = 0; i < g->n_param; i++) g->param[i] += (float)(0.5 * nf_rng_normal(&r.rng));
    assert_int_equal(nf_exec_create(g, BATCH, &r.e), NF_OK);
    nf_tensor *x = nf_exec_input(r.e);
    for (size_t i = 0; i < nf_tensor_count(x); i++) x->data[i] = (float)nf_rng_normal(&r.rng);
    return r;
}

/* prepared(), then one forward pass in the given mode. */
static run forward(nf_graph *g, int last, int training, uint64_t seed)
{
    run r = prepared(g, last, seed);
    assert_int_equal(nf_exec_forward(r.e, g, BATCH, training, &r.rng), NF_OK);
    return r;
}

static void done(run *r)
{
    nf_exec_destroy(r->e);
    nf_graph_destroy(r->g);
}

static const nf_tensor *out(const run *r, int vertex) { return nf_exec_vertex_output(r->e, vertex); }

/* Element (c, n, y, x) of a [C][N][H][W] tensor. */
static float at4(const nf_tensor *t, int c, int n, int y, int x)
{
    return t->data[(((size_t)c * t->n + n) * t->h + y) * t->w + x];
}

/* Output (o, n, oy, ox) of a convolution by its definition: bias plus the
 * weighted sum over the in-image part of the window. */
static double conv_by_definition(const float *W, const float *b, const nf_tensor *x, int k, int s, int o, int n,
                                 int oy, int ox)
{
    double sum = b[o];
    for (int c = 0; c < x->c; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                int iy = oy * s - k / 2 + ky, ix = ox * s - k / 2 + kx;
                if (iy < 0 || iy >= x->h || ix < 0 || ix >= x->w) continue;
                sum += (double)W[((o * x->c + c) * k + ky) * k + kx] * at4(x, c, n, iy, ix);
            }
    return sum;
}

/* One convolution of cin -> 3 channels on h x w images against its definition. */
static void check_conv_by_definition(int h, int w, int cin, int k, int s)
{
    nf_graph *g = input(cin, h, w);
    int conv = nf_graph_conv(g, 0, 3, k, s, 1);
    run r = forward(g, conv, 0, (uint64_t)(h * 10000 + w * 1000 + k * 100 + s * 10 + cin));
    const float *W = r.g->param + r.g->v[conv].param_off, *b = W + (size_t)3 * cin * k * k;
    const nf_tensor *x = out(&r, 0), *y = out(&r, conv);
    assert_int_equal(y->h, (h - 1) / s + 1);
    assert_int_equal(y->w, (w - 1) / s + 1);
    for (int o = 0; o < 3; o++)
        for (int n = 0; n < BATCH; n++)
            for (int oy = 0; oy < y->h; oy++)
                for (int ox = 0; ox < y->w; ox++) {
                    double want = conv_by_definition(W, b, x, k, s, o, n, oy, ox);
                    float got = at4(y, o, n, oy, ox);
                    if (fabs(got - want) > 1e-4)
                        fail_msg("%dx%d c%d k%d s%d: y[%d][%d][%d][%d] = %g, want %g", h, w, cin, k, s, o, n, oy,
                                 ox, got, want);
                }
    done(&r);
}

/* The convolution's output equals its definition for every kernel size and
 * stride, on images wider than tall and smaller than the kernel, by im2col
 * (2 input channels) and by Winograd where it applies (5 channels, 3x3
 * stride 1). */
static void convolution_is_its_definition(void **state)
{
    (void)state;
    int shapes[][2] = {{1, 1}, {2, 3}, {4, 7}, {7, 5}, {9, 10}};
    for (int z = 0; z < 5; z++)
        for (int k = 1; k <= 7; k += 2)
            for (int s = 1; s <= 2; s++) {
                check_conv_by_definition(shapes[z][0], shapes[z][1], 2, k, s);
                check_conv_by_definition(shapes[z][0], shapes[z][1], 5, k, s);
            }
}

/* What each activation should give, in double precision from libm. */
static double act_reference(nf_act act, double x)
{
    const double scale = 1.0507009873554805, alpha = 1.6732632423543772;
    switch (act) {
    case NF_ACT_RELU: return x > 0 ? x : 0;
    case NF_ACT_LEAKY_RELU: return x > 0 ? x : 0.01 * x;
    case NF_ACT_ELU: return x > 0 ? x : expm1(x);
    case NF_ACT_SELU: return scale * (x > 0 ? x : alpha * expm1(x));
    case NF_ACT_SIGMOID: return 1 / (1 + exp(-x));
    case NF_ACT_TANH: return tanh(x);
    default: return x;
    }
}

/* The activations' values against libm over [-100, 100] (dense near 0),
 * within 3e-7 absolute or 1e-6 relative; NaN stays NaN (so a diverged
 * candidate is seen as one). */
static void activations_match_libm(void **state)
{
    (void)state;
    for (int a = 0; a < NF_ACT_COUNT; a++) {
        nf_graph *g = input(1, 40, 40);
        int at = nf_graph_act(g, 0, (nf_act)a);
        run r = prepared(g, at, 70 + a);
        nf_tensor *x = nf_exec_input(r.e);
        size_t n = nf_tensor_count(x);
        for (size_t i = 0; i < n; i++) { /* t^3 spreads the points densely around 0 */
            double t = -1.0 + 2.0 * (double)i / (double)(n - 1);
            x->data[i] = (float)(100 * t * t * t);
        }
        x->data[1] = NAN;
        assert_int_equal(nf_exec_forward(r.e, r.g, BATCH, 0, NULL), NF_OK);
        const float *y = out(&r, at)->data;
        for (size_t i = 0; i < n; i++) {
            if (isnan(x->data[i])) {
                assert_true(isnan(y[i]));
                continue;
            }
            double want = act_reference((nf_act)a, x->data[i]), err = fabs(y[i] - want);
            if (err > 3e-7 && err > 1e-6 * fabs(want))
                fail_msg("activation %d at %g: %.9g, want %.9g", a, x->data[i], y[i], want);
        }
        done(&r);
    }
}

static void pooling_takes_max_and_mean_of_each_window(void **state)
{
    (void)state;
    int sizes[][2] = {{2, 2}, {5, 7}, {8, 6}};
    for (int s = 0; s < 3; s++)
        for (int op = 0; op < 2; op++) {
            int h = sizes[s][0], w = sizes[s][1];
            nf_graph *g = input(2, h, w);
            int pool = nf_graph_unary(g, op ? NF_OP_AVGPOOL : NF_OP_MAXPOOL, 0);
            run r = forward(g, pool, 1, 10 + s);
            const nf_tensor *x = out(&r, 0), *y = out(&r, pool);
            assert_int_equal(y->h, h / 2); /* a last odd row or column is left out */
            assert_int_equal(y->w, w / 2);
            for (int c = 0; c < 2; c++)
                for (int n = 0; n < BATCH; n++)
                    for (int oy = 0; oy < y->h; oy++)
                        for (int ox = 0; ox < y->w; ox++) {
                            float a = at4(x, c, n, 2 * oy, 2 * ox), b = at4(x, c, n, 2 * oy, 2 * ox + 1);
                            float d = at4(x, c, n, 2 * oy + 1, 2 * ox), e = at4(x, c, n, 2 * oy + 1, 2 * ox + 1);
                            float want = op ? (a + b + d + e) / 4 : fmaxf(fmaxf(a, b), fmaxf(d, e));
                            assert_float_equal(at4(y, c, n, oy, ox), want, 1e-6);
                        }
            done(&r);
        }
}

static void global_average_pooling_is_the_plane_mean(void **state)
{
    (void)state;
    nf_graph *g = input(3, 5, 3);
    int gap = nf_graph_unary(g, NF_OP_GAP, 0);
    run r = forward(g, gap, 1, 20);
    const nf_tensor *x = out(&r, 0), *y = out(&r, gap);
    assert_true(y->h == 1 && y->w == 1);
    for (int c = 0; c < 3; c++)
        for (int n = 0; n < BATCH; n++) {
            double sum = 0;
            for (int i = 0; i < 15; i++) sum += at4(x, c, n, i / 3, i % 3);
            assert_float_equal(at4(y, c, n, 0, 0), sum / 15, 1e-6);
        }
    done(&r);
}

static void dense_is_weights_times_input_plus_bias(void **state)
{
    (void)state;
    nf_graph *g = input(5, 1, 1);
    int d = nf_graph_dense(g, 0, 4, 1);
    run r = forward(g, d, 1, 30);
    const nf_tensor *x = out(&r, 0), *y = out(&r, d);
    const float *W = r.g->param + r.g->v[d].param_off, *b = W + 4 * 5;
    for (int o = 0; o < 4; o++)
        for (int n = 0; n < BATCH; n++) {
            double want = b[o];
            for (int i = 0; i < 5; i++) want += (double)W[o * 5 + i] * at4(x, i, n, 0, 0);
            assert_float_equal(at4(y, o, n, 0, 0), want, 1e-5);
        }
    done(&r);
}

/* y = gamma (x - mean) / sqrt(var + eps) + beta per channel, with the
 * batch's mean and biased variance in training and the running ones in
 * evaluation. */
static void batchnorm_normalises_per_channel(void **state)
{
    (void)state;
    for (int training = 0; training <= 1; training++) {
        nf_graph *g = input(2, 4, 3);
        int bn = nf_graph_batchnorm(g, 0);
        run r = prepared(g, bn, 41);
        float *state_of = r.g->state + r.g->v[bn].state_off; /* running mean[2], var[2] */
        state_of[0] = 0.3f, state_of[1] = -1.0f, state_of[2] = 2.0f, state_of[3] = 0.5f;
        assert_int_equal(nf_exec_forward(r.e, r.g, BATCH, training, &r.rng), NF_OK);
        const nf_tensor *x = out(&r, 0), *y = out(&r, bn);
        const float *gamma = r.g->param + r.g->v[bn].param_off, *beta = gamma + 2;
        int count = BATCH * 12;
        for (int c = 0; c < 2; c++) {
            double mean = state_of[c], var = state_of[2 + c];
            if (training) {
                double s = 0, ss = 0;
                for (int i = 0; i < count; i++) s += x->data[c * count + i];
                mean = s / count;
                for (int i = 0; i < count; i++) ss += pow(x->data[c * count + i] - mean, 2);
                var = ss / count;
            }
            for (int i = 0; i < count; i++) {
                double want = gamma[c] * (x->data[c * count + i] - mean) / sqrt(var + 1e-5) + beta[c];
                assert_float_equal(y->data[c * count + i], want, 1e-5);
            }
        }
        done(&r);
    }
}

/* concat stacks its inputs' channels in input order; add sums them. */
static void concat_stacks_and_add_sums(void **state)
{
    (void)state;
    for (int op = 0; op < 2; op++) {
        nf_graph *g = input(2, 3, 3);
        int a = nf_graph_conv(g, 0, 3, 1, 1, 1), b = nf_graph_conv(g, 0, op ? 3 : 4, 3, 1, 1), m;
        int in[3] = {a, b, a};
        assert_int_equal(nf_graph_append(g, op ? NF_OP_ADD : NF_OP_CONCAT, NULL, 0, in, 3, &m), NF_OK);
        run r = forward(g, m, 1, 50 + op);
        const nf_tensor *ya = out(&r, a), *yb = out(&r, b), *y = out(&r, m);
        assert_int_equal(y->c, op ? 3 : 3 + 4 + 3);
        for (int c = 0; c < y->c; c++)
            for (int n = 0; n < BATCH; n++)
                for (int p = 0; p < 9; p++) {
                    float want = op ? 2 * at4(ya, c, n, p / 3, p % 3) + at4(yb, c, n, p / 3, p % 3)
                               : c < 3 ? at4(ya, c, n, p / 3, p % 3)
                               : c < 7 ? at4(yb, c - 3, n, p / 3, p % 3)
                                       : at4(ya, c - 7, n, p / 3, p % 3);
                    assert_float_equal(at4(y, c, n, p / 3, p % 3), want, 1e-6);
                }
        done(&r);
    }
}

/* Dropout passes values through in evaluation; in training it zeroes about
 * a share `rate` of them and scales the rest by 1/(1 - rate). */
static void dropout_zeroes_and_rescales(void **state)
{
    (void)state;
    for (int training = 0; training <= 1; training++) {
        nf_graph *g = input(4, 16, 16);
        int d = nf_graph_unary(g, NF_OP_DROPOUT, 0); /* rate 0.5 */
        run r = forward(g, d, training, 60);
        const nf_tensor *x = out(&r, 0), *y = out(&r, d);
        size_t n = nf_tensor_count(x), zeros = 0;
        for (size_t i = 0; i < n; i++) {
            if (!training) { assert_true(y->data[i] == x->data[i]); continue; }
            if (y->data[i] == 0.0f) zeros++;
            else assert_float_equal(y->data[i], 2 * x->data[i], 1e-6);
        }
        if (training && fabs((double)zeros / n - 0.5) > 0.05) fail_msg("dropped %zu of %zu", zeros, n);
        done(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(convolution_is_its_definition),
        cmocka_unit_test(activations_match_libm),
        cmocka_unit_test(pooling_takes_max_and_mean_of_each_window),
        cmocka_unit_test(global_average_pooling_is_the_plane_mean),
        cmocka_unit_test(dense_is_weights_times_input_plus_bias),
        cmocka_unit_test(batchnorm_normalises_per_channel),
        cmocka_unit_test(concat_stacks_and_add_sums),
        cmocka_unit_test(dropout_zeroes_and_rescales),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
