#include "app/report/report_read.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/formats/config.h"
#include "app/store/run_queries.h"
#include "app/cmd/run_read.h"

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

/* ==== the run row ======================================================== */

static nf_status run_row(void *user, const nf_query_run_row *q)
{
    nf_report_run *r = user;
    const char *const from[] = {q->dataset, q->class_names, q->config, q->blas_kernel, q->started,
                                q->ended, q->status, q->stop_reason, q->message};
    const char **texts[] = {&r->dataset, &r->class_names, &r->config, &r->blas_kernel, &r->started,
                            &r->ended, &r->status, &r->stop_reason, &r->message};
    for (int k = 0; k < 9; k++)
        if (!(*texts[k] = keep(r, from[k]))) return OOM;
    r->seed = q->seed;
    r->elapsed = q->elapsed;
    r->winner_id = q->has_winner ? q->winner_id : -1;
    r->final_val_accuracy = q->final_val_accuracy;
    r->test_accuracy = q->test_accuracy;
    r->final_images = q->has_final_images ? q->final_images : -1;
    r->candidates = q->candidates;
    nf_read_status(r->status, q->pid, r->status_text, sizeof r->status_text);
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

static nf_status gen_row(void *user, const nf_query_gen *q)
{
    nf_report_run *r = user;
    if (!PUSH(r->gens, r->n_gens)) return OOM;
    nf_report_gen *g = &r->gens[r->n_gens++];
    double before = r->n_gens > 1 ? g[-1].clock : 0;
    *g = (nf_report_gen){.generation = (int)q->generation, .best_fitness = q->best_fitness,
                         .median_fitness = q->median_fitness, .best_accuracy = q->best_accuracy,
                         .seconds = q->seconds, .population = (int)q->population,
                         .failed = (int)q->failed, .images = q->images,
                         .commit_seconds = q->commit_seconds, .median_accuracy = q->median_accuracy,
                         .trained_images = NAN, .culled = NAN, .score_seconds = NAN, .idle_seconds = NAN};
    g->clock = before + g->seconds;
    if (r->has_v2) {
        g->trained_images = (double)q->images;
        g->culled = (double)q->culled;
        g->score_seconds = q->score_seconds;
        g->idle_seconds = q->idle_seconds;
    }
    return NF_OK;
}

static nf_status read_gens(nf_store *db, nf_report_run *r)
{
    bool v2 = false;
    nf_status st = nf_query_has_time_columns(db, &v2);
    r->has_v2 = v2;
    return st ? st : nf_query_generations(db, v2, gen_row, r);
}

/* ==== candidates ========================================================= */

static nf_status cand_row(void *user, const nf_query_cand *q)
{
    nf_report_run *r = user;
    if (!PUSH(r->cands, r->n_cands)) return OOM;
    nf_report_cand *c = &r->cands[r->n_cands];
    *c = (nf_report_cand){.id = q->id, .fitness = q->fitness, .val_accuracy = q->val_accuracy,
                          .params = q->params, .flops = q->flops, .born = (int)q->born,
                          .generations = (int)q->trainings, .parent1 = q->has_parent1 ? q->parent1 : -1,
                          .parent2 = q->has_parent2 ? q->parent2 : -1, .train_seconds = q->train_seconds,
                          .images = q->images};
    if (!(c->brief = keep(r, q->brief)) || !(c->status = keep(r, q->status))) return OOM;
    r->train_seconds += c->train_seconds;
    r->n_cands++;
    return NF_OK;
}

const nf_report_cand *nf_report_find(const nf_report_run *r, int64_t id)
{
    for (int i = 0; i < r->n_cands; i++)
        if (r->cands[i].id == id) return &r->cands[i];
    return NULL;
}

static nf_status read_archs(nf_store *db, int n_arch, nf_report_run *r)
{
    r->arch_json = calloc((size_t)r->n_cands + 1, sizeof *r->arch_json);
    if (!r->arch_json) return OOM;
    r->n_arch = n_arch < r->n_cands ? n_arch : r->n_cands;
    nf_status st = NF_OK;
    for (int i = 0; i < r->n_cands && !st; i++) {
        if (i >= r->n_arch && &r->cands[i] != r->best) continue;
        st = nf_query_architecture(db, r->cands[i].id, &r->arch_json[i]);
    }
    return st;
}

/* ==== lineage and mutations ============================================== */

typedef struct step_reader { nf_report_run *r; nf_store *db; char changes[1024]; } step_reader;

static nf_status change_row(void *user, const nf_query_change *q)
{
    step_reader *s = user;
    size_t at = strlen(s->changes);
    char vertex[32] = "";
    if (q->has_vertex) snprintf(vertex, sizeof vertex, " v%lld", (long long)q->vertex);
    snprintf(s->changes + at, sizeof s->changes - at, "%s%s%s %g \xe2\x86\x92 %g", at ? ", " : "", q->kind,
             vertex, q->before, q->after);
    return NF_OK;
}

static nf_status step_row(void *user, const nf_query_ancestor *q)
{
    step_reader *s = user;
    nf_report_run *r = s->r;
    if (!PUSH(r->line, r->n_line)) return OOM;
    nf_report_step *p = &r->line[r->n_line];
    *p = (nf_report_step){.id = q->id, .born = (int)q->born, .parent2 = q->has_parent2 ? q->parent2 : -1,
                          .first_fitness = q->first_fitness, .best_fitness = q->best_fitness, .params = q->params};
    s->changes[0] = 0;
    nf_status st = nf_query_changes(s->db, p->id, change_row, s);
    if (st) return st;
    if (!(p->brief = keep(r, q->brief)) || !(p->changes = keep(r, s->changes))) return OOM;
    r->n_line++;
    return NF_OK;
}

static nf_status mutation_row(void *user, const char *kind, int64_t improved, int64_t tried)
{
    nf_report_run *r = user;
    if (!PUSH(r->muts, r->n_muts)) return OOM;
    nf_report_mutation *m = &r->muts[r->n_muts];
    m->improved = improved;
    m->tried = tried;
    if (!(m->kind = keep(r, kind))) return OOM;
    r->n_muts++;
    return NF_OK;
}

static nf_status worker_row(void *user, int64_t worker, int64_t trainings, double seconds)
{
    nf_report_run *r = user;
    if (!PUSH(r->workers, r->n_workers)) return OOM;
    r->workers[r->n_workers++] = (nf_report_worker){worker, trainings, seconds};
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
    nf_status st = nf_query_run(db, run_row, r);
    if (!st && !r->status) st = nf_fail(NF_ERR_FORMAT, "%s: the run has no run row yet", r->path);
    if (st) return st;
    read_limits(r);
    r->n_classes = count_lines(r->class_names);
    if ((st = read_gens(db, r)) || (st = nf_query_top(db, -1, cand_row, r))) return st;
    if (r->n_cands) {
        int code = nf_read_candidate("report", db, "best", &r->best_id); /* prints nothing: there is a candidate */
        if (code) return nf_fail(NF_ERR_DB, "%s: cannot tell the best candidate", r->path);
        r->best = nf_report_find(r, r->best_id);
    }
    if ((st = read_archs(db, n_arch, r))) return st;
    step_reader s = {.r = r, .db = db};
    if (r->best && (st = nf_query_lineage(db, r->best_id, step_row, &s))) return st;
    if ((st = nf_query_mutations(db, mutation_row, r))) return st;
    if (r->has_v2) st = nf_query_workers(db, worker_row, r);
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
