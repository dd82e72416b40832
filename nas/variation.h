/* Making a child from one or two parents: graph mutations through the
 * mutation core (every size change planned), training-setting mutations and
 * crossover of settings. Deterministic from (run seed, child id).
 *
 * Most children change a little (one graph mutation and a learning-rate
 * nudge); big moves are rare. Removals and shrinks come first, then
 * changes of kind, then growth, new layers last (they have no neuron values
 * yet). Low-value layers are likelier to shrink or go, high-value ones to
 * grow. A mutation the planner refuses, or one that takes the child past
 * the limits, is not applied; a child identical to its parent is drawn
 * again. */
#ifndef NF_VARIATION_H
#define NF_VARIATION_H

#include <stdint.h>

#include "nas/candidate.h"
#include "nas/cost.h"
#include "nas/space.h"

typedef struct nf_variation {
    double odds[NF_CHANGE_COUNT]; /* relative odds of each graph change (grow .. pool_remove) */
    double two_changes;      /* odds that a child gets two graph changes (0.3) ... */
    double three_changes;    /* ... or three (0.1); otherwise one */
    double lr_odds;          /* a child's learning rate is nudged (0.8) */
    double lr_sigma;         /* by a factor exp(N(0, sigma)) (0.3) */
    double min_lr, max_lr;   /* learning rates stay within (1e-5, 0.1) for Adam; x10 for SGD */
    double optimizer_odds;   /* optimiser kind switched (0.05) */
    double decay_odds;       /* weight decay changed (0.1) */
    double batch_odds;       /* batch size doubled or halved (0.05) */
    int min_batch, max_batch;/* 16..256 */
    double crossover_odds;   /* settings taken from a second parent (0.1) */
    double head_crossover_odds; /* the head (layers after global pooling) taken from a second parent (0.05) */
    int plan_ms;             /* time limit of one size plan (1000) */
    nf_limits limits;        /* guards: a child past them loses the change that did it */
    nf_space space;          /* kernels and activations new layers draw from */
} nf_variation;

nf_variation nf_variation_defaults(void);
nf_status nf_variation_check(const nf_variation *v);

/* A child of p1 (and p2 for crossover; may be NULL) with id `id`, born in
 * generation gen; draws from the streams of (seed, id). Never fails for
 * a refused mutation: only for lack of memory. */
nf_status nf_vary(const nf_variation *v, const nf_candidate *p1, const nf_candidate *p2, int64_t id, int gen,
                  uint64_t seed, nf_candidate **out);

#endif
