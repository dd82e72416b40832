#include "engine/log.h"

#include <stdarg.h>
#include <stdio.h>

static void default_sink(nf_log_level level, const char *message, void *user)
{
    (void)user;
    if (level >= NF_LOG_WARN) fprintf(stderr, "nasfit: %s\n", message);
}

static nf_log_sink current_sink = default_sink;
static void *current_user;

void nf_log_set_sink(nf_log_sink sink, void *user)
{
    current_sink = sink ? sink : default_sink;
    current_user = user;
}

void nf_log(nf_log_level level, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    current_sink(level, buf, current_user);
}
