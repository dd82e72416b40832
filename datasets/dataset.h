/* The in-memory image-classification data set every loader produces and
 * everything downstream (split, normalisation, batches) reads.
 *
 * Pixels are uint8 in [n][C][H][W] order (one image is C*H*W contiguous
 * bytes, one channel of it H*W), labels are class indices in
 * [0, n_classes), and each class has a name (stored with the model). */
#ifndef NF_DS_DATASET_H
#define NF_DS_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "engine/status.h"

#define NF_DS_MAX_CHANNELS 4
#define NF_DS_MAX_CLASSES 65536

typedef struct nf_dataset {
    int n;              /* number of images (0 is allowed in memory, never from a loader) */
    int c, h, w;        /* image shape: channels (1..NF_DS_MAX_CHANNELS), height, width */
    int n_classes;      /* labels lie in [0, n_classes) */
    uint8_t *pixels;    /* n*c*h*w bytes, [n][C][H][W]; owned */
    int *labels;        /* n class indices; owned */
    char **class_names; /* n_classes NUL-terminated names; owned */
    char format[24];    /* "idx", "cifar-10", "cifar-100", "png-folder" */
} nf_dataset;

/* Allocates a data set of n images of shape c x h x w with n_classes
 * classes; pixels and labels zeroed, class names "0", "1", ... Fails with
 * NF_ERR_ARG on a bad shape or a size that overflows, NF_ERR_NOMEM. */
nf_status nf_ds_create(int n, int c, int h, int w, int n_classes, nf_dataset **out);
/* Frees ds and everything it owns; NULL is a no-op. */
void nf_ds_destroy(nf_dataset *ds);

/* Like nf_ds_create, but takes ownership of pixels (n*c*h*w bytes) and
 * labels (n ints) malloc'd by the caller; they are freed even on failure. */
nf_status nf_ds_adopt(int n, int c, int h, int w, int n_classes, uint8_t *pixels, int *labels,
                      nf_dataset **out);
/* Replaces the name of class k (copied). */
nf_status nf_ds_set_class_name(nf_dataset *ds, int k, const char *name);
/* Copies the images idx[0..count) of ds (in that order), with the same
 * classes and format, into a new data set. */
nf_status nf_ds_subset(const nf_dataset *ds, const int *idx, int count, nf_dataset **out);
/* Writes the number of images of each class into counts[0..n_classes). */
void nf_ds_class_counts(const nf_dataset *ds, int *counts);

/* Accessors. */
static inline int nf_ds_count(const nf_dataset *ds) { return ds->n; }
static inline int nf_ds_channels(const nf_dataset *ds) { return ds->c; }
static inline int nf_ds_height(const nf_dataset *ds) { return ds->h; }
static inline int nf_ds_width(const nf_dataset *ds) { return ds->w; }
static inline int nf_ds_classes(const nf_dataset *ds) { return ds->n_classes; }
static inline const char *nf_ds_format(const nf_dataset *ds) { return ds->format; }
static inline size_t nf_ds_image_bytes(const nf_dataset *ds) { return (size_t)ds->c * ds->h * ds->w; }
/* Name of class k, or NULL when k is out of range. */
const char *nf_ds_class_name(const nf_dataset *ds, int k);
/* The C*H*W bytes of image i; i in [0, n). */
static inline const uint8_t *nf_ds_image(const nf_dataset *ds, int i)
{
    return ds->pixels + (size_t)i * nf_ds_image_bytes(ds);
}
static inline int nf_ds_label(const nf_dataset *ds, int i) { return ds->labels[i]; }

/* a*b into *out unless it overflows size_t (then returns 0). */
static inline int nf_ds_mul(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}

#endif
