/* The graph type: validity rules, copies, identity layers, serialisation,
 * optimisers, RNG streams, and a small CNN that learns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec.h"
#include "engine/graph.h"
#include "engine/loss.h"
#include "engine/models.h"
#include "engine/optim.h"
#include "engine/serialize.h"
#include "engine/train.h"

static nf_rng test_rng(uint64_t seed)
{
    nf_rng r;
    nf_rng_seed(&r, seed, 0, NF_RNG_TEST);
    return r;
}

/* input(3, 8x8) -> conv 4 -> relu -> [a: conv 5] [b: conv 6] -> concat -> gap -> dense 3 */
static nf_graph *small_branched(void)
{
    nf_graph *g;
    assert_int_equal(nf_graph_create(3, 8, 8, &g), NF_OK);
    int c = nf_graph_conv(g, 0, 4, 3, 1, 1);
    int r = nf_graph_act(g, c, NF_ACT_RELU);
    int ab[2] = {nf_graph_conv(g, r, 5, 3, 2, 0), nf_graph_conv(g, r, 6, 1, 2, 0)};
    int cat;
    assert_int_equal(nf_graph_append(g, NF_OP_CONCAT, NULL, 0, ab, 2, &cat), NF_OK);
    int bn = nf_graph_batchnorm(g, cat);
    int gap = nf_graph_unary(g, NF_OP_GAP, bn);
    assert_true(nf_graph_dense(g, gap, 3, 1) > 0);
    nf_rng rng = test_rng(1);
    assert_int_equal(nf_graph_layout(g, &rng), NF_OK);
    return g;
}

static void test_check_derives_sizes(void **state)
{
    (void)state;
    nf_graph *g = small_branched();
    assert_int_equal(g->v[5].nin, 11); /* concat of 5 and 6 */
    assert_int_equal(g->v[5].nout, 11);
    assert_int_equal(g->v[5].h, 4);   /* stride 2 on 8x8 */
    assert_int_equal(g->v[g->n - 1].h, 1);
    nf_graph_destroy(g);
}

/* Deriving fills sizes; validating a const graph changes nothing and sees
 * sizes nobody derived. */
static void test_derive_then_validate(void **state)
{
    (void)state;
    nf_graph *g = small_branched();
    g->v[2].nout = 0;  /* the relu's size is derived from the conv's */
    g->v[5].nin = 1;
    assert_int_equal(nf_graph_derive(g), NF_OK);
    assert_int_equal(g->v[2].nout, 4);
    assert_int_equal(g->v[5].nin, 11);
    const nf_graph *cg = g;
    assert_int_equal(nf_graph_validate(cg), NF_OK);
    g->v[1].nout = 7; /* a layer changed without deriving: its consumer's nin lags */
    assert_int_equal(nf_graph_validate(cg), NF_ERR_GRAPH);
    assert_non_null(strstr(nf_last_error(), "not derived"));
    assert_int_equal(g->v[2].nout, 4); /* validate changed nothing */
    assert_int_equal(nf_graph_derive(g), NF_OK);
    assert_int_equal(nf_graph_validate(cg), NF_OK);
    assert_int_equal(g->v[2].nout, 7);
    nf_graph_destroy(g);
}

static void assert_rejected(nf_graph *g, const char *words)
{
    assert_int_equal(nf_graph_check(g), NF_ERR_GRAPH);
    if (!strstr(nf_last_error(), words)) fail_msg("message '%s' lacks '%s'", nf_last_error(), words);
    nf_graph_destroy(g);
}

static void test_check_rejects_invalid_graphs(void **state)
{
    (void)state;
    nf_graph *g;
    int in[2], at;
    /* add of unequal sizes */
    nf_graph_create(1, 4, 4, &g);
    in[0] = nf_graph_conv(g, 0, 2, 3, 1, 0);
    in[1] = nf_graph_conv(g, 0, 3, 3, 1, 0);
    nf_graph_append(g, NF_OP_ADD, NULL, 0, in, 2, &at);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, at), 2, 0);
    assert_rejected(g, "differ in size");
    /* concat of different spatial sizes */
    nf_graph_create(1, 4, 4, &g);
    in[0] = nf_graph_conv(g, 0, 2, 3, 1, 0);
    in[1] = nf_graph_conv(g, 0, 3, 3, 2, 0);
    nf_graph_append(g, NF_OP_CONCAT, NULL, 0, in, 2, &at);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, at), 2, 0);
    assert_rejected(g, "spatial size");
    /* output not 1x1 */
    nf_graph_create(1, 4, 4, &g);
    nf_graph_conv(g, 0, 2, 3, 1, 0);
    assert_rejected(g, "1x1");
    /* a dangling vertex */
    nf_graph_create(1, 4, 4, &g);
    nf_graph_conv(g, 0, 2, 3, 1, 0);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, 0), 2, 0);
    assert_rejected(g, "never used");
    /* even kernel */
    nf_graph_create(1, 4, 4, &g);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, nf_graph_conv(g, 0, 2, 4, 1, 0)), 2, 0);
    assert_rejected(g, "kernel");
    /* pooling below 1x1 */
    nf_graph_create(1, 2, 2, &g);
    at = nf_graph_unary(g, NF_OP_MAXPOOL, 0);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_MAXPOOL, at), 2, 0);
    assert_rejected(g, "too small");
    /* appending with a missing input is refused at once */
    nf_graph_create(1, 2, 2, &g);
    int missing = 7;
    assert_int_equal(nf_graph_append(g, NF_OP_ACT, NULL, 0, &missing, 1, NULL), NF_ERR_ARG);
    nf_graph_destroy(g);
}

/* Logits of g on a fixed random batch of n images. Returns a malloc'd copy. */
static float *logits_of(nf_graph *g, int n, int training, uint64_t seed)
{
    nf_exec *e;
    assert_int_equal(nf_exec_create(g, n, &e), NF_OK);
    nf_tensor *x = nf_exec_input(e);
    nf_rng rng = test_rng(seed);
    for (size_t i = 0; i < nf_tensor_count(x); i++) x->data[i] = (float)nf_rng_normal(&rng);
    assert_int_equal(nf_exec_forward(e, g, n, training, NULL), NF_OK);
    const nf_tensor *y = nf_exec_output(e);
    float *out = malloc(nf_tensor_count(y) * sizeof(float));
    memcpy(out, y->data, nf_tensor_count(y) * sizeof(float));
    nf_exec_destroy(e);
    return out;
}

/* A few Adam steps so that moments, running statistics and step are non-trivial. */
static void train_a_little(nf_graph *g, int steps)
{
    nf_exec *e;
    assert_int_equal(nf_exec_create(g, 4, &e), NF_OK);
    nf_rng rng = test_rng(2);
    nf_optim o = nf_optim_defaults(NF_OPTIM_ADAM);
    int labels[4] = {0, 1, 2, 1};
    for (int s = 0; s < steps; s++) {
        nf_tensor *x = nf_exec_input(e);
        for (size_t i = 0; i < nf_tensor_count(x); i++) x->data[i] = (float)nf_rng_normal(&rng);
        float loss;
        assert_int_equal(nf_train_step(e, g, 4, labels, &o, &rng, &loss), NF_OK);
    }
    nf_exec_destroy(e);
}

static void test_serialize_round_trip_is_exact(void **state)
{
    (void)state;
    nf_graph *g = small_branched();
    train_a_little(g, 3);
    for (size_t i = 0; i < g->n_value; i++) g->value[i] = (float)i * 0.5f;
    unsigned char *buf, *buf2;
    size_t len, len2;
    assert_int_equal(nf_graph_serialize(g, &buf, &len), NF_OK);
    nf_graph *h;
    assert_int_equal(nf_graph_deserialize(buf, len, &h), NF_OK);
    assert_int_equal(nf_graph_serialize(h, &buf2, &len2), NF_OK);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);
    for (size_t i = 0; i < h->n_param; i++) assert_true(h->age[i] == 3.0f);
    for (int training = 0; training <= 1; training++) {
        float *a = logits_of(g, 5, training, 9), *b = logits_of(h, 5, training, 9);
        assert_memory_equal(a, b, 15 * sizeof(float));
        free(a); free(b);
    }
    free(buf); free(buf2);
    nf_graph_destroy(g);
    nf_graph_destroy(h);
}

/* An add that reads one producer twice (nf_mutate_add_edge makes them) reads back. */
static void test_serialize_repeated_input(void **state)
{
    (void)state;
    nf_graph *g;
    assert_int_equal(nf_graph_create(2, 4, 4, &g), NF_OK);
    int c = nf_graph_conv(g, 0, 3, 3, 1, 1);
    int in[3] = {c, c, c};
    int at;
    assert_int_equal(nf_graph_append(g, NF_OP_ADD, NULL, 0, in, 3, &at), NF_OK);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, at), 2, 1);
    nf_rng rng = test_rng(3);
    assert_int_equal(nf_graph_layout(g, &rng), NF_OK);
    unsigned char *buf, *buf2;
    size_t len, len2;
    assert_int_equal(nf_graph_serialize(g, &buf, &len), NF_OK);
    nf_graph *h;
    if (nf_graph_deserialize(buf, len, &h)) fail_msg("%s", nf_last_error());
    assert_int_equal(h->v[at].n_inputs, 3);
    assert_int_equal(nf_graph_serialize(h, &buf2, &len2), NF_OK);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);
    free(buf); free(buf2);
    nf_graph_destroy(g);
    nf_graph_destroy(h);
}

static void test_deserialize_rejects_damage(void **state)
{
    (void)state;
    nf_graph *g = small_branched();
    unsigned char *buf;
    size_t len;
    assert_int_equal(nf_graph_serialize(g, &buf, &len), NF_OK);
    nf_graph *h;
    for (size_t cut = 0; cut < len; cut += 1 + cut / 64) {
        assert_int_equal(nf_graph_deserialize(buf, cut, &h), NF_ERR_FORMAT);
        assert_null(h);
        assert_non_null(strstr(nf_last_error(), "graph data"));
    }
    /* Random byte damage: accepted only as a valid graph, never a crash. */
    nf_rng rng = test_rng(3);
    unsigned char *bad = malloc(len);
    for (int trial = 0; trial < 3000; trial++) {
        memcpy(bad, buf, len);
        int flips = 1 + (int)nf_rng_below(&rng, 3);
        for (int f = 0; f < flips; f++) bad[nf_rng_below(&rng, len)] ^= (unsigned char)(1 + nf_rng_below(&rng, 255));
        nf_status st = nf_graph_deserialize(bad, len, &h);
        if (st == NF_OK) {
            assert_int_equal(nf_graph_check(h), NF_OK);
            nf_graph_destroy(h);
        } else {
            assert_int_equal(st, NF_ERR_FORMAT);
        }
    }
    free(bad);
    free(buf);
    nf_graph_destroy(g);
}

static void test_clone_is_deep_and_equal(void **state)
{
    (void)state;
    nf_graph *g = small_branched();
    train_a_little(g, 2);
    nf_graph *c;
    assert_int_equal(nf_graph_clone(g, &c), NF_OK);
    unsigned char *a, *b;
    size_t la, lb;
    nf_graph_serialize(g, &a, &la);
    nf_graph_serialize(c, &b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    /* Deep: writing the copy's buffers and input lists leaves the original's alone. */
    float p0 = g->param[0];
    c->param[0] += 1.0f;
    c->moment1[0] += 1.0f;
    c->state[0] += 1.0f;
    c->value[0] += 1.0f;
    assert_ptr_not_equal(c->v[5].inputs, g->v[5].inputs);
    c->v[5].inputs[0] = 4;
    c->v[5].inputs[1] = 3;
    assert_int_equal(g->v[5].inputs[0], 3);
    assert_int_equal(g->v[5].inputs[1], 4);
    assert_float_equal(g->param[0], p0, 0.0f);
    for (int i = 0; i < g->n; i++) assert_ptr_not_equal(c->v[i].inputs, g->v[i].inputs);
    assert_ptr_not_equal(c->param, g->param);
    assert_ptr_not_equal(c->moment1, g->moment1);
    assert_ptr_not_equal(c->state, g->state);
    assert_ptr_not_equal(c->value, g->value);
    free(a); free(b);
    nf_graph_destroy(c);
    nf_graph_destroy(g);
}

/* conv 4 -> relu -> identity layer: its output equals its input. */
static void check_identity(nf_op op, int kernel)
{
    nf_graph *g;
    nf_graph_create(2, 6, 6, &g);
    int r = nf_graph_act(g, nf_graph_conv(g, 0, 4, 3, 1, 1), NF_ACT_RELU);
    int id = op == NF_OP_CONV2D ? nf_graph_conv(g, r, 4, kernel, 1, 1) : nf_graph_dense(g, r, 4, 1);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, id), 3, 1);
    nf_rng rng = test_rng(4);
    assert_int_equal(nf_graph_layout(g, &rng), NF_OK);
    assert_int_equal(nf_graph_set_identity(g, id), NF_OK);
    nf_exec *e;
    nf_exec_create(g, 3, &e);
    nf_tensor *x = nf_exec_input(e);
    for (size_t i = 0; i < nf_tensor_count(x); i++) x->data[i] = (float)nf_rng_normal(&rng);
    assert_int_equal(nf_exec_forward(e, g, 3, 0, NULL), NF_OK);
    const nf_tensor *in = nf_exec_vertex_output(e, r), *out = nf_exec_vertex_output(e, id);
    double worst = 0;
    for (size_t i = 0; i < nf_tensor_count(in); i++) worst = fmax(worst, fabs(in->data[i] - out->data[i]));
    assert_true(worst <= 1e-6);
    nf_exec_destroy(e);
    nf_graph_destroy(g);
}

static void test_identity_layers_pass_input_through(void **state)
{
    (void)state;
    for (int k = 1; k <= 7; k += 2) check_identity(NF_OP_CONV2D, k);
    check_identity(NF_OP_DENSE, 1);
}

static void test_identity_refused_when_sizes_differ(void **state)
{
    (void)state;
    nf_graph *g = small_branched();
    assert_int_equal(nf_graph_set_identity(g, 1), NF_ERR_GRAPH); /* 3 -> 4 channels */
    nf_graph_destroy(g);
}

/* One step on a one-parameter graph with gradient 0.5: each rule's arithmetic. */
static void test_optimiser_first_steps(void **state)
{
    (void)state;
    nf_graph g = {0};
    float w[1], d[1], m1[1], m2[1], age[1];
    g.param = w; g.grad = d; g.moment1 = m1; g.moment2 = m2; g.age = age; g.n_param = 1;
    struct { nf_optim_kind kind; float after_one, after_two; } cases[] = {
        {NF_OPTIM_SGD, 1.0f - 0.05f, 1.0f - 0.10f},
        {NF_OPTIM_MOMENTUM, 1.0f - 0.05f, 1.0f - 0.05f - 0.095f},
        {NF_OPTIM_NESTEROV, 1.0f - 0.095f, 1.0f - 0.095f - 0.1355f},
        {NF_OPTIM_ADAM, 0.9f, 0.8f},       /* Adam moves lr per step on a constant gradient */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        nf_optim o = nf_optim_defaults(cases[c].kind);
        o.lr = 0.1f;
        w[0] = 1.0f; m1[0] = m2[0] = age[0] = 0;
        d[0] = 0.5f;
        nf_optim_step(&g, &o);
        assert_float_equal(w[0], cases[c].after_one, 1e-5);
        nf_optim_step(&g, &o);
        assert_float_equal(w[0], cases[c].after_two, 1e-5);
    }
    /* AdamW decays the weight by lr * wd independently of the gradient. */
    nf_optim o = nf_optim_defaults(NF_OPTIM_ADAMW);
    o.lr = 0.1f; o.weight_decay = 0.5f;
    w[0] = 1.0f; m1[0] = m2[0] = age[0] = 0; d[0] = 0.5f;
    nf_optim_step(&g, &o);
    assert_float_equal(w[0], 1.0f * 0.95f - 0.1f, 1e-5);
    assert_int_equal(nf_optim_parse("nesterov"), NF_OPTIM_NESTEROV);
    assert_int_equal(nf_optim_parse("rmsprop"), NF_OPTIM_COUNT);
}

static void test_rng_streams(void **state)
{
    (void)state;
    nf_rng a, b, c;
    nf_rng_seed(&a, 5, 1, NF_RNG_INIT);
    nf_rng_seed(&b, 5, 1, NF_RNG_INIT);
    nf_rng_seed(&c, 5, 1, NF_RNG_SHUFFLE);
    int same = 1, differ = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = nf_rng_next(&a), y = nf_rng_next(&b), z = nf_rng_next(&c);
        same &= x == y;
        differ += x != z;
    }
    assert_true(same);
    assert_int_equal(differ, 100);
    double sum = 0, sq = 0;
    for (int i = 0; i < 100000; i++) { double v = nf_rng_normal(&a); sum += v; sq += v * v; }
    assert_float_equal(sum / 1e5, 0.0, 0.02);
    assert_float_equal(sq / 1e5, 1.0, 0.02);
    for (int i = 0; i < 1000; i++) assert_true(nf_rng_below(&a, 7) < 7);
}

/* The task: 8x8 images of noise with a bright 3x3 blob in one quadrant;
 * the class is the quadrant. */
typedef struct blob_task { nf_rng rng; int batches_left; } blob_task;

static int blob_batch(void *user, nf_tensor *x, int *labels)
{
    blob_task *t = user;
    if (t->batches_left-- <= 0) return 0;
    int n = x->n;
    memset(x->data, 0, nf_tensor_count(x) * sizeof(float));
    for (int i = 0; i < n; i++) {
        int q = (int)nf_rng_below(&t->rng, 4);
        labels[i] = q;
        float *img = x->data + (size_t)i * 64;
        for (int p = 0; p < 64; p++) img[p] = (float)(0.3 * nf_rng_normal(&t->rng));
        int oy = (q / 2) * 4 + (int)nf_rng_below(&t->rng, 2), ox = (q % 2) * 4 + (int)nf_rng_below(&t->rng, 2);
        for (int dy = 0; dy < 3; dy++)
            for (int dx = 0; dx < 3; dx++) img[(oy + dy) * 8 + ox + dx] += 1.5f;
    }
    return n;
}

static void test_small_cnn_learns(void **state)
{
    (void)state;
    nf_graph *g;
    nf_graph_create(1, 8, 8, &g);
    int at;
    at = nf_graph_act(g, nf_graph_batchnorm(g, nf_graph_conv(g, 0, 8, 3, 1, 0)), NF_ACT_RELU);
    at = nf_graph_unary(g, NF_OP_MAXPOOL, at);
    at = nf_graph_act(g, nf_graph_conv(g, at, 16, 3, 2, 1), NF_ACT_RELU); /* 2x2 */
    at = nf_graph_conv(g, at, 16, 3, 2, 1);                               /* 1x1, sees all quadrants */
    at = nf_graph_act(g, at, NF_ACT_RELU);
    nf_graph_dense(g, at, 4, 1);
    nf_rng rng = test_rng(5);
    assert_int_equal(nf_graph_layout(g, &rng), NF_OK);
    nf_exec *e;
    nf_exec_create(g, 32, &e);
    nf_train_params p = nf_train_defaults();
    p.optim.lr = 3e-3f;
    blob_task task = {.batches_left = 400};
    nf_rng_seed(&task.rng, 6, 0, NF_RNG_TEST);
    double train_loss;
    assert_int_equal(nf_train_epoch(e, g, blob_batch, &task, &p, &rng, &train_loss), NF_OK);
    blob_task fresh = {.batches_left = 20};
    nf_rng_seed(&fresh.rng, 7, 0, NF_RNG_TEST);
    double accuracy, loss;
    assert_int_equal(nf_evaluate(e, g, blob_batch, &fresh, &accuracy, &loss), NF_OK);
    if (loss > 0.05 || accuracy < 0.99) fail_msg("held-out loss %.4f accuracy %.4f", loss, accuracy);
    nf_exec_destroy(e);
    nf_graph_destroy(g);
}

/* input(3, 32x32) -> conv3 16, bn, elu -> + (conv1 16, relu) -> maxpool ->
 * [conv5 s2 24, bn, tanh] ++ [conv1 s2 8] -> avgpool -> dropout -> gap ->
 * dense 10: every op kind, large enough that the elementwise and batchnorm
 * passes split between threads. */
static nf_graph *every_op_graph(void)
{
    nf_graph *g;
    assert_int_equal(nf_graph_create(3, 32, 32, &g), NF_OK);
    int a = nf_graph_act(g, nf_graph_batchnorm(g, nf_graph_conv(g, 0, 16, 3, 1, 0)), NF_ACT_ELU);
    int sum[2] = {a, nf_graph_act(g, nf_graph_conv(g, a, 16, 1, 1, 1), NF_ACT_RELU)}, added, joined;
    assert_int_equal(nf_graph_append(g, NF_OP_ADD, NULL, 0, sum, 2, &added), NF_OK);
    int pooled = nf_graph_unary(g, NF_OP_MAXPOOL, added);
    int both[2] = {nf_graph_act(g, nf_graph_batchnorm(g, nf_graph_conv(g, pooled, 24, 5, 2, 0)), NF_ACT_TANH),
                   nf_graph_conv(g, pooled, 8, 1, 2, 1)};
    assert_int_equal(nf_graph_append(g, NF_OP_CONCAT, NULL, 0, both, 2, &joined), NF_OK);
    int dropped = nf_graph_unary(g, NF_OP_DROPOUT, nf_graph_unary(g, NF_OP_AVGPOOL, joined));
    assert_true(nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, dropped), 10, 1) > 0);
    nf_rng rng = test_rng(3);
    assert_int_equal(nf_graph_layout(g, &rng), NF_OK);
    return g;
}

/* Three training steps of every_op_graph on `threads` threads; the
 * parameters afterwards go to params, the losses to losses. */
static void train_three_steps(int threads, float *params, float *losses)
{
    enum { N = 16 };
    nf_graph *g = every_op_graph();
    nf_exec *e;
    assert_int_equal(nf_exec_create(g, N, &e), NF_OK);
    nf_exec_set_threads(e, threads);
    nf_rng data = test_rng(4), dropout = test_rng(5);
    nf_optim o = nf_optim_defaults(NF_OPTIM_ADAM);
    int labels[N];
    for (int step = 0; step < 3; step++) {
        nf_tensor *x = nf_exec_input(e);
        for (size_t i = 0; i < nf_tensor_count(x); i++) x->data[i] = (float)nf_rng_normal(&data);
        for (int i = 0; i < N; i++) labels[i] = (int)nf_rng_below(&data, 10);
        assert_int_equal(nf_train_step(e, g, N, labels, &o, &dropout, &losses[step]), NF_OK);
    }
    memcpy(params, g->param, g->n_param * sizeof(float));
    nf_exec_destroy(e);
    nf_graph_destroy(g);
}

/* The thread count changes nothing, to the bit (a search must give the same
 * run on any number of cores). */
static void test_training_is_identical_on_1_and_2_threads(void **state)
{
    (void)state;
    nf_graph *g = every_op_graph();
    size_t n = g->n_param;
    nf_graph_destroy(g);
    float *p1 = malloc(n * sizeof(float)), *p2 = malloc(n * sizeof(float)), l1[3], l2[3];
    assert_non_null(p1);
    assert_non_null(p2);
    train_three_steps(1, p1, l1);
    train_three_steps(2, p2, l2);
    assert_memory_equal(l1, l2, sizeof l1);
    assert_memory_equal(p1, p2, n * sizeof(float));
    assert_true(isfinite(l1[2]));
    free(p1);
    free(p2);
}

/* A weight gone NaN makes the first loss NaN: the epoch stops right there
 * with NF_ERR_DIVERGED and says at which step, instead of training on. */
static void test_training_stops_when_loss_diverges(void **state)
{
    (void)state;
    nf_graph *g;
    nf_graph_create(1, 8, 8, &g);
    int at = nf_graph_act(g, nf_graph_conv(g, 0, 4, 3, 1, 1), NF_ACT_RELU);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, at), 4, 1);
    nf_rng rng = test_rng(8);
    assert_int_equal(nf_graph_layout(g, &rng), NF_OK);
    nf_exec *e;
    assert_int_equal(nf_exec_create(g, 8, &e), NF_OK);
    nf_train_params p = nf_train_defaults();
    blob_task task = {.batches_left = 5};
    nf_rng_seed(&task.rng, 9, 0, NF_RNG_TEST);
    double loss;
    assert_int_equal(nf_train_epoch(e, g, blob_batch, &task, &p, &rng, &loss), NF_OK);
    assert_true(isfinite(loss));
    g->param[g->n_param - 1] = NAN; /* the last output bias */
    task.batches_left = 5;
    assert_int_equal(nf_train_epoch(e, g, blob_batch, &task, &p, &rng, &loss), NF_ERR_DIVERGED);
    assert_int_equal(task.batches_left, 4); /* one batch taken, no more */
    assert_non_null(strstr(nf_last_error(), "step 1 "));
    nf_exec_destroy(e);
    nf_graph_destroy(g);
}

/* Three fixed batches of 4 random 4x4 images. */
typedef struct fixed_batches { int next; uint64_t seed; } fixed_batches;

static int fixed_batch(void *user, nf_tensor *x, int *labels)
{
    fixed_batches *f = user;
    if (f->next == 3) return 0;
    nf_rng r = test_rng(f->seed + (uint64_t)f->next++);
    for (size_t i = 0; i < (size_t)4 * 16; i++) x->data[i] = (float)(2 + nf_rng_normal(&r));
    for (int i = 0; i < 4; i++) labels[i] = 0;
    return 4;
}

static void test_refresh_batchnorm_averages_batches(void **state)
{
    (void)state;
    nf_graph *g;
    nf_graph_create(1, 4, 4, &g);
    int conv = nf_graph_conv(g, 0, 3, 3, 1, 1);
    int bn = nf_graph_batchnorm(g, conv);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, bn), 2, 1);
    nf_rng rng = test_rng(10);
    assert_int_equal(nf_graph_layout(g, &rng), NF_OK);
    nf_exec *e;
    nf_exec_create(g, 4, &e);
    /* The expected means: each batch's conv output, averaged over batches. */
    double expected[3] = {0};
    fixed_batches f = {.seed = 50};
    int labels[4];
    for (int b = 0; b < 3; b++) {
        fixed_batch(&f, nf_exec_input(e), labels);
        assert_int_equal(nf_exec_forward(e, g, 4, 0, NULL), NF_OK);
        const nf_tensor *y = nf_exec_vertex_output(e, conv);
        for (int c = 0; c < 3; c++)
            for (size_t p = 0; p < 64; p++) expected[c] += y->data[c * 64 + p] / 64.0 / 3.0;
    }
    f.next = 0;
    assert_int_equal(nf_refresh_batchnorm(e, g, fixed_batch, &f, 10), NF_OK);
    for (int c = 0; c < 3; c++) assert_float_equal(g->state[g->v[bn].state_off + c], expected[c], 1e-4);
    assert_float_equal(g->v[bn].attr.momentum, 0.1f, 0.0f); /* restored */
    nf_exec_destroy(e);
    nf_graph_destroy(g);
}

static void test_reference_cnn_shape(void **state)
{
    (void)state;
    nf_rng rng = test_rng(8);
    nf_graph *g;
    assert_int_equal(nf_model_reference_cnn(1, 28, 28, 10, &rng, &g), NF_OK);
    /* same parameter count as torch_reference.py's network */
    size_t expected = 32 * 9 + 64 + 32 * 32 * 9 + 64 + 64 * 32 * 9 + 128 + 64 * 64 * 9 + 128 + 64 * 10 + 10;
    assert_int_equal(nf_graph_param_count(g), expected);
    assert_int_equal(nf_graph_classes(g), 10);
    nf_graph_destroy(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_derives_sizes),
        cmocka_unit_test(test_check_rejects_invalid_graphs),
        cmocka_unit_test(test_derive_then_validate),
        cmocka_unit_test(test_serialize_round_trip_is_exact),
        cmocka_unit_test(test_serialize_repeated_input),
        cmocka_unit_test(test_deserialize_rejects_damage),
        cmocka_unit_test(test_clone_is_deep_and_equal),
        cmocka_unit_test(test_identity_layers_pass_input_through),
        cmocka_unit_test(test_identity_refused_when_sizes_differ),
        cmocka_unit_test(test_optimiser_first_steps),
        cmocka_unit_test(test_rng_streams),
        cmocka_unit_test(test_small_cnn_learns),
        cmocka_unit_test(test_training_stops_when_loss_diverges),
        cmocka_unit_test(test_training_is_identical_on_1_and_2_threads),
        cmocka_unit_test(test_refresh_batchnorm_averages_batches),
        cmocka_unit_test(test_reference_cnn_shape),
    };
    return cmocka_run_group_tests_name("graph", tests, NULL, NULL);
}
