/* The .nfm model file (docs/model-format.md). The fields are written here
 * directly rather than through engine/serialize.c's graph blob: that blob
 * carries optimiser state and neuron values a model file does not need, is
 * an internal format that changes with the engine (its `step` field is
 * being reworked now), and is not documented for third parties. Here the
 * architecture is the same JSON text the run store keeps, and the weights
 * and statistics are plain float32 arrays in a documented order, so a
 * reader in another language needs a JSON parser and nothing else. */
#include "app/formats/model_file.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/formats/arch_json.h"
#include "app/formats/fileio.h"
#include "engine/bytes.h"
#include "datasets/readfile.h"

static const unsigned char MAGIC[8] = {0x89, 'N', 'F', 'M', '\r', '\n', 0x1a, '\n'};

/* Fixed header: magic, version, total length, c, h, w, classes, JSON length. */
#define HEADER_BYTES 36

/* ==== writing ============================================================ */

static nf_status check_save_args(const nf_graph *g, const nf_ds_norm *norm, char *const *names, int n_classes)
{
    if (norm->c != g->in_c || g->in_c > NF_DS_MAX_CHANNELS)
        return nf_fail(NF_ERR_ARG, "the normalisation has %d channels, the network's input %d", norm->c, g->in_c);
    for (int c = 0; c < norm->c; c++)
        if (!isfinite(norm->mean[c]) || !(norm->std[c] > 0) || !isfinite(norm->std[c]))
            return nf_fail(NF_ERR_ARG, "normalisation of channel %d is not usable (mean %g, std %g)", c,
                           norm->mean[c], norm->std[c]);
    if (n_classes != nf_graph_classes(g) || n_classes < 1 || n_classes > NF_MODEL_MAX_CLASSES)
        return nf_fail(NF_ERR_ARG, "%d class names for a network with %d outputs", n_classes, nf_graph_classes(g));
    for (int k = 0; k < n_classes; k++) {
        size_t len = names[k] ? strlen(names[k]) : 0;
        if (len < 1 || len > NF_MODEL_MAX_NAME)
            return nf_fail(NF_ERR_ARG, "class %d: a name must have 1 to %d bytes", k, NF_MODEL_MAX_NAME);
    }
    return NF_OK;
}

nf_status nf_model_encode(const nf_graph *g, const nf_ds_norm *norm, char *const *class_names, int n_classes,
                          unsigned char **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    nf_status st = check_save_args(g, norm, class_names, n_classes);
    char *json = NULL;
    if (st || (st = nf_arch_to_json(g, &json))) return st;
    size_t json_len = strlen(json), total = HEADER_BYTES + json_len + 8 * (size_t)norm->c + 4;
    for (int k = 0; k < n_classes; k++) total += 4 + strlen(class_names[k]);
    total += 8 + 4 * g->n_param + 8 + 4 * g->n_state + 4;
    nf_writer w = {0};
    nf_put(&w, MAGIC, 8);
    nf_put_u32(&w, NF_MODEL_VERSION);
    nf_put_u64(&w, total);
    nf_put_u32(&w, (uint32_t)g->in_c);
    nf_put_u32(&w, (uint32_t)g->in_h);
    nf_put_u32(&w, (uint32_t)g->in_w);
    nf_put_u32(&w, (uint32_t)json_len);
    nf_put(&w, json, json_len);
    for (int c = 0; c < norm->c; c++) nf_put_f32(&w, norm->mean[c]);
    for (int c = 0; c < norm->c; c++) nf_put_f32(&w, norm->std[c]);
    nf_put_u32(&w, (uint32_t)n_classes);
    for (int k = 0; k < n_classes; k++) {
        nf_put_u32(&w, (uint32_t)strlen(class_names[k]));
        nf_put(&w, class_names[k], strlen(class_names[k]));
    }
    nf_put_floats(&w, g->param, g->n_param);
    nf_put_floats(&w, g->state, g->n_state);
    if (!w.failed) nf_put_u32(&w, nf_ds_crc32(w.buf, w.len));
    free(json);
    return nf_writer_finish(&w, "a model file", buf, len);
}

nf_status nf_model_save(const char *path, const nf_graph *g, const nf_ds_norm *norm, char *const *class_names,
                        int n_classes)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    nf_status st = nf_model_encode(g, norm, class_names, n_classes, &buf, &len);
    return nf_file_write_encoded(path, st, buf, len);
}

/* ==== reading ============================================================ */

typedef struct reader {
    const unsigned char *p;
    size_t len;          /* bytes covered by fields (the checksum excluded) */
    size_t at;           /* next byte to read */
    const char *source;  /* names the file in messages */
} reader;

/* The n bytes at the cursor, or NULL (with the detail recorded) when the
 * file ends first. */
static const unsigned char *take(reader *r, size_t n, const char *what)
{
    if (n > r->len - r->at) {
        nf_fail(NF_ERR_FORMAT, "%s: offset %zu: %s needs %zu bytes, %zu left", r->source, r->at, what, n,
                r->len - r->at);
        return NULL;
    }
    const unsigned char *q = r->p + r->at;
    r->at += n;
    return q;
}

static uint32_t le32(const unsigned char *b)
{
    return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t le64(const unsigned char *b) { return le32(b) | (uint64_t)le32(b + 4) << 32; }

static float lef32(const unsigned char *b)
{
    uint32_t u = le32(b);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* A u32 field in [min, max]. */
static nf_status get_u32(reader *r, const char *what, uint32_t min, uint32_t max, uint32_t *out)
{
    size_t at = r->at;
    const unsigned char *b = take(r, 4, what);
    if (!b) return NF_ERR_FORMAT;
    *out = le32(b);
    if (*out < min || *out > max)
        return nf_fail(NF_ERR_FORMAT, "%s: offset %zu: %s is %u, expected %u to %u", r->source, at, what, *out,
                       min, max);
    return NF_OK;
}

/* Magic, version, total length and checksum: a foreign, newer, truncated or
 * damaged file stops here, before any field is believed. */
static nf_status check_envelope(reader *r, size_t file_len)
{
    if (file_len < 8 || memcmp(r->p, MAGIC, 8))
        return nf_fail(NF_ERR_FORMAT, "%s: offset 0: not a nasfit model file (no .nfm signature)", r->source);
    if (file_len < 20)
        return nf_fail(NF_ERR_FORMAT, "%s: offset %zu: truncated inside the header", r->source, file_len);
    uint32_t version = le32(r->p + 8);
    if (version != NF_MODEL_VERSION)
        return nf_fail(NF_ERR_FORMAT, "%s: offset 8: format version %u; this nasfit reads version %d%s", r->source,
                       version, NF_MODEL_VERSION, version > NF_MODEL_VERSION ? " (written by a newer nasfit)" : "");
    uint64_t total = le64(r->p + 12);
    if (total != file_len)
        return nf_fail(NF_ERR_FORMAT, "%s: offset %zu: the file %s (%zu bytes, the header at offset 12 says %llu)",
                       r->source, file_len < total ? file_len : (size_t)total,
                       file_len < total ? "is truncated" : "has bytes past its end", file_len,
                       (unsigned long long)total);
    if (file_len < HEADER_BYTES + 4)
        return nf_fail(NF_ERR_FORMAT, "%s: offset 12: length %zu is too short for a model", r->source, file_len);
    r->len = file_len - 4;
    uint32_t stored = le32(r->p + r->len), computed = nf_ds_crc32(r->p, r->len);
    if (stored != computed)
        return nf_fail(NF_ERR_FORMAT, "%s: offset %zu: checksum mismatch (stored CRC-32 %08x, bytes 0-%zu give %08x): "
                       "the file is damaged", r->source, r->len, stored, r->len - 1, computed);
    r->at = 20;
    return NF_OK;
}

/* The JSON architecture, built into a graph of the header's input shape. */
static nf_status read_graph(reader *r, nf_model *m)
{
    uint32_t c, h, w, json_len;
    nf_status st;
    if ((st = get_u32(r, "input channels", 1, NF_DS_MAX_CHANNELS, &c)) ||
        (st = get_u32(r, "input height", 1, 65535, &h)) || (st = get_u32(r, "input width", 1, 65535, &w)) ||
        (st = get_u32(r, "architecture length", 2, UINT32_MAX, &json_len)))
        return st;
    size_t at = r->at;
    const unsigned char *text = take(r, json_len, "the architecture");
    char *json = text ? malloc((size_t)json_len + 1) : NULL;
    if (!text) return NF_ERR_FORMAT;
    if (!json) return nf_fail(NF_ERR_NOMEM, "%s: out of memory", r->source);
    memcpy(json, text, json_len);
    json[json_len] = 0;
    char name[600];
    snprintf(name, sizeof name, "%s: offset %zu: architecture", r->source, at);
    nf_rng rng; /* every weight is overwritten from the file */
    nf_rng_seed(&rng, 0, 0, NF_RNG_INIT);
    /* What the rest of the file can hold bounds the graph before its
     * buffers are allocated: a few KB must not declare 1 GiB of weights. */
    const nf_arch_read how = {.source = name, .rng = &rng, .max_floats = (r->len - r->at) / 4 + 1};
    if (strlen(json) != json_len) st = nf_fail(NF_ERR_FORMAT, "%s: holds a NUL byte", name);
    else st = nf_arch_read_json(json, &how, &m->graph);
    free(json);
    if (st) return st;
    nf_graph *g = m->graph;
    if ((uint32_t)g->in_c != c || (uint32_t)g->in_h != h || (uint32_t)g->in_w != w)
        return nf_fail(NF_ERR_FORMAT, "%s: input %dx%dx%d differs from the header's %ux%ux%u (offset 20)", name,
                       g->in_c, g->in_h, g->in_w, c, h, w);
    return NF_OK;
}

static nf_status read_norm(reader *r, nf_model *m)
{
    int c = m->graph->in_c;
    size_t at = r->at;
    const unsigned char *b = take(r, 8 * (size_t)c, "the normalisation");
    if (!b) return NF_ERR_FORMAT;
    m->norm = nf_ds_norm_identity(c);
    for (int k = 0; k < c; k++) {
        m->norm.mean[k] = lef32(b + 4 * k);
        m->norm.std[k] = lef32(b + 4 * (c + k));
        if (!isfinite(m->norm.mean[k]) || !isfinite(m->norm.std[k]) || !(m->norm.std[k] > 0))
            return nf_fail(NF_ERR_FORMAT, "%s: offset %zu: channel %d's normalisation (mean %g, std %g) is not usable",
                           r->source, at, k, m->norm.mean[k], m->norm.std[k]);
    }
    return NF_OK;
}

static nf_status read_classes(reader *r, nf_model *m)
{
    uint32_t n, len;
    size_t at = r->at;
    nf_status st = get_u32(r, "class count", 1, NF_MODEL_MAX_CLASSES, &n);
    if (st) return st;
    if ((int)n != nf_graph_classes(m->graph))
        return nf_fail(NF_ERR_FORMAT, "%s: offset %zu: %u class names for a network with %d outputs", r->source, at, n,
                       nf_graph_classes(m->graph));
    m->class_names = calloc(n, sizeof *m->class_names);
    if (!m->class_names) return nf_fail(NF_ERR_NOMEM, "%s: out of memory", r->source);
    m->n_classes = (int)n;
    for (uint32_t k = 0; k < n; k++) {
        if ((st = get_u32(r, "class name length", 1, NF_MODEL_MAX_NAME, &len))) return st;
        at = r->at;
        const unsigned char *b = take(r, len, "a class name");
        if (!b) return NF_ERR_FORMAT;
        if (memchr(b, 0, len)) return nf_fail(NF_ERR_FORMAT, "%s: offset %zu: class name %u holds a NUL byte", r->source, at, k);
        if (!(m->class_names[k] = malloc(len + 1))) return nf_fail(NF_ERR_NOMEM, "%s: out of memory", r->source);
        memcpy(m->class_names[k], b, len);
        m->class_names[k][len] = 0;
    }
    return NF_OK;
}

/* A float array whose count must equal `expect`; every value finite. */
static nf_status read_floats(reader *r, const char *what, size_t expect, float *dst)
{
    size_t at = r->at;
    const unsigned char *b = take(r, 8, what);
    if (!b) return NF_ERR_FORMAT;
    uint64_t n = le64(b);
    if (n != expect)
        return nf_fail(NF_ERR_FORMAT, "%s: offset %zu: %llu %s, the architecture has %zu", r->source, at,
                       (unsigned long long)n, what, expect);
    at = r->at;
    if (!(b = take(r, 4 * (size_t)n, what))) return NF_ERR_FORMAT;
    for (size_t i = 0; i < n; i++) {
        dst[i] = lef32(b + 4 * i);
        if (!isfinite(dst[i]))
            return nf_fail(NF_ERR_FORMAT, "%s: offset %zu: %s value %zu is not finite", r->source, at + 4 * i, what, i);
    }
    return NF_OK;
}

/* Running variances must be positive or the model divides by ~0. */
static nf_status check_state(const reader *r, const nf_graph *g, size_t state_at)
{
    for (int i = 0; i < g->n; i++) {
        const nf_vertex *v = &g->v[i];
        if (v->op != NF_OP_BATCHNORM) continue;
        for (int k = 0; k < v->nout; k++)
            if (g->state[v->state_off + v->nout + k] < 0)
                return nf_fail(NF_ERR_FORMAT, "%s: offset %zu: batchnorm id %d: running variance %d is negative",
                               r->source, state_at + 8 + 4 * (v->state_off + v->nout + k), v->id, k);
    }
    return NF_OK;
}

static nf_status read_all(reader *r, nf_model *m)
{
    nf_status st;
    if ((st = read_graph(r, m)) || (st = read_norm(r, m)) || (st = read_classes(r, m)) ||
        (st = read_floats(r, "parameters", m->graph->n_param, m->graph->param)))
        return st;
    size_t state_at = r->at;
    if ((st = read_floats(r, "statistics", m->graph->n_state, m->graph->state)) ||
        (st = check_state(r, m->graph, state_at)))
        return st;
    if (r->at != r->len)
        return nf_fail(NF_ERR_FORMAT, "%s: offset %zu: %zu unexpected bytes before the checksum", r->source, r->at,
                       r->len - r->at);
    return NF_OK;
}

nf_status nf_model_decode(const unsigned char *buf, size_t len, const char *source, nf_model **out)
{
    *out = NULL;
    reader r = {.p = buf, .len = len, .source = source ? source : "model"};
    nf_status st = check_envelope(&r, len);
    if (st) return st;
    nf_model *m = calloc(1, sizeof *m);
    if (!m) return nf_fail(NF_ERR_NOMEM, "%s: out of memory", r.source);
    if ((st = read_all(&r, m))) { nf_model_destroy(m); return st; }
    *out = m;
    return NF_OK;
}

nf_status nf_model_load(const char *path, nf_model **out)
{
    unsigned char *buf;
    size_t len;
    *out = NULL;
    nf_status st = nf_file_read(path, &buf, &len);
    if (st) return st;
    st = nf_model_decode(buf, len, path, out);
    free(buf);
    return st;
}

void nf_model_destroy(nf_model *m)
{
    if (!m) return;
    for (int k = 0; k < m->n_classes; k++) free(m->class_names[k]);
    free(m->class_names);
    nf_graph_destroy(m->graph);
    free(m);
}
