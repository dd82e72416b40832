/* nasfit fit end to end on a tiny IDX data set the test writes: a search
 * of two generations prints its generations and the winner's test
 * accuracy; --help; bad settings in a file refused with exit 2 naming the
 * file, line and key; a bad flag, or a bad value a flag gives, exits 1; an
 * interrupted run exits 3. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "app/cmd/commands.h"
#include "tests/capture.h"
#include "tests/ds_fixtures.h"

static int fit(char **argv, char *out, size_t size)
{
    int argc = 0;
    while (argv[argc]) argc++;
    capture c = capture_begin();
    int rc = nf_cmd_fit(argc, argv);
    capture_end(c, out, size);
    return rc;
}

#define TINY "--set", "space.min_width=4", "--set", "space.max_width=6", "--set", "space.max_stages=2", \
             "--set", "search.slice_images=200", "--set", "training.refresh_images=64", "--set", "space.max_dense=0", \
             "--set", "search.final_epochs=0.5", "--threads", "1", "--population", "3", "--set", "search.elite=1"

static char *data_dir(void)
{
    char *dir = fx_tmpdir();
    fx_idx_pair(dir, "train", 300, 8, 8, 3, 1);
    fx_idx_pair(dir, "t10k", 60, 8, 8, 3, 1);
    return dir;
}

static void test_fit_end_to_end(void **state)
{
    (void)state;
    char *dir = data_dir(), out[16384];
    char db[512];
    snprintf(db, sizeof db, "%s/run.sqlite", dir);
    char *argv[] = {"fit", "--data", dir, "--db", db, "--generations", "2", TINY, NULL};
    int rc = fit(argv, out, sizeof out);
    if (rc) fail_msg("exit %d: %s", rc, out);
    assert_non_null(strstr(out, "270 training, 30 validation and 60 test images of 1x8x8"));
    assert_non_null(strstr(out, "gen   0  best"));
    assert_non_null(strstr(out, "gen   1  best"));
    assert_null(strstr(out, "gen   2"));
    assert_non_null(strstr(out, "winner: candidate"));
    assert_non_null(strstr(out, "test accuracy 0."));
    fx_rm_rf(dir);
}

static void test_help_and_bad_usage(void **state)
{
    (void)state;
    char out[8192];
    pid_t pid = fork();
    if (pid == 0) { /* --help exits the process */
        char *argv[] = {"fit", "--help", NULL};
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        fit(argv, out, sizeof out);
        _exit(9);
    }
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char *bad_flag[] = {"fit", "--populaton", "4", NULL};
    assert_int_equal(fit(bad_flag, out, sizeof out), 1);
    char *bad_value[] = {"fit", "--population", "1", NULL};
    assert_int_equal(fit(bad_value, out, sizeof out), 1);
    assert_non_null(strstr(out, "search.population = 1 is out of range"));
    char *bad_time[] = {"fit", "--time", "soon", NULL};
    assert_int_equal(fit(bad_time, out, sizeof out), 1);
    assert_non_null(strstr(out, "not a duration"));
    char path[] = "/tmp/nasfit-fit-test-XXXXXX";
    int fd = mkstemp(path);
    const char text[] = "[search]\npopulation = 4\n\n[limits]\nmax_parms = 5\n";
    assert_true(write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1));
    close(fd);
    char *bad_file[] = {"fit", "--config", path, NULL};
    assert_int_equal(fit(bad_file, out, sizeof out), 2);
    char where[64];
    snprintf(where, sizeof where, "%s:5:", path);
    assert_non_null(strstr(out, where));
    assert_non_null(strstr(out, "max_parms"));
    unlink(path);
    char *missing[] = {"fit", "--data", "/nonexistent/nasfit-fit", NULL};
    assert_int_equal(fit(missing, out, sizeof out), 2);
    assert_non_null(strstr(out, "/nonexistent/nasfit-fit"));
}

/* SIGINT before the first generation ends: exit 3, resumable. In a child,
 * since the stop request stays for the life of the process. */
static void test_interrupted_exits_3(void **state)
{
    (void)state;
    char *dir = data_dir();
    pid_t pid = fork();
    if (pid == 0) {
        char out[16384], db[512];
        snprintf(db, sizeof db, "%s/run.sqlite", dir);
        char *argv[] = {"fit", "--data", dir, "--db", db, "--generations", "50", TINY, NULL};
        alarm(60);
        signal(SIGALRM, SIG_DFL);
        pid_t me = getpid();
        if (fork() == 0) { /* a second later, Ctrl-C */
            usleep(300000);
            kill(me, SIGINT);
            _exit(0);
        }
        int rc = fit(argv, out, sizeof out);
        if (!strstr(out, "can be resumed")) rc = 10;
        _exit(rc);
    }
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 3);
    fx_rm_rf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fit_end_to_end),
        cmocka_unit_test(test_help_and_bad_usage),
        cmocka_unit_test(test_interrupted_exits_3),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
