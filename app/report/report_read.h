/* What the report page shows of one run, read from its run file in one
 * go (a few queries, the read commands' own where they exist): the run
 * row, one row per generation, the trained candidates by best fitness,
 * the best candidate's lineage, the mutations' record, and the
 * architectures of the best few. Schema v2's columns (where the time
 * went) are read when the file has them, so old and new files both work. */
#ifndef NF_REPORT_READ_H
#define NF_REPORT_READ_H

#include <stdint.h>

#include "app/store/store.h"

typedef struct nf_report_gen {
    int generation;
    double best_accuracy, median_accuracy; /* validation accuracy: the best candidate's, the median */
    double best_fitness, median_fitness;
    double seconds, clock;                 /* the generation's wall time; seconds since the run began at its end */
    int population, failed;
    int64_t images;
    double commit_seconds;
    double trained_images, culled, score_seconds, idle_seconds; /* schema v2; NAN when the file has no such column */
} nf_report_gen;

typedef struct nf_report_cand {
    int64_t id, parent1, parent2;  /* -1: none */
    int born, generations;         /* generation born in; generations trained */
    const char *brief, *status;
    int64_t params;
    double flops, fitness, val_accuracy; /* the best fitness reached, and the validation accuracy then */
    double train_seconds;
    int64_t images;
} nf_report_cand;

typedef struct nf_report_step {   /* one ancestor of the best candidate, oldest first */
    int64_t id, parent2;
    int born;
    double first_fitness, best_fitness; /* NAN: never trained */
    int64_t params;
    const char *brief, *changes;        /* changes: what made it from its parent, "" for the first */
} nf_report_step;

typedef struct nf_report_mutation { const char *kind; int64_t tried, improved; } nf_report_mutation;
typedef struct nf_report_worker { int64_t worker, trainings; double seconds; } nf_report_worker;

typedef struct nf_report_run {
    const char *path;
    const char *dataset, *class_names, *config, *blas_kernel, *started, *ended, *status, *stop_reason, *message;
    char status_text[96];          /* nf_read_status's words */
    int running;                   /* status running and its process alive */
    int64_t seed, winner_id, best_id; /* winner_id -1 until done; best_id: the winner, else the best so far, -1 none */
    double elapsed, time_budget, final_val_accuracy, test_accuracy; /* NAN when not known */
    int64_t final_images, candidates;
    int n_classes, generations_limit;
    int has_v2;                    /* the file has schema v2's time columns */
    nf_report_gen *gens; int n_gens;
    nf_report_cand *cands; int n_cands;   /* trained candidates, best fitness first */
    nf_report_step *line; int n_line;
    nf_report_mutation *muts; int n_muts;
    nf_report_worker *workers; int n_workers; /* schema v2 only */
    double train_seconds;          /* all trainings of all candidates */
    char **arch_json;              /* [n_arch]: architectures of cands[0..n_arch) */
    int n_arch;
    const nf_report_cand *best;    /* in cands, NULL none trained */
    char **strings; int n_strings, cap_strings; /* every text above, owned */
} nf_report_run;

/* Reads everything from db (open for reading or writing), with the
 * architectures of the top n_arch candidates (and the best's). The caller
 * frees *r with nf_report_run_free. */
nf_status nf_report_read(nf_store *db, int n_arch, nf_report_run *r);
void nf_report_run_free(nf_report_run *r);

/* The candidate with this id in r->cands, NULL if none. */
const nf_report_cand *nf_report_find(const nf_report_run *r, int64_t id);

#endif
