#include "app/store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* 'nfRS' in the header's application_id field: tells a nasfit run file
 * from any other SQLite file. */
#define APPLICATION_ID 0x6e665253

struct nf_store {
    sqlite3 *db;
    char *path;
    int lock_fd;     /* the writer's flock, -1 for readers */
};

struct nf_row { sqlite3_stmt *stmt; };

/* ==== the schema ========================================================== */

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

/* migrations[v] takes a file from version v to v + 1; [0] makes it. */
static const char *const migrations[NF_STORE_SCHEMA] = {schema_v1, schema_v2};

/* A read-only file of an older version reads as the current one through
 * temporary views (SQLite looks in the temp schema first), the columns it
 * lacks as NULL or 0. read_views[v] lifts version v + 1 to the current. */
static const char *const read_views[NF_STORE_SCHEMA - 1] = {
    "CREATE TEMP VIEW generations AS SELECT *, 0 AS culled, NULL AS train_seconds, NULL AS score_seconds, "
    "NULL AS idle_seconds FROM main.generations;\n"
    "CREATE TEMP VIEW candidate_fitness AS SELECT *, 0 AS culled, NULL AS worker FROM main.candidate_fitness;\n"
    "CREATE TEMP VIEW run AS SELECT *, NULL AS trainer, NULL AS workers FROM main.run;\n"};

/* ==== errors ============================================================== */

static nf_status fail_db(const nf_store *st, int rc, const char *doing)
{
    const char *path = st->path, *why = st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
    switch (rc & 0xff) {
    case SQLITE_NOTADB:
        return nf_fail(NF_ERR_FORMAT, "%s: not a SQLite database (damaged, or another kind of file)", path);
    case SQLITE_CORRUPT:
        return nf_fail(NF_ERR_FORMAT, "%s: the database is damaged (%s while %s)", path, why, doing);
    case SQLITE_FULL:
        return nf_fail(NF_ERR_IO, "%s: the disk is full (while %s); what was committed before is kept", path, doing);
    case SQLITE_READONLY:
    case SQLITE_PERM:
        return nf_fail(NF_ERR_IO, "%s: cannot write: the file or its folder is read-only (while %s)", path, doing);
    case SQLITE_CANTOPEN:
        return nf_fail(NF_ERR_IO, "%s: cannot open (%s)", path, why);
    case SQLITE_IOERR:
        return nf_fail(NF_ERR_IO, "%s: input/output error while %s (%s); what was committed before is kept", path,
                       doing, st->db && sqlite3_system_errno(st->db) ? strerror(sqlite3_system_errno(st->db)) : why);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return nf_fail(NF_ERR_IO, "%s: busy: another process holds a lock on it (while %s)", path, doing);
    case SQLITE_NOMEM: return nf_fail(NF_ERR_NOMEM, "%s: out of memory while %s", path, doing);
    default: return nf_fail(NF_ERR_DB, "%s: %s (while %s)", path, why, doing);
    }
}

const char *nf_store_path(const nf_store *db) { return db->path; }

/* ==== statements ========================================================== */

int nf_row_null(const nf_row *r, int col) { return sqlite3_column_type(r->stmt, col) == SQLITE_NULL; }
int64_t nf_row_int(const nf_row *r, int col) { return sqlite3_column_int64(r->stmt, col); }
double nf_row_real(const nf_row *r, int col) { return sqlite3_column_double(r->stmt, col); }

const char *nf_row_text(const nf_row *r, int col)
{
    const unsigned char *t = sqlite3_column_text(r->stmt, col);
    return t ? (const char *)t : "";
}

const void *nf_row_blob(const nf_row *r, int col, size_t *len)
{
    const void *p = sqlite3_column_blob(r->stmt, col);
    *len = (size_t)sqlite3_column_bytes(r->stmt, col);
    return p;
}

static int bind(sqlite3_stmt *stmt, int i, const nf_val *v)
{
    switch (v->type) {
    case NF_VAL_INT: return sqlite3_bind_int64(stmt, i, v->i);
    case NF_VAL_REAL: return sqlite3_bind_double(stmt, i, v->r);
    case NF_VAL_TEXT: return sqlite3_bind_text(stmt, i, v->p, -1, SQLITE_TRANSIENT);
    case NF_VAL_BLOB: return sqlite3_bind_blob64(stmt, i, v->p, v->len, SQLITE_STATIC);
    case NF_VAL_BLOB_OWNED: return sqlite3_bind_blob64(stmt, i, v->p, v->len, free);
    default: return sqlite3_bind_null(stmt, i);
    }
}

static void free_owned(const nf_val *vals, int from, int n)
{
    for (int i = from; i < n; i++)
        if (vals[i].type == NF_VAL_BLOB_OWNED) free((void *)vals[i].p);
}

nf_status nf_store_exec(nf_store *db, const char *sql, const nf_val *vals, int n, nf_row_fn fn, void *user)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(db->db, sql, -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        free_owned(vals, 0, n);
        return fail_db(db, rc, "reading the schema");
    }
    for (int i = 0; i < n; i++) {
        rc = bind(stmt, i + 1, &vals[i]); /* an owned blob is freed by SQLite, even on failure */
        if (rc != SQLITE_OK) {
            free_owned(vals, i + 1, n);
            sqlite3_finalize(stmt);
            return fail_db(db, rc, "binding a value");
        }
    }
    nf_status st = NF_OK;
    nf_row row = {stmt};
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        if (fn && (st = fn(user, &row))) break;
    if (!st && rc != SQLITE_DONE) st = fail_db(db, rc, fn ? "reading" : "writing");
    sqlite3_finalize(stmt);
    return st;
}

nf_status nf_store_script(nf_store *db, const char *sql)
{
    int rc = sqlite3_exec(db->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? NF_OK : fail_db(db, rc, "writing");
}

static nf_status first_int(void *user, const nf_row *r)
{
    int64_t *out = user;
    if (nf_row_null(r, 0)) return NF_ERR_ARG;
    *out = nf_row_int(r, 0);
    return NF_ERR_INTERRUPTED; /* one row is enough: stop here */
}

nf_status nf_store_int(nf_store *db, const char *sql, const nf_val *vals, int n, int64_t *out)
{
    nf_status st = nf_store_exec(db, sql, vals, n, first_int, out);
    return st == NF_ERR_INTERRUPTED ? NF_OK : st == NF_OK ? NF_ERR_ARG : st;
}

nf_status nf_store_begin(nf_store *db) { return nf_store_script(db, "BEGIN IMMEDIATE"); }

nf_status nf_store_commit(nf_store *db)
{
    int rc = sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL);
    if (rc == SQLITE_OK) return NF_OK;
    nf_status st = fail_db(db, rc, "committing");
    nf_store_rollback(db);
    return st;
}

void nf_store_rollback(nf_store *db)
{
    if (!sqlite3_get_autocommit(db->db)) sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ==== opening ============================================================= */

static nf_status pragma_int(nf_store *db, const char *sql, int64_t *out)
{
    nf_status st = nf_store_int(db, sql, NULL, 0, out);
    return st == NF_ERR_ARG ? nf_fail(NF_ERR_DB, "%s: %s gave nothing", db->path, sql) : st;
}

/* Who holds the writer's lock, for the message: the pid the run table names. */
static nf_status refuse_locked(const char *path)
{
    nf_store *r = NULL;
    int64_t pid = 0;
    nf_status st = nf_store_open(path, NF_STORE_READ, &r);
    if (!st && nf_store_int(r, "SELECT pid FROM run", NULL, 0, &pid)) pid = 0;
    nf_store_close(r);
    if (pid > 0)
        return nf_fail(NF_ERR_IO, "%s: a run is being written to this file by process %lld; one writer at a time "
                                  "(reading it with history, top, lineage, show or sqlite3 is fine)", path, (long long)pid);
    return nf_fail(NF_ERR_IO, "%s: another nasfit process is writing this file; one writer at a time", path);
}

/* The writer's lock: an exclusive flock held while the store is open. */
static nf_status take_lock(nf_store *db, nf_store_mode mode)
{
    int flags = mode == NF_STORE_CREATE ? O_RDWR | O_CREAT : O_RDWR;
    db->lock_fd = open(db->path, flags | O_CLOEXEC, 0644);
    if (db->lock_fd < 0) {
        if (errno == EACCES || errno == EROFS)
            return nf_fail(NF_ERR_IO, "%s: cannot write: %s (a run is resumed only where it can be written)", db->path, strerror(errno));
        return nf_fail(NF_ERR_IO, "%s: cannot open: %s", db->path, strerror(errno));
    }
    if (flock(db->lock_fd, LOCK_EX | LOCK_NB) == 0) return NF_OK;
    if (errno != EWOULDBLOCK) return nf_fail(NF_ERR_IO, "%s: cannot lock: %s", db->path, strerror(errno));
    close(db->lock_fd);
    db->lock_fd = -1;
    return refuse_locked(db->path);
}

/* What the file is, before anything is written to it: a nasfit run of a
 * version this nasfit reads (or nothing yet, when creating). */
static nf_status identify(nf_store *db, nf_store_mode mode, int64_t *version)
{
    int64_t app = 0, tables = 0;
    nf_status st = pragma_int(db, "PRAGMA application_id", &app);
    if (!st) st = pragma_int(db, "PRAGMA user_version", version);
    if (!st) st = pragma_int(db, "SELECT count(*) FROM sqlite_schema", &tables);
    if (st) return st;
    if (app != APPLICATION_ID && (tables > 0 || mode != NF_STORE_CREATE))
        return tables == 0 ? nf_fail(NF_ERR_FORMAT, "%s: an empty database, not a nasfit run", db->path)
                           : nf_fail(NF_ERR_FORMAT, "%s: a SQLite database, but not a nasfit run file", db->path);
    if (*version < 0)
        return nf_fail(NF_ERR_FORMAT, "%s: run file schema %lld (PRAGMA user_version) is impossible; the file is damaged",
                       db->path, (long long)*version);
    if (*version > NF_STORE_SCHEMA)
        return nf_fail(NF_ERR_FORMAT, "%s: written by a newer nasfit (run file schema %lld; this one reads up to %d)",
                       db->path, (long long)*version, NF_STORE_SCHEMA);
    int64_t rows = 1; /* a file made by a fit killed before its run row: as good as empty (but not
                         one whose run row is gone and whose history is still there) */
    if (mode == NF_STORE_CREATE && tables > 0 && *version == NF_STORE_SCHEMA &&
        !nf_store_int(db, "SELECT (SELECT count(*) FROM run) + (SELECT count(*) FROM candidates) + "
                          "(SELECT count(*) FROM generations) + (SELECT count(*) FROM weights)", NULL, 0, &rows) && rows == 0)
        return NF_OK;
    if (mode == NF_STORE_CREATE && tables > 0)
        return nf_fail(NF_ERR_ARG, "%s: already holds a run; continue it with nasfit resume --db %s, or choose another file",
                       db->path, db->path);
    if (mode == NF_STORE_READ && *version < 1)
        return nf_fail(NF_ERR_FORMAT, "%s: an impossible schema version %lld", db->path, (long long)*version);
    if (mode == NF_STORE_READ && *version < NF_STORE_SCHEMA) return nf_store_script(db, read_views[*version - 1]);
    return NF_OK;
}

/* Creates or updates the schema, one transaction per version step. */
static nf_status migrate(nf_store *db, int64_t version)
{
    nf_status st = NF_OK;
    for (int64_t v = version; v < NF_STORE_SCHEMA && !st; v++) {
        char set[96];
        snprintf(set, sizeof set, "PRAGMA application_id = %d; PRAGMA user_version = %lld;", APPLICATION_ID, (long long)v + 1);
        if (!(st = nf_store_begin(db)) && !(st = nf_store_script(db, migrations[v])) && !(st = nf_store_script(db, set)))
            st = nf_store_commit(db);
        if (st) nf_store_rollback(db);
    }
    return st;
}

static nf_status quick_check(void *user, const nf_row *r)
{
    nf_store *db = user;
    const char *t = nf_row_text(r, 0);
    if (!strcmp(t, "ok")) return NF_OK;
    return nf_fail(NF_ERR_FORMAT, "%s: the database is damaged (%s)", db->path, t);
}

static nf_status configure(nf_store *db, nf_store_mode mode)
{
    nf_status st = nf_store_script(db, "PRAGMA foreign_keys = ON");
    if (st || mode == NF_STORE_READ) return st;
    /* WAL: readers see the last commit and never wait for the writer. FULL:
     * a commit survives a power cut, not only a killed process. The WAL is
     * cut back to 16 MB after each checkpoint so it never grows with the run. */
    st = nf_store_script(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                             "PRAGMA journal_size_limit = 16777216");
    if (!st && mode == NF_STORE_WRITE) st = nf_store_exec(db, "PRAGMA quick_check", NULL, 0, quick_check, db);
    return st;
}

/* Before SQLite sees it: a file that exists must start like a database. */
static nf_status check_header(const char *path, nf_store_mode mode)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (mode == NF_STORE_CREATE && errno == ENOENT) return NF_OK;
        return nf_fail(NF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    if (!S_ISREG(sb.st_mode)) return nf_fail(NF_ERR_IO, "%s: not a regular file", path);
    if (sb.st_size == 0) return mode == NF_STORE_CREATE ? NF_OK : nf_fail(NF_ERR_FORMAT, "%s: an empty file, not a nasfit run", path);
    FILE *f = fopen(path, "rb");
    if (!f) return nf_fail(NF_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    char head[16] = {0};
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    if (n < sizeof head || memcmp(head, "SQLite format 3", 16))
        return nf_fail(NF_ERR_FORMAT, "%s: not a nasfit run file (not a SQLite database)", path);
    return NF_OK;
}

/* A run file on read-only media (or in a folder this user cannot write)
 * without its -shm file: SQLite cannot set up WAL reading there, and no
 * writer can be at work on it either, so it is opened as immutable. */
static int read_only_place(const char *path)
{
    char shm[4096], dir[4096];
    snprintf(shm, sizeof shm, "%s-shm", path);
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) slash[slash == dir] = 0;
    else snprintf(dir, sizeof dir, ".");
    return access(shm, F_OK) != 0 && access(dir, W_OK) != 0;
}

/* "file:PATH?immutable=1" with PATH percent-encoded where URIs need it. */
static char *immutable_uri(const char *path)
{
    size_t n = strlen(path);
    char *uri = malloc(3 * n + 32), *o = uri;
    if (!uri) return NULL;
    o += sprintf(o, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++)
        o += (*p == '%' || *p == '?' || *p == '#' || *p < 0x20) ? sprintf(o, "%%%02X", *p) : sprintf(o, "%c", *p);
    sprintf(o, "?immutable=1");
    return uri;
}

static int open_db(nf_store *db, nf_store_mode mode)
{
    int flags = mode == NF_STORE_READ ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (mode != NF_STORE_READ || !read_only_place(db->path))
        return sqlite3_open_v2(db->path, &db->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    char *uri = immutable_uri(db->path);
    if (!uri) return SQLITE_NOMEM;
    int rc = sqlite3_open_v2(uri, &db->db, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL);
    free(uri);
    return rc;
}

nf_status nf_store_open(const char *path, nf_store_mode mode, nf_store **out)
{
    *out = NULL;
    nf_status st = check_header(path, mode);
    if (st) return st;
    nf_store *db = calloc(1, sizeof *db);
    if (!db || !(db->path = strdup(path))) {
        free(db);
        return nf_fail(NF_ERR_NOMEM, "cannot allocate a run store");
    }
    db->lock_fd = -1;
    if (mode != NF_STORE_READ && (st = take_lock(db, mode))) {
        nf_store_close(db);
        return st;
    }
    int rc = open_db(db, mode);
    if (rc != SQLITE_OK) st = fail_db(db, rc, "opening");
    int64_t version = 0;
    if (!st) {
        sqlite3_busy_timeout(db->db, 10000); /* a checkpoint or a reader's recovery holds a lock briefly */
        st = identify(db, mode, &version);
    }
    if (!st) st = configure(db, mode);
    if (!st && mode != NF_STORE_READ) st = migrate(db, version);
    if (st) {
        nf_store_close(db);
        return st;
    }
    *out = db;
    return NF_OK;
}

void nf_store_close(nf_store *db)
{
    if (!db) return;
    if (db->db) {
        nf_store_rollback(db);
        sqlite3_close_v2(db->db);
    }
    if (db->lock_fd >= 0) close(db->lock_fd); /* after SQLite: closing our descriptor last drops the flock */
    free(db->path);
    free(db);
}
