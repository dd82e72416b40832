/* A trained network as an ONNX model (opset 13, IR version 8).
 *
 * Input "pixels": float32 [batch, C, H, W] (NCHW), the image's bytes
 * divided by 255, so values in [0, 1]; batch is symbolic. The data set's
 * normalisation is the first two nodes ((x - mean) / std per channel), so
 * a caller never normalises by hand. Outputs: "logits" [batch, classes]
 * and "probabilities" (their softmax). Batchnorm runs with the stored
 * running statistics; dropout is left out (inference). The class names,
 * the normalisation and the nasfit architecture JSON are in the model's
 * metadata ("class_names": one name per line; "normalization";
 * "nasfit_architecture"). */
#ifndef NF_ONNX_EXPORT_H
#define NF_ONNX_EXPORT_H

#include <stddef.h>

#include "datasets/normalize.h"
#include "engine/graph.h"

#define NF_ONNX_OPSET 13

/* The ONNX bytes of g (checked and laid out) with norm (norm->c == g's
 * input channels) and n_classes class names (== g's output size; NULL
 * names: "0", "1", ...). *buf is malloc'd; the caller frees it. */
nf_status nf_onnx_encode(const nf_graph *g, const nf_ds_norm *norm, char *const *class_names, int n_classes,
                         unsigned char **buf, size_t *len);

/* NF_ERR_ARG naming the first op (other than the input) without an ONNX
 * emitter: a new op fails this check (tests/test_onnx*.c) until it has one. */
nf_status nf_onnx_check(void);

/* nf_onnx_encode, written to path. NF_ERR_IO naming the file. */
nf_status nf_model_export_onnx(const nf_graph *g, const nf_ds_norm *norm, char *const *class_names, int n_classes,
                               const char *path);

#endif
