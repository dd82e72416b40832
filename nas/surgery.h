/* Weight surgery: carries parameters, optimiser moments, batchnorm state
 * and neuron values over a size plan or a kernel change.
 *
 * Every buffer of the graph (param, grad, moment1, moment2, state, value)
 * is rebuilt wholesale in vertex order, so every vertex's param_off,
 * n_param, state_off, n_state and value_off agree with the new buffers.
 * Kept neurons keep their rows (and their columns in consumers); a new
 * output neuron gets small random incoming weights (NF_FRESH_RANDOM
 * blocks), the block's fresh value elsewhere (0 bias, 1 batchnorm scale
 * and variance), zero moments and an unmeasured value (-1); a new input
 * column of an existing row is 0, so the consumers ignore new neurons and
 * the grown network computes its parent's function. On failure the graph
 * is unchanged. */
#ifndef NF_SURGERY_H
#define NF_SURGERY_H

#include "engine/graph.h"
#include "nas/plan.h"

/* Scale of a new neuron's incoming weights relative to He's
 * sqrt(2 / fan_in) standard deviation. */
#define NF_SURGERY_NEW_SCALE 0.1f

/* Applies plan (made for g as it is now): every vertex's output neurons
 * become nf_plan_neurons(plan, i), every layer's input columns follow its
 * producer's. Sets nin/nout of every vertex; call nf_graph_check after any
 * structural edit. rng draws new weights. */
nf_status nf_surgery_apply(nf_graph *g, const nf_plan *plan, nf_rng *rng);

/* Changes conv2d vertex i's kernel to kernel (odd, 1..7): a bigger kernel
 * pads the old one with zeros around it (same function), a smaller one
 * keeps its centre. */
nf_status nf_surgery_kernel(nf_graph *g, int i, int kernel);

#endif
