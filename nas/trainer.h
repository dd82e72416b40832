/* Where the search's training tasks run.
 *
 * The search hands a trainer a batch of independent jobs (a candidate and
 * the slice to train it on) and gets every result back in its own job, in
 * place. done() is called once per finished job, on one thread at a time,
 * in whatever order the jobs finish; the search never lets that order
 * reach selection (results are read by job index afterwards), so a run is
 * the same on any trainer and any number of workers.
 *
 * Two implementations: the local pool of OpenMP threads (nas/trainer.c)
 * and the MPI pool of trainer ranks (app/, under --mpi). */
#ifndef NF_TRAINER_H
#define NF_TRAINER_H

#include "nas/task.h"

typedef struct nf_job {
    nf_candidate *c;     /* trained in place (borrowed) */
    nf_task_params p;    /* the slice and scoring; its function pointers are the trainer's to set */
    double cost;         /* predicted seconds: the biggest jobs start first */
    /* results */
    nf_status status;    /* NF_OK, or why the job failed (NF_ERR_INTERRUPTED when stopped) */
    int worker;          /* thread or rank that trained it (informative) */
    nf_task_out out;     /* where its time went */
} nf_job;

typedef struct nf_trainer_hooks {
    void *user;
    /* A job finished (job->status NF_OK); nonzero ends the batch with it. Serial. */
    nf_status (*done)(void *user, nf_job *job);
    /* Polled between steps: nonzero stops the batch at the next safe point. */
    int (*stop)(void *user);
    /* Images trained so far of all the batch's jobs (from one thread only). */
    void (*progress)(void *user, int64_t images_done, int64_t images_total);
} nf_trainer_hooks;

typedef struct nf_trainer nf_trainer;

typedef struct nf_trainer_ops {
    const char *name; /* "local", "mpi" */
    /* Trains jobs[0..n) over d. NF_OK when every job ran (each job's own
     * status says how); else the first failure of a hook, an interruption
     * or an error of the trainer itself. */
    nf_status (*run)(nf_trainer *t, const nf_data *d, nf_job *jobs, int n, const nf_trainer_hooks *h);
    void (*destroy)(nf_trainer *t);
} nf_trainer_ops;

struct nf_trainer {
    const nf_trainer_ops *ops;
    int workers;      /* jobs that run at once */
};

/* The local pool: `threads` OpenMP threads, one job per thread; once no
 * job waits, the threads left idle are lent to the jobs still running. */
nf_status nf_trainer_local_create(int threads, nf_trainer **out);

static inline nf_status nf_trainer_run(nf_trainer *t, const nf_data *d, nf_job *jobs, int n, const nf_trainer_hooks *h)
{
    return t->ops->run(t, d, jobs, n, h);
}
/* NULL is a no-op. */
static inline void nf_trainer_destroy(nf_trainer *t)
{
    if (t) t->ops->destroy(t);
}

/* The order jobs start in: biggest predicted cost first, ties by index.
 * order[0..n) is filled with job indices. */
void nf_trainer_order(const nf_job *jobs, int n, int *order);

#endif
