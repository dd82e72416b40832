/* Loading data sets from disk: IDX (plain or .gz), CIFAR-10/100 binary
 * batches, folders of PNG images (one sub-folder per class).
 *
 * nf_ds_load() is the one entry point the rest of nasfit uses; it
 * recognises the format from what the spec names. Every malformed input
 * fails with NF_ERR_IO or NF_ERR_FORMAT and a detail (nf_last_error())
 * naming the file and what is wrong; nothing is ever partially loaded. */
#ifndef NF_DS_LOAD_H
#define NF_DS_LOAD_H

#include "datasets/dataset.h"
#include "engine/image_limits.h"

/* The largest image side a loader accepts (PNG width or height, IDX rows
 * or columns, a fixed crop size): the engine's limit, NF_IMAGE_MAX_SIDE. */
#define NF_DS_MAX_SIDE NF_IMAGE_MAX_SIDE

/* What the names "fashion-mnist", "" and NULL stand for. */
#define NF_DS_DEFAULT_PATH "/usr/share/datasets/fashion-mnist"

typedef struct nf_ds_load_options {
    int height, width; /* PNG folders: every image centre-cropped/padded to this size;
                          0x0 = all images must share one size. IDX and CIFAR
                          images keep their size (the option is ignored) */
    int load_test;     /* also load the test set where the format has one (default 1) */
} nf_ds_load_options;

/* The defaults: no fixed size, test set loaded. */
nf_ds_load_options nf_ds_load_defaults(void);

/* A loaded data set: the training file(s) and, where the format has one,
 * the test set (NULL otherwise). Both owned. */
typedef struct nf_ds_pair {
    nf_dataset *train;
    nf_dataset *test;
} nf_ds_pair;

/* Loads spec: NULL, "" or "fashion-mnist" (NF_DS_DEFAULT_PATH); a directory
 * holding IDX files (*train-images-idx3-ubyte[.gz] with its labels and
 * t10k-/test- counterparts), CIFAR-10 batches (data_batch_N.bin,
 * test_batch.bin), CIFAR-100 (train.bin, test.bin) or class folders of PNG
 * images (root/<class>/<image>.png, or root/train/<class> and root/test/<class>);
 * (also one level down in cifar-10-batches-bin/ or cifar-100-binary/, as the
 * archives unpack); or one file (*-images-idx3-ubyte[.gz] next to its labels, or a CIFAR
 * .bin), which gives a train set only. opt NULL means the defaults.
 * The test set has the train set's shape and classes. */
nf_status nf_ds_load(const char *spec, const nf_ds_load_options *opt, nf_ds_pair *out);
/* Frees both sets and zeroes the pair; NULL is a no-op. */
void nf_ds_pair_free(nf_ds_pair *pair);

#endif
