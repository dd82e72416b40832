/* Low-level structural edits of a graph that keep its topological order.
 *
 * They change the vertex array and input lists only: sizes are not
 * re-derived (call nf_graph_check), parameter slices are not moved (a
 * removed vertex's slice simply becomes unused; an inserted vertex has no
 * slice until nf_graph_layout or a weight surgery gives it one). They are
 * the bricks nas/ builds mutations from; on failure the graph is unchanged. */
#ifndef NF_GRAPH_EDIT_H
#define NF_GRAPH_EDIT_H

#include "engine/graph.h"

/* Inserts a new vertex computing op at index `at` (1 <= at <= g->n); the
 * vertices from `at` on move up one and every reference to them follows.
 * Every input must be < at. nout as in nf_graph_append (layers only; for
 * the others it is taken from the first input until nf_graph_check). */
nf_status nf_graph_insert_vertex(nf_graph *g, int at, nf_op op, const nf_attr *attr, int nout,
                                 const int *inputs, int n_inputs);

/* Removes vertex `index` (not the input). Every input edge that pointed to
 * it points to `replacement` instead (which must be < index), or, when
 * replacement is -1, no vertex may still use it. Later indices move down. */
nf_status nf_graph_remove_vertex(nf_graph *g, int index, int replacement);

/* Inserts `from` into vertex `to`'s input list at position pos
 * (0 <= pos <= n_inputs). from < to. */
nf_status nf_graph_add_input(nf_graph *g, int to, int from, int pos);

/* Removes input position pos of vertex `to`; at least one input stays. */
nf_status nf_graph_remove_input(nf_graph *g, int to, int pos);

/* Makes every vertex other than `skip` that reads `from` read `to` instead
 * (to < every such reader, which the caller guarantees). Returns how many
 * edges moved. */
int nf_graph_redirect(nf_graph *g, int from, int to, int skip);

#endif
