#include "engine/graph.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/op.h"
#include "engine/tensor.h"

/* ==== creation and copies ================================================ */

nf_attr nf_attr_default(void)
{
    return (nf_attr){.kernel = 3, .stride = 1, .bias = 0, .act = NF_ACT_RELU,
                     .alpha = 0.01f, .rate = 0.0f, .momentum = 0.1f, .eps = 1e-5f};
}

static nf_status reserve(nf_graph *g, int need)
{
    if (need <= g->cap) return NF_OK;
    int cap = g->cap ? g->cap * 2 : 16;
    while (cap < need) cap *= 2;
    nf_vertex *v = realloc(g->v, (size_t)cap * sizeof *v);
    if (!v) return nf_fail(NF_ERR_NOMEM, "cannot grow the graph to %d vertices", cap);
    g->v = v;
    g->cap = cap;
    return NF_OK;
}

nf_status nf_graph_create(int c, int h, int w, nf_graph **out)
{
    *out = NULL;
    if (c < 1 || h < 1 || w < 1 || c > NF_IMAGE_MAX_CHANNELS || h > NF_IMAGE_MAX_SIDE || w > NF_IMAGE_MAX_SIDE)
        return nf_fail(NF_ERR_ARG, "input shape %dx%dx%d must be positive, at most %d channels of %dx%d",
                       c, h, w, NF_IMAGE_MAX_CHANNELS, NF_IMAGE_MAX_SIDE, NF_IMAGE_MAX_SIDE);
    nf_graph *g = calloc(1, sizeof *g);
    if (!g) return nf_fail(NF_ERR_NOMEM, "cannot allocate a graph");
    g->in_c = c; g->in_h = h; g->in_w = w;
    nf_status st = nf_graph_append(g, NF_OP_INPUT, NULL, c, NULL, 0, NULL);
    if (st) { nf_graph_destroy(g); return st; }
    *out = g;
    return NF_OK;
}

static void free_buffers(nf_graph *g)
{
    nf_free(g->param); nf_free(g->grad); nf_free(g->moment1); nf_free(g->moment2); nf_free(g->age);
    nf_free(g->state); nf_free(g->value);
    g->param = g->grad = g->moment1 = g->moment2 = g->age = g->state = g->value = NULL;
    g->n_param = g->n_state = g->n_value = 0;
}

void nf_graph_destroy(nf_graph *g)
{
    if (!g) return;
    for (int i = 0; i < g->n; i++) free(g->v[i].inputs);
    free(g->v);
    free_buffers(g);
    free(g);
}

static float *copy_floats(const float *src, size_t n)
{
    float *dst = nf_alloc(n * sizeof(float));
    if (dst && n) memcpy(dst, src, n * sizeof(float));
    return dst;
}

nf_status nf_graph_clone(const nf_graph *g, nf_graph **out)
{
    *out = NULL;
    nf_graph *c = calloc(1, sizeof *c);
    if (!c) return nf_fail(NF_ERR_NOMEM, "cannot allocate a graph copy");
    *c = *g;
    c->v = NULL; c->cap = 0;
    c->param = c->grad = c->moment1 = c->moment2 = c->age = c->state = c->value = NULL;
    c->n = 0;
    if (reserve(c, g->n)) goto nomem;
    for (int i = 0; i < g->n; i++) {
        c->v[i] = g->v[i];
        c->v[i].inputs = malloc((size_t)(g->v[i].n_inputs + 1) * sizeof(int));
        if (!c->v[i].inputs) goto nomem;
        c->n = i + 1;
        memcpy(c->v[i].inputs, g->v[i].inputs, (size_t)g->v[i].n_inputs * sizeof(int));
    }
    c->param = copy_floats(g->param, g->n_param);
    c->grad = copy_floats(g->grad, g->n_param);
    c->moment1 = copy_floats(g->moment1, g->n_param);
    c->moment2 = copy_floats(g->moment2, g->n_param);
    c->age = copy_floats(g->age, g->n_param);
    c->state = copy_floats(g->state, g->n_state);
    c->value = copy_floats(g->value, g->n_value);
    if (!c->param || !c->grad || !c->moment1 || !c->moment2 || !c->age || !c->state || !c->value) goto nomem;
    *out = c;
    return NF_OK;
nomem:
    nf_graph_destroy(c);
    return nf_fail(NF_ERR_NOMEM, "cannot copy a graph of %d vertices", g->n);
}

/* Process-wide, so two graphs never share a version by chance. */
static atomic_uint_fast64_t shape_versions;

void nf_graph_touch(nf_graph *g) { g->shape_version = atomic_fetch_add(&shape_versions, 1) + 1; }

/* ==== appending vertices ================================================= */

nf_status nf_graph_append(nf_graph *g, nf_op op, const nf_attr *attr, int nout,
                          const int *inputs, int n_inputs, int *index)
{
    if ((unsigned)op >= NF_OP_COUNT) return nf_fail(NF_ERR_ARG, "unknown op %d", (int)op);
    if (op == NF_OP_INPUT ? g->n != 0 : g->n == 0)
        return nf_fail(NF_ERR_ARG, "the input vertex must be vertex 0, and only it");
    if (n_inputs < 0 || (n_inputs > 0 && !inputs))
        return nf_fail(NF_ERR_ARG, "%s: bad input list", nf_op_name(op));
    for (int i = 0; i < n_inputs; i++)
        if (inputs[i] < 0 || inputs[i] >= g->n)
            return nf_fail(NF_ERR_ARG, "%s: input %d is not an existing vertex", nf_op_name(op), inputs[i]);
    nf_status st = reserve(g, g->n + 1);
    if (st) return st;
    nf_vertex *v = &g->v[g->n];
    memset(v, 0, sizeof *v);
    v->inputs = malloc((size_t)(n_inputs + 1) * sizeof(int));
    if (!v->inputs) return nf_fail(NF_ERR_NOMEM, "cannot allocate an input list");
    if (n_inputs) memcpy(v->inputs, inputs, (size_t)n_inputs * sizeof(int));
    v->op = op;
    v->id = g->next_id++;
    v->n_inputs = n_inputs;
    v->attr = attr ? *attr : nf_attr_default();
    v->nout = nout;
    v->nin = n_inputs ? g->v[inputs[0]].nout : nout;
    v->param_off = v->state_off = v->value_off = NF_GRAPH_NO_SLICE;
    if (index) *index = g->n;
    g->n++;
    nf_graph_touch(g);
    return NF_OK;
}

static int append_one(nf_graph *g, nf_op op, const nf_attr *attr, int nout, int input)
{
    int index = -1;
    if (nf_graph_append(g, op, attr, nout, &input, 1, &index)) return -1;
    return index;
}

int nf_graph_conv(nf_graph *g, int input, int nout, int kernel, int stride, int bias)
{
    nf_attr a = nf_attr_default();
    a.kernel = kernel; a.stride = stride; a.bias = bias;
    return append_one(g, NF_OP_CONV2D, &a, nout, input);
}

int nf_graph_dense(nf_graph *g, int input, int nout, int bias)
{
    nf_attr a = nf_attr_default();
    a.bias = bias;
    return append_one(g, NF_OP_DENSE, &a, nout, input);
}

int nf_graph_batchnorm(nf_graph *g, int input) { return append_one(g, NF_OP_BATCHNORM, NULL, 0, input); }

int nf_graph_act(nf_graph *g, int input, nf_act act)
{
    nf_attr a = nf_attr_default();
    a.act = act;
    if (act == NF_ACT_ELU) a.alpha = 1.0f;
    return append_one(g, NF_OP_ACT, &a, 0, input);
}

int nf_graph_unary(nf_graph *g, nf_op op, int input)
{
    nf_attr a = nf_attr_default();
    if (op == NF_OP_DROPOUT) a.rate = 0.5f;
    return append_one(g, op, &a, 0, input);
}

/* ==== checking =========================================================== */

static nf_status vertex_error(const nf_vertex *v, int index, const char *what)
{
    return nf_fail(NF_ERR_GRAPH, "vertex %d (id %d, %s): %s", index, v->id, nf_op_name(v->op), what);
}

/* The sizes the kind's rule gives vertex i from its producers: nin, and
 * nout for every kind but a layer (whose nout is its own). */
static nf_status rule_sizes(const nf_graph *g, int i, int *nin, int *nout)
{
    const nf_vertex *v = &g->v[i];
    nf_kind kind = nf_graph_kind(g, i);
    if (kind == NF_KIND_INPUT) { *nin = *nout = g->in_c; return NF_OK; }
    int first = g->v[v->inputs[0]].nout;
    int64_t sum = 0; /* concats of concats double: summed in 64 bits, bounded before it is an int */
    for (int k = 0; k < v->n_inputs; k++) sum += g->v[v->inputs[k]].nout;
    if (kind == NF_KIND_CONCAT && sum > NF_GRAPH_MAX_NOUT) {
        char what[96];
        snprintf(what, sizeof what, "its inputs add up to %lld channels, more than %d", (long long)sum, NF_GRAPH_MAX_NOUT);
        return vertex_error(v, i, what);
    }
    *nin = kind == NF_KIND_CONCAT ? (int)sum : first;
    *nout = kind == NF_KIND_LAYER ? v->nout : *nin;
    return NF_OK;
}

/* The output size the op gives vertex i from its first producer's. */
static nf_status rule_shape(const nf_graph *g, int i, int *h, int *w)
{
    const nf_vertex *v = &g->v[i];
    int in_h = i ? g->v[v->inputs[0]].h : g->in_h, in_w = i ? g->v[v->inputs[0]].w : g->in_w;
    *h = in_h; *w = in_w;
    const nf_op_def *d = nf_op_def_of(v->op);
    return d->shape ? d->shape(v, in_h, in_w, h, w) : NF_OK;
}

static nf_status check_sizes(const nf_graph *g, int i)
{
    const nf_vertex *v = &g->v[i];
    if (nf_graph_kind(g, i) == NF_KIND_ADD)
        for (int k = 1; k < v->n_inputs; k++)
            if (g->v[v->inputs[k]].nout != g->v[v->inputs[0]].nout) return vertex_error(v, i, "inputs of an add differ in size");
    int nin, nout, h, w;
    nf_status st = rule_sizes(g, i, &nin, &nout);
    if (st) return st;
    if (v->nin != nin || v->nout != nout) return vertex_error(v, i, "sizes not derived (call nf_graph_derive)");
    if (v->nout < 1) return vertex_error(v, i, "has no output neuron");
    st = rule_shape(g, i, &h, &w);
    if (st) return st;
    if (h < 1 || w < 1) return vertex_error(v, i, "spatial size shrinks below 1x1");
    if (v->h != h || v->w != w) return vertex_error(v, i, "spatial size not derived (call nf_graph_derive)");
    return NF_OK;
}

static nf_status check_attr(const nf_vertex *v, int i)
{
    if (v->op == NF_OP_CONV2D) {
        if (v->attr.kernel < 1 || v->attr.kernel > 7 || v->attr.kernel % 2 == 0)
            return vertex_error(v, i, "kernel size must be odd, 1..7");
        if (v->attr.stride != 1 && v->attr.stride != 2) return vertex_error(v, i, "stride must be 1 or 2");
    }
    if (v->op == NF_OP_ACT && (unsigned)v->attr.act >= NF_ACT_COUNT) return vertex_error(v, i, "unknown activation");
    if (v->op == NF_OP_DROPOUT && !(v->attr.rate >= 0.0f && v->attr.rate < 1.0f))
        return vertex_error(v, i, "dropout rate must be in [0, 1)");
    return NF_OK;
}

/* The vertex's op and input list are usable (what deriving needs). */
static nf_status check_structure(const nf_graph *g, int i)
{
    const nf_vertex *v = &g->v[i];
    if ((unsigned)v->op >= NF_OP_COUNT) return nf_fail(NF_ERR_GRAPH, "vertex %d: unknown op %d", i, (int)v->op);
    if (i > 0 && v->op == NF_OP_INPUT) return vertex_error(v, i, "a second input vertex");
    for (int k = 0; k < v->n_inputs; k++)
        if (v->inputs[k] < 0 || v->inputs[k] >= i) return vertex_error(v, i, "input out of topological order");
    nf_kind kind = nf_graph_kind(g, i);
    if (kind == NF_KIND_INPUT) return v->n_inputs == 0 ? NF_OK : vertex_error(v, i, "the input has inputs");
    if (v->n_inputs < 1) return vertex_error(v, i, "has no input");
    if ((kind == NF_KIND_LAYER || kind == NF_KIND_TRANSPARENT) && v->n_inputs != 1)
        return vertex_error(v, i, "takes exactly one input");
    return NF_OK;
}

static nf_status check_head(const nf_graph *g)
{
    if (g->n < 2) return nf_fail(NF_ERR_GRAPH, "the graph has no vertex besides its input");
    if (g->v[0].op != NF_OP_INPUT) return nf_fail(NF_ERR_GRAPH, "vertex 0 is not the input");
    return NF_OK;
}

nf_status nf_graph_derive(nf_graph *g)
{
    nf_status st = check_head(g);
    for (int i = 0; i < g->n && !st; i++) {
        nf_vertex *v = &g->v[i];
        if ((st = check_structure(g, i))) break;
        if ((st = rule_sizes(g, i, &v->nin, &v->nout)) || (st = rule_shape(g, i, &v->h, &v->w))) break;
    }
    return st;
}

nf_status nf_graph_validate(const nf_graph *g)
{
    nf_status st = check_head(g);
    for (int i = 0; i < g->n && !st; i++) {
        const nf_vertex *v = &g->v[i];
        if ((st = check_structure(g, i)) || (st = check_attr(v, i))) break;
        for (int k = 1; k < v->n_inputs; k++)
            if (g->v[v->inputs[k]].h != g->v[v->inputs[0]].h || g->v[v->inputs[k]].w != g->v[v->inputs[0]].w)
                return vertex_error(v, i, "inputs differ in spatial size");
        st = check_sizes(g, i);
    }
    if (st) return st;
    for (int i = 1; i < g->n - 1; i++)
        if (nf_graph_consumers(g, i, NULL) == 0) return vertex_error(&g->v[i], i, "its output is never used");
    const nf_vertex *out = &g->v[g->n - 1];
    if (out->h != 1 || out->w != 1) return vertex_error(out, g->n - 1, "the output must be 1x1 (end with gap or dense after it)");
    return NF_OK;
}

nf_status nf_graph_check(nf_graph *g)
{
    nf_status st = nf_graph_derive(g);
    return st ? st : nf_graph_validate(g);
}

/* ==== laying out the buffers ============================================= */

static size_t op_count(size_t (*f)(const nf_vertex *), const nf_vertex *v) { return f ? f(v) : 0; }

nf_status nf_graph_sizes(nf_graph *g, size_t *n_param, size_t *n_state, size_t *n_value)
{
    nf_status st = nf_graph_check(g);
    if (st) return st;
    *n_param = *n_state = *n_value = 0;
    for (int i = 0; i < g->n; i++) {
        const nf_op_def *d = nf_op_def_of(g->v[i].op);
        *n_param += op_count(d->n_param, &g->v[i]);
        *n_state += op_count(d->n_state, &g->v[i]);
        *n_value += (size_t)g->v[i].nout;
    }
    return NF_OK;
}

nf_status nf_graph_layout(nf_graph *g, nf_rng *rng)
{
    size_t n_param, n_state, n_value;
    nf_status st = nf_graph_sizes(g, &n_param, &n_state, &n_value);
    if (st) return st;
    float *param = nf_alloc(n_param * sizeof(float)), *grad = nf_alloc(n_param * sizeof(float));
    float *m1 = nf_alloc(n_param * sizeof(float)), *m2 = nf_alloc(n_param * sizeof(float));
    float *age = nf_alloc(n_param * sizeof(float));
    float *state = nf_alloc(n_state * sizeof(float)), *value = nf_alloc(n_value * sizeof(float));
    if (!param || !grad || !m1 || !m2 || !age || !state || !value) {
        nf_free(param); nf_free(grad); nf_free(m1); nf_free(m2); nf_free(age); nf_free(state); nf_free(value);
        return nf_fail(NF_ERR_NOMEM, "cannot allocate %zu parameters", n_param);
    }
    size_t po = 0, so = 0, vo = 0;
    for (int i = 0; i < g->n; i++) {
        nf_vertex *v = &g->v[i];
        const nf_op_def *d = nf_op_def_of(v->op);
        size_t np = op_count(d->n_param, v), ns = op_count(d->n_state, v);
        int kept = v->param_off != NF_GRAPH_NO_SLICE && v->n_param == np && v->n_state == ns;
        if (kept) {
            memcpy(param + po, g->param + v->param_off, np * sizeof(float));
            memcpy(m1 + po, g->moment1 + v->param_off, np * sizeof(float));
            memcpy(m2 + po, g->moment2 + v->param_off, np * sizeof(float));
            memcpy(age + po, g->age + v->param_off, np * sizeof(float));
            memcpy(state + so, g->state + v->state_off, ns * sizeof(float));
        } else if (d->init) {
            d->init(v, param + po, state + so, rng);
        }
        int kept_value = v->value_off != NF_GRAPH_NO_SLICE && v->value_off + v->nout <= g->n_value && kept;
        for (int k = 0; k < v->nout; k++) value[vo + k] = kept_value ? g->value[v->value_off + k] : -1.0f;
        v->param_off = po; v->n_param = np; po += np;
        v->state_off = so; v->n_state = ns; so += ns;
        v->value_off = vo; vo += (size_t)v->nout;
    }
    free_buffers(g);
    g->param = param; g->grad = grad; g->moment1 = m1; g->moment2 = m2; g->age = age;
    g->state = state; g->value = value;
    g->n_param = n_param; g->n_state = n_state; g->n_value = n_value;
    nf_graph_touch(g);
    return NF_OK;
}

nf_status nf_graph_set_identity(nf_graph *g, int index)
{
    if (index < 0 || index >= g->n) return nf_fail(NF_ERR_ARG, "vertex %d does not exist", index);
    nf_vertex *v = &g->v[index];
    const nf_op_def *d = nf_op_def_of(v->op);
    if (!d->identity || v->nin != v->nout)
        return vertex_error(v, index, "only a conv2d or dense with as many outputs as inputs can be an identity");
    if (v->param_off == NF_GRAPH_NO_SLICE) return vertex_error(v, index, "has no parameters yet (call nf_graph_layout)");
    d->identity(v, g->param + v->param_off);
    return NF_OK;
}

/* ==== queries ============================================================ */

nf_kind nf_graph_kind(const nf_graph *g, int index) { return nf_op_def_of(g->v[index].op)->kind; }

const char *nf_op_name(nf_op op)
{
    return (unsigned)op < NF_OP_COUNT && nf_op_def_of(op) ? nf_op_def_of(op)->name : "unknown";
}

const char *nf_act_name(nf_act act)
{
    static const char *const names[NF_ACT_COUNT] = {"identity", "relu", "leaky_relu", "elu", "selu", "sigmoid", "tanh"};
    return (unsigned)act < NF_ACT_COUNT && names[act] ? names[act] : "unknown";
}

int nf_graph_find(const nf_graph *g, int id)
{
    for (int i = 0; i < g->n; i++)
        if (g->v[i].id == id) return i;
    return -1;
}

int nf_graph_consumers(const nf_graph *g, int index, int *out)
{
    int count = 0;
    for (int i = index + 1; i < g->n; i++)
        for (int k = 0; k < g->v[i].n_inputs; k++)
            if (g->v[i].inputs[k] == index) {
                if (out) out[count] = i;
                count++;
                break;
            }
    return count;
}
