/* Mutation operators on the engine's graph, in place.
 *
 * Every operation plans first, on the graph as it is (nas/plan.h: one size
 * plan for every size consequence) and checks the plan against the size
 * limits, so a refusal costs no copy; then, on a copy: structural edit,
 * weight surgery (nas/surgery.h), nf_graph_check; only when all of it
 * succeeded does the copy replace the graph's contents. (An insertion
 * edits before it plans, so it copies first.) A refused mutation
 * (NF_ERR_INFEASIBLE, NF_ERR_TIMEOUT, NF_ERR_SOLVER, NF_ERR_LIMIT,
 * NF_ERR_ARG, NF_ERR_GRAPH, NF_ERR_NOMEM) leaves the graph byte for byte as
 * it was. A successful one that changed anything gives the graph a new
 * shape_version: executors made before refuse to run it (make new ones).
 *
 * A growth request (every target at least its current size, a new concat
 * input, NF_ALIGN_GROW) never drops a neuron that is not harmful (negative
 * or non-finite value): where the sizes cannot be met otherwise it is
 * refused, or relaxed when p->plan.relax allows, and the report says so.
 *
 * Vertices are named by index; indices after an inserted or removed vertex
 * move, ids do not (nf_graph_find). */
#ifndef NF_MUTATE_H
#define NF_MUTATE_H

#include "engine/graph.h"
#include "nas/cost.h"
#include "nas/plan.h"

/* How to reconcile two sides of different sizes that an edit joins (the
 * input and output of a removed layer, a new input of an add vertex). */
typedef enum nf_align {
    NF_ALIGN_FAIL,      /* refuse unless they are equal already */
    NF_ALIGN_GROW,      /* both sides grow to the bigger size */
    NF_ALIGN_SHRINK,    /* both sides shrink to the smaller size */
    NF_ALIGN_MEET,      /* the planner picks a size in between */
    NF_ALIGN_CONSUMERS  /* the downstream side takes the upstream size (consumers' inputs change) */
} nf_align;

/* What a successful mutation did, for the search and the lineage record. */
#define NF_MUTATE_REPORT_TARGETS 8
typedef struct nf_mutate_report {
    int relaxed;     /* 1: the exact request was infeasible and a relaxed plan was applied:
                        the sizes got differ from the sizes asked */
    int n_targets;   /* entries of target[] (at most NF_MUTATE_REPORT_TARGETS are listed) */
    struct {
        int vertex;  /* index, in the graph after the mutation */
        int asked;   /* size requested */
        int got;     /* size it has now */
    } target[NF_MUTATE_REPORT_TARGETS];
    int changed;     /* 0: nothing needed changing (the graph is untouched) */
    int identity;    /* insert: 1 if the new vertex computes the identity in evaluation mode */
} nf_mutate_report;

typedef struct nf_mutate_params {
    nf_plan_params plan; /* planner settings: time limit, caller's values, weights */
    nf_rng *rng;         /* draws new neurons' weights and new layers' init; required */
    nf_align align;      /* for nf_mutate_remove and nf_mutate_add_edge into an add (default MEET) */
    nf_limits limits;    /* no vertex may end with more than limits.max_width output neurons, nor the
                            graph with more than limits.max_params parameters (default: nf_limits_ceiling();
                            FLOPs and memory are the search's guards), refused with NF_ERR_LIMIT
                            before anything is allocated */
    nf_mutate_report *report; /* if not NULL, filled by every call (zeroed on refusal) */
} nf_mutate_params;

nf_mutate_params nf_mutate_defaults(nf_rng *rng);

/* Output size of vertex i (and of its whole neuron group) by delta; every
 * consequence planned. delta 0 still removes harmful neurons (negative or
 * non-finite value), replacing them by new ones. */
nf_status nf_mutate_nout(nf_graph *g, int i, int delta, const nf_mutate_params *p);
/* Input size of layer i by delta (its producer's group changes). */
nf_status nf_mutate_nin(nf_graph *g, int i, int delta, const nf_mutate_params *p);
/* Several size requests in one plan (e.g. different changes on several
 * inputs of a concat). */
nf_status nf_mutate_sizes(nf_graph *g, const nf_plan_target *targets, int n, const nf_mutate_params *p);

/* Removes vertex i (one input, not the input or output vertex); its
 * consumers read its input instead. A layer whose nin != nout is first
 * aligned by p->align. */
nf_status nf_mutate_remove(nf_graph *g, int i, const nf_mutate_params *p);

/* Where and what nf_mutate_insert inserts. */
typedef struct nf_insert {
    int anchor;   /* vertex index */
    int before;   /* 0: after anchor (all its consumers read the new vertex);
                     1: on the edge into anchor's input slot `slot` */
    int slot;     /* input position of anchor when before */
    nf_op op;     /* any op but input */
    nf_attr attr; /* its attributes (nf_attr_default() for defaults) */
    int nout;     /* layers: 0 keeps the size (an identity map); otherwise a planned resize after */
} nf_insert;

/* Inserts a vertex. A conv2d (stride 1; stride 2 is refused with
 * NF_ERR_ARG) or dense starts as the identity map and a batchnorm as the
 * identity in evaluation mode (running mean 0, variance 1 - eps), so the
 * network computes what it did (report->identity = 1); an activation,
 * pooling or dropout changes the function (report->identity = 0). nout < 0
 * is NF_ERR_ARG. *index (may be NULL) receives the new vertex's index. */
nf_status nf_mutate_insert(nf_graph *g, const nf_insert *s, const nf_mutate_params *p, int *index);

/* Adds `from` as input position pos of concat or add vertex `to` (pos =
 * -1: last; other negative positions are NF_ERR_ARG). Into a concat: the block arrives as new neurons for the
 * concat's consumers (zero weights) and its add partners; into an add:
 * sizes aligned by p->align. */
nf_status nf_mutate_add_edge(nf_graph *g, int from, int to, int pos, const nf_mutate_params *p);

/* Removes input position pos of concat or add vertex `to` (which keeps at
 * least one input); consumers of a concat lose exactly the columns of that
 * block. A producer left without consumers is removed with its dead
 * ancestors. */
nf_status nf_mutate_remove_edge(nf_graph *g, int to, int pos, const nf_mutate_params *p);

/* Changes conv2d i's kernel size (odd, 1..7): growing pads zeros around
 * the old kernel (same function), shrinking keeps the centre. */
nf_status nf_mutate_kernel(nf_graph *g, int i, int kernel);

/* Changes activation vertex i's function. */
nf_status nf_mutate_activation(nf_graph *g, int i, nf_act act);

#endif
