/* A progress line for long work, on stderr. On a terminal it is redrawn in
 * place a few times a second; otherwise (a log file) a line is written at
 * most every `quiet_seconds`. */
#ifndef NF_PROGRESS_H
#define NF_PROGRESS_H

typedef struct nf_progress {
    const char *label;    /* "epoch 1/3" */
    long total;           /* units of work, e.g. images */
    double started;       /* monotonic seconds at start */
    double last_drawn;    /* when the line was last written */
    int tty;              /* stderr is a terminal */
    double quiet_seconds; /* non-terminal: seconds between lines (default 30) */
} nf_progress;


void nf_progress_start(nf_progress *p, const char *label, long total);
/* done units so far; detail is appended (e.g. "loss 0.41"). Throttled. */
void nf_progress_update(nf_progress *p, long done, const char *detail);
/* Ends the line (terminal) so the next output starts clean. */
void nf_progress_end(nf_progress *p);

#endif
