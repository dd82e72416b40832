/* One session of a search run, shared by `nasfit fit` (a new run) and
 * `nasfit resume` (the rest of a stored one): loads the data the
 * configuration names, builds the search (restored from the store when
 * resuming), runs it with the store's committing hooks chained before the
 * printing ones, and records how it ended. Returns the exit status
 * (app/session/exit_code.h): 0 done, 2 bad input, 3 interrupted (resumable),
 * 4 failed. */
#ifndef NF_FIT_SESSION_H
#define NF_FIT_SESSION_H

#include "app/formats/config.h"
#include "app/store/run_store.h"

typedef struct nf_fit_session {
    const char *command;          /* "fit" or "resume", for messages */
    const nf_fit_config *cfg;
    nf_store *db;                 /* open for writing */
    const nf_run_state *resume;   /* NULL: a new run */
    const char *claim;            /* resume: the configuration text to claim the run with, once checked */
    int quiet;
    nf_trainer *trainer;          /* where tasks run (borrowed); NULL: the local threads */
    const char *report;           /* --report FILE: the page rewritten after each generation; NULL none */
} nf_fit_session;

int nf_fit_session_run(const nf_fit_session *fs);

/* The data set spec as stored: a path made absolute (so a resume from
 * another folder finds it), a name such as fashion-mnist unchanged. */
void nf_fit_data_spec(char *spec, size_t cap);

#endif
