#include "nas/task.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/clock.h"
#include "engine/exec.h"
#include "engine/train.h"
#include "nas/cost.h"

nf_task_params nf_task_defaults(void)
{
    return (nf_task_params){.refresh_images = 1024, .time_penalty = 0.004, .threads = 1};
}

/* ==== a slice of the endless stream of shuffled epochs ==================== */

typedef struct slice_source {
    nf_batcher *b;
    int64_t pos, end; /* stream positions: next image, end of the slice */
    int64_t n;        /* images per epoch */
} slice_source;

/* Points the batcher at the epoch holding s->pos, up to the slice's end. */
static void slice_seek(slice_source *s)
{
    int64_t epoch = s->pos / s->n, from = s->pos % s->n;
    int64_t to = from + (s->end - s->pos) < s->n ? from + (s->end - s->pos) : s->n;
    nf_batcher_seek(s->b, (int)epoch, (int)from, (int)to);
}

static int slice_next(void *user, nf_tensor *x, int *labels)
{
    slice_source *s = user;
    for (;;) {
        if (s->pos >= s->end) return 0; /* also when a deadline moved the end back */
        int k = nf_batcher_next(s->b, x, labels);
        if (k != 0) {
            if (k > 0) s->pos += k;
            return k;
        }
        if (s->pos >= s->end) return 0;
        slice_seek(s); /* an epoch ended inside the slice */
    }
}


/* The first `left` images of a batcher's epoch. */
typedef struct first_images {
    nf_batcher *b;
    int64_t left;
} first_images;

static int first_images_next(void *user, nf_tensor *x, int *labels)
{
    first_images *f = user;
    if (f->left <= 0) return 0;
    int k = nf_batcher_next(f->b, x, labels);
    if (k > f->left) k = (int)f->left;
    if (k > 0) f->left -= k;
    return k;
}

/* ==== training =========================================================== */

typedef struct trainer {
    double started;          /* the task's start (its deadline counts from here) */
    const nf_dataset *val;   /* scored on after training */
    nf_candidate *c;
    const nf_task_params *p;
    slice_source *src;       /* the slice being trained on */
    int64_t done, total;     /* its images trained so far, and its length (a deadline may move it) */
    nf_exec *e;
    nf_rng dropout;
    double *sum;             /* weight averaging (average_share > 0): the sum of the weights after ... */
    long averaged;           /* ... this many steps */
    int threads;             /* threads the task runs on now (more than p->threads while some are lent) */
    double mark, worker_seconds; /* worker time up to the clock's mark */
} trainer;

/* The learning rate after `done` of `total` images. */
static float rate_at(const trainer *t, int64_t done, int64_t total)
{
    float lr = t->c->set.optim.lr;
    if (!t->p->cosine || total <= 0) return lr;
    if (t->p->schedule_images > 0) {
        done += t->p->schedule_done;
        total = t->p->schedule_images;
    }
    return nf_optim_cosine(lr, (double)done / (double)total);
}

/* The slice's new length for the task to end by its deadline, at the speed
 * of the steps so far, keeping time for scoring (a forward pass costs
 * about a third of a training step). Moves the slice's end with it. */
static int64_t retarget(trainer *t, slice_source *src, int64_t done, int64_t total)
{
    double elapsed = nf_clock() - t->started, per_image = elapsed / (double)done;
    double scoring = (t->p->refresh_images + (double)nf_ds_count(t->val)) * per_image / 3;
    double left = t->p->deadline - elapsed - scoring;
    int64_t target = done + (left > 0 ? (int64_t)(left / per_image) : 0);
    if (llabs(target - total) * 100 < total) return total; /* within 1 %: keep the schedule still */
    src->end = src->pos + (target - done);
    return target;
}

static int worker_threads(const nf_task_params *p) { return p->threads > 0 ? p->threads : 1; }

/* Adds the worker time since the mark: a thread lent by an idle worker
 * counts as that worker's time. */
static void count_worker_time(trainer *t)
{
    double now = nf_clock();
    t->worker_seconds += (now - t->mark) * t->threads / worker_threads(t->p);
    t->mark = now;
}

/* Before each step of engine/train.c's loop: the threads a lent thread
 * gives, and the learning rate at the images done so far. */
static float step_rate(void *user, long step)
{
    (void)step;
    trainer *t = user;
    if (t->p->threads_now) {
        count_worker_time(t);
        t->threads = t->p->threads_now(t->p->threads_user);
        nf_exec_set_threads(t->e, t->threads);
    }
    return rate_at(t, t->done, t->total);
}

/* ==== weight averaging ==================================================== */

static void add_weights(trainer *t)
{
    const nf_graph *g = t->c->g;
    for (size_t i = 0; i < g->n_param; i++) t->sum[i] += g->param[i];
    t->averaged++;
}

/* The mean of the weights added, in place of the last step's. */
static void use_average(trainer *t)
{
    nf_graph *g = t->c->g;
    if (t->averaged == 0) return;
    for (size_t i = 0; i < g->n_param; i++) g->param[i] = (float)(t->sum[i] / (double)t->averaged);
}

/* After each step: the images done, the deadline, the weights averaged,
 * progress and stop. */
static int step_done(void *user, long step, int n, float loss)
{
    (void)loss;
    trainer *t = user;
    t->done += n;
    if (t->p->deadline > 0 && step % 8 == 0 && step >= 16) t->total = retarget(t, t->src, t->done, t->total);
    if (t->sum && (double)t->done > (1 - t->p->average_share) * (double)t->total) add_weights(t);
    if (t->p->progress) t->p->progress(t->p->progress_user, t->done, t->total);
    return t->p->stop && t->p->stop(t->p->stop_user);
}

/* Trains over source until it ends, through the engine's one training loop
 * (neuron values every 8 steps, decay 0.9, as nf_train_defaults); *mean_loss
 * over the images seen, *trained their count. */
static nf_status train_slice(trainer *t, slice_source *src, double *mean_loss, int64_t *trained)
{
    t->src = src;
    t->done = 0;
    t->total = src->end - src->pos;
    nf_train_params tp = nf_train_defaults();
    tp.optim = t->c->set.optim;
    tp.rate = step_rate;
    tp.rate_user = t;
    tp.hook = step_done;
    tp.hook_user = t;
    tp.label_smoothing = t->p->label_smoothing;
    nf_status st = nf_train_epoch(t->e, t->c->g, slice_next, src, &tp, &t->dropout, mean_loss);
    *trained = t->done;
    if (st == NF_ERR_DIVERGED) {
        char detail[200];
        snprintf(detail, sizeof detail, "%s", nf_last_error());
        return nf_fail(NF_ERR_DIVERGED, "%s, in generation %d", detail, t->p->generation);
    }
    return st;
}

/* Re-measures batchnorm statistics on the slice's first images (no
 * augmentation), then the accuracy on the validation set. */
static nf_status score(trainer *t, const nf_data *d, double *accuracy)
{
    nf_graph *g = t->c->g;
    nf_batcher *plain = NULL, *val = NULL;
    int batch = nf_exec_batch(t->e);
    nf_status st = nf_batcher_create(d->train, &d->norm, NULL, batch, d->seed, &plain);
    if (!st) st = nf_batcher_create(d->val, &d->norm, NULL, batch, d->seed, &val);
    if (!st) {
        slice_source src = {plain, t->p->start, t->p->start + t->p->refresh_images, nf_ds_count(d->train)};
        slice_seek(&src);
        st = nf_refresh_batchnorm(t->e, g, slice_next, &src, (t->p->refresh_images + batch - 1) / batch);
    }
    first_images part = {val, t->p->val_images > 0 ? t->p->val_images : INT64_MAX};
    if (!st) st = nf_evaluate(t->e, g, first_images_next, &part, accuracy, NULL);
    nf_batcher_destroy(plain);
    nf_batcher_destroy(val);
    return st;
}

static void mark_failed(nf_candidate *c, const char *why)
{
    c->state = NF_CAND_FAILED;
    c->fitness = -1;
    c->val_accuracy = 0;
    snprintf(c->reason, sizeof c->reason, "%s", why);
}

static double fitness_of(const nf_candidate *c, const nf_task_params *p, double accuracy)
{
    nf_cost cost = nf_cost_of(c->g);
    double slower = log2(nf_cost_train_seconds(c->g) / 1e-3);
    return accuracy - p->param_penalty * (double)cost.params / 1e6 - p->flops_penalty * cost.flops / 1e8 -
           (slower > 0 ? p->time_penalty * slower : 0);
}

nf_status nf_task_train(nf_candidate *c, const nf_data *d, const nf_task_params *p)
{
    return nf_task_run(c, d, p, NULL);
}

nf_status nf_task_run(nf_candidate *c, const nf_data *d, const nf_task_params *p, nf_task_out *out)
{
    double started = nf_clock(), scoring = 0;
    trainer t = {.started = started, .val = d->val, .c = c, .p = p, .threads = worker_threads(p), .mark = started};
    /* the second part of a generation's slice draws masks of its own */
    uint64_t stream = ((uint64_t)c->id << 24 | (uint64_t)(uint32_t)p->generation) ^ ((uint64_t)p->schedule_done << 40);
    nf_rng_seed(&t.dropout, d->seed, stream, NF_RNG_DROPOUT);
    nf_batcher *b = NULL;
    nf_status st = nf_exec_create(c->g, c->set.batch, &t.e);
    if (!st) st = nf_batcher_create(d->train, &d->norm, &d->aug, c->set.batch, d->seed, &b);
    double loss = 0, accuracy = 0;
    int64_t trained = 0;
    if (!st) {
        nf_exec_set_threads(t.e, p->threads);
        slice_source src = {b, p->start, p->start + p->images, nf_ds_count(d->train)};
        slice_seek(&src);
        if (p->average_share > 0 && !(t.sum = calloc(c->g->n_param ? c->g->n_param : 1, sizeof *t.sum)))
            st = nf_fail(NF_ERR_NOMEM, "cannot allocate the sum of %zu weights to average", c->g->n_param);
        if (!st) st = train_slice(&t, &src, &loss, &trained);
        if (!st) use_average(&t);
        scoring = nf_clock();
        if (!st) st = score(&t, d, &accuracy);
        scoring = nf_clock() - scoring;
    }
    count_worker_time(&t);
    c->trained_gen = p->generation;
    c->seconds = nf_clock() - started;
    c->images += trained;
    c->train_loss = loss;
    if (st == NF_ERR_DIVERGED) {
        mark_failed(c, nf_last_error());
        st = NF_OK;
    } else if (!st) {
        c->state = NF_CAND_TRAINED;
        c->val_accuracy = accuracy;
        c->fitness = fitness_of(c, p, accuracy);
        c->reason[0] = 0;
    }
    if (out)
        *out = (nf_task_out){.seconds = c->seconds, .score_seconds = scoring,
                             .worker_seconds = t.worker_seconds,
                             .score_worker_seconds = scoring * t.threads / worker_threads(p)};
    free(t.sum);
    nf_batcher_destroy(b);
    nf_exec_destroy(t.e);
    return st;
}

nf_status nf_task_accuracy(nf_graph *g, const nf_dataset *ds, const nf_ds_norm *norm, int batch, int threads,
                           double *accuracy)
{
    nf_exec *e = NULL;
    nf_batcher *b = NULL;
    nf_status st = nf_exec_create(g, batch, &e);
    if (!st) st = nf_batcher_create(ds, norm, NULL, batch, 0, &b);
    if (!st) {
        nf_exec_set_threads(e, threads);
        st = nf_evaluate(e, g, nf_batcher_source, b, accuracy, NULL);
    }
    nf_batcher_destroy(b);
    nf_exec_destroy(e);
    return st;
}
