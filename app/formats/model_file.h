/* The model file (.nfm): one self-contained file holding a trained network
 * (architecture, weights, batchnorm statistics), its input shape, the
 * normalisation of the data set it was trained on, and its class names,
 * with a format version and a CRC-32. docs/model-format.md is the spec.
 * No optimiser state: a model file is for using a network, not for
 * resuming its training. */
#ifndef NF_MODEL_FILE_H
#define NF_MODEL_FILE_H

#include <stddef.h>

#include "datasets/normalize.h"
#include "engine/graph.h"

#define NF_MODEL_VERSION 1
#define NF_MODEL_MAX_CLASSES 65536
#define NF_MODEL_MAX_NAME 255

/* A loaded model. */
typedef struct nf_model {
    nf_graph *graph;     /* checked and laid out; weights and statistics from the file; owned */
    nf_ds_norm norm;     /* (pixel/255 - mean[c]) / std[c] per channel */
    int n_classes;       /* == the graph's output size */
    char **class_names;  /* n_classes NUL-terminated names; owned */
} nf_model;

/* The file's bytes for g (checked and laid out; its batchnorm statistics
 * as they should be used), norm (norm->c == g's input channels) and
 * n_classes names (each 1..255 bytes, no NUL; n_classes == g's output
 * size). *buf is malloc'd; the caller frees it. NF_ERR_ARG on a mismatch. */
nf_status nf_model_encode(const nf_graph *g, const nf_ds_norm *norm, char *const *class_names, int n_classes,
                          unsigned char **buf, size_t *len);

/* nf_model_encode, then written to path (atomically: a reader never sees
 * half a file). */
nf_status nf_model_save(const char *path, const nf_graph *g, const nf_ds_norm *norm, char *const *class_names,
                        int n_classes);

/* Parses buf[0..len), checking every field; source names it in messages.
 * A foreign, damaged, truncated or newer file gives NF_ERR_FORMAT with a
 * detail naming source, the byte offset and what is wrong. The caller owns
 * *out (nf_model_destroy). */
nf_status nf_model_decode(const unsigned char *buf, size_t len, const char *source, nf_model **out);

/* Reads and decodes path. NF_ERR_IO when it cannot be read. */
nf_status nf_model_load(const char *path, nf_model **out);

/* NULL is a no-op. */
void nf_model_destroy(nf_model *m);

#endif
