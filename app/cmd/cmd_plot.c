/* nasfit plot: a run's progress as a picture (app/formats/plot.c draws it). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cmd/commands.h"
#include "app/formats/config.h"
#include "app/formats/plot.h"
#include "app/store/run_queries.h"
#include "app/cmd/run_read.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nasfit plot --db FILE -o PROGRESS.png\n"
            "       nasfit plot --db A.sqlite --db B.sqlite [--db ...] -o COMPARE.png\n"
            "Draws the run kept in FILE: best and median validation accuracy per generation, and\n"
            "every trained candidate as parameter count against its best validation accuracy,\n"
            "shaded by the generation it was born in. With several run files (up to 8), one\n"
            "figure compares them: the best validation accuracy so far against wall-clock\n"
            "minutes, one line per run (its last point after the final training), labelled with\n"
            "its strategy and test accuracy. Works while a run writes the file.\n\n"
            "  --db FILE   the run file (several: a comparison)\n"
            "  -o PNG      the picture to write (1400x600)\n"
            "  --help      this text\n\n"
            "exit status: 0 ok, 1 usage, 2 bad input (a missing or damaged file, nothing trained yet),\n"
            "4 failed (the PNG could not be written, out of memory)\n");
}

/* Growable columns of doubles. */
typedef struct series { double *best, *median, *params, *acc; int *born; int n_gen, n_cand, cap_gen, cap_cand; } series;

static int grow(void **p, int *cap, int n, size_t size)
{
    if (n < *cap) return 1;
    int c = *cap ? 2 * *cap : 64;
    void *q = realloc(*p, (size_t)c * size);
    if (!q) return 0;
    *p = q;
    *cap = c;
    return 1;
}

/* Rows of (generation, val_accuracy) in order: one median per generation. */
typedef struct medians { series *s; int gen; double *v; int n, cap; } medians;

static nf_status close_generation(medians *m)
{
    if (m->n == 0) return NF_OK;
    series *s = m->s;
    int cap = s->cap_gen;
    if (!grow((void **)&s->median, &cap, s->n_gen, sizeof(double))) return nf_fail(NF_ERR_NOMEM, "out of memory");
    cap = s->cap_gen;
    if (!grow((void **)&s->best, &cap, s->n_gen, sizeof(double))) return nf_fail(NF_ERR_NOMEM, "out of memory");
    s->cap_gen = cap;
    s->median[s->n_gen] = m->n % 2 ? m->v[m->n / 2] : 0.5 * (m->v[m->n / 2 - 1] + m->v[m->n / 2]);
    s->best[s->n_gen++] = m->v[m->n - 1];
    m->n = 0;
    return NF_OK;
}

static nf_status accuracy_row(void *user, int64_t generation, double val_accuracy)
{
    medians *m = user;
    int gen = (int)generation;
    nf_status st = gen != m->gen ? close_generation(m) : NF_OK;
    m->gen = gen;
    if (st || !grow((void **)&m->v, &m->cap, m->n, sizeof(double))) return st ? st : nf_fail(NF_ERR_NOMEM, "out of memory");
    m->v[m->n++] = val_accuracy;
    return NF_OK;
}

static nf_status candidate_row(void *user, int64_t params, double val_accuracy, int64_t born)
{
    series *s = user;
    int cap = s->cap_cand, ok = grow((void **)&s->params, &cap, s->n_cand, sizeof(double));
    cap = s->cap_cand;
    ok = ok && grow((void **)&s->acc, &cap, s->n_cand, sizeof(double));
    cap = s->cap_cand;
    ok = ok && grow((void **)&s->born, &cap, s->n_cand, sizeof(int));
    if (!ok) return nf_fail(NF_ERR_NOMEM, "out of memory");
    s->cap_cand = cap;
    s->params[s->n_cand] = (double)params;
    s->acc[s->n_cand] = val_accuracy;
    s->born[s->n_cand++] = (int)born;
    return NF_OK;
}

/* ==== several runs ======================================================== */

#define MAX_COMPARED 8

/* One run's curve: cumulative minutes and the best validation accuracy so far. */
typedef struct curve { double minutes[4096], accuracy[4096]; int n; double clock; char name[128], label[256]; } curve;

static nf_status curve_row(void *user, const nf_query_gen *g)
{
    curve *c = user;
    if (c->n >= 4095) return NF_OK; /* a longer run keeps its first 4095 generations and its end */
    c->clock += g->seconds / 60;
    double best = g->best_accuracy;
    c->minutes[c->n] = c->clock;
    c->accuracy[c->n] = c->n && c->accuracy[c->n - 1] > best ? c->accuracy[c->n - 1] : best;
    c->n++;
    return NF_OK;
}

static nf_status end_row(void *user, const nf_query_run_row *r)
{
    curve *c = user;
    nf_fit_config cfg = nf_fit_config_defaults();
    const char *strategy = nf_config_parse(r->config, "the stored configuration", &cfg) ? "?" : nf_strategy_name(cfg.search.strategy);
    char test[32] = "not finished";
    if (!isnan(r->test_accuracy)) snprintf(test, sizeof test, "test %.4f", r->test_accuracy);
    snprintf(c->label, sizeof c->label, "%.100s: %s, seed %lld, %s", c->name, strategy, (long long)r->seed, test);
    if (!isnan(r->final_val_accuracy) && c->n < 4096) { /* after the final training */
        double t = r->elapsed / 60;
        c->minutes[c->n] = t > c->clock ? t : c->clock;
        c->accuracy[c->n++] = r->final_val_accuracy;
    }
    return NF_OK;
}

/* Returns the exit status; prints the reason when it is not 0. */
static int read_curve(const char *path, curve *c)
{
    nf_store *db;
    int code = nf_read_open("plot", path, &db);
    if (code) return code;
    const char *base = strrchr(path, '/');
    snprintf(c->name, sizeof c->name, "%s", base ? base + 1 : path);
    nf_status st = nf_query_generations(db, false, curve_row, c);
    if (!st) st = nf_query_run(db, end_row, c);
    nf_store_close(db);
    if (!st && c->n == 0) st = nf_fail(NF_ERR_ARG, "%s: nothing scored yet; nothing to draw", path);
    return st ? nf_cmd_fail("plot", st, NF_DOING_READ) : NF_EXIT_OK;
}

static int compare(char **dbs, int n, const char *out)
{
    if (n > MAX_COMPARED) {
        fprintf(stderr, "nasfit plot: at most %d run files on one figure\n", MAX_COMPARED);
        return NF_EXIT_USAGE;
    }
    curve *c = calloc((size_t)n, sizeof *c);
    nf_plot_run runs[MAX_COMPARED];
    if (!c) return nf_cmd_fail("plot", nf_fail(NF_ERR_NOMEM, "out of memory"), NF_DOING_READ);
    int code = NF_EXIT_OK;
    for (int i = 0; i < n && !code; i++) {
        code = read_curve(dbs[i], &c[i]);
        runs[i] = (nf_plot_run){c[i].label, c[i].n, c[i].minutes, c[i].accuracy};
    }
    nf_status st = code ? NF_OK : nf_plot_compare(out, "Best validation accuracy against wall-clock time", runs, n);
    if (st) code = nf_cmd_fail("plot", st, NF_DOING_WORK);
    else if (!code) printf("%s: %d runs compared\n", out, n);
    free(c);
    return code;
}

int nf_cmd_plot(int argc, char **argv)
{
    const char *out = NULL;
    char **rest = calloc((size_t)argc + 1, sizeof *rest), **dbs = calloc((size_t)argc + 1, sizeof *dbs);
    int n = 0, n_db = 0;
    if (!rest || !dbs) {
        free(rest);
        free(dbs);
        return nf_cmd_fail("plot", nf_fail(NF_ERR_NOMEM, "out of memory"), NF_DOING_READ);
    }
    for (int i = 0; i < argc; i++) { /* -o is plot's own; the rest is the read commands' */
        if (i > 0 && (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc) out = argv[++i];
        else rest[n++] = argv[i];
        if (i > 0 && !strcmp(argv[i], "--db") && i + 1 < argc) dbs[n_db++] = argv[i + 1];
    }
    if (n_db > 1) {
        free(rest);
        int code = out ? compare(dbs, n_db, out) : (fprintf(stderr, "nasfit plot: -o PNG is required\n"), NF_EXIT_USAGE);
        free(dbs);
        return code;
    }
    free(dbs);
    static const nf_read_command me = {"plot", 0, 0, usage};
    nf_read_args a;
    int code = nf_read_parse(&me, n, rest, &a);
    free(rest);
    if (code >= 0) return code;
    if (!out || a.json) {
        fprintf(stderr, "nasfit plot: -o PNG is required (and --json does not apply)\n");
        return NF_EXIT_USAGE;
    }
    nf_store *db;
    if ((code = nf_read_open("plot", a.db, &db))) return code;
    series s = {0};
    medians m = {.s = &s, .gen = -1};
    nf_status st = nf_query_scores(db, accuracy_row, &m);
    if (!st) st = close_generation(&m);
    if (!st) st = nf_query_points(db, candidate_row, &s);
    nf_store_close(db);
    if (!st && (s.n_gen == 0 || s.n_cand == 0))
        st = nf_fail(NF_ERR_ARG, "%s: no generation has been scored yet; nothing to draw", a.db);
    char title[1100];
    snprintf(title, sizeof title, "nasfit run %s", a.db);
    nf_plot_data d = {.title = title, .n_generations = s.n_gen, .best = s.best, .median = s.median,
                      .n_candidates = s.n_cand, .params = s.params, .accuracy = s.acc, .generation = s.born};
    if (st) code = nf_cmd_fail("plot", st, NF_DOING_READ);
    else if ((st = nf_plot_progress(out, &d))) code = nf_cmd_fail("plot", st, NF_DOING_WORK);
    else printf("%s: %d generations, %d candidates\n", out, s.n_gen, s.n_cand);
    free(s.best); free(s.median); free(s.params); free(s.acc); free(s.born); free(m.v);
    return code;
}
