/* The command line: option values checked against their ranges with a
 * message naming the option, and `nasfit train` end to end on a tiny IDX
 * data set the test writes (exit 0, one line per epoch; 1 on bad usage, 2
 * for data that cannot be read). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <limits.h>

#include "app/cmd/args.h"
#include "app/cmd/commands.h"
#include "tests/capture.h"
#include "tests/ds_fixtures.h"

static int captured_train(int argc, char **argv, char *out, size_t size)
{
    capture c = capture_begin();
    int rc = nf_cmd_train(argc, argv);
    capture_end(c, out, size);
    return rc;
}

static int arg_int(const char *text, long min, long max, int *v, char *msg, size_t size)
{
    capture c = capture_begin();
    int ok = nf_arg_int("test", "--n", text, min, max, v);
    capture_end(c, msg, size);
    return ok;
}

static void integers_are_checked_against_their_range(void **state)
{
    (void)state;
    int v = -1;
    char msg[256];
    assert_true(arg_int("7", 1, 10, &v, msg, sizeof msg));
    assert_int_equal(v, 7);
    assert_string_equal(msg, "");
    const char *bad[] = {"0", "11", "", "x", "7x", "1.5", "99999999999999999999", "-3"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        v = -1;
        assert_false(arg_int(bad[i], 1, 10, &v, msg, sizeof msg));
        assert_int_equal(v, -1); /* untouched */
        assert_non_null(strstr(msg, "nasfit test: --n"));
        assert_non_null(strstr(msg, "from 1 to 10"));
    }
    assert_true(arg_int("2147483647", 0, INT_MAX, &v, msg, sizeof msg));
    assert_int_equal(v, INT_MAX);
}

static void seeds_and_numbers(void **state)
{
    (void)state;
    unsigned long long seed = 0;
    double x = 0;
    char msg[1024];
    capture c = capture_begin(); /* the rejections' messages */
    assert_true(nf_arg_seed("t", "--seed", "18446744073709551615", &seed));
    assert_true(seed == 18446744073709551615ULL);
    assert_false(nf_arg_seed("t", "--seed", "18446744073709551616", &seed));
    assert_false(nf_arg_seed("t", "--seed", "-1", &seed));
    assert_false(nf_arg_seed("t", "--seed", "", &seed));
    assert_true(nf_arg_double("t", "--lr", "3e-4", 1e-10, 1e3, &x));
    assert_float_equal(x, 3e-4, 1e-12);
    assert_false(nf_arg_double("t", "--lr", "nan", 1e-10, 1e3, &x));
    assert_false(nf_arg_double("t", "--lr", "inf", 1e-10, 1e3, &x));
    assert_false(nf_arg_double("t", "--lr", "0", 1e-10, 1e3, &x));
    assert_false(nf_arg_double("t", "--lr", "1e-3 ", 1e-10, 1e3, &x));
    capture_end(c, msg, sizeof msg);
    assert_non_null(strstr(msg, "nasfit t: --lr nan is not a number from 1e-10 to 1000"));
}

static void train_command_end_to_end(void **state)
{
    (void)state;
    char *dir = fx_tmpdir(), out[8192];
    fx_idx_pair(dir, "train", 120, 8, 8, 10, 1);
    fx_idx_pair(dir, "t10k", 40, 8, 8, 10, 1);
    char *ok[] = {"train", "--data", dir, "--epochs", "2", "--batch", "16", "--threads", "1"};
    assert_int_equal(captured_train(9, ok, out, sizeof out), 0);
    assert_non_null(strstr(out, "120 training and 40 test images of 1x8x8"));
    assert_non_null(strstr(out, "epoch 1  mean_train_loss"));
    assert_non_null(strstr(out, "epoch 2  mean_train_loss"));
    char *bad[] = {"train", "--data", dir, "--epochs", "0"};
    assert_int_equal(captured_train(5, bad, out, sizeof out), 1);
    assert_non_null(strstr(out, "--epochs 0 is not an integer from 1"));
    char *extra[] = {"train", "--data", dir, "surplus"};
    assert_int_equal(captured_train(4, extra, out, sizeof out), 1);
    assert_non_null(strstr(out, "unexpected argument 'surplus'"));
    char *missing[] = {"train", "--data", "/nonexistent/nasfit-train"};
    assert_int_equal(captured_train(3, missing, out, sizeof out), 2);
    assert_non_null(strstr(out, "/nonexistent/nasfit-train"));
    fx_rm_rf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integers_are_checked_against_their_range),
        cmocka_unit_test(train_command_end_to_end),
        cmocka_unit_test(seeds_and_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
