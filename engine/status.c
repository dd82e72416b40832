#include "engine/status.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[1024];

nf_status nf_fail(nf_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return code;
}

const char *nf_last_error(void) { return last_error; }

void nf_clear_error(void) { last_error[0] = '\0'; }

static const char *const status_names[NF_STATUS_COUNT] = {
    [NF_OK] = "ok",
    [NF_ERR_NOMEM] = "out of memory",
    [NF_ERR_IO] = "input/output error",
    [NF_ERR_FORMAT] = "bad format",
    [NF_ERR_ARG] = "invalid argument",
    [NF_ERR_GRAPH] = "invalid graph",
    [NF_ERR_INFEASIBLE] = "infeasible",
    [NF_ERR_TIMEOUT] = "time limit reached",
    [NF_ERR_SOLVER] = "solver failure",
    [NF_ERR_DB] = "run store error",
    [NF_ERR_INTERRUPTED] = "interrupted",
    [NF_ERR_DIVERGED] = "training diverged",
    [NF_ERR_LIMIT] = "size limit reached",
};

const char *nf_status_name(nf_status code)
{
    if ((unsigned)code >= NF_STATUS_COUNT || !status_names[code]) return "unknown status";
    return status_names[code];
}
