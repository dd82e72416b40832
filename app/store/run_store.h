/* A search run kept in its run store (app/store/store.h): the hooks that commit
 * every step of nf_search_run as it happens, and the restore that lets
 * `nasfit resume` continue exactly where the last commit left off.
 *
 * What is committed, and when (each one transaction):
 *   population_ready   the first population (untrained), the id counter;
 *   candidate_trained  its scores (candidates, candidate_fitness) and its
 *                      trained state in its population slot (weights);
 *   generation_done    the generation's row, the best so far, and the
 *                      next generation's population with the id counter
 *                      (weights of the dead are deleted in the same step);
 *   final_started      the final training's image count;
 *   finished           the winner and the result; run.status = 'done'
 *                      (the best's copy goes: the winner supersedes it).
 * A resumed run adopts the stored population (candidates already trained
 * in the stored generation are not trained again), the best so far and
 * the counters, and continues; since every random stream comes from
 * (seed, generation or id, purpose) and generation g trains on images
 * [g*S, (g+1)*S), it makes what the uninterrupted run would have. */
#ifndef NF_RUN_STORE_H
#define NF_RUN_STORE_H

#include <stdint.h>

#include "app/store/store.h"
#include "nas/search.h"

/* Bounds on a stored resume point (a damaged or edited file must not make
 * resume loop, overflow or train forever): the configuration's largest
 * generation count; ids far below INT64_MAX (a run makes thousands); the
 * final training at most NF_RUN_MAX_FINAL_EPOCHS passes over the data
 * (the configuration's final_epochs limit), and in any case 10^12 images. */
#define NF_RUN_MAX_GENERATION 1000000000
#define NF_RUN_MAX_ID ((int64_t)1 << 53)
#define NF_RUN_MAX_FINAL_EPOCHS 1000
#define NF_RUN_MAX_FINAL_IMAGES ((int64_t)1000000000000)

/* What the run row says about where to continue. */
typedef struct nf_run_state {
    char *config;          /* the configuration as INI text (malloc'd) */
    char status[16];       /* running, interrupted, failed, done */
    int generation;        /* being trained */
    int64_t next_id;
    double elapsed;        /* seconds of earlier sessions */
    double predicted;      /* predicted thread time of the generations before `generation` (their sum) */
    int64_t final_images;  /* -1: the final training has not started */
    int64_t pid;           /* the last writer */
} nf_run_state;

void nf_run_state_free(nf_run_state *st);

/* Describes a new run in a freshly created store (status 'running'). */
typedef struct nf_run_info {
    const char *config;    /* nf_config_text */
    uint64_t seed;
    const char *dataset;   /* the data set spec */
    const char *blas_kernel;
} nf_run_info;
nf_status nf_run_store_start(nf_store *db, const nf_run_info *info);

/* Records where the run's tasks train (trainer "local" or "mpi", and how many workers). */
nf_status nf_run_store_trainer(nf_store *db, const char *trainer, int workers);

/* The data set's normalisation and class names (for exports). When the
 * run already has them (a resume), they must be the same: NF_ERR_FORMAT
 * otherwise (the data set changed since the run started). */
nf_status nf_run_store_data(nf_store *db, const nf_ds_norm *norm, char *const *class_names, int n_classes);

/* What `export` needs: the stored normalisation and class names. names is
 * malloc'd (one block: the array then the strings); the caller frees it. */
nf_status nf_run_store_read_data(nf_store *db, nf_ds_norm *norm, char ***names, int *n_classes);

/* The stored state of candidate id, the most trained copy kept (winner,
 * then best, then population). NF_ERR_ARG naming the file when its weights
 * are no longer kept. */
nf_status nf_run_store_candidate(nf_store *db, int64_t id, nf_candidate **out);

/* Reads the resume point and checks it against the stored history (ids,
 * generations, the weights' rows): NF_ERR_FORMAT naming the file, the
 * table and the row otherwise. Reads only. */
nf_status nf_run_store_state(nf_store *db, nf_run_state *out);
/* Marks an existing run as running in this process, with its (possibly
 * changed: --time, --threads) configuration text. */
nf_status nf_run_store_claim(nf_store *db, const char *config);
/* Puts the stored population and best candidate into s (created, no
 * population yet) and sets its counters; each candidate checked against
 * the data set s was created with (image shape, classes). Reads only. */
nf_status nf_run_store_restore(nf_store *db, nf_search *s, const nf_run_state *state);
/* Continues s (restored) to the end: the search, or only the final phase
 * when the state says it had started. */
nf_status nf_run_store_continue(nf_search *s, const nf_search_hooks *hooks, const nf_run_state *state);
/* Records how a session ended: 'interrupted' (NF_ERR_INTERRUPTED),
 * 'failed' with the message, nothing for NF_OK (finished wrote 'done').
 * Best effort: the file may be what failed. */
void nf_run_store_end(nf_store *db, nf_status result, const char *message);

/* The committing hooks. They call `inner` (e.g. the printing hooks) after
 * each commit; stop and progress are inner's. */
typedef struct nf_run_store {
    nf_store *db;
    nf_search_hooks inner;
    double commit_seconds;    /* spent committing the current generation */
    int64_t commits;          /* transactions committed by this session */
    int64_t best_id;          /* the best candidate last written, -1 none */
    int best_gen;             /* ... the generation of its training */
    char error[512];          /* the first failure's detail: a hook may fail on a training
                                 thread, whose nf_last_error the caller cannot see */
} nf_run_store;

void nf_run_store_init(nf_run_store *rs, nf_store *db, const nf_search_hooks *inner);
nf_search_hooks nf_run_store_hooks(nf_run_store *rs);

#endif
