#include "datasets/split.h"

#include <math.h>
#include <stdlib.h>

#include "engine/rng.h"

/* Stream ids within NF_RNG_SPLIT, so splitting and subsampling never share draws. */
enum { STREAM_SPLIT = 0, STREAM_SUBSAMPLE = 1 };

/* Indices of ds grouped by class (each group in source order): group k is
 * idx[start[k] .. start[k + 1]). */
typedef struct by_class {
    int *idx;   /* n indices; owned */
    int *start; /* n_classes + 1 offsets; owned */
} by_class;

static void by_class_free(by_class *g)
{
    free(g->idx);
    free(g->start);
}

static nf_status group(const nf_dataset *ds, by_class *g)
{
    g->idx = malloc((size_t)(ds->n ? ds->n : 1) * sizeof *g->idx);
    g->start = calloc((size_t)ds->n_classes + 1, sizeof *g->start);
    if (!g->idx || !g->start) {
        by_class_free(g);
        return nf_fail(NF_ERR_NOMEM, "cannot allocate %d indices", ds->n);
    }
    for (int i = 0; i < ds->n; i++) g->start[ds->labels[i] + 1]++;
    for (int k = 0; k < ds->n_classes; k++) g->start[k + 1] += g->start[k];
    int *fill = malloc((size_t)ds->n_classes * sizeof *fill);
    if (!fill) {
        by_class_free(g);
        return nf_fail(NF_ERR_NOMEM, "cannot allocate %d class counters", ds->n_classes);
    }
    for (int k = 0; k < ds->n_classes; k++) fill[k] = g->start[k];
    for (int i = 0; i < ds->n; i++) g->idx[fill[ds->labels[i]]++] = i;
    free(fill);
    return NF_OK;
}

/* Shuffles each class group and marks the first take[k] images of group k
 * in chosen[] (indexed by image). */
static void choose(const nf_dataset *ds, by_class *g, const int *take, nf_rng *r, char *chosen)
{
    for (int k = 0; k < ds->n_classes; k++) {
        int *seg = g->idx + g->start[k];
        nf_rng_shuffle(r, seg, (size_t)(g->start[k + 1] - g->start[k]));
        for (int j = 0; j < take[k]; j++) chosen[seg[j]] = 1;
    }
}

/* The subsets of ds with chosen[i] == want, in source order. */
static nf_status extract(const nf_dataset *ds, const char *chosen, char want, nf_dataset **out)
{
    int *idx = malloc((size_t)(ds->n ? ds->n : 1) * sizeof *idx), n = 0;
    if (!idx) return nf_fail(NF_ERR_NOMEM, "cannot allocate %d indices", ds->n);
    for (int i = 0; i < ds->n; i++)
        if (chosen[i] == want) idx[n++] = i;
    nf_status st = nf_ds_subset(ds, idx, n, out);
    free(idx);
    return st;
}

/* Chooses take[k] images per class with stream `stream` and writes the
 * chosen subset to *in and, if rest, the others to *rest. */
static nf_status select_per_class(const nf_dataset *ds, const int *take, uint64_t seed, int stream,
                                  nf_dataset **in, nf_dataset **rest)
{
    by_class g;
    nf_status st = group(ds, &g);
    if (st) return st;
    char *chosen = calloc((size_t)(ds->n ? ds->n : 1), 1);
    if (!chosen) st = nf_fail(NF_ERR_NOMEM, "cannot allocate %d flags", ds->n);
    if (!st) {
        nf_rng r;
        nf_rng_seed(&r, seed, (uint64_t)stream, NF_RNG_SPLIT);
        choose(ds, &g, take, &r, chosen);
        st = extract(ds, chosen, 1, in);
    }
    if (!st && rest && (st = extract(ds, chosen, 0, rest))) {
        nf_ds_destroy(*in);
        *in = NULL;
    }
    free(chosen);
    by_class_free(&g);
    return st;
}

nf_status nf_ds_split(const nf_dataset *full, double val_fraction, uint64_t seed, nf_dataset **train,
                      nf_dataset **val)
{
    *train = *val = NULL;
    if (!(val_fraction >= 0.0 && val_fraction < 1.0))
        return nf_fail(NF_ERR_ARG, "validation fraction %g is not in [0, 1)", val_fraction);
    int *take = calloc((size_t)full->n_classes, sizeof *take);
    if (!take) return nf_fail(NF_ERR_NOMEM, "cannot allocate %d class counts", full->n_classes);
    nf_ds_class_counts(full, take);
    for (int k = 0; k < full->n_classes; k++) {
        int count = take[k];
        take[k] = (int)floor(count * val_fraction + 0.5);
        if (take[k] >= count && count > 0) take[k] = count - 1;
    }
    nf_status st = select_per_class(full, take, seed, STREAM_SPLIT, val, train);
    free(take);
    return st;
}

/* Largest-remainder quotas: take[k] images of class k, summing to limit. */
static nf_status quotas(const nf_dataset *ds, int limit, int *take)
{
    int *count = malloc((size_t)ds->n_classes * sizeof *count);
    if (!count) return nf_fail(NF_ERR_NOMEM, "cannot allocate %d class counts", ds->n_classes);
    nf_ds_class_counts(ds, count);
    int given = 0;
    for (int k = 0; k < ds->n_classes; k++) {
        take[k] = (int)((int64_t)limit * count[k] / ds->n);
        given += take[k];
    }
    /* Each pass gives one more image to the class with the largest remainder
     * still below its size; at most n_classes passes are needed. */
    while (given < limit) {
        int best = -1;
        int64_t best_rem = -1;
        for (int k = 0; k < ds->n_classes; k++) {
            int64_t rem = (int64_t)limit * count[k] - (int64_t)take[k] * ds->n;
            if (take[k] < count[k] && rem > best_rem) { best = k; best_rem = rem; }
        }
        take[best]++;
        given++;
    }
    free(count);
    return NF_OK;
}

nf_status nf_ds_subsample(const nf_dataset *ds, int limit, uint64_t seed, nf_dataset **out)
{
    *out = NULL;
    if (limit <= 0) return nf_fail(NF_ERR_ARG, "subsample limit %d is not positive", limit);
    if (limit > ds->n) limit = ds->n;
    int *take = calloc((size_t)ds->n_classes, sizeof *take);
    if (!take) return nf_fail(NF_ERR_NOMEM, "cannot allocate %d class counts", ds->n_classes);
    nf_status st = limit ? quotas(ds, limit, take) : NF_OK;
    if (!st) st = select_per_class(ds, take, seed, STREAM_SUBSAMPLE, out, NULL);
    free(take);
    return st;
}
