/* Crossover of graphs: a child takes a compatible stretch of vertices from
 * a second parent. The stretch is the head: everything after the global
 * average pooling (dense layers, their activations, the output layer),
 * with its trained weights and optimiser state. The seam is sized by the
 * planner: the second parent's copy first has its pooled features resized
 * to the first parent's count (a size plan: its head keeps the input
 * columns of its most valuable features, new ones start at zero), then its
 * head replaces the first parent's. */
#ifndef NF_CROSSOVER_H
#define NF_CROSSOVER_H

#include "engine/graph.h"
#include "nas/mutate.h"

/* p1's body (everything up to and including its global average pooling)
 * with p2's head, in *out (new; the parents are only read). NF_ERR_GRAPH
 * when a parent has no single global average pooling or the heads are the
 * same kind of nothing to swap; the planner's status when the seam cannot
 * be sized. */
nf_status nf_crossover_head(const nf_graph *p1, const nf_graph *p2, const nf_mutate_params *p, nf_graph **out);

#endif
