/* The commands around a model file, end to end on a tiny IDX data set the
 * test writes: nasfit train --save writes a model that nasfit evaluate
 * scores exactly as training reported; --arch trains a JSON architecture;
 * predict names classes and refuses wrong-size images unless --resize;
 * dot writes DOT and PNG; evaluate --flip counts the class of each image's
 * probabilities averaged with its mirror's; --help and exit codes of each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>

#include "app/cmd/commands.h"
#include "app/formats/model_run.h"
#include "datasets/load.h"
#include "tests/capture.h"
#include "tests/ds_fixtures.h"

typedef int (*command_fn)(int, char **);

/* Runs a command on a NULL-terminated argument list, capturing its output. */
static int run(command_fn f, char *out, size_t size, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, size);
    for (char *a; (a = va_arg(ap, char *)) && argc < 31;) argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    capture c = capture_begin();
    int rc = f(argc, argv);
    capture_end(c, out, size);
    return rc;
}

static char *dir;
static char out[65536];

static int setup(void **state)
{
    (void)state;
    dir = fx_tmpdir();
    fx_idx_pair(dir, "train", 200, 8, 8, 10, 1);
    fx_idx_pair(dir, "t10k", 60, 8, 8, 10, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fx_rm_rf(dir);
    return 0;
}

static double number_after(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    if (!p) fail_msg("'%s' not in: %s", key, text);
    return atof(p + strlen(key));
}

static void trained_model_evaluates_as_training_reported(void **state)
{
    (void)state;
    char model[1024];
    snprintf(model, sizeof model, "%s", fx_path(dir, "m.nfm"));
    assert_int_equal(run(nf_cmd_train, out, sizeof out, "train", "--data", dir, "--epochs", "2", "--batch", "16",
                         "--threads", "1", "--save", model, NULL), 0);
    assert_non_null(strstr(out, "saved: "));
    double reported;
    reported = number_after(strstr(out, "epoch 2"), "refreshed_bn_test_accuracy ");
    assert_int_equal(run(nf_cmd_train, out, sizeof out, "train", "--data", dir, "--save", "/nonexistent/m.nfm", NULL), 4);
    assert_non_null(strstr(out, "--save /nonexistent/m.nfm: its folder does not exist"));
    assert_int_equal(run(nf_cmd_evaluate, out, sizeof out, "evaluate", model, "--data", dir, NULL), 0);
    assert_float_equal(number_after(out, "test accuracy "), reported, 1e-9);
    assert_non_null(strstr(out, "(rows: true class"));
    assert_non_null(strstr(out, "60 images"));
    /* usage and input errors */
    assert_int_equal(run(nf_cmd_evaluate, out, sizeof out, "evaluate", NULL), 1);
    assert_int_equal(run(nf_cmd_evaluate, out, sizeof out, "evaluate", model, "--batch", "0", NULL), 1);
    assert_int_equal(run(nf_cmd_evaluate, out, sizeof out, "evaluate", "/nonexistent/x.nfm", NULL), 2);
    assert_non_null(strstr(out, "/nonexistent/x.nfm"));
    assert_int_equal(run(nf_cmd_evaluate, out, sizeof out, "evaluate", model, NULL), 2); /* 28x28 fashion-mnist */
    assert_non_null(strstr(out, "the model takes 1x8x8 images"));
    assert_int_equal(run(nf_cmd_evaluate, out, sizeof out, "evaluate", "--help", NULL), 0);
    assert_non_null(strstr(out, "usage: nasfit evaluate"));
}

/* evaluate --flip against a replay through nf_model_probabilities on the
 * test images and on their mirrors, made here. */
static void flip_averages_each_image_with_its_mirror(void **state)
{
    (void)state;
    char model[1024];
    snprintf(model, sizeof model, "%s", fx_path(dir, "m.nfm"));
    assert_int_equal(run(nf_cmd_evaluate, out, sizeof out, "evaluate", model, "--data", dir, "--batch", "64", "--flip",
                         "--threads", "1", NULL), 0);
    assert_non_null(strstr(out, "each averaged with its mirror"));
    int reported = (int)number_after(strstr(out, "test accuracy "), "("); /* "(R of N images" */
    nf_model *m;
    nf_ds_pair pair = {0};
    assert_int_equal(nf_model_load(model, &m), NF_OK);
    assert_int_equal(nf_ds_load(dir, NULL, &pair), NF_OK);
    const nf_dataset *t = pair.test;
    int n = t->n, k = m->n_classes, w = t->w;
    size_t size = (size_t)n * t->c * t->h * w;
    uint8_t *mirrored = malloc(size);
    float *p = malloc((size_t)n * k * sizeof *p), *q = malloc((size_t)n * k * sizeof *q);
    for (size_t r = 0; r < size / w; r++)
        for (int x = 0; x < w; x++) mirrored[r * w + x] = t->pixels[r * w + (w - 1 - x)];
    assert_int_equal(nf_model_probabilities(m, t->pixels, n, 1, p), NF_OK);
    assert_int_equal(nf_model_probabilities(m, mirrored, n, 1, q), NF_OK);
    int right = 0, differs = 0;
    for (int i = 0; i < n; i++) {
        int best = 0, plain = 0;
        for (int o = 1; o < k; o++) {
            if ((double)p[i * k + o] + q[i * k + o] > (double)p[i * k + best] + q[i * k + best]) best = o;
            if (p[i * k + o] > p[i * k + plain]) plain = o;
        }
        right += best == t->labels[i];
        differs += best != plain;
    }
    fprintf(stderr, "flip: %d of %d right, %d predictions differ from the plain ones\n", right, n, differs);
    assert_int_equal(reported, right);
    free(mirrored); free(p); free(q);
    nf_ds_pair_free(&pair);
    nf_model_destroy(m);
}

static void predict_names_classes_and_refuses_misfits(void **state)
{
    (void)state;
    char model[1024], img[1024], big[1024];
    snprintf(model, sizeof model, "%s", fx_path(dir, "m.nfm"));
    snprintf(img, sizeof img, "%s", fx_path(dir, "a.png"));
    snprintf(big, sizeof big, "%s", fx_path(dir, "big.png"));
    fx_png_gray(img, 8, 8);
    fx_png(big, 20, 12, PNG_COLOR_TYPE_RGB, 8, 0, fx_gradient);
    assert_int_equal(run(nf_cmd_predict, out, sizeof out, "predict", model, img, "--top", "2", NULL), 0);
    assert_non_null(strstr(out, "a.png: "));
    assert_int_equal(strchr(strstr(out, "a.png: "), ',') != NULL, 1); /* two classes */
    assert_int_equal(run(nf_cmd_predict, out, sizeof out, "predict", model, big, img, NULL), 2);
    assert_non_null(strstr(out, "big.png: a 20x12 colour image; the model takes 8x8 gray images (--resize"));
    assert_non_null(strstr(out, "a.png: ")); /* the other image is still predicted */
    assert_int_equal(run(nf_cmd_predict, out, sizeof out, "predict", model, big, "--resize", NULL), 0);
    assert_non_null(strstr(out, "big.png: "));
    assert_int_equal(run(nf_cmd_predict, out, sizeof out, "predict", model, NULL), 1);
    assert_int_equal(run(nf_cmd_predict, out, sizeof out, "predict", "--help", NULL), 0);
    assert_non_null(strstr(out, "usage: nasfit predict"));
    assert_int_equal(run(nf_cmd_predict, out, sizeof out, "predict", img, img, NULL), 2); /* a PNG is no model */
    assert_non_null(strstr(out, "offset 0: not a nasfit model file"));
}

static void dot_writes_dot_and_png(void **state)
{
    (void)state;
    char model[1024], dot[1024], png[1024];
    snprintf(model, sizeof model, "%s", fx_path(dir, "m.nfm"));
    snprintf(dot, sizeof dot, "%s", fx_path(dir, "a.dot"));
    snprintf(png, sizeof png, "%s", fx_path(dir, "a.png"));
    assert_int_equal(run(nf_cmd_dot, out, sizeof out, "dot", model, NULL), 0);
    assert_non_null(strstr(out, "digraph nasfit"));
    assert_non_null(strstr(out, "conv 3x3, 32\\n8x8x32 | 288 params"));
    assert_non_null(strstr(out, "v0 -> v1;"));
    assert_int_equal(run(nf_cmd_dot, out, sizeof out, "dot", model, "-o", dot, NULL), 0);
    size_t len;
    free(fx_read(dot, &len));
    assert_true(len > 100);
    if (system("command -v dot >/dev/null 2>&1") == 0) {
        assert_int_equal(run(nf_cmd_dot, out, sizeof out, "dot", model, "-o", png, NULL), 0);
        unsigned char *p = fx_read(png, &len);
        assert_true(len > 1000 && !memcmp(p, "\x89PNG", 4));
        free(p);
    }
    assert_int_equal(run(nf_cmd_dot, out, sizeof out, "dot", NULL), 1);
    assert_int_equal(run(nf_cmd_dot, out, sizeof out, "dot", "--help", NULL), 0);
    assert_int_equal(run(nf_cmd_dot, out, sizeof out, "dot", dot, NULL), 2); /* DOT text is no model */
    assert_non_null(strstr(out, "a.dot"));
}

static void train_takes_an_architecture_file(void **state)
{
    (void)state;
    char arch[1024];
    snprintf(arch, sizeof arch, "%s", fx_path(dir, "arch.json"));
    const char *text =
        "{\"version\": 1, \"input\": {\"channels\": 1, \"height\": 8, \"width\": 8}, \"vertices\": [\n"
        " {\"id\": 0, \"op\": \"input\"},\n"
        " {\"id\": 1, \"op\": \"conv2d\", \"inputs\": [0], \"nout\": 6, \"kernel\": 5, \"stride\": 2},\n"
        " {\"id\": 2, \"op\": \"act\", \"inputs\": [1], \"activation\": \"selu\"},\n"
        " {\"id\": 3, \"op\": \"gap\", \"inputs\": [2]},\n"
        " {\"id\": 4, \"op\": \"dense\", \"inputs\": [3], \"nout\": 10, \"bias\": true}]}\n";
    fx_write(arch, text, strlen(text));
    assert_int_equal(run(nf_cmd_train, out, sizeof out, "train", "--data", dir, "--batch", "16", "--threads", "1",
                         "--arch", arch, NULL), 0);
    assert_non_null(strstr(out, "arch.json, 220 parameters"));
    assert_non_null(strstr(out, "epoch 1  mean_train_loss"));
    /* an architecture for other images is refused, naming the file */
    const char *wrong = "{\"version\": 1, \"input\": {\"channels\": 3, \"height\": 8, \"width\": 8}, \"vertices\": ["
                        "{\"id\": 0, \"op\": \"input\"}, {\"id\": 1, \"op\": \"gap\", \"inputs\": [0]},"
                        "{\"id\": 2, \"op\": \"dense\", \"inputs\": [1], \"nout\": 10}]}";
    fx_write(arch, wrong, strlen(wrong));
    assert_int_equal(run(nf_cmd_train, out, sizeof out, "train", "--data", dir, "--arch", arch, NULL), 2);
    assert_non_null(strstr(out, "arch.json: the architecture takes 3x8x8 images"));
    fx_write(arch, "{\"version\": 1, ", 15);
    assert_int_equal(run(nf_cmd_train, out, sizeof out, "train", "--data", dir, "--arch", arch, NULL), 2);
    assert_non_null(strstr(out, "arch.json: line 1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(trained_model_evaluates_as_training_reported),
        cmocka_unit_test(flip_averages_each_image_with_its_mirror),
        cmocka_unit_test(predict_names_classes_and_refuses_misfits),
        cmocka_unit_test(dot_writes_dot_and_png),
        cmocka_unit_test(train_takes_an_architecture_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
