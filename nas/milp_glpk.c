/* The GLPK backend of nf_milp_solve: the only file that includes <glpk.h>.
 *
 * The LP relaxation is solved first (simplex, no presolve), then branch
 * and bound from its basis: GLPK 5.0's MIP preprocessor can loop forever
 * tightening bounds on an infeasible program, so it is never used.
 *
 * GLPK ends the process on an internal error unless an error hook jumps
 * out of it; this file installs one for the length of a solve, returns to
 * the solve with longjmp and frees GLPK's environment (glp_free_env, as
 * GLPK requires after such a jump), so the failure becomes NF_ERR_SOLVER
 * and the run goes on. Terminal output is switched off with glp_term_out
 * and switched back to what it was; the application's terminal hook is
 * never touched. */
#include "engine/clock.h"
#include "nas/milp.h"

#include <glpk.h>
#include <math.h>
#include <setjmp.h>
#include <stdlib.h>

/* Where GLPK's error hook returns to: one solve at a time per thread. */
static _Thread_local jmp_buf fatal_return;

static void on_fatal(void *info)
{
    (void)info;
    longjmp(fatal_return, 1);
}

/* Hands the root columns and the rows of pr to a new GLPK problem. */
static glp_prob *load(nf_milp *pr, const int *idx, int nroot)
{
    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MAX);
    if (pr->nrow) glp_add_rows(lp, pr->nrow);
    glp_add_cols(lp, nroot);
    for (int j = 1; j <= pr->ncol; j++) {
        if (!idx[j]) continue;
        int k = idx[j];
        glp_set_col_kind(lp, k, pr->ckind[j] == 'C' ? GLP_CV : GLP_IV);
        double lb = pr->clb[j], ub = pr->cub[j];
        glp_set_col_bnds(lp, k, ub == HUGE_VAL ? GLP_LO : lb == ub ? GLP_FX : GLP_DB, lb, ub == HUGE_VAL ? 0 : ub);
        glp_set_obj_coef(lp, k, pr->cobj[j]);
    }
    for (int i = 1; i <= pr->nrow; i++) {
        int type = pr->rtype[i] == 'E' ? GLP_FX : pr->rtype[i] == 'G' ? GLP_LO : GLP_UP;
        glp_set_row_bnds(lp, i, type, pr->rhs[i], pr->rhs[i]);
    }
    for (int e = 1; e <= pr->nnz; e++) pr->ja[e] = idx[pr->ja[e]]; /* rows hold roots only */
    if (pr->nnz) glp_load_matrix(lp, pr->nnz, pr->ia, pr->ja, pr->ar);
    return lp;
}

/* Simplex then branch and bound on lp; x as nf_milp_solve. */
static nf_status run(glp_prob *lp, nf_milp *pr, const int *idx, int time_limit_ms, double *x)
{
    double t0 = nf_clock();
    glp_smcp sm;
    glp_init_smcp(&sm);
    sm.msg_lev = GLP_MSG_OFF;
    sm.presolve = GLP_OFF;
    sm.tm_lim = time_limit_ms;
    int ret = glp_simplex(lp, &sm), status = glp_get_status(lp);
    if (ret == GLP_ETMLIM) return nf_fail(NF_ERR_TIMEOUT, "the size plan ran out of its %d ms", time_limit_ms);
    if (ret == 0 && (status == GLP_NOFEAS || status == GLP_INFEAS))
        return nf_fail(NF_ERR_INFEASIBLE, "no size plan satisfies the request");
    if (ret != 0 || status != GLP_OPT)
        return nf_fail(NF_ERR_SOLVER, "GLPK simplex failed (glp_simplex %d, status %d)", ret, status);
    int left = time_limit_ms - (int)((nf_clock() - t0) * 1000);
    if (left <= 0) return nf_fail(NF_ERR_TIMEOUT, "the size plan ran out of its %d ms", time_limit_ms);
    glp_iocp parm;
    glp_init_iocp(&parm);
    parm.presolve = GLP_OFF;
    parm.msg_lev = GLP_MSG_OFF;
    parm.tm_lim = left;
    ret = glp_intopt(lp, &parm);
    status = glp_mip_status(lp);
    if (ret == GLP_ETMLIM) return nf_fail(NF_ERR_TIMEOUT, "the size plan ran out of its %d ms", time_limit_ms);
    if (ret == GLP_ENOPFS || (ret == 0 && status == GLP_NOFEAS))
        return nf_fail(NF_ERR_INFEASIBLE, "no size plan satisfies the request");
    if (ret != 0 || (status != GLP_OPT && status != GLP_FEAS))
        return nf_fail(NF_ERR_SOLVER, "GLPK failed (glp_intopt %d, status %d)", ret, status);
    for (int j = 1; j <= pr->ncol; j++) x[j] = glp_mip_col_val(lp, idx[nf_milp_root(pr, j)]);
    return NF_OK;
}

/* load and run with GLPK's error hook pointing here. */
static nf_status guarded(nf_milp *pr, const int *idx, int nroot, int time_limit_ms, double *x)
{
    nf_status st;
    glp_error_hook(on_fatal, NULL);
    if (setjmp(fatal_return) == 0) {
        glp_prob *lp = load(pr, idx, nroot);
        st = run(lp, pr, idx, time_limit_ms, x);
        glp_delete_prob(lp);
    } else {
        /* GLPK's state is unusable after its error: free all of it (the problem included). */
        glp_free_env();
        st = nf_fail(NF_ERR_SOLVER, "GLPK stopped on an internal error; the plan is refused");
    }
    glp_error_hook(NULL, NULL);
    return st;
}

nf_status nf_milp_solve(nf_milp *pr, int time_limit_ms, double *x, nf_milp_size *size)
{
    *size = (nf_milp_size){0};
    /* Only root columns go to GLPK (merged ones take their root's value). */
    int *idx = malloc((size_t)(pr->ncol + 1) * sizeof *idx), nroot = 0;
    if (!idx) return nf_fail(NF_ERR_NOMEM, "cannot number plan columns");
    for (int j = 1; j <= pr->ncol; j++) idx[j] = nf_milp_root(pr, j) == j ? ++nroot : 0;
    size->rows = pr->nrow;
    size->cols = nroot;
    for (int j = 1; j <= pr->ncol; j++) size->int_cols += idx[j] && pr->ckind[j] != 'C';
    nf_status st = NF_OK;
    if (pr->infeasible) st = nf_fail(NF_ERR_INFEASIBLE, "the size constraints contradict each other");
    else if (time_limit_ms <= 0 && nroot) st = nf_fail(NF_ERR_TIMEOUT, "no time left to plan");
    if (st || nroot == 0) { free(idx); return st; }
    size->solved = 1;
    int term = glp_term_out(GLP_OFF);
    st = guarded(pr, idx, nroot, time_limit_ms, x);
    glp_term_out(term);
    free(idx);
    return st;
}
