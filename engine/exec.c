#include "engine/exec.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "engine/op.h"
#include "engine/threads.h"

struct nf_exec {
    int n_vertices;    /* vertices of the graph it was made for */
    uint64_t shape_version; /* that graph's shape_version: any other is refused */
    nf_conv_tuning tuning;  /* conv2d tuning when made (the work buffer is sized by it) */
    int batch;         /* largest batch it takes */
    nf_tensor *out;    /* per vertex: its output [nout][batch][h][w] */
    nf_tensor *grad;   /* per vertex: gradient w.r.t. its output (none for the input) */
    float **aux;       /* per vertex: data kept from forward to backward */
    float *work;       /* scratch shared by all vertices */
    const nf_tensor **x_list;  /* per call: the producers' outputs */
    nf_tensor **dx_list;       /* per call: the producers' gradients */
    unsigned char *dx_add;     /* per call: add into (1) or overwrite (0) each producer's gradient */
    unsigned char *has_grad;   /* per vertex, during backward: its gradient holds a part already */
    size_t bytes;      /* total bytes held */
    int threads;       /* threads per pass (0: OpenMP's default) */
};

/* Threads one op call may use: the engine parallelises itself over slices
 * of the batch (OpenMP), never inside a parallel region, and calls BLAS
 * serially (one level of parallelism at a time; docs/performance.md).
 * Each op opens its own parallel region (nine in five op files). Measured
 * (issue 14, 2 shared cores): an empty 2-thread region costs 20-44 us, a
 * reference-CNN training step at batch 64 opens at most 28 and takes
 * ~215 ms, so one region per pass would save under 1 %: not worth making
 * every op a worksharing fragment of one region. */
static int threads_of(const nf_exec *e)
{
    /* Inside a parallel region only where nesting is allowed (a search
     * lending a thread that has no candidate left to the one still training). */
    if (omp_in_parallel() && omp_get_active_level() >= omp_get_max_active_levels()) return 1;
    return e->threads ? e->threads : omp_get_max_threads();
}

static size_t aux_of(const nf_op_def *d, const nf_vertex *v, int batch, const nf_vertex *in)
{
    return d->aux_floats ? d->aux_floats(v, batch, in->h, in->w) : 0;
}

static size_t work_of(const nf_exec *e, const nf_op_def *d, const nf_vertex *v, const nf_vertex *in)
{
    return d->work_floats ? d->work_floats(v, e->batch, in->h, in->w, &e->tuning) : 0;
}

nf_status nf_exec_create(const nf_graph *g, int batch, nf_exec **out) { return nf_exec_create_tuned(g, batch, NULL, out); }

nf_status nf_exec_create_tuned(const nf_graph *g, int batch, const nf_conv_tuning *t, nf_exec **out)
{
    *out = NULL;
    if (batch < 1) return nf_fail(NF_ERR_ARG, "batch size %d must be at least 1", batch);
    nf_exec *e = calloc(1, sizeof *e);
    if (!e) return nf_fail(NF_ERR_NOMEM, "cannot allocate an executor");
    e->n_vertices = g->n;
    e->shape_version = g->shape_version;
    e->tuning = t ? *t : nf_conv_tuning_default();
    e->batch = batch;
    e->threads = 1;
    e->out = calloc((size_t)g->n, sizeof *e->out);
    e->grad = calloc((size_t)g->n, sizeof *e->grad);
    e->aux = calloc((size_t)g->n, sizeof *e->aux);
    int max_inputs = 1;
    for (int i = 0; i < g->n; i++)
        if (g->v[i].n_inputs > max_inputs) max_inputs = g->v[i].n_inputs;
    e->x_list = calloc((size_t)max_inputs, sizeof *e->x_list);
    e->dx_list = calloc((size_t)max_inputs, sizeof *e->dx_list);
    e->dx_add = calloc((size_t)max_inputs, 1);
    e->has_grad = calloc((size_t)g->n, 1);
    if (!e->out || !e->grad || !e->aux || !e->x_list || !e->dx_list || !e->dx_add || !e->has_grad) goto nomem;
    size_t work = 0;
    for (int i = 0; i < g->n; i++) {
        const nf_vertex *v = &g->v[i];
        const nf_op_def *d = nf_op_def_of(v->op);
        if (nf_tensor_alloc(&e->out[i], v->nout, batch, v->h, v->w)) goto nomem;
        e->bytes += nf_tensor_count(&e->out[i]) * sizeof(float);
        if (i == 0) continue;
        if (nf_tensor_alloc(&e->grad[i], v->nout, batch, v->h, v->w)) goto nomem;
        e->bytes += nf_tensor_count(&e->grad[i]) * sizeof(float);
        const nf_vertex *in = &g->v[v->inputs[0]];
        size_t aux = aux_of(d, v, batch, in);
        if (aux) {
            if (!(e->aux[i] = nf_alloc(aux * sizeof(float)))) goto nomem;
            e->bytes += aux * sizeof(float);
        }
        size_t wk = work_of(e, d, v, in);
        if (wk > work) work = wk;
    }
    if (!(e->work = nf_alloc(work * sizeof(float)))) goto nomem;
    e->bytes += work * sizeof(float);
    *out = e;
    return NF_OK;
nomem:
    nf_exec_destroy(e);
    return nf_fail(NF_ERR_NOMEM, "cannot allocate buffers for a %d-vertex graph at batch %d", g->n, batch);
}

void nf_exec_destroy(nf_exec *e)
{
    if (!e) return;
    for (int i = 0; i < e->n_vertices; i++) {
        if (e->out) nf_tensor_free(&e->out[i]);
        if (e->grad) nf_tensor_free(&e->grad[i]);
        if (e->aux) nf_free(e->aux[i]);
    }
    free(e->out); free(e->grad); free(e->aux);
    free(e->x_list); free(e->dx_list); free(e->dx_add); free(e->has_grad);
    nf_free(e->work);
    free(e);
}

nf_tensor *nf_exec_input(nf_exec *e) { return &e->out[0]; }
const nf_tensor *nf_exec_output(const nf_exec *e) { return &e->out[e->n_vertices - 1]; }
nf_tensor *nf_exec_output_grad(nf_exec *e) { return &e->grad[e->n_vertices - 1]; }
const nf_tensor *nf_exec_vertex_output(const nf_exec *e, int index) { return &e->out[index]; }
const nf_tensor *nf_exec_vertex_grad(const nf_exec *e, int index) { return &e->grad[index]; }
size_t nf_exec_bytes(const nf_exec *e) { return e->bytes; }
int nf_exec_batch(const nf_exec *e) { return e->batch; }
void nf_exec_set_threads(nf_exec *e, int threads) { e->threads = threads < 0 ? 1 : threads; }

/* Fills the call record of vertex i; the tensors' batch becomes n. */
static nf_op_call make_call(nf_exec *e, nf_graph *g, int i, int training, nf_rng *rng)
{
    const nf_vertex *v = &g->v[i];
    for (int k = 0; k < v->n_inputs; k++) {
        int p = v->inputs[k];
        e->x_list[k] = &e->out[p];
        e->dx_list[k] = p == 0 ? NULL : &e->grad[p];
        /* the first part written overwrites; a producer listed twice gets both parts */
        e->dx_add[k] = e->has_grad[p];
        for (int j = 0; j < k; j++) e->dx_add[k] |= v->inputs[j] == p;
    }
    return (nf_op_call){
        .v = v, .n_inputs = v->n_inputs, .x = e->x_list, .dx = e->dx_list, .dx_add = e->dx_add,
        .y = &e->out[i], .dy = &e->grad[i],
        .param = g->param + v->param_off, .grad = g->grad + v->param_off,
        .state = g->state + v->state_off, .aux = e->aux[i], .work = e->work,
        .training = training, .threads = threads_of(e), .rng = rng, .tuning = &e->tuning,
    };
}

/* An executor's buffers fit only the shapes it was made for. */
static nf_status check_fits(const nf_exec *e, const nf_graph *g)
{
    if (g->shape_version != e->shape_version || g->n != e->n_vertices)
        return nf_fail(NF_ERR_GRAPH, "the executor was made for another shape of this graph "
                                     "(changed since by a mutation or layout): make a new one");
    return NF_OK;
}

nf_status nf_exec_forward(nf_exec *e, nf_graph *g, int n, int training, nf_rng *rng)
{
    nf_status st = check_fits(e, g);
    if (st) return st;
    if (n < 1 || n > e->batch) return nf_fail(NF_ERR_ARG, "a pass over %d images (the executor takes 1..%d)", n, e->batch);
    nf_threads_blas_serial();
    for (int i = 0; i < g->n; i++) e->out[i].n = e->grad[i].n = n;
    for (int i = 1; i < g->n; i++) {
        nf_op_call c = make_call(e, g, i, training, rng);
        nf_op_def_of(g->v[i].op)->forward(&c);
    }
    return NF_OK;
}

nf_status nf_exec_backward(nf_exec *e, nf_graph *g)
{
    nf_status st = check_fits(e, g);
    if (st) return st;
    /* The first consumer to write a producer's gradient overwrites it, the
     * others add to it, so no gradient buffer needs zeroing per step. */
    nf_threads_blas_serial();
    memset(e->has_grad, 0, (size_t)g->n);
    e->has_grad[g->n - 1] = 1; /* filled by the caller */
    for (int i = g->n - 1; i >= 1; i--) {
        if (!e->has_grad[i]) /* no consumer: its gradient is zero */
            memset(e->grad[i].data, 0, nf_tensor_count(&e->grad[i]) * sizeof(float));
        nf_op_call c = make_call(e, g, i, 1, NULL);
        nf_op_def_of(g->v[i].op)->backward(&c);
        for (int k = 0; k < g->v[i].n_inputs; k++) e->has_grad[g->v[i].inputs[k]] = 1;
    }
    return NF_OK;
}
