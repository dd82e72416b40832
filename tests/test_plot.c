/* The progress plot drawn from made-up run data: a PNG of the promised
 * size comes out; bad data and an unwritable path are refused with a
 * reason, before PLplot (which would end the process) sees them. The
 * picture is kept as build/tests/plot_example.png for a person to look at. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/formats/plot.h"
#include "engine/rng.h"

#define GENERATIONS 30
#define PER_GENERATION 12

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A plausible run: accuracy rising and levelling off, networks growing. */
static void made_up_run(double *best, double *median, double *params, double *acc, int *gen)
{
    nf_rng r;
    nf_rng_seed(&r, 3, 0, NF_RNG_TEST);
    for (int g = 0; g < GENERATIONS; g++) {
        double level = 0.93 - 0.25 * exp(-g / 7.0), sorted[PER_GENERATION];
        for (int k = 0; k < PER_GENERATION; k++) {
            int i = g * PER_GENERATION + k;
            gen[i] = g;
            params[i] = pow(10, 3.8 + 0.05 * g + 0.6 * nf_rng_normal(&r) * 0.5);
            acc[i] = fmin(0.97, fmax(0.1, level - fabs(0.04 * nf_rng_normal(&r))));
            sorted[k] = acc[i];
        }
        qsort(sorted, PER_GENERATION, sizeof *sorted, cmp);
        best[g] = sorted[PER_GENERATION - 1];
        median[g] = 0.5 * (sorted[PER_GENERATION / 2 - 1] + sorted[PER_GENERATION / 2]);
    }
}

/* Width and height of the PNG at path (its header checked). */
static void png_size(const char *path, unsigned *w, unsigned *h)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char head[24];
    assert_int_equal(fread(head, 1, 24, f), 24);
    fclose(f);
    assert_memory_equal(head, "\x89PNG\r\n\x1a\n", 8);
    *w = (unsigned)head[16] << 24 | head[17] << 16 | head[18] << 8 | head[19];
    *h = (unsigned)head[20] << 24 | head[21] << 16 | head[22] << 8 | head[23];
}

static void draws_a_png(void **state)
{
    (void)state;
    double best[GENERATIONS], median[GENERATIONS], params[GENERATIONS * PER_GENERATION], acc[GENERATIONS * PER_GENERATION];
    int gen[GENERATIONS * PER_GENERATION];
    made_up_run(best, median, params, acc, gen);
    nf_plot_data d = {.title = "nasfit run: fashion-mnist (made-up data)", .n_generations = GENERATIONS,
                      .best = best, .median = median, .n_candidates = GENERATIONS * PER_GENERATION,
                      .params = params, .accuracy = acc, .generation = gen};
    const char *path = "build/tests/plot_example.png";
    assert_int_equal(nf_plot_progress(path, &d), NF_OK);
    unsigned w, h;
    png_size(path, &w, &h);
    assert_int_equal(w, 1400);
    assert_int_equal(h, 600);
}

/* Several runs on one figure; a run with a non-finite point, too many runs
 * or an unwritable file refused, naming the run. */
static void compares_runs(void **state)
{
    (void)state;
    double t1[] = {1, 2, 3, 10}, a1[] = {0.8, 0.85, 0.86, 0.91}, t2[] = {0.5, 1.5, 9.8}, a2[] = {0.82, 0.84, 0.92};
    double t3[] = {9.9}, a3[] = {0.905}, bad[] = {0.8, NAN, 0.9};
    nf_plot_run runs[3] = {{"evolution", 4, t1, a1}, {"random", 3, t2, a2}, {"fixed", 1, t3, a3}};
    const char *path = "build/tests/plot_compare.png";
    assert_int_equal(nf_plot_compare(path, NULL, runs, 3), NF_OK);
    unsigned w, h;
    png_size(path, &w, &h);
    assert_int_equal(w, 1400);
    assert_int_equal(h, 600);
    runs[1].accuracy = bad;
    assert_int_equal(nf_plot_compare(path, NULL, runs, 3), NF_ERR_ARG);
    assert_non_null(strstr(nf_last_error(), "random"));
    runs[1].accuracy = a2;
    assert_int_equal(nf_plot_compare(path, NULL, runs, 9), NF_ERR_ARG);
    assert_int_equal(nf_plot_compare("/nonexistent/dir/c.png", NULL, runs, 3), NF_ERR_IO);
}

static void bad_data_is_refused(void **state)
{
    (void)state;
    double best[2] = {0.5, 0.6}, median[2] = {0.4, NAN}, params[2] = {1000, 0}, acc[2] = {0.5, 0.6};
    nf_plot_data d = {.n_generations = 2, .best = best, .median = median, .n_candidates = 2,
                      .params = params, .accuracy = acc};
    assert_int_equal(nf_plot_progress("build/tests/plot_bad.png", &d), NF_ERR_ARG);
    assert_non_null(strstr(nf_last_error(), "median accuracy 1 is nan"));
    median[1] = 0.5;
    assert_int_equal(nf_plot_progress("build/tests/plot_bad.png", &d), NF_ERR_ARG);
    assert_non_null(strstr(nf_last_error(), "parameter count 1 is 0"));
    params[1] = 2000;
    d.n_generations = 0;
    assert_int_equal(nf_plot_progress("build/tests/plot_bad.png", &d), NF_ERR_ARG);
    d.n_generations = 2;
    assert_int_equal(nf_plot_progress("/nonexistent/dir/p.png", &d), NF_ERR_IO);
    assert_non_null(strstr(nf_last_error(), "/nonexistent/dir/p.png"));
    /* one generation, one candidate: still a picture */
    d.n_generations = d.n_candidates = 1;
    assert_int_equal(nf_plot_progress("build/tests/plot_one.png", &d), NF_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(draws_a_png),
        cmocka_unit_test(bad_data_is_refused),
        cmocka_unit_test(compares_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
