/* Float32 tensors in channel-major layout [C][N][H][W].
 *
 * C = channels (neurons), N = batch, H x W = spatial. A channel is one
 * contiguous block of N*H*W floats, so a convolution is one GEMM over the
 * whole batch, a batchnorm channel is contiguous and a concat along channels
 * is an append of blocks. Dense activations are [C][N][1][1]. */
#ifndef NF_TENSOR_H
#define NF_TENSOR_H

#include <stddef.h>

#include "engine/status.h"

typedef struct nf_tensor {
    int c, n, h, w; /* channels, batch, height, width */
    float *data;    /* c*n*h*w floats, 64-byte aligned; owned unless noted */
} nf_tensor;

/* Allocates t->data for the given shape, zero-filled. */
nf_status nf_tensor_alloc(nf_tensor *t, int c, int n, int h, int w);
/* Frees t->data and zeroes the shape; a zeroed tensor is a harmless no-op. */
void nf_tensor_free(nf_tensor *t);

static inline size_t nf_tensor_count(const nf_tensor *t)
{
    return (size_t)t->c * t->n * t->h * t->w;
}
/* Floats in one channel: N*H*W. */
static inline size_t nf_tensor_plane(const nf_tensor *t) { return (size_t)t->n * t->h * t->w; }

/* 64-byte aligned allocation of bytes (rounded up), NULL on failure; zeroed. */
void *nf_alloc(size_t bytes);
void nf_free(void *p);

#endif
