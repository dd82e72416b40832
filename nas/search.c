#include "nas/search.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nas/cost.h"
#include "nas/space.h"

nf_search_config nf_search_defaults(void)
{
    return (nf_search_config){.population = 8, .elite = 2, .tournament = 3, .strategy = NF_STRATEGY_ELITISM,
                              .slice_images = 10000, .final_share = 0.15, .final_epochs = 1, .threads = 2,
                              .seed = 1, .aug = nf_augment_defaults(), .settings = nf_settings_defaults(),
                              .var = nf_variation_defaults(), .task = nf_task_defaults()};
}

nf_status nf_search_config_check(const nf_search_config *c)
{
    if (c->population < 2 || c->population > 1024) return nf_fail(NF_ERR_ARG, "population %d is not in 2..1024", c->population);
    if (c->elite < 0 || c->elite >= c->population)
        return nf_fail(NF_ERR_ARG, "elite %d must be below the population (%d)", c->elite, c->population);
    if (c->tournament < 1 || c->tournament > c->population)
        return nf_fail(NF_ERR_ARG, "tournament size %d is not in 1..population", c->tournament);
    if (c->generations < 0) return nf_fail(NF_ERR_ARG, "generations %d is negative", c->generations);
    if (!(c->time_budget >= 0) || !(c->target >= 0 && c->target <= 1))
        return nf_fail(NF_ERR_ARG, "time budget or target accuracy out of range");
    if (c->slice_images < 1) return nf_fail(NF_ERR_ARG, "slice of %lld images is empty", (long long)c->slice_images);
    if (!(c->final_share >= 0 && c->final_share < 1) || !(c->final_epochs >= 0))
        return nf_fail(NF_ERR_ARG, "final share must be in [0, 1) and final epochs not negative");
    if (c->threads < 1 || c->threads > 1024) return nf_fail(NF_ERR_ARG, "threads %d not in 1..1024", c->threads);
    if (c->settings.batch < 1 || !(c->settings.optim.lr > 0)) return nf_fail(NF_ERR_ARG, "initial batch or learning rate not positive");
    if (c->task.refresh_images < 0) return nf_fail(NF_ERR_ARG, "refresh images negative");
    return nf_variation_check(&c->var);
}

const char *nf_stop_name(nf_stop_reason r)
{
    static const char *const names[] = {"running", "generation limit", "time budget", "target accuracy", "interrupted"};
    return (unsigned)r <= NF_STOP_SIGNAL ? names[r] : "unknown";
}

double nf_search_elapsed(const nf_search *s) { return s->elapsed_before + nf_task_clock() - s->started; }

nf_status nf_search_create(const nf_search_config *cfg, const nf_dataset *train, const nf_dataset *val,
                           const nf_dataset *test, const nf_ds_norm *norm, nf_search **out)
{
    *out = NULL;
    nf_status st = nf_search_config_check(cfg);
    if (st) return st;
    if (nf_ds_count(train) < 1 || nf_ds_count(val) < 1)
        return nf_fail(NF_ERR_ARG, "a search needs training and validation images (%d and %d)", nf_ds_count(train), nf_ds_count(val));
    nf_search *s = calloc(1, sizeof *s);
    if (s) s->pop = calloc((size_t)cfg->population, sizeof *s->pop);
    if (!s || !s->pop) {
        free(s);
        return nf_fail(NF_ERR_NOMEM, "cannot allocate a search");
    }
    s->cfg = *cfg;
    s->data = (nf_data){.train = train, .val = val, .norm = *norm, .aug = cfg->aug, .seed = cfg->seed};
    s->test = test;
    s->started = nf_task_clock();
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
    free(s);
}

void nf_search_resume_at(nf_search *s, int generation, int64_t next_id, double elapsed_before)
{
    s->generation = generation;
    s->next_id = next_id;
    s->elapsed_before = elapsed_before;
    s->started = nf_task_clock();
}

nf_status nf_search_adopt(nf_search *s, nf_candidate *c)
{
    if (s->n_pop >= s->cfg.population) {
        nf_candidate_destroy(c);
        return nf_fail(NF_ERR_ARG, "more stored candidates than the population of %d", s->cfg.population);
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

/* ==== the first generation =============================================== */

#define DRAWS_PER_CANDIDATE 50

/* Candidate `id` drawn from the search space within the limits. */
static nf_status draw_candidate(nf_search *s, int64_t id, nf_candidate **out)
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

static nf_status first_population(nf_search *s)
{
    for (int i = 0; i < s->cfg.population; i++) {
        nf_candidate *c;
        nf_status st = draw_candidate(s, s->next_id, &c);
        if (st) return st;
        s->next_id++;
        s->pop[s->n_pop++] = c;
    }
    return NF_OK;
}

/* ==== training a generation ============================================== */

typedef struct run_ctx {
    nf_search *s;
    const nf_search_hooks *h;
    nf_status hook_status;   /* first failure of a hook */
    int64_t images_total;
    int waiting, running;    /* this generation's tasks not started, and in progress */
} run_ctx;

/* Threads a training task may use now: one while other tasks wait for a
 * thread; once none waits, the threads that have nothing left are lent
 * to the tasks still running (results do not depend on it). */
static int threads_now(void *user)
{
    run_ctx *r = user;
    int waiting, running;
    #pragma omp atomic read
    waiting = r->waiting;
    #pragma omp atomic read
    running = r->running;
    if (waiting > 0 || running < 1) return 1;
    return r->s->cfg.threads / running > 1 ? r->s->cfg.threads / running : 1;
}

static int should_stop(void *user)
{
    run_ctx *r = user;
    return r->hook_status || (r->h->stop && r->h->stop(r->h->user));
}

static void on_progress(void *user, int64_t done, int64_t total)
{
    (void)total;
    run_ctx *r = user;
    if (!r->h->progress || omp_get_thread_num() != 0) return; /* the master thread draws */
    r->h->progress(r->h->user, r->s, r->s->progress_done + done, r->images_total);
}

static nf_task_params task_for(const nf_search *s, int generation, run_ctx *r)
{
    nf_task_params p = s->cfg.task;
    p.start = (int64_t)generation * s->cfg.slice_images;
    p.images = s->cfg.slice_images;
    p.generation = generation;
    p.cosine = 0;
    p.threads = 1;
    p.stop = should_stop;
    p.stop_user = r;
    p.progress = on_progress;
    p.progress_user = r;
    p.threads_now = threads_now;
    p.threads_user = r;
    return p;
}

/* Biggest first, so that the threads finish together. */
static int by_cost_desc(const void *a, const void *b)
{
    const nf_candidate *x = *(nf_candidate *const *)a, *y = *(nf_candidate *const *)b;
    double cx = nf_cost_of(x->g).flops, cy = nf_cost_of(y->g).flops;
    if (cx != cy) return cx < cy ? 1 : -1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Trains every candidate not yet trained in this generation, in parallel. */
static nf_status train_generation(nf_search *s, run_ctx *r)
{
    int n = 0;
    nf_candidate **todo = malloc((size_t)s->n_pop * sizeof *todo);
    if (!todo) return nf_fail(NF_ERR_NOMEM, "cannot allocate the training list");
    for (int i = 0; i < s->n_pop; i++)
        if (s->pop[i]->trained_gen != s->generation || s->pop[i]->state == NF_CAND_NEW) todo[n++] = s->pop[i];
    qsort(todo, (size_t)n, sizeof *todo, by_cost_desc);
    r->images_total = (int64_t)n * s->cfg.slice_images;
    s->progress_done = 0;
    nf_status first = NF_OK;
    int threads = s->cfg.threads < n ? s->cfg.threads : (n > 0 ? n : 1);
    r->waiting = n;
    r->running = 0;
    omp_set_max_active_levels(2); /* for the threads lent at the end (threads_now) */
    #pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int i = 0; i < n; i++) {
        #pragma omp atomic
        r->waiting--;
        #pragma omp atomic
        r->running++;
        nf_task_params p = task_for(s, s->generation, r);
        nf_status st = should_stop(r) ? NF_ERR_INTERRUPTED : nf_task_train(todo[i], &s->data, &p);
        #pragma omp atomic
        r->running--;
        #pragma omp critical(nf_search_hook)
        {
            if (!st) s->progress_done += s->cfg.slice_images;
            if (!st && !r->hook_status && r->h->candidate_trained)
                r->hook_status = r->h->candidate_trained(r->h->user, s, todo[i]);
            if (st && !first) first = st == NF_ERR_INTERRUPTED ? st : nf_fail(st, "candidate %lld: %s", (long long)todo[i]->id, nf_last_error());
        }
    }
    free(todo);
    if (r->hook_status) return r->hook_status;
    return first;
}

/* ==== selection ========================================================== */

/* Higher fitness first; ties by lower id (older), so the order is total. */
static int by_fitness_desc(const void *a, const void *b)
{
    const nf_candidate *x = *(nf_candidate *const *)a, *y = *(nf_candidate *const *)b;
    if (x->fitness != y->fitness) return x->fitness < y->fitness ? 1 : -1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Younger first (higher id). */
static int by_age(const void *a, const void *b)
{
    const nf_candidate *x = *(nf_candidate *const *)a, *y = *(nf_candidate *const *)b;
    return x->id < y->id ? 1 : x->id > y->id ? -1 : 0;
}

static nf_gen_stats stats_of(const nf_search *s, nf_candidate **sorted, double seconds)
{
    nf_gen_stats st = {.generation = s->generation, .population = s->n_pop, .seconds = seconds};
    for (int i = 0; i < s->n_pop; i++) {
        st.failed += sorted[i]->state == NF_CAND_FAILED;
        st.images += s->cfg.slice_images;
    }
    st.best_fitness = sorted[0]->fitness;
    st.best_accuracy = sorted[0]->val_accuracy;
    st.best_id = sorted[0]->id;
    int m = s->n_pop / 2;
    st.median_fitness = s->n_pop % 2 ? sorted[m]->fitness : 0.5 * (sorted[m - 1]->fitness + sorted[m]->fitness);
    return st;
}

static const nf_candidate *tournament(nf_candidate **sorted, int n, int size, nf_rng *rng)
{
    int best = n - 1;
    for (int k = 0; k < size; k++) {
        int i = (int)nf_rng_below(rng, (uint64_t)n);
        if (i < best) best = i; /* sorted by fitness: a lower index is fitter */
    }
    return sorted[best];
}

/* The candidates of list that trained without failing, in list's order. */
static int alive_of(nf_candidate **list, int n, nf_candidate **alive)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (list[i]->state == NF_CAND_TRAINED) alive[k++] = list[i];
    return k;
}

/* Child `id` of the next generation: mutated from tournament winners among
 * alive (sorted by fitness), or a fresh random architecture (the random
 * strategy, or nothing alive to breed from). */
static nf_status make_child(nf_search *s, nf_candidate **alive, int n_alive, nf_rng *rng, nf_candidate **out)
{
    int64_t id = s->next_id++;
    int gen = s->generation + 1;
    if (s->cfg.strategy == NF_STRATEGY_RANDOM || n_alive == 0) {
        nf_status st = draw_candidate(s, id, out);
        if (!st) (*out)->born = gen;
        return st;
    }
    const nf_candidate *p1 = tournament(alive, n_alive, s->cfg.tournament, rng);
    const nf_candidate *p2 = tournament(alive, n_alive, s->cfg.tournament, rng);
    nf_status st = nf_vary(&s->cfg.var, p1, p2, id, gen, s->cfg.seed, out);
    if (st != NF_ERR_INFEASIBLE) return st;
    /* Nothing could be changed: the child is a copy under its own id. */
    return nf_candidate_child(p1, id, gen, out);
}

/* Replaces the population by the survivors (the best, or the youngest for
 * aging, of those that did not fail) and the children of the next
 * generation. sorted: the population by fitness. */
static nf_status next_population(nf_search *s, nf_candidate **sorted)
{
    int n = s->n_pop, size = s->cfg.population;
    nf_candidate **next = calloc((size_t)size, sizeof *next);
    nf_candidate **alive = malloc((size_t)n * sizeof *alive), **order = malloc((size_t)n * sizeof *order);
    nf_status st = next && alive && order ? NF_OK : nf_fail(NF_ERR_NOMEM, "cannot allocate a population");
    int n_alive = st ? 0 : alive_of(sorted, n, alive);
    int keep = s->cfg.elite < n_alive ? s->cfg.elite : n_alive;
    if (!st) {
        memcpy(order, alive, (size_t)n_alive * sizeof *order);
        if (s->cfg.strategy == NF_STRATEGY_AGING) qsort(order, (size_t)n_alive, sizeof *order, by_age);
    }
    nf_rng rng;
    nf_rng_seed(&rng, s->cfg.seed, (uint64_t)s->generation, NF_RNG_SELECT);
    for (int k = keep; k < size && !st; k++) st = make_child(s, alive, n_alive, &rng, &next[k]);
    if (st) {
        for (int i = 0; next && i < size; i++) nf_candidate_destroy(next[i]);
        free(next); free(alive); free(order);
        return st;
    }
    /* Survivors move over; the rest go. */
    for (int i = 0; i < keep; i++) next[i] = order[i];
    for (int i = 0; i < n; i++) {
        int survives = 0;
        for (int k = 0; k < keep; k++) survives |= s->pop[i] == next[k];
        if (!survives) nf_candidate_destroy(s->pop[i]);
    }
    free(alive); free(order);
    free(s->pop);
    s->pop = next;
    s->n_pop = size;
    return NF_OK;
}

static nf_status remember_best(nf_search *s, const nf_candidate *c)
{
    if (c->state != NF_CAND_TRAINED) return NF_OK;
    if (s->best && s->best->fitness >= c->fitness) return NF_OK;
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
    if (c->generations && s->generation + 1 >= c->generations) return NF_STOP_GENERATIONS;
    if (c->time_budget > 0 && nf_search_elapsed(s) + gen_seconds > c->time_budget * (1 - c->final_share))
        return NF_STOP_TIME;
    return NF_STOP_NONE;
}

/* One generation: train, score, select; returns with s->stop_reason set
 * when the search is over. */
static nf_status generation(nf_search *s, run_ctx *r)
{
    double t0 = nf_task_clock();
    nf_status st = train_generation(s, r);
    if (st) return st;
    nf_candidate **sorted = malloc((size_t)s->n_pop * sizeof *sorted);
    if (!sorted) return nf_fail(NF_ERR_NOMEM, "cannot sort the population");
    memcpy(sorted, s->pop, (size_t)s->n_pop * sizeof *sorted);
    qsort(sorted, (size_t)s->n_pop, sizeof *sorted, by_fitness_desc);
    st = remember_best(s, sorted[0]);
    double seconds = nf_task_clock() - t0;
    nf_gen_stats stats = stats_of(s, sorted, seconds);
    s->stop_reason = stop_after(s, r, seconds);
    if (!st && s->stop_reason == NF_STOP_NONE) st = next_population(s, sorted);
    free(sorted);
    if (st) return st;
    if (s->stop_reason == NF_STOP_NONE) s->generation++;
    if (r->h->generation_done) st = r->h->generation_done(r->h->user, s, &stats);
    return st;
}

/* Images of the final training: what its share of the budget allows (at
 * most the time left) at the winner's measured speed (one candidate now has
 * every thread), or final_epochs without a budget. */
static int64_t final_images(const nf_search *s)
{
    const nf_candidate *b = s->best;
    int64_t n_train = nf_ds_count(s->data.train);
    if (s->cfg.time_budget <= 0) return (int64_t)(s->cfg.final_epochs * (double)n_train);
    double left = s->cfg.time_budget - nf_search_elapsed(s), share = s->cfg.final_share * s->cfg.time_budget;
    if (left > share) left = share;
    double speed = b->seconds > 0 ? (double)s->cfg.slice_images / b->seconds : 0;
    double speedup = s->cfg.threads > 1 ? 1.6 : 1.0; /* measured: two threads on one network */
    double images = left > 0 ? left * speed * speedup * 0.9 : 0;
    return (int64_t)images;
}

/* images < 0: as many as the budget allows, announced by final_started. */
static nf_status final_phase(nf_search *s, run_ctx *r, int64_t images)
{
    nf_result *res = &s->result;
    if (!s->best) return nf_fail(NF_ERR_DIVERGED, "every candidate failed; there is no winner");
    if (res->winner != s->best) nf_candidate_destroy(res->winner);
    res->winner = NULL;
    nf_status st = nf_candidate_clone(s->best, &res->winner);
    if (st) return st;
    res->val_before_final = s->best->val_accuracy;
    res->final_images = images >= 0 ? images : final_images(s);
    if (images < 0 && r->h->final_started && (st = r->h->final_started(r->h->user, s, res->final_images))) return st;
    if (res->final_images > 0) {
        nf_task_params p = task_for(s, s->generation + 1, r);
        p.images = res->final_images;
        p.cosine = 1;
        p.threads = s->cfg.threads;
        p.threads_now = NULL; /* one task: every thread, all along */
        r->images_total = res->final_images;
        s->progress_done = 0;
        if ((st = nf_task_train(res->winner, &s->data, &p))) return st;
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
        if ((st = first_population(s))) return st;
        if (r.h->population_ready && (st = r.h->population_ready(r.h->user, s))) return st;
    }
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

/* ==== a brief description ================================================= */

static int brief_of(const nf_vertex *v, char *buf, size_t cap)
{
    switch (v->op) {
    case NF_OP_CONV2D:
        if (v->attr.kernel == 3 && v->attr.stride == 1) return snprintf(buf, cap, "c%d ", v->nout);
        return snprintf(buf, cap, "c%dk%d%s ", v->nout, v->attr.kernel, v->attr.stride > 1 ? "s2" : "");
    case NF_OP_DENSE: return snprintf(buf, cap, "d%d ", v->nout);
    case NF_OP_MAXPOOL: return snprintf(buf, cap, "max ");
    case NF_OP_AVGPOOL: return snprintf(buf, cap, "avg ");
    case NF_OP_GAP: return snprintf(buf, cap, "gap ");
    case NF_OP_ADD: return v->n_inputs > 1 ? snprintf(buf, cap, "+ ") : 0;
    case NF_OP_CONCAT: return v->n_inputs > 1 ? snprintf(buf, cap, "| ") : 0;
    default: return 0;
    }
}

void nf_arch_brief(const nf_graph *g, char *buf, size_t cap)
{
    size_t at = 0;
    buf[0] = 0;
    for (int i = 1; i < g->n && at + 1 < cap; i++) {
        int n = brief_of(&g->v[i], buf + at, cap - at);
        if (n < 0 || (size_t)n >= cap - at) break;
        at += (size_t)n;
    }
    if (at > 0 && buf[at - 1] == ' ') buf[at - 1] = 0;
}
