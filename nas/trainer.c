#include "nas/trainer.h"

#include <omp.h>
#include <stdlib.h>

/* ==== the start order ===================================================== */

/* An insertion sort: n is a population, and it needs no shared state. */
void nf_trainer_order(const nf_job *jobs, int n, int *order)
{
    for (int i = 0; i < n; i++) order[i] = i;
    for (int i = 1; i < n; i++)
        for (int k = i; k > 0; k--) {
            const nf_job *a = &jobs[order[k - 1]], *b = &jobs[order[k]];
            if (!(a->cost < b->cost || (a->cost == b->cost && order[k - 1] > order[k]))) break;
            int t = order[k];
            order[k] = order[k - 1];
            order[k - 1] = t;
        }
}

/* ==== the local pool ====================================================== */

typedef struct local_pool {
    nf_trainer base;
    int threads;
} local_pool;

typedef struct batch_ctx {
    const local_pool *pool;
    const nf_trainer_hooks *h;
    nf_status hook_status;   /* first failure of a hook */
    int64_t images_total, images_done;
    int waiting, running;    /* jobs not started, and in progress */
} batch_ctx;

/* Threads a job may use now: one while other jobs wait for a thread; once
 * none waits, the threads with nothing left are lent to the jobs still
 * running (results do not depend on it). */
static int threads_now(void *user)
{
    batch_ctx *b = user;
    int waiting, running;
    #pragma omp atomic read
    waiting = b->waiting;
    #pragma omp atomic read
    running = b->running;
    if (waiting > 0 || running < 1) return 1;
    return b->pool->threads / running > 1 ? b->pool->threads / running : 1;
}

static int should_stop(void *user)
{
    batch_ctx *b = user;
    int failed;
    #pragma omp atomic read
    failed = b->hook_status;
    return failed || (b->h->stop && b->h->stop(b->h->user));
}

static void on_progress(void *user, int64_t done, int64_t total)
{
    (void)total;
    batch_ctx *b = user;
    if (!b->h->progress || omp_get_thread_num() != 0) return; /* the master thread draws */
    b->h->progress(b->h->user, b->images_done + done, b->images_total);
}

static void train_one(batch_ctx *b, const nf_data *d, nf_job *job)
{
    nf_task_params p = job->p;
    p.threads = 1;
    p.stop = should_stop;
    p.stop_user = b;
    p.progress = on_progress;
    p.progress_user = b;
    p.threads_now = threads_now;
    p.threads_user = b;
    job->worker = omp_get_thread_num();
    job->status = should_stop(b) ? NF_ERR_INTERRUPTED : nf_task_run(job->c, d, &p, &job->out);
}

static nf_status local_run(nf_trainer *t, const nf_data *d, nf_job *jobs, int n, const nf_trainer_hooks *h)
{
    const local_pool *pool = (const local_pool *)t;
    static const nf_trainer_hooks none = {0};
    batch_ctx b = {.pool = pool, .h = h ? h : &none, .waiting = n};
    int *order = malloc((size_t)(n > 0 ? n : 1) * sizeof *order);
    if (!order) return nf_fail(NF_ERR_NOMEM, "cannot allocate the training order");
    nf_trainer_order(jobs, n, order);
    for (int i = 0; i < n; i++) b.images_total += jobs[i].p.images;
    nf_status first = NF_OK;
    int threads = pool->threads < n ? pool->threads : (n > 0 ? n : 1);
    omp_set_max_active_levels(2); /* for the threads lent at the end (threads_now) */
    #pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int k = 0; k < n; k++) {
        nf_job *job = &jobs[order[k]];
        #pragma omp atomic
        b.waiting--;
        #pragma omp atomic
        b.running++;
        train_one(&b, d, job);
        #pragma omp atomic
        b.running--;
        #pragma omp critical(nf_trainer_done)
        {
            if (!job->status) b.images_done += job->p.images;
            if (!job->status && !b.hook_status && b.h->done) b.hook_status = b.h->done(b.h->user, job);
            if (job->status && !first)
                first = job->status == NF_ERR_INTERRUPTED
                            ? job->status
                            : nf_fail(job->status, "candidate %lld: %s", (long long)job->c->id, nf_last_error());
        }
    }
    free(order);
    return b.hook_status ? b.hook_status : first;
}

static void local_destroy(nf_trainer *t) { free(t); }

static const nf_trainer_ops local_ops = {"local", local_run, local_destroy};

nf_status nf_trainer_local_create(int threads, nf_trainer **out)
{
    *out = NULL;
    if (threads < 1) return nf_fail(NF_ERR_ARG, "a trainer needs at least one thread (%d)", threads);
    local_pool *p = calloc(1, sizeof *p);
    if (!p) return nf_fail(NF_ERR_NOMEM, "cannot allocate a trainer");
    p->base = (nf_trainer){.ops = &local_ops, .workers = threads};
    p->threads = threads;
    *out = &p->base;
    return NF_OK;
}
