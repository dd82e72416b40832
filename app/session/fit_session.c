#include "app/session/fit_session.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/clock.h"
#include "app/formats/arch_json.h"
#include "app/session/fit_report.h"
#include "app/session/progress.h"
#include "app/report/report.h"
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

/* The fixed strategy's architecture (search.arch), which must take the
 * data set's images and give its classes; NULL when none is named. */
static nf_status load_arch(const nf_fit_config *cfg, const nf_dataset *train, nf_graph **g)
{
    *g = NULL;
    if (!cfg->arch[0] || cfg->search.strategy != NF_STRATEGY_FIXED) return NF_OK; /* fit refuses the mix */
    nf_rng rng;
    nf_rng_seed(&rng, cfg->search.seed, 0, NF_RNG_INIT);
    nf_status st = nf_arch_load(cfg->arch, &rng, g);
    if (st) return st;
    const nf_graph *a = *g;
    int c = nf_ds_channels(train), h = nf_ds_height(train), w = nf_ds_width(train), k = nf_ds_classes(train);
    if (a->in_c == c && a->in_h == h && a->in_w == w && nf_graph_classes(a) == k) return NF_OK;
    st = nf_fail(NF_ERR_ARG, "%s: the architecture takes %dx%dx%d images and gives %d classes; the data set has "
                 "%dx%dx%d images and %d classes", cfg->arch, a->in_c, a->in_h, a->in_w, nf_graph_classes(a), c, h, w, k);
    nf_graph_destroy(*g);
    *g = NULL;
    return st;
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
    double t0 = nf_clock();
    nf_status st = load_data(fs->cfg, &data);
    if (st) {
        nf_ds_splits_free(&data);
        return nf_cmd_fail(fs->command, st, NF_DOING_READ);
    }
    nf_fit_report rep;
    nf_fit_report_init(&rep, fs->quiet);
    if (!fs->quiet) describe(&data, fs->cfg, nf_clock() - t0);
    nf_search *s = NULL;
    nf_graph *arch = NULL;
    nf_search_config sc = fs->cfg->search;
    st = load_arch(fs->cfg, data.train, &arch);
    nf_doing doing = st ? NF_DOING_READ : NF_DOING_WORK; /* a missing --arch file is bad input, a full disk later is not */
    sc.arch = arch;
    if (!st) st = nf_search_create(&sc, data.train, data.val, data.test, &data.norm, &s);
    if (!st && fs->trainer) nf_search_set_trainer(s, fs->trainer);
    /* A resume checks everything before its first write (the data set's
     * check writes nothing when it is the same): a refused resume leaves
     * the file as it was. */
    if (!st && fs->resume) st = nf_run_store_restore(fs->db, s, fs->resume);
    if (!st) st = nf_run_store_data(fs->db, &data.norm, data.train->class_names, nf_ds_classes(data.train));
    if (!st && fs->claim) st = nf_run_store_claim(fs->db, fs->claim);
    if (!st) st = nf_run_store_trainer(fs->db, s->trainer->ops->name, s->trainer->workers);
    int recorded = !st || !fs->resume; /* whether the file says how this session ended */
    if (!st && fs->resume && !fs->quiet) say_resume_point(fs->resume, s);
    nf_search_hooks printing = nf_fit_report_hooks(&rep);
    nf_report_live live; /* the page, when asked for: after each commit, before printing */
    nf_report_live_init(&live, fs->db, fs->report, &printing);
    live.options.threads = fs->cfg->search.threads;
    nf_search_hooks inner = fs->report ? nf_report_live_hooks(&live) : printing;
    if (!st && fs->report) nf_report_live_update(&live, 0);
    nf_run_store rs;
    nf_run_store_init(&rs, fs->db, &inner);
    nf_search_hooks hooks = nf_run_store_hooks(&rs);
    if (!st) st = fs->resume ? nf_run_store_continue(s, &hooks, fs->resume) : nf_search_run(s, &hooks);
    char why[1024];
    snprintf(why, sizeof why, "%s", st && rs.error[0] ? rs.error : nf_last_error());
    if (recorded) nf_run_store_end(fs->db, st, why);
    if (fs->report) nf_report_live_update(&live, st == NF_OK); /* the end: no more reloading */
    if (st) nf_fail(st, "%s", why);
    int code = nf_fit_report_end(&rep, s, st, doing);
    if (st == NF_ERR_INTERRUPTED)
        fprintf(stderr, "nasfit: everything trained so far is in %s; continue with: nasfit resume --db %s\n",
                nf_store_path(fs->db), nf_store_path(fs->db));
    else if (st && st != NF_ERR_ARG && st != NF_ERR_FORMAT)
        fprintf(stderr, "nasfit: what was committed is kept in %s; once the cause is fixed: nasfit resume --db %s\n",
                nf_store_path(fs->db), nf_store_path(fs->db));
    nf_search_destroy(s);
    nf_graph_destroy(arch);
    nf_ds_splits_free(&data);
    return code;
}
