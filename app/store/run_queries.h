/* The questions the commands ask of a run file, one function each, so
 * that no command, report or session file holds SQL (tests/sql_check.sh):
 * the run row, the generations, the best candidates, a candidate's row,
 * its lineage and changes, the plot's points, the report's tallies.
 *
 * A query that returns rows calls fn once per row with a struct that is
 * valid during the call only (its texts belong to the statement). fn
 * returns NF_OK to go on; any other code is an error that ends the query
 * and is returned. A lookup says whether it found its row through *found,
 * apart from the status, which is about errors alone.
 *
 * Columns read as SQLite reads them (a NULL number is 0, a NULL text "")
 * unless a field says otherwise: NAN, or a has_ flag, where a reader
 * tells "none" from a value. */
#ifndef NF_RUN_QUERIES_H
#define NF_RUN_QUERIES_H

#include <stdbool.h>
#include <stdint.h>

#include "app/store/store.h"

/* ---- single values ------------------------------------------------------- */

/* The run's best candidate: the winner once finished, else the best so
 * far, else the one with the best fitness in any generation. */
nf_status nf_query_best(nf_store *db, int64_t *id, bool *found);
/* Whether table candidates holds id. */
nf_status nf_query_candidate_exists(nf_store *db, int64_t id, bool *found);
/* How many candidates the run holds. */
nf_status nf_query_candidate_count(nf_store *db, int64_t *n);
/* Candidate id's first parent: *found false when id is no candidate,
 * *has_parent false when it has none. */
nf_status nf_query_parent(nf_store *db, int64_t id, int64_t *parent, bool *has_parent, bool *found);
/* Candidate id's architecture JSON (malloc'd, the caller frees it); NULL
 * when there is no such candidate. */
nf_status nf_query_architecture(nf_store *db, int64_t id, char **json);
/* Whether the file has schema v2's time columns (generations.idle_seconds
 * and candidate_fitness.worker). */
nf_status nf_query_has_time_columns(nf_store *db, bool *yes);

/* ---- the run row --------------------------------------------------------- */

typedef struct nf_query_run_row {
    const char *dataset, *class_names, *config, *blas_kernel, *started, *ended, *status, *message;
    const char *stop_reason;       /* NULL when the column is */
    int64_t seed, pid;
    double elapsed;
    bool has_winner;               /* winner_id is set */
    int64_t winner_id;
    double final_val_accuracy, test_accuracy; /* NAN when NULL */
    bool has_final_images;
    int64_t final_images;
    int64_t candidates;            /* rows of table candidates */
} nf_query_run_row;
typedef nf_status (*nf_query_run_fn)(void *user, const nf_query_run_row *r);
/* Calls fn with the run row, not at all when the file has none. */
nf_status nf_query_run(nf_store *db, nf_query_run_fn fn, void *user);

/* ---- generations --------------------------------------------------------- */

typedef struct nf_query_gen {
    int64_t generation, best_id, population, failed, images, culled;
    double best_fitness, median_fitness, best_accuracy, seconds, commit_seconds;
    double train_seconds, score_seconds, idle_seconds; /* NAN when NULL (files older than v2) */
    double predicted_seconds;      /* the search budget's count (speed model); NAN before v3 */
    double median_accuracy;        /* of its trained candidates; NAN when none */
} nf_query_gen;
typedef nf_status (*nf_query_gen_fn)(void *user, const nf_query_gen *g);
/* The generations in order. Without time columns (with_time false) the
 * v2 columns are not read: culled 0, their seconds NAN. */
nf_status nf_query_generations(nf_store *db, bool with_time, nf_query_gen_fn fn, void *user);

/* ---- candidates ---------------------------------------------------------- */

/* A trained candidate at its best: the best fitness it reached in any
 * generation and that training's validation accuracy and worker. */
typedef struct nf_query_cand {
    int64_t id, params, born, trainings;
    double fitness, val_accuracy, flops, train_seconds;
    const char *brief, *status;
    bool has_worker, has_parent1, has_parent2;
    int64_t worker, parent1, parent2, images;
} nf_query_cand;
typedef nf_status (*nf_query_cand_fn)(void *user, const nf_query_cand *c);
/* The trained candidates, best fitness first (ties: the lower id); at
 * most limit of them, all when limit is negative. */
nf_status nf_query_top(nf_store *db, int64_t limit, nf_query_cand_fn fn, void *user);

/* One candidate for nasfit show. */
typedef struct nf_query_cand_row {
    const char *architecture, *optimizer;
    int64_t id, born, params, batch;
    double flops, learning_rate, weight_decay;
    const char *best_fitness;      /* "%.4f" as SQLite prints it; NULL: never trained */
} nf_query_cand_row;
typedef nf_status (*nf_query_cand_row_fn)(void *user, const nf_query_cand_row *c);
nf_status nf_query_candidate(nf_store *db, int64_t id, nf_query_cand_row_fn fn, void *user);

/* ---- lineage ------------------------------------------------------------- */

typedef struct nf_query_ancestor {
    int64_t id, born, params;
    bool has_parent1, has_parent2;
    int64_t parent1, parent2;
    double first_fitness, best_fitness; /* after its first training, the best; NAN: never trained */
    const char *brief;
} nf_query_ancestor;
typedef nf_status (*nf_query_ancestor_fn)(void *user, const nf_query_ancestor *a);
/* Candidate id and its first parents back to the first generation, oldest
 * first; a loop (a damaged file) ends after as many steps as there are
 * candidates. */
nf_status nf_query_lineage(nf_store *db, int64_t id, nf_query_ancestor_fn fn, void *user);

typedef struct nf_query_change {
    const char *kind;
    bool has_vertex;               /* NULL for settings */
    int64_t vertex;
    double before, after;
} nf_query_change;
typedef nf_status (*nf_query_change_fn)(void *user, const nf_query_change *c);
/* The changes that made candidate id from its parent, in order. */
nf_status nf_query_changes(nf_store *db, int64_t id, nf_query_change_fn fn, void *user);

/* ---- plots and the report ------------------------------------------------ */

/* (generation, validation accuracy) of every scoring in a generation that
 * finished, by generation then accuracy. */
typedef nf_status (*nf_query_score_fn)(void *user, int64_t generation, double val_accuracy);
nf_status nf_query_scores(nf_store *db, nf_query_score_fn fn, void *user);

/* Every trained candidate with parameters: its count, its best validation
 * accuracy and the generation it was born in. */
typedef nf_status (*nf_query_point_fn)(void *user, int64_t params, double val_accuracy, int64_t born);
nf_status nf_query_points(nf_store *db, nf_query_point_fn fn, void *user);

/* Per change kind: how many children it made, and how many of them beat
 * their parent at their first training (most improved first). */
typedef nf_status (*nf_query_mutation_fn)(void *user, const char *kind, int64_t improved, int64_t tried);
nf_status nf_query_mutations(nf_store *db, nf_query_mutation_fn fn, void *user);

/* Per worker (thread or rank), in order: trainings and their seconds. */
typedef nf_status (*nf_query_worker_fn)(void *user, int64_t worker, int64_t trainings, double seconds);
nf_status nf_query_workers(nf_store *db, nf_query_worker_fn fn, void *user);

#endif
