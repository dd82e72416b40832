#include "datasets/dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static nf_status alloc_names(nf_dataset *ds)
{
    ds->class_names = calloc((size_t)ds->n_classes, sizeof *ds->class_names);
    if (!ds->class_names) return nf_fail(NF_ERR_NOMEM, "cannot allocate %d class names", ds->n_classes);
    for (int k = 0; k < ds->n_classes; k++) {
        char num[16];
        snprintf(num, sizeof num, "%d", k);
        ds->class_names[k] = strdup(num);
        if (!ds->class_names[k]) return nf_fail(NF_ERR_NOMEM, "cannot allocate class names");
    }
    return NF_OK;
}

nf_status nf_ds_create(int n, int c, int h, int w, int n_classes, nf_dataset **out)
{
    *out = NULL;
    if (n < 0 || c < 1 || c > NF_DS_MAX_CHANNELS || h < 1 || w < 1 || n_classes < 1 ||
        n_classes > NF_DS_MAX_CLASSES)
        return nf_fail(NF_ERR_ARG, "bad data set shape: %d images of %dx%dx%d, %d classes", n, c, h,
                       w, n_classes);
    size_t image, total;
    if (!nf_ds_mul((size_t)c * h, (size_t)w, &image) || !nf_ds_mul(image, (size_t)n, &total))
        return nf_fail(NF_ERR_ARG, "data set of %d images of %dx%dx%d is too large", n, c, h, w);
    nf_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) return nf_fail(NF_ERR_NOMEM, "cannot allocate a data set");
    ds->n = n; ds->c = c; ds->h = h; ds->w = w; ds->n_classes = n_classes;
    ds->pixels = calloc(total ? total : 1, 1);
    ds->labels = calloc(n ? (size_t)n : 1, sizeof *ds->labels);
    if (!ds->pixels || !ds->labels) {
        nf_ds_destroy(ds);
        return nf_fail(NF_ERR_NOMEM, "cannot allocate %zu bytes for %d images", total, n);
    }
    nf_status st = alloc_names(ds);
    if (st) { nf_ds_destroy(ds); return st; }
    *out = ds;
    return NF_OK;
}

void nf_ds_destroy(nf_dataset *ds)
{
    if (!ds) return;
    if (ds->class_names)
        for (int k = 0; k < ds->n_classes; k++) free(ds->class_names[k]);
    free(ds->class_names);
    free(ds->pixels);
    free(ds->labels);
    free(ds);
}

nf_status nf_ds_set_class_name(nf_dataset *ds, int k, const char *name)
{
    if (k < 0 || k >= ds->n_classes) return nf_fail(NF_ERR_ARG, "class %d out of range", k);
    char *copy = strdup(name);
    if (!copy) return nf_fail(NF_ERR_NOMEM, "cannot allocate a class name");
    free(ds->class_names[k]);
    ds->class_names[k] = copy;
    return NF_OK;
}

const char *nf_ds_class_name(const nf_dataset *ds, int k)
{
    if (k < 0 || k >= ds->n_classes) return NULL;
    return ds->class_names[k];
}

nf_status nf_ds_subset(const nf_dataset *ds, const int *idx, int count, nf_dataset **out)
{
    nf_dataset *sub;
    nf_status st = nf_ds_create(count, ds->c, ds->h, ds->w, ds->n_classes, &sub);
    if (st) return st;
    size_t bytes = nf_ds_image_bytes(ds);
    for (int i = 0; i < count; i++) {
        if (idx[i] < 0 || idx[i] >= ds->n) {
            nf_ds_destroy(sub);
            return nf_fail(NF_ERR_ARG, "subset index %d out of range [0, %d)", idx[i], ds->n);
        }
        memcpy(sub->pixels + (size_t)i * bytes, nf_ds_image(ds, idx[i]), bytes);
        sub->labels[i] = ds->labels[idx[i]];
    }
    for (int k = 0; k < ds->n_classes && !st; k++) st = nf_ds_set_class_name(sub, k, ds->class_names[k]);
    if (st) { nf_ds_destroy(sub); return st; }
    memcpy(sub->format, ds->format, sizeof sub->format);
    *out = sub;
    return NF_OK;
}

void nf_ds_class_counts(const nf_dataset *ds, int *counts)
{
    memset(counts, 0, (size_t)ds->n_classes * sizeof *counts);
    for (int i = 0; i < ds->n; i++) counts[ds->labels[i]]++;
}

nf_status nf_ds_adopt(int n, int c, int h, int w, int n_classes, uint8_t *pixels, int *labels,
                      nf_dataset **out)
{
    nf_status st = nf_ds_create(0, c, h, w, n_classes, out);
    if (st) { free(pixels); free(labels); return st; }
    free((*out)->pixels);
    free((*out)->labels);
    (*out)->pixels = pixels;
    (*out)->labels = labels;
    (*out)->n = n;
    return NF_OK;
}
