#include "nas/surgery.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/graph_edit.h"
#include "engine/op.h"
#include "engine/tensor.h"

/* How one vertex's neurons map from the old layout to the new. */
typedef struct vmap {
    const int *out; /* new output neuron -> old one, -1 new; NULL: identity */
    const int *in;  /* new input neuron -> old one (layers); NULL: identity */
} vmap;

/* The buffers being built. */
typedef struct bufs {
    float *param, *grad, *m1, *m2, *age, *state, *value;
} bufs;

static void bufs_free(bufs *b)
{
    nf_free(b->param); nf_free(b->grad); nf_free(b->m1); nf_free(b->m2); nf_free(b->age);
    nf_free(b->state); nf_free(b->value);
}

static size_t count_of(size_t (*f)(const nf_vertex *), const nf_vertex *v) { return f ? f(v) : 0; }

/* Old tap of new tap t for a kernel change k0 -> k1 (centred), or -1. */
static int old_tap(int t, int k0, int k1)
{
    if (k0 == k1) return t;
    int d = (k1 - k0) / 2, ky = t / k1 - d, kx = t % k1 - d;
    if (ky < 0 || ky >= k0 || kx < 0 || kx >= k0) return -1;
    return ky * k0 + kx;
}

/* Copies the blocks of one vertex's parameters with their optimiser state
 * (src, dst: param, moment1, moment2, age), or of its state when moments is 0. */
static void copy_blocks(const nf_block *ob, const nf_block *nb, int nblocks, const nf_vertex *ov, const nf_vertex *nv,
                        const vmap *m, const float *src[4], float *dst[4], int moments, nf_rng *rng)
{
    size_t so = 0, dof = 0;
    int k0 = ov->op == NF_OP_CONV2D ? ov->attr.kernel : 1, k1 = nv->op == NF_OP_CONV2D ? nv->attr.kernel : 1;
    for (int b = 0; b < nblocks; b++) {
        size_t orows = ob[b].per_out ? (size_t)ov->nout : 1, ocols = ob[b].per_in ? (size_t)ov->nin : 1;
        size_t nrows = nb[b].per_out ? (size_t)nv->nout : 1, ncols = nb[b].per_in ? (size_t)nv->nin : 1;
        int oin = ob[b].inner, nin = nb[b].inner;
        int taps = oin != nin && oin == k0 * k0 && nin == k1 * k1;
        double std = NF_SURGERY_NEW_SCALE * sqrt(2.0 / (double)(ncols * (size_t)nin));
        for (size_t r = 0; r < nrows; r++) {
            int orow = !nb[b].per_out ? 0 : m->out ? m->out[r] : (int)r;
            for (size_t c = 0; c < ncols; c++) {
                int ocol = !nb[b].per_in ? 0 : m->in ? m->in[c] : (int)c;
                for (int t = 0; t < nin; t++) {
                    size_t d = dof + (r * ncols + c) * (size_t)nin + (size_t)t;
                    int ot = taps ? old_tap(t, k0, k1) : t < oin ? t : -1;
                    if (orow >= 0 && ocol >= 0 && ot >= 0) {
                        size_t s = so + ((size_t)orow * ocols + (size_t)ocol) * (size_t)oin + (size_t)ot;
                        for (int k = 0; k < (moments ? 4 : 1); k++) dst[k][d] = src[k][s];
                        continue;
                    }
                    float x = 0.0f;
                    if (orow < 0) {
                        if (nb[b].fresh == NF_FRESH_ONE) x = 1.0f;
                        else if (nb[b].fresh == NF_FRESH_RANDOM) x = (float)(std * nf_rng_normal(rng));
                    }
                    dst[0][d] = x;
                    if (moments) dst[1][d] = dst[2][d] = dst[3][d] = 0.0f;
                }
            }
        }
        so += orows * ocols * (size_t)oin;
        dof += nrows * ncols * (size_t)nin;
    }
}

/* Rebuilds every buffer of g for the new vertex descriptions in nv (same
 * count and order as g->v) from the old ones in g->v, through maps m. */
static nf_status rebuild(nf_graph *g, nf_vertex *nv, const vmap *m, nf_rng *rng)
{
    size_t np = 0, ns = 0, nval = 0;
    for (int i = 0; i < g->n; i++) {
        const nf_op_def *d = nf_op_def_of(nv[i].op);
        nv[i].param_off = np; nv[i].n_param = count_of(d->n_param, &nv[i]); np += nv[i].n_param;
        nv[i].state_off = ns; nv[i].n_state = count_of(d->n_state, &nv[i]); ns += nv[i].n_state;
        nv[i].value_off = nval; nval += (size_t)nv[i].nout;
    }
    bufs b = {nf_alloc(np * sizeof(float)), nf_alloc(np * sizeof(float)), nf_alloc(np * sizeof(float)),
              nf_alloc(np * sizeof(float)), nf_alloc(np * sizeof(float)), nf_alloc(ns * sizeof(float)),
              nf_alloc(nval * sizeof(float))};
    if (!b.param || !b.grad || !b.m1 || !b.m2 || !b.age || !b.state || !b.value) {
        bufs_free(&b);
        return nf_fail(NF_ERR_NOMEM, "cannot allocate %zu parameters for a mutated graph", np);
    }
    for (int i = 0; i < g->n; i++) {
        const nf_vertex *ov = &g->v[i];
        const nf_op_def *d = nf_op_def_of(ov->op);
        nf_block ob[NF_MAX_BLOCKS], nb[NF_MAX_BLOCKS];
        int have = ov->param_off != NF_GRAPH_NO_SLICE;
        if (d->param_blocks && nv[i].n_param) {
            int n = d->param_blocks(ov, ob);
            d->param_blocks(&nv[i], nb);
            const float *src[4] = {have ? g->param + ov->param_off : NULL, have ? g->moment1 + ov->param_off : NULL,
                                   have ? g->moment2 + ov->param_off : NULL, have ? g->age + ov->param_off : NULL};
            float *dst[4] = {b.param + nv[i].param_off, b.m1 + nv[i].param_off, b.m2 + nv[i].param_off,
                             b.age + nv[i].param_off};
            if (have) copy_blocks(ob, nb, n, ov, &nv[i], m ? &m[i] : &(vmap){0}, src, dst, 1, rng);
        }
        if (d->state_blocks && nv[i].n_state && ov->state_off != NF_GRAPH_NO_SLICE) {
            int n = d->state_blocks(ov, ob);
            d->state_blocks(&nv[i], nb);
            const float *src[4] = {g->state + ov->state_off, NULL, NULL, NULL};
            float *dst[4] = {b.state + nv[i].state_off, NULL, NULL, NULL};
            copy_blocks(ob, nb, n, ov, &nv[i], m ? &m[i] : &(vmap){0}, src, dst, 0, rng);
        }
        for (int k = 0; k < nv[i].nout; k++) {
            int o = m && m[i].out ? m[i].out[k] : k;
            int ok = o >= 0 && ov->value_off != NF_GRAPH_NO_SLICE && g->value && ov->value_off + (size_t)o < g->n_value;
            b.value[nv[i].value_off + k] = ok ? g->value[ov->value_off + o] : -1.0f;
        }
    }
    nf_free(g->param); nf_free(g->grad); nf_free(g->moment1); nf_free(g->moment2); nf_free(g->age);
    nf_free(g->state); nf_free(g->value);
    g->param = b.param; g->grad = b.grad; g->moment1 = b.m1; g->moment2 = b.m2; g->age = b.age;
    g->state = b.state; g->value = b.value;
    g->n_param = np; g->n_state = ns; g->n_value = nval;
    memcpy(g->v, nv, (size_t)g->n * sizeof *nv);
    return NF_OK;
}

nf_status nf_surgery_apply(nf_graph *g, const nf_plan *plan, nf_rng *rng)
{
    nf_vertex *nv = malloc((size_t)g->n * sizeof *nv);
    vmap *m = malloc((size_t)g->n * sizeof *m);
    if (!nv || !m) { free(nv); free(m); return nf_fail(NF_ERR_NOMEM, "cannot plan a surgery"); }
    memcpy(nv, g->v, (size_t)g->n * sizeof *nv);
    for (int i = 0; i < g->n; i++) {
        int len, in_len = 0;
        m[i].out = nf_plan_neurons(plan, i, &len);
        m[i].in = NULL;
        nv[i].nout = len;
        nv[i].nin = len;
        if (i > 0 && nf_graph_kind(g, i) == NF_KIND_LAYER) {
            m[i].in = nf_plan_neurons(plan, g->v[i].inputs[0], &in_len);
            nv[i].nin = in_len;
        }
    }
    nf_status st = rebuild(g, nv, m, rng);
    free(nv); free(m);
    if (!st) nf_graph_touch(g);
    return st;
}

nf_status nf_surgery_kernel(nf_graph *g, int i, int kernel)
{
    if (i < 1 || i >= g->n || g->v[i].op != NF_OP_CONV2D) return nf_fail(NF_ERR_ARG, "vertex %d is not a conv2d", i);
    if (kernel < 1 || kernel > 7 || kernel % 2 == 0) return nf_fail(NF_ERR_ARG, "kernel size %d must be odd, 1..7", kernel);
    nf_vertex *nv = malloc((size_t)g->n * sizeof *nv);
    if (!nv) return nf_fail(NF_ERR_NOMEM, "cannot plan a surgery");
    memcpy(nv, g->v, (size_t)g->n * sizeof *nv);
    nv[i].attr.kernel = kernel;
    nf_status st = rebuild(g, nv, NULL, NULL);
    free(nv);
    if (!st) nf_graph_touch(g);
    return st;
}
