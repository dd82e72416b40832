/* Running a graph: forward and backward passes over a batch.
 *
 * An nf_exec holds every buffer one architecture needs for batches of up to
 * `batch` images: each vertex's output and gradient, the ops' saved data,
 * one shared scratch area. It is made once per architecture and reused for
 * every batch, so training allocates nothing per step. It records the
 * graph's shape_version and keeps the conv2d tuning it was made with:
 * after a mutation or layout of the graph, forward and backward refuse
 * with NF_ERR_GRAPH and touch nothing (make a new executor). */
#ifndef NF_EXEC_H
#define NF_EXEC_H

#include "engine/graph.h"
#include "engine/tensor.h"

typedef struct nf_exec nf_exec;

struct nf_conv_tuning;

/* Buffers for g (already checked and laid out) and batches of up to batch,
 * with the default conv tuning. */
nf_status nf_exec_create(const nf_graph *g, int batch, nf_exec **out);
/* The same with conv tuning t (copied; NULL: the default), for tests and benchmarks. */
nf_status nf_exec_create_tuned(const nf_graph *g, int batch, const struct nf_conv_tuning *t, nf_exec **out);
void nf_exec_destroy(nf_exec *e);

/* The input tensor [C][batch][H][W] to fill before forward. */
nf_tensor *nf_exec_input(nf_exec *e);

/* Forward pass over the first n (1..batch) images of the input. training
 * selects batch statistics and dropout; rng may be NULL without dropout.
 * NF_ERR_GRAPH when g's shapes changed since e was made, NF_ERR_ARG for a
 * bad n; nothing is touched then. */
nf_status nf_exec_forward(nf_exec *e, nf_graph *g, int n, int training, nf_rng *rng);

/* The output of the last forward: logits [classes][n][1][1]. */
const nf_tensor *nf_exec_output(const nf_exec *e);
/* The output (or its gradient) of any vertex after forward (backward). */
const nf_tensor *nf_exec_vertex_output(const nf_exec *e, int index);
const nf_tensor *nf_exec_vertex_grad(const nf_exec *e, int index);

/* The gradient w.r.t. the logits, to fill before backward. */
nf_tensor *nf_exec_output_grad(nf_exec *e);

/* Backward pass after a training forward: fills every vertex gradient and
 * adds the parameter gradients into g->grad (zero it first to start anew).
 * NF_ERR_GRAPH (nothing touched) when g's shapes changed since e was made. */
nf_status nf_exec_backward(nf_exec *e, nf_graph *g);

/* Threads one forward or backward pass may use (default 1). 0 means
 * OpenMP's default team size. The engine splits the batch between its
 * OpenMP threads and calls BLAS serially: forward and backward set
 * OpenBLAS's (process-wide) thread count to 1. Inside an OpenMP parallel
 * region (a search training one candidate per thread) the engine stays on
 * the calling thread whatever this says, unless nested parallelism is
 * allowed (omp_set_max_active_levels): then it opens a nested team of this
 * many. Results do not depend on it. */
void nf_exec_set_threads(nf_exec *e, int threads);

/* The largest batch it takes. */
int nf_exec_batch(const nf_exec *e);

/* Bytes of buffers held. */
size_t nf_exec_bytes(const nf_exec *e);

#endif
