#include "nas/groups.h"

#include <stdlib.h>

nf_status nf_uf_init(nf_uf *u, int n)
{
    u->n = n;
    u->parent = malloc((size_t)(n > 0 ? n : 1) * sizeof *u->parent);
    u->size = malloc((size_t)(n > 0 ? n : 1) * sizeof *u->size);
    if (!u->parent || !u->size) {
        nf_uf_free(u);
        return nf_fail(NF_ERR_NOMEM, "cannot allocate a union-find of %d items", n);
    }
    for (int i = 0; i < n; i++) { u->parent[i] = i; u->size[i] = 1; }
    return NF_OK;
}

void nf_uf_free(nf_uf *u)
{
    free(u->parent); free(u->size);
    u->parent = u->size = NULL;
    u->n = 0;
}

int nf_uf_find(nf_uf *u, int i)
{
    while (u->parent[i] != i) {
        u->parent[i] = u->parent[u->parent[i]];
        i = u->parent[i];
    }
    return i;
}

int nf_uf_union(nf_uf *u, int a, int b)
{
    a = nf_uf_find(u, a);
    b = nf_uf_find(u, b);
    if (a == b) return a;
    if (u->size[a] < u->size[b]) { int t = a; a = b; b = t; }
    u->parent[b] = a;
    u->size[a] += u->size[b];
    return a;
}

int nf_groups_shares_neurons(const nf_graph *g, int i)
{
    switch (nf_graph_kind(g, i)) {
    case NF_KIND_TRANSPARENT:
    case NF_KIND_ADD: return 1;
    case NF_KIND_CONCAT: return g->v[i].n_inputs == 1;
    default: return 0;
    }
}

nf_status nf_groups_of(const nf_groups_view *view, int *group, int *n_groups)
{
    nf_uf u;
    nf_status st = nf_uf_init(&u, view->n);
    if (st) return st;
    for (int i = 1; i < view->n; i++)
        if (view->shares(view->ctx, i))
            for (int k = 0; k < view->n_inputs(view->ctx, i); k++) nf_uf_union(&u, i, view->input(view->ctx, i, k));
    /* Dense numbering: a root's number is assigned at its first vertex. */
    int *num = malloc((size_t)(view->n > 0 ? view->n : 1) * sizeof *num);
    if (!num) { nf_uf_free(&u); return nf_fail(NF_ERR_NOMEM, "cannot number groups"); }
    int count = 0;
    for (int i = 0; i < view->n; i++) num[i] = -1;
    for (int i = 0; i < view->n; i++) {
        int r = nf_uf_find(&u, i);
        if (num[r] < 0) num[r] = count++;
        group[i] = num[r];
    }
    free(num);
    nf_uf_free(&u);
    *n_groups = count;
    return NF_OK;
}

static int graph_n_inputs(const void *ctx, int i) { return ((const nf_graph *)ctx)->v[i].n_inputs; }
static int graph_input(const void *ctx, int i, int k) { return ((const nf_graph *)ctx)->v[i].inputs[k]; }
static int graph_shares(const void *ctx, int i) { return nf_groups_shares_neurons(ctx, i); }

nf_status nf_groups_of_graph(const nf_graph *g, int *group, int *n_groups)
{
    nf_groups_view view = {.n = g->n, .n_inputs = graph_n_inputs, .input = graph_input, .shares = graph_shares, .ctx = g};
    return nf_groups_of(&view, group, n_groups);
}
