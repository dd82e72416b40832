/* datasets/: the real Fashion-MNIST, the stratified split and subsample,
 * normalisation, batches (contents, epoch coverage, augmentation) and the
 * `nasfit data` command. Loader edge cases are in test_ds_{idx,cifar,png}.c,
 * the randomised corruption test in test_ds_fuzz.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <math.h>

#include "app/cmd/commands.h"
#include "tests/ds_fixtures.h"

/* ---- helpers ---- */

/* A synthetic set whose image i carries i in its first two bytes; class k
 * has 10 + 7k images (uneven on purpose). */
static nf_dataset *synthetic(int classes)
{
    int n = 0;
    for (int k = 0; k < classes; k++) n += 10 + 7 * k;
    nf_dataset *ds;
    assert_int_equal(nf_ds_create(n, 2, 3, 4, classes, &ds), NF_OK);
    int i = 0;
    for (int k = 0; k < classes; k++)
        for (int j = 0; j < 10 + 7 * k; j++, i++) {
            uint8_t *p = ds->pixels + (size_t)i * nf_ds_image_bytes(ds);
            p[0] = (uint8_t)(i & 255);
            p[1] = (uint8_t)(i >> 8);
            for (size_t q = 2; q < nf_ds_image_bytes(ds); q++) p[q] = (uint8_t)(i * 31 + q * 5);
            ds->labels[i] = k;
        }
    return ds;
}

static int id_of(const nf_dataset *ds, int i) { return nf_ds_image(ds, i)[0] | nf_ds_image(ds, i)[1] << 8; }

static int same_set(const nf_dataset *a, const nf_dataset *b)
{
    return a->n == b->n && !memcmp(a->labels, b->labels, (size_t)a->n * sizeof *a->labels) &&
           !memcmp(a->pixels, b->pixels, (size_t)a->n * nf_ds_image_bytes(a));
}

/* ---- the real Fashion-MNIST ---- */

static int load_fmnist(void **state)
{
    nf_ds_pair *p = malloc(sizeof *p);
    if (nf_ds_load("fashion-mnist", NULL, p)) {
        fprintf(stderr, "cannot load Fashion-MNIST: %s\n", nf_last_error());
        return -1;
    }
    *state = p;
    return 0;
}

static int free_fmnist(void **state)
{
    nf_ds_pair_free(*state);
    free(*state);
    return 0;
}

static void fmnist_shape_classes_balance(void **state)
{
    const nf_ds_pair *p = *state;
    assert_int_equal(p->train->n, 60000);
    assert_non_null(p->test);
    assert_int_equal(p->test->n, 10000);
    for (int s = 0; s < 2; s++) {
        const nf_dataset *d = s ? p->test : p->train;
        assert_int_equal(d->c, 1);
        assert_int_equal(d->h, 28);
        assert_int_equal(d->w, 28);
        assert_int_equal(d->n_classes, 10);
        int counts[10];
        nf_ds_class_counts(d, counts);
        for (int k = 0; k < 10; k++) assert_int_equal(counts[k], s ? 1000 : 6000);
    }
    assert_string_equal(nf_ds_class_name(p->train, 0), "T-shirt/top");
    assert_string_equal(nf_ds_class_name(p->test, 9), "Ankle boot");
    assert_null(nf_ds_class_name(p->train, 10));
    /* The first training image is an ankle boot, the second a T-shirt. */
    assert_int_equal(nf_ds_label(p->train, 0), 9);
    assert_int_equal(nf_ds_label(p->train, 1), 0);
    nf_ds_pair spec_null;
    assert_int_equal(nf_ds_load(NULL, NULL, &spec_null), NF_OK);
    assert_true(same_set(spec_null.train, p->train));
    nf_ds_pair_free(&spec_null);
}

static void fmnist_split_and_subsample(void **state)
{
    const nf_ds_pair *p = *state;
    nf_dataset *tr, *va, *tr2, *va2, *sub;
    assert_int_equal(nf_ds_split(p->train, 0.1, 7, &tr, &va), NF_OK);
    assert_int_equal(tr->n, 54000);
    assert_int_equal(va->n, 6000);
    int counts[10];
    nf_ds_class_counts(va, counts);
    for (int k = 0; k < 10; k++) assert_int_equal(counts[k], 600);
    assert_int_equal(nf_ds_split(p->train, 0.1, 7, &tr2, &va2), NF_OK);
    assert_true(same_set(va, va2));
    assert_true(same_set(tr, tr2));
    nf_ds_destroy(tr2);
    nf_ds_destroy(va2);
    assert_int_equal(nf_ds_split(p->train, 0.1, 8, &tr2, &va2), NF_OK);
    assert_false(same_set(va, va2));
    nf_ds_destroy(tr2);
    nf_ds_destroy(va2);
    assert_int_equal(nf_ds_subsample(tr, 1000, 3, &sub), NF_OK);
    assert_int_equal(sub->n, 1000);
    nf_ds_class_counts(sub, counts);
    for (int k = 0; k < 10; k++) assert_int_equal(counts[k], 100);
    nf_ds_destroy(sub);
    nf_ds_destroy(tr);
    nf_ds_destroy(va);
}

/* ---- split and subsample on a synthetic set ---- */

static void split_is_a_stratified_partition(void **state)
{
    (void)state;
    nf_dataset *ds = synthetic(5), *tr, *va;
    int *seen = calloc((size_t)ds->n, sizeof *seen), counts[5], vcounts[5];
    nf_ds_class_counts(ds, counts);
    for (uint64_t seed = 0; seed < 20; seed++) {
        assert_int_equal(nf_ds_split(ds, 0.25, seed, &tr, &va), NF_OK);
        assert_int_equal(tr->n + va->n, ds->n);
        memset(seen, 0, (size_t)ds->n * sizeof *seen);
        for (int s = 0; s < 2; s++) {
            const nf_dataset *d = s ? va : tr;
            for (int i = 0; i < d->n; i++) {
                int id = id_of(d, i);
                seen[id]++;
                assert_int_equal(nf_ds_label(d, i), ds->labels[id]);
                assert_memory_equal(nf_ds_image(d, i), nf_ds_image(ds, id), nf_ds_image_bytes(ds));
                if (i) assert_true(id > id_of(d, i - 1)); /* source order kept */
            }
        }
        for (int i = 0; i < ds->n; i++) assert_int_equal(seen[i], 1);
        nf_ds_class_counts(va, vcounts);
        for (int k = 0; k < 5; k++) assert_int_equal(vcounts[k], (int)floor(counts[k] * 0.25 + 0.5));
        nf_ds_destroy(tr);
        nf_ds_destroy(va);
    }
    assert_int_equal(nf_ds_split(ds, 0.0, 1, &tr, &va), NF_OK);
    assert_int_equal(va->n, 0);
    assert_int_equal(tr->n, ds->n);
    nf_ds_destroy(tr);
    nf_ds_destroy(va);
    fx_expect_error(nf_ds_split(ds, 1.0, 1, &tr, &va), NF_ERR_ARG, "validation fraction", NULL);
    fx_expect_error(nf_ds_split(ds, NAN, 1, &tr, &va), NF_ERR_ARG, "validation fraction", NULL);
    free(seen);
    nf_ds_destroy(ds);
}

static void subsample_keeps_class_shares(void **state)
{
    (void)state;
    nf_dataset *ds = synthetic(4), *sub, *again;
    int counts[4], scounts[4];
    nf_ds_class_counts(ds, counts); /* 10, 17, 24, 31 of 82 */
    for (int limit = 1; limit <= ds->n + 5; limit += 3) {
        assert_int_equal(nf_ds_subsample(ds, limit, 11, &sub), NF_OK);
        int want = limit < ds->n ? limit : ds->n;
        assert_int_equal(sub->n, want);
        nf_ds_class_counts(sub, scounts);
        for (int k = 0; k < 4; k++) {
            double share = (double)want * counts[k] / ds->n;
            assert_true(scounts[k] >= (int)floor(share) && scounts[k] <= (int)ceil(share));
        }
        assert_int_equal(nf_ds_subsample(ds, limit, 11, &again), NF_OK);
        assert_true(same_set(sub, again));
        nf_ds_destroy(again);
        nf_ds_destroy(sub);
    }
    fx_expect_error(nf_ds_subsample(ds, 0, 1, &sub), NF_ERR_ARG, "limit", NULL);
    nf_ds_destroy(ds);
}

/* ---- normalisation ---- */

static void normalisation_of_train_only(void **state)
{
    (void)state;
    nf_dataset *ds = synthetic(3);
    nf_ds_norm n = nf_ds_normalization(ds);
    assert_int_equal(n.c, 2);
    size_t plane = 12;
    for (int c = 0; c < 2; c++) {
        double s = 0, sq = 0;
        for (int i = 0; i < ds->n; i++)
            for (size_t q = 0; q < plane; q++) {
                double v = nf_ds_image(ds, i)[c * plane + q] / 255.0;
                s += v;
                sq += v * v;
            }
        double cnt = (double)ds->n * plane, mean = s / cnt;
        assert_float_equal(n.mean[c], mean, 1e-6);
        assert_float_equal(n.std[c], sqrt(sq / cnt - mean * mean), 1e-6);
    }
    /* A constant channel gets std 1, not a division by zero. */
    memset(ds->pixels, 9, (size_t)ds->n * nf_ds_image_bytes(ds));
    n = nf_ds_normalization(ds);
    assert_float_equal(n.std[0], 1.0, 0);
    assert_float_equal(n.mean[1], 9 / 255.0, 1e-7);
    nf_ds_destroy(ds);
}

static void prepare_normalises_the_training_part(void **state)
{
    char *dir = fx_tmpdir();
    (void)state;
    fx_idx_pair(dir, "train", 200, 6, 5, 10, 1);
    fx_idx_pair(dir, "t10k", 50, 6, 5, 10, 1);
    nf_ds_prepare_options opt = nf_ds_prepare_defaults();
    opt.val_fraction = 0.2;
    opt.train_limit = 150;
    opt.seed = 4;
    nf_ds_splits s;
    assert_int_equal(nf_ds_prepare(dir, &opt, &s), NF_OK);
    assert_int_equal(s.train->n + s.val->n, 150);
    assert_int_equal(s.val->n, 30);
    assert_int_equal(s.test->n, 50);
    nf_ds_norm direct = nf_ds_normalization(s.train), with_val;
    assert_memory_equal(&s.norm, &direct, sizeof direct);
    /* Not the statistics of everything loaded. */
    nf_ds_pair all;
    assert_int_equal(nf_ds_load(dir, NULL, &all), NF_OK);
    with_val = nf_ds_normalization(all.train);
    assert_true(with_val.mean[0] != s.norm.mean[0]);
    nf_ds_pair_free(&all);
    nf_ds_splits_free(&s);
    fx_rm_rf(dir);
}

/* ---- batches ---- */

static float expected_value(const nf_ds_norm *n, int c, uint8_t v)
{
    return (float)((v / 255.0 - n->mean[c]) / n->std[c]);
}

static void batches_hold_the_right_images(void **state)
{
    (void)state;
    nf_dataset *ds = synthetic(4);
    nf_ds_norm norm = nf_ds_normalization(ds);
    nf_batcher *b;
    int batch = 16, labels[16];
    assert_int_equal(nf_batcher_create(ds, &norm, NULL, batch, 5, &b), NF_OK);
    nf_tensor x;
    assert_int_equal(nf_tensor_alloc(&x, 2, batch, 3, 4), NF_OK);
    int *seen = calloc((size_t)ds->n, sizeof *seen);
    assert_int_equal(nf_batcher_batches(b), (ds->n + batch - 1) / batch);
    for (int epoch = 0; epoch < 3; epoch++) {
        nf_batcher_start_epoch(b, epoch, 1);
        memset(seen, 0, (size_t)ds->n * sizeof *seen);
        int k, total = 0, batches = 0;
        while ((k = nf_batcher_next(b, &x, labels)) > 0) {
            assert_true(k == batch || total + k == ds->n);
            const int *idx = nf_batcher_indices(b);
            for (int i = 0; i < k; i++) {
                seen[idx[i]]++;
                assert_int_equal(labels[i], ds->labels[idx[i]]);
                for (int c = 0; c < 2; c++)
                    for (int q = 0; q < 12; q++) {
                        float got = x.data[((size_t)c * k + i) * 12 + q]; /* packed for k */
                        assert_float_equal(got, expected_value(&norm, c, nf_ds_image(ds, idx[i])[c * 12 + q]), 1e-6);
                    }
            }
            total += k;
            batches++;
        }
        assert_int_equal(k, 0);
        assert_int_equal(total, ds->n);
        assert_int_equal(batches, nf_batcher_batches(b));
        for (int i = 0; i < ds->n; i++) assert_int_equal(seen[i], 1);
        assert_int_equal(nf_batcher_next(b, &x, labels), 0); /* stays at the end */
    }
    free(seen);
    nf_tensor_free(&x);
    nf_batcher_destroy(b);
    nf_ds_destroy(ds);
}

/* The data set order of one epoch's images. */
static void epoch_order(nf_batcher *b, nf_tensor *x, int epoch, int shuffle, int *order)
{
    nf_batcher_start_epoch(b, epoch, shuffle);
    int k, at = 0;
    while ((k = nf_batcher_next(b, x, NULL)) > 0) {
        memcpy(order + at, nf_batcher_indices(b), (size_t)k * sizeof *order);
        at += k;
    }
}

static void shuffle_is_deterministic_per_epoch(void **state)
{
    (void)state;
    nf_dataset *ds = synthetic(4);
    nf_batcher *b, *b2;
    assert_int_equal(nf_batcher_create(ds, NULL, NULL, 10, 42, &b), NF_OK);
    assert_int_equal(nf_batcher_create(ds, NULL, NULL, 10, 42, &b2), NF_OK);
    nf_tensor x;
    assert_int_equal(nf_tensor_alloc(&x, 2, 10, 3, 4), NF_OK);
    int n = ds->n, *o1 = malloc(n * sizeof *o1), *o2 = malloc(n * sizeof *o2);
    epoch_order(b, &x, 0, 0, o1);
    for (int i = 0; i < n; i++) assert_int_equal(o1[i], i);
    epoch_order(b, &x, 3, 1, o1);
    epoch_order(b2, &x, 1, 1, o2);
    assert_memory_not_equal(o1, o2, n * sizeof *o1);
    epoch_order(b2, &x, 3, 1, o2); /* replaying epoch 3 on another batcher */
    assert_memory_equal(o1, o2, n * sizeof *o1);
    free(o1);
    free(o2);
    nf_tensor_free(&x);
    nf_batcher_destroy(b);
    nf_batcher_destroy(b2);
    nf_ds_destroy(ds);
}

/* Whether out (h x w floats of channel c) is image src shifted by some
 * (dy, dx) in [-s, s] and maybe mirrored, with normalised black outside. */
static int is_augmented_copy(const float *out, const uint8_t *src, int h, int w, int s, int flip_ok,
                             const nf_ds_norm *n, int c)
{
    for (int f = 0; f <= flip_ok; f++)
        for (int dy = -s; dy <= s; dy++)
            for (int dx = -s; dx <= s; dx++) {
                int match = 1;
                for (int y = 0; y < h && match; y++)
                    for (int x = 0; x < w && match; x++) {
                        int sy = y + dy, sx = (f ? w - 1 - x : x) + dx;
                        uint8_t v = sy < 0 || sy >= h || sx < 0 || sx >= w ? 0 : src[sy * w + sx];
                        match = fabsf(out[y * w + x] - expected_value(n, c, v)) < 1e-6f;
                    }
                if (match) return 1;
            }
    return 0;
}

static void augmentation_only_when_on(void **state)
{
    const nf_ds_pair *p = *state;
    const nf_dataset *ds = p->train;
    nf_ds_norm norm = nf_ds_normalization(ds);
    nf_augment aug = nf_augment_defaults();
    assert_int_equal(aug.shift, 0);
    assert_int_equal(aug.flip, 0);
    nf_batcher *plain, *augmented;
    assert_int_equal(nf_batcher_create(ds, &norm, &aug, 64, 9, &plain), NF_OK);
    aug.shift = 2;
    aug.flip = 1;
    assert_int_equal(nf_batcher_create(ds, &norm, &aug, 64, 9, &augmented), NF_OK);
    nf_tensor x, y;
    assert_int_equal(nf_tensor_alloc(&x, 1, 64, 28, 28), NF_OK);
    assert_int_equal(nf_tensor_alloc(&y, 1, 64, 28, 28), NF_OK);
    int la[64], lb[64], changed = 0;
    for (int epoch = 0; epoch < 2; epoch++) {
        nf_batcher_start_epoch(plain, epoch, 1);
        nf_batcher_start_epoch(augmented, epoch, 1);
        for (int batch = 0; batch < 4; batch++) {
            assert_int_equal(nf_batcher_next(plain, &x, la), 64);
            assert_int_equal(nf_batcher_next(augmented, &y, lb), 64);
            assert_memory_equal(la, lb, sizeof la); /* same order, same labels */
            const int *idx = nf_batcher_indices(augmented);
            for (int i = 0; i < 64; i++) {
                const float *xi = x.data + (size_t)i * 784, *yi = y.data + (size_t)i * 784;
                assert_true(is_augmented_copy(xi, nf_ds_image(ds, idx[i]), 28, 28, 0, 0, &norm, 0));
                assert_true(is_augmented_copy(yi, nf_ds_image(ds, idx[i]), 28, 28, 2, 1, &norm, 0));
                changed += memcmp(xi, yi, 784 * sizeof *xi) != 0;
            }
        }
    }
    assert_true(changed > 400); /* 1 - 1/50 of 512 images expected to change */
    x.n = 63;
    fx_expect_error((nf_status)(nf_batcher_next(plain, &x, la) == -1 ? NF_ERR_ARG : NF_OK), NF_ERR_ARG,
                    "does not fit", NULL);
    nf_tensor_free(&x);
    nf_tensor_free(&y);
    nf_batcher_destroy(plain);
    nf_batcher_destroy(augmented);
}

static void batcher_rejects_bad_arguments(void **state)
{
    (void)state;
    nf_dataset *ds = synthetic(2);
    nf_batcher *b;
    nf_ds_norm n1 = nf_ds_norm_identity(1);
    nf_augment big = {.shift = 4, .flip = 0};
    fx_expect_error(nf_batcher_create(ds, &n1, NULL, 8, 1, &b), NF_ERR_ARG, "channels", NULL);
    fx_expect_error(nf_batcher_create(ds, NULL, NULL, 0, 1, &b), NF_ERR_ARG, "batch size", NULL);
    fx_expect_error(nf_batcher_create(ds, NULL, &big, 8, 1, &b), NF_ERR_ARG, "shift", NULL);
    assert_null(b);
    nf_batcher_destroy(NULL);
    nf_ds_destroy(ds);
}

/* ---- nasfit data ---- */

/* Runs the command with its output thrown away (the tests check the exit
 * status and nf_last_error()). */
static int quiet_data(int argc, char **argv)
{
    fflush(stdout);
    fflush(stderr);
    int out = dup(1), err = dup(2), null = open("/dev/null", O_WRONLY);
    assert_true(out >= 0 && err >= 0 && null >= 0);
    dup2(null, 1);
    dup2(null, 2);
    int rc = nf_cmd_data(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(out, 1);
    dup2(err, 2);
    close(out);
    close(err);
    close(null);
    return rc;
}

static void data_command(void **state)
{
    (void)state;
    char *dir = fx_tmpdir();
    fx_idx_pair(dir, "train", 40, 4, 4, 10, 1);
    char *ok[] = {"data", dir, "--val-fraction", "0.25", "--seed", "3", "--train-limit", "20"};
    assert_int_equal(quiet_data(8, ok), 0);
    char *help[] = {"data", "--help"};
    assert_int_equal(quiet_data(2, help), 0);
    char *missing[] = {"data", "/nonexistent/nasfit-data"};
    assert_int_equal(quiet_data(2, missing), 2);
    assert_non_null(strstr(nf_last_error(), "/nonexistent/nasfit-data"));
    char *bad_opt[] = {"data", dir, "--val-fraction", "1.5"};
    assert_int_equal(quiet_data(4, bad_opt), 1);
    char *bad_size[] = {"data", dir, "--size", "12"};
    assert_int_equal(quiet_data(4, bad_size), 1);
    char *huge_size[] = {"data", dir, "--size", "60000x60000"};
    assert_int_equal(quiet_data(4, huge_size), 2);
    assert_non_null(strstr(nf_last_error(), "fixed image size"));
    char *unknown[] = {"data", "--frobnicate", "1"};
    assert_int_equal(quiet_data(3, unknown), 1);
    fx_write(fx_path(dir, "train-labels-idx1-ubyte.gz"), "garbage", 7);
    char *corrupt[] = {"data", dir};
    assert_int_equal(quiet_data(2, corrupt), 2);
    fx_rm_rf(dir);
}

int main(void)
{
    const struct CMUnitTest synthetic_tests[] = {
        cmocka_unit_test(split_is_a_stratified_partition),
        cmocka_unit_test(subsample_keeps_class_shares),
        cmocka_unit_test(normalisation_of_train_only),
        cmocka_unit_test(prepare_normalises_the_training_part),
        cmocka_unit_test(batches_hold_the_right_images),
        cmocka_unit_test(shuffle_is_deterministic_per_epoch),
        cmocka_unit_test(batcher_rejects_bad_arguments),
        cmocka_unit_test(data_command),
    };
    const struct CMUnitTest fmnist_tests[] = {
        cmocka_unit_test(fmnist_shape_classes_balance),
        cmocka_unit_test(fmnist_split_and_subsample),
        cmocka_unit_test(augmentation_only_when_on),
    };
    int failed = cmocka_run_group_tests_name("datasets", synthetic_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("fashion-mnist", fmnist_tests, load_fmnist, free_fmnist);
    return failed;
}
