/* IDX loading: good files (plain, gzip, with and without a test set) and
 * every kind of malformed file, each rejected with its name and problem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/ds_fixtures.h"

static int setup(void **state) { *state = fx_tmpdir(); return 0; }
static int teardown(void **state) { fx_rm_rf(*state); return 0; }

static void loads_plain_and_gz_with_test_set(void **state)
{
    const char *dir = *state;
    fx_idx_pair(dir, "train", 30, 5, 4, 10, 0);
    fx_idx_pair(dir, "t10k", 20, 5, 4, 10, 1);
    nf_ds_pair p;
    assert_int_equal(nf_ds_load(dir, NULL, &p), NF_OK);
    assert_string_equal(nf_ds_format(p.train), "idx");
    assert_int_equal(p.train->n, 30);
    assert_int_equal(p.train->c, 1);
    assert_int_equal(p.train->h, 5);
    assert_int_equal(p.train->w, 4);
    assert_int_equal(p.train->n_classes, 10);
    assert_string_equal(nf_ds_class_name(p.train, 3), "3");
    assert_non_null(p.test);
    assert_int_equal(p.test->n, 20);
    for (int i = 0; i < 30; i++) {
        assert_int_equal(nf_ds_label(p.train, i), i % 10);
        for (int q = 0; q < 20; q++) assert_int_equal(nf_ds_image(p.train, i)[q], (uint8_t)(i * 7 + q));
    }
    for (int i = 0; i < 20; i++) assert_int_equal(nf_ds_image(p.test, i)[19], (uint8_t)(i * 7 + 19));
    nf_ds_pair_free(&p);
    nf_ds_pair_free(&p); /* zeroed: harmless */
}

static void no_test_set_and_load_test_off(void **state)
{
    const char *dir = *state;
    fx_idx_pair(dir, "train", 12, 3, 3, 4, 1);
    nf_ds_pair p;
    assert_int_equal(nf_ds_load(dir, NULL, &p), NF_OK);
    assert_null(p.test);
    assert_int_equal(p.train->n_classes, 10); /* digits by default */
    nf_ds_pair_free(&p);
    fx_idx_pair(dir, "t10k", 4, 3, 3, 4, 1);
    nf_ds_load_options opt = nf_ds_load_defaults();
    opt.load_test = 0;
    assert_int_equal(nf_ds_load(dir, &opt, &p), NF_OK);
    assert_null(p.test);
    nf_ds_pair_free(&p);
}

static void many_classes_from_labels(void **state)
{
    const char *dir = *state;
    fx_idx_pair(dir, "emnist-balanced-train", 47 * 2, 4, 4, 47, 0);
    nf_ds_pair p;
    assert_int_equal(nf_ds_load(dir, NULL, &p), NF_OK);
    assert_int_equal(p.train->n_classes, 47);
    nf_ds_pair_free(&p);
}

static void fashion_names_and_single_file(void **state)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/Fashion-MNIST", (char *)*state);
    assert_int_equal(mkdir(dir, 0755), 0);
    fx_idx_pair(dir, "train", 10, 2, 2, 10, 1);
    nf_ds_pair p;
    assert_int_equal(nf_ds_load(dir, NULL, &p), NF_OK);
    assert_string_equal(nf_ds_class_name(p.train, 0), "T-shirt/top");
    assert_string_equal(nf_ds_class_name(p.train, 9), "Ankle boot");
    nf_ds_pair_free(&p);
    assert_int_equal(nf_ds_load(fx_path(dir, "train-images-idx3-ubyte.gz"), NULL, &p), NF_OK);
    assert_int_equal(p.train->n, 10);
    assert_string_equal(nf_ds_class_name(p.train, 7), "Sneaker");
    assert_null(p.test);
    nf_ds_pair_free(&p);
}

static void missing_files(void **state)
{
    const char *dir = *state;
    nf_ds_pair p;
    const char *nowhere = fx_path(dir, "nowhere");
    fx_expect_error(nf_ds_load(nowhere, NULL, &p), NF_ERR_IO, nowhere, "No such file");
    assert_null(p.train);
    size_t len;
    uint8_t *b = fx_idx_images(3, 2, 2, &len);
    fx_write(fx_path(dir, "train-images-idx3-ubyte"), b, len);
    free(b);
    fx_expect_error(nf_ds_load(dir, NULL, &p), NF_ERR_IO, "train-labels-idx1-ubyte", "missing");
    fx_expect_error(nf_ds_load(fx_path(dir, "train-images-idx3-ubyte"), NULL, &p), NF_ERR_IO,
                    "train-labels-idx1-ubyte", "missing");
    fx_idx_pair(dir, "train", 3, 2, 2, 3, 0);
    b = fx_idx_images(3, 2, 2, &len);
    fx_write(fx_path(dir, "t10k-images-idx3-ubyte"), b, len);
    free(b);
    fx_expect_error(nf_ds_load(dir, NULL, &p), NF_ERR_IO, "t10k-labels-idx1-ubyte", "missing");
}

/* Writes a train pair, then replaces one file with `bytes` and expects the error. */
static void expect_bad(const char *dir, int labels_file, const uint8_t *bytes, size_t len,
                       const char *needle)
{
    fx_idx_pair(dir, "train", 6, 3, 2, 3, 0);
    const char *path = fx_path(dir, labels_file ? "train-labels-idx1-ubyte" : "train-images-idx3-ubyte");
    fx_write(path, bytes, len);
    nf_ds_pair p;
    fx_expect_error(nf_ds_load(dir, NULL, &p), NF_ERR_FORMAT, path, needle);
    assert_null(p.train);
    assert_null(p.test);
}

static void bad_magic_and_dimensions(void **state)
{
    const char *dir = *state;
    size_t len;
    uint8_t *b = fx_idx_images(6, 3, 2, &len);
    b[2] = 0x0d; /* float data */
    expect_bad(dir, 0, b, len, "bad IDX magic");
    b[2] = 8;
    b[0] = 1;
    expect_bad(dir, 0, b, len, "bad IDX magic");
    b[0] = 0;
    b[3] = 2;
    expect_bad(dir, 0, b, len, "need 3 dimensions");
    free(b);
    b = fx_idx_labels(6, 3, &len);
    b[3] = 3;
    expect_bad(dir, 1, b, len, "need 1 dimension");
    expect_bad(dir, 1, b, 2, "too short");
    expect_bad(dir, 1, b, 0, "too short");
    free(b);
}

static void sizes_disagree_with_length(void **state)
{
    const char *dir = *state;
    size_t len;
    uint8_t *b = fx_idx_images(6, 3, 2, &len);
    expect_bad(dir, 0, b, len - 1, "need 36 data bytes");
    expect_bad(dir, 0, b, 12, "shorter than the 16-byte IDX header");
    uint8_t *longer = calloc(len + 5, 1);
    memcpy(longer, b, len);
    expect_bad(dir, 0, longer, len + 5, "the file has 41");
    fx_be32(b + 4, 0xffffffffu); /* absurd count: checked against the length, never allocated */
    expect_bad(dir, 0, b, len, "dimension 0");
    fx_be32(b + 4, 0x7fffffffu);
    fx_be32(b + 8, 0x7fffffffu);
    fx_be32(b + 12, 0x7fffffffu);
    expect_bad(dir, 0, b, len, "overflow");
    free(longer);
    free(b);
}

static void label_count_and_range(void **state)
{
    const char *dir = *state;
    size_t len;
    uint8_t *b = fx_idx_labels(5, 3, &len);
    expect_bad(dir, 1, b, len, "5 labels, but");
    free(b);
    /* Fashion-MNIST has 10 classes: label 12 is out of range. */
    char fdir[1024];
    snprintf(fdir, sizeof fdir, "%s/fashion", dir);
    assert_int_equal(mkdir(fdir, 0755), 0);
    fx_idx_pair(fdir, "train", 6, 3, 2, 3, 0);
    b = fx_idx_labels(6, 3, &len);
    b[8 + 4] = 12;
    fx_write(fx_path(fdir, "train-labels-idx1-ubyte"), b, len);
    nf_ds_pair p;
    fx_expect_error(nf_ds_load(fdir, NULL, &p), NF_ERR_FORMAT, "train-labels-idx1-ubyte",
                    "label 12 of item 4 (offset 12) out of range [0, 10)");
    free(b);
    /* A test label beyond the training classes. */
    fx_idx_pair(dir, "train", 6, 3, 2, 3, 0);
    fx_idx_pair(dir, "t10k", 4, 3, 2, 3, 0);
    b = fx_idx_labels(4, 3, &len);
    b[8 + 1] = 200;
    fx_write(fx_path(dir, "t10k-labels-idx1-ubyte"), b, len);
    fx_expect_error(nf_ds_load(dir, NULL, &p), NF_ERR_FORMAT, "t10k-labels-idx1-ubyte",
                    "label 200 of item 1");
    free(b);
    /* A test set whose images have another size. */
    fx_idx_pair(dir, "t10k", 4, 2, 3, 3, 0);
    fx_expect_error(nf_ds_load(dir, NULL, &p), NF_ERR_FORMAT, "t10k-images-idx3-ubyte", "images are 2x3");
}

static void truncated_and_corrupt_gzip(void **state)
{
    const char *dir = *state;
    fx_idx_pair(dir, "train", 40, 8, 8, 10, 1);
    const char *path = fx_path(dir, "train-images-idx3-ubyte.gz");
    size_t len;
    uint8_t *gz = fx_read(path, &len);
    nf_ds_pair p;
    fx_write(path, gz, len / 2);
    fx_expect_error(nf_ds_load(dir, NULL, &p), NF_ERR_FORMAT, path, "truncated gzip stream");
    fx_write(path, gz, len - 4); /* the length trailer missing */
    fx_expect_error(nf_ds_load(dir, NULL, &p), NF_ERR_FORMAT, path, "gzip");
    gz[len - 6] ^= 0x55; /* the CRC trailer wrong */
    fx_write(path, gz, len);
    fx_expect_error(nf_ds_load(dir, NULL, &p), NF_ERR_FORMAT, path, "corrupt gzip stream");
    free(gz);
}

static void ambiguous_directory(void **state)
{
    const char *dir = *state;
    fx_idx_pair(dir, "a-train", 4, 2, 2, 2, 0);
    fx_idx_pair(dir, "b-train", 4, 2, 2, 2, 0);
    nf_ds_pair p;
    fx_expect_error(nf_ds_load(dir, NULL, &p), NF_ERR_FORMAT, dir, "several IDX data sets");
    assert_int_equal(nf_ds_load(fx_path(dir, "b-train-images-idx3-ubyte"), NULL, &p), NF_OK);
    nf_ds_pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(loads_plain_and_gz_with_test_set, setup, teardown),
        cmocka_unit_test_setup_teardown(no_test_set_and_load_test_off, setup, teardown),
        cmocka_unit_test_setup_teardown(many_classes_from_labels, setup, teardown),
        cmocka_unit_test_setup_teardown(fashion_names_and_single_file, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_files, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_magic_and_dimensions, setup, teardown),
        cmocka_unit_test_setup_teardown(sizes_disagree_with_length, setup, teardown),
        cmocka_unit_test_setup_teardown(label_count_and_range, setup, teardown),
        cmocka_unit_test_setup_teardown(truncated_and_corrupt_gzip, setup, teardown),
        cmocka_unit_test_setup_teardown(ambiguous_directory, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
