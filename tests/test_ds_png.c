/* PNG class folders: every colour type and bit depth decoded to the right
 * values, fixed-size crop/pad, train/test layout, and malformed input
 * (bad CRC, truncation, mixed sizes, empty folders) rejected by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/ds_fixtures.h"

static int setup(void **state) { *state = fx_tmpdir(); return 0; }
static int teardown(void **state) { fx_rm_rf(*state); return 0; }

/* root/cat and root/dog with one w x h image each of the given type. */
static void two_classes(const char *root, int color_type, int depth, int interlace, int w, int h)
{
    fx_mkdir(root, "cat");
    fx_mkdir(root, "dog");
    fx_png(fx_path(root, "cat/a.png"), w, h, color_type, depth, interlace, fx_gradient);
    fx_png(fx_path(root, "dog/b.png"), w, h, color_type, depth, interlace, fx_gradient);
}

/* Loads root and checks shape, names and the value of every pixel against
 * expect(y, x, channel). */
static void check_decoded(const char *root, int c, int w, int h, int (*expect)(int, int, int))
{
    nf_ds_pair p;
    nf_status st = nf_ds_load(root, NULL, &p);
    if (st) fail_msg("%s", nf_last_error());
    assert_string_equal(nf_ds_format(p.train), "png-folder");
    assert_int_equal(p.train->n, 2);
    assert_int_equal(p.train->c, c);
    assert_int_equal(p.train->h, h);
    assert_int_equal(p.train->w, w);
    assert_int_equal(p.train->n_classes, 2);
    assert_string_equal(nf_ds_class_name(p.train, 0), "cat");
    assert_string_equal(nf_ds_class_name(p.train, 1), "dog");
    assert_int_equal(nf_ds_label(p.train, 1), 1);
    assert_null(p.test);
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < c; k++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    if (nf_ds_image(p.train, i)[(k * h + y) * w + x] != expect(y, x, k))
                        fail_msg("image %d channel %d (%d,%d): %d, expected %d", i, k, y, x,
                                 nf_ds_image(p.train, i)[(k * h + y) * w + x], expect(y, x, k));
    nf_ds_pair_free(&p);
}

static int gray_of_first(int y, int x, int k) { (void)k; return fx_gradient(y, x, 0); }
static int palette_rgb(int y, int x, int k)
{
    int v = fx_gradient(y, x, 0);
    return k == 0 ? v : k == 1 ? 255 - v : v / 2;
}
static int depth_bits;
static int low_depth_gray(int y, int x, int k)
{
    (void)k;
    int max = (1 << depth_bits) - 1;
    return (fx_gradient(y, x, 0) >> (8 - depth_bits)) * 255 / max;
}

static void gray_and_gray_alpha(void **state)
{
    char root[1024];
    snprintf(root, sizeof root, "%s/g8", (char *)*state);
    mkdir(root, 0755);
    two_classes(root, PNG_COLOR_TYPE_GRAY, 8, 0, 7, 5);
    check_decoded(root, 1, 7, 5, fx_gradient);
    snprintf(root, sizeof root, "%s/ga", (char *)*state);
    mkdir(root, 0755);
    two_classes(root, PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0, 7, 5);
    check_decoded(root, 1, 7, 5, gray_of_first);
    snprintf(root, sizeof root, "%s/g16", (char *)*state);
    mkdir(root, 0755);
    two_classes(root, PNG_COLOR_TYPE_GRAY, 16, 1, 9, 6);
    check_decoded(root, 1, 9, 6, fx_gradient);
}

static void low_bit_depth_gray(void **state)
{
    static const int depths[3] = {1, 2, 4};
    for (int d = 0; d < 3; d++) {
        char root[1024];
        snprintf(root, sizeof root, "%s/g%d", (char *)*state, depths[d]);
        mkdir(root, 0755);
        two_classes(root, PNG_COLOR_TYPE_GRAY, depths[d], d == 1, 11, 3);
        depth_bits = depths[d];
        check_decoded(root, 1, 11, 3, low_depth_gray);
    }
}

static void rgb_rgba_palette_16bit_interlaced(void **state)
{
    struct { int type, depth, interlace; int (*expect)(int, int, int); } cases[] = {
        {PNG_COLOR_TYPE_RGB, 8, 0, fx_gradient},
        {PNG_COLOR_TYPE_RGB_ALPHA, 8, 0, fx_gradient},
        {PNG_COLOR_TYPE_RGB, 16, 0, fx_gradient},
        {PNG_COLOR_TYPE_RGB_ALPHA, 16, 1, fx_gradient},
        {PNG_COLOR_TYPE_RGB, 8, 1, fx_gradient},
        {PNG_COLOR_TYPE_PALETTE, 8, 0, palette_rgb},
        {PNG_COLOR_TYPE_PALETTE, 8, 1, palette_rgb},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char root[1024];
        snprintf(root, sizeof root, "%s/c%zu", (char *)*state, i);
        mkdir(root, 0755);
        two_classes(root, cases[i].type, cases[i].depth, cases[i].interlace, 10, 9);
        check_decoded(root, 3, 10, 9, cases[i].expect);
    }
}

static void gray_and_colour_mixed_become_rgb(void **state)
{
    const char *root = *state;
    fx_mkdir(root, "a");
    fx_mkdir(root, "b");
    fx_png(fx_path(root, "a/1.png"), 4, 4, PNG_COLOR_TYPE_GRAY, 8, 0, fx_gradient);
    fx_png(fx_path(root, "b/1.png"), 4, 4, PNG_COLOR_TYPE_RGB, 8, 0, fx_gradient);
    nf_ds_pair p;
    assert_int_equal(nf_ds_load(root, NULL, &p), NF_OK);
    assert_int_equal(p.train->c, 3);
    const uint8_t *g = nf_ds_image(p.train, 0);
    for (int q = 0; q < 16; q++) {
        assert_int_equal(g[q], g[16 + q]);
        assert_int_equal(g[q], g[32 + q]);
    }
    nf_ds_pair_free(&p);
}

static void mixed_sizes_and_fixed_size(void **state)
{
    const char *root = *state;
    fx_mkdir(root, "a");
    fx_mkdir(root, "b");
    fx_png_gray(fx_path(root, "a/1.png"), 6, 4); /* w 6, h 4 */
    fx_png_gray(fx_path(root, "b/1.png"), 3, 5);
    nf_ds_pair p;
    fx_expect_error(nf_ds_load(root, NULL, &p), NF_ERR_FORMAT, fx_path(root, "b/1.png"),
                    "image is 5x3 but");
    assert_non_null(strstr(nf_last_error(), "a/1.png is 4x6"));
    nf_ds_load_options opt = nf_ds_load_defaults();
    opt.height = 4;
    opt.width = 4;
    assert_int_equal(nf_ds_load(root, &opt, &p), NF_OK);
    assert_int_equal(p.train->h, 4);
    assert_int_equal(p.train->w, 4);
    /* a: 4x6 cropped by one column each side. */
    const uint8_t *a = nf_ds_image(p.train, 0), *b = nf_ds_image(p.train, 1);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++) assert_int_equal(a[y * 4 + x], fx_gradient(y, x + 1, 0));
    /* b: 5x3 padded to 4 columns (column 3 black), rows 0..3 of 5 taken. */
    for (int y = 0; y < 4; y++) {
        for (int x = 0; x < 3; x++) assert_int_equal(b[y * 4 + x], fx_gradient(y, x, 0));
        assert_int_equal(b[y * 4 + 3], 0);
    }
    nf_ds_pair_free(&p);
    opt.height = 0;
    fx_expect_error(nf_ds_load(root, &opt, &p), NF_ERR_ARG, "fixed image size", NULL);
}

static void empty_folders(void **state)
{
    const char *root = *state;
    nf_ds_pair p;
    fx_expect_error(nf_ds_load(root, NULL, &p), NF_ERR_FORMAT, root, "empty data set");
    fx_mkdir(root, "a");
    fx_mkdir(root, "b");
    fx_png_gray(fx_path(root, "a/1.png"), 3, 3);
    fx_write(fx_path(root, "b/notes.txt"), "x", 1);
    fx_expect_error(nf_ds_load(root, NULL, &p), NF_ERR_FORMAT, fx_path(root, "b"), "empty class folder");
    assert_null(p.train);
}

/* Offset of the first chunk of the given type in a PNG file's bytes. */
static size_t chunk_at(const uint8_t *b, size_t len, const char *type)
{
    for (size_t at = 8; at + 8 <= len;) {
        uint32_t n = (uint32_t)b[at] << 24 | (uint32_t)b[at + 1] << 16 | (uint32_t)b[at + 2] << 8 | b[at + 3];
        if (!memcmp(b + at + 4, type, 4)) return at;
        at += 12 + n;
    }
    fail_msg("no %s chunk", type);
    return 0;
}

static void bad_crc_truncated_not_png(void **state)
{
    const char *root = *state;
    fx_mkdir(root, "a");
    const char *path = fx_path(root, "a/1.png");
    fx_png(path, 16, 16, PNG_COLOR_TYPE_RGB, 8, 0, fx_gradient);
    size_t len;
    uint8_t *good = fx_read(path, &len), *b = malloc(len);
    nf_ds_pair p;
    /* A wrong CRC on the image data. */
    memcpy(b, good, len);
    size_t idat = chunk_at(b, len, "IDAT");
    uint32_t n = (uint32_t)b[idat + 2] << 8 | b[idat + 3];
    b[idat + 8 + n] ^= 0x04;
    fx_write(path, b, len);
    fx_expect_error(nf_ds_load(root, NULL, &p), NF_ERR_FORMAT, path, "IDAT: CRC error");
    /* A flipped bit in the compressed data: whichever check trips first. */
    memcpy(b, good, len);
    b[idat + 10] ^= 0x04;
    fx_write(path, b, len);
    fx_expect_error(nf_ds_load(root, NULL, &p), NF_ERR_FORMAT, path, "bad PNG");
    /* The same in the header. */
    memcpy(b, good, len);
    b[chunk_at(b, len, "IHDR") + 8 + 3] ^= 0x01;
    fx_write(path, b, len);
    fx_expect_error(nf_ds_load(root, NULL, &p), NF_ERR_FORMAT, path, "CRC error");
    /* Cut in the middle of the image data, and just before IEND. */
    fx_write(path, good, chunk_at(good, len, "IDAT") + 20);
    fx_expect_error(nf_ds_load(root, NULL, &p), NF_ERR_FORMAT, path, "truncated");
    fx_write(path, good, len - 12);
    fx_expect_error(nf_ds_load(root, NULL, &p), NF_ERR_FORMAT, path, "truncated");
    fx_write(path, good, 5);
    fx_expect_error(nf_ds_load(root, NULL, &p), NF_ERR_FORMAT, path, "not a PNG file");
    fx_write(path, "GIF89a......", 12);
    fx_expect_error(nf_ds_load(root, NULL, &p), NF_ERR_FORMAT, path, "not a PNG file");
    /* Unknown and ancillary chunks are skipped, but their CRC still counts. */
    fx_write(path, good, len);
    assert_int_equal(nf_ds_load(root, NULL, &p), NF_OK);
    nf_ds_pair_free(&p);
    free(good);
    free(b);
}

static void train_test_layout(void **state)
{
    const char *root = *state;
    fx_mkdir(root, "train");
    fx_mkdir(root, "test");
    fx_mkdir(root, "train/x");
    fx_mkdir(root, "train/y");
    fx_mkdir(root, "test/y");
    fx_png_gray(fx_path(root, "train/x/1.png"), 5, 5);
    fx_png_gray(fx_path(root, "train/x/2.png"), 5, 5);
    fx_png_gray(fx_path(root, "train/y/1.png"), 5, 5);
    fx_png_gray(fx_path(root, "test/y/1.png"), 5, 5);
    nf_ds_pair p;
    assert_int_equal(nf_ds_load(root, NULL, &p), NF_OK);
    assert_int_equal(p.train->n, 3);
    assert_non_null(p.test);
    assert_int_equal(p.test->n, 1);
    assert_int_equal(p.test->n_classes, 2);
    assert_int_equal(nf_ds_label(p.test, 0), 1); /* y is class 1 of the training set */
    assert_string_equal(nf_ds_class_name(p.test, 1), "y");
    nf_ds_pair_free(&p);
    fx_mkdir(root, "test/z");
    fx_png_gray(fx_path(root, "test/z/1.png"), 5, 5);
    fx_expect_error(nf_ds_load(root, NULL, &p), NF_ERR_FORMAT, "test/z", "class not in the training set");
    fx_rm_tree(fx_path(root, "test/z"));
    fx_png_gray(fx_path(root, "train/y/2.png"), 4, 5);
    fx_expect_error(nf_ds_load(root, NULL, &p), NF_ERR_FORMAT, "train/y/2.png", "mixed image sizes");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(gray_and_gray_alpha, setup, teardown),
        cmocka_unit_test_setup_teardown(low_bit_depth_gray, setup, teardown),
        cmocka_unit_test_setup_teardown(rgb_rgba_palette_16bit_interlaced, setup, teardown),
        cmocka_unit_test_setup_teardown(gray_and_colour_mixed_become_rgb, setup, teardown),
        cmocka_unit_test_setup_teardown(mixed_sizes_and_fixed_size, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_folders, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_crc_truncated_not_png, setup, teardown),
        cmocka_unit_test_setup_teardown(train_test_layout, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
