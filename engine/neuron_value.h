/* The neuron value metric: how much each output neuron contributes.
 *
 * value = batch mean of |spatial mean of (activation x gradient)|, a first
 * order Taylor estimate of the loss change when the neuron is removed,
 * kept in g->value as an exponential moving average. The training loop
 * calls nf_value_update after a training forward and backward every few
 * batches; it costs one pass over the activations. Without measurements
 * (g->value < 0), nf_value_weight_norm is the fallback. */
#ifndef NF_NEURON_VALUE_H
#define NF_NEURON_VALUE_H

#include "engine/exec.h"
#include "engine/graph.h"

/* Folds the measurement of the last forward+backward over n images of e
 * (made for g) into g->value: v = decay*v + (1-decay)*m, or v = m for a
 * neuron never measured (v < 0). decay in [0, 1); 0.9 is a good default.
 * The input vertex is skipped (it has no gradient). A non-finite
 * measurement is stored as is: such neurons are the first a plan removes. */
nf_status nf_value_update(nf_graph *g, const nf_exec *e, int n, float decay);

/* The L2 norm of output neuron `neuron`'s parameters in vertex i (its rows
 * of every block that follows output neurons); 0 for vertices without
 * such parameters. */
float nf_value_weight_norm(const nf_graph *g, int i, int neuron);

#endif
