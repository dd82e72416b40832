/* nasfit's report page, made from run files and written atomically (a
 * temporary file in the same folder, synced, renamed over the page), so a
 * browser reloading it never reads half a page. Also the hooks that
 * rewrite it after every generation of a running search (fit --report,
 * resume --report). */
#ifndef NF_REPORT_H
#define NF_REPORT_H

#include "app/store/store.h"
#include "nas/search.h"

typedef struct nf_report_options {
    int top;            /* candidates in the table, each with its drawing (10) */
    int evaluate;       /* evaluate the winner on the test set for per-class accuracy (0) */
    int threads;        /* for that evaluation (2) */
    int refresh;        /* seconds between reloads while the run goes on (30) */
} nf_report_options;

nf_report_options nf_report_defaults(void);

/* The page of the run in db (open for reading or writing) written to
 * path. A failing evaluation or drawing is said on the page, not
 * returned; NF_ERR_IO when the page cannot be written. */
nf_status nf_report_write(nf_store *db, const char *path, const nf_report_options *o);

/* The page comparing the runs in dbs[0..n). */
nf_status nf_report_write_compare(nf_store *const *dbs, int n, const char *path, const nf_report_options *o);

/* Hooks that pass everything to inner and rewrite the page after each
 * generation and at the end. A page that cannot be written is reported
 * once on stderr and the run goes on. */
typedef struct nf_report_live {
    nf_store *db;
    const char *path;
    nf_report_options options;
    nf_search_hooks inner;
    int warned;
} nf_report_live;

void nf_report_live_init(nf_report_live *l, nf_store *db, const char *path, const nf_search_hooks *inner);
nf_search_hooks nf_report_live_hooks(nf_report_live *l);
/* Writes the page once more (after the run's end was recorded). */
void nf_report_live_update(nf_report_live *l, int evaluate);

#endif
