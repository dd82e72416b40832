/* Little-endian byte buffers for nasfit's binary formats (graph blobs,
 * candidates): a growing writer, and a bounds-checked reader that records
 * the first failure with its offset and reads zeros after it. */
#ifndef NF_BYTES_H
#define NF_BYTES_H

#include <stddef.h>
#include <stdint.h>

#include "engine/status.h"

typedef struct nf_writer {
    unsigned char *buf; /* malloc'd; the caller takes it when done */
    size_t len, cap;
    int failed;         /* an allocation failed; everything after is dropped */
} nf_writer;

void nf_put(nf_writer *w, const void *p, size_t n);
void nf_put_u32(nf_writer *w, uint32_t x);
void nf_put_u64(nf_writer *w, uint64_t x);
void nf_put_i32(nf_writer *w, int32_t x);
void nf_put_f32(nf_writer *w, float f);
void nf_put_f64(nf_writer *w, double f);
/* A count then the floats. */
void nf_put_floats(nf_writer *w, const float *f, size_t n);
/* A u32 length then the bytes of s (no terminator). */
void nf_put_str(nf_writer *w, const char *s);
/* Hands over the buffer, or frees it and fails (NF_ERR_NOMEM naming what). */
nf_status nf_writer_finish(nf_writer *w, const char *what, unsigned char **buf, size_t *len);

typedef struct nf_reader {
    const unsigned char *buf;
    size_t len, at;
    const char *what; /* what is read, for messages ("graph data") */
    nf_status st;     /* first failure; reads after it return zeros */
} nf_reader;

/* Copies n bytes to p; a read past the end fails with the offset. */
int nf_take(nf_reader *r, void *p, size_t n, const char *field);
uint32_t nf_get_u32(nf_reader *r, const char *field);
uint64_t nf_get_u64(nf_reader *r, const char *field);
int32_t nf_get_i32(nf_reader *r, const char *field);
float nf_get_f32(nf_reader *r, const char *field);
double nf_get_f64(nf_reader *r, const char *field);
/* A string written by nf_put_str into dst (cap bytes with the terminator). */
void nf_get_str(nf_reader *r, char *dst, size_t cap, const char *field);
/* Records "<what>: <problem> before byte <at>" unless a failure is recorded. */
void nf_reader_bad(nf_reader *r, const char *problem);

#endif
