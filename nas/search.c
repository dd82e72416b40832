#include "engine/clock.h"
#include "nas/search_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nas/cost.h"
#include "nas/space.h"

nf_search_config nf_search_defaults(void)
{
    nf_settings set = nf_settings_defaults();
    set.optim.lr = 0.002f;
    return (nf_search_config){.population = 6, .elite = 2, .tournament = 3, .strategy = NF_STRATEGY_ELITISM,
                              .slice_images = 10000, .final_share = 0.5, .final_epochs = 3, .threads = 2,
                              .seed = 1, .aug = {.shift = 2, .flip = 1}, .settings = set,
                              .var = nf_variation_defaults(), .task = nf_task_defaults(), .cull_share = 0.3,
                              .cull_val_images = 2000, .cull_margin = 0.005, .halving_draws = 27, .halving_eta = 3,
                              .screen_draws = 27, .screen_share = 0.4};
}

nf_status nf_search_config_check(const nf_search_config *c)
{
    if (c->population < 2 || c->population > 1024) return nf_fail(NF_ERR_ARG, "population %d is not in 2..1024", c->population);
    if (c->elite < 1 || c->elite >= c->population)
        return nf_fail(NF_ERR_ARG, "elite %d must be at least 1 and below the population (%d)", c->elite, c->population);
    if (c->tournament < 1 || c->tournament > c->population)
        return nf_fail(NF_ERR_ARG, "tournament size %d is not in 1..population", c->tournament);
    if ((unsigned)c->strategy >= NF_STRATEGY_COUNT) return nf_fail(NF_ERR_ARG, "unknown strategy %d", (int)c->strategy);
    if (c->generations < 0) return nf_fail(NF_ERR_ARG, "generations %d is negative", c->generations);
    if (!(c->time_budget >= 0) || !(c->target >= 0 && c->target <= 1))
        return nf_fail(NF_ERR_ARG, "time budget or target accuracy out of range");
    if (c->slice_images < 1) return nf_fail(NF_ERR_ARG, "slice of %lld images is empty", (long long)c->slice_images);
    if (!(c->final_share >= 0 && c->final_share < 1) || !(c->final_epochs >= 0))
        return nf_fail(NF_ERR_ARG, "final share must be in [0, 1) and final epochs not negative");
    if (!(c->final_label_smoothing >= 0 && c->final_label_smoothing < 1) || !(c->final_average >= 0 && c->final_average <= 1))
        return nf_fail(NF_ERR_ARG, "final label smoothing must be in [0, 1) and the averaged share in [0, 1]");
    if (c->threads < 1 || c->threads > 1024) return nf_fail(NF_ERR_ARG, "threads %d not in 1..1024", c->threads);
    if (c->settings.batch < 1 || !(c->settings.optim.lr > 0)) return nf_fail(NF_ERR_ARG, "initial batch or learning rate not positive");
    if (c->task.refresh_images < 0) return nf_fail(NF_ERR_ARG, "refresh images negative");
    if (!(c->cull_share >= 0 && c->cull_share < 1) || c->cull_val_images < 0 || !(c->cull_margin >= 0))
        return nf_fail(NF_ERR_ARG, "culling: share must be in [0, 1), validation images and margin not negative");
    if (c->halving_draws < 2 || c->halving_draws > 1024 || c->halving_eta < 2 || c->halving_eta > c->halving_draws)
        return nf_fail(NF_ERR_ARG, "successive halving: draws %d not in 2..1024 or eta %d not in 2..draws",
                       c->halving_draws, c->halving_eta);
    if (c->screen_draws < 0 || c->screen_draws > 1024 || !(c->screen_share > 0 && c->screen_share <= 1))
        return nf_fail(NF_ERR_ARG, "screening: draws %d not in 0..1024, or share %g of a slice not in (0, 1]",
                       c->screen_draws, c->screen_share);
    return nf_variation_check(&c->var);
}

static const char *const strategy_names[NF_STRATEGY_COUNT] = {"elitism", "aging", "random", "fixed"};

const char *nf_strategy_name(nf_strategy k) { return (unsigned)k < NF_STRATEGY_COUNT ? strategy_names[k] : "unknown"; }

nf_strategy nf_strategy_parse(const char *name)
{
    for (int k = 0; k < NF_STRATEGY_COUNT; k++)
        if (!strcmp(name, strategy_names[k])) return (nf_strategy)k;
    return NF_STRATEGY_COUNT;
}

const nf_strategy_ops *nf_strategy_of(nf_strategy k)
{
    static const nf_strategy_ops *const table[NF_STRATEGY_COUNT] = {
        &nf_strategy_evolution, &nf_strategy_evolution, &nf_strategy_halving, &nf_strategy_fixed};
    return table[k];
}

const char *nf_stop_name(nf_stop_reason r)
{
    static const char *const names[] = {"running", "generation limit", "time budget", "target accuracy", "interrupted",
                                        "search complete"};
    return (unsigned)r <= NF_STOP_DONE ? names[r] : "unknown";
}

double nf_search_elapsed(const nf_search *s) { return s->elapsed_before + nf_clock() - s->started; }

double nf_search_cost(const nf_candidate *c) { return nf_cost_train_seconds(c->g); }

double nf_search_budget(const nf_search *s)
{
    const nf_search_config *c = &s->cfg;
    return c->time_budget > 0 ? c->time_budget * (1 - c->final_share) * s->trainer->workers : 0;
}

static int capacity_of(const nf_search_config *c)
{
    if (c->strategy == NF_STRATEGY_RANDOM) return c->halving_draws;
    if (c->strategy == NF_STRATEGY_FIXED) return 1;
    return c->screen_draws > c->population ? c->screen_draws : c->population;
}

int nf_search_population_at(const nf_search *s, int g)
{
    const nf_search_config *c = &s->cfg;
    if (c->strategy == NF_STRATEGY_FIXED) return 1;
    if (c->strategy != NF_STRATEGY_RANDOM) return g == 0 && c->screen_draws > c->population ? c->screen_draws : c->population;
    int n = c->halving_draws;
    for (int k = 0; k < g && n > 1; k++) n = (n + c->halving_eta - 1) / c->halving_eta;
    return n;
}

nf_status nf_search_create(const nf_search_config *cfg, const nf_dataset *train, const nf_dataset *val,
                           const nf_dataset *test, const nf_ds_norm *norm, nf_search **out)
{
    *out = NULL;
    nf_status st = nf_search_config_check(cfg);
    if (st) return st;
    if (nf_ds_count(train) < 1 || nf_ds_count(val) < 1)
        return nf_fail(NF_ERR_ARG, "a search needs training and validation images (%d and %d)", nf_ds_count(train), nf_ds_count(val));
    nf_search *s = calloc(1, sizeof *s);
    int cap = capacity_of(cfg);
    if (s) s->pop = calloc((size_t)cap, sizeof *s->pop);
    if (!s || !s->pop || nf_trainer_local_create(cfg->threads, &s->trainer)) {
        if (s) free(s->pop);
        free(s);
        return nf_fail(NF_ERR_NOMEM, "cannot allocate a search");
    }
    s->own_trainer = 1;
    s->cap = cap;
    s->cfg = *cfg;
    s->strategy = nf_strategy_of(cfg->strategy);
    s->data = (nf_data){.train = train, .val = val, .norm = *norm, .aug = cfg->aug, .seed = cfg->seed};
    s->test = test;
    s->started = nf_clock();
    *out = s;
    return NF_OK;
}

void nf_search_destroy(nf_search *s)
{
    if (!s) return;
    for (int i = 0; i < s->n_pop; i++) nf_candidate_destroy(s->pop[i]);
    free(s->pop);
    if (s->result.winner != s->best) nf_candidate_destroy(s->result.winner);
    nf_candidate_destroy(s->best);
    if (s->own_trainer) nf_trainer_destroy(s->trainer);
    free(s);
}

void nf_search_set_trainer(nf_search *s, nf_trainer *t)
{
    if (s->own_trainer) nf_trainer_destroy(s->trainer);
    s->trainer = t;
    s->own_trainer = 0;
}

void nf_search_resume_at(nf_search *s, int generation, int64_t next_id, double elapsed_before, double predicted_spent)
{
    s->generation = generation;
    s->predicted_spent = predicted_spent;
    s->next_id = next_id;
    s->elapsed_before = elapsed_before;
    s->started = nf_clock();
}

nf_status nf_search_adopt(nf_search *s, nf_candidate *c)
{
    if (s->n_pop >= s->cap) {
        nf_candidate_destroy(c);
        return nf_fail(NF_ERR_ARG, "more stored candidates than the population of %d", s->cap);
    }
    s->pop[s->n_pop++] = c;
    return NF_OK;
}

nf_status nf_search_adopt_best(nf_search *s, nf_candidate *c)
{
    nf_candidate_destroy(s->best);
    s->best = c;
    return NF_OK;
}

/* ==== what the strategies share ========================================== */

#define DRAWS_PER_CANDIDATE 50

nf_status nf_search_draw(nf_search *s, int64_t id, nf_candidate **out)
{
    const nf_dataset *d = s->data.train;
    nf_rng rng;
    nf_rng_seed(&rng, s->cfg.seed, (uint64_t)id, NF_RNG_INIT);
    for (int k = 0; k < DRAWS_PER_CANDIDATE; k++) {
        nf_graph *g;
        nf_status st = nf_space_draw(&s->cfg.var.space, nf_ds_channels(d), nf_ds_height(d), nf_ds_width(d),
                                     nf_ds_classes(d), &rng, &g);
        if (st) return st;
        if (!nf_limits_check(&s->cfg.var.limits, g, s->cfg.settings.batch))
            return nf_candidate_create(g, &s->cfg.settings, id, 0, out);
        nf_graph_destroy(g);
    }
    return nf_fail(NF_ERR_ARG, "no architecture of the search space fits the limits in %d draws: %s", DRAWS_PER_CANDIDATE,
                   nf_last_error());
}

nf_status nf_search_draw_population(nf_search *s, int n)
{
    for (int i = 0; i < n; i++) {
        nf_candidate *c;
        nf_status st = nf_search_draw(s, s->next_id, &c);
        if (st) return st;
        s->next_id++;
        s->pop[s->n_pop++] = c;
    }
    return NF_OK;
}

nf_job nf_search_job(const nf_search *s, nf_candidate *c, int64_t start, int64_t images, int64_t done,
                     int64_t schedule, int val_images)
{
    nf_task_params p = s->cfg.task;
    p.start = start;
    p.images = images;
    p.generation = s->generation;
    p.cosine = 1;
    p.schedule_done = done;
    p.schedule_images = schedule;
    p.val_images = val_images;
    return (nf_job){.c = c, .p = p, .cost = (double)images * nf_search_cost(c)};
}

int nf_search_alive(const nf_search *s, const nf_candidate *c)
{
    return c->state == NF_CAND_TRAINED && c->trained_gen == s->generation;
}

nf_status nf_search_commit(run_ctx *r, const nf_candidate *c)
{
    return r->h->candidate_trained ? r->h->candidate_trained(r->h->user, r->s, c) : NF_OK;
}

typedef struct batch_hooks {
    run_ctx *r;
    int commit;
    const nf_job *jobs;
    const double *earlier;
    int64_t done_before;
} batch_hooks;

static nf_status on_job_done(void *user, nf_job *job)
{
    batch_hooks *b = user;
    if (b->earlier) job->c->seconds += b->earlier[job - b->jobs];
    job->c->worker = job->worker;
    return b->commit ? nf_search_commit(b->r, job->c) : NF_OK;
}

static int on_stop(void *user)
{
    batch_hooks *b = user;
    return b->r->h->stop && b->r->h->stop(b->r->h->user);
}

static void on_progress(void *user, int64_t done, int64_t total)
{
    batch_hooks *b = user;
    (void)total;
    if (b->r->h->progress) b->r->h->progress(b->r->h->user, b->r->s, b->done_before + done, b->r->s->progress_total);
}

nf_status nf_search_train(nf_search *s, run_ctx *r, nf_job *jobs, int n, int commit, const double *earlier)
{
    batch_hooks b = {r, commit, jobs, earlier, s->progress_done};
    nf_trainer_hooks h = {.user = &b, .done = on_job_done, .stop = on_stop, .progress = on_progress};
    double t0 = nf_clock();
    nf_status st = nf_trainer_run(s->trainer, &s->data, jobs, n, &h);
    double wall = nf_clock() - t0, busy = 0;
    for (int i = 0; i < n; i++) {
        if (jobs[i].status) continue;
        busy += jobs[i].out.worker_seconds;
        s->progress_done += jobs[i].p.images;
        if (r->gen) r->gen->score_seconds += jobs[i].out.score_worker_seconds;
    }
    if (r->gen) {
        r->gen->train_seconds += busy;
        double idle = wall * s->trainer->workers - busy;
        r->gen->idle_seconds += idle > 0 ? idle : 0;
    }
    return st;
}

/* ==== selection order ===================================================== */

/* Alive first, then higher fitness; ties by lower id (older), so the order is total. */
static int by_fitness_desc(const void *a, const void *b)
{
    const nf_candidate *x = *(nf_candidate *const *)a, *y = *(nf_candidate *const *)b;
    int ax = x->state == NF_CAND_TRAINED, ay = y->state == NF_CAND_TRAINED;
    if (ax != ay) return ay - ax;
    if (x->fitness != y->fitness) return x->fitness < y->fitness ? 1 : -1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void finish_stats(const nf_search *s, nf_candidate **sorted, nf_gen_stats *st)
{
    st->generation = s->generation;
    st->population = s->n_pop;
    for (int i = 0; i < s->n_pop; i++) {
        int64_t images = s->strategy->images_of(s, sorted[i]);
        st->failed += sorted[i]->state == NF_CAND_FAILED;
        st->culled += sorted[i]->state == NF_CAND_CULLED;
        st->images += images;
        st->predicted_seconds += (double)images * nf_search_cost(sorted[i]);
    }
    st->best_fitness = sorted[0]->fitness;
    st->best_accuracy = sorted[0]->val_accuracy;
    st->best_id = sorted[0]->id;
    int m = s->n_pop / 2;
    st->median_fitness = s->n_pop % 2 ? sorted[m]->fitness : 0.5 * (sorted[m - 1]->fitness + sorted[m]->fitness);
}

/* The best of this generation becomes the one the final phase would train
 * on: its most trained state, not an older snapshot. */
static nf_status remember_best(nf_search *s, const nf_candidate *c)
{
    if (c->state != NF_CAND_TRAINED) return NF_OK;
    nf_candidate *copy;
    nf_status st = nf_candidate_clone(c, &copy);
    if (st) return st;
    nf_candidate_destroy(s->best);
    s->best = copy;
    return NF_OK;
}

/* ==== the loop =========================================================== */

/* Why the search should stop after a generation that took gen_seconds, or NF_STOP_NONE. */
static nf_stop_reason stop_after(const nf_search *s, const run_ctx *r, double gen_seconds)
{
    const nf_search_config *c = &s->cfg;
    if (r->h->stop && r->h->stop(r->h->user)) return NF_STOP_SIGNAL;
    if (c->target > 0 && s->best && s->best->val_accuracy >= c->target) return NF_STOP_TARGET;
    if (s->strategy->done(s)) return NF_STOP_DONE;
    if (c->generations && s->generation + 1 >= c->generations) return NF_STOP_GENERATIONS;
    if (c->time_budget > 0 && nf_search_elapsed(s) + gen_seconds > c->time_budget * (1 - c->final_share))
        return NF_STOP_TIME;
    if (c->time_budget > 0 && s->strategy->next_predicted &&
        s->predicted_spent + s->strategy->next_predicted(s) > nf_search_budget(s))
        return NF_STOP_TIME;
    return NF_STOP_NONE;
}

/* One generation: train, score, select; returns with s->stop_reason set
 * when the search is over. */
static nf_status generation(nf_search *s, run_ctx *r)
{
    double t0 = nf_clock();
    nf_gen_stats stats = {0};
    r->gen = &stats;
    s->progress_done = 0;
    nf_status st = s->strategy->train(s, r);
    r->gen = NULL;
    if (st) return st;
    nf_candidate **sorted = malloc((size_t)s->n_pop * sizeof *sorted);
    if (!sorted) return nf_fail(NF_ERR_NOMEM, "cannot sort the population");
    memcpy(sorted, s->pop, (size_t)s->n_pop * sizeof *sorted);
    qsort(sorted, (size_t)s->n_pop, sizeof *sorted, by_fitness_desc);
    st = remember_best(s, sorted[0]);
    stats.seconds = nf_clock() - t0;
    finish_stats(s, sorted, &stats);
    s->predicted_spent += stats.predicted_seconds;
    s->stop_reason = stop_after(s, r, s->strategy->next_seconds ? s->strategy->next_seconds(s, stats.seconds) : stats.seconds);
    if (!st && s->stop_reason == NF_STOP_NONE) st = s->strategy->next(s, sorted);
    free(sorted);
    if (st) return st;
    if (s->stop_reason == NF_STOP_NONE) s->generation++;
    if (r->h->generation_done) st = r->h->generation_done(r->h->user, s, &stats);
    return st;
}

/* ==== the final phase ===================================================== */

#define CALIBRATION_IMAGES 2048

/* Seconds per image of the final training, measured on a copy of the
 * winner with every thread of one worker (a short training thrown away). */
static nf_status final_speed(nf_search *s, run_ctx *r, double *seconds_per_image)
{
    nf_candidate *copy;
    nf_status st = nf_candidate_clone(s->best, &copy);
    if (st) return st;
    nf_job job = nf_search_job(s, copy, 0, CALIBRATION_IMAGES, 0, 0, 1);
    job.p.refresh_images = 0;
    st = nf_search_train(s, r, &job, 1, 0, NULL);
    if (!st) st = job.status;
    double train = job.out.seconds - job.out.score_seconds;
    *seconds_per_image = train > 0 ? train / CALIBRATION_IMAGES : 0;
    nf_candidate_destroy(copy);
    return st;
}

/* Images of the final training: all the time left, at the winner's
 * measured speed, less the evaluations that follow (a forward pass costs
 * about a third of a training step); final_epochs without a budget. */
static nf_status final_images(nf_search *s, run_ctx *r, int64_t *images, double *per_image_out)
{
    int64_t n_train = nf_ds_count(s->data.train);
    if (s->cfg.time_budget <= 0) {
        *images = (int64_t)(s->cfg.final_epochs * (double)n_train);
        return NF_OK;
    }
    double per_image;
    nf_status st = final_speed(s, r, &per_image);
    if (st) return st;
    *per_image_out = per_image;
    double evaluated = (double)s->cfg.task.refresh_images + nf_ds_count(s->data.val) + (s->test ? nf_ds_count(s->test) : 0);
    double left = s->cfg.time_budget - nf_search_elapsed(s) - evaluated * per_image / 3;
    *images = left > 0 && per_image > 0 ? (int64_t)(0.99 * left / per_image) : 0;
    return NF_OK;
}

/* images < 0: as many as the budget allows, announced by final_started. */
static nf_status final_phase(nf_search *s, run_ctx *r, int64_t images)
{
    nf_result *res = &s->result;
    if (!s->best && s->strategy == &nf_strategy_fixed && s->n_pop == 1) {
        nf_status st = nf_candidate_clone(s->pop[0], &s->best); /* trained by the final phase alone */
        if (st) return st;
    }
    if (!s->best) return nf_fail(NF_ERR_DIVERGED, "every candidate failed; there is no winner");
    if (res->winner != s->best) nf_candidate_destroy(res->winner);
    res->winner = NULL;
    nf_status st = nf_candidate_clone(s->best, &res->winner);
    if (st) return st;
    /* The winner's rate was chosen on slices; a long final cosine starts at least at the configured one. */
    res->winner->set.optim.lr = fmaxf(res->winner->set.optim.lr, s->cfg.settings.optim.lr);
    res->val_before_final = s->best->state == NF_CAND_TRAINED ? s->best->val_accuracy : 0;
    res->final_images = images;
    double per_image = 0;
    if (images < 0 && (st = final_images(s, r, &res->final_images, &per_image))) return st;
    if (images < 0 && r->h->final_started && (st = r->h->final_started(r->h->user, s, res->final_images))) return st;
    if (res->final_images > 0) {
        nf_job job = nf_search_job(s, res->winner, (int64_t)(s->generation + 1) * s->cfg.slice_images,
                                   res->final_images, 0, 0, 0);
        job.p.generation = s->generation + 1;
        job.p.label_smoothing = s->cfg.final_label_smoothing;
        job.p.average_share = s->cfg.final_average;
        if (s->cfg.time_budget > 0) { /* the estimate corrected as it trains; the test set's pass kept aside */
            double test = s->test ? nf_ds_count(s->test) * per_image / 3 : 0;
            double left = s->cfg.time_budget - nf_search_elapsed(s) - test;
            job.p.deadline = left > 1 ? left : 1;
        }
        int64_t before = res->winner->images;
        s->progress_done = 0;
        s->progress_total = res->final_images;
        if ((st = nf_search_train(s, r, &job, 1, 0, NULL)) || (st = job.status)) return st;
        res->final_images = res->winner->images - before;
        if (res->winner->state == NF_CAND_FAILED) {
            /* Keep the searched model rather than none. */
            nf_candidate_destroy(res->winner);
            if ((st = nf_candidate_clone(s->best, &res->winner))) return st;
            res->final_images = 0;
        }
    }
    res->val_accuracy = res->winner->val_accuracy;
    res->test_accuracy = -1;
    if (s->test && (st = nf_task_accuracy(res->winner->g, s->test, &s->data.norm, res->winner->set.batch,
                                          s->cfg.threads, &res->test_accuracy)))
        return st;
    if (r->h->finished) st = r->h->finished(r->h->user, s, res);
    return st;
}

nf_status nf_search_run(nf_search *s, const nf_search_hooks *hooks)
{
    static const nf_search_hooks none = {0};
    run_ctx r = {.s = s, .h = hooks ? hooks : &none};
    nf_status st = NF_OK;
    s->stop_reason = NF_STOP_NONE;
    if (s->n_pop == 0) {
        if ((st = s->strategy->first(s))) return st;
        if (r.h->population_ready && (st = r.h->population_ready(r.h->user, s))) return st;
    }
    if (!s->strategy->train) s->stop_reason = NF_STOP_DONE; /* nothing to search */
    while (!st && s->stop_reason == NF_STOP_NONE) st = generation(s, &r);
    if (st) return st;
    if (s->stop_reason == NF_STOP_SIGNAL) return nf_fail(NF_ERR_INTERRUPTED, "stopped after generation %d", s->generation);
    return final_phase(s, &r, -1);
}

nf_status nf_search_final(nf_search *s, const nf_search_hooks *hooks, int64_t images)
{
    static const nf_search_hooks none = {0};
    run_ctx r = {.s = s, .h = hooks ? hooks : &none};
    return final_phase(s, &r, images < 0 ? 0 : images);
}
