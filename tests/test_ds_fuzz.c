/* Randomised corruption of the three parsers: small valid IDX (plain and
 * gzip), CIFAR and PNG files are truncated, bit-flipped, overwritten and
 * extended at random offsets, thousands of times. Every load must either
 * succeed with a consistent data set or fail with a message naming the
 * file; never crash or read out of bounds (run it under `make asan`).
 * A failing case prints its parser, case number and seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engine/rng.h"
#include "tests/ds_fixtures.h"

#define CASES 2500
#define SEED 20261124u

/* A corrupted copy of good[0..len) into out (capacity len + 64); returns its length. */
static size_t corrupt(nf_rng *r, const uint8_t *good, size_t len, uint8_t *out)
{
    memcpy(out, good, len);
    /* Half the offsets land in the first 64 bytes, where the headers are. */
#define OFFSET(n) (nf_rng_below(r, 2) && (n) > 64 ? nf_rng_below(r, 64) : nf_rng_below(r, (n)))
    size_t n = len;
    switch (nf_rng_below(r, 5)) {
    case 0: /* truncate */
        n = OFFSET(len);
        break;
    case 1: /* flip a few bits */
        for (int k = 1 + (int)nf_rng_below(r, 4); k > 0; k--) out[OFFSET(len)] ^= (uint8_t)(1u << nf_rng_below(r, 8));
        break;
    case 2: /* overwrite a byte with an extreme or random value */
    {
        static const uint8_t values[4] = {0x00, 0xff, 0x7f, 0x80};
        out[OFFSET(len)] = nf_rng_below(r, 2) ? values[nf_rng_below(r, 4)] : (uint8_t)nf_rng_next(r);
        break;
    }
    case 3: /* flip, then truncate */
        out[OFFSET(len)] ^= (uint8_t)(1u << nf_rng_below(r, 8));
        n = OFFSET(len);
        break;
    default: /* garbage appended */
    {
        /* one draw for the length: every appended byte is written */
        size_t extra = 1 + nf_rng_below(r, 63);
        for (size_t k = 0; k < extra; k++) out[len + k] = (uint8_t)nf_rng_next(r);
        n = len + extra;
        break;
    }
    }
#undef OFFSET
    return n;
}

static void check_consistent(const nf_dataset *d, int c, int h, int w)
{
    assert_true(d->n > 0);
    assert_true(d->c == c || c == 0);
    if (h) assert_int_equal(d->h, h);
    if (w) assert_int_equal(d->w, w);
    for (int i = 0; i < d->n; i++) assert_true(d->labels[i] >= 0 && d->labels[i] < d->n_classes);
    /* Touch every pixel so an under-allocated buffer shows up under ASan. */
    unsigned sum = 0;
    for (size_t q = 0; q < (size_t)d->n * nf_ds_image_bytes(d); q++) sum += d->pixels[q];
    (void)sum;
    for (int k = 0; k < d->n_classes; k++) assert_non_null(nf_ds_class_name(d, k));
}

/* Loads root after each corruption of `victim` (whose good bytes are given). */
static void fuzz(const char *name, const char *root, const char *victim, const uint8_t *good,
                 size_t len, int c, int h, int w)
{
    uint8_t *buf = malloc(len + 64);
    int ok = 0, failed = 0;
    for (int i = 0; i < CASES; i++) {
        /* Each case its own stream of (seed, file length, case): replayable alone. */
        nf_rng r;
        nf_rng_seed(&r, SEED, (uint64_t)len * CASES + (uint64_t)i, NF_RNG_TEST);
        size_t n = corrupt(&r, good, len, buf);
        fx_write(victim, buf, n);
        nf_clear_error();
        nf_ds_pair p;
        nf_status st = nf_ds_load(root, NULL, &p);
        if (st == NF_OK) {
            check_consistent(p.train, c, h, w);
            if (p.test) check_consistent(p.test, p.train->c, p.train->h, p.train->w);
            nf_ds_pair_free(&p);
            ok++;
        } else {
            if ((st != NF_ERR_FORMAT && st != NF_ERR_IO) || !strstr(nf_last_error(), victim))
                fail_msg("%s case %d (seed %u): status %d, message '%s' does not name %s", name, i,
                         SEED, st, nf_last_error(), victim);
            assert_null(p.train);
            failed++;
        }
    }
    print_message("%s: %d corrupted files, %d loaded consistently, %d rejected\n", name, CASES, ok, failed);
    fx_write(victim, good, len);
    free(buf);
}

static int setup(void **state) { *state = fx_tmpdir(); return 0; }
static int teardown(void **state) { fx_rm_rf(*state); return 0; }

static void idx_plain_and_gz(void **state)
{
    const char *dir = *state;
    fx_idx_pair(dir, "train", 12, 4, 3, 10, 0);
    fx_idx_pair(dir, "t10k", 5, 4, 3, 10, 1);
    static const char *const files[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
    for (int f = 0; f < 4; f++) {
        char victim[1024];
        snprintf(victim, sizeof victim, "%s", fx_path(dir, files[f]));
        size_t len;
        uint8_t *good = fx_read(victim, &len);
        fuzz(files[f], dir, victim, good, len, 1, 0, 0);
        free(good);
    }
}

static void cifar(void **state)
{
    const char *dir = *state;
    fx_cifar_file(fx_path(dir, "data_batch_1.bin"), 2, 1);
    fx_cifar_file(fx_path(dir, "test_batch.bin"), 1, 1);
    char victim[1024];
    snprintf(victim, sizeof victim, "%s", fx_path(dir, "data_batch_1.bin"));
    size_t len;
    uint8_t *good = fx_read(victim, &len);
    fuzz("cifar-10", dir, victim, good, len, 3, 32, 32);
    free(good);
}

static void png(void **state)
{
    const char *dir = *state;
    fx_mkdir(dir, "a");
    fx_mkdir(dir, "b");
    fx_png(fx_path(dir, "b/1.png"), 6, 5, PNG_COLOR_TYPE_GRAY, 8, 0, fx_gradient);
    struct { int type, depth, interlace; } kinds[4] = {
        {PNG_COLOR_TYPE_RGB, 8, 0},
        {PNG_COLOR_TYPE_PALETTE, 4, 0},
        {PNG_COLOR_TYPE_GRAY_ALPHA, 16, 1},
        {PNG_COLOR_TYPE_GRAY, 2, 1},
    };
    char victim[1024];
    snprintf(victim, sizeof victim, "%s", fx_path(dir, "a/1.png"));
    for (int k = 0; k < 4; k++) {
        fx_png(victim, 6, 5, kinds[k].type, kinds[k].depth, kinds[k].interlace, fx_gradient);
        size_t len;
        uint8_t *good = fx_read(victim, &len);
        char name[64];
        snprintf(name, sizeof name, "png type %d depth %d", kinds[k].type, kinds[k].depth);
        fuzz(name, dir, victim, good, len, 0, 5, 6);
        free(good);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(idx_plain_and_gz, setup, teardown),
        cmocka_unit_test_setup_teardown(cifar, setup, teardown),
        cmocka_unit_test_setup_teardown(png, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
