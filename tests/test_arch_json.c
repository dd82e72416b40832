/* The architecture JSON: a network with every op kind goes to text and
 * back to the same architecture (ids, attributes, sizes), the text is the
 * readable form the run store keeps, and bad text is refused with a
 * message naming the source and what is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/formats/arch_json.h"
#include "app/formats/onnx_export.h"
#include "engine/op.h"
#include "tests/model_fixtures.h"

static nf_rng rng_of(uint64_t seed)
{
    nf_rng r;
    nf_rng_seed(&r, seed, 0, NF_RNG_TEST);
    return r;
}

static void same_architecture(const nf_graph *a, const nf_graph *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->in_c, b->in_c);
    assert_int_equal(a->in_h, b->in_h);
    assert_int_equal(a->in_w, b->in_w);
    assert_int_equal(a->n_param, b->n_param);
    assert_int_equal(a->n_state, b->n_state);
    for (int i = 0; i < a->n; i++) {
        const nf_vertex *x = &a->v[i], *y = &b->v[i];
        assert_int_equal(x->op, y->op);
        assert_int_equal(x->id, y->id);
        assert_int_equal(x->nout, y->nout);
        assert_int_equal(x->h, y->h);
        assert_int_equal(x->w, y->w);
        assert_int_equal(x->n_inputs, y->n_inputs);
        for (int k = 0; k < x->n_inputs; k++) assert_int_equal(x->inputs[k], y->inputs[k]);
        assert_memory_equal(&x->attr, &y->attr, sizeof x->attr);
    }
}

static void every_op_round_trips(void **state)
{
    (void)state;
    nf_graph *g = fx_every_op(3, 32, 32, 10, 1), *back = NULL;
    assert_non_null(g);
    char *json = NULL, *again = NULL;
    assert_int_equal(nf_arch_to_json(g, &json), NF_OK);
    nf_rng r = rng_of(2);
    assert_int_equal(nf_arch_from_json(json, "t.json", &r, &back), NF_OK);
    same_architecture(g, back);
    assert_int_equal(back->next_id, g->next_id);
    assert_int_equal(nf_arch_to_json(back, &again), NF_OK);
    assert_string_equal(json, again); /* the text is a fixed point */
    /* readable: plain numbers, names, derived shapes */
    assert_non_null(strstr(json, "\"op\": \"conv2d\""));
    assert_non_null(strstr(json, "\"activation\": \"leaky_relu\""));
    assert_non_null(strstr(json, "\"alpha\": 0.01"));
    assert_non_null(strstr(json, "\"rate\": 0.5"));
    assert_non_null(strstr(json, "\"eps\": 1e-5"));
    assert_non_null(strstr(json, "\"channels\": 3"));
    free(json);
    free(again);
    nf_graph_destroy(g);
    nf_graph_destroy(back);
}

/* Ids survive even when they are not 0..n-1 (a mutated graph's are not). */
static void ids_are_kept(void **state)
{
    (void)state;
    const char *text =
        "{\"version\": 1, \"input\": {\"channels\": 1, \"height\": 8, \"width\": 8}, \"vertices\": ["
        "{\"id\": 0, \"op\": \"input\"},"
        "{\"id\": 17, \"op\": \"conv2d\", \"inputs\": [0], \"nout\": 4, \"kernel\": 5, \"stride\": 2},"
        "{\"id\": 5, \"op\": \"act\", \"inputs\": [17], \"activation\": \"elu\"},"
        "{\"id\": 9, \"op\": \"gap\", \"inputs\": [5], \"nout\": 4},"
        "{\"id\": 40, \"op\": \"dense\", \"inputs\": [9], \"nout\": 3, \"bias\": true}]}";
    nf_rng r = rng_of(1);
    nf_graph *g = NULL;
    assert_int_equal(nf_arch_from_json(text, "x", &r, &g), NF_OK);
    assert_int_equal(g->n, 5);
    assert_int_equal(g->v[1].id, 17);
    assert_int_equal(g->v[1].h, 4);
    assert_int_equal(g->v[2].attr.act, NF_ACT_ELU);
    assert_true(g->v[2].attr.alpha == 1.0f);
    assert_int_equal(g->next_id, 41);
    assert_int_equal(nf_graph_find(g, 40), 4);
    assert_int_equal(g->v[4].attr.bias, 1);
    assert_int_equal(g->n_param, 4 * 25 + 3 * 4 + 3);
    nf_graph_destroy(g);
}

static void expect_refused(const char *text, const char *mention)
{
    nf_rng r = rng_of(1);
    nf_graph *g = (nf_graph *)1;
    nf_status st = nf_arch_from_json(text, "arch.json", &r, &g);
    if (st == NF_OK || g != NULL || !strstr(nf_last_error(), "arch.json") || !strstr(nf_last_error(), mention))
        fail_msg("'%s': status %d, message '%s' (expected mention '%s')", text, st, nf_last_error(), mention);
}

#define HEAD "{\"version\": 1, \"input\": {\"channels\": 1, \"height\": 8, \"width\": 8}, \"vertices\": [" \
             "{\"id\": 0, \"op\": \"input\"},"
#define TAIL ",{\"id\": 8, \"op\": \"gap\", \"inputs\": [1]}, {\"id\": 9, \"op\": \"dense\", \"inputs\": [8], \"nout\": 2}]}"

static void bad_text_is_refused_with_its_reason(void **state)
{
    (void)state;
    expect_refused("", "line 1");
    expect_refused("{\"version\": 1,", "line 1");
    expect_refused("[1, 2]", "not a JSON object");
    expect_refused("{\"version\": 1, \"input\": {\"channels\": 1, \"height\": 8, \"width\": 8}, \"vertices\": ["
                   "{\"id\": 0, \"op\": \"input\", \"inputs\": [0]}" TAIL, "the input has no inputs");
    expect_refused("{\"version\": 2}", "\"version\" must be 1");
    expect_refused("{\"version\": 1, \"vertices\": []}", "\"vertices\"");
    expect_refused(HEAD "{\"id\": 1, \"op\": \"conv3d\", \"inputs\": [0], \"nout\": 4}" TAIL, "unknown op \"conv3d\"");
    expect_refused(HEAD "{\"id\": 1, \"op\": \"conv2d\", \"inputs\": [0], \"nout\": 4, \"kernel\": 4}" TAIL, "kernel size must be odd");
    expect_refused(HEAD "{\"id\": 1, \"op\": \"conv2d\", \"inputs\": [0], \"nout\": 4, \"kernel\": 9}" TAIL, "\"kernel\" must be an integer from 1 to 7");
    expect_refused(HEAD "{\"id\": 1, \"op\": \"conv2d\", \"inputs\": [0], \"kernel\": 3}" TAIL, "\"nout\" is missing");
    expect_refused(HEAD "{\"id\": 1, \"op\": \"conv2d\", \"inputs\": [0], \"nout\": 4, \"kernel\": 3, \"strid\": 1}" TAIL, "unknown key \"strid\"");
    expect_refused(HEAD "{\"id\": 1, \"op\": \"conv2d\", \"inputs\": [3], \"nout\": 4, \"kernel\": 3}" TAIL, "not the id of an earlier vertex");
    expect_refused(HEAD "{\"id\": 1, \"op\": \"act\", \"inputs\": [0], \"activation\": \"swish\"}" TAIL, "unknown activation");
    expect_refused(HEAD "{\"id\": 1, \"op\": \"act\", \"inputs\": [0], \"nout\": 3, \"activation\": \"relu\"}" TAIL, "nout 3 given, but its inputs make it 1");
    expect_refused(HEAD "{\"id\": 1, \"op\": \"dropout\", \"inputs\": [0], \"rate\": 1.5}" TAIL, "\"rate\" must be a number");
    expect_refused(HEAD "{\"id\": 0, \"op\": \"maxpool\", \"inputs\": [0]}" TAIL, "the id is used twice");
    expect_refused(HEAD "{\"id\": 1, \"op\": \"maxpool\", \"inputs\": [0]}, {\"id\": 2, \"op\": \"maxpool\", \"inputs\": [1]},"
                   "{\"id\": 3, \"op\": \"maxpool\", \"inputs\": [2]}, {\"id\": 4, \"op\": \"maxpool\", \"inputs\": [3]}"
                   ",{\"id\": 8, \"op\": \"gap\", \"inputs\": [4]}, {\"id\": 9, \"op\": \"dense\", \"inputs\": [8], \"nout\": 2}]}",
                   "too small to pool");
    expect_refused(HEAD "{\"id\": 1, \"op\": \"maxpool\", \"inputs\": [0]}, {\"id\": 2, \"op\": \"add\", \"inputs\": [0, 1]}"
                   ",{\"id\": 8, \"op\": \"gap\", \"inputs\": [2]}, {\"id\": 9, \"op\": \"dense\", \"inputs\": [8], \"nout\": 2}]}",
                   "spatial size");
    expect_refused(HEAD "{\"id\": 1, \"op\": \"conv2d\", \"inputs\": [0], \"nout\": 4, \"kernel\": 3}"
                   ",{\"id\": 9, \"op\": \"dense\", \"inputs\": [1], \"nout\": 2}]}", "1x1");
    expect_refused(HEAD "{\"id\": 1, \"op\": \"conv2d\", \"inputs\": [0], \"nout\": 4, \"kernel\": 3, \"kernel\": 5}" TAIL, "duplicate");
}

/* Every op has what files need: attribute descriptors that fit nf_attr
 * and whose defaults are in range, and an ONNX emitter (a new op without
 * one fails here, not as an export error). */
static void every_op_is_described_for_files(void **state)
{
    (void)state;
    if (nf_onnx_check()) fail_msg("%s", nf_last_error());
    nf_attr fresh = nf_attr_default();
    for (int op = 0; op < NF_OP_COUNT; op++)
        for (const nf_attr_desc *d = nf_op_def_of((nf_op)op)->attrs; d->key; d++) {
            assert_true(d->offset < sizeof(nf_attr));
            assert_true(d->min <= d->max);
            double x = isnan(d->fallback) ? nf_attr_get(&fresh, d) : d->fallback;
            if (!d->required) assert_true(x >= d->min && x <= d->max);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_op_is_described_for_files),
        cmocka_unit_test(every_op_round_trips),
        cmocka_unit_test(ids_are_kept),
        cmocka_unit_test(bad_text_is_refused_with_its_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
