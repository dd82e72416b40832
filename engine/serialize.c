#include "engine/serialize.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "NFGRAPH"   /* 8 bytes with its terminating zero */
#define VERSION 1u

/* ==== writing ============================================================ */

typedef struct writer {
    unsigned char *buf; /* malloc'd */
    size_t len, cap;
    int failed;         /* an allocation failed; everything after is dropped */
} writer;

static void put(writer *w, const void *p, size_t n)
{
    if (w->failed) return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n) cap *= 2;
        unsigned char *b = realloc(w->buf, cap);
        if (!b) { w->failed = 1; return; }
        w->buf = b;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

/* Integers and floats are written little-endian byte by byte. */
static void put_u64(writer *w, uint64_t x)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(x >> (8 * i));
    put(w, b, 8);
}

static void put_u32(writer *w, uint32_t x)
{
    unsigned char b[4];
    for (int i = 0; i < 4; i++) b[i] = (unsigned char)(x >> (8 * i));
    put(w, b, 4);
}

static void put_i32(writer *w, int32_t x) { put_u32(w, (uint32_t)x); }

static void put_f32(writer *w, float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    put_u32(w, x);
}

static void put_floats(writer *w, const float *f, size_t n)
{
    put_u64(w, n);
    for (size_t i = 0; i < n; i++) put_f32(w, f[i]);
}

static void put_vertex(writer *w, const nf_vertex *v)
{
    put_u32(w, (uint32_t)v->op);
    put_i32(w, v->id);
    put_i32(w, v->nout);
    put_i32(w, v->n_inputs);
    for (int k = 0; k < v->n_inputs; k++) put_i32(w, v->inputs[k]);
    put_i32(w, v->attr.kernel);
    put_i32(w, v->attr.stride);
    put_i32(w, v->attr.bias);
    put_i32(w, (int32_t)v->attr.act);
    put_f32(w, v->attr.alpha);
    put_f32(w, v->attr.rate);
    put_f32(w, v->attr.momentum);
    put_f32(w, v->attr.eps);
}

nf_status nf_graph_serialize(const nf_graph *g, unsigned char **buf, size_t *len)
{
    writer w = {0};
    put(&w, MAGIC, 8);
    put_u32(&w, VERSION);
    put_i32(&w, g->in_c); put_i32(&w, g->in_h); put_i32(&w, g->in_w);
    put_i32(&w, g->next_id);
    put_u64(&w, (uint64_t)g->step);
    put_i32(&w, g->n);
    for (int i = 0; i < g->n; i++) put_vertex(&w, &g->v[i]);
    put_floats(&w, g->param, g->n_param);
    put_floats(&w, g->moment1, g->n_param);
    put_floats(&w, g->moment2, g->n_param);
    put_floats(&w, g->state, g->n_state);
    put_floats(&w, g->value, g->n_value);
    if (w.failed) {
        free(w.buf);
        return nf_fail(NF_ERR_NOMEM, "cannot allocate %zu bytes to serialise a graph", w.cap);
    }
    *buf = w.buf;
    *len = w.len;
    return NF_OK;
}

/* ==== reading ============================================================ */

typedef struct reader {
    const unsigned char *buf;
    size_t len, at;
    nf_status st;   /* first failure; reads after it return zeros */
} reader;

static int take(reader *r, void *p, size_t n, const char *what)
{
    if (r->st) return 0;
    if (n > r->len - r->at) {
        r->st = nf_fail(NF_ERR_FORMAT, "graph data truncated at byte %zu (reading %s, %zu bytes left)",
                        r->at, what, r->len - r->at);
        return 0;
    }
    memcpy(p, r->buf + r->at, n);
    r->at += n;
    return 1;
}

static uint64_t get_u64(reader *r, const char *what)
{
    unsigned char b[8] = {0};
    take(r, b, 8, what);
    uint64_t x = 0;
    for (int i = 0; i < 8; i++) x |= (uint64_t)b[i] << (8 * i);
    return x;
}

static uint32_t get_u32(reader *r, const char *what)
{
    unsigned char b[4] = {0};
    take(r, b, 4, what);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static int32_t get_i32(reader *r, const char *what) { return (int32_t)get_u32(r, what); }

static float get_f32(reader *r, const char *what)
{
    uint32_t x = get_u32(r, what);
    float f;
    memcpy(&f, &x, 4);
    return f;
}

static void bad(reader *r, const char *what)
{
    if (!r->st) r->st = nf_fail(NF_ERR_FORMAT, "graph data: %s before byte %zu", what, r->at);
}

static void get_floats(reader *r, float *dst, size_t expected, const char *what)
{
    uint64_t n = get_u64(r, what);
    if (!r->st && n != expected) { bad(r, "a buffer size disagrees with the architecture"); return; }
    for (size_t i = 0; i < expected && !r->st; i++) dst[i] = get_f32(r, what);
}

/* A stored vertex takes at least its op, id, nout and input count, 4 bytes each. */
#define VERTEX_MIN_BYTES 16

/* Reads one vertex and appends it to g. */
static void get_vertex(reader *r, nf_graph *g)
{
    nf_op op = (nf_op)get_u32(r, "op");
    int id = get_i32(r, "vertex id"), nout = get_i32(r, "nout"), n_inputs = get_i32(r, "input count");
    if (r->st) return;
    if ((unsigned)op >= NF_OP_COUNT) { bad(r, "unknown op"); return; }
    if (nout < 0 || (size_t)nout > r->len / 4) { bad(r, "impossible neuron count"); return; }
    /* A vertex may read one producer several times (an add of x with x):
     * the count is bounded by the bytes left, each index by the vertex count. */
    if (n_inputs < 0 || (size_t)n_inputs > (r->len - r->at) / 4) { bad(r, "impossible input count"); return; }
    int *inputs = malloc((size_t)(n_inputs + 1) * sizeof(int));
    if (!inputs) { r->st = nf_fail(NF_ERR_NOMEM, "cannot allocate an input list"); return; }
    for (int k = 0; k < n_inputs; k++) inputs[k] = get_i32(r, "input index");
    nf_attr a;
    a.kernel = get_i32(r, "kernel"); a.stride = get_i32(r, "stride"); a.bias = get_i32(r, "bias");
    a.act = (nf_act)get_i32(r, "activation"); a.alpha = get_f32(r, "alpha"); a.rate = get_f32(r, "rate");
    a.momentum = get_f32(r, "momentum"); a.eps = get_f32(r, "eps");
    int index;
    nf_status st = r->st ? r->st : nf_graph_append(g, op, &a, nout, inputs, n_inputs, &index);
    if (!r->st && st == NF_ERR_NOMEM) r->st = st; /* out of memory, not a bad format */
    else if (!r->st && st)
        r->st = nf_fail(NF_ERR_FORMAT, "graph data: vertex %d before byte %zu is invalid: %s", g->n, r->at, nf_last_error());
    if (!r->st) g->v[index].id = id;
    free(inputs);
}

nf_status nf_graph_deserialize(const unsigned char *buf, size_t len, nf_graph **out)
{
    *out = NULL;
    reader r = {.buf = buf, .len = len};
    char magic[8];
    if (take(&r, magic, 8, "magic") && memcmp(magic, MAGIC, 8)) bad(&r, "not nasfit graph data (bad magic)");
    if (!r.st && get_u32(&r, "version") != VERSION) bad(&r, "unsupported format version");
    int c = get_i32(&r, "input shape"), h = get_i32(&r, "input shape"), w = get_i32(&r, "input shape");
    int next_id = get_i32(&r, "next id");
    int64_t step = (int64_t)get_u64(&r, "step");
    int n = get_i32(&r, "vertex count");
    if (r.st) return r.st;
    if (n < 2 || (size_t)n > len / VERTEX_MIN_BYTES) { bad(&r, "impossible vertex count"); return r.st; }
    nf_graph *g;
    if (c < 1 || h < 1 || w < 1 || c > NF_IMAGE_MAX_CHANNELS || h > NF_IMAGE_MAX_SIDE || w > NF_IMAGE_MAX_SIDE) {
        bad(&r, "impossible input shape");
        return r.st;
    }
    nf_status created = nf_graph_create(c, h, w, &g);
    if (created) return created; /* out of memory, not a bad format */
    g->n = 0; /* the stored vertex 0 replaces the one made by create */
    free(g->v[0].inputs);
    for (int i = 0; i < n && !r.st; i++) get_vertex(&r, g);
    /* Sizes first: a damaged buffer must not make us allocate what it cannot hold. */
    size_t n_param, n_state, n_value;
    if (!r.st && nf_graph_sizes(g, &n_param, &n_state, &n_value))
        r.st = nf_fail(NF_ERR_FORMAT, "graph data: the architecture is invalid: %s", nf_last_error());
    if (!r.st && (n_param > len / 12 || n_state > len / 4 || n_value > len / 4))
        bad(&r, "the architecture needs more weights than the data holds");
    nf_rng unused;
    nf_rng_seed(&unused, 0, 0, 0);
    if (!r.st && nf_graph_layout(g, &unused))
        r.st = nf_fail(NF_ERR_NOMEM, "graph data: cannot lay out the weights: %s", nf_last_error());
    if (!r.st) {
        get_floats(&r, g->param, g->n_param, "parameters");
        get_floats(&r, g->moment1, g->n_param, "first moments");
        get_floats(&r, g->moment2, g->n_param, "second moments");
        get_floats(&r, g->state, g->n_state, "state");
        get_floats(&r, g->value, g->n_value, "neuron values");
    }
    if (!r.st && r.at != len) bad(&r, "trailing bytes");
    for (int i = 0; i < g->n && !r.st; i++)
        if (g->v[i].id >= next_id || nf_graph_find(g, g->v[i].id) != i) bad(&r, "vertex ids are not unique");
    if (r.st) { nf_graph_destroy(g); return r.st; }
    g->next_id = next_id;
    g->step = step;
    *out = g;
    return NF_OK;
}
