/* A candidate of the search: a graph with everything it has learnt, its own
 * training settings (which evolve too), its lineage (id, parents, the
 * changes that made it) and what it scored.
 *
 * Its serialised form holds all of it, so a candidate can be stored, sent
 * to another machine as a training task, and read back bit for bit. */
#ifndef NF_CANDIDATE_H
#define NF_CANDIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/graph.h"
#include "engine/optim.h"
#include "nas/change_kinds.h"

/* Training settings a candidate carries and the search varies. */
typedef struct nf_settings {
    nf_optim optim; /* kind, learning rate, weight decay (betas, eps, momentum at their defaults) */
    int batch;      /* images per step */
} nf_settings;

nf_settings nf_settings_defaults(void);

/* What one change of a child did: one kind per row of nas/change_kinds.h. */
#define NF_CHANGE_ENUM_GRAPH(id, num, name, phase, odds, apply) NF_CHANGE_##id = num,
#define NF_CHANGE_ENUM_SETTINGS(id, num, name) NF_CHANGE_##id = num,
typedef enum nf_change_kind {
    NF_GRAPH_CHANGES(NF_CHANGE_ENUM_GRAPH)
    NF_SETTINGS_CHANGES(NF_CHANGE_ENUM_SETTINGS)
    NF_CHANGE_COUNT = NF_CHANGE_KINDS
} nf_change_kind;
#undef NF_CHANGE_ENUM_GRAPH
#undef NF_CHANGE_ENUM_SETTINGS

typedef struct nf_change {
    nf_change_kind kind;
    int vertex;           /* the vertex's id (graph changes), -1 for settings */
    double before, after; /* sizes, kernel, activation, rate, kind, batch... before and after */
} nf_change;

/* "grow", "insert_conv", ... (stable names: the run store keeps them). */
const char *nf_change_name(nf_change_kind kind);
/* Nonzero for the kinds drawn by odds and applied to the graph (grow .. pool_remove). */
int nf_change_is_graph(nf_change_kind kind);
/* The kind named name, or NF_CHANGE_COUNT. */
nf_change_kind nf_change_parse(const char *name);

#define NF_CANDIDATE_MAX_CHANGES 16
#define NF_CANDIDATE_REASON 160

/* Where a candidate stands. */
typedef enum nf_cand_state {
    NF_CAND_NEW,      /* made, not trained in its generation yet */
    NF_CAND_TRAINED,  /* trained and scored in generation `trained_gen` */
    NF_CAND_FAILED,   /* training failed (diverged): worst fitness, reason recorded */
    NF_CAND_CULLED    /* stopped early in generation `trained_gen`, worse than its parent on the same
                         images: its scores are those of the shorter training, reason recorded */
} nf_cand_state;

typedef struct nf_candidate {
    int64_t id;            /* never reused within a run */
    int born;              /* generation it was made in */
    int64_t parent[2];     /* parents' ids, -1 where none */
    nf_graph *g;           /* owned */
    nf_settings set;
    int n_changes;
    nf_change changes[NF_CANDIDATE_MAX_CHANGES]; /* what made it from parent[0] */
    /* scores of the last training (valid when state != NF_CAND_NEW) */
    nf_cand_state state;
    int trained_gen;       /* generation of the last training, -1 never */
    double fitness;        /* selection score: validation accuracy less penalties; -1 when failed */
    double val_accuracy;   /* on the validation split, batchnorm statistics re-measured */
    double train_loss;     /* mean training loss of the last slice */
    double seconds;        /* wall time of the last training (informative only: never steers the search) */
    int64_t images;        /* images trained on over its whole life */
    char reason[NF_CANDIDATE_REASON]; /* why it failed or was culled, "" otherwise */
    int worker;            /* thread or rank of its last training, -1 none (informative, not serialised) */
} nf_candidate;

/* A candidate owning g (taken even on failure). */
nf_status nf_candidate_create(nf_graph *g, const nf_settings *set, int64_t id, int born, nf_candidate **out);
void nf_candidate_destroy(nf_candidate *c);
/* A deep copy (graph included). */
nf_status nf_candidate_clone(const nf_candidate *c, nf_candidate **out);
/* A copy of parent as its child `id` born in generation gen: same graph,
 * weights and settings, no changes yet, not trained in its generation. */
nf_status nf_candidate_child(const nf_candidate *parent, int64_t id, int gen, nf_candidate **out);
/* Appends a change (silently dropped past NF_CANDIDATE_MAX_CHANGES). */
void nf_candidate_log(nf_candidate *c, nf_change_kind kind, int vertex, double before, double after);

/* The whole candidate as bytes (malloc'd; the caller frees *buf). */
nf_status nf_candidate_serialize(const nf_candidate *c, unsigned char **buf, size_t *len);
/* Back from bytes; every field checked: NF_ERR_FORMAT with the offset. */
nf_status nf_candidate_deserialize(const unsigned char *buf, size_t len, nf_candidate **out);

#endif
