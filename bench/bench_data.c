/* Data set speed: loading all of Fashion-MNIST (gzip, train + test) and
 * producing shuffled batches of 64, plain and augmented. Prints
 * `key: value` lines. */
#include <stdio.h>

#include "engine/clock.h"
#include "app/session/progress.h"
#include "datasets/datasets.h"

/* Microseconds per batch over `batches` batches, epochs reshuffled as they end. */
static double batch_cost(const nf_dataset *ds, const nf_ds_norm *norm, const nf_augment *aug,
                         int batches)
{
    nf_batcher *b;
    nf_tensor x;
    int labels[64];
    if (nf_batcher_create(ds, norm, aug, 64, 1, &b) || nf_tensor_alloc(&x, ds->c, 64, ds->h, ds->w)) {
        fprintf(stderr, "bench_data: %s\n", nf_last_error());
        return -1;
    }
    int epoch = 0;
    nf_batcher_start_epoch(b, epoch, 1);
    double t0 = nf_clock();
    for (int i = 0; i < batches; i++)
        if (nf_batcher_next(b, &x, labels) == 0) {
            nf_batcher_start_epoch(b, ++epoch, 1);
            i--;
        }
    double us = (nf_clock() - t0) * 1e6 / batches;
    nf_tensor_free(&x);
    nf_batcher_destroy(b);
    return us;
}

int main(int argc, char **argv)
{
    const char *spec = argc > 1 ? argv[1] : "fashion-mnist";
    double best = 1e30;
    nf_ds_pair p = {0};
    for (int run = 0; run < 3; run++) {
        nf_ds_pair_free(&p);
        double t0 = nf_clock();
        if (nf_ds_load(spec, NULL, &p)) {
            fprintf(stderr, "bench_data: %s\n", nf_last_error());
            return 1;
        }
        double t = nf_clock() - t0;
        if (t < best) best = t;
    }
    printf("data_set: %s\n", spec);
    printf("images_loaded: %d\n", p.train->n + (p.test ? p.test->n : 0));
    printf("load_all_s: %.3f\n", best);
    nf_ds_norm norm = nf_ds_normalization(p.train);
    nf_augment aug = nf_augment_defaults();
    printf("batch64_shuffled_us: %.1f\n", batch_cost(p.train, &norm, &aug, 5000));
    aug.shift = 2;
    aug.flip = 1;
    printf("batch64_shuffled_shift2_flip_us: %.1f\n", batch_cost(p.train, &norm, &aug, 5000));
    printf("batch64_share_of_60ms_step_percent: %.3f\n", batch_cost(p.train, &norm, &aug, 2000) / 600.0);
    nf_ds_pair_free(&p);
    return 0;
}
