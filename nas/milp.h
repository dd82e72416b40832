/* A sparse mixed-integer linear program, as the size planner builds it,
 * and the one call that solves it. Nothing here knows about graphs; only
 * nas/milp_glpk.c knows about GLPK (the only file including <glpk.h>), so
 * the solver can be swapped, or failed in a test, in one place.
 *
 * Columns are numbered from 1 (0 and negatives are constants to callers);
 * columns found equal are merged by union-find (nf_milp_union) instead of
 * tied by rows, and only root columns reach the solver. The objective is
 * maximised. */
#ifndef NF_MILP_H
#define NF_MILP_H

#include <stddef.h>

#include "engine/status.h"

/* A program: growable arrays of columns and matrix entries. Zero-initialise
 * it; nf_milp_free releases it. */
typedef struct nf_milp {
    int ncol, capcol;
    char *ckind;   /* 'B' binary, 'I' integer >= 0, 'C' continuous >= 0 */
    double *cub;   /* upper bound; HUGE_VAL for none */
    double *clb;   /* lower bound */
    double *cobj;  /* objective coefficient (maximised) */
    int *cpar;     /* union-find over columns: equal columns are merged, not tied by rows */
    int nrow, caprow;
    char *rtype;   /* 'E' ==, 'G' >=, 'L' <= */
    double *rhs;
    int nnz, capnz;
    int *ia, *ja;  /* 1-based triplets, [0] unused (GLPK convention) */
    double *ar;
    int infeasible; /* a constant row is violated */
    int nomem;
} nf_milp;

void nf_milp_free(nf_milp *pr);

/* Grows *p (of *cap elements of elem bytes) to hold need; 0 or -1. */
int nf_milp_grow(void **p, int *cap, int need, size_t elem);

/* Adds a column ('B' binary, 'I' integer, 'C' continuous) with bounds and
 * objective coefficient; returns its number (pr->nomem set on failure). */
int nf_milp_add_col(nf_milp *pr, char kind, double lb, double ub, double obj);
/* The root of column j (j itself when never merged; j <= 0 unchanged). */
int nf_milp_root(nf_milp *pr, int j);
/* Makes columns x and y one (intersecting bounds, summing objectives). */
void nf_milp_union(nf_milp *pr, int x, int y);
/* Fixes column j's root to v (pr->infeasible when v is outside its bounds). */
void nf_milp_fix(nf_milp *pr, int j, double v);


/* What one solve was given: rows, root columns and the integer ones
 * among them, and whether the solver was called (0 when nothing was left
 * to decide). */
typedef struct nf_milp_size {
    int rows, cols, int_cols;
    int solved;
} nf_milp_size;

/* Solves pr within time_limit_ms: on success x[1..ncol] holds every
 * column's value (merged ones their root's); *size says what it solved. NF_ERR_INFEASIBLE, NF_ERR_TIMEOUT, NF_ERR_NOMEM,
 * or NF_ERR_SOLVER, also when the solver itself fails fatally (GLPK's
 * error hook: the process goes on). The solver writes nothing to the
 * terminal and leaves the application's terminal hook alone. Call from one
 * thread at a time. */
nf_status nf_milp_solve(nf_milp *pr, int time_limit_ms, double *x, nf_milp_size *size);

#endif
