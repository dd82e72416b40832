#include "app/store/run_queries.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A query's caller: its callback, by the row type it reads, and its data. */
typedef struct relay {
    void *user;
    union {
        nf_query_run_fn run;
        nf_query_gen_fn gen;
        nf_query_cand_fn cand;
        nf_query_cand_row_fn cand_row;
        nf_query_ancestor_fn ancestor;
        nf_query_change_fn change;
        nf_query_score_fn score;
        nf_query_point_fn point;
        nf_query_mutation_fn mutation;
        nf_query_worker_fn worker;
    } fn;
} relay;

static double real_or_nan(const nf_row *r, int col) { return nf_row_null(r, col) ? NAN : nf_row_real(r, col); }
static const char *text_or_null(const nf_row *r, int col) { return nf_row_null(r, col) ? NULL : nf_row_text(r, col); }

/* An optional integer column: *has says whether it holds a value. */
static int64_t optional_int(const nf_row *r, int col, bool *has)
{
    *has = !nf_row_null(r, col);
    return nf_row_int(r, col);
}

/* ==== single values ======================================================= */

nf_status nf_query_best(nf_store *db, int64_t *id, bool *found)
{
    return nf_store_lookup(db, "SELECT coalesce((SELECT winner_id FROM run), (SELECT candidate_id FROM weights WHERE role = 'best'), "
                               "(SELECT candidate_id FROM candidate_fitness ORDER BY fitness DESC, candidate_id LIMIT 1))",
                           NULL, 0, id, found);
}

nf_status nf_query_candidate_exists(nf_store *db, int64_t id, bool *found)
{
    const nf_val v = nf_int(id);
    int64_t same;
    return nf_store_lookup(db, "SELECT id FROM candidates WHERE id = ?", &v, 1, &same, found);
}

nf_status nf_query_candidate_count(nf_store *db, int64_t *n)
{
    return nf_store_int(db, "SELECT count(*) FROM candidates", NULL, 0, n);
}

typedef struct parent_of { int64_t parent; bool has; } parent_of;

static nf_status parent_row(void *user, const nf_row *r)
{
    parent_of *p = user;
    p->parent = optional_int(r, 0, &p->has);
    return NF_OK;
}

nf_status nf_query_parent(nf_store *db, int64_t id, int64_t *parent, bool *has_parent, bool *found)
{
    const nf_val v = nf_int(id);
    parent_of p = {0, false};
    nf_status st = nf_store_first(db, "SELECT parent1 FROM candidates WHERE id = ?", &v, 1, parent_row, &p, found);
    *parent = p.parent;
    *has_parent = p.has;
    return st;
}

static nf_status text_row(void *user, const nf_row *r)
{
    char **text = user;
    *text = strdup(nf_row_text(r, 0));
    return *text ? NF_OK : nf_fail(NF_ERR_NOMEM, "out of memory");
}

nf_status nf_query_architecture(nf_store *db, int64_t id, char **json)
{
    const nf_val v = nf_int(id);
    bool found;
    *json = NULL;
    return nf_store_first(db, "SELECT architecture FROM candidates WHERE id = ?", &v, 1, text_row, json, &found);
}

static nf_status has_column(nf_store *db, const char *table, const char *column, bool *yes)
{
    char sql[160];
    int64_t n = 0;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'", table, column);
    nf_status st = nf_store_int(db, sql, NULL, 0, &n);
    *yes = n > 0;
    return st;
}

nf_status nf_query_has_time_columns(nf_store *db, bool *yes)
{
    bool a = false, b = false;
    nf_status st = has_column(db, "generations", "idle_seconds", &a);
    if (!st) st = has_column(db, "candidate_fitness", "worker", &b);
    *yes = a && b;
    return st;
}

/* ==== the run row ========================================================= */

static nf_status run_row(void *user, const nf_row *r)
{
    const relay *x = user;
    nf_query_run_row row = {.dataset = nf_row_text(r, 0), .class_names = nf_row_text(r, 1), .config = nf_row_text(r, 2),
                            .blas_kernel = nf_row_text(r, 3), .started = nf_row_text(r, 4), .ended = nf_row_text(r, 5),
                            .status = nf_row_text(r, 6), .stop_reason = text_or_null(r, 7), .message = nf_row_text(r, 8),
                            .seed = nf_row_int(r, 9), .pid = nf_row_int(r, 10), .elapsed = nf_row_real(r, 11),
                            .final_val_accuracy = real_or_nan(r, 13), .test_accuracy = real_or_nan(r, 14),
                            .candidates = nf_row_int(r, 16)};
    row.winner_id = optional_int(r, 12, &row.has_winner);
    row.final_images = optional_int(r, 15, &row.has_final_images);
    return x->fn.run(x->user, &row);
}

nf_status nf_query_run(nf_store *db, nf_query_run_fn fn, void *user)
{
    relay x = {user, {.run = fn}};
    return nf_store_exec(db, "SELECT dataset, class_names, config, blas_kernel, started, ended, status, stop_reason, "
                             "message, seed, pid, elapsed_seconds, winner_id, final_val_accuracy, test_accuracy, "
                             "final_images, (SELECT count(*) FROM candidates) FROM run", NULL, 0, run_row, &x);
}

/* ==== generations ========================================================= */

typedef struct gen_relay { relay x; bool with_time; } gen_relay;

static nf_status gen_row(void *user, const nf_row *r)
{
    const gen_relay *x = user;
    nf_query_gen g = {.generation = nf_row_int(r, 0), .best_fitness = nf_row_real(r, 1), .median_fitness = nf_row_real(r, 2),
                      .best_accuracy = nf_row_real(r, 3), .best_id = nf_row_int(r, 4), .population = nf_row_int(r, 5),
                      .failed = nf_row_int(r, 6), .images = nf_row_int(r, 7), .seconds = nf_row_real(r, 8),
                      .commit_seconds = nf_row_real(r, 9), .median_accuracy = real_or_nan(r, 10),
                      .train_seconds = NAN, .score_seconds = NAN, .idle_seconds = NAN, .predicted_seconds = NAN};
    if (x->with_time) {
        g.culled = nf_row_int(r, 11);
        g.train_seconds = real_or_nan(r, 12);
        g.score_seconds = real_or_nan(r, 13);
        g.idle_seconds = real_or_nan(r, 14);
        g.predicted_seconds = real_or_nan(r, 15);
    }
    return x->x.fn.gen(x->x.user, &g);
}

/* The median validation accuracy of each generation's trained candidates,
 * from SQLite's window functions (it has no median of its own). */
static const char gens_sql[] =
    "WITH ranked AS (SELECT generation, val_accuracy, row_number() OVER (PARTITION BY generation ORDER BY val_accuracy) AS k, "
    "  count(*) OVER (PARTITION BY generation) AS n FROM candidate_fitness), "
    "med AS (SELECT generation, avg(val_accuracy) AS median FROM ranked WHERE k IN ((n + 1) / 2, (n + 2) / 2) GROUP BY generation) "
    "SELECT g.generation, g.best_fitness, g.median_fitness, g.best_accuracy, g.best_id, g.population, g.failed, g.images, "
    "  g.seconds, g.commit_seconds, med.median%s FROM generations g LEFT JOIN med USING (generation) ORDER BY g.generation";

nf_status nf_query_generations(nf_store *db, bool with_time, nf_query_gen_fn fn, void *user)
{
    gen_relay x = {{user, {.gen = fn}}, with_time};
    char sql[sizeof gens_sql + 128];
    snprintf(sql, sizeof sql, gens_sql, with_time ? ", g.culled, g.train_seconds, g.score_seconds, g.idle_seconds, g.predicted_seconds" : "");
    return nf_store_exec(db, sql, NULL, 0, gen_row, &x);
}

/* ==== candidates ========================================================== */

static nf_status cand_row(void *user, const nf_row *r)
{
    const relay *x = user;
    nf_query_cand c = {.id = nf_row_int(r, 0), .fitness = nf_row_real(r, 1), .val_accuracy = nf_row_real(r, 2),
                       .params = nf_row_int(r, 3), .flops = nf_row_real(r, 4), .born = nf_row_int(r, 5),
                       .trainings = nf_row_int(r, 6), .brief = nf_row_text(r, 7), .status = nf_row_text(r, 11),
                       .train_seconds = nf_row_real(r, 12), .images = nf_row_int(r, 13)};
    c.worker = optional_int(r, 8, &c.has_worker);
    c.parent1 = optional_int(r, 9, &c.has_parent1);
    c.parent2 = optional_int(r, 10, &c.has_parent2);
    return x->fn.cand(x->user, &c);
}

nf_status nf_query_top(nf_store *db, int64_t limit, nf_query_cand_fn fn, void *user)
{
    relay x = {user, {.cand = fn}};
    const nf_val n = nf_int(limit < 0 ? -1 : limit); /* SQLite: a negative LIMIT is none */
    /* SQLite takes val_accuracy and worker from the row that holds max(fitness). */
    return nf_store_exec(db, "SELECT c.id, max(f.fitness), f.val_accuracy, c.parameters, c.flops, c.born, count(*), c.brief, "
                             "f.worker, c.parent1, c.parent2, c.status, c.train_seconds, c.images "
                             "FROM candidates c JOIN candidate_fitness f ON f.candidate_id = c.id "
                             "GROUP BY c.id ORDER BY 2 DESC, c.id LIMIT ?", &n, 1, cand_row, &x);
}

static nf_status cand_show_row(void *user, const nf_row *r)
{
    const relay *x = user;
    nf_query_cand_row c = {.architecture = nf_row_text(r, 0), .id = nf_row_int(r, 1), .born = nf_row_int(r, 2),
                           .params = nf_row_int(r, 3), .flops = nf_row_real(r, 4), .optimizer = nf_row_text(r, 5),
                           .learning_rate = nf_row_real(r, 6), .weight_decay = nf_row_real(r, 7),
                           .batch = nf_row_int(r, 8), .best_fitness = text_or_null(r, 9)};
    return x->fn.cand_row(x->user, &c);
}

nf_status nf_query_candidate(nf_store *db, int64_t id, nf_query_cand_row_fn fn, void *user)
{
    relay x = {user, {.cand_row = fn}};
    const nf_val v = nf_int(id);
    return nf_store_exec(db, "SELECT architecture, id, born, parameters, flops, optimizer, learning_rate, weight_decay, "
                             "batch, (SELECT printf('%.4f', max(fitness)) FROM candidate_fitness WHERE candidate_id = id) "
                             "FROM candidates WHERE id = ?", &v, 1, cand_show_row, &x);
}

/* ==== lineage ============================================================= */

static nf_status ancestor_row(void *user, const nf_row *r)
{
    const relay *x = user;
    nf_query_ancestor a = {.id = nf_row_int(r, 0), .born = nf_row_int(r, 1), .first_fitness = real_or_nan(r, 4),
                           .best_fitness = real_or_nan(r, 5), .params = nf_row_int(r, 6), .brief = nf_row_text(r, 7)};
    a.parent1 = optional_int(r, 2, &a.has_parent1);
    a.parent2 = optional_int(r, 3, &a.has_parent2);
    return x->fn.ancestor(x->user, &a);
}

nf_status nf_query_lineage(nf_store *db, int64_t id, nf_query_ancestor_fn fn, void *user)
{
    relay x = {user, {.ancestor = fn}};
    const nf_val v = nf_int(id);
    return nf_store_exec(db,
        "WITH RECURSIVE line(id, depth) AS (SELECT ?, 0 UNION ALL "
        "  SELECT c.parent1, line.depth + 1 FROM candidates c JOIN line ON c.id = line.id WHERE c.parent1 IS NOT NULL "
        "  AND line.depth < (SELECT count(*) FROM candidates)) "
        "SELECT c.id, c.born, c.parent1, c.parent2, "
        "  (SELECT fitness FROM candidate_fitness WHERE candidate_id = c.id ORDER BY generation LIMIT 1), "
        "  (SELECT max(fitness) FROM candidate_fitness WHERE candidate_id = c.id), c.parameters, c.brief "
        "FROM line JOIN candidates c ON c.id = line.id ORDER BY line.depth DESC", &v, 1, ancestor_row, &x);
}

static nf_status change_row(void *user, const nf_row *r)
{
    const relay *x = user;
    nf_query_change c = {.kind = nf_row_text(r, 0), .before = nf_row_real(r, 2), .after = nf_row_real(r, 3)};
    c.vertex = optional_int(r, 1, &c.has_vertex);
    return x->fn.change(x->user, &c);
}

nf_status nf_query_changes(nf_store *db, int64_t id, nf_query_change_fn fn, void *user)
{
    relay x = {user, {.change = fn}};
    const nf_val v = nf_int(id);
    return nf_store_exec(db, "SELECT kind, vertex, before, after FROM changes WHERE candidate_id = ? ORDER BY seq", &v, 1,
                         change_row, &x);
}

/* ==== plots and the report ================================================ */

static nf_status score_row(void *user, const nf_row *r)
{
    const relay *x = user;
    return x->fn.score(x->user, nf_row_int(r, 0), nf_row_real(r, 1));
}

nf_status nf_query_scores(nf_store *db, nf_query_score_fn fn, void *user)
{
    relay x = {user, {.score = fn}};
    return nf_store_exec(db, "SELECT generation, val_accuracy FROM candidate_fitness "
                             "WHERE generation IN (SELECT generation FROM generations) ORDER BY generation, val_accuracy",
                         NULL, 0, score_row, &x);
}

static nf_status point_row(void *user, const nf_row *r)
{
    const relay *x = user;
    return x->fn.point(x->user, nf_row_int(r, 0), nf_row_real(r, 1), nf_row_int(r, 2));
}

nf_status nf_query_points(nf_store *db, nf_query_point_fn fn, void *user)
{
    relay x = {user, {.point = fn}};
    return nf_store_exec(db, "SELECT c.parameters, max(f.val_accuracy), c.born FROM candidates c "
                             "JOIN candidate_fitness f ON f.candidate_id = c.id WHERE c.parameters > 0 GROUP BY c.id",
                         NULL, 0, point_row, &x);
}

static nf_status mutation_row(void *user, const nf_row *r)
{
    const relay *x = user;
    return x->fn.mutation(x->user, nf_row_text(r, 0), nf_row_int(r, 1), nf_row_int(r, 2));
}

/* The README's query: a child's first training against its parent's the generation before. */
nf_status nf_query_mutations(nf_store *db, nf_query_mutation_fn fn, void *user)
{
    relay x = {user, {.mutation = fn}};
    return nf_store_exec(db, "SELECT ch.kind, sum(f.fitness > p.fitness) AS improved, count(*) AS tried FROM changes ch "
                             "JOIN candidates c ON c.id = ch.candidate_id "
                             "JOIN candidate_fitness f ON f.candidate_id = c.id AND f.generation = c.born "
                             "JOIN candidate_fitness p ON p.candidate_id = c.parent1 AND p.generation = c.born - 1 "
                             "GROUP BY ch.kind ORDER BY improved DESC, tried DESC, ch.kind", NULL, 0, mutation_row, &x);
}

static nf_status worker_row(void *user, const nf_row *r)
{
    const relay *x = user;
    return x->fn.worker(x->user, nf_row_int(r, 0), nf_row_int(r, 1), nf_row_real(r, 2));
}

nf_status nf_query_workers(nf_store *db, nf_query_worker_fn fn, void *user)
{
    relay x = {user, {.worker = fn}};
    return nf_store_exec(db, "SELECT worker, count(*), sum(seconds) FROM candidate_fitness WHERE worker IS NOT NULL "
                             "GROUP BY worker ORDER BY worker", NULL, 0, worker_row, &x);
}
