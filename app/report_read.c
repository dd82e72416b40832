#include "app/report_read.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/config.h"
#include "app/run_read.h"

#define OOM nf_fail(NF_ERR_NOMEM, "out of memory reading the run")

/* A copy of text kept until nf_report_run_free; NULL when out of memory. */
static const char *keep(nf_report_run *r, const char *text)
{
    if (r->n_strings == r->cap_strings) {
        int cap = r->cap_strings ? 2 * r->cap_strings : 64;
        char **more = realloc(r->strings, (size_t)cap * sizeof *more);
        if (!more) return NULL;
        r->strings = more;
        r->cap_strings = cap;
    }
    char *copy = strdup(text ? text : "");
    if (copy) r->strings[r->n_strings++] = copy;
    return copy;
}

/* Room for one more element of an array of `size`-byte elements holding
 * n: capacity 16, then doubled at each power of two. Frees p and returns
 * NULL when out of memory. */
static void *grow(void *p, int n, size_t size)
{
    if (n != 0 && (n < 16 || (n & (n - 1)))) return p;
    void *q = realloc(p, (size_t)(n ? 2 * n : 16) * size);
    if (!q) free(p);
    return q;
}
#define PUSH(arr, n) ((arr) = grow((arr), (n), sizeof *(arr)))

static double real_or_nan(const nf_row *row, int col) { return nf_row_null(row, col) ? NAN : nf_row_real(row, col); }
static int64_t id_or_none(const nf_row *row, int col) { return nf_row_null(row, col) ? -1 : nf_row_int(row, col); }

/* ==== the run row ======================================================== */

static nf_status run_row(void *user, const nf_row *row)
{
    nf_report_run *r = user;
    const char **texts[] = {&r->dataset, &r->class_names, &r->config, &r->blas_kernel, &r->started,
                            &r->ended, &r->status, &r->stop_reason, &r->message};
    for (int k = 0; k < 9; k++)
        if (!(*texts[k] = keep(r, nf_row_text(row, k)))) return OOM;
    r->seed = nf_row_int(row, 9);
    int64_t pid = nf_row_int(row, 10);
    r->elapsed = nf_row_real(row, 11);
    r->winner_id = id_or_none(row, 12);
    r->final_val_accuracy = real_or_nan(row, 13);
    r->test_accuracy = real_or_nan(row, 14);
    r->final_images = nf_row_null(row, 15) ? -1 : nf_row_int(row, 15);
    r->candidates = nf_row_int(row, 16);
    nf_read_status(r->status, pid, r->status_text, sizeof r->status_text);
    r->running = !strncmp(r->status_text, "running", 7);
    return NF_OK;
}

/* The budget and the generation limit, from the stored configuration. */
static void read_limits(nf_report_run *r)
{
    nf_fit_config cfg = nf_fit_config_defaults();
    r->time_budget = NAN;
    if (nf_config_parse(r->config, r->path, &cfg)) { nf_clear_error(); return; }
    r->time_budget = cfg.search.time_budget > 0 ? cfg.search.time_budget : NAN;
    r->generations_limit = cfg.search.generations;
}

/* ==== generations ======================================================== */

static nf_status gen_row(void *user, const nf_row *row)
{
    nf_report_run *r = user;
    if (!PUSH(r->gens, r->n_gens)) return OOM;
    nf_report_gen *g = &r->gens[r->n_gens++];
    double before = r->n_gens > 1 ? g[-1].clock : 0;
    *g = (nf_report_gen){.generation = (int)nf_row_int(row, 0), .best_fitness = nf_row_real(row, 1),
                         .median_fitness = nf_row_real(row, 2), .best_accuracy = nf_row_real(row, 3),
                         .seconds = nf_row_real(row, 4), .population = (int)nf_row_int(row, 5),
                         .failed = (int)nf_row_int(row, 6), .images = nf_row_int(row, 7),
                         .commit_seconds = nf_row_real(row, 8), .median_accuracy = real_or_nan(row, 9)};
    g->clock = before + g->seconds;
    double *v2[] = {&g->trained_images, &g->culled, &g->score_seconds, &g->idle_seconds};
    for (int k = 0; k < 4; k++) *v2[k] = r->has_v2 ? real_or_nan(row, 10 + k) : NAN;
    return NF_OK;
}

/* The median validation accuracy of each generation's trained candidates,
 * from SQLite's window functions (it has no median of its own). */
static const char gens_sql[] =
    "WITH ranked AS (SELECT generation, val_accuracy, row_number() OVER (PARTITION BY generation ORDER BY val_accuracy) AS k, "
    "  count(*) OVER (PARTITION BY generation) AS n FROM candidate_fitness), "
    "med AS (SELECT generation, avg(val_accuracy) AS median FROM ranked WHERE k IN ((n + 1) / 2, (n + 2) / 2) GROUP BY generation) "
    "SELECT g.generation, g.best_fitness, g.median_fitness, g.best_accuracy, g.seconds, g.population, g.failed, g.images, "
    "  g.commit_seconds, med.median%s FROM generations g LEFT JOIN med USING (generation) ORDER BY g.generation";

static nf_status has_column(nf_store *db, const char *table, const char *column, int *yes)
{
    char sql[160];
    int64_t n = 0;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'", table, column);
    nf_status st = nf_store_int(db, sql, NULL, 0, &n);
    *yes = n > 0;
    return st == NF_ERR_ARG ? NF_OK : st;
}

static nf_status read_gens(nf_store *db, nf_report_run *r)
{
    int a = 0, b = 0;
    nf_status st = has_column(db, "generations", "idle_seconds", &a);
    if (!st) st = has_column(db, "candidate_fitness", "worker", &b);
    if (st) return st;
    r->has_v2 = a && b;
    char sql[sizeof gens_sql + 128];
    snprintf(sql, sizeof sql, gens_sql,
             r->has_v2 ? ", g.images, g.culled, g.score_seconds, g.idle_seconds" : "");
    return nf_store_exec(db, sql, NULL, 0, gen_row, r);
}

/* ==== candidates ========================================================= */

static nf_status cand_row(void *user, const nf_row *row)
{
    nf_report_run *r = user;
    if (!PUSH(r->cands, r->n_cands)) return OOM;
    nf_report_cand *c = &r->cands[r->n_cands];
    *c = (nf_report_cand){.id = nf_row_int(row, 0), .fitness = nf_row_real(row, 1), .val_accuracy = nf_row_real(row, 2),
                          .params = nf_row_int(row, 3), .flops = nf_row_real(row, 4), .born = (int)nf_row_int(row, 5),
                          .generations = (int)nf_row_int(row, 6), .parent1 = id_or_none(row, 8),
                          .parent2 = id_or_none(row, 9), .train_seconds = nf_row_real(row, 11),
                          .images = nf_row_int(row, 12)};
    if (!(c->brief = keep(r, nf_row_text(row, 7))) || !(c->status = keep(r, nf_row_text(row, 10)))) return OOM;
    r->train_seconds += c->train_seconds;
    r->n_cands++;
    return NF_OK;
}

/* nasfit top's query, with what the page adds (parents, time, status). */
static const char cands_sql[] =
    "SELECT c.id, max(f.fitness), f.val_accuracy, c.parameters, c.flops, c.born, count(*), c.brief, c.parent1, c.parent2, "
    "  c.status, c.train_seconds, c.images FROM candidates c JOIN candidate_fitness f ON f.candidate_id = c.id "
    "GROUP BY c.id ORDER BY 2 DESC, c.id";

const nf_report_cand *nf_report_find(const nf_report_run *r, int64_t id)
{
    for (int i = 0; i < r->n_cands; i++)
        if (r->cands[i].id == id) return &r->cands[i];
    return NULL;
}

static nf_status arch_row(void *user, const nf_row *row)
{
    char **json = user;
    *json = strdup(nf_row_text(row, 0));
    return *json ? NF_OK : OOM;
}

static nf_status read_archs(nf_store *db, int n_arch, nf_report_run *r)
{
    r->arch_json = calloc((size_t)r->n_cands + 1, sizeof *r->arch_json);
    if (!r->arch_json) return OOM;
    r->n_arch = n_arch < r->n_cands ? n_arch : r->n_cands;
    nf_status st = NF_OK;
    for (int i = 0; i < r->n_cands && !st; i++) {
        if (i >= r->n_arch && &r->cands[i] != r->best) continue;
        const nf_val v = nf_int(r->cands[i].id);
        st = nf_store_exec(db, "SELECT architecture FROM candidates WHERE id = ?", &v, 1, arch_row, &r->arch_json[i]);
    }
    return st;
}

/* ==== lineage and mutations ============================================== */

typedef struct step_reader { nf_report_run *r; nf_store *db; char changes[1024]; } step_reader;

static nf_status change_row(void *user, const nf_row *row)
{
    step_reader *s = user;
    size_t at = strlen(s->changes);
    char vertex[32] = "";
    if (!nf_row_null(row, 1)) snprintf(vertex, sizeof vertex, " v%lld", (long long)nf_row_int(row, 1));
    snprintf(s->changes + at, sizeof s->changes - at, "%s%s%s %g \xe2\x86\x92 %g", at ? ", " : "", nf_row_text(row, 0),
             vertex, nf_row_real(row, 2), nf_row_real(row, 3));
    return NF_OK;
}

static nf_status step_row(void *user, const nf_row *row)
{
    step_reader *s = user;
    nf_report_run *r = s->r;
    if (!PUSH(r->line, r->n_line)) return OOM;
    nf_report_step *p = &r->line[r->n_line];
    *p = (nf_report_step){.id = nf_row_int(row, 0), .born = (int)nf_row_int(row, 1), .parent2 = id_or_none(row, 3),
                          .first_fitness = real_or_nan(row, 4), .best_fitness = real_or_nan(row, 5),
                          .params = nf_row_int(row, 6)};
    s->changes[0] = 0;
    const nf_val id = nf_int(p->id);
    nf_status st = nf_store_exec(s->db, "SELECT kind, vertex, before, after FROM changes WHERE candidate_id = ? ORDER BY seq",
                                 &id, 1, change_row, s);
    if (st) return st;
    if (!(p->brief = keep(r, nf_row_text(row, 7))) || !(p->changes = keep(r, s->changes))) return OOM;
    r->n_line++;
    return NF_OK;
}

/* nasfit lineage's query. */
static const char line_sql[] =
    "WITH RECURSIVE line(id, depth) AS (SELECT ?, 0 UNION ALL "
    "  SELECT c.parent1, line.depth + 1 FROM candidates c JOIN line ON c.id = line.id WHERE c.parent1 IS NOT NULL) "
    "SELECT c.id, c.born, c.parent1, c.parent2, "
    "  (SELECT fitness FROM candidate_fitness WHERE candidate_id = c.id ORDER BY generation LIMIT 1), "
    "  (SELECT max(fitness) FROM candidate_fitness WHERE candidate_id = c.id), c.parameters, c.brief "
    "FROM line JOIN candidates c ON c.id = line.id ORDER BY line.depth DESC";

static nf_status mutation_row(void *user, const nf_row *row)
{
    nf_report_run *r = user;
    if (!PUSH(r->muts, r->n_muts)) return OOM;
    nf_report_mutation *m = &r->muts[r->n_muts];
    m->improved = nf_row_int(row, 1);
    m->tried = nf_row_int(row, 2);
    if (!(m->kind = keep(r, nf_row_text(row, 0)))) return OOM;
    r->n_muts++;
    return NF_OK;
}

/* The README's query: a child's first training against its parent's the generation before. */
static const char mutations_sql[] =
    "SELECT ch.kind, sum(f.fitness > p.fitness) AS improved, count(*) AS tried FROM changes ch "
    "JOIN candidates c ON c.id = ch.candidate_id JOIN candidate_fitness f ON f.candidate_id = c.id AND f.generation = c.born "
    "JOIN candidate_fitness p ON p.candidate_id = c.parent1 AND p.generation = c.born - 1 "
    "GROUP BY ch.kind ORDER BY improved DESC, tried DESC, ch.kind";

static nf_status worker_row(void *user, const nf_row *row)
{
    nf_report_run *r = user;
    if (!PUSH(r->workers, r->n_workers)) return OOM;
    r->workers[r->n_workers++] = (nf_report_worker){nf_row_int(row, 0), nf_row_int(row, 1), nf_row_real(row, 2)};
    return NF_OK;
}

/* ==== all of it ========================================================== */

static int count_lines(const char *s)
{
    if (!s || !*s) return 0;
    int n = 1;
    for (; *s; s++) n += *s == '\n';
    return n;
}

nf_status nf_report_read(nf_store *db, int n_arch, nf_report_run *r)
{
    *r = (nf_report_run){.path = nf_store_path(db), .winner_id = -1, .best_id = -1};
    nf_status st = nf_store_exec(db, "SELECT dataset, class_names, config, blas_kernel, started, ended, status, stop_reason, "
                                     "message, seed, pid, elapsed_seconds, winner_id, final_val_accuracy, test_accuracy, "
                                     "final_images, (SELECT count(*) FROM candidates) FROM run", NULL, 0, run_row, r);
    if (!st && !r->status) st = nf_fail(NF_ERR_FORMAT, "%s: the run has no run row yet", r->path);
    if (st) return st;
    read_limits(r);
    r->n_classes = count_lines(r->class_names);
    if ((st = read_gens(db, r)) || (st = nf_store_exec(db, cands_sql, NULL, 0, cand_row, r))) return st;
    if (r->n_cands) {
        int code = nf_read_candidate("report", db, "best", &r->best_id); /* prints nothing: there is a candidate */
        if (code) return nf_fail(NF_ERR_DB, "%s: cannot tell the best candidate", r->path);
        r->best = nf_report_find(r, r->best_id);
    }
    if ((st = read_archs(db, n_arch, r))) return st;
    step_reader s = {.r = r, .db = db};
    const nf_val best = nf_int(r->best_id);
    if (r->best && (st = nf_store_exec(db, line_sql, &best, 1, step_row, &s))) return st;
    if ((st = nf_store_exec(db, mutations_sql, NULL, 0, mutation_row, r))) return st;
    if (r->has_v2)
        st = nf_store_exec(db, "SELECT worker, count(*), sum(seconds) FROM candidate_fitness WHERE worker IS NOT NULL "
                               "GROUP BY worker ORDER BY worker", NULL, 0, worker_row, r);
    return st;
}

void nf_report_run_free(nf_report_run *r)
{
    for (int i = 0; r->arch_json && i < r->n_cands; i++) free(r->arch_json[i]);
    for (int i = 0; i < r->n_strings; i++) free(r->strings[i]);
    free(r->arch_json);
    free(r->strings);
    free(r->gens);
    free(r->cands);
    free(r->line);
    free(r->muts);
    free(r->workers);
    *r = (nf_report_run){0};
}
