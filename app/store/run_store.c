#include "engine/op.h"
#include "app/store/run_store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/clock.h"
#include "app/formats/arch_json.h"
#include "app/session/progress.h"
#include "nas/cost.h"

/* ==== the schema ========================================================== */

/* The file's tables live here, beside the statements that fill them: a new
 * column is a migration, a read view, its INSERT below, and app/store/store.h's
 * NF_STORE_SCHEMA. */

/* Version 1. Plain names, one row per thing a person asks about. */
static const char schema_v1[] =
    "CREATE TABLE run (\n"
    "  id INTEGER PRIMARY KEY CHECK (id = 1),\n"
    "  config TEXT NOT NULL,            -- every setting, as a configs/*.conf file\n"
    "  seed INTEGER NOT NULL,\n"
    "  dataset TEXT NOT NULL,\n"
    "  normalization TEXT,              -- per channel: 'mean M std S; ...' of pixel/255\n"
    "  class_names TEXT,                -- one per line\n"
    "  blas_kernel TEXT,                -- OpenBLAS kernels of the machine that started it\n"
    "  started TEXT NOT NULL,           -- UTC, ISO 8601\n"
    "  ended TEXT,\n"
    "  status TEXT NOT NULL CHECK (status IN ('running', 'interrupted', 'failed', 'done')),\n"
    "  pid INTEGER,                     -- of the last process that wrote it\n"
    "  stop_reason TEXT,\n"
    "  message TEXT,                    -- why it failed\n"
    "  generation INTEGER NOT NULL DEFAULT 0,  -- the generation being trained (resume point)\n"
    "  next_id INTEGER NOT NULL DEFAULT 0,     -- the next candidate id\n"
    "  elapsed_seconds REAL NOT NULL DEFAULT 0,\n"
    "  final_images INTEGER,            -- images of the final training, once it started\n"
    "  winner_id INTEGER,\n"
    "  final_val_accuracy REAL,\n"
    "  test_accuracy REAL\n"
    ");\n"
    "CREATE TABLE candidates (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  born INTEGER NOT NULL,           -- generation it was made in\n"
    "  parent1 INTEGER REFERENCES candidates(id),\n"
    "  parent2 INTEGER REFERENCES candidates(id),  -- crossover partner\n"
    "  architecture TEXT NOT NULL,      -- JSON, as nasfit show --json prints it\n"
    "  brief TEXT NOT NULL,             -- e.g. 'c16 c16 + max c32 gap d10'\n"
    "  parameters INTEGER NOT NULL,\n"
    "  flops REAL NOT NULL,             -- per image, forward\n"
    "  optimizer TEXT NOT NULL,\n"
    "  learning_rate REAL NOT NULL,\n"
    "  weight_decay REAL NOT NULL,\n"
    "  batch INTEGER NOT NULL,\n"
    "  status TEXT NOT NULL CHECK (status IN ('new', 'trained', 'failed')),\n"
    "  fitness REAL,                    -- of its last training\n"
    "  val_accuracy REAL,\n"
    "  train_seconds REAL NOT NULL DEFAULT 0,  -- all its trainings\n"
    "  images INTEGER NOT NULL DEFAULT 0,      -- images trained on over its life\n"
    "  failure TEXT\n"
    ");\n"
    "CREATE TABLE candidate_fitness (\n"
    "  candidate_id INTEGER NOT NULL REFERENCES candidates(id),\n"
    "  generation INTEGER NOT NULL,\n"
    "  fitness REAL NOT NULL,\n"
    "  val_accuracy REAL NOT NULL,\n"
    "  train_loss REAL,\n"
    "  seconds REAL NOT NULL,\n"
    "  failure TEXT,\n"
    "  PRIMARY KEY (candidate_id, generation)\n"
    ");\n"
    "CREATE TABLE changes (\n"
    "  candidate_id INTEGER NOT NULL REFERENCES candidates(id),\n"
    "  seq INTEGER NOT NULL,            -- order of application\n"
    "  kind TEXT NOT NULL,              -- grow, shrink, insert_conv, lr, cross_settings, ...\n"
    "  vertex INTEGER,                  -- the vertex id, NULL for settings\n"
    "  before REAL,\n"
    "  after REAL,\n"
    "  PRIMARY KEY (candidate_id, seq)\n"
    ");\n"
    "CREATE TABLE generations (\n"
    "  generation INTEGER PRIMARY KEY,\n"
    "  started TEXT NOT NULL,\n"
    "  ended TEXT NOT NULL,\n"
    "  seconds REAL NOT NULL,\n"
    "  best_fitness REAL NOT NULL,\n"
    "  median_fitness REAL NOT NULL,\n"
    "  best_accuracy REAL NOT NULL,\n"
    "  best_id INTEGER REFERENCES candidates(id),\n"
    "  population INTEGER NOT NULL,\n"
    "  failed INTEGER NOT NULL,\n"
    "  images INTEGER NOT NULL,\n"
    "  commit_seconds REAL NOT NULL DEFAULT 0  -- time spent writing this generation to the file\n"
    ");\n"
    "CREATE TABLE weights (\n"
    "  role TEXT NOT NULL CHECK (role IN ('population', 'best', 'winner')),\n"
    "  slot INTEGER NOT NULL,           -- place in the population (0 for best, winner)\n"
    "  candidate_id INTEGER NOT NULL REFERENCES candidates(id),\n"
    "  trained_gen INTEGER NOT NULL,    -- generation of its last training, -1 never\n"
    "  bytes INTEGER NOT NULL,\n"
    "  data BLOB NOT NULL,              -- the whole candidate: graph, weights, optimiser state, settings\n"
    "  PRIMARY KEY (role, slot)\n"
    ");\n"
    "CREATE INDEX candidates_born ON candidates(born);\n"
    "CREATE INDEX changes_kind ON changes(kind);\n";

/* Version 2: where each generation's time went, who trained what. */
static const char schema_v2[] =
    "ALTER TABLE generations ADD COLUMN culled INTEGER NOT NULL DEFAULT 0;  -- children stopped early, worse than their parents\n"
    "ALTER TABLE generations ADD COLUMN train_seconds REAL;  -- thread time of its tasks, scoring included\n"
    "ALTER TABLE generations ADD COLUMN score_seconds REAL;  -- ... of which batchnorm re-measurement and validation\n"
    "ALTER TABLE generations ADD COLUMN idle_seconds REAL;   -- thread time no task used\n"
    "ALTER TABLE candidate_fitness ADD COLUMN culled INTEGER NOT NULL DEFAULT 0;  -- 1: stopped early in this generation\n"
    "ALTER TABLE candidate_fitness ADD COLUMN worker INTEGER;  -- the thread or MPI rank that trained it\n"
    "ALTER TABLE run ADD COLUMN trainer TEXT;    -- where tasks ran: local (threads) or mpi (ranks)\n"
    "ALTER TABLE run ADD COLUMN workers INTEGER; -- threads, or trainer ranks\n";

/* Version 3: what a search's budget counts. */
static const char schema_v3[] =
    "ALTER TABLE generations ADD COLUMN predicted_seconds REAL;  -- thread time of its training by the speed model\n";

/* migrations[v] takes a file from version v to v + 1; [0] makes it. */
static const char *const migrations[] = {schema_v1, schema_v2, schema_v3};
_Static_assert(sizeof migrations / sizeof migrations[0] == NF_STORE_SCHEMA, "one migration per version (app/store/store.h)");

/* A read-only file of an older version reads as the current one through
 * temporary views (SQLite looks in the temp schema first), the columns it
 * lacks as NULL or 0. read_views[v] lifts version v + 1 to the current. */
static const char *const read_views[] = {
    "CREATE TEMP VIEW generations AS SELECT *, 0 AS culled, NULL AS train_seconds, NULL AS score_seconds, "
    "NULL AS idle_seconds, NULL AS predicted_seconds FROM main.generations;\n"
    "CREATE TEMP VIEW candidate_fitness AS SELECT *, 0 AS culled, NULL AS worker FROM main.candidate_fitness;\n"
    "CREATE TEMP VIEW run AS SELECT *, NULL AS trainer, NULL AS workers FROM main.run;\n",
    "CREATE TEMP VIEW generations AS SELECT *, NULL AS predicted_seconds FROM main.generations;\n"};
/* Sized by their contents, so that a missing entry stops the build instead
 * of reading an older file through a NULL script. */
_Static_assert(sizeof read_views / sizeof read_views[0] == NF_STORE_SCHEMA - 1, "a read view for every older version");

const nf_store_schema nf_run_schema = {
    .application_id = 0x6e665253, /* 'nfRS' */
    .migrations = migrations,
    .read_views = read_views,
    .rows_sql = "SELECT (SELECT count(*) FROM run) + (SELECT count(*) FROM candidates) + "
                "(SELECT count(*) FROM generations) + (SELECT count(*) FROM weights)",
    .writer_sql = "SELECT pid FROM run",
};

/* ==== times ============================================================= */

/* UTC now, ISO 8601, in buf. */
static const char *utc_now(char buf[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

static const char *utc_ago(char buf[32], double seconds)
{
    time_t t = time(NULL) - (time_t)(seconds + 0.5);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

#define N(a) ((int)(sizeof a / sizeof a[0]))

/* ==== the run row ========================================================= */

nf_status nf_run_store_start(nf_store *db, const nf_run_info *info)
{
    char now[32];
    const nf_val v[] = {nf_text(info->config), nf_int((int64_t)info->seed), nf_text(info->dataset),
                        nf_text(info->blas_kernel), nf_text(utc_now(now)), nf_int(getpid())};
    return nf_store_exec(db, "INSERT INTO run (id, config, seed, dataset, blas_kernel, started, status, pid) "
                             "VALUES (1, ?, ?, ?, ?, ?, 'running', ?)", v, N(v), NULL, NULL);
}

void nf_run_state_free(nf_run_state *st)
{
    free(st->config);
    st->config = NULL;
}

static nf_status read_state(void *user, const nf_row *r)
{
    nf_run_state *st = user;
    if (st->config) return nf_fail(NF_ERR_FORMAT, "table run holds more than one row"); /* id = 1 is checked, but not by every SQLite */
    st->config = strdup(nf_row_text(r, 0));
    snprintf(st->status, sizeof st->status, "%s", nf_row_text(r, 1));
    int64_t g = nf_row_int(r, 2); /* 64 bits: 2^32 must not read as generation 0 */
    st->generation = g >= 0 && g <= NF_RUN_MAX_GENERATION ? (int)g : -1;
    st->next_id = nf_row_int(r, 3);
    st->elapsed = nf_row_real(r, 4);
    st->final_images = nf_row_null(r, 5) ? -1 : nf_row_int(r, 5);
    if (!nf_row_null(r, 5) && st->final_images < 0) st->final_images = INT64_MAX; /* refused below */
    st->pid = nf_row_int(r, 6);
    return st->config ? NF_OK : nf_fail(NF_ERR_NOMEM, "cannot copy the configuration");
}

/* One rule of the resume point against the stored history: SQL that gives
 * a row (its first column an id or a number) when the rule is broken. */
typedef struct history_rule {
    const char *sql;
    const char *what; /* printf: the value the SQL gave */
} history_rule;

static const history_rule history_rules[] = {
    {"SELECT 1 FROM run WHERE typeof(generation) <> 'integer' OR typeof(next_id) <> 'integer' OR "
     "(final_images IS NOT NULL AND typeof(final_images) <> 'integer') OR typeof(elapsed_seconds) NOT IN ('integer', 'real')",
     "table run: generation, next_id, final_images or elapsed_seconds is not a number (%lld)"},
    {"SELECT max(id) FROM candidates HAVING max(id) >= (SELECT next_id FROM run)",
     "run.next_id is not above every candidate id (table candidates holds id %lld): new candidates would reuse ids"},
    /* Equal is possible: a run stopped at a generation's end keeps its counter there. */
    {"SELECT max(generation) FROM generations HAVING max(generation) > (SELECT generation FROM run)",
     "table generations holds generation %lld, after the resume point run.generation: resuming would rewrite it"},
    {"SELECT max(generation) FROM candidate_fitness HAVING max(generation) > (SELECT generation FROM run)",
     "table candidate_fitness holds generation %lld, after the resume point run.generation"},
    {"SELECT candidate_id FROM weights WHERE role = 'population' GROUP BY candidate_id HAVING count(*) > 1",
     "table weights holds candidate %lld twice in the population"},
    {"SELECT count(*) FROM weights WHERE role <> 'population' GROUP BY role HAVING count(*) > 1 OR max(slot) <> 0",
     "table weights holds %lld rows for the best (or the winner); one is kept, in slot 0"},
    {"SELECT slot FROM weights WHERE role = 'population' AND (slot < 0 OR slot >= "
     "(SELECT count(*) FROM weights WHERE role = 'population'))",
     "table weights: population slot %lld is out of order (slots are 0, 1, ... without gaps)"},
    {"SELECT candidate_id FROM weights WHERE candidate_id NOT IN (SELECT id FROM candidates)",
     "table weights holds candidate %lld, which is not in table candidates"},
};

static nf_status check_history(nf_store *db)
{
    for (size_t k = 0; k < sizeof history_rules / sizeof history_rules[0]; k++) {
        int64_t x;
        bool broken;
        nf_status st = nf_store_lookup(db, history_rules[k].sql, NULL, 0, &x, &broken);
        if (st) return st;
        if (!broken) continue;  /* no row: the rule holds */
        char what[256];
        snprintf(what, sizeof what, history_rules[k].what, (long long)x);
        return nf_fail(NF_ERR_FORMAT, "%s: %s; the file is damaged", nf_store_path(db), what);
    }
    return NF_OK;
}

/* Adds one generation's predicted_seconds (NULL in files from before
 * version 3: nothing), in generation order as the search added them. */
typedef struct predicted_sum { double sum; const char *path; } predicted_sum;

static nf_status add_predicted(void *user, const nf_row *r)
{
    predicted_sum *p = user;
    if (nf_row_null(r, 0)) return NF_OK;
    double x = nf_row_real(r, 0);
    if (!(x >= 0 && x < 1e12))
        return nf_fail(NF_ERR_FORMAT, "%s: generations.predicted_seconds %g is not a duration", p->path, x);
    p->sum += x;
    return NF_OK;
}

nf_status nf_run_store_state(nf_store *db, nf_run_state *out)
{
    memset(out, 0, sizeof *out);
    const char *path = nf_store_path(db);
    nf_status st = nf_store_exec(db, "SELECT config, status, generation, next_id, elapsed_seconds, final_images, pid FROM run",
                                 NULL, 0, read_state, out);
    if (st == NF_ERR_FORMAT && out->config) st = nf_fail(NF_ERR_FORMAT, "%s: table run holds more than one row", path);
    if (!st && !out->config) st = nf_fail(NF_ERR_FORMAT, "%s: holds no run (its fit was stopped before it began); start it again with nasfit fit --db %s", path, path);
    if (!st && out->generation < 0)
        st = nf_fail(NF_ERR_FORMAT, "%s: run.generation is not a generation from 0 to %d", path, NF_RUN_MAX_GENERATION);
    if (!st && (out->next_id < 0 || out->next_id > NF_RUN_MAX_ID))
        st = nf_fail(NF_ERR_FORMAT, "%s: run.next_id %lld is not an id from 0 to %lld", path, (long long)out->next_id,
                     (long long)NF_RUN_MAX_ID);
    if (!st && out->final_images > NF_RUN_MAX_FINAL_IMAGES)
        st = nf_fail(NF_ERR_FORMAT, "%s: run.final_images is not an image count from 0 to %lld", path,
                     (long long)NF_RUN_MAX_FINAL_IMAGES);
    if (!st && !(out->elapsed >= 0 && out->elapsed < 1e10))
        st = nf_fail(NF_ERR_FORMAT, "%s: run.elapsed_seconds %g is not a duration", path, out->elapsed);
    if (!st) st = check_history(db);
    const nf_val before[] = {nf_int(out->generation)};
    predicted_sum sum = {0, path};
    if (!st) st = nf_store_exec(db, "SELECT predicted_seconds FROM generations WHERE generation < ? ORDER BY generation",
                                before, 1, add_predicted, &sum);
    out->predicted = sum.sum;
    if (st) nf_run_state_free(out);
    return st;
}

nf_status nf_run_store_claim(nf_store *db, const char *config)
{
    const nf_val v[] = {nf_text(config), nf_int(getpid())};
    return nf_store_exec(db, "UPDATE run SET config = ?, pid = ?, status = 'running', ended = NULL, message = NULL",
                         v, N(v), NULL, NULL);
}

void nf_run_store_end(nf_store *db, nf_status result, const char *message)
{
    if (!db || !result) return;
    char now[32];
    const char *status = result == NF_ERR_INTERRUPTED ? "interrupted" : "failed";
    const nf_val v[] = {nf_text(status), nf_text(utc_now(now)), nf_text(result == NF_ERR_INTERRUPTED ? NULL : message)};
    nf_store_exec(db, "UPDATE run SET status = ?, ended = ?, message = ? WHERE status <> 'done'", v, N(v), NULL, NULL);
}

/* ==== the data set ====================================================== */

nf_status nf_run_store_trainer(nf_store *db, const char *trainer, int workers)
{
    const nf_val v[] = {nf_text(trainer), nf_int(workers)};
    return nf_store_exec(db, "UPDATE run SET trainer = ?, workers = ?", v, N(v), NULL, NULL);
}

nf_status nf_run_store_data(nf_store *db, const nf_ds_norm *norm, char *const *class_names, int n_classes)
{
    char *norm_text = NULL, *names = NULL;
    size_t a, b;
    FILE *f = open_memstream(&norm_text, &a), *g = open_memstream(&names, &b);
    if (!f || !g) {
        if (f) fclose(f);
        if (g) fclose(g);
        free(norm_text);
        free(names);
        return nf_fail(NF_ERR_NOMEM, "out of memory");
    }
    for (int c = 0; c < norm->c; c++) fprintf(f, "%smean %.9g std %.9g", c ? "; " : "", (double)norm->mean[c], (double)norm->std[c]);
    for (int k = 0; k < n_classes; k++) fprintf(g, "%s%s", k ? "\n" : "", class_names ? class_names[k] : "");
    fclose(f);
    fclose(g);
    const nf_val v[] = {nf_text(norm_text), nf_text(names)};
    int64_t same = 1; /* also without a run row */
    bool known;
    nf_status st = nf_store_lookup(db, "SELECT normalization IS NULL OR (normalization = ? AND class_names = ?) FROM run",
                                   v, N(v), &same, &known);
    if (!st && !same)
        st = nf_fail(NF_ERR_FORMAT, "%s: the data set is not the one this run started with (now %d classes, "
                                    "normalisation %s; see run.normalization, run.class_names, run.dataset)",
                     nf_store_path(db), n_classes, norm_text);
    if (!st) st = nf_store_exec(db, "UPDATE run SET normalization = ?, class_names = ? WHERE normalization IS NULL", v, N(v),
                                NULL, NULL); /* no change (no write) when resuming */
    free(norm_text);
    free(names);
    return st;
}

typedef struct data_text { char *norm, *names; } data_text;

static nf_status read_data_row(void *user, const nf_row *r)
{
    data_text *d = user;
    d->norm = strdup(nf_row_text(r, 0));
    d->names = strdup(nf_row_text(r, 1));
    return d->norm && d->names ? NF_OK : nf_fail(NF_ERR_NOMEM, "out of memory");
}

static nf_status parse_norm(const char *text, const char *path, nf_ds_norm *norm)
{
    memset(norm, 0, sizeof *norm);
    const char *p = text;
    int used;
    float m, s;
    while (norm->c < NF_DS_MAX_CHANNELS && sscanf(p, " mean %f std %f%n", &m, &s, &used) == 2) {
        norm->mean[norm->c] = m;
        norm->std[norm->c++] = s;
        p += used;
        if (*p == ';') p++;
    }
    if (norm->c == 0 || *p) return nf_fail(NF_ERR_FORMAT, "%s: run.normalization '%s' is not 'mean M std S; ...'", path, text);
    for (int c = 0; c < norm->c; c++)
        if (!isfinite(norm->mean[c]) || !isfinite(norm->std[c]) || !(norm->std[c] > 0))
            return nf_fail(NF_ERR_FORMAT, "%s: run.normalization of channel %d (mean %g, std %g) is not usable: the file is damaged",
                           path, c, (double)norm->mean[c], (double)norm->std[c]);
    return NF_OK;
}

/* One block: n pointers, then the text they point into. */
static nf_status split_names(const char *text, char ***names, int *n)
{
    int lines = 1;
    for (const char *p = text; *p; p++) lines += *p == '\n';
    size_t len = strlen(text) + 1;
    char **v = malloc((size_t)lines * sizeof *v + len);
    if (!v) return nf_fail(NF_ERR_NOMEM, "out of memory");
    char *t = (char *)(v + lines);
    memcpy(t, text, len);
    for (int k = 0; k < lines; k++) {
        v[k] = t;
        t = strchr(t, '\n');
        if (t) *t++ = 0;
        else break;
    }
    *names = v;
    *n = lines;
    return NF_OK;
}

nf_status nf_run_store_read_data(nf_store *db, nf_ds_norm *norm, char ***names, int *n_classes)
{
    data_text d = {0};
    *names = NULL;
    nf_status st = nf_store_exec(db, "SELECT normalization, class_names FROM run WHERE normalization IS NOT NULL",
                                 NULL, 0, read_data_row, &d);
    if (!st && !d.norm)
        st = nf_fail(NF_ERR_FORMAT, "%s: the run never got as far as loading its data set", nf_store_path(db));
    if (!st) st = parse_norm(d.norm, nf_store_path(db), norm);
    if (!st) st = split_names(d.names, names, n_classes);
    free(d.norm);
    free(d.names);
    return st;
}

typedef struct found { const char *path; nf_candidate *c; } found;

static nf_status found_row(void *user, const nf_row *r)
{
    found *f = user;
    size_t len;
    const unsigned char *p = nf_row_blob(r, 0, &len);
    if (!p || nf_candidate_deserialize(p, len, &f->c))
        return nf_fail(NF_ERR_FORMAT, "%s: the stored state of candidate %lld is damaged: %s", f->path,
                       (long long)nf_row_int(r, 1), nf_last_error());
    return NF_OK;
}

nf_status nf_run_store_candidate(nf_store *db, int64_t id, nf_candidate **out)
{
    found f = {nf_store_path(db), NULL};
    const nf_val v = nf_int(id);
    bool kept; /* the first is the one */
    nf_status st = nf_store_first(db, "SELECT data, candidate_id FROM weights WHERE candidate_id = ? ORDER BY "
                                      "CASE role WHEN 'winner' THEN 0 WHEN 'best' THEN 1 ELSE 2 END LIMIT 1",
                                  &v, 1, found_row, &f, &kept);
    if (!st && !f.c)
        st = nf_fail(NF_ERR_ARG, "%s: the weights of candidate %lld are no longer kept (only the living population's, "
                                 "the best's and the winner's are); its architecture is (nasfit show --db %s %lld --json) "
                                 "and trains from scratch with nasfit train --arch",
                     nf_store_path(db), (long long)id, nf_store_path(db), (long long)id);
    *out = st ? NULL : f.c;
    if (st) nf_candidate_destroy(f.c);
    return st;
}

/* ==== restoring =========================================================== */

typedef struct restoring {
    nf_search *s;
    const char *path;
    int best;       /* adopting the best rather than the population */
    int64_t next_id;
} restoring;

/* A stored candidate fits the run: its own id, the data set's image shape
 * and classes, an id below the run's next. */
static nf_status check_adopted(const restoring *x, const nf_candidate *c, int64_t row_id, int64_t next_id)
{
    const nf_dataset *d = x->s->data.train;
    const nf_graph *g = c->g;
    const char *role = x->best ? "best" : "population";
    if (c->id != row_id)
        return nf_fail(NF_ERR_FORMAT, "%s: table weights (%s): the row of candidate %lld holds the state of candidate %lld",
                       x->path, role, (long long)row_id, (long long)c->id);
    if (g->in_c != nf_ds_channels(d) || g->in_h != nf_ds_height(d) || g->in_w != nf_ds_width(d) ||
        nf_graph_classes(g) != nf_ds_classes(d))
        return nf_fail(NF_ERR_FORMAT, "%s: table weights (%s): candidate %lld takes %dx%dx%d images into %d classes, "
                       "the data set has %dx%dx%d images of %d classes", x->path, role, (long long)row_id, g->in_c, g->in_h,
                       g->in_w, nf_graph_classes(g), nf_ds_channels(d), nf_ds_height(d), nf_ds_width(d), nf_ds_classes(d));
    if (c->id < 0 || c->id >= next_id)
        return nf_fail(NF_ERR_FORMAT, "%s: table weights (%s): candidate %lld is not below run.next_id %lld", x->path, role,
                       (long long)c->id, (long long)next_id);
    return NF_OK;
}

static nf_status adopt_row(void *user, const nf_row *r)
{
    restoring *x = user;
    size_t len;
    const unsigned char *p = nf_row_blob(r, 1, &len);
    nf_candidate *c;
    if (!p || nf_candidate_deserialize(p, len, &c))
        return nf_fail(NF_ERR_FORMAT, "%s: the stored state of candidate %lld is damaged: %s", x->path,
                       (long long)nf_row_int(r, 0), nf_last_error());
    nf_status st = check_adopted(x, c, nf_row_int(r, 0), x->next_id);
    if (st) { nf_candidate_destroy(c); return st; }
    return x->best ? nf_search_adopt_best(x->s, c) : nf_search_adopt(x->s, c);
}

nf_status nf_run_store_restore(nf_store *db, nf_search *s, const nf_run_state *state)
{
    restoring x = {s, nf_store_path(db), 0, state->next_id};
    nf_status st = nf_store_exec(db, "SELECT candidate_id, data FROM weights WHERE role = 'population' ORDER BY slot",
                                 NULL, 0, adopt_row, &x);
    int expected = nf_search_population_at(s, (int)state->generation);
    if (!st && s->n_pop && s->n_pop != expected)
        st = nf_fail(NF_ERR_FORMAT, "%s: %d candidates stored for a population of %d", x.path, s->n_pop, expected);
    x.best = 1;
    if (!st) st = nf_store_exec(db, "SELECT candidate_id, data FROM weights WHERE role = 'best'", NULL, 0, adopt_row, &x);
    int fixed = s->cfg.strategy == NF_STRATEGY_FIXED && s->n_pop == 1; /* its final phase trains the population's one */
    if (!st && state->final_images >= 0 && !s->best && !fixed)
        st = nf_fail(NF_ERR_FORMAT, "%s: the final training started but no best candidate is stored", x.path);
    int64_t most = NF_RUN_MAX_FINAL_EPOCHS * (int64_t)nf_ds_count(s->data.train);
    if (!st && state->final_images > most)
        st = nf_fail(NF_ERR_FORMAT, "%s: run.final_images %lld is more than %d passes over the %d training images", x.path,
                     (long long)state->final_images, NF_RUN_MAX_FINAL_EPOCHS, nf_ds_count(s->data.train));
    if (!st) nf_search_resume_at(s, state->generation, state->next_id, state->elapsed, state->predicted);
    return st;
}

nf_status nf_run_store_continue(nf_search *s, const nf_search_hooks *hooks, const nf_run_state *state)
{
    if (state->final_images >= 0) return nf_search_final(s, hooks, state->final_images);
    return nf_search_run(s, hooks);
}

/* ==== writing candidates ================================================== */

static const char *status_of(const nf_candidate *c)
{
    return c->state == NF_CAND_NEW ? "new" : c->state == NF_CAND_FAILED ? "failed" : "trained";
}

/* Its row and its changes, once (a survivor is already there). */
static nf_status put_candidate(nf_store *db, const nf_candidate *c)
{
    char *json = NULL, brief[160];
    nf_status st = nf_arch_to_json(c->g, &json);
    if (st) return st;
    nf_graph_brief(c->g, brief, sizeof brief);
    nf_cost cost = nf_cost_of(c->g);
    const nf_val v[] = {nf_int(c->id), nf_int(c->born), nf_id(c->parent[0]), nf_id(c->parent[1]), nf_text(json),
                        nf_text(brief), nf_int(cost.params), nf_real(cost.flops), nf_text(nf_optim_name(c->set.optim.kind)),
                        nf_real(c->set.optim.lr), nf_real(c->set.optim.weight_decay), nf_int(c->set.batch),
                        nf_text(status_of(c))};
    st = nf_store_exec(db, "INSERT OR IGNORE INTO candidates (id, born, parent1, parent2, architecture, brief, parameters, "
                           "flops, optimizer, learning_rate, weight_decay, batch, status) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", v, N(v), NULL, NULL);
    free(json);
    for (int k = 0; k < c->n_changes && !st; k++) {
        const nf_change *ch = &c->changes[k];
        const nf_val w[] = {nf_int(c->id), nf_int(k), nf_text(nf_change_name(ch->kind)),
                            ch->vertex < 0 ? nf_null() : nf_int(ch->vertex), nf_real(ch->before), nf_real(ch->after)};
        st = nf_store_exec(db, "INSERT OR IGNORE INTO changes (candidate_id, seq, kind, vertex, before, after) "
                               "VALUES (?, ?, ?, ?, ?, ?)", w, N(w), NULL, NULL);
    }
    return st;
}

/* Its whole state into weights (role, slot), replacing what was there. */
static nf_status put_weights(nf_store *db, const char *role, int slot, const nf_candidate *c)
{
    unsigned char *buf;
    size_t len;
    nf_status st = nf_candidate_serialize(c, &buf, &len);
    if (st) return st;
    const nf_val v[] = {nf_text(role), nf_int(slot), nf_int(c->id), nf_int(c->trained_gen), nf_int((int64_t)len),
                        {.type = NF_VAL_BLOB_OWNED, .p = buf, .len = len}};
    return nf_store_exec(db, "INSERT OR REPLACE INTO weights (role, slot, candidate_id, trained_gen, bytes, data) "
                             "VALUES (?, ?, ?, ?, ?, ?)", v, N(v), NULL, NULL);
}

/* The whole population of s, replacing the stored one. */
static nf_status put_population(nf_store *db, const nf_search *s)
{
    nf_status st = nf_store_exec(db, "DELETE FROM weights WHERE role = 'population'", NULL, 0, NULL, NULL);
    for (int i = 0; i < s->n_pop && !st; i++) {
        st = put_candidate(db, s->pop[i]);
        if (!st) st = put_weights(db, "population", i, s->pop[i]);
    }
    return st;
}

static nf_status put_counters(nf_store *db, const nf_search *s)
{
    const nf_val v[] = {nf_int(s->generation), nf_int(s->next_id), nf_real(nf_search_elapsed(s)),
                        nf_text(s->stop_reason == NF_STOP_NONE ? NULL : nf_stop_name(s->stop_reason))};
    return nf_store_exec(db, "UPDATE run SET generation = ?, next_id = ?, elapsed_seconds = ?, stop_reason = ?",
                         v, N(v), NULL, NULL);
}

/* ==== the hooks =========================================================== */

void nf_run_store_init(nf_run_store *rs, nf_store *db, const nf_search_hooks *inner)
{
    *rs = (nf_run_store){.db = db, .best_id = -1, .best_gen = -1};
    if (inner) rs->inner = *inner;
}

/* Ends the transaction begun by a hook: commit when st is NF_OK. */
static nf_status finish(nf_run_store *rs, nf_status st, double t0)
{
    if (!st) st = nf_store_commit(rs->db);
    else nf_store_rollback(rs->db);
    rs->commit_seconds += nf_clock() - t0;
    if (!st) rs->commits++;
    else if (!rs->error[0]) snprintf(rs->error, sizeof rs->error, "%s", nf_last_error());
    return st;
}

static nf_status on_population(void *user, const nf_search *s)
{
    nf_run_store *rs = user;
    double t0 = nf_clock();
    nf_status st = nf_store_begin(rs->db);
    if (!st) st = put_population(rs->db, s);
    if (!st) st = put_counters(rs->db, s);
    if ((st = finish(rs, st, t0))) return st;
    return rs->inner.population_ready ? rs->inner.population_ready(rs->inner.user, s) : NF_OK;
}

static int slot_of(const nf_search *s, const nf_candidate *c)
{
    for (int i = 0; i < s->n_pop; i++)
        if (s->pop[i] == c) return i;
    return -1;
}

static nf_status put_scores(nf_store *db, const nf_search *s, const nf_candidate *c)
{
    const char *failure = c->state == NF_CAND_FAILED ? c->reason : NULL;
    const nf_val v[] = {nf_text(status_of(c)), nf_real(c->fitness), nf_real(c->val_accuracy), nf_real(c->seconds),
                        nf_int(c->images), nf_text(failure), nf_int(c->id)};
    nf_status st = nf_store_exec(db, "UPDATE candidates SET status = ?, fitness = ?, val_accuracy = ?, "
                                     "train_seconds = train_seconds + ?, images = ?, failure = ? WHERE id = ?",
                                 v, N(v), NULL, NULL);
    const nf_val w[] = {nf_int(c->id), nf_int(s->generation), nf_real(c->fitness), nf_real(c->val_accuracy),
                        nf_real(c->train_loss), nf_real(c->seconds), nf_text(failure), nf_int(c->state == NF_CAND_CULLED),
                        c->worker >= 0 ? nf_int(c->worker) : nf_null()};
    if (!st) st = nf_store_exec(db, "INSERT OR REPLACE INTO candidate_fitness (candidate_id, generation, fitness, "
                                    "val_accuracy, train_loss, seconds, failure, culled, worker) "
                                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                w, N(w), NULL, NULL);
    return st;
}

/* Called from a training thread, one at a time (the search's critical section). */
static nf_status on_trained(void *user, const nf_search *s, const nf_candidate *c)
{
    nf_run_store *rs = user;
    int slot = slot_of(s, c);
    if (slot < 0) return nf_fail(NF_ERR_ARG, "candidate %lld is not in the population", (long long)c->id);
    double t0 = nf_clock();
    nf_status st = nf_store_begin(rs->db);
    if (!st) st = put_scores(rs->db, s, c);
    if (!st) st = put_weights(rs->db, "population", slot, c);
    const nf_val v[] = {nf_real(nf_search_elapsed(s))};
    if (!st) st = nf_store_exec(rs->db, "UPDATE run SET elapsed_seconds = ?", v, 1, NULL, NULL);
    if ((st = finish(rs, st, t0))) return st;
    return rs->inner.candidate_trained ? rs->inner.candidate_trained(rs->inner.user, s, c) : NF_OK;
}

static nf_status put_generation(nf_store *db, const nf_gen_stats *g)
{
    char started[32], ended[32];
    const nf_val v[] = {nf_int(g->generation), nf_text(utc_ago(started, g->seconds)), nf_text(utc_now(ended)),
                        nf_real(g->seconds), nf_real(g->best_fitness), nf_real(g->median_fitness),
                        nf_real(g->best_accuracy), nf_id(g->best_id), nf_int(g->population), nf_int(g->failed),
                        nf_int(g->images), nf_int(g->culled), nf_real(g->train_seconds), nf_real(g->score_seconds),
                        nf_real(g->idle_seconds), nf_real(g->predicted_seconds)};
    return nf_store_exec(db, "INSERT OR REPLACE INTO generations (generation, started, ended, seconds, best_fitness, "
                             "median_fitness, best_accuracy, best_id, population, failed, images, culled, train_seconds, "
                             "score_seconds, idle_seconds, predicted_seconds) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         v, N(v), NULL, NULL);
}

static nf_status on_generation(void *user, const nf_search *s, const nf_gen_stats *g)
{
    nf_run_store *rs = user;
    double t0 = nf_clock();
    nf_status st = nf_store_begin(rs->db);
    if (!st) st = put_generation(rs->db, g);
    int new_best = s->best && (s->best->id != rs->best_id || s->best->trained_gen != rs->best_gen);
    if (!st && new_best) st = put_weights(rs->db, "best", 0, s->best);
    if (!st && s->stop_reason == NF_STOP_NONE) st = put_population(rs->db, s); /* the next generation's */
    if (!st) st = put_counters(rs->db, s);
    if ((st = finish(rs, st, t0))) return st;
    if (new_best) {
        rs->best_id = s->best->id;
        rs->best_gen = s->best->trained_gen;
    }
    /* The time this generation spent committing, its own commit included. */
    const nf_val v[] = {nf_real(rs->commit_seconds), nf_int(g->generation)};
    rs->commit_seconds = 0;
    if ((st = nf_store_exec(rs->db, "UPDATE generations SET commit_seconds = ? WHERE generation = ?", v, 2, NULL, NULL)))
        return st;
    return rs->inner.generation_done ? rs->inner.generation_done(rs->inner.user, s, g) : NF_OK;
}

static nf_status on_final_started(void *user, const nf_search *s, int64_t images)
{
    nf_run_store *rs = user;
    const nf_val v[] = {nf_int(images), nf_real(nf_search_elapsed(s)), nf_int(s->generation)};
    nf_status st = nf_store_exec(rs->db, "UPDATE run SET final_images = ?, elapsed_seconds = ?, generation = ?",
                                 v, N(v), NULL, NULL);
    if (!st) rs->commits++;
    if (st) return st;
    return rs->inner.final_started ? rs->inner.final_started(rs->inner.user, s, images) : NF_OK;
}

static nf_status on_finished(void *user, const nf_search *s, const nf_result *r)
{
    nf_run_store *rs = user;
    double t0 = nf_clock();
    char now[32];
    nf_status st = nf_store_begin(rs->db);
    if (!st) st = put_weights(rs->db, "winner", 0, r->winner);
    /* The winner is the best trained on: the best's copy is no longer needed. */
    if (!st) st = nf_store_exec(rs->db, "DELETE FROM weights WHERE role = 'best'", NULL, 0, NULL, NULL);
    const nf_val v[] = {nf_text(utc_now(now)), nf_int(r->winner->id), nf_real(r->val_accuracy),
                        r->test_accuracy >= 0 ? nf_real(r->test_accuracy) : nf_null(), nf_int(r->final_images),
                        nf_real(nf_search_elapsed(s))};
    if (!st) st = nf_store_exec(rs->db, "UPDATE run SET status = 'done', ended = ?, winner_id = ?, final_val_accuracy = ?, "
                                        "test_accuracy = ?, final_images = ?, elapsed_seconds = ?", v, N(v), NULL, NULL);
    if ((st = finish(rs, st, t0))) return st;
    return rs->inner.finished ? rs->inner.finished(rs->inner.user, s, r) : NF_OK;
}

static int on_stop(void *user)
{
    nf_run_store *rs = user;
    return rs->inner.stop ? rs->inner.stop(rs->inner.user) : 0;
}

static void on_progress(void *user, const nf_search *s, int64_t done, int64_t total)
{
    nf_run_store *rs = user;
    if (rs->inner.progress) rs->inner.progress(rs->inner.user, s, done, total);
}

nf_search_hooks nf_run_store_hooks(nf_run_store *rs)
{
    return (nf_search_hooks){.user = rs, .population_ready = on_population, .candidate_trained = on_trained,
                             .generation_done = on_generation, .final_started = on_final_started,
                             .finished = on_finished, .stop = on_stop, .progress = on_progress};
}
