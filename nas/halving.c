/* The random baseline: random search with successive halving (Li and
 * Talwalkar's random search with early stopping). The first rung trains
 * halving_draws random architectures on r images each; the best
 * 1/halving_eta of them (by fitness) are promoted and trained on to eta
 * times the images, and so on, until the next rung would hold one: its
 * best goes to the same final phase as evolution's winner.
 *
 * Rung g trains each of its candidates on images [start_g, start_g + inc_g)
 * of the stream, with r0 = rung_images: inc_0 = r0, inc_g = r0 (eta-1)
 * eta^(g-1), start_g = r0 eta^(g-1); every rung is one cosine. With a time
 * budget, r0 is chosen so that the rungs fill the search's share of it at
 * the predicted speed of the first rung's draws (deterministic: the draws
 * depend only on the seed, so a resumed run computes the same r0). */
#include <stdlib.h>
#include <string.h>

#include "engine/models.h"
#include "nas/search_internal.h"

static int64_t power(int base, int e)
{
    int64_t x = 1;
    while (e-- > 0) x *= base;
    return x;
}

/* inc_g / r0 and start_g / r0. */
static int64_t rung_share(int eta, int g) { return g == 0 ? 1 : (int64_t)(eta - 1) * power(eta, g - 1); }
static int64_t rung_start(int eta, int g) { return g == 0 ? 0 : power(eta, g - 1); }

/* Sum over the rungs of candidates x inc_g / r0. */
static double rung_units(const nf_search *s)
{
    double units = 0;
    int n = s->cfg.halving_draws, eta = s->cfg.halving_eta;
    for (int g = 0; g < 16; g++) {
        units += (double)n * (double)rung_share(eta, g);
        if (n <= eta) break;
        n = (n + eta - 1) / eta;
    }
    return units;
}

#define MIN_RUNG_IMAGES 512

static nf_status choose_rung_images(nf_search *s)
{
    const nf_search_config *c = &s->cfg;
    if (c->time_budget <= 0) {
        s->rung_images = c->slice_images;
        return NF_OK;
    }
    double cost = 0;
    for (int i = 0; i < c->halving_draws; i++) {
        nf_candidate *d;
        nf_status st = nf_search_draw(s, i, &d);
        if (st) return st;
        cost += nf_search_cost(d) / c->halving_draws;
        nf_candidate_destroy(d);
    }
    double r0 = cost > 0 ? nf_search_budget(s) / (cost * rung_units(s)) : (double)c->slice_images;
    s->rung_images = r0 > MIN_RUNG_IMAGES ? (int64_t)r0 : MIN_RUNG_IMAGES;
    return NF_OK;
}

static nf_status halving_first(nf_search *s)
{
    nf_status st = nf_search_draw_population(s, s->cfg.halving_draws);
    return st ? st : choose_rung_images(s);
}

static nf_status halving_train(nf_search *s, run_ctx *r)
{
    nf_status st = s->rung_images > 0 ? NF_OK : choose_rung_images(s);
    if (st) return st;
    int eta = s->cfg.halving_eta, g = s->generation;
    int64_t inc = s->rung_images * rung_share(eta, g), start = s->rung_images * rung_start(eta, g);
    nf_job *jobs = malloc((size_t)s->n_pop * sizeof *jobs);
    if (!jobs) return nf_fail(NF_ERR_NOMEM, "cannot allocate the rung's jobs");
    int n = 0;
    for (int i = 0; i < s->n_pop; i++)
        if (s->pop[i]->trained_gen != g || s->pop[i]->state == NF_CAND_NEW)
            jobs[n++] = nf_search_job(s, s->pop[i], start, inc, 0, 0, 0);
    s->progress_total = (int64_t)n * inc;
    st = nf_search_train(s, r, jobs, n, 1, NULL);
    free(jobs);
    return st;
}

/* The best ceil(n / eta) go on, in fitness order. */
static nf_status halving_next(nf_search *s, nf_candidate **sorted)
{
    int n = s->n_pop, keep = (n + s->cfg.halving_eta - 1) / s->cfg.halving_eta, alive = 0;
    while (alive < n && nf_search_alive(s, sorted[alive])) alive++;
    if (keep > alive) keep = alive > 0 ? alive : 1;
    for (int i = keep; i < n; i++) nf_candidate_destroy(sorted[i]);
    memcpy(s->pop, sorted, (size_t)keep * sizeof *sorted);
    s->n_pop = keep;
    return NF_OK;
}

static int64_t halving_images_of(const nf_search *s, const nf_candidate *c)
{
    (void)c;
    return s->rung_images * rung_share(s->cfg.halving_eta, s->generation);
}

static int halving_done(const nf_search *s) { return s->n_pop <= s->cfg.halving_eta; }

/* The next rung: a third of the candidates on eta times the new images. */
static double halving_next_seconds(const nf_search *s, double seconds)
{
    int eta = s->cfg.halving_eta, g = s->generation, n = s->n_pop;
    double now = (double)n * (double)rung_share(eta, g), next = (double)((n + eta - 1) / eta) * (double)rung_share(eta, g + 1);
    return seconds * next / now;
}

const nf_strategy_ops nf_strategy_halving = {"random", halving_first, halving_train, halving_next, halving_done,
                                             halving_images_of, halving_next_seconds, NULL};

/* ==== the fixed baseline ================================================== */

/* One architecture (the configured one, or the reference CNN), trained by
 * the final phase for the whole budget with the same recipe. */
static nf_status fixed_first(nf_search *s)
{
    const nf_dataset *d = s->data.train;
    nf_graph *g = NULL;
    nf_status st;
    if (s->cfg.arch) {
        st = nf_graph_clone(s->cfg.arch, &g);
    } else {
        nf_rng rng;
        nf_rng_seed(&rng, s->cfg.seed, 0, NF_RNG_INIT);
        st = nf_model_reference_cnn(nf_ds_channels(d), nf_ds_height(d), nf_ds_width(d), nf_ds_classes(d), &rng, &g);
    }
    if (st) return st;
    nf_candidate *c;
    if ((st = nf_candidate_create(g, &s->cfg.settings, s->next_id, 0, &c))) return st;
    s->next_id++;
    s->pop[s->n_pop++] = c;
    return NF_OK;
}

static int fixed_done(const nf_search *s)
{
    (void)s;
    return 1;
}

const nf_strategy_ops nf_strategy_fixed = {"fixed", fixed_first, NULL, NULL, fixed_done, NULL, NULL, NULL};
