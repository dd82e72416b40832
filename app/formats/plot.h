/* The progress picture of a search run: one PNG with two panels, best and
 * median validation accuracy per generation, and every candidate as
 * parameter count (log scale) against validation accuracy. The data comes
 * in as plain arrays (the run store fills them). */
#ifndef NF_PLOT_H
#define NF_PLOT_H

#include "engine/status.h"

typedef struct nf_plot_data {
    const char *title;        /* drawn above both panels; may be NULL */
    int n_generations;        /* >= 1 */
    const double *best;       /* [n_generations] best validation accuracy of each generation, in [0, 1] */
    const double *median;     /* [n_generations] median validation accuracy */
    int n_candidates;         /* >= 1 */
    const double *params;     /* [n_candidates] trainable parameters, > 0 */
    const double *accuracy;   /* [n_candidates] validation accuracy, in [0, 1] */
    const int *generation;    /* [n_candidates] generation each was born in (colours the points); may be NULL */
} nf_plot_data;

/* Draws d into the PNG file path (1400x600). NF_ERR_ARG for empty or
 * non-finite data (the detail says which), NF_ERR_IO naming path when it
 * cannot be written. Not thread-safe (PLplot keeps global state). */
nf_status nf_plot_progress(const char *path, const nf_plot_data *d);

/* One run of a comparison: its best validation accuracy so far against the
 * wall-clock minutes of the run. */
typedef struct nf_plot_run {
    const char *label;        /* the legend's text */
    int n;                    /* points, >= 1 */
    const double *minutes;    /* [n] increasing, >= 0 */
    const double *accuracy;   /* [n] in [0, 1] */
} nf_plot_run;

/* Several runs on one figure (1400x600), one line each, into the PNG file
 * path. Errors as nf_plot_progress. At most 8 runs (the colours). */
nf_status nf_plot_compare(const char *path, const char *title, const nf_plot_run *runs, int n_runs);

#endif
