/* Neuron groups: vertices whose output neurons are the same neurons.
 *
 * A transparent vertex's neurons are its input's; an add vertex's neurons
 * are the same neurons in every input; a concat of a single input is its
 * input. Union-find merges such vertices, so a size plan has one set of
 * choices per group (DESIGN.md, "Size changes are planned"). */
#ifndef NF_GROUPS_H
#define NF_GROUPS_H

#include "engine/graph.h"

/* A union-find forest over n items (path halving, union by size). */
typedef struct nf_uf {
    int n;       /* items */
    int *parent; /* parent[i] == i for a root */
    int *size;   /* items under a root */
} nf_uf;

nf_status nf_uf_init(nf_uf *u, int n);
void nf_uf_free(nf_uf *u);
int nf_uf_find(nf_uf *u, int i);
/* Merges the sets of a and b; returns the new root. */
int nf_uf_union(nf_uf *u, int a, int b);

/* 1 if vertex i of kind/op shares its neurons with its inputs (transparent,
 * add, single-input concat). */
int nf_groups_shares_neurons(const nf_graph *g, int i);

/* Vertices as grouping sees them: a graph's own, or the size planner's
 * (a graph with a pending concat edit and a stand-in vertex). */
typedef struct nf_groups_view {
    int n;                                       /* vertices */
    int (*n_inputs)(const void *ctx, int i);     /* producers of vertex i */
    int (*input)(const void *ctx, int i, int k); /* its k-th producer */
    int (*shares)(const void *ctx, int i);       /* 1 if it shares its neurons with its producers */
    const void *ctx;
} nf_groups_view;

/* group[i] for every vertex of the view: a dense group number in
 * [0, *n_groups), numbered in order of each group's first vertex. The one
 * implementation of grouping, used by the planner. */
nf_status nf_groups_of(const nf_groups_view *view, int *group, int *n_groups);

/* nf_groups_of on g's own vertices. */
nf_status nf_groups_of_graph(const nf_graph *g, int *group, int *n_groups);

#endif
