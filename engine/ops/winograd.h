/* Winograd F(2x2, 3x3) for conv2d: 3x3 kernel, stride 1, "same" padding.
 * Internal to engine/ops/conv2d.c (which adds the bias). */
#ifndef NF_WINOGRAD_H
#define NF_WINOGRAD_H

#include "engine/op.h"

/* Nonzero if the vertex (on in_h x in_w inputs) takes the Winograd path. */
int nf_wino_applies(const nf_vertex *v, int in_h, int in_w, const nf_conv_tuning *t);
/* Scratch floats for a batch of n. */
size_t nf_wino_work_floats(const nf_vertex *v, int n, int in_h, int in_w, const nf_conv_tuning *t);
/* y = conv(x, W), without bias. */
void nf_wino_forward(const nf_op_call *c);
/* grad += dL/dW; dx (if not NULL) += dL/dx. */
void nf_wino_backward(const nf_op_call *c);

#endif
