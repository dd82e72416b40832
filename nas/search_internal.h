/* What the search's strategies share (nas/search.c, nas/evolve.c,
 * nas/halving.c); not part of the public interface. */
#ifndef NF_SEARCH_INTERNAL_H
#define NF_SEARCH_INTERNAL_H

#include "nas/search.h"
#include "nas/trainer.h"

typedef struct run_ctx {
    nf_search *s;
    const nf_search_hooks *h;
    nf_gen_stats *gen;       /* the generation being trained: where its time goes */
} run_ctx;

/* A strategy: how the first population is made, how a generation is
 * trained and scored, and who goes on. */
typedef struct nf_strategy_ops {
    const char *name;        /* as in the configuration */
    nf_status (*first)(nf_search *s);
    /* Trains and scores generation s->generation; the hook candidate_trained
     * has been called for every candidate whose training of it is final.
     * NULL: nothing to search (the final phase follows the first population). */
    nf_status (*train)(nf_search *s, run_ctx *r);
    /* The population of the next generation from this one's, sorted by
     * fitness (the alive ones first). */
    nf_status (*next)(nf_search *s, nf_candidate **sorted);
    /* 1 when nothing is left to search after generation s->generation. */
    int (*done)(const nf_search *s);
    /* Images c trained on in this generation (from the plan, not from this
     * session's work, so that a resumed run records the same). */
    int64_t (*images_of)(const nf_search *s, const nf_candidate *c);
    /* Predicted seconds of the next generation after one of `seconds` (NULL: as long). */
    double (*next_seconds)(const nf_search *s, double seconds);
    /* Predicted thread time of the next generation's training (speed model);
     * the search stops before it would take the predicted budget past
     * nf_search_budget. NULL: the strategy plans its own length (the rungs
     * of successive halving are sized to that budget). */
    double (*next_predicted)(const nf_search *s);
} nf_strategy_ops;

const nf_strategy_ops *nf_strategy_of(nf_strategy k);
extern const nf_strategy_ops nf_strategy_evolution, nf_strategy_halving, nf_strategy_fixed;

/* The search's budget of predicted thread time: (1 - final_share) of the
 * time budget on every worker, 0 without a time budget. Counted in the
 * speed model's seconds (nas/cost.c), not the clock's, so the search's
 * length depends on the seed and the settings alone: the same on a busy
 * machine, and when resumed. */
double nf_search_budget(const nf_search *s);

/* Candidate `id` drawn from the search space within the limits. */
nf_status nf_search_draw(nf_search *s, int64_t id, nf_candidate **out);
/* n such candidates as the first population, under the next ids. */
nf_status nf_search_draw_population(nf_search *s, int n);

/* A job training c on images [start, start + images) of the stream, the
 * learning rate on a cosine over `schedule` images of which `done` are
 * behind; scored on val_images validation images (0: all). */
nf_job nf_search_job(const nf_search *s, nf_candidate *c, int64_t start, int64_t images, int64_t done,
                     int64_t schedule, int val_images);

/* Runs jobs on the search's trainer; commit: call candidate_trained for
 * each as it finishes, after adding earlier[i] (may be NULL) to job i's
 * candidate's seconds (its earlier part of the generation). Adds the
 * batch's images and time to r->gen. */
nf_status nf_search_train(nf_search *s, run_ctx *r, nf_job *jobs, int n, int commit, const double *earlier);

/* Calls candidate_trained for c (serially, outside the trainer). */
nf_status nf_search_commit(run_ctx *r, const nf_candidate *c);

/* 1 when c is trained in this generation and goes on (not failed or culled). */
int nf_search_alive(const nf_search *s, const nf_candidate *c);

#endif
