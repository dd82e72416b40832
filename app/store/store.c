#include "app/store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* The schema a file is made with, migrated to and read through. */
static const nf_store_schema *const schema = &nf_run_schema;

struct nf_store {
    sqlite3 *db;
    char *path;
    int lock_fd;     /* the writer's flock, -1 for readers */
};

struct nf_row { sqlite3_stmt *stmt; };

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

/* Runs sql, handing fn at most max_rows rows (-1: all); *rows counts them. */
static nf_status run(nf_store *db, const char *sql, const nf_val *vals, int n, nf_row_fn fn, void *user, int64_t max_rows,
                     int64_t *rows)
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
    *rows = 0;
    while (*rows != max_rows && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        ++*rows;
        if (fn && (st = fn(user, &row))) break;
    }
    if (!st && rc != SQLITE_DONE && rc != SQLITE_ROW) st = fail_db(db, rc, fn ? "reading" : "writing");
    sqlite3_finalize(stmt);
    return st;
}

nf_status nf_store_exec(nf_store *db, const char *sql, const nf_val *vals, int n, nf_row_fn fn, void *user)
{
    int64_t rows;
    return run(db, sql, vals, n, fn, user, -1, &rows);
}

nf_status nf_store_first(nf_store *db, const char *sql, const nf_val *vals, int n, nf_row_fn fn, void *user, bool *found)
{
    int64_t rows;
    nf_status st = run(db, sql, vals, n, fn, user, 1, &rows);
    *found = rows > 0;
    return st;
}

nf_status nf_store_script(nf_store *db, const char *sql)
{
    int rc = sqlite3_exec(db->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? NF_OK : fail_db(db, rc, "writing");
}

/* A value of the first column, when it holds one. */
typedef struct first_value { int64_t v; bool set; } first_value;

static nf_status first_int(void *user, const nf_row *r)
{
    first_value *x = user;
    x->set = !nf_row_null(r, 0);
    x->v = nf_row_int(r, 0);
    return NF_OK;
}

nf_status nf_store_lookup(nf_store *db, const char *sql, const nf_val *vals, int n, int64_t *out, bool *found)
{
    first_value x = {0, false};
    bool row = false;
    nf_status st = nf_store_first(db, sql, vals, n, first_int, &x, &row);
    *found = !st && row && x.set;
    if (*found) *out = x.v;
    return st;
}

nf_status nf_store_int(nf_store *db, const char *sql, const nf_val *vals, int n, int64_t *out)
{
    bool found;
    nf_status st = nf_store_lookup(db, sql, vals, n, out, &found);
    if (!st && !found) return nf_fail(NF_ERR_DB, "%s: %s gave nothing", db->path, sql);
    return st;
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

/* Who holds the writer's lock, for the message: the pid the run table names. */
static nf_status refuse_locked(const char *path)
{
    nf_store *r = NULL;
    int64_t pid = 0;
    nf_status st = nf_store_open(path, NF_STORE_READ, &r);
    if (!st && nf_store_int(r, schema->writer_sql, NULL, 0, &pid)) pid = 0;
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
    nf_status st = nf_store_int(db, "PRAGMA application_id", NULL, 0, &app);
    if (!st) st = nf_store_int(db, "PRAGMA user_version", NULL, 0, version);
    if (!st) st = nf_store_int(db, "SELECT count(*) FROM sqlite_schema", NULL, 0, &tables);
    if (st) return st;
    if (app != schema->application_id && (tables > 0 || mode != NF_STORE_CREATE))
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
        !nf_store_int(db, schema->rows_sql, NULL, 0, &rows) && rows == 0)
        return NF_OK;
    if (mode == NF_STORE_CREATE && tables > 0)
        return nf_fail(NF_ERR_ARG, "%s: already holds a run; continue it with nasfit resume --db %s, or choose another file",
                       db->path, db->path);
    if (mode == NF_STORE_READ && *version < 1)
        return nf_fail(NF_ERR_FORMAT, "%s: an impossible schema version %lld", db->path, (long long)*version);
    if (mode == NF_STORE_READ && *version < NF_STORE_SCHEMA) return nf_store_script(db, schema->read_views[*version - 1]);
    return NF_OK;
}

/* Creates or updates the schema, one transaction per version step. */
static nf_status migrate(nf_store *db, int64_t version)
{
    nf_status st = NF_OK;
    for (int64_t v = version; v < NF_STORE_SCHEMA && !st; v++) {
        char set[96];
        snprintf(set, sizeof set, "PRAGMA application_id = %d; PRAGMA user_version = %lld;", schema->application_id, (long long)v + 1);
        if (!(st = nf_store_begin(db)) && !(st = nf_store_script(db, schema->migrations[v])) && !(st = nf_store_script(db, set)))
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
