#include "engine/tensor.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *nf_alloc(size_t bytes)
{
    if (bytes > SIZE_MAX - 63) return NULL; /* rounding up would wrap to a small block */
    size_t rounded = (bytes + 63) & ~(size_t)63;
    if (rounded == 0) rounded = 64;
    void *p = aligned_alloc(64, rounded);
    if (p) memset(p, 0, rounded);
    return p;
}

void nf_free(void *p) { free(p); }

nf_status nf_tensor_alloc(nf_tensor *t, int c, int n, int h, int w)
{
    if (c < 0 || n < 0 || h < 0 || w < 0)
        return nf_fail(NF_ERR_ARG, "tensor shape %dx%dx%dx%d is negative", c, n, h, w);
    t->c = c; t->n = n; t->h = h; t->w = w;
    t->data = nf_alloc(nf_tensor_count(t) * sizeof(float));
    if (!t->data) {
        t->c = t->n = t->h = t->w = 0;
        return nf_fail(NF_ERR_NOMEM, "cannot allocate a %dx%dx%dx%d tensor", c, n, h, w);
    }
    return NF_OK;
}

void nf_tensor_free(nf_tensor *t)
{
    if (!t) return;
    nf_free(t->data);
    memset(t, 0, sizeof *t);
}
