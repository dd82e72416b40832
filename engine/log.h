/* Logging. Libraries (engine, nas, datasets, and GLPK through the planner)
 * write through nf_log; app/ decides where it goes by installing a sink.
 * The default sink writes warnings and errors to stderr and drops the rest. */
#ifndef NF_LOG_H
#define NF_LOG_H

typedef enum nf_log_level { NF_LOG_DEBUG, NF_LOG_INFO, NF_LOG_WARN, NF_LOG_ERROR } nf_log_level;

typedef void (*nf_log_sink)(nf_log_level level, const char *message, void *user);

/* Installs sink (NULL restores the default). Not thread-safe: call at start-up. */
void nf_log_set_sink(nf_log_sink sink, void *user);

void nf_log(nf_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
