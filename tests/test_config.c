/* nasfit fit's configuration: the shipped files read, the defaults agree
 * with configs/default.conf, a printed configuration reads back the same,
 * and bad files are refused naming the file, the line and the key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/formats/config.h"

static char path[64];

static const char *write_conf(const char *text)
{
    snprintf(path, sizeof path, "/tmp/nasfit-test-config-%d.conf", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_shipped_files_read(void **state)
{
    (void)state;
    const char *files[] = {"configs/default.conf", "configs/quick.conf", "configs/overnight.conf"};
    for (size_t i = 0; i < 3; i++) {
        nf_fit_config c = nf_fit_config_defaults();
        if (nf_config_read(files[i], &c)) fail_msg("%s", nf_last_error());
        assert_int_equal(nf_search_config_check(&c.search), NF_OK);
    }
    nf_fit_config q = nf_fit_config_defaults();
    assert_int_equal(nf_config_read("configs/quick.conf", &q), NF_OK);
    assert_true(q.search.time_budget == 120);
    assert_int_equal(q.train_limit, 15000);
}

static void test_defaults_are_default_conf(void **state)
{
    (void)state;
    nf_fit_config a = nf_fit_config_defaults(), b = nf_fit_config_defaults();
    memset(&b.search.var.odds, 0, sizeof b.search.var.odds); /* must all come back from the file */
    b.search.population = 99;
    assert_int_equal(nf_config_read("configs/default.conf", &b), NF_OK);
    char *ta = nf_config_text(&a), *tb = nf_config_text(&b);
    assert_string_equal(ta, tb);
    free(ta); free(tb);
}

static void test_printed_config_reads_back(void **state)
{
    (void)state;
    nf_fit_config a = nf_fit_config_defaults();
    a.search.settings.optim.lr = 0.0123f;
    a.search.time_budget = 5400.5;
    a.search.seed = 18446744073709551615ull;
    a.search.strategy = NF_STRATEGY_AGING;
    a.val_fraction = 1.0 / 3;
    char *text = nf_config_text(&a);
    nf_fit_config b = nf_fit_config_defaults();
    assert_int_equal(nf_config_read(write_conf(text), &b), NF_OK);
    char *again = nf_config_text(&b);
    assert_string_equal(text, again);
    assert_true(b.search.settings.optim.lr == a.search.settings.optim.lr);
    assert_true(b.val_fraction == a.val_fraction);
    assert_true(b.search.seed == a.search.seed);
    free(text); free(again);
    unlink(path);
}

/* Each bad file is refused with "FILE:LINE:" and the key named. */
static void test_bad_files_refused(void **state)
{
    (void)state;
    struct { const char *text, *expect; int line; } cases[] = {
        {"[search]\npopulation = 8\npopulaton = 9\n", "populaton", 3},
        {"[search]\npopulation = 1\n", "search.population", 2},
        {"[search]\npopulation = 8.5\n", "whole number", 2},
        {"# c\n[serch]\npopulation = 8\n", "[serch]", 2}, /* the section's own line */
        {"[search]\ntime = 30 minutes\n", "duration", 2},
        {"[training]\noptimizer = rmsprop\n", "rmsprop", 2},
        {"[data]\nval_fraction = nan\n", "val_fraction", 2},
        {"population = 3\n", "outside", 1},
        {"[search]\nthis line has no equals sign\n", "not a [section]", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nf_fit_config c = nf_fit_config_defaults(), before = c;
        const char *p = write_conf(cases[i].text);
        assert_int_equal(nf_config_read(p, &c), NF_ERR_FORMAT);
        char where[96];
        snprintf(where, sizeof where, "%s:%d:", p, cases[i].line);
        if (!strstr(nf_last_error(), where) || !strstr(nf_last_error(), cases[i].expect))
            fail_msg("case %zu: '%s' lacks '%s' or '%s'", i, nf_last_error(), where, cases[i].expect);
        assert_memory_equal(&c, &before, sizeof c); /* nothing applied */
    }
    nf_fit_config c = nf_fit_config_defaults();
    assert_int_equal(nf_config_read("/nonexistent/x.conf", &c), NF_ERR_IO);
    assert_non_null(strstr(nf_last_error(), "/nonexistent/x.conf"));
    unlink(path);
}

static void test_durations(void **state)
{
    (void)state;
    assert_true(nf_parse_duration("90s") == 90);
    assert_true(nf_parse_duration("30m") == 1800);
    assert_true(nf_parse_duration("8h") == 28800);
    assert_true(nf_parse_duration("1h30m") == 5400);
    assert_true(nf_parse_duration("2d") == 172800);
    assert_true(nf_parse_duration("45") == 45);
    assert_true(nf_parse_duration("1.5h") == 5400);
    assert_true(nf_parse_duration("") < 0);
    assert_true(nf_parse_duration("m") < 0);
    assert_true(nf_parse_duration("10x") < 0);
    assert_true(nf_parse_duration("-5m") < 0);
    assert_true(nf_parse_duration("5m3") < 0);
}

static void test_set_by_key(void **state)
{
    (void)state;
    nf_fit_config c = nf_fit_config_defaults();
    assert_int_equal(nf_config_set(&c, "space.max_width", "48", "command line"), NF_OK);
    assert_int_equal(c.search.var.space.max_width, 48);
    assert_int_equal(nf_config_set(&c, "search.time", "2h", "command line"), NF_OK);
    assert_true(c.search.time_budget == 7200);
    assert_int_equal(nf_config_set(&c, "space.max_wdth", "48", "command line"), NF_ERR_FORMAT);
    assert_non_null(strstr(nf_last_error(), "max_wdth"));
}

/* A line is a line, however long: a long comment does not leak a setting,
 * line numbers stay right after it, and a stored configuration whose data
 * path is 400 characters long reads back. */
static void test_long_lines(void **state)
{
    (void)state;
    char text[4096], longpath[420];
    memset(longpath, 'p', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = 0;
    char comment[1024];
    memset(comment, 'x', sizeof comment - 1);
    comment[sizeof comment - 1] = 0;
    for (int pad = 190; pad < 1000; pad += 101) {
        snprintf(text, sizeof text, "[search]\n# %.*s population = 1000\npopulation = 9\n", pad, comment);
        nf_fit_config c = nf_fit_config_defaults();
        assert_int_equal(nf_config_read(write_conf(text), &c), NF_OK);
        assert_int_equal(c.search.population, 9);
        snprintf(text, sizeof text, "[search]\n# %.*s\npopulation = 1\n", pad, comment);
        assert_int_equal(nf_config_read(write_conf(text), &c), NF_ERR_FORMAT);
        char where[96];
        snprintf(where, sizeof where, "%s:3:", path);
        assert_non_null(strstr(nf_last_error(), where));
    }
    nf_fit_config a = nf_fit_config_defaults(), b = nf_fit_config_defaults();
    snprintf(a.data, sizeof a.data, "%s", longpath);
    char *stored = nf_config_text(&a);
    assert_int_equal(nf_config_parse(stored, "run.sqlite (run.config)", &b), NF_OK);
    assert_string_equal(b.data, longpath);
    free(stored);
    unlink(path);
}

/* What is not a configuration text is refused naming the file: a NUL byte
 * (with its line), a directory, a device, a FIFO (without waiting on it). */
static void test_not_text_refused(void **state)
{
    (void)state;
    nf_fit_config c = nf_fit_config_defaults(), before = c;
    const char *p = write_conf("[search]\n");
    FILE *f = fopen(p, "a");
    fputs("population = 8", f);
    fputc(0, f);
    fputs("0\n", f);
    fclose(f);
    assert_int_equal(nf_config_read(p, &c), NF_ERR_FORMAT);
    char where[96];
    snprintf(where, sizeof where, "%s:2:", p);
    assert_non_null(strstr(nf_last_error(), where));
    assert_non_null(strstr(nf_last_error(), "NUL"));
    assert_memory_equal(&c, &before, sizeof c);
    unlink(p);
    char fifo[64];
    snprintf(fifo, sizeof fifo, "/tmp/nasfit-test-fifo-%d", (int)getpid());
    assert_int_equal(mkfifo(fifo, 0600), 0);
    const char *special[] = {"/tmp", "/dev/zero", "/dev/null", fifo};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
        assert_int_equal(nf_config_read(special[i], &c), NF_ERR_IO);
        if (!strstr(nf_last_error(), special[i]) || !strstr(nf_last_error(), "regular file"))
            fail_msg("%s: '%s'", special[i], nf_last_error());
    }
    unlink(fifo);
}

/* Numbers that only look valid: a space before a minus sign on an
 * unsigned key, a bare key that two sections have. */
static void test_tricky_values_refused(void **state)
{
    (void)state;
    nf_fit_config c = nf_fit_config_defaults();
    const char *bad_seeds[] = {" -1", "-1", " 5", "+5", "", "1e3", "18446744073709551616"};
    for (size_t i = 0; i < sizeof bad_seeds / sizeof bad_seeds[0]; i++)
        if (nf_config_set(&c, "seed", bad_seeds[i], "--seed") != NF_ERR_FORMAT) fail_msg("seed '%s' accepted", bad_seeds[i]);
    assert_true(c.search.seed == nf_fit_config_defaults().search.seed);
    assert_int_equal(nf_config_set(&c, "max_width", "64", "--set"), NF_ERR_FORMAT);
    assert_non_null(strstr(nf_last_error(), "[space]"));
    assert_non_null(strstr(nf_last_error(), "[limits]"));
    assert_non_null(strstr(nf_last_error(), "space.max_width")); /* the two ways to say it */
    assert_non_null(strstr(nf_last_error(), "limits.max_width"));
    assert_true(c.search.var.space.max_width == nf_fit_config_defaults().search.var.space.max_width); /* neither set */
    assert_true(c.search.var.limits.max_width == nf_fit_config_defaults().search.var.limits.max_width);
    assert_int_equal(nf_config_set(&c, "limits.max_width", "64", "--set"), NF_OK);
    assert_int_equal(nf_config_set(&c, "population", "12", "--set"), NF_OK); /* unique: fine bare */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_files_read),
        cmocka_unit_test(test_defaults_are_default_conf),
        cmocka_unit_test(test_printed_config_reads_back),
        cmocka_unit_test(test_bad_files_refused),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_set_by_key),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_not_text_refused),
        cmocka_unit_test(test_tricky_values_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
