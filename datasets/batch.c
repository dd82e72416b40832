/* The batcher: a lookup table per channel turns a pixel byte into its
 * normalised float in one load, so a batch is one pass over its bytes. */
#include "datasets/batch.h"

#include <stdlib.h>

#include "engine/rng.h"

struct nf_batcher {
    const nf_dataset *ds;                 /* borrowed */
    float lut[NF_DS_MAX_CHANNELS][256];   /* (v/255 - mean)/std per channel */
    nf_augment aug;
    int batch;                            /* images per batch */
    uint64_t seed;
    int *order;                           /* this epoch's image order; owned */
    int epoch;                            /* the epoch being batched */
    int pos;                              /* next position in order */
    int end;                              /* the epoch ends before this position */
    int last;                             /* position of the last batch returned */
};

nf_augment nf_augment_defaults(void) { return (nf_augment){.shift = 0, .flip = 0}; }

static nf_status check(const nf_dataset *ds, const nf_ds_norm *norm, const nf_augment *aug, int batch)
{
    if (norm && norm->c != ds->c)
        return nf_fail(NF_ERR_ARG, "normalisation has %d channels, the data set %d", norm->c, ds->c);
    if (batch < 1) return nf_fail(NF_ERR_ARG, "batch size %d is not positive", batch);
    if (aug && (aug->shift < 0 || aug->shift > ds->h || aug->shift > ds->w))
        return nf_fail(NF_ERR_ARG, "augmentation shift %d is not in [0, %d]", aug->shift,
                       ds->h < ds->w ? ds->h : ds->w);
    for (int c = 0; norm && c < norm->c; c++)
        if (!(norm->std[c] > 0))
            return nf_fail(NF_ERR_ARG, "normalisation std of channel %d is %g", c, norm->std[c]);
    return NF_OK;
}

nf_status nf_batcher_create(const nf_dataset *ds, const nf_ds_norm *norm, const nf_augment *aug,
                            int batch, uint64_t seed, nf_batcher **out)
{
    *out = NULL;
    nf_status st = check(ds, norm, aug, batch);
    if (st) return st;
    nf_batcher *b = calloc(1, sizeof *b);
    if (b) b->order = malloc((size_t)(ds->n ? ds->n : 1) * sizeof *b->order);
    if (!b || !b->order) {
        nf_batcher_destroy(b);
        return nf_fail(NF_ERR_NOMEM, "cannot allocate a batcher for %d images", ds->n);
    }
    nf_ds_norm id = nf_ds_norm_identity(ds->c);
    if (!norm) norm = &id;
    for (int c = 0; c < ds->c; c++)
        for (int v = 0; v < 256; v++) b->lut[c][v] = (float)((v / 255.0 - norm->mean[c]) / norm->std[c]);
    b->ds = ds;
    b->aug = aug ? *aug : nf_augment_defaults();
    b->batch = batch;
    b->seed = seed;
    nf_batcher_start_epoch(b, 0, 0);
    *out = b;
    return NF_OK;
}

void nf_batcher_destroy(nf_batcher *b)
{
    if (!b) return;
    free(b->order);
    free(b);
}

void nf_batcher_start_epoch(nf_batcher *b, int epoch, int shuffle)
{
    for (int i = 0; i < b->ds->n; i++) b->order[i] = i;
    if (shuffle) {
        nf_rng r;
        nf_rng_seed(&r, b->seed, (uint64_t)epoch, NF_RNG_SHUFFLE);
        nf_rng_shuffle(&r, b->order, (size_t)b->ds->n);
    }
    b->epoch = epoch;
    b->pos = b->last = 0;
    b->end = b->ds->n;
}

void nf_batcher_seek(nf_batcher *b, int epoch, int from, int to)
{
    nf_batcher_start_epoch(b, epoch, 1);
    b->end = to < 0 ? 0 : to > b->ds->n ? b->ds->n : to;
    b->pos = b->last = from < 0 ? 0 : from > b->end ? b->end : from;
}

/* One channel plane without augmentation. */
static void put_plain(const float *lut, const uint8_t *src, float *dst, int count)
{
    for (int p = 0; p < count; p++) dst[p] = lut[src[p]];
}

/* One channel plane, shifted by (dy, dx) and mirrored when flip: output
 * (y, x) reads source (y + dy, x' + dx) with x' = flip ? w-1-x : x, and the
 * normalised black outside the source. */
static void put_augmented(const float *lut, const uint8_t *src, float *dst, int h, int w, int dy,
                          int dx, int flip)
{
    float pad = lut[0];
    /* Output columns [x0, x1) read inside the source. */
    int x0 = flip ? dx : -dx, x1 = flip ? w + dx : w - dx;
    if (x0 < 0) x0 = 0;
    if (x1 > w) x1 = w;
    for (int y = 0; y < h; y++, dst += w) {
        int sy = y + dy;
        if (sy < 0 || sy >= h || x0 >= x1) {
            for (int x = 0; x < w; x++) dst[x] = pad;
            continue;
        }
        const uint8_t *row = src + (size_t)sy * w;
        for (int x = 0; x < x0; x++) dst[x] = pad;
        if (flip)
            for (int x = x0; x < x1; x++) dst[x] = lut[row[w - 1 - x + dx]];
        else
            for (int x = x0; x < x1; x++) dst[x] = lut[row[x + dx]];
        for (int x = x1; x < w; x++) dst[x] = pad;
    }
}

/* Image number i of the batch of k into x (packed [C][k][H][W]), the one at
 * `position` in the epoch's order: its augmentation draws come from a
 * stream of (seed, epoch, position), so they do not depend on the batch
 * size or on where batching started. */
static void put_image(nf_batcher *b, int image, int position, int i, int k, float *x)
{
    const nf_dataset *ds = b->ds;
    size_t plane = (size_t)ds->h * ds->w;
    const uint8_t *src = nf_ds_image(ds, image);
    int dy = 0, dx = 0, flip = 0, s = b->aug.shift;
    nf_rng r;
    if (s || b->aug.flip) nf_rng_seed(&r, b->seed, (uint64_t)b->epoch << 32 | (uint32_t)position, NF_RNG_AUGMENT);
    if (s) {
        dy = (int)nf_rng_below(&r, 2 * (uint64_t)s + 1) - s;
        dx = (int)nf_rng_below(&r, 2 * (uint64_t)s + 1) - s;
    }
    if (b->aug.flip) flip = (int)(nf_rng_next(&r) >> 63);
    for (int c = 0; c < ds->c; c++) {
        float *dst = x + ((size_t)c * k + i) * plane;
        if (dy || dx || flip)
            put_augmented(b->lut[c], src + c * plane, dst, ds->h, ds->w, dy, dx, flip);
        else
            put_plain(b->lut[c], src + c * plane, dst, (int)plane);
    }
}

/* Shuffled images are scattered over the whole pixel array, so each one is
 * a run of cache misses; asking for the one after next hides most of them. */
static void prefetch_image(const nf_dataset *ds, int image)
{
    const char *p = (const char *)nf_ds_image(ds, image);
    size_t bytes = nf_ds_image_bytes(ds);
    for (size_t off = 0; off < bytes; off += 64) __builtin_prefetch(p + off);
}

int nf_batcher_next(nf_batcher *b, nf_tensor *x, int *labels)
{
    const nf_dataset *ds = b->ds;
    if (x->c != ds->c || x->h != ds->h || x->w != ds->w || x->n < b->batch || !x->data) {
        nf_fail(NF_ERR_ARG, "batch tensor %dx%dx%dx%d does not fit %d images of %dx%dx%d", x->c,
                x->n, x->h, x->w, b->batch, ds->c, ds->h, ds->w);
        return -1;
    }
    int k = b->end - b->pos < b->batch ? b->end - b->pos : b->batch;
    for (int i = 0; i < k; i++) {
        int image = b->order[b->pos + i];
        if (i + 2 < k) prefetch_image(ds, b->order[b->pos + i + 2]);
        put_image(b, image, b->pos + i, i, k, x->data);
        if (labels) labels[i] = ds->labels[image];
    }
    b->last = b->pos;
    b->pos += k;
    return k;
}

const int *nf_batcher_indices(const nf_batcher *b) { return b->order + b->last; }

int nf_batcher_batches(const nf_batcher *b) { return (b->ds->n + b->batch - 1) / b->batch; }

const nf_dataset *nf_batcher_dataset(const nf_batcher *b) { return b->ds; }

int nf_batcher_source(void *batcher, nf_tensor *x, int *labels) { return nf_batcher_next(batcher, x, labels); }
