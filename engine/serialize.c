#include "engine/serialize.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/bytes.h"

#define MAGIC "NFGRAPH"   /* 8 bytes with its terminating zero */
#define VERSION 2u /* 2: a step count per parameter (age) instead of one per graph */

/* ==== writing ============================================================ */

static void put_vertex(nf_writer *w, const nf_vertex *v)
{
    nf_put_u32(w, (uint32_t)v->op);
    nf_put_i32(w, v->id);
    nf_put_i32(w, v->nout);
    nf_put_i32(w, v->n_inputs);
    for (int k = 0; k < v->n_inputs; k++) nf_put_i32(w, v->inputs[k]);
    nf_put_i32(w, v->attr.kernel);
    nf_put_i32(w, v->attr.stride);
    nf_put_i32(w, v->attr.bias);
    nf_put_i32(w, (int32_t)v->attr.act);
    nf_put_f32(w, v->attr.alpha);
    nf_put_f32(w, v->attr.rate);
    nf_put_f32(w, v->attr.momentum);
    nf_put_f32(w, v->attr.eps);
}

nf_status nf_graph_serialize(const nf_graph *g, unsigned char **buf, size_t *len)
{
    nf_writer w = {0};
    nf_put(&w, MAGIC, 8);
    nf_put_u32(&w, VERSION);
    nf_put_i32(&w, g->in_c); nf_put_i32(&w, g->in_h); nf_put_i32(&w, g->in_w);
    nf_put_i32(&w, g->next_id);
    nf_put_i32(&w, g->n);
    for (int i = 0; i < g->n; i++) put_vertex(&w, &g->v[i]);
    nf_put_floats(&w, g->param, g->n_param);
    nf_put_floats(&w, g->moment1, g->n_param);
    nf_put_floats(&w, g->moment2, g->n_param);
    nf_put_floats(&w, g->age, g->n_param);
    nf_put_floats(&w, g->state, g->n_state);
    nf_put_floats(&w, g->value, g->n_value);
    return nf_writer_finish(&w, "a graph", buf, len);
}

/* ==== reading ============================================================ */

static void get_floats(nf_reader *r, float *dst, size_t expected, const char *what)
{
    uint64_t n = nf_get_u64(r, what);
    if (!r->st && n != expected) { nf_reader_bad(r, "a buffer size disagrees with the architecture"); return; }
    for (size_t i = 0; i < expected && !r->st; i++) dst[i] = nf_get_f32(r, what);
}

/* A stored vertex takes at least its op, id, nout and input count, 4 bytes each. */
#define VERTEX_MIN_BYTES 16

/* Reads one vertex and appends it to g. */
static void get_vertex(nf_reader *r, nf_graph *g)
{
    nf_op op = (nf_op)nf_get_u32(r, "op");
    int id = nf_get_i32(r, "vertex id"), nout = nf_get_i32(r, "nout"), n_inputs = nf_get_i32(r, "input count");
    if (r->st) return;
    if ((unsigned)op >= NF_OP_COUNT) { nf_reader_bad(r, "unknown op"); return; }
    if (nout < 0 || (size_t)nout > r->len / 4) { nf_reader_bad(r, "impossible neuron count"); return; }
    /* A vertex may read one producer several times (an add of x with x):
     * the count is bounded by the bytes left, each index by the vertex count. */
    if (n_inputs < 0 || (size_t)n_inputs > (r->len - r->at) / 4) { nf_reader_bad(r, "impossible input count"); return; }
    int *inputs = malloc((size_t)(n_inputs + 1) * sizeof(int));
    if (!inputs) { r->st = nf_fail(NF_ERR_NOMEM, "cannot allocate an input list"); return; }
    for (int k = 0; k < n_inputs; k++) inputs[k] = nf_get_i32(r, "input index");
    nf_attr a;
    a.kernel = nf_get_i32(r, "kernel"); a.stride = nf_get_i32(r, "stride"); a.bias = nf_get_i32(r, "bias");
    a.act = (nf_act)nf_get_i32(r, "activation"); a.alpha = nf_get_f32(r, "alpha"); a.rate = nf_get_f32(r, "rate");
    a.momentum = nf_get_f32(r, "momentum"); a.eps = nf_get_f32(r, "eps");
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
    nf_reader r = {.buf = buf, .len = len, .what = "graph data"};
    char magic[8];
    if (nf_take(&r, magic, 8, "magic") && memcmp(magic, MAGIC, 8)) nf_reader_bad(&r, "not nasfit graph data (bad magic)");
    if (!r.st && nf_get_u32(&r, "version") != VERSION) nf_reader_bad(&r, "unsupported format version");
    int c = nf_get_i32(&r, "input shape"), h = nf_get_i32(&r, "input shape"), w = nf_get_i32(&r, "input shape");
    int next_id = nf_get_i32(&r, "next id");
    int n = nf_get_i32(&r, "vertex count");
    if (r.st) return r.st;
    if (n < 2 || (size_t)n > len / VERTEX_MIN_BYTES) { nf_reader_bad(&r, "impossible vertex count"); return r.st; }
    nf_graph *g;
    if (c < 1 || h < 1 || w < 1 || c > NF_IMAGE_MAX_CHANNELS || h > NF_IMAGE_MAX_SIDE || w > NF_IMAGE_MAX_SIDE) {
        nf_reader_bad(&r, "impossible input shape");
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
    if (!r.st && (n_param > len / 16 || n_state > len / 4 || n_value > len / 4))
        nf_reader_bad(&r, "the architecture needs more weights than the data holds");
    nf_rng unused;
    nf_rng_seed(&unused, 0, 0, 0);
    if (!r.st && nf_graph_layout(g, &unused))
        r.st = nf_fail(NF_ERR_NOMEM, "graph data: cannot lay out the weights: %s", nf_last_error());
    if (!r.st) {
        get_floats(&r, g->param, g->n_param, "parameters");
        get_floats(&r, g->moment1, g->n_param, "first moments");
        get_floats(&r, g->moment2, g->n_param, "second moments");
        get_floats(&r, g->age, g->n_param, "parameter ages");
        for (size_t i = 0; i < g->n_param && !r.st; i++)
            if (!(g->age[i] >= 0 && g->age[i] <= NF_AGE_MAX && g->age[i] == floorf(g->age[i])))
                nf_reader_bad(&r, "a parameter age is not a whole number of steps");
        get_floats(&r, g->state, g->n_state, "state");
        get_floats(&r, g->value, g->n_value, "neuron values");
    }
    if (!r.st && r.at != len) nf_reader_bad(&r, "trailing bytes");
    for (int i = 0; i < g->n && !r.st; i++)
        if (g->v[i].id >= next_id || nf_graph_find(g, g->v[i].id) != i) nf_reader_bad(&r, "vertex ids are not unique");
    if (r.st) { nf_graph_destroy(g); return r.st; }
    g->next_id = next_id;
    *out = g;
    return NF_OK;
}
