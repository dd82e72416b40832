/* The search: a population of candidates trained in parallel, scored on
 * the validation split, selected and varied, generation after generation;
 * then the best one trained on with a decaying learning rate and evaluated
 * once on the test set.
 *
 * Its whole state is explicit (nf_search's fields below): the population
 * with each candidate's weights, optimiser state and settings, the
 * generation, the id counter, the best candidate so far and the time used.
 * Every random draw comes from a stream of (seed, generation or candidate
 * id, purpose) and generation g trains on images [g*S, (g+1)*S) of the
 * stream of shuffled epochs, so nothing else needs saving: a search
 * rebuilt from that state (nf_search_adopt) continues exactly as the
 * uninterrupted one would. Training a candidate is a pure task
 * (nas/task.h); the hooks let the caller persist every step. */
#ifndef NF_SEARCH_H
#define NF_SEARCH_H

#include <stdint.h>

#include "nas/candidate.h"
#include "nas/task.h"
#include "nas/trainer.h"
#include "nas/variation.h"

typedef enum nf_strategy {
    NF_STRATEGY_ELITISM, /* the best `elite` survive and keep training; children of tournaments among them
                            are culled early when clearly worse than their parent on the same images */
    NF_STRATEGY_AGING,   /* the same, the youngest `elite` surviving (regularized evolution) */
    NF_STRATEGY_RANDOM,  /* a baseline: random search with successive halving (halving_draws random
                            architectures, the best 1/halving_eta promoted to halving_eta times the images) */
    NF_STRATEGY_FIXED,   /* a baseline: one given architecture trained for the whole budget */
    NF_STRATEGY_COUNT
} nf_strategy;

/* "elitism", "aging", "random", "fixed". */
const char *nf_strategy_name(nf_strategy k);
/* The strategy named name, or NF_STRATEGY_COUNT. */
nf_strategy nf_strategy_parse(const char *name);

typedef struct nf_search_config {
    int population;          /* candidates per generation (6) */
    int elite;               /* survivors per generation (2); the rest are children */
    int tournament;          /* candidates per parent tournament (3) */
    nf_strategy strategy;
    int generations;         /* stop after this many (0: no limit) */
    double time_budget;      /* seconds for the whole run, final phase included (0: no limit) */
    double target;           /* stop once the best validation accuracy reaches it (0: never) */
    int64_t slice_images;    /* training images per candidate per generation (10000) */
    double final_share;      /* share of the time budget kept for the final training (0.5); the rest,
                                times the workers, is the search's budget of predicted thread time */
    double final_epochs;     /* final training without a time budget, in epochs (3) */
    float final_label_smoothing; /* the final training's label smoothing (0: none) */
    double final_average;    /* the final model is the mean of the weights of the final training's
                                last this share (0: its last weights) */
    int threads;             /* candidates trained at once (2) */
    uint64_t seed;           /* run seed (1) */
    nf_augment aug;          /* augmentation of training images */
    nf_settings settings;    /* initial training settings */
    nf_variation var;        /* mutation odds, limits, search space */
    nf_task_params task;     /* refresh images and fitness penalties (start, images, generation are set per task) */
    double cull_share;       /* evolution: children are compared with their parents after this share of the slice (0: never) */
    int cull_val_images;     /* ... on this many validation images (2000) ... */
    double cull_margin;      /* ... and culled when their fitness is below the parent's by more than this (0.005) */
    int screen_draws;        /* evolution: generation 0 trains this many random draws on screen_share of
                                a slice each and the best `population` go on (at most the population: no
                                screen, generation 0 is the population) */
    double screen_share;     /* ... (0.4) */
    int halving_draws;       /* random: architectures of the first rung (27) */
    int halving_eta;         /* random: one in eta promoted, trained eta times as long (3) */
    const nf_graph *arch;    /* fixed: the architecture (borrowed; NULL: the reference CNN) */
} nf_search_config;

nf_search_config nf_search_defaults(void);
/* NF_ERR_ARG naming the setting that is out of range. */
nf_status nf_search_config_check(const nf_search_config *c);

/* One generation's summary. */
typedef struct nf_gen_stats {
    int generation;
    double best_fitness, median_fitness;
    double best_accuracy;      /* validation accuracy of the generation's best */
    int64_t best_id;
    int population, failed;
    int64_t images;            /* images trained on in this generation, all candidates */
    double seconds;            /* wall time of the generation */
    int culled;                /* children stopped early, worse than their parents */
    double train_seconds;      /* workers' time of its tasks (scoring included; a thread lent counts) */
    double score_seconds;      /* ... of which re-measuring batchnorm and validating */
    double idle_seconds;       /* workers' time no task used (workers x wall time - the tasks') */
    double predicted_seconds;  /* thread time its training takes by the speed model: what the search's
                                  budget counts (images x predicted seconds per image, all candidates) */
} nf_gen_stats;

/* The run's result. */
typedef struct nf_result {
    nf_candidate *winner;      /* the best candidate after the final training (owned by the search) */
    int64_t final_images;      /* images of the final training (0: skipped) */
    double val_before_final;   /* its validation accuracy before the final training */
    double val_accuracy;       /* ... and after */
    double test_accuracy;      /* on the test set (-1 without one) */
} nf_result;

typedef enum nf_stop_reason {
    NF_STOP_NONE, NF_STOP_GENERATIONS, NF_STOP_TIME, NF_STOP_TARGET, NF_STOP_SIGNAL,
    NF_STOP_DONE /* the strategy has nothing left to search (the last rung; a fixed architecture) */
} nf_stop_reason;
const char *nf_stop_name(nf_stop_reason r);

typedef struct nf_search nf_search;

/* Callbacks, each may be NULL. A non-zero status ends the run with it
 * (e.g. the run store could not commit). They run on one thread at a time. */
typedef struct nf_search_hooks {
    void *user;
    /* The first generation's population is drawn (untrained). */
    nf_status (*population_ready)(void *user, const nf_search *s);
    /* One candidate finished its training of generation s->generation. */
    nf_status (*candidate_trained)(void *user, const nf_search *s, const nf_candidate *c);
    /* Generation st->generation is scored and s->best updated. If the search
     * goes on (s->stop_reason == NF_STOP_NONE), the selection is made too:
     * s->generation is the next generation and s->pop its population
     * (survivors as trained, children untrained), so one commit here holds
     * the generation and the next population. Otherwise s->pop is the
     * scored population and s->generation unchanged. */
    nf_status (*generation_done)(void *user, const nf_search *s, const nf_gen_stats *st);
    /* The final training starts for this many images. */
    nf_status (*final_started)(void *user, const nf_search *s, int64_t images);
    /* The result. */
    nf_status (*finished)(void *user, const nf_search *s, const nf_result *r);
    /* Polled between steps: nonzero stops at the next safe point (SIGINT). */
    int (*stop)(void *user);
    /* Training progress: images_done of images_total trained so far in the
     * current generation (all its candidates together), or in the final
     * training; s is the search. */
    void (*progress)(void *user, const nf_search *s, int64_t images_done, int64_t images_total);
} nf_search_hooks;

struct nf_search {
    nf_search_config cfg;
    nf_data data;              /* borrowed data sets */
    const nf_dataset *test;    /* for the final evaluation; may be NULL */
    int generation;            /* the generation being trained */
    int64_t next_id;           /* the next candidate's id */
    int n_pop, cap;
    nf_candidate **pop;        /* the current generation's population, owned (cap places) */
    nf_candidate *best;        /* the best of the latest scored generation (a copy): the most trained
                                  state of the best lineage, which the final phase trains on; or NULL */
    nf_trainer *trainer;       /* where tasks run (owned unless set by nf_search_set_trainer) */
    int own_trainer;
    const struct nf_strategy_ops *strategy;
    int64_t rung_images;       /* random: images of the first rung per candidate */
    double elapsed_before;     /* seconds spent by earlier sessions of the run */
    double predicted_spent;    /* the generations' predicted_seconds so far, earlier sessions included */
    double started;            /* monotonic clock at the start of this session */
    nf_stop_reason stop_reason;
    nf_result result;
    int64_t progress_done;     /* images trained so far in this generation (progress hook) */
    int64_t progress_total;    /* ... of all it trains */
};

/* A search over the given sets (borrowed; they must outlive it). test may
 * be NULL. No population yet: nf_search_run draws it, or the caller adopts
 * a stored one. */
nf_status nf_search_create(const nf_search_config *cfg, const nf_dataset *train, const nf_dataset *val,
                           const nf_dataset *test, const nf_ds_norm *norm, nf_search **out);
void nf_search_destroy(nf_search *s);

/* Tasks run on t (borrowed; it must outlive the search) instead of the
 * local pool of cfg->threads threads. */
void nf_search_set_trainer(nf_search *s, nf_trainer *t);

/* Candidates of generation g's population (the random strategy's rungs shrink). */
int nf_search_population_at(const nf_search *s, int g);

/* Restores a stored state: the generation being trained, the id counter,
 * the time already spent and the predicted thread time of the generations
 * before it (their predicted_seconds, added in generation order); then
 * every candidate of that generation's population (ownership taken, also
 * on failure) and the best so far. */
void nf_search_resume_at(nf_search *s, int generation, int64_t next_id, double elapsed_before, double predicted_spent);
nf_status nf_search_adopt(nf_search *s, nf_candidate *c);
nf_status nf_search_adopt_best(nf_search *s, nf_candidate *c);

/* Runs until a stop condition, then the final phase. Returns NF_OK when
 * the run ended normally (s->result holds the result), NF_ERR_INTERRUPTED
 * when stopped by hooks->stop at a safe point (resumable), or the error of
 * a hook or the engine. */
nf_status nf_search_run(nf_search *s, const nf_search_hooks *hooks);

/* The final phase alone, for a run whose search ended and whose final
 * training was started with `images` images (final_started) but not
 * finished: trains, evaluates and calls hooks->finished as nf_search_run
 * would have. */
nf_status nf_search_final(nf_search *s, const nf_search_hooks *hooks, int64_t images);

/* Predicted seconds of training one image of c alone (deterministic;
 * dispatch order and the random strategy's budget use it). */
double nf_search_cost(const nf_candidate *c);

/* Seconds of the run so far, earlier sessions included. */
double nf_search_elapsed(const nf_search *s);

#endif
