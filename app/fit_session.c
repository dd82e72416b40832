#include "app/fit_session.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/fit_report.h"
#include "app/progress.h"
#include "datasets/prepare.h"
#include "engine/threads.h"

void nf_fit_data_spec(char *spec, size_t cap)
{
    struct stat sb;
    char abs[PATH_MAX];
    if (!strcmp(spec, "fashion-mnist") || stat(spec, &sb) != 0 || !realpath(spec, abs)) return;
    if (strlen(abs) < cap) snprintf(spec, cap, "%s", abs);
}

static nf_status load_data(const nf_fit_config *cfg, nf_ds_splits *data)
{
    nf_ds_prepare_options po = nf_ds_prepare_defaults();
    po.seed = cfg->search.seed;
    po.val_fraction = cfg->val_fraction;
    po.train_limit = cfg->train_limit;
    return nf_ds_prepare(cfg->data, &po, data);
}

static void describe(const nf_ds_splits *d, const nf_fit_config *cfg, double seconds)
{
    printf("data: %s, %d training, %d validation and %d test images of %dx%dx%d, %d classes (%.1f s); "
           "OpenBLAS %s kernels, %d thread(s)\n",
           nf_ds_format(d->train), nf_ds_count(d->train), nf_ds_count(d->val), d->test ? nf_ds_count(d->test) : 0,
           nf_ds_channels(d->train), nf_ds_height(d->train), nf_ds_width(d->train), nf_ds_classes(d->train), seconds,
           nf_threads_blas_core(), cfg->search.threads);
}

static int trained_in(const nf_search *s)
{
    int n = 0;
    for (int i = 0; i < s->n_pop; i++) n += s->pop[i]->state != NF_CAND_NEW && s->pop[i]->trained_gen == s->generation;
    return n;
}

static void say_resume_point(const nf_run_state *r, const nf_search *s)
{
    if (r->final_images >= 0)
        printf("resuming: the final training of candidate %lld (%lld images) starts again\n",
               (long long)s->best->id, (long long)r->final_images);
    else
        printf("resuming at generation %d: %d of %d candidates stored, %d already trained in it, %.0f s used before\n",
               r->generation, s->n_pop, s->cfg.population, trained_in(s), r->elapsed);
    fflush(stdout);
}

int nf_fit_session_run(const nf_fit_session *fs)
{
    nf_ds_splits data = {0};
    double t0 = nf_now();
    if (load_data(fs->cfg, &data)) {
        fprintf(stderr, "nasfit %s: %s\n", fs->command, nf_last_error());
        nf_ds_splits_free(&data);
        return 2;
    }
    nf_fit_report rep;
    nf_fit_report_init(&rep, fs->quiet);
    if (!fs->quiet) describe(&data, fs->cfg, nf_now() - t0);
    nf_search *s = NULL;
    nf_status st = nf_search_create(&fs->cfg->search, data.train, data.val, data.test, &data.norm, &s);
    /* A resume checks everything before its first write (the data set's
     * check writes nothing when it is the same): a refused resume leaves
     * the file as it was. */
    if (!st && fs->resume) st = nf_run_store_restore(fs->db, s, fs->resume);
    if (!st) st = nf_run_store_data(fs->db, &data.norm, data.train->class_names, nf_ds_classes(data.train));
    if (!st && fs->claim) st = nf_run_store_claim(fs->db, fs->claim);
    int recorded = !st || !fs->resume; /* whether the file says how this session ended */
    if (!st && fs->resume && !fs->quiet) say_resume_point(fs->resume, s);
    nf_search_hooks printing = nf_fit_report_hooks(&rep);
    nf_run_store rs;
    nf_run_store_init(&rs, fs->db, &printing);
    nf_search_hooks hooks = nf_run_store_hooks(&rs);
    if (!st) st = fs->resume ? nf_run_store_continue(s, &hooks, fs->resume) : nf_search_run(s, &hooks);
    char why[1024];
    snprintf(why, sizeof why, "%s", st && rs.error[0] ? rs.error : nf_last_error());
    if (recorded) nf_run_store_end(fs->db, st, why);
    if (st) nf_fail(st, "%s", why);
    int code = nf_fit_report_end(&rep, s, st);
    if (st == NF_ERR_INTERRUPTED)
        fprintf(stderr, "nasfit: everything trained so far is in %s; continue with: nasfit resume --db %s\n",
                nf_store_path(fs->db), nf_store_path(fs->db));
    else if (st && st != NF_ERR_ARG && st != NF_ERR_FORMAT)
        fprintf(stderr, "nasfit: what was committed is kept in %s; once the cause is fixed: nasfit resume --db %s\n",
                nf_store_path(fs->db), nf_store_path(fs->db));
    nf_search_destroy(s);
    nf_ds_splits_free(&data);
    return code;
}
