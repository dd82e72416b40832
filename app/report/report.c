#include "app/report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/formats/arch_dot.h"
#include "app/formats/arch_json.h"
#include "app/formats/fileio.h"
#include "app/report/report_html.h"

nf_report_options nf_report_defaults(void) { return (nf_report_options){.top = 10, .threads = 2, .refresh = 30}; }

/* Drawings of the candidates whose architecture r holds, by one run of dot.
 * A failure leaves them all NULL and says why in note. */
static void draw(const nf_report_run *r, char **svgs, char *note, size_t cap)
{
    char **dots = calloc((size_t)r->n_cands + 1, sizeof *dots);
    int *at = calloc((size_t)r->n_cands + 1, sizeof *at), n = 0;
    nf_status st = dots && at ? NF_OK : nf_fail(NF_ERR_NOMEM, "out of memory");
    for (int i = 0; i < r->n_cands && !st; i++) {
        if (!r->arch_json[i]) continue;
        nf_graph *g = NULL;
        nf_rng rng;
        nf_rng_seed(&rng, 0, 0, NF_RNG_INIT); /* the drawing needs shapes only */
        char source[64];
        snprintf(source, sizeof source, "candidate %lld", (long long)r->cands[i].id);
        st = nf_arch_from_json(r->arch_json[i], source, &rng, &g);
        if (!st) st = nf_arch_to_dot(g, NULL, &dots[n]);
        nf_graph_destroy(g);
        if (!st) at[n++] = i;
    }
    char **out = calloc((size_t)n + 1, sizeof *out);
    if (!st && !out) st = nf_fail(NF_ERR_NOMEM, "out of memory");
    if (!st) st = nf_dot_render_svgs(dots, n, out);
    for (int k = 0; !st && k < n; k++) svgs[at[k]] = out[k];
    if (st) snprintf(note, cap, "no drawings: %s", nf_last_error());
    for (int k = 0; dots && k < n; k++) free(dots[k]);
    free(dots);
    free(at);
    free(out);
}

/* The page in memory, then on disk. */
static nf_status write_page(const char *path, void (*fill)(FILE *f, const void *arg), const void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return nf_fail(NF_ERR_NOMEM, "%s: out of memory", path);
    fill(f, arg);
    if (fclose(f) != 0) { free(buf); return nf_fail(NF_ERR_NOMEM, "%s: out of memory", path); }
    nf_status st = nf_file_write(path, buf, len);
    free(buf);
    return st;
}

static void fill_one(FILE *f, const void *arg) { nf_report_html(f, arg); }

nf_status nf_report_write(nf_store *db, const char *path, const nf_report_options *o)
{
    nf_report_run r;
    nf_status st = nf_report_read(db, o->top, &r);
    if (st) { nf_report_run_free(&r); return st; }
    char **svgs = calloc((size_t)r.n_cands + 1, sizeof *svgs), note[600] = "", draw_note[600] = "";
    if (!svgs) { nf_report_run_free(&r); return nf_fail(NF_ERR_NOMEM, "out of memory"); }
    draw(&r, svgs, draw_note, sizeof draw_note);
    nf_report_eval ev = {0};
    if (r.winner_id < 0) snprintf(note, sizeof note, "measured on the test set once the run has finished");
    else if (!o->evaluate) snprintf(note, sizeof note, "nasfit report --evaluate measures them on the test set");
    else if (nf_report_evaluate(db, r.dataset, r.winner_id, o->threads, &ev))
        snprintf(note, sizeof note, "could not be measured: %s", nf_last_error());
    if (draw_note[0]) snprintf(note + strlen(note), sizeof note - strlen(note), " (%.400s)", draw_note);
    nf_report_page page = {.run = &r, .arch_svg = svgs, .eval = &ev, .eval_note = note, .refresh_seconds = o->refresh};
    st = write_page(path, fill_one, &page);
    for (int i = 0; i < r.n_cands; i++) free(svgs[i]);
    free(svgs);
    nf_report_eval_free(&ev);
    nf_report_run_free(&r);
    return st;
}

typedef struct compare { const nf_report_run *runs; int n, refresh; } compare;

static void fill_compare(FILE *f, const void *arg)
{
    const compare *c = arg;
    nf_report_compare_html(f, c->runs, c->n, c->refresh);
}

nf_status nf_report_write_compare(nf_store *const *dbs, int n, const char *path, const nf_report_options *o)
{
    nf_report_run *runs = calloc((size_t)n, sizeof *runs);
    if (!runs) return nf_fail(NF_ERR_NOMEM, "out of memory");
    nf_status st = NF_OK;
    for (int i = 0; i < n && !st; i++) st = nf_report_read(dbs[i], 0, &runs[i]);
    compare c = {runs, n, o->refresh};
    if (!st) st = write_page(path, fill_compare, &c);
    for (int i = 0; i < n; i++) nf_report_run_free(&runs[i]);
    free(runs);
    return st;
}

/* ==== while the run goes on ============================================== */

void nf_report_live_init(nf_report_live *l, nf_store *db, const char *path, const nf_search_hooks *inner)
{
    *l = (nf_report_live){.db = db, .path = path, .options = nf_report_defaults()};
    if (inner) l->inner = *inner;
}

void nf_report_live_update(nf_report_live *l, int evaluate)
{
    nf_report_options o = l->options;
    o.evaluate = evaluate;
    if (!nf_report_write(l->db, l->path, &o) || l->warned) return;
    fprintf(stderr, "nasfit: note: the report page was not written (the run goes on): %s\n", nf_last_error());
    l->warned = 1;
}

static nf_status on_population(void *user, const nf_search *s)
{
    nf_report_live *l = user;
    nf_status st = l->inner.population_ready ? l->inner.population_ready(l->inner.user, s) : NF_OK;
    if (!st) nf_report_live_update(l, 0);
    return st;
}

static nf_status on_trained(void *user, const nf_search *s, const nf_candidate *c)
{
    nf_report_live *l = user;
    return l->inner.candidate_trained ? l->inner.candidate_trained(l->inner.user, s, c) : NF_OK;
}

static nf_status on_generation(void *user, const nf_search *s, const nf_gen_stats *g)
{
    nf_report_live *l = user;
    nf_status st = l->inner.generation_done ? l->inner.generation_done(l->inner.user, s, g) : NF_OK;
    if (!st) nf_report_live_update(l, 0);
    return st;
}

static nf_status on_final_started(void *user, const nf_search *s, int64_t images)
{
    nf_report_live *l = user;
    return l->inner.final_started ? l->inner.final_started(l->inner.user, s, images) : NF_OK;
}

static nf_status on_finished(void *user, const nf_search *s, const nf_result *r)
{
    nf_report_live *l = user;
    return l->inner.finished ? l->inner.finished(l->inner.user, s, r) : NF_OK;
}

static int on_stop(void *user)
{
    nf_report_live *l = user;
    return l->inner.stop ? l->inner.stop(l->inner.user) : 0;
}

static void on_progress(void *user, const nf_search *s, int64_t done, int64_t total)
{
    nf_report_live *l = user;
    if (l->inner.progress) l->inner.progress(l->inner.user, s, done, total);
}

nf_search_hooks nf_report_live_hooks(nf_report_live *l)
{
    return (nf_search_hooks){.user = l, .population_ready = on_population, .candidate_trained = on_trained,
                             .generation_done = on_generation, .final_started = on_final_started,
                             .finished = on_finished, .stop = on_stop, .progress = on_progress};
}
