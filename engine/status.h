/* Status codes and the error detail of the last failure on this thread.
 *
 * Every fallible function returns nf_status (NF_OK == 0). The place that
 * detects an error records one human-readable detail with nf_fail() (file,
 * offset, key, what was expected); callers pass the code up unchanged. Only
 * app/ prints. */
#ifndef NF_STATUS_H
#define NF_STATUS_H

typedef enum nf_status {
    NF_OK = 0,
    NF_ERR_NOMEM,      /* an allocation failed */
    NF_ERR_IO,         /* a file is missing, unreadable or could not be written */
    NF_ERR_FORMAT,     /* a file's content is malformed */
    NF_ERR_ARG,        /* a caller passed an invalid argument or request */
    NF_ERR_GRAPH,      /* the graph is (or would become) invalid */
    NF_ERR_INFEASIBLE, /* a size plan has no solution */
    NF_ERR_TIMEOUT,    /* a solver or operation ran out of time */
    NF_ERR_SOLVER,     /* the MILP solver failed for another reason */
    NF_ERR_DB,         /* the run store (SQLite) failed */
    NF_ERR_INTERRUPTED,/* stopped by a signal */
    NF_ERR_DIVERGED,   /* training gave a loss that is not finite (nan or inf) */
    NF_ERR_LIMIT,      /* a size limit (neurons of a vertex, parameters of a graph) would be exceeded */
    NF_STATUS_COUNT
} nf_status;

/* Records the detail of a failure for this thread and returns code, so a
 * caller writes `return nf_fail(NF_ERR_FORMAT, "%s: bad magic", path);`. */
nf_status nf_fail(nf_status code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The detail recorded by the last nf_fail() on this thread ("" if none). */
const char *nf_last_error(void);

/* Clears the recorded detail. */
void nf_clear_error(void);

/* A short name for a status ("out of memory", "bad format", ...). */
const char *nf_status_name(nf_status code);

#endif
