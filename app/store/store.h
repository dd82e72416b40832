/* The run store's database: one SQLite file per run (WAL, foreign keys,
 * a schema version with migrations), opened for reading by any number of
 * processes and for writing by one at a time. The only file that includes
 * sqlite3.h. The SQL itself lives in the store's other two files: the
 * schema and every write in app/store/run_store.c, every question a command
 * asks in app/store/run_queries.c; no other file holds SQL
 * (tests/sql_check.sh).
 *
 * Writing takes an exclusive flock on the database file for as long as the
 * store is open, so a second writer is refused with the pid of the first;
 * SQLite's own locks are fcntl locks, which flock does not touch on Linux,
 * and readers take no flock, so they are never blocked. The lock dies with
 * its process (kill -9 included). Run files must live on a local disk, as
 * SQLite's WAL mode requires anyway.
 *
 * Every failure names the file and says what is wrong in words (not a
 * damaged file, a foreign SQLite file, made by a newer nasfit, read-only,
 * disk full, written by another process). */
#ifndef NF_STORE_H
#define NF_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/status.h"

#define NF_STORE_SCHEMA 3 /* the schema version this nasfit writes and reads */

typedef struct nf_store nf_store;

/* What a run file holds and how it grew, defined beside its writers
 * (app/store/run_store.c) and applied by nf_store_open. */
typedef struct nf_store_schema {
    int32_t application_id;         /* tells a nasfit run file from any other SQLite file */
    const char *const *migrations;  /* [NF_STORE_SCHEMA]: [v] takes a file from version v to v + 1; [0] makes it */
    const char *const *read_views;  /* [NF_STORE_SCHEMA - 1]: [v] makes version v + 1 read as the current one */
    const char *rows_sql;           /* one count: the rows the file holds (0: as good as empty) */
    const char *writer_sql;         /* one integer: the pid of the last process that wrote the file */
} nf_store_schema;
extern const nf_store_schema nf_run_schema;

typedef enum nf_store_mode {
    NF_STORE_READ,   /* read only; never blocks or disturbs a writer */
    NF_STORE_WRITE,  /* an existing run, locked for this process; checked (quick_check) */
    NF_STORE_CREATE  /* a new run file (the file must not exist, or be empty); locked */
} nf_store_mode;

/* Opens path. NF_ERR_IO (missing, unreadable, read-only, locked by another
 * writer: the detail names its pid), NF_ERR_FORMAT (not SQLite, not a
 * nasfit run, damaged, newer schema) or NF_ERR_DB, each with a detail that
 * starts with path. The caller owns *out. */
nf_status nf_store_open(const char *path, nf_store_mode mode, nf_store **out);
/* Closes; NULL is a no-op. */
void nf_store_close(nf_store *db);
const char *nf_store_path(const nf_store *db);

/* ---- statements ---------------------------------------------------------- */

/* A value bound to a '?' of a statement. */
typedef enum nf_val_type { NF_VAL_NULL, NF_VAL_INT, NF_VAL_REAL, NF_VAL_TEXT, NF_VAL_BLOB, NF_VAL_BLOB_OWNED } nf_val_type;
typedef struct nf_val {
    nf_val_type type;
    int64_t i;
    double r;
    const void *p; /* text (NUL-terminated) or blob; NF_VAL_BLOB_OWNED: malloc'd, freed by the store */
    size_t len;    /* blob bytes */
} nf_val;

static inline nf_val nf_int(int64_t i) { return (nf_val){.type = NF_VAL_INT, .i = i}; }
static inline nf_val nf_real(double r) { return (nf_val){.type = NF_VAL_REAL, .r = r}; }
static inline nf_val nf_text(const char *t) { return (nf_val){.type = t ? NF_VAL_TEXT : NF_VAL_NULL, .p = t}; }
static inline nf_val nf_null(void) { return (nf_val){.type = NF_VAL_NULL}; }
/* An id, NULL when negative (no parent). */
static inline nf_val nf_id(int64_t i) { return i < 0 ? nf_null() : nf_int(i); }

/* One result row, valid during the callback. Columns from 0. */
typedef struct nf_row nf_row;
int nf_row_null(const nf_row *r, int col);
int64_t nf_row_int(const nf_row *r, int col);
double nf_row_real(const nf_row *r, int col);
const char *nf_row_text(const nf_row *r, int col);  /* "" for NULL */
const void *nf_row_blob(const nf_row *r, int col, size_t *len);

/* Reads one row. NF_OK goes on to the next row; any other code is an
 * error, which ends the statement and is returned. No code means "stop":
 * a reader that wants one row asks nf_store_first. */
typedef nf_status (*nf_row_fn)(void *user, const nf_row *r);

/* Runs one statement with n values bound in order, calling fn (may be
 * NULL) for every row. An owned blob is freed whatever happens. */
nf_status nf_store_exec(nf_store *db, const char *sql, const nf_val *vals, int n, nf_row_fn fn, void *user);
/* As nf_store_exec, but fn sees the first row only; *found says whether
 * there was one. The status is about errors alone. */
nf_status nf_store_first(nf_store *db, const char *sql, const nf_val *vals, int n, nf_row_fn fn, void *user, bool *found);
/* Runs a script of statements without values or rows. */
nf_status nf_store_script(nf_store *db, const char *sql);

/* The first column of the first row as an integer; *found is false (and
 * *out untouched) when there is no row or the value is NULL. */
nf_status nf_store_lookup(nf_store *db, const char *sql, const nf_val *vals, int n, int64_t *out, bool *found);
/* The same for a value that must be there: no row, or NULL, is NF_ERR_DB
 * naming the file and the statement. */
nf_status nf_store_int(nf_store *db, const char *sql, const nf_val *vals, int n, int64_t *out);

/* A write transaction (BEGIN IMMEDIATE ... COMMIT); rollback on failure. */
nf_status nf_store_begin(nf_store *db);
nf_status nf_store_commit(nf_store *db);
void nf_store_rollback(nf_store *db);

#endif
