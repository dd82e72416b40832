/* The report page's writers on made-up runs: text from a run file is
 * escaped wherever it lands (a class name, the configuration, a failure
 * message, a chart's legend); charts never print nan or inf and say so
 * when there is nothing to draw; the page reloads itself only while the
 * run goes on, and is one whole HTML document either way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/report/html_text.h"
#include "app/report/report_html.h"
#include "app/report/svg_plot.h"

#define HOSTILE "<script>alert(1)</script>"

/* What fill writes into a memory stream, malloc'd. */
static char *capture(void (*fill)(FILE *f, const void *arg), const void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    fill(f, arg);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void fill_text(FILE *f, const void *arg) { nf_html_text(f, arg); }

static void text_is_escaped(void **state)
{
    (void)state;
    char *out = capture(fill_text, HOSTILE " & \"quoted\" 'single' \x01 tab\tend");
    assert_string_equal(out, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; &#39;single&#39; &#xFFFD; tab\tend");
    free(out);
    out = capture(fill_text, NULL);
    assert_string_equal(out, "");
    free(out);
}

static void fill_chart(FILE *f, const void *arg) { nf_svg_chart_write(f, arg); }

static void charts_skip_non_finite_points(void **state)
{
    (void)state;
    double x[] = {0, 1, 2, 3, 4}, y[] = {0.5, NAN, 0.7, INFINITY, 0.9}, p[] = {-1, 0, 100, 1000, 1e5};
    nf_svg_series s[] = {{.name = HOSTILE, .x = x, .y = y, .n = 5, .style = NF_SVG_LINE, .color = "#000", .highlight = -1},
                         {.name = "dots", .x = p, .y = y, .n = 5, .style = NF_SVG_DOTS, .color = "#111", .highlight = 4}};
    nf_svg_chart c = {.title = HOSTILE, .x_label = "x", .y_label = "y", .width = 400, .height = 300,
                      .n_series = 1, .series = s};
    char *out = capture(fill_chart, &c);
    assert_null(strstr(out, "nan"));
    assert_null(strstr(out, "inf"));
    assert_null(strstr(out, "<script"));
    assert_non_null(strstr(out, "&lt;script&gt;"));
    assert_int_equal(strncmp(out, "<svg", 4), 0);
    assert_non_null(strstr(out, "</svg>\n"));
    free(out);
    c.log_x = 1; /* x <= 0 cannot be drawn on a log axis */
    c.series = &s[1];
    out = capture(fill_chart, &c);
    assert_null(strstr(out, "nan"));
    assert_null(strstr(out, "inf"));
    assert_non_null(strstr(out, "r=\"7\"")); /* the highlighted point */
    free(out);
    double none[] = {NAN};
    nf_svg_series empty = {.name = "e", .x = none, .y = none, .n = 1, .color = "#000", .highlight = -1};
    c.series = &empty;
    out = capture(fill_chart, &c);
    assert_non_null(strstr(out, "nothing to draw yet"));
    free(out);
}

static void fill_page(FILE *f, const void *arg) { nf_report_html(f, arg); }

static nf_report_run hostile_run(int running)
{
    static nf_report_gen gens[2] = {{.generation = 0, .best_accuracy = 0.5, .median_accuracy = 0.4, .seconds = 10, .clock = 10},
                                    {.generation = 1, .best_accuracy = 0.6, .median_accuracy = NAN, .seconds = 10, .clock = 20}};
    static nf_report_cand cands[1] = {{.id = 3, .parent1 = -1, .parent2 = -1, .brief = HOSTILE, .status = "trained",
                                       .params = 1234, .flops = 1e6, .fitness = 0.6, .val_accuracy = 0.6}};
    nf_report_run r = {.path = "/tmp/" HOSTILE ".sqlite", .dataset = HOSTILE, .class_names = HOSTILE "\nsecond",
                       .config = "[search]\n# " HOSTILE, .blas_kernel = HOSTILE, .started = HOSTILE, .ended = "",
                       .status = running ? "running" : "failed", .stop_reason = HOSTILE, .message = HOSTILE,
                       .running = running, .winner_id = -1, .best_id = 3, .elapsed = 30, .time_budget = NAN,
                       .final_val_accuracy = NAN, .test_accuracy = NAN, .n_classes = 2, .gens = gens, .n_gens = 2,
                       .cands = cands, .n_cands = 1, .n_arch = 1, .best = cands};
    snprintf(r.status_text, sizeof r.status_text, "%s", HOSTILE);
    return r;
}

static void page_escapes_and_reloads_only_while_running(void **state)
{
    (void)state;
    for (int running = 0; running < 2; running++) {
        nf_report_run r = hostile_run(running);
        nf_report_page p = {.run = &r, .eval_note = HOSTILE, .refresh_seconds = 30};
        char *out = capture(fill_page, &p);
        assert_null(strstr(out, "<script"));
        assert_int_equal(strncmp(out, "<!DOCTYPE html>", 15), 0);
        size_t n = strlen(out);
        assert_true(n > 8 && !strcmp(out + n - 8, "</html>\n"));
        assert_int_equal(strstr(out, "http-equiv=\"refresh\" content=\"30\"") != NULL, running);
        assert_non_null(strstr(out, "id=\"class-names\">&lt;script&gt;alert(1)&lt;/script&gt;, second<"));
        assert_null(strstr(out, "nan"));
        free(out);
    }
}

static void fill_compare(FILE *f, const void *arg)
{
    const nf_report_run *runs = arg;
    nf_report_compare_html(f, runs, 2, 30);
}

static void comparison_has_a_row_per_run(void **state)
{
    (void)state;
    nf_report_run runs[2] = {hostile_run(0), hostile_run(1)};
    char *out = capture(fill_compare, runs);
    int rows = 0;
    for (const char *p = out; (p = strstr(p, "<tr><td class=\"l\"><span")); p++) rows++;
    assert_int_equal(rows, 2);
    assert_null(strstr(out, "<script"));
    assert_non_null(strstr(out, "http-equiv=\"refresh\"")); /* one of them goes on */
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_is_escaped),
        cmocka_unit_test(charts_skip_non_finite_points),
        cmocka_unit_test(page_escapes_and_reloads_only_while_running),
        cmocka_unit_test(comparison_has_a_row_per_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
