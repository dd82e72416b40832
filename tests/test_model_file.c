/* The .nfm model file: what is saved is what is loaded (bit for bit, and
 * the network computes the same logits); a foreign, truncated or damaged
 * file is refused with its name and an offset, never a crash (truncation
 * at every length, thousands of byte flips, and flips with the checksum
 * made to match so that every field check is reached). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/formats/model_file.h"
#include "datasets/readfile.h"
#include "engine/exec.h"
#include "tests/model_fixtures.h"

static char *names3[] = {"cat", "dog", "bird"};
static char *names10[] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

static nf_ds_norm norm_of(int c)
{
    nf_ds_norm n = nf_ds_norm_identity(c);
    for (int k = 0; k < c; k++) { n.mean[k] = 0.25f + 0.1f * k; n.std[k] = 0.3f + 0.05f * k; }
    return n;
}

/* input 1x6x6 -> conv 2 -> bn -> relu -> gap -> dense 3: a small file. */
static nf_graph *tiny(void)
{
    nf_graph *g;
    nf_rng r;
    nf_rng_seed(&r, 3, 0, NF_RNG_TEST);
    assert_int_equal(nf_graph_create(1, 6, 6, &g), NF_OK);
    int at = nf_graph_act(g, nf_graph_batchnorm(g, nf_graph_conv(g, 0, 2, 3, 1, 0)), NF_ACT_RELU);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, at), 3, 1);
    assert_int_equal(nf_graph_layout(g, &r), NF_OK);
    fx_perturb(g, &r);
    return g;
}

/* Logits of g on a fixed batch of noise images. */
static float *logits(nf_graph *g, int n)
{
    nf_exec *e;
    nf_rng r;
    nf_rng_seed(&r, 9, 0, NF_RNG_TEST);
    assert_int_equal(nf_exec_create(g, n, &e), NF_OK);
    nf_tensor *x = nf_exec_input(e);
    for (size_t i = 0; i < nf_tensor_count(x); i++) x->data[i] = (float)nf_rng_normal(&r);
    nf_exec_forward(e, g, n, 0, NULL);
    const nf_tensor *y = nf_exec_output(e);
    float *out = malloc(nf_tensor_count(y) * sizeof *out);
    memcpy(out, y->data, nf_tensor_count(y) * sizeof *out);
    nf_exec_destroy(e);
    return out;
}

static void saved_is_loaded(void **state)
{
    (void)state;
    nf_graph *g = fx_every_op(1, 28, 28, 10, 4);
    nf_ds_norm norm = norm_of(1);
    unsigned char *buf, *again;
    size_t len, len2;
    assert_int_equal(nf_model_encode(g, &norm, names10, 10, &buf, &len), NF_OK);
    nf_model *m;
    assert_int_equal(nf_model_decode(buf, len, "m.nfm", &m), NF_OK);
    assert_int_equal(m->n_classes, 10);
    assert_string_equal(m->class_names[9], "Ankle boot");
    assert_true(m->norm.c == 1 && m->norm.mean[0] == norm.mean[0] && m->norm.std[0] == norm.std[0]);
    assert_int_equal(m->graph->n_param, g->n_param);
    assert_memory_equal(m->graph->param, g->param, g->n_param * sizeof(float));
    assert_memory_equal(m->graph->state, g->state, g->n_state * sizeof(float));
    /* re-encoding gives the same bytes, and the same logits come out */
    assert_int_equal(nf_model_encode(m->graph, &m->norm, m->class_names, 10, &again, &len2), NF_OK);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, again, len);
    float *a = logits(g, 4), *b = logits(m->graph, 4);
    assert_memory_equal(a, b, 40 * sizeof(float));
    free(a); free(b); free(buf); free(again);
    nf_model_destroy(m);
    nf_graph_destroy(g);
}

static void save_and_load_a_file(void **state)
{
    (void)state;
    char path[] = "/tmp/nf_model_test_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    nf_graph *g = tiny();
    nf_ds_norm norm = norm_of(1);
    assert_int_equal(nf_model_save(path, g, &norm, names3, 3), NF_OK);
    nf_model *m;
    assert_int_equal(nf_model_load(path, &m), NF_OK);
    assert_string_equal(m->class_names[1], "dog");
    nf_model_destroy(m);
    /* wrong arguments are refused before anything is written */
    assert_int_equal(nf_model_save(path, g, &norm, names10, 10), NF_ERR_ARG);
    assert_non_null(strstr(nf_last_error(), "10 class names for a network with 3 outputs"));
    remove(path);
    assert_int_equal(nf_model_load(path, &m), NF_ERR_IO);
    assert_non_null(strstr(nf_last_error(), path));
    nf_graph_destroy(g);
}

static void expect_refused(const unsigned char *buf, size_t len, const char *mention)
{
    nf_model *m = (nf_model *)1;
    nf_status st = nf_model_decode(buf, len, "bad.nfm", &m);
    if (st != NF_ERR_FORMAT || m != NULL || !strstr(nf_last_error(), "bad.nfm") ||
        !strstr(nf_last_error(), "offset") || (mention && !strstr(nf_last_error(), mention)))
        fail_msg("length %zu: status %d, '%s' (expected '%s')", len, st, nf_last_error(), mention ? mention : "");
}

static void truncation_at_every_length(void **state)
{
    (void)state;
    nf_graph *g = fx_every_op(1, 16, 16, 3, 5);
    nf_ds_norm norm = norm_of(1);
    unsigned char *buf;
    size_t len;
    assert_int_equal(nf_model_encode(g, &norm, names3, 3, &buf, &len), NF_OK);
    for (size_t cut = 0; cut < len; cut++) {
        unsigned char *copy = malloc(cut ? cut : 1); /* exact size, so ASan sees any overread */
        memcpy(copy, buf, cut);
        expect_refused(copy, cut, cut < 8 ? "not a nasfit model file" : cut < 20 ? "truncated" : "is truncated");
        free(copy);
    }
    free(buf);
    nf_graph_destroy(g);
}

/* Sets the length field and checksum to match a (changed) buffer. */
static void reseal(unsigned char *b, size_t len)
{
    for (int i = 0; i < 8; i++) b[12 + i] = (unsigned char)((uint64_t)len >> (8 * i));
    uint32_t crc = nf_ds_crc32(b, len - 4);
    for (int i = 0; i < 4; i++) b[len - 4 + i] = (unsigned char)(crc >> (8 * i));
}

/* Cut short, then resealed: every field's own bounds check is reached. */
static void resealed_truncations_reach_every_field(void **state)
{
    (void)state;
    nf_graph *g = tiny();
    nf_ds_norm norm = norm_of(1);
    unsigned char *buf;
    size_t len;
    assert_int_equal(nf_model_encode(g, &norm, names3, 3, &buf, &len), NF_OK);
    for (size_t cut = 40; cut + 4 < len; cut++) {
        size_t n = cut + 4;
        unsigned char *copy = malloc(n);
        memcpy(copy, buf, cut);
        reseal(copy, n);
        expect_refused(copy, n, NULL);
        free(copy);
    }
    free(buf);
    nf_graph_destroy(g);
}

static void byte_flips_are_caught(void **state)
{
    (void)state;
    nf_graph *g = fx_every_op(3, 16, 16, 3, 6);
    nf_ds_norm norm = norm_of(3);
    unsigned char *buf;
    size_t len;
    assert_int_equal(nf_model_encode(g, &norm, names3, 3, &buf, &len), NF_OK);
    nf_rng r;
    nf_rng_seed(&r, 11, 0, NF_RNG_TEST);
    unsigned char *copy = malloc(len);
    for (int trial = 0; trial < 3000; trial++) {
        memcpy(copy, buf, len);
        size_t at = nf_rng_below(&r, len);
        copy[at] ^= (unsigned char)(1 + nf_rng_below(&r, 255));
        expect_refused(copy, len, NULL);
    }
    free(copy);
    free(buf);
    nf_graph_destroy(g);
}

/* Flips with a matching checksum (a crafted or miswritten file): loading
 * either succeeds or refuses with an offset; never crashes. Flips in the
 * structure fields are refused with what is wrong. */
static void resealed_flips_never_crash(void **state)
{
    (void)state;
    nf_graph *g = tiny();
    nf_ds_norm norm = norm_of(1);
    unsigned char *buf;
    size_t len;
    assert_int_equal(nf_model_encode(g, &norm, names3, 3, &buf, &len), NF_OK);
    unsigned char *copy = malloc(len);
    nf_rng r;
    nf_rng_seed(&r, 12, 0, NF_RNG_TEST);
    for (int trial = 0; trial < 3000; trial++) {
        memcpy(copy, buf, len);
        size_t at = 20 + nf_rng_below(&r, len - 24);
        copy[at] ^= (unsigned char)(1 << nf_rng_below(&r, 8));
        reseal(copy, len);
        nf_model *m = NULL;
        nf_status st = nf_model_decode(copy, len, "bad.nfm", &m);
        if (st == NF_OK) { nf_model_destroy(m); continue; }
        if (st != NF_ERR_FORMAT && st != NF_ERR_GRAPH) fail_msg("flip at %zu: status %d: %s", at, st, nf_last_error());
        assert_non_null(strstr(nf_last_error(), "bad.nfm"));
    }
    memcpy(copy, buf, len);
    copy[20] = 9; /* input channels */
    reseal(copy, len);
    expect_refused(copy, len, "offset 20: input channels is 9, expected 1 to 4");
    memcpy(copy, buf, len);
    copy[8] = 2; /* version */
    expect_refused(copy, len, "format version 2; this nasfit reads version 1 (written by a newer nasfit)");
    memcpy(copy, buf, len);
    copy[len - 1] ^= 1;
    expect_refused(copy, len, "checksum mismatch");
    free(copy);
    free(buf);
    nf_graph_destroy(g);
}

static void foreign_files_are_named(void **state)
{
    (void)state;
    const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13};
    expect_refused(png, sizeof png, "offset 0: not a nasfit model file");
    expect_refused((const unsigned char *)"{\"version\": 1}", 14, "not a nasfit model file");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(saved_is_loaded),
        cmocka_unit_test(save_and_load_a_file),
        cmocka_unit_test(truncation_at_every_length),
        cmocka_unit_test(resealed_truncations_reach_every_field),
        cmocka_unit_test(byte_flips_are_caught),
        cmocka_unit_test(resealed_flips_never_crash),
        cmocka_unit_test(foreign_files_are_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
