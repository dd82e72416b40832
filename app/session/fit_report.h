/* What nasfit fit (and resume) print while a search runs: one line per
 * generation, an updating progress line within it on a terminal, and the
 * result. The run store chains its own hooks with these. */
#ifndef NF_FIT_REPORT_H
#define NF_FIT_REPORT_H

#include "app/session/exit_code.h"
#include "app/session/progress.h"
#include "nas/search.h"

typedef struct nf_fit_report {
    int quiet;
    nf_progress progress;   /* within a generation */
    int progress_started;
} nf_fit_report;

void nf_fit_report_init(nf_fit_report *r, int quiet);

/* Hooks that print (user = r); stop polls the signal flag. */
nf_search_hooks nf_fit_report_hooks(nf_fit_report *r);

/* The individual hooks, for callers that chain them with others. */
nf_status nf_fit_report_generation(void *user, const nf_search *s, const nf_gen_stats *st);
nf_status nf_fit_report_final_started(void *user, const nf_search *s, int64_t images);
nf_status nf_fit_report_finished(void *user, const nf_search *s, const nf_result *res);
void nf_fit_report_progress(void *user, const nf_search *s, int64_t done, int64_t total);
int nf_fit_report_stop(void *user);

/* Prints how the run ended and returns the exit status
 * (nf_exit_code(st, doing), app/session/exit_code.h): 0 done, 2 bad input,
 * 3 interrupted (resumable), 4 failed. */
int nf_fit_report_end(nf_fit_report *r, const nf_search *s, nf_status st, nf_doing doing);

#endif
