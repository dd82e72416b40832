#include "engine/bytes.h"

#include <stdlib.h>
#include <string.h>

void nf_put(nf_writer *w, const void *p, size_t n)
{
    if (w->failed) return;
    if (n > w->cap - w->len) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap - w->len < n) {
            if (cap > SIZE_MAX / 2) { w->failed = 1; return; }
            cap *= 2;
        }
        unsigned char *b = realloc(w->buf, cap);
        if (!b) { w->failed = 1; return; }
        w->buf = b;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

void nf_put_u64(nf_writer *w, uint64_t x)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(x >> (8 * i));
    nf_put(w, b, 8);
}

void nf_put_u32(nf_writer *w, uint32_t x)
{
    unsigned char b[4];
    for (int i = 0; i < 4; i++) b[i] = (unsigned char)(x >> (8 * i));
    nf_put(w, b, 4);
}

void nf_put_i32(nf_writer *w, int32_t x) { nf_put_u32(w, (uint32_t)x); }

void nf_put_f32(nf_writer *w, float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    nf_put_u32(w, x);
}

void nf_put_f64(nf_writer *w, double f)
{
    uint64_t x;
    memcpy(&x, &f, 8);
    nf_put_u64(w, x);
}

void nf_put_floats(nf_writer *w, const float *f, size_t n)
{
    nf_put_u64(w, n);
    for (size_t i = 0; i < n; i++) nf_put_f32(w, f[i]);
}

void nf_put_str(nf_writer *w, const char *s)
{
    size_t n = strlen(s);
    nf_put_u32(w, (uint32_t)n);
    nf_put(w, s, n);
}

nf_status nf_writer_finish(nf_writer *w, const char *what, unsigned char **buf, size_t *len)
{
    if (w->failed) {
        free(w->buf);
        *w = (nf_writer){0};
        return nf_fail(NF_ERR_NOMEM, "cannot allocate memory to write %s", what);
    }
    *buf = w->buf;
    *len = w->len;
    return NF_OK;
}

int nf_take(nf_reader *r, void *p, size_t n, const char *field)
{
    if (r->st) return 0;
    if (n > r->len - r->at) {
        r->st = nf_fail(NF_ERR_FORMAT, "%s truncated at byte %zu (reading %s, %zu bytes left)", r->what, r->at,
                        field, r->len - r->at);
        return 0;
    }
    memcpy(p, r->buf + r->at, n);
    r->at += n;
    return 1;
}

uint64_t nf_get_u64(nf_reader *r, const char *field)
{
    unsigned char b[8] = {0};
    nf_take(r, b, 8, field);
    uint64_t x = 0;
    for (int i = 0; i < 8; i++) x |= (uint64_t)b[i] << (8 * i);
    return x;
}

uint32_t nf_get_u32(nf_reader *r, const char *field)
{
    unsigned char b[4] = {0};
    nf_take(r, b, 4, field);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

int32_t nf_get_i32(nf_reader *r, const char *field) { return (int32_t)nf_get_u32(r, field); }

float nf_get_f32(nf_reader *r, const char *field)
{
    uint32_t x = nf_get_u32(r, field);
    float f;
    memcpy(&f, &x, 4);
    return f;
}

double nf_get_f64(nf_reader *r, const char *field)
{
    uint64_t x = nf_get_u64(r, field);
    double f;
    memcpy(&f, &x, 8);
    return f;
}

void nf_get_str(nf_reader *r, char *dst, size_t cap, const char *field)
{
    uint32_t n = nf_get_u32(r, field);
    dst[0] = 0;
    if (r->st) return;
    if (n >= cap) { nf_reader_bad(r, "a text field is too long"); return; }
    if (nf_take(r, dst, n, field)) dst[n] = 0;
    if (memchr(dst, 0, n)) nf_reader_bad(r, "a text field holds a NUL byte");
}

void nf_reader_bad(nf_reader *r, const char *problem)
{
    if (!r->st) r->st = nf_fail(NF_ERR_FORMAT, "%s: %s before byte %zu", r->what, problem, r->at);
}
