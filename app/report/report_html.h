/* The report page: one self-contained HTML document (inline CSS and SVG,
 * no script, no link to anything outside it) that shows a run, or several
 * side by side. Every text from a run file or a data set goes through
 * nf_html_text (app/report/html_text.h). */
#ifndef NF_REPORT_HTML_H
#define NF_REPORT_HTML_H

#include <stdio.h>

#include "app/report/report_eval.h"
#include "app/report/report_read.h"

typedef struct nf_report_page {
    const nf_report_run *run;
    char *const *arch_svg;      /* [run->n_cands]: inline drawings (NULL where none) */
    const nf_report_eval *eval; /* per-class accuracy and confusion; NULL or empty: not evaluated */
    const char *eval_note;      /* why there is no evaluation; may be NULL */
    int refresh_seconds;        /* while the run goes on: the page reloads itself this often */
} nf_report_page;

/* Writes the page of one run to f. */
void nf_report_html(FILE *f, const nf_report_page *p);

/* Writes the page comparing n runs: a summary row each and their curves
 * on the same axes. */
void nf_report_compare_html(FILE *f, const nf_report_run *runs, int n, int refresh_seconds);

#endif
