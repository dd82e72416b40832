/* Data set formats, one descriptor each (internal to datasets/).
 *
 * Each format's file (idx.c, cifar.c, pngfolder.c) knows how to recognise
 * its files and how to load them, and exports one nf_ds_format; load.c
 * holds the table and tries the descriptors in order. A new format is one
 * file and one table line. */
#ifndef NF_DS_FORMAT_H
#define NF_DS_FORMAT_H

#include "datasets/load.h"

typedef struct nf_ds_loader {
    const char *name;  /* "idx", "cifar", "png-folder" */
    /* *found = 1 when directory dir holds this format; where (NF_DS_PATH_MAX
     * bytes) receives the directory to load (dir, or the subfolder a format's
     * archive unpacks to). Fails only on errors (NF_ERR_NOMEM, ...). */
    nf_status (*probe_dir)(const char *dir, char *where, int *found);
    nf_status (*load_dir)(const char *dir, const nf_ds_load_options *opt, nf_ds_pair *out);
    /* 1 when base (a file's name) is one file of this format; NULL: none. */
    int (*probe_file)(const char *base);
    /* Loads that one file as a train set. */
    nf_status (*load_file)(const char *path, nf_ds_pair *out);
} nf_ds_loader;

extern const nf_ds_loader nf_ds_idx_loader, nf_ds_cifar_loader, nf_ds_png_loader;

/* The loaders behind the descriptors. */

/* One IDX image file and its label file. n_classes 0 = decide from the
 * labels (10, or the largest label + 1 if larger); otherwise every label
 * must lie in [0, n_classes). */
nf_status nf_ds_load_idx(const char *images, const char *labels, int n_classes, nf_dataset **out);
/* The IDX files in dir (see nf_ds_load); Fashion-MNIST class names when the
 * directory's name says fashion, digits otherwise. */
nf_status nf_ds_load_idx_dir(const char *dir, const nf_ds_load_options *opt, nf_ds_pair *out);
/* One IDX images file (*images-idx3-ubyte[.gz]) and the labels file next to
 * it (the same name with labels-idx1), as nf_ds_load_idx_dir names classes. */
nf_status nf_ds_load_idx_file(const char *images, nf_dataset **out);
/* One CIFAR binary batch file; label_bytes 1 (CIFAR-10) or 2 (CIFAR-100:
 * coarse then fine label, the fine one is used). */
nf_status nf_ds_load_cifar_file(const char *path, int label_bytes, nf_dataset **out);
/* The CIFAR-10 or CIFAR-100 batches in dir. */
nf_status nf_ds_load_cifar_dir(const char *dir, const nf_ds_load_options *opt, nf_ds_pair *out);
/* A folder of PNG class folders (see nf_ds_load). */
nf_status nf_ds_load_png_folder(const char *root, const nf_ds_load_options *opt, nf_ds_pair *out);

#endif
