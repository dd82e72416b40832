/* A task sent to another process as bytes (nas/wire.h) trains to the same
 * bytes as the task trained in place, on data that crossed as bytes too and
 * with the trainer's own thread count; a diverged candidate and a failed
 * task come back as such; every plain field of the params crosses; the
 * data's checksum sees one changed pixel; damaged buffers are refused with
 * NF_ERR_FORMAT, never a crash. No MPI here: this is what the MPI pool
 * relies on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/normalize.h"
#include "nas/space.h"
#include "nas/wire.h"
#include "tests/search_fixtures.h"

typedef struct fixture {
    nf_dataset *train, *val;
    nf_data d;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->train = fx_quadrant_set(600, 1);
    f->val = fx_quadrant_set(200, 2);
    f->d = (nf_data){.train = f->train, .val = f->val, .norm = nf_ds_normalization(f->train),
                     .aug = {.shift = 1, .flip = 1}, .seed = 77};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    nf_ds_destroy(f->train);
    nf_ds_destroy(f->val);
    free(f);
    return 0;
}

static nf_candidate *drawn(uint64_t seed, int64_t id)
{
    nf_space sp = nf_space_defaults();
    sp.min_stages = 1; sp.max_stages = 2;
    sp.min_width = 4; sp.max_width = 8;
    sp.min_dense_width = 8; sp.max_dense_width = 16;
    nf_rng r;
    nf_rng_seed(&r, seed, 0, NF_RNG_TEST);
    nf_graph *g;
    assert_int_equal(nf_space_draw(&sp, 1, 8, 8, 4, &r, &g), NF_OK);
    nf_settings set = nf_settings_defaults();
    set.batch = 16 << (seed % 3);
    set.optim = nf_optim_defaults((nf_optim_kind)(seed % NF_OPTIM_COUNT));
    set.optim.lr = 3e-3f;
    nf_candidate *c;
    assert_int_equal(nf_candidate_create(g, &set, id, (int)seed % 3, &c), NF_OK);
    return c;
}

/* The candidate's bytes without its wall time (the one field that differs between two runs). */
static unsigned char *bytes_of(nf_candidate *c, size_t *len)
{
    double seconds = c->seconds;
    c->seconds = 0;
    unsigned char *b;
    assert_int_equal(nf_candidate_serialize(c, &b, len), NF_OK);
    c->seconds = seconds;
    return b;
}

static nf_task_params params_for(int k)
{
    nf_task_params p = nf_task_defaults();
    p.start = 100 * k;
    p.images = 256;
    p.generation = k;
    p.cosine = k % 2;
    p.schedule_done = k % 2 ? 128 : 0;
    p.schedule_images = k % 2 ? 512 : 0;
    p.val_images = k % 3 ? 0 : 64;
    p.refresh_images = 128;
    p.param_penalty = 0.01 * k;
    p.label_smoothing = k % 2 ? 0.1f : 0;
    p.average_share = k % 3 ? 0.25 : 0;
    return p;
}

/* What a trainer does with the bytes: unpack, train with its threads, pack the result. */
static void remote_train(const unsigned char *data, size_t data_len, const unsigned char *task, size_t task_len,
                         int threads, unsigned char **result, size_t *result_len)
{
    nf_wire_data wd;
    assert_int_equal(nf_wire_data_unpack(data, data_len, &wd), NF_OK);
    nf_candidate *c;
    nf_task_params p;
    assert_int_equal(nf_wire_task_unpack(task, task_len, &c, &p), NF_OK);
    p.threads = threads;
    nf_task_out out;
    nf_status st = nf_task_run(c, &wd.d, &p, &out);
    assert_int_equal(nf_wire_result_pack(st, nf_last_error(), c, &out, result, result_len), NF_OK);
    nf_candidate_destroy(c);
    nf_wire_data_free(&wd);
}

/* Trains the candidate in place and through the wire; both must give the same bytes. */
static void check_same_bytes(const fixture *f, nf_candidate *here, int k, int threads)
{
    nf_candidate *there;
    assert_int_equal(nf_candidate_clone(here, &there), NF_OK);
    there->worker = 7;
    nf_task_params p = params_for(k);
    unsigned char *data, *task, *result;
    size_t data_len, task_len, result_len;
    assert_int_equal(nf_wire_data_pack(&f->d, &data, &data_len), NF_OK);
    assert_int_equal(nf_wire_task_pack(there, &p, &task, &task_len), NF_OK);
    assert_int_equal(nf_task_run(here, &f->d, &p, NULL), NF_OK);
    remote_train(data, data_len, task, task_len, threads, &result, &result_len);
    nf_status task_status;
    nf_task_out out;
    char msg[64];
    assert_int_equal(nf_wire_result_unpack(result, result_len, there, &task_status, &out, msg, sizeof msg), NF_OK);
    assert_int_equal(task_status, NF_OK);
    assert_int_equal(there->worker, 7); /* the receiving side's, not sent */
    assert_true(out.seconds > 0 && out.seconds == there->seconds);
    assert_true(out.worker_seconds > 0 && out.score_worker_seconds > 0); /* they travel too */
    size_t la, lb;
    unsigned char *a = bytes_of(here, &la), *b = bytes_of(there, &lb);
    if (la != lb || memcmp(a, b, la)) fail_msg("candidate %lld, task %d, %d threads: the bytes differ", (long long)here->id, k, threads);
    free(a); free(b); free(data); free(task); free(result);
    nf_candidate_destroy(there);
}

static void test_task_through_the_wire_gives_the_same_bytes(void **state)
{
    fixture *f = *state;
    for (int k = 0; k < 6; k++) {
        nf_candidate *c = drawn(100 + (uint64_t)k, k);
        check_same_bytes(f, c, k, 1 + k % 2);
        assert_int_equal(c->state, NF_CAND_TRAINED);
        check_same_bytes(f, c, k + 1, 2 - k % 2); /* trained again, from its trained state */
        nf_candidate_destroy(c);
    }
}

static void test_diverged_candidate_comes_back_failed(void **state)
{
    fixture *f = *state;
    nf_candidate *c = drawn(5, 3);
    c->g->param[c->g->n_param / 2] = NAN;
    check_same_bytes(f, c, 0, 1);
    assert_int_equal(c->state, NF_CAND_FAILED);
    nf_candidate_destroy(c);
}

static void test_failed_task_keeps_the_candidate(void **state)
{
    (void)state;
    nf_candidate *c = drawn(6, 9), *before;
    assert_int_equal(nf_candidate_clone(c, &before), NF_OK);
    nf_task_out out = {.seconds = 1.5};
    unsigned char *r;
    size_t len;
    assert_int_equal(nf_wire_result_pack(NF_ERR_NOMEM, "cannot allocate a tensor", c, &out, &r, &len), NF_OK);
    nf_status task_status;
    nf_task_out got;
    char msg[64];
    assert_int_equal(nf_wire_result_unpack(r, len, c, &task_status, &got, msg, sizeof msg), NF_OK);
    assert_int_equal(task_status, NF_ERR_NOMEM);
    assert_string_equal(msg, "cannot allocate a tensor");
    size_t la, lb;
    unsigned char *a = bytes_of(c, &la), *b = bytes_of(before, &lb);
    assert_true(la == lb && !memcmp(a, b, la));
    free(a); free(b); free(r);
    /* a result for another candidate is refused */
    nf_candidate *other = drawn(6, 10);
    assert_int_equal(nf_wire_result_pack(NF_OK, "", other, &out, &r, &len), NF_OK);
    assert_int_equal(nf_wire_result_unpack(r, len, c, &task_status, &got, msg, sizeof msg), NF_ERR_FORMAT);
    free(r);
    nf_candidate_destroy(other);
    nf_candidate_destroy(before);
    nf_candidate_destroy(c);
}

static void test_every_plain_param_crosses(void **state)
{
    (void)state;
    nf_task_params p = params_for(3);
    p.flops_penalty = 0.25;
    p.time_penalty = 0.125;
    p.threads = 5;
    int dummy;
    p.stop_user = &dummy;
    nf_candidate *c = drawn(7, 4), *back;
    unsigned char *b;
    size_t len;
    assert_int_equal(nf_wire_task_pack(c, &p, &b, &len), NF_OK);
    nf_task_params q;
    assert_int_equal(nf_wire_task_unpack(b, len, &back, &q), NF_OK);
    assert_true(q.start == p.start && q.images == p.images && q.generation == p.generation && q.cosine == p.cosine);
    assert_true(q.schedule_done == p.schedule_done && q.schedule_images == p.schedule_images);
    assert_true(q.val_images == p.val_images && q.refresh_images == p.refresh_images);
    assert_true(q.param_penalty == p.param_penalty && q.flops_penalty == p.flops_penalty && q.time_penalty == p.time_penalty);
    assert_int_equal(q.threads, 1); /* the trainer's */
    assert_null(q.stop_user);
    assert_null(q.stop);
    assert_null(q.progress);
    assert_null(q.threads_now);
    assert_int_equal(back->id, 4);
    free(b);
    nf_candidate_destroy(back);
    nf_candidate_destroy(c);
}

static void test_checksum_sees_one_pixel(void **state)
{
    fixture *f = *state;
    unsigned char *a, *b;
    size_t la, lb;
    assert_int_equal(nf_wire_data_pack(&f->d, &a, &la), NF_OK);
    f->train->pixels[12345] ^= 1;
    assert_int_equal(nf_wire_data_pack(&f->d, &b, &lb), NF_OK);
    f->train->pixels[12345] ^= 1;
    assert_int_equal(la, lb);
    assert_true(nf_wire_checksum(a, la) != nf_wire_checksum(b, lb));
    nf_wire_data wd;
    assert_int_equal(nf_wire_data_unpack(a, la, &wd), NF_OK);
    assert_int_equal(nf_ds_count(wd.d.train), 600);
    assert_int_equal(nf_ds_count(wd.d.val), 200);
    assert_true(wd.d.seed == 77 && wd.d.aug.shift == 1 && wd.d.norm.std[0] == f->d.norm.std[0]);
    assert_int_equal(memcmp(wd.d.val->pixels, f->val->pixels, 200 * 64), 0);
    nf_wire_data_free(&wd);
    free(a); free(b);
}

static void test_damaged_buffers_refused(void **state)
{
    fixture *f = *state;
    nf_candidate *c = drawn(8, 2), *back;
    unsigned char *b, *d;
    size_t len, dlen;
    nf_task_params p = params_for(1), q;
    assert_int_equal(nf_wire_task_pack(c, &p, &b, &len), NF_OK);
    for (size_t cut = 0; cut < len; cut += 1 + cut / 16) {
        assert_int_equal(nf_wire_task_unpack(b, cut, &back, &q), NF_ERR_FORMAT);
        assert_null(back);
    }
    assert_int_equal(nf_wire_data_pack(&f->d, &d, &dlen), NF_OK);
    nf_wire_data wd;
    for (size_t cut = 0; cut < dlen; cut += 1 + cut / 4)
        assert_int_equal(nf_wire_data_unpack(d, cut, &wd), NF_ERR_FORMAT);
    memset(d, 0x7f, 4); /* an image count far beyond the bytes */
    assert_int_equal(nf_wire_data_unpack(d, dlen, &wd), NF_ERR_FORMAT);
    free(b); free(d);
    nf_candidate_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_through_the_wire_gives_the_same_bytes),
        cmocka_unit_test(test_diverged_candidate_comes_back_failed),
        cmocka_unit_test(test_failed_task_keeps_the_candidate),
        cmocka_unit_test(test_every_plain_param_crosses),
        cmocka_unit_test(test_checksum_sees_one_pixel),
        cmocka_unit_test(test_damaged_buffers_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
