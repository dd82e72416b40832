/* nasfit plot: a run's progress as a picture (app/plot.c draws it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/commands.h"
#include "app/plot.h"
#include "app/run_read.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nasfit plot --db FILE -o PROGRESS.png\n"
            "Draws the run kept in FILE: best and median validation accuracy per generation, and\n"
            "every trained candidate as parameter count against its best validation accuracy,\n"
            "shaded by the generation it was born in. Works while a run writes the file.\n\n"
            "  --db FILE   the run file\n"
            "  -o PNG      the picture to write (1400x600)\n"
            "  --help      this text\n\n"
            "exit status: 0 ok, 1 usage, 2 bad input (a missing or damaged file, nothing trained yet,\n"
            "PNG not writable)\n");
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

static nf_status accuracy_row(void *user, const nf_row *r)
{
    medians *m = user;
    int gen = (int)nf_row_int(r, 0);
    nf_status st = gen != m->gen ? close_generation(m) : NF_OK;
    m->gen = gen;
    if (st || !grow((void **)&m->v, &m->cap, m->n, sizeof(double))) return st ? st : nf_fail(NF_ERR_NOMEM, "out of memory");
    m->v[m->n++] = nf_row_real(r, 1);
    return NF_OK;
}

static nf_status candidate_row(void *user, const nf_row *r)
{
    series *s = user;
    int cap = s->cap_cand, ok = grow((void **)&s->params, &cap, s->n_cand, sizeof(double));
    cap = s->cap_cand;
    ok = ok && grow((void **)&s->acc, &cap, s->n_cand, sizeof(double));
    cap = s->cap_cand;
    ok = ok && grow((void **)&s->born, &cap, s->n_cand, sizeof(int));
    if (!ok) return nf_fail(NF_ERR_NOMEM, "out of memory");
    s->cap_cand = cap;
    s->params[s->n_cand] = (double)nf_row_int(r, 0);
    s->acc[s->n_cand] = nf_row_real(r, 1);
    s->born[s->n_cand++] = (int)nf_row_int(r, 2);
    return NF_OK;
}

int nf_cmd_plot(int argc, char **argv)
{
    const char *out = NULL;
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int n = 0;
    if (!rest) return 4;
    for (int i = 0; i < argc; i++) { /* -o is plot's own; the rest is the read commands' */
        if (i > 0 && (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc) out = argv[++i];
        else rest[n++] = argv[i];
    }
    static const nf_read_command me = {"plot", 0, 0, usage};
    nf_read_args a;
    int code = nf_read_parse(&me, n, rest, &a);
    free(rest);
    if (code >= 0) return code;
    if (!out || a.json) { fprintf(stderr, "nasfit plot: -o PNG is required (and --json does not apply)\n"); return 1; }
    nf_store *db;
    if ((code = nf_read_open("plot", a.db, &db))) return code;
    series s = {0};
    medians m = {.s = &s, .gen = -1};
    nf_status st = nf_store_exec(db, "SELECT generation, val_accuracy FROM candidate_fitness "
                                     "WHERE generation IN (SELECT generation FROM generations) ORDER BY generation, val_accuracy",
                                 NULL, 0, accuracy_row, &m);
    if (!st) st = close_generation(&m);
    if (!st) st = nf_store_exec(db, "SELECT c.parameters, max(f.val_accuracy), c.born FROM candidates c "
                                    "JOIN candidate_fitness f ON f.candidate_id = c.id WHERE c.parameters > 0 GROUP BY c.id",
                                NULL, 0, candidate_row, &s);
    nf_store_close(db);
    if (!st && (s.n_gen == 0 || s.n_cand == 0))
        st = nf_fail(NF_ERR_ARG, "%s: no generation has been scored yet; nothing to draw", a.db);
    char title[1100];
    snprintf(title, sizeof title, "nasfit run %s", a.db);
    nf_plot_data d = {.title = title, .n_generations = s.n_gen, .best = s.best, .median = s.median,
                      .n_candidates = s.n_cand, .params = s.params, .accuracy = s.acc, .generation = s.born};
    if (!st) st = nf_plot_progress(out, &d);
    if (!st) printf("%s: %d generations, %d candidates\n", out, s.n_gen, s.n_cand);
    free(s.best); free(s.median); free(s.params); free(s.acc); free(s.born); free(m.v);
    if (!st) return 0;
    fprintf(stderr, "nasfit plot: %s\n", nf_last_error());
    return 2;
}
