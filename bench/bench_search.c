/* Candidates trained per minute by the search on 1 and on 2 threads, for
 * the default search space and settings (configs/default.conf) on
 * Fashion-MNIST: one generation of a population, each candidate trained on
 * the same slice, batchnorm re-measured and scored on the validation
 * split, exactly as nasfit fit does. The two thread counts alternate over
 * the rounds; the best of each is compared (target: 2 threads >= 1.8x).
 * Then where the thread time goes over a few generations of evolution
 * (culling included) and of the random search's rungs, on 2 threads:
 * candidates scored per minute and the shares of training, scoring
 * (batchnorm re-measurement and validation) and idle threads (target:
 * scoring + idle under 10 %).
 *
 *   bench_search [--quick] [--rounds N] [--data SPEC] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/clock.h"
#include "app/formats/config.h"
#include "app/session/progress.h"
#include "datasets/prepare.h"
#include "engine/threads.h"
#include "nas/search.h"

static double one_generation(const nf_ds_splits *d, nf_search_config c, int threads)
{
    c.threads = threads;
    c.generations = 1;
    c.final_epochs = 0;
    nf_search *s;
    if (nf_search_create(&c, d->train, d->val, NULL, &d->norm, &s)) return -1;
    double t0 = nf_clock();
    nf_status st = nf_search_run(s, NULL);
    double seconds = nf_clock() - t0;
    nf_search_destroy(s);
    return st ? -1 : seconds;
}

/* The generations' time, summed by the generation_done hook. */
typedef struct time_spent { int scored; double train, score, idle, wall; } time_spent;

static nf_status add_generation(void *user, const nf_search *s, const nf_gen_stats *g)
{
    (void)s;
    time_spent *t = user;
    t->scored += g->population;
    t->train += g->train_seconds;
    t->score += g->score_seconds;
    t->idle += g->idle_seconds;
    t->wall += g->seconds;
    return NF_OK;
}

static int time_shares(const nf_ds_splits *d, nf_search_config c, const char *name)
{
    c.threads = 2;
    c.final_epochs = 0;
    nf_search *s;
    time_spent t = {0};
    nf_search_hooks h = {.user = &t, .generation_done = add_generation};
    nf_status st = nf_search_create(&c, d->train, d->val, NULL, &d->norm, &s);
    if (!st) st = nf_search_run(s, &h);
    nf_search_destroy(s);
    if (st) { fprintf(stderr, "bench_search: %s\n", nf_last_error()); return 1; }
    double all = t.train + t.idle;
    printf("%s_candidates_per_min: %.2f\n%s_training_share: %.3f\n%s_scoring_share: %.3f\n%s_idle_share: %.3f\n",
           name, t.scored * 60.0 / t.wall, name, (t.train - t.score) / all, name, t.score / all, name, t.idle / all);
    return 0;
}

int main(int argc, char **argv)
{
    int rounds = 2, quick = 0;
    const char *data = "fashion-mnist";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--data") && i + 1 < argc) data = argv[++i];
        else { fprintf(stderr, "usage: bench_search [--quick] [--rounds N] [--data SPEC]\n"); return 2; }
    }
    nf_fit_config fc = nf_fit_config_defaults();
    nf_search_config c = fc.search;
    c.population = 4;
    c.screen_draws = 0; /* one generation of the population, not the screen */
    c.slice_images = quick ? 1000 : 5000;
    nf_ds_prepare_options po = nf_ds_prepare_defaults();
    nf_ds_splits d = {0};
    if (nf_ds_prepare(data, &po, &d)) {
        fprintf(stderr, "bench_search: %s\n", nf_last_error());
        return 1;
    }
    printf("openblas_core: %s\npopulation: %d\nslice_images: %lld\n", nf_threads_blas_core(), c.population,
           (long long)c.slice_images);
    double best[3] = {0, 0, 0};
    for (int r = 0; r < rounds; r++)
        for (int t = 1; t <= 2; t++) {
            double s = one_generation(&d, c, t);
            if (s <= 0) { fprintf(stderr, "bench_search: %s\n", nf_last_error()); return 1; }
            double per_minute = c.population * 60.0 / s;
            printf("round %d, %d thread(s): %.1f s, %.2f candidates/min\n", r + 1, t, s, per_minute);
            if (per_minute > best[t]) best[t] = per_minute;
        }
    printf("candidates_per_min_1t: %.2f\ncandidates_per_min_2t: %.2f\nratio_2t_over_1t: %.2f\n", best[1], best[2],
           best[2] / best[1]);
    nf_search_config e = fc.search, r = fc.search;
    e.generations = 3;
    e.slice_images = c.slice_images;
    r.strategy = NF_STRATEGY_RANDOM;
    r.halving_draws = 9;
    r.slice_images = c.slice_images / 2;
    int bad = time_shares(&d, e, "evolution") || time_shares(&d, r, "random");
    nf_ds_splits_free(&d);
    return bad;
}
