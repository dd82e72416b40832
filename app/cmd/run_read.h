/* What the read commands (history, top, lineage, show) share: their
 * options, opening a run file for reading (never blocking or disturbing a
 * run that writes it), and naming a candidate by id or "best". */
#ifndef NF_RUN_READ_H
#define NF_RUN_READ_H

#include <stdint.h>
#include <stdio.h>

#include "app/store/store.h"
#include "engine/graph.h"

typedef struct nf_read_args {
    const char *db;     /* --db FILE (required) */
    int json;           /* --json */
    int n;              /* -n N (top), 10 by default */
    const char *which;  /* ID or best (lineage, show) */
} nf_read_args;

typedef struct nf_read_command {
    const char *name;       /* "history" */
    int wants_n;            /* accepts -n N */
    int wants_candidate;    /* takes ID|best */
    void (*usage)(FILE *f);
} nf_read_command;

/* Parses argv; prints usage for --help (exit 0) or a mistake. Returns -1
 * to go on, else the exit status (0 for --help, 1 for bad usage). */
int nf_read_parse(const nf_read_command *c, int argc, char **argv, nf_read_args *a);

/* Opens a.db for reading; prints the reason and returns the exit status
 * (2, or 4 out of memory) when it cannot, 0 when it can. */
int nf_read_open(const char *command, const char *path, nf_store **out);

/* The candidate a.which names: an id that exists, or "best" (the best
 * candidate of the run: the winner once finished, else the best so far).
 * Prints the reason and returns the exit status when there is none (1 for
 * text that is no id, 2 for an id the run does not have). */
int nf_read_candidate(const char *command, nf_store *db, const char *which, int64_t *id);

/* The architecture of candidate `which` (ID or best) of run file `path`
 * as a graph with new weights drawn from rng. Prints the reason and returns
 * the exit status (1 usage, 2 bad input, 4 out of memory) when it cannot;
 * 0 on success. */
int nf_read_architecture(const char *command, const char *path, const char *which, nf_rng *rng, nf_graph **g);

/* The run's status in words for people: "done", "interrupted (resumable)",
 * "running (process N)", "stopped: process N is gone (resumable)"... */
void nf_read_status(const char *status, int64_t pid, char *buf, size_t cap);

#endif
