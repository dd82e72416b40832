/* The size planner: every size change of a mutation resolved by ONE mixed
 * integer linear program, built and solved with GLPK (the only file that
 * includes <glpk.h> is nas/milp_glpk.c, behind nas/milp.h).
 *
 * The program (DESIGN.md, "Size changes are planned, not propagated"):
 *  - vertices sharing neurons (transparent, add, single-input concat) are
 *    merged into groups by union-find;
 *  - a group of neuron-owning vertices (layers) has a 0/1 keep column per
 *    existing neuron and one integer column counting new neurons at its
 *    insertion position (by default the end);
 *  - a group defined by a concat owns no columns: its keep columns are its
 *    inputs' (by reference) and its insertion positions are its inputs',
 *    shifted; a second concat in the same group (two concats feeding one
 *    add) adds equality rows position by position;
 *  - the input and output groups are fixed;
 *  - every group keeps at least one neuron; requested sizes are equalities
 *    (first pass) or heavily penalised deviations (second pass, if
 *    allowed); every other group in the program softly prefers its size
 *    (sum and max of relative deviations);
 *  - objective: keep valuable neurons (values rescaled per group to
 *    [0.1, 1]; negative values cost -1 and non-finite ones -10, so harmful
 *    neurons go first even with no size change asked), a small cost per new
 *    neuron, the deviation penalties.
 * Only the groups linked to a request through concats and ties enter the
 * program; every other vertex keeps its neurons as they are.
 *
 * The result is, per vertex, the new sequence of its output neurons: each
 * entry an old neuron index or -1 for a new neuron. Nothing here modifies
 * the graph; nas/surgery.c applies a plan. */
#ifndef NF_PLAN_H
#define NF_PLAN_H

#include "engine/graph.h"

/* A requested output size for a vertex (and so for its whole group). */
typedef struct nf_plan_target {
    int vertex;        /* graph index */
    int size;          /* wanted number of output neurons, >= 1 */
    int insert_before; /* where new neurons go in a layer-owned group: 0 (default) at the end,
                          k >= 1 in front of old neuron k-1 (NF_ERR_ARG for a group defined by a
                          concat, whose new neurons go where its inputs put them) */
} nf_plan_target;

/* Two vertices whose groups must end at equal sizes (an edge about to join them). */
typedef struct nf_plan_tie { int a, b; } nf_plan_tie;

/* A pending edit of a concat's inputs, planned as if it were done. */
typedef enum nf_plan_edit {
    NF_PLAN_EDIT_NONE,
    NF_PLAN_EDIT_CONCAT_INSERT, /* `from` becomes input `pos` of `concat`: its block arrives as new neurons
                                   of the concat's group, as many as `from` ends with */
    NF_PLAN_EDIT_CONCAT_DROP    /* input `pos` of `concat` goes away with all its neurons (`from` unused) */
} nf_plan_edit;

typedef struct nf_plan_request {
    const nf_plan_target *targets; /* n_targets requested sizes */
    int n_targets;
    const nf_plan_tie *ties;       /* n_ties equal-size ties */
    int n_ties;
    nf_plan_edit edit;             /* an optional pending concat edit */
    int concat, pos, from;         /* its operands (see nf_plan_edit) */
    int keep_all;                  /* a growth request: every neuron of the program that is not
                                      harmful (negative or non-finite value) is kept; a request that
                                      cannot be met otherwise is infeasible (or relaxed) */
} nf_plan_request;

/* Sizes and time of the last program, filled even on failure. */
typedef struct nf_plan_stats {
    int groups;         /* neuron groups in the graph */
    int program_groups; /* groups that entered the program */
    int rows, cols, int_cols; /* the last MILP's size (0 if no solver call was needed) */
    int relaxed;        /* 1 if the exact program failed and the relaxed one was used */
    int passes;         /* solver calls made */
    double seconds;     /* wall time of building and solving */
} nf_plan_stats;

typedef struct nf_plan_params {
    int time_limit_ms;    /* for the whole plan (both passes); default 1000 */
    int relax;            /* nonzero: try a relaxed program when the exact one is infeasible (default 1) */
    const float *value;   /* caller's neuron values laid out like g->value (negative = harmful),
                             or NULL to use g->value (negative = never measured) */
    double new_cost;      /* objective cost of one new neuron (default 0.01) */
    double w_sum;         /* weight of the summed relative deviation of untouched groups (1) */
    double w_max;         /* weight of the largest relative deviation (1) */
    double w_target;      /* relaxed pass: cost of one neuron off a target (1000) */
    nf_plan_stats *stats; /* if not NULL, filled on success and failure */
} nf_plan_params;

nf_plan_params nf_plan_defaults(void);

typedef struct nf_plan nf_plan;

/* Plans request r on g. Returns NF_OK with *out owned by the caller,
 * NF_ERR_INFEASIBLE (no plan, also when the relaxed plan would not move
 * any target), NF_ERR_TIMEOUT, NF_ERR_SOLVER, NF_ERR_ARG (bad request),
 * NF_ERR_GRAPH or NF_ERR_NOMEM. g is only read. */
nf_status nf_plan_solve(const nf_graph *g, const nf_plan_request *r, const nf_plan_params *p, nf_plan **out);
void nf_plan_destroy(nf_plan *plan);

/* The new output neurons of vertex i (an index of the graph planned):
 * *len entries, each an old neuron index or -1 for a new neuron. */
const int *nf_plan_neurons(const nf_plan *plan, int i, int *len);
/* Its new output size. */
int nf_plan_size(const nf_plan *plan, int i);
/* 1 if the plan changes any vertex's neurons. */
int nf_plan_changes(const nf_plan *plan);
const nf_plan_stats *nf_plan_get_stats(const nf_plan *plan);

#endif
