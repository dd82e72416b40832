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
#include <unistd.h>

#include "app/config.h"

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
        {"# c\n[serch]\npopulation = 8\n", "[serch]", 3},
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_files_read),
        cmocka_unit_test(test_defaults_are_default_conf),
        cmocka_unit_test(test_printed_config_reads_back),
        cmocka_unit_test(test_bad_files_refused),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_set_by_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
