/* The sparse program's columns: growable arrays and union-find merging. */
#include "nas/milp.h"

#include <stdlib.h>
#include <time.h>

void nf_milp_free(nf_milp *pr)
{
    free(pr->ckind); free(pr->cub); free(pr->clb); free(pr->cobj); free(pr->cpar);
    free(pr->rtype); free(pr->rhs); free(pr->ia); free(pr->ja); free(pr->ar);
}

int nf_milp_grow(void **p, int *cap, int need, size_t elem)
{
    if (need <= *cap) return 0;
    int c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = realloc(*p, (size_t)c * elem);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

int nf_milp_add_col(nf_milp *pr, char kind, double lb, double ub, double obj)
{
    if (pr->ncol + 2 > pr->capcol) {
        int cap = pr->capcol, c2 = pr->capcol, c3 = pr->capcol, c4 = pr->capcol, c5 = pr->capcol;
        if (nf_milp_grow((void **)&pr->ckind, &cap, pr->ncol + 2, 1) || nf_milp_grow((void **)&pr->cub, &c2, pr->ncol + 2, sizeof(double)) ||
            nf_milp_grow((void **)&pr->clb, &c3, pr->ncol + 2, sizeof(double)) ||
            nf_milp_grow((void **)&pr->cobj, &c4, pr->ncol + 2, sizeof(double)) ||
            nf_milp_grow((void **)&pr->cpar, &c5, pr->ncol + 2, sizeof(int))) {
            pr->nomem = 1;
            return 1;
        }
        pr->capcol = cap;
    }
    int j = ++pr->ncol;
    pr->ckind[j] = kind; pr->clb[j] = lb; pr->cub[j] = ub; pr->cobj[j] = obj; pr->cpar[j] = j;
    return j;
}

int nf_milp_root(nf_milp *pr, int j)
{
    if (j <= 0) return j;
    while (pr->cpar[j] != j) j = pr->cpar[j] = pr->cpar[pr->cpar[j]];
    return j;
}

void nf_milp_union(nf_milp *pr, int x, int y)
{
    x = nf_milp_root(pr, x);
    y = nf_milp_root(pr, y);
    if (x == y) return;
    if (pr->clb[y] > pr->clb[x]) pr->clb[x] = pr->clb[y];
    if (pr->cub[y] < pr->cub[x]) pr->cub[x] = pr->cub[y];
    if (pr->clb[x] > pr->cub[x]) pr->infeasible = 1;
    pr->cobj[x] += pr->cobj[y];
    pr->cobj[y] = 0;
    pr->cpar[y] = x;
}

void nf_milp_fix(nf_milp *pr, int j, double v)
{
    j = nf_milp_root(pr, j);
    if (v < pr->clb[j] || v > pr->cub[j]) pr->infeasible = 1;
    pr->clb[j] = pr->cub[j] = v;
}
