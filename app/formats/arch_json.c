/* Architecture <-> JSON with jansson (libjansson-dev): a small, stable C
 * library in Debian main with a plain DOM API, strict parsing (duplicate
 * keys rejected on request) and line/column error positions. */
#include "app/formats/arch_json.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/formats/fileio.h"
#include "engine/op.h"

#define ARCH_FORMAT "nasfit-architecture"
#define ARCH_VERSION 1
#define MAX_VERTICES 10000
#define MAX_SIDE NF_IMAGE_MAX_SIDE
#define MAX_NOUT 65536
#define MAX_PARAMS ((size_t)1 << 28)
/* An architecture file: 10 000 vertices take about 2 MB; anything far
 * beyond is not one (and jansson needs ~10x the text in memory). */
#define MAX_FILE_BYTES ((size_t)64 << 20)

/* ==== writing ============================================================ */

/* The shortest decimal that reads back as f, as a double (so it prints as
 * "0.01", not 0.0099999997764825821). */
static double short_real(float f)
{
    char buf[32];
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, (double)f);
        if (strtof(buf, NULL) == f) break;
    }
    return strtod(buf, NULL);
}

static int put(json_t *o, const char *key, json_t *value) { return json_object_set_new(o, key, value); }

static json_t *attr_json(const nf_attr *a, const nf_attr_desc *d)
{
    double x = nf_attr_get(a, d);
    switch (d->type) {
    case NF_ATTR_BOOL: return json_boolean(x != 0);
    case NF_ATTR_REAL: return json_real(short_real((float)x));
    case NF_ATTR_ACT: return json_string(nf_act_name((nf_act)x));
    default: return json_integer((json_int_t)x);
    }
}

/* The op's own attributes, as its table entry lists them. */
static int put_attributes(json_t *o, const nf_vertex *v)
{
    int bad = 0;
    for (const nf_attr_desc *d = nf_op_def_of(v->op)->attrs; d->key; d++)
        if (!d->applies || d->applies(&v->attr)) bad |= put(o, d->key, attr_json(&v->attr, d));
    return bad;
}

static json_t *vertex_json(const nf_graph *g, int i)
{
    const nf_vertex *v = &g->v[i];
    json_t *o = json_object(), *inputs = json_array();
    if (!o || !inputs) { json_decref(o); json_decref(inputs); return NULL; }
    int bad = put(o, "id", json_integer(v->id));
    bad |= put(o, "op", json_string(nf_op_name(v->op)));
    for (int k = 0; k < v->n_inputs; k++) bad |= json_array_append_new(inputs, json_integer(g->v[v->inputs[k]].id));
    bad |= put(o, "inputs", inputs);
    bad |= put(o, "nout", json_integer(v->nout));
    bad |= put_attributes(o, v);
    bad |= put(o, "h", json_integer(v->h));
    bad |= put(o, "w", json_integer(v->w));
    const nf_op_def *d = nf_op_def_of(v->op);
    bad |= put(o, "parameters", json_integer(d->n_param ? (json_int_t)d->n_param(v) : 0));
    if (bad) { json_decref(o); return NULL; }
    return o;
}

/* A growing text. */
typedef struct text {
    char *p;
    size_t len, cap;
    int failed;
} text;

static void append(text *t, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (!s) t->failed = 1;
    if (t->failed) return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = (t->len + n + 1) * 2;
        char *p = realloc(t->p, cap);
        if (!p) { t->failed = 1; return; }
        t->p = p;
        t->cap = cap;
    }
    memcpy(t->p + t->len, s, n + 1);
    t->len += n;
}

/* value as one line of JSON, appended; value is released. */
static void append_json(text *t, json_t *value)
{
    char *s = value ? json_dumps(value, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9) | JSON_ENCODE_ANY) : NULL;
    append(t, s);
    free(s);
    json_decref(value);
}

/* One vertex per line: a person reads the network top to bottom, and a
 * line diff of two candidates shows what a mutation changed. */
nf_status nf_arch_to_json(const nf_graph *g, char **json)
{
    *json = NULL;
    text t = {0};
    size_t params = 0;
    for (int i = 0; i < g->n; i++) {
        const nf_op_def *d = nf_op_def_of(g->v[i].op);
        params += d->n_param ? d->n_param(&g->v[i]) : 0;
    }
    char head[256];
    snprintf(head, sizeof head,
             "{\n  \"format\": \"%s\",\n  \"version\": %d,\n"
             "  \"input\": {\"channels\": %d, \"height\": %d, \"width\": %d},\n"
             "  \"parameters\": %zu,\n  \"vertices\": [\n",
             ARCH_FORMAT, ARCH_VERSION, g->in_c, g->in_h, g->in_w, params);
    append(&t, head);
    for (int i = 0; i < g->n; i++) {
        append(&t, "    ");
        append_json(&t, vertex_json(g, i));
        append(&t, i + 1 < g->n ? ",\n" : "\n");
    }
    append(&t, "  ]\n}\n");
    if (t.failed) { free(t.p); return nf_fail(NF_ERR_NOMEM, "cannot write the architecture as JSON"); }
    *json = t.p;
    return NF_OK;
}

/* ==== reading ============================================================ */

/* What the reader needs while it walks the vertices. */
typedef struct reader {
    const char *source; /* names the text in messages */
    size_t max_floats;  /* parameters + statistics the caller has room for; 0: any up to MAX_PARAMS */
    nf_graph *g;        /* being built */
    int max_id;         /* largest id seen */
} reader;

/* An integer member in [min, max]; a missing one is allowed (and *out kept) when missing_ok. */
static nf_status get_int(const reader *r, json_t *o, const char *where, const char *key, long min, long max,
                         int missing_ok, int *out)
{
    json_t *x = json_object_get(o, key);
    if (!x) return missing_ok ? NF_OK : nf_fail(NF_ERR_FORMAT, "%s: %s: \"%s\" is missing", r->source, where, key);
    if (!json_is_integer(x) || json_integer_value(x) < min || json_integer_value(x) > max)
        return nf_fail(NF_ERR_FORMAT, "%s: %s: \"%s\" must be an integer from %ld to %ld", r->source, where, key,
                       min, max);
    *out = (int)json_integer_value(x);
    return NF_OK;
}

/* Rejects keys outside the common ones and the op's own. */
static nf_status check_keys(const reader *r, json_t *o, const char *where, const nf_attr_desc *attrs)
{
    static const char *const common[] = {"id", "op", "inputs", "nout", "h", "w", "parameters"};
    const char *key;
    json_t *value;
    json_object_foreach(o, key, value) {
        int known = 0;
        for (size_t k = 0; k < sizeof common / sizeof *common; k++) known |= !strcmp(key, common[k]);
        for (const nf_attr_desc *d = attrs; d->key; d++) known |= !strcmp(key, d->key);
        if (!known) return nf_fail(NF_ERR_FORMAT, "%s: %s: unknown key \"%.50s\"", r->source, where, key);
    }
    return NF_OK;
}

static nf_status parse_op(const reader *r, json_t *o, const char *where, nf_op *op)
{
    const char *name = json_string_value(json_object_get(o, "op"));
    if (!name) return nf_fail(NF_ERR_FORMAT, "%s: %s: \"op\" is missing or not a string", r->source, where);
    char known[256] = "";
    for (int k = 0; k < NF_OP_COUNT; k++) {
        if (!strcmp(name, nf_op_name((nf_op)k))) { *op = (nf_op)k; return NF_OK; }
        if (k != NF_OP_INPUT) snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", known[0] ? ", " : "", nf_op_name((nf_op)k));
    }
    return nf_fail(NF_ERR_FORMAT, "%s: %s: unknown op \"%.40s\" (%s)", r->source, where, name, known);
}

static nf_status parse_activation(const reader *r, json_t *x, const char *where, const nf_attr_desc *d, double *out)
{
    const char *name = json_string_value(x);
    for (int k = 0; name && k < NF_ACT_COUNT; k++)
        if (!strcmp(name, nf_act_name((nf_act)k))) { *out = k; return NF_OK; }
    if (!name) return nf_fail(NF_ERR_FORMAT, "%s: %s: \"%s\" is not a string", r->source, where, d->key);
    return nf_fail(NF_ERR_FORMAT, "%s: %s: unknown activation \"%.40s\" (identity, relu, leaky_relu, elu, selu, "
                   "sigmoid, tanh)", r->source, where, name);
}

/* One attribute's value, checked against its range. */
static nf_status parse_value(const reader *r, json_t *x, const char *where, const nf_attr_desc *d, double *out)
{
    switch (d->type) {
    case NF_ATTR_ACT: return parse_activation(r, x, where, d, out);
    case NF_ATTR_BOOL:
        if (!json_is_boolean(x)) return nf_fail(NF_ERR_FORMAT, "%s: %s: \"%s\" must be true or false", r->source, where, d->key);
        *out = json_is_true(x);
        return NF_OK;
    case NF_ATTR_INT:
        if (!json_is_integer(x) || json_integer_value(x) < d->min || json_integer_value(x) > d->max)
            return nf_fail(NF_ERR_FORMAT, "%s: %s: \"%s\" must be an integer from %g to %g", r->source, where, d->key,
                           d->min, d->max);
        *out = (double)json_integer_value(x);
        return NF_OK;
    default:
        *out = json_number_value(x);
        if (!json_is_number(x) || !(*out >= d->min && *out <= d->max))
            return nf_fail(NF_ERR_FORMAT, "%s: %s: \"%s\" must be a number from %g to %g", r->source, where, d->key,
                           d->min, d->max);
        return NF_OK;
    }
}

/* The op's own attributes, as its table entry lists them, over the defaults. */
static nf_status parse_attr(const reader *r, json_t *o, const char *where, nf_op op, nf_attr *a)
{
    const nf_attr_desc *attrs = nf_op_def_of(op)->attrs;
    nf_status st = check_keys(r, o, where, attrs);
    for (const nf_attr_desc *d = attrs; d->key && !st; d++) {
        json_t *x = json_object_get(o, d->key);
        double value = d->fallback;
        if (!x && d->required) return nf_fail(NF_ERR_FORMAT, "%s: %s: \"%s\" is missing", r->source, where, d->key);
        if (x) st = parse_value(r, x, where, d, &value);
        if (!st && !isnan(value)) nf_attr_set(a, d, value);
    }
    return st;
}

/* Producer ids into indices of vertices already read. */
static nf_status parse_inputs(const reader *r, json_t *o, const char *where, int *idx, int *count)
{
    json_t *in = json_object_get(o, "inputs");
    if (!json_is_array(in) || json_array_size(in) < 1 || json_array_size(in) > 64)
        return nf_fail(NF_ERR_FORMAT, "%s: %s: \"inputs\" must be a list of 1 to 64 vertex ids", r->source, where);
    *count = (int)json_array_size(in);
    for (int k = 0; k < *count; k++) {
        json_t *x = json_array_get(in, (size_t)k);
        json_int_t id = json_is_integer(x) ? json_integer_value(x) : -1;
        idx[k] = id >= 0 && id <= r->max_id ? nf_graph_find(r->g, (int)id) : -1;
        if (idx[k] < 0)
            return nf_fail(NF_ERR_FORMAT, "%s: %s: input %d is not the id of an earlier vertex", r->source, where, k);
    }
    return NF_OK;
}

static nf_status parse_vertex(reader *r, json_t *o, int i)
{
    char where[48];
    snprintf(where, sizeof where, "vertex %d", i);
    if (!json_is_object(o)) return nf_fail(NF_ERR_FORMAT, "%s: %s is not an object", r->source, where);
    int id = 0, nout = 0, idx[64], n_in = 0;
    nf_op op;
    nf_status st;
    if ((st = get_int(r, o, where, "id", 0, 1 << 30, 0, &id))) return st;
    snprintf(where, sizeof where, "vertex %d (id %d)", i, id);
    if (nf_graph_find(r->g, id) >= 0) return nf_fail(NF_ERR_FORMAT, "%s: %s: the id is used twice", r->source, where);
    if ((st = parse_op(r, o, where, &op))) return st;
    if (op == NF_OP_INPUT)
        return nf_fail(NF_ERR_FORMAT, "%s: %s: only the first vertex may be the input", r->source, where);
    nf_attr a = nf_attr_default();
    int layer = nf_op_def_of(op)->kind == NF_KIND_LAYER;
    if ((st = parse_attr(r, o, where, op, &a)) || (st = parse_inputs(r, o, where, idx, &n_in)) ||
        (st = get_int(r, o, where, "nout", 1, MAX_NOUT, !layer, &nout)))
        return st;
    int at;
    if ((st = nf_graph_append(r->g, op, &a, nout, idx, n_in, &at)))
        return nf_fail(st, "%s: %s: %s", r->source, where, nf_last_error());
    r->g->v[at].id = id;
    r->g->v[at].nout = nout; /* for non-layers: the claim, checked after nf_graph_check */
    if (id > r->max_id) r->max_id = id;
    return NF_OK;
}

static nf_status parse_input(reader *r, json_t *root)
{
    json_t *in = json_object_get(root, "input");
    if (!json_is_object(in)) return nf_fail(NF_ERR_FORMAT, "%s: \"input\" is missing or not an object", r->source);
    int c = 0, h = 0, w = 0;
    nf_status st;
    if ((st = get_int(r, in, "input", "channels", 1, 4096, 0, &c)) ||
        (st = get_int(r, in, "input", "height", 1, MAX_SIDE, 0, &h)) ||
        (st = get_int(r, in, "input", "width", 1, MAX_SIDE, 0, &w)))
        return st;
    if ((st = nf_graph_create(c, h, w, &r->g))) {
        char detail[512];
        snprintf(detail, sizeof detail, "%s", nf_last_error());
        return nf_fail(st, "%s: \"input\": %s", r->source, detail);
    }
    json_t *v0 = json_array_get(json_object_get(root, "vertices"), 0);
    int id = 0, nout = c;
    nf_op op = NF_OP_INPUT;
    if (!json_is_object(v0)) return nf_fail(NF_ERR_FORMAT, "%s: \"vertices\" is missing, empty or not a list of objects", r->source);
    if ((st = parse_op(r, v0, "vertex 0", &op)) || (st = check_keys(r, v0, "vertex 0", nf_op_no_attrs)) ||
        (st = get_int(r, v0, "vertex 0", "id", 0, 1 << 30, 0, &id)) ||
        (st = get_int(r, v0, "vertex 0", "nout", 1, 4096, 1, &nout)))
        return st;
    if (op != NF_OP_INPUT) return nf_fail(NF_ERR_FORMAT, "%s: vertex 0 must be the input", r->source);
    json_t *in0 = json_object_get(v0, "inputs");
    if (in0 && (!json_is_array(in0) || json_array_size(in0)))
        return nf_fail(NF_ERR_FORMAT, "%s: vertex 0: the input has no inputs (\"inputs\": [])", r->source);
    if (nout != c)
        return nf_fail(NF_ERR_FORMAT, "%s: vertex 0: nout %d differs from the input's %d channels", r->source, nout, c);
    r->g->v[0].id = id;
    r->max_id = id;
    return NF_OK;
}

static nf_status check_header(const reader *r, json_t *root)
{
    if (!json_is_object(root)) return nf_fail(NF_ERR_FORMAT, "%s: not a JSON object", r->source);
    json_t *format = json_object_get(root, "format"), *version = json_object_get(root, "version");
    if (format && (!json_is_string(format) || strcmp(json_string_value(format), ARCH_FORMAT)))
        return nf_fail(NF_ERR_FORMAT, "%s: \"format\" is not \"%s\"", r->source, ARCH_FORMAT);
    if (!json_is_integer(version) || json_integer_value(version) != ARCH_VERSION)
        return nf_fail(NF_ERR_FORMAT, "%s: \"version\" must be %d (a newer nasfit may read it)", r->source, ARCH_VERSION);
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value)
        if (strcmp(key, "format") && strcmp(key, "version") && strcmp(key, "input") && strcmp(key, "vertices") &&
            strcmp(key, "parameters"))
            return nf_fail(NF_ERR_FORMAT, "%s: unknown key \"%.40s\"", r->source, key);
    size_t n = json_array_size(json_object_get(root, "vertices"));
    if (n < 2 || n > MAX_VERTICES)
        return nf_fail(NF_ERR_FORMAT, "%s: \"vertices\" must list 2 to %d vertices", r->source, MAX_VERTICES);
    return NF_OK;
}

/* Checks the graph, then the nout claimed by derived vertices, then lays out. */
static nf_status finish(reader *r, const int *claimed, nf_rng *rng)
{
    nf_graph *g = r->g;
    char detail[512];
    size_t np, ns, nv;
    nf_status st = nf_graph_sizes(g, &np, &ns, &nv);
    if (st) {
        snprintf(detail, sizeof detail, "%s", nf_last_error());
        return nf_fail(st, "%s: %s", r->source, detail);
    }
    for (int i = 1; i < g->n; i++)
        if (claimed[i] && claimed[i] != g->v[i].nout)
            return nf_fail(NF_ERR_FORMAT, "%s: vertex %d (id %d, %s): nout %d given, but its inputs make it %d",
                           r->source, i, g->v[i].id, nf_op_name(g->v[i].op), claimed[i], g->v[i].nout);
    if (np > MAX_PARAMS)
        return nf_fail(NF_ERR_FORMAT, "%s: %zu parameters, more than nasfit takes (%zu)", r->source, np, MAX_PARAMS);
    if (r->max_floats && np + ns > r->max_floats) /* before anything of that size is allocated */
        return nf_fail(NF_ERR_FORMAT, "%s: %zu parameters and %zu statistics, but only %zu floats follow it", r->source,
                       np, ns, r->max_floats);
    g->next_id = r->max_id + 1;
    if (!rng) return NF_OK; /* shapes only */
    st = nf_graph_layout(g, rng);
    if (st) {
        snprintf(detail, sizeof detail, "%s", nf_last_error());
        return nf_fail(st, "%s: %s", r->source, detail);
    }
    return NF_OK;
}

static nf_status build(reader *r, json_t *root, nf_rng *rng)
{
    nf_status st;
    if ((st = check_header(r, root)) || (st = parse_input(r, root))) return st;
    json_t *vs = json_object_get(root, "vertices");
    int n = (int)json_array_size(vs);
    int *claimed = calloc((size_t)n, sizeof *claimed);
    if (!claimed) return nf_fail(NF_ERR_NOMEM, "%s: out of memory", r->source);
    for (int i = 1; i < n && !st; i++) {
        st = parse_vertex(r, json_array_get(vs, (size_t)i), i);
        if (!st && nf_graph_kind(r->g, i) != NF_KIND_LAYER) claimed[i] = r->g->v[i].nout;
    }
    if (!st) st = finish(r, claimed, rng);
    free(claimed);
    return st;
}

nf_status nf_arch_from_json(const char *json, const char *source_name, nf_rng *rng, nf_graph **out)
{
    const nf_arch_read how = {.source = source_name, .rng = rng};
    return nf_arch_read_json(json, &how, out);
}

nf_status nf_arch_read_json(const char *json, const nf_arch_read *how, nf_graph **out)
{
    *out = NULL;
    nf_rng *rng = how->rng;
    reader r = {.source = how->source ? how->source : "architecture", .max_floats = how->max_floats};
    json_error_t err;
    json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        return nf_fail(NF_ERR_FORMAT, "%s: line %d column %d: %s", r.source, err.line, err.column, err.text);
    nf_status st = build(&r, root, rng);
    json_decref(root);
    if (st) { nf_graph_destroy(r.g); return st; }
    *out = r.g;
    return NF_OK;
}

nf_status nf_arch_load(const char *path, nf_rng *rng, nf_graph **out)
{
    unsigned char *bytes;
    size_t len;
    *out = NULL;
    nf_status st = nf_file_read_max(path, MAX_FILE_BYTES, &bytes, &len);
    if (st) return st;
    if (strlen((char *)bytes) != len) st = nf_fail(NF_ERR_FORMAT, "%s: holds a NUL byte; not JSON text", path);
    else st = nf_arch_from_json((char *)bytes, path, rng, out);
    free(bytes);
    return st;
}
