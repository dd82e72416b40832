/* The winner's per-class accuracy and confusion matrix for the report:
 * the run records only its test accuracy, so the winner kept in the run
 * file is evaluated again on the data set's test part (one pass over it,
 * what nasfit evaluate does for a model file). */
#ifndef NF_REPORT_EVAL_H
#define NF_REPORT_EVAL_H

#include <stdint.h>

#include "app/store/store.h"

typedef struct nf_report_eval {
    int n_classes, n_images;
    long *counts;        /* [true * n_classes + predicted], malloc'd; NULL when not evaluated */
    double seconds;      /* the evaluation's wall time */
} nf_report_eval;

/* Evaluates candidate id of db (its weights kept: the winner) on the test
 * part of the data set `dataset` names. NF_ERR_ARG when the data set has
 * no test part; NF_ERR_IO / NF_ERR_FORMAT for a data set that cannot be
 * read or does not fit the model. */
nf_status nf_report_evaluate(nf_store *db, const char *dataset, int64_t id, int threads, nf_report_eval *ev);
void nf_report_eval_free(nf_report_eval *ev);

#endif
