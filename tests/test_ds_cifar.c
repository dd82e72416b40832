/* CIFAR-10/100 binary batches: good directories and files, and malformed
 * ones rejected with the file's name and the problem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/ds_fixtures.h"

static int setup(void **state) { *state = fx_tmpdir(); return 0; }
static int teardown(void **state) { fx_rm_rf(*state); return 0; }

static void cifar10_directory(void **state)
{
    const char *dir = *state;
    fx_cifar_file(fx_path(dir, "data_batch_1.bin"), 7, 1);
    fx_cifar_file(fx_path(dir, "data_batch_2.bin"), 5, 1);
    fx_cifar_file(fx_path(dir, "test_batch.bin"), 4, 1);
    fx_write(fx_path(dir, "batches.meta.txt"), "airplane\n", 9);
    nf_ds_pair p;
    assert_int_equal(nf_ds_load(dir, NULL, &p), NF_OK);
    assert_string_equal(nf_ds_format(p.train), "cifar-10");
    assert_int_equal(p.train->n, 12);
    assert_int_equal(p.train->c, 3);
    assert_int_equal(p.train->h, 32);
    assert_int_equal(p.train->w, 32);
    assert_int_equal(p.train->n_classes, 10);
    assert_string_equal(nf_ds_class_name(p.train, 0), "airplane");
    assert_string_equal(nf_ds_class_name(p.train, 9), "truck");
    /* Batch 2's first record follows batch 1's seven, planes in R, G, B order. */
    assert_int_equal(nf_ds_label(p.train, 7), 0);
    assert_int_equal(nf_ds_image(p.train, 7)[1024], (uint8_t)1024);
    assert_int_equal(nf_ds_label(p.train, 6), 6);
    assert_int_equal(nf_ds_image(p.train, 6)[3071], (uint8_t)(6 + 3071));
    assert_int_equal(p.test->n, 4);
    assert_int_equal(nf_ds_label(p.test, 3), 3);
    nf_ds_pair_free(&p);
}

static void cifar100_directory_and_names(void **state)
{
    const char *dir = *state;
    fx_cifar_file(fx_path(dir, "train.bin"), 150, 2);
    fx_cifar_file(fx_path(dir, "test.bin"), 10, 2);
    FILE *f = fopen(fx_path(dir, "fine_label_names.txt"), "w");
    for (int k = 0; k < 100; k++) fprintf(f, "name%d\n", k);
    fclose(f);
    nf_ds_pair p;
    assert_int_equal(nf_ds_load(dir, NULL, &p), NF_OK);
    assert_string_equal(nf_ds_format(p.train), "cifar-100");
    assert_int_equal(p.train->n_classes, 100);
    assert_int_equal(p.train->n, 150);
    assert_int_equal(nf_ds_label(p.train, 123), 23); /* the fine label */
    assert_string_equal(nf_ds_class_name(p.train, 42), "name42");
    assert_string_equal(nf_ds_class_name(p.test, 42), "name42");
    nf_ds_pair_free(&p);
}

static void parent_of_the_unpacked_archive(void **state)
{
    const char *dir = *state;
    fx_mkdir(dir, "cifar-10-batches-bin");
    fx_cifar_file(fx_path(dir, "cifar-10-batches-bin/data_batch_1.bin"), 3, 1);
    fx_cifar_file(fx_path(dir, "cifar-10-batches-bin/test_batch.bin"), 2, 1);
    nf_ds_pair p;
    assert_int_equal(nf_ds_load(dir, NULL, &p), NF_OK);
    assert_int_equal(p.train->n, 3);
    assert_int_equal(p.test->n, 2);
    nf_ds_pair_free(&p);
}

static void single_file(void **state)
{
    const char *dir = *state;
    fx_cifar_file(fx_path(dir, "data_batch_3.bin"), 3, 1);
    nf_ds_pair p;
    assert_int_equal(nf_ds_load(fx_path(dir, "data_batch_3.bin"), NULL, &p), NF_OK);
    assert_int_equal(p.train->n, 3);
    assert_null(p.test);
    nf_ds_pair_free(&p);
}

static void length_not_multiple_of_record(void **state)
{
    const char *dir = *state;
    size_t len;
    uint8_t *b = fx_cifar(3, 1, &len);
    const char *path = fx_path(dir, "data_batch_1.bin");
    fx_write(path, b, len - 100);
    nf_ds_pair p;
    fx_expect_error(nf_ds_load(dir, NULL, &p), NF_ERR_FORMAT, path,
                    "not a multiple of the 3073-byte CIFAR-10 record (2 whole records, then 2973 bytes)");
    assert_null(p.train);
    fx_write(path, b, 0);
    fx_expect_error(nf_ds_load(dir, NULL, &p), NF_ERR_FORMAT, path, "empty file");
    free(b);
    /* A CIFAR-10 file is not a whole number of CIFAR-100 records either way. */
    fx_rm_tree(path);
    b = fx_cifar(3, 1, &len);
    fx_write(fx_path(dir, "train.bin"), b, len);
    fx_expect_error(nf_ds_load(dir, NULL, &p), NF_ERR_FORMAT, "train.bin", "3074-byte CIFAR-100 record");
    free(b);
}

static void labels_out_of_range(void **state)
{
    const char *dir = *state;
    size_t len;
    uint8_t *b = fx_cifar(3, 1, &len);
    b[2 * 3073] = 10;
    const char *path = fx_path(dir, "data_batch_1.bin");
    fx_write(path, b, len);
    nf_ds_pair p;
    fx_expect_error(nf_ds_load(dir, NULL, &p), NF_ERR_FORMAT, path,
                    "record 2 (offset 6146): label 10 out of range [0, 10)");
    free(b);
    fx_cifar_file(path, 3, 1);
    b = fx_cifar(3, 1, &len);
    b[0] = 255;
    fx_write(fx_path(dir, "test_batch.bin"), b, len);
    fx_expect_error(nf_ds_load(dir, NULL, &p), NF_ERR_FORMAT, "test_batch.bin", "label 255");
    free(b);
}

static void cifar100_labels_out_of_range(void **state)
{
    const char *dir = *state;
    size_t len;
    uint8_t *b = fx_cifar(2, 2, &len);
    b[3074 + 1] = 100;
    fx_write(fx_path(dir, "train.bin"), b, len);
    nf_ds_pair p;
    fx_expect_error(nf_ds_load(dir, NULL, &p), NF_ERR_FORMAT, "train.bin", "fine label 100 out of range");
    free(b);
}

static void no_training_batches(void **state)
{
    const char *dir = *state;
    fx_cifar_file(fx_path(dir, "test_batch.bin"), 2, 1);
    nf_ds_pair p;
    fx_expect_error(nf_ds_load(dir, NULL, &p), NF_ERR_FORMAT, dir, "no training batches");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(cifar10_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(cifar100_directory_and_names, setup, teardown),
        cmocka_unit_test_setup_teardown(parent_of_the_unpacked_archive, setup, teardown),
        cmocka_unit_test_setup_teardown(single_file, setup, teardown),
        cmocka_unit_test_setup_teardown(length_not_multiple_of_record, setup, teardown),
        cmocka_unit_test_setup_teardown(labels_out_of_range, setup, teardown),
        cmocka_unit_test_setup_teardown(cifar100_labels_out_of_range, setup, teardown),
        cmocka_unit_test_setup_teardown(no_training_batches, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
