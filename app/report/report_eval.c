#include "app/report/report_eval.h"

#include <stdlib.h>

#include "engine/clock.h"
#include "app/formats/model_run.h"
#include "app/store/run_store.h"
#include "datasets/load.h"
#include "app/session/progress.h"
#include "nas/candidate.h"

/* The test part of spec, checked against the model's input and classes. */
static nf_status load_test(const char *spec, const nf_graph *g, int n_classes, nf_dataset **out)
{
    nf_ds_pair pair = {0};
    nf_status st = nf_ds_load(spec, NULL, &pair);
    if (!st && !pair.test) st = nf_fail(NF_ERR_ARG, "%s: the data set has no test part", spec);
    if (!st && (pair.test->c != g->in_c || pair.test->h != g->in_h || pair.test->w != g->in_w ||
                pair.test->n_classes != n_classes))
        st = nf_fail(NF_ERR_FORMAT, "%s: its test images do not fit the run's model (%dx%dx%d, %d classes)", spec,
                     g->in_c, g->in_h, g->in_w, n_classes);
    if (!st) {
        *out = pair.test;
        pair.test = NULL;
    }
    nf_ds_pair_free(&pair);
    return st;
}

nf_status nf_report_evaluate(nf_store *db, const char *dataset, int64_t id, int threads, nf_report_eval *ev)
{
    *ev = (nf_report_eval){0};
    double t0 = nf_clock();
    nf_ds_norm norm;
    char **names = NULL;
    int n_classes = 0;
    nf_candidate *c = NULL;
    nf_dataset *test = NULL;
    nf_status st = nf_run_store_read_data(db, &norm, &names, &n_classes);
    if (!st) st = nf_run_store_candidate(db, id, &c);
    if (!st) st = load_test(dataset, c->g, n_classes, &test);
    if (!st && !(ev->counts = calloc((size_t)n_classes * n_classes, sizeof *ev->counts)))
        st = nf_fail(NF_ERR_NOMEM, "out of memory");
    if (!st) {
        nf_model m = {.graph = c->g, .norm = norm, .n_classes = n_classes, .class_names = names};
        st = nf_model_confusion(&m, test, 256, threads, 0, ev->counts);
        ev->n_classes = n_classes;
        ev->n_images = test->n;
    }
    if (st) nf_report_eval_free(ev);
    ev->seconds = nf_clock() - t0;
    nf_ds_destroy(test);
    nf_candidate_destroy(c);
    free(names);
    return st;
}

void nf_report_eval_free(nf_report_eval *ev)
{
    free(ev->counts);
    *ev = (nf_report_eval){0};
}
