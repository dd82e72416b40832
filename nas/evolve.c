/* Evolution (elitism and aging): the survivors keep training, children of
 * tournaments among them are made by mutation, and each generation trains
 * everyone on the same slice in two parts. After the first part
 * (cull_share of the slice) every child is compared with its parent at
 * equal training, on the same images: a child whose fitness is below its
 * parent's by more than cull_margin stops there (culled), and its place's
 * thread time goes to the others. The learning rate follows one cosine
 * over the whole slice, so every score is taken at an annealed state and
 * a lower rate is not rewarded for looking better after one slice.
 *
 * With screen_draws above the population, generation 0 is a screen: that
 * many random draws each train screen_share of a slice on one cosine (one
 * rung of successive halving), scored on cull_val_images validation
 * images, and the best `population` of them by fitness go on as the first
 * population, all survivors; children follow from generation 1. A search
 * then starts from the best of many draws rather than from as many draws
 * as it has places. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nas/search_internal.h"

/* 1 while generation 0 screens the draws. */
static int screening(const nf_search *s) { return s->generation == 0 && s->cfg.screen_draws > s->cfg.population; }

/* Images of each draw's training in the screen: screen_share of a slice,
 * and with a time budget at most what half the search's share of it
 * trains on one thread at the draws' predicted speed (so a short budget
 * is not spent screening; from the budget and the draws alone, so a
 * resumed run and any number of workers compute the same). */
static int64_t screen_images(const nf_search *s)
{
    const nf_search_config *c = &s->cfg;
    double n = c->screen_share * (double)c->slice_images, cost = 0;
    for (int i = 0; i < s->n_pop; i++) cost += nf_search_cost(s->pop[i]);
    double fits = cost > 0 ? 0.5 * c->time_budget * (1 - c->final_share) / cost : n;
    if (c->time_budget > 0 && fits < n) n = fits;
    return n >= 1 ? (int64_t)n : 1;
}

static nf_status evolve_first(nf_search *s)
{
    return nf_search_draw_population(s, screening(s) ? s->cfg.screen_draws : s->cfg.population);
}

/* Images of a generation's first part, after which children are compared
 * with their parents; 0 without culling. */
static int64_t first_part(const nf_search *s)
{
    if (screening(s)) return 0;
    int64_t first = (int64_t)(s->cfg.cull_share * (double)s->cfg.slice_images);
    return first > 0 && first < s->cfg.slice_images ? first : 0;
}

static int needs_training(const nf_search *s, const nf_candidate *c)
{
    return c->trained_gen != s->generation || c->state == NF_CAND_NEW;
}

/* The job of todo[] training candidate id, or -1. */
static int job_of(const nf_job *jobs, int n, int64_t id)
{
    for (int i = 0; i < n; i++)
        if (jobs[i].c->id == id) return i;
    return -1;
}

/* A child made for this generation whose parent trained the first part
 * beside it in this session: culled when clearly worse. (A child whose
 * parent already finished this generation in an earlier session was not
 * culled then, or it would have been committed as culled.) */
static int is_culled(const nf_search *s, const nf_job *jobs, int n, int i)
{
    const nf_candidate *c = jobs[i].c;
    if (c->born != s->generation || c->parent[0] < 0 || c->state != NF_CAND_TRAINED) return 0;
    int p = job_of(jobs, n, c->parent[0]);
    if (p < 0 || jobs[p].c->state != NF_CAND_TRAINED) return 0;
    return c->fitness < jobs[p].c->fitness - s->cfg.cull_margin;
}

static void mark_culled(nf_candidate *c, const nf_candidate *parent, int64_t images)
{
    c->state = NF_CAND_CULLED;
    snprintf(c->reason, sizeof c->reason, "culled after %lld images: fitness %.4f against its parent's %.4f",
             (long long)images, c->fitness, parent->fitness);
}

/* After the first part: culls, commits the culled and the failed, and
 * keeps the rest in jobs[0..*n) with their first part's seconds. */
static nf_status cull(nf_search *s, run_ctx *r, nf_job *jobs, int *n, double *earlier)
{
    int keep = 0, total = *n;
    char *culled = calloc((size_t)total, 1);
    if (!culled) return nf_fail(NF_ERR_NOMEM, "cannot allocate the culling list");
    for (int i = 0; i < total; i++) culled[i] = (char)is_culled(s, jobs, total, i);
    nf_status st = NF_OK;
    for (int i = 0; i < total && !st; i++) {
        nf_candidate *c = jobs[i].c;
        if (culled[i]) mark_culled(c, jobs[job_of(jobs, total, c->parent[0])].c, jobs[i].p.images);
        if (culled[i] || c->state == NF_CAND_FAILED) st = nf_search_commit(r, c);
    }
    for (int i = 0; i < total; i++)
        if (!culled[i] && jobs[i].c->state == NF_CAND_TRAINED) {
            earlier[keep] = jobs[i].c->seconds;
            jobs[keep++] = jobs[i];
        }
    free(culled);
    *n = keep;
    return st;
}

static nf_status evolve_train(nf_search *s, run_ctx *r)
{
    const nf_search_config *c = &s->cfg;
    int64_t slice = screening(s) ? screen_images(s) : c->slice_images, start = (int64_t)s->generation * c->slice_images;
    int64_t first = first_part(s);
    /* A comparison (after the first part, or in the screen) is scored on cull_val_images. */
    int compared = first > 0 || screening(s) ? c->cull_val_images : 0;
    nf_job *jobs = malloc((size_t)s->n_pop * sizeof *jobs);
    double *earlier = malloc((size_t)s->n_pop * sizeof *earlier);
    if (!jobs || !earlier) {
        free(jobs);
        free(earlier);
        return nf_fail(NF_ERR_NOMEM, "cannot allocate the generation's jobs");
    }
    int n = 0;
    for (int i = 0; i < s->n_pop; i++)
        if (needs_training(s, s->pop[i])) {
            jobs[n] = nf_search_job(s, s->pop[i], start, first > 0 ? first : slice, 0, slice, compared);
            if (first > 0) jobs[n].p.refresh_images /= 2; /* a comparison, not the generation's score */
            n++;
        }
    s->progress_total = (int64_t)n * slice;
    nf_status st;
    if (first <= 0) {
        st = nf_search_train(s, r, jobs, n, 1, NULL);
    } else {
        st = nf_search_train(s, r, jobs, n, 0, NULL);
        if (!st) st = cull(s, r, jobs, &n, earlier);
        for (int i = 0; i < n; i++) jobs[i] = nf_search_job(s, jobs[i].c, start + first, slice - first, first, slice, 0);
        if (!st) st = nf_search_train(s, r, jobs, n, 1, earlier);
    }
    free(jobs);
    free(earlier);
    return st;
}

/* ==== selection ========================================================== */

/* Younger first (higher id). */
static int by_age(const void *a, const void *b)
{
    const nf_candidate *x = *(nf_candidate *const *)a, *y = *(nf_candidate *const *)b;
    return x->id < y->id ? 1 : x->id > y->id ? -1 : 0;
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

/* Child `id` of the next generation, mutated from tournament winners among
 * the survivors (sorted by fitness), or a fresh random architecture when
 * nothing survived. */
static nf_status make_child(nf_search *s, nf_candidate **parents, int n_parents, nf_rng *rng, nf_candidate **out)
{
    int64_t id = s->next_id++;
    int gen = s->generation + 1;
    if (n_parents == 0) {
        nf_status st = nf_search_draw(s, id, out);
        if (!st) (*out)->born = gen;
        return st;
    }
    const nf_candidate *p1 = tournament(parents, n_parents, s->cfg.tournament, rng);
    const nf_candidate *p2 = tournament(parents, n_parents, s->cfg.tournament, rng);
    nf_status st = nf_vary(&s->cfg.var, p1, p2, id, gen, s->cfg.seed, out);
    if (st != NF_ERR_INFEASIBLE) return st;
    /* Nothing could be changed: the child is a copy under its own id. */
    return nf_candidate_child(p1, id, gen, out);
}

/* The survivors: the best `elite` of the alive (sorted by fitness first),
 * or the youngest for aging; after the screen, the best `population`.
 * Returned by fitness in survivors[]. */
static int survivors_of(const nf_search *s, nf_candidate **sorted, nf_candidate **survivors)
{
    int n_alive = 0;
    while (n_alive < s->n_pop && nf_search_alive(s, sorted[n_alive])) n_alive++;
    int want = screening(s) ? s->cfg.population : s->cfg.elite;
    int keep = want < n_alive ? want : n_alive;
    if (s->cfg.strategy != NF_STRATEGY_AGING || screening(s)) {
        memcpy(survivors, sorted, (size_t)keep * sizeof *survivors);
        return keep;
    }
    nf_candidate **young = malloc((size_t)(n_alive ? n_alive : 1) * sizeof *young);
    if (!young) return -1;
    memcpy(young, sorted, (size_t)n_alive * sizeof *young);
    qsort(young, (size_t)n_alive, sizeof *young, by_age);
    int k = 0; /* the youngest `keep`, in fitness order */
    for (int i = 0; i < n_alive; i++)
        for (int j = 0; j < keep; j++)
            if (sorted[i] == young[j]) survivors[k++] = sorted[i];
    free(young);
    return keep;
}

static nf_status evolve_next(nf_search *s, nf_candidate **sorted)
{
    int n = s->n_pop, size = s->cfg.population;
    nf_candidate **next = calloc((size_t)size, sizeof *next);
    nf_candidate **kept = malloc((size_t)n * sizeof *kept);
    nf_status st = next && kept ? NF_OK : nf_fail(NF_ERR_NOMEM, "cannot allocate a population");
    int keep = st ? 0 : survivors_of(s, sorted, kept);
    if (keep < 0) st = nf_fail(NF_ERR_NOMEM, "cannot allocate a population");
    nf_rng rng;
    nf_rng_seed(&rng, s->cfg.seed, (uint64_t)s->generation, NF_RNG_SELECT);
    for (int k = keep; k < size && !st; k++) st = make_child(s, kept, keep, &rng, &next[k]);
    if (st) {
        for (int i = 0; next && i < size; i++) nf_candidate_destroy(next[i]);
        free(next);
        free(kept);
        return st;
    }
    /* Survivors move over; the rest go. */
    for (int i = 0; i < keep; i++) next[i] = kept[i];
    for (int i = 0; i < n; i++) {
        int survives = 0;
        for (int k = 0; k < keep; k++) survives |= s->pop[i] == next[k];
        if (!survives) nf_candidate_destroy(s->pop[i]);
    }
    free(kept);
    memcpy(s->pop, next, (size_t)size * sizeof *next);
    free(next);
    s->n_pop = size;
    return NF_OK;
}

static int64_t evolve_images_of(const nf_search *s, const nf_candidate *c)
{
    if (screening(s)) return screen_images(s);
    return c->state == NF_CAND_CULLED && first_part(s) ? first_part(s) : s->cfg.slice_images;
}

static int evolve_done(const nf_search *s)
{
    (void)s;
    return 0;
}

/* The next generation's predicted training: `population` candidates on
 * full slices at the mean predicted speed of this one's (an upper bound
 * when children are culled; after the screen, of the draws). */
static double evolve_next_predicted(const nf_search *s)
{
    double cost = 0;
    for (int i = 0; i < s->n_pop; i++) cost += nf_search_cost(s->pop[i]);
    return cost / s->n_pop * (double)s->cfg.population * (double)s->cfg.slice_images;
}

/* After the screen, a generation of `population` on full slices. */
static double evolve_next_seconds(const nf_search *s, double seconds)
{
    if (!screening(s)) return seconds;
    const nf_search_config *c = &s->cfg;
    return seconds * (double)c->population * (double)c->slice_images / ((double)s->n_pop * (double)screen_images(s));
}

const nf_strategy_ops nf_strategy_evolution = {"evolution", evolve_first, evolve_train, evolve_next, evolve_done,
                                               evolve_images_of, evolve_next_seconds, evolve_next_predicted};
