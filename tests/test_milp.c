/* The MILP backend (nas/milp_glpk.c): a fatal error inside GLPK becomes a
 * status and the process goes on; the application's GLPK terminal hook
 * survives every solve. This test includes <glpk.h> to play the
 * application; the library includes it in nas/milp_glpk.c only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <glpk.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nas/milp.h"
#include "nas/plan.h"
#include "tests/nas_fixtures.h"

/* max x1 + x2, x1 + x2 <= 3, binaries: optimum 2. */
static void small_program(nf_milp *pr)
{
    memset(pr, 0, sizeof *pr);
    int a = nf_milp_add_col(pr, 'B', 0, 1, 1), b = nf_milp_add_col(pr, 'B', 0, 1, 1);
    assert_true(nf_milp_grow((void **)&pr->rtype, &pr->caprow, 2, 1) == 0);
    int cap = 0;
    assert_true(nf_milp_grow((void **)&pr->rhs, &cap, 2, sizeof(double)) == 0);
    pr->caprow = cap;
    pr->nrow = 1;
    pr->rtype[1] = 'L';
    pr->rhs[1] = 3;
    int c1 = 0, c2 = 0, c3 = 0;
    assert_true(nf_milp_grow((void **)&pr->ia, &c1, 3, sizeof(int)) == 0);
    assert_true(nf_milp_grow((void **)&pr->ja, &c2, 3, sizeof(int)) == 0);
    assert_true(nf_milp_grow((void **)&pr->ar, &c3, 3, sizeof(double)) == 0);
    pr->capnz = c1;
    pr->nnz = 2;
    pr->ia[1] = 1; pr->ja[1] = a; pr->ar[1] = 1;
    pr->ia[2] = 1; pr->ja[2] = b; pr->ar[2] = 1;
}

static void test_a_fatal_glpk_error_is_a_status(void **state)
{
    (void)state;
    nf_milp pr;
    double x[3] = {0};
    nf_milp_size stats = {0};
    small_program(&pr);
    assert_int_equal(nf_milp_solve(&pr, 1000, x, &stats), NF_OK);
    assert_float_equal(x[1] + x[2], 2.0, 1e-9);
    nf_milp_free(&pr);
    /* a row index out of range: GLPK's glp_load_matrix stops on it */
    small_program(&pr);
    pr.ia[2] = 7;
    assert_int_equal(nf_milp_solve(&pr, 1000, x, &stats), NF_ERR_SOLVER);
    assert_non_null(strstr(nf_last_error(), "GLPK"));
    nf_milp_free(&pr);
    /* and GLPK works again afterwards, for the planner too */
    small_program(&pr);
    assert_int_equal(nf_milp_solve(&pr, 1000, x, &stats), NF_OK);
    nf_milp_free(&pr);
    nf_graph *g = fx_chain();
    nf_plan_target t = {.vertex = 1, .size = 6};
    nf_plan_request r = {.targets = &t, .n_targets = 1};
    nf_plan *plan;
    assert_int_equal(nf_plan_solve(g, &r, NULL, &plan), NF_OK);
    assert_int_equal(nf_plan_size(plan, 1), 6);
    nf_plan_destroy(plan);
    nf_graph_destroy(g);
}

static int hook_calls;

static int app_hook(void *info, const char *s)
{
    (void)info; (void)s;
    hook_calls++;
    return 1;
}

static void test_the_application_terminal_hook_survives(void **state)
{
    (void)state;
    glp_term_hook(app_hook, NULL);
    nf_graph *g = fx_chain();
    nf_plan_target t = {.vertex = 1, .size = 6};
    nf_plan_request r = {.targets = &t, .n_targets = 1};
    nf_plan *plan;
    assert_int_equal(nf_plan_solve(g, &r, NULL, &plan), NF_OK);
    nf_plan_destroy(plan);
    hook_calls = 0;
    glp_printf("the application's message\n");
    assert_int_equal(hook_calls, 1);
    glp_term_hook(NULL, NULL);
    nf_graph_destroy(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_fatal_glpk_error_is_a_status),
        cmocka_unit_test(test_the_application_terminal_hook_survives),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
