/* The MPI pool's costs, run under mpirun (scripts/bench.sh starts it with
 * -np 3: rank 0 and two trainers) on Fashion-MNIST with the default
 * search settings:
 *   - one generation of a population trained through the pool (2 trainer
 *     ranks, 1 thread each) against the local pool on 2 threads, the same
 *     candidates, alternating over the rounds;
 *   - per-task overhead: a job's wall time on rank 0 less the training
 *     time its trainer measured (serialise, send, receive, deserialise,
 *     both ways), against that training time; the serialisation alone;
 *   - rank 0's dispatch rate: near-empty tasks (no training images, one
 *     validation image) of a small candidate, per second.
 * Without mpirun it says so and exits 0.
 *
 *   mpirun -np 3 bench_mpi [--quick] [--rounds N] [--data SPEC] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/clock.h"
#include "app/formats/config.h"
#include "app/session/mpi_pool.h"
#include "app/session/progress.h"
#include "datasets/prepare.h"
#include "nas/search.h"
#include "nas/wire.h"

static double one_generation(const nf_ds_splits *d, nf_search_config c, nf_trainer *pool)
{
    c.generations = 1;
    c.final_epochs = 0;
    nf_search *s;
    if (nf_search_create(&c, d->train, d->val, NULL, &d->norm, &s)) return -1;
    if (pool) nf_search_set_trainer(s, pool);
    double t0 = nf_clock();
    nf_status st = nf_search_run(s, NULL);
    double seconds = nf_clock() - t0;
    nf_search_destroy(s);
    return st ? -1 : seconds;
}

/* A candidate of the default space, drawn as the search draws its first. */
static nf_candidate *drawn(const nf_search_config *c, const nf_dataset *train, uint64_t seed)
{
    nf_rng r;
    nf_rng_seed(&r, seed, 0, NF_RNG_INIT);
    nf_graph *g;
    if (nf_space_draw(&c->var.space, train->c, train->h, train->w, train->n_classes, &r, &g)) return NULL;
    nf_candidate *cand;
    return nf_candidate_create(g, &c->settings, 1, 0, &cand) ? NULL : cand;
}

static nf_data data_of(const nf_ds_splits *d, const nf_search_config *c)
{
    return (nf_data){.train = d->train, .val = d->val, .norm = d->norm, .aug = c->aug, .seed = c->seed};
}

/* Jobs of copies of one candidate: wall time per job on rank 0 and the trainers' own time. */
static int time_jobs(nf_trainer *pool, const nf_data *data, const nf_candidate *c, nf_task_params p, int n,
                     double *wall_per_job, double *task_seconds)
{
    nf_job *jobs = calloc((size_t)n, sizeof *jobs);
    nf_candidate **copies = calloc((size_t)n, sizeof *copies);
    int bad = !jobs || !copies;
    for (int i = 0; i < n && !bad; i++) {
        bad = nf_candidate_clone(c, &copies[i]) != NF_OK;
        if (!bad) jobs[i] = (nf_job){.c = copies[i], .p = p, .cost = 1};
    }
    double t0 = nf_clock();
    if (!bad) bad = nf_trainer_run(pool, data, jobs, n, NULL) != NF_OK;
    *wall_per_job = (nf_clock() - t0) / n;
    *task_seconds = 0;
    for (int i = 0; i < n && !bad; i++) *task_seconds += jobs[i].out.seconds / n;
    for (int i = 0; i < n && copies; i++) nf_candidate_destroy(copies[i]);
    free(copies);
    free(jobs);
    return bad;
}

int main(int argc, char **argv)
{
    int code;
    if (!getenv("OMPI_COMM_WORLD_SIZE")) {
        printf("note: bench_mpi runs under mpirun (scripts/bench.sh starts it with -np 3)\n");
        return 0;
    }
    if (nf_mpi_enter("bench", 1, &code)) return code;
    int rounds = 2, quick = 0;
    const char *data = "fashion-mnist";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--data") && i + 1 < argc) data = argv[++i];
    }
    nf_search_config c = nf_fit_config_defaults().search;
    c.population = 4;
    c.screen_draws = 0; /* one generation of the population, not the screen */
    c.slice_images = quick ? 1000 : 5000;
    nf_ds_prepare_options po = nf_ds_prepare_defaults();
    nf_ds_splits d = {0};
    nf_trainer *pool = NULL, *local = NULL;
    if (nf_ds_prepare(data, &po, &d) || nf_mpi_pool_create(1, &pool) || nf_trainer_local_create(2, &local)) {
        fprintf(stderr, "bench_mpi: %s\n", nf_last_error());
        nf_mpi_leave();
        return 1;
    }
    printf("trainer_ranks: %d\npopulation: %d\nslice_images: %lld\n", pool->workers, c.population,
           (long long)c.slice_images);
    double best_mpi = 1e30, best_local = 1e30;
    for (int r = 0; r < rounds; r++) {
        double m = one_generation(&d, c, pool), l = one_generation(&d, c, local);
        printf("round %d: %d trainer ranks %.1f s, 2 threads %.1f s\n", r + 1, pool->workers, m, l);
        if (m > 0 && m < best_mpi) best_mpi = m;
        if (l > 0 && l < best_local) best_local = l;
    }
    printf("generation_seconds_np3: %.2f\ngeneration_seconds_2threads: %.2f\nratio_np3_over_2threads_speed: %.2f\n",
           best_mpi, best_local, best_local / best_mpi);
    /* per-task overhead, one job at a time */
    nf_data dd = data_of(&d, &c);
    nf_candidate *cand = drawn(&c, d.train, 5);
    nf_task_params p = c.task;
    p.images = quick ? 500 : 2000;
    p.cosine = 1;
    double wall, task, sum_wall = 0, sum_task = 0;
    int n1 = 4;
    for (int i = 0; cand && i < n1; i++) {
        if (time_jobs(pool, &dd, cand, p, 1, &wall, &task)) break;
        sum_wall += wall, sum_task += task;
    }
    unsigned char *b = NULL;
    size_t len = 0;
    double t0 = nf_clock();
    if (cand) nf_wire_task_pack(cand, &p, &b, &len);
    double pack = nf_clock() - t0;
    free(b);
    printf("task_bytes: %zu\nserialise_ms: %.3f\ntask_train_ms: %.2f\ntask_overhead_ms: %.3f\noverhead_share: %.4f\n", len,
           1e3 * pack, 1e3 * sum_task / n1, 1e3 * (sum_wall - sum_task) / n1, (sum_wall - sum_task) / sum_wall);
    /* dispatch rate: near-empty tasks of a small candidate */
    c.var.space.min_stages = c.var.space.max_stages = 1;
    c.var.space.min_width = c.var.space.max_width = 4;
    nf_candidate *small = drawn(&c, d.train, 6);
    nf_task_params e = nf_task_defaults();
    e.images = 0;
    e.val_images = 1;
    e.refresh_images = 0;
    int n2 = quick ? 200 : 1000;
    if (small && !time_jobs(pool, &dd, small, e, n2, &wall, &task))
        printf("empty_tasks: %d\ndispatch_per_s: %.0f\nempty_task_trainer_ms: %.3f\n", n2, 1 / wall, 1e3 * task);
    nf_candidate_destroy(small);
    nf_candidate_destroy(cand);
    nf_trainer_destroy(local);
    nf_trainer_destroy(pool);
    nf_ds_splits_free(&d);
    nf_mpi_leave();
    return 0;
}
