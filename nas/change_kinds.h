/* Every kind of change a child can carry, one row each. Adding a graph
 * mutation is one row here and its function in nas/variation.c; the enum
 * (nas/candidate.h), the stored names, the default odds, the order of
 * application and the `mutation.<name>` configuration keys (app/formats/config.c)
 * all come from these rows.
 *
 * A row is X(ID, number, stable name, phase, default odds, apply function).
 * The name is what run files store (mutations.kind) and the number is what
 * a serialised candidate stores: both are fixed once released, so a new
 * kind takes the next free number (tests/test_search.c pins every pair).
 *
 * Graph changes are drawn by their relative odds and applied in phase
 * order: removals and shrinks first, then changes of kind, growth, and new
 * layers last. Settings changes are not drawn from odds: each has its own
 * probability in nf_variation (lr_odds, ...); their rows give them a name
 * and a number only. */
#ifndef NF_CHANGE_KINDS_H
#define NF_CHANGE_KINDS_H

enum {
    NF_PHASE_REMOVE,   /* layers, connections, neurons, pooling taken away */
    NF_PHASE_RESHAPE,  /* a kernel or an activation changed in place */
    NF_PHASE_GROW,     /* neurons, connections, pooling added */
    NF_PHASE_INSERT,   /* new layers */
    NF_PHASE_COUNT
};

#define NF_GRAPH_CHANGES(X)                                                         \
    X(GROW,         0,  "grow",         NF_PHASE_GROW,    0.16, change_grow)        \
    X(SHRINK,       1,  "shrink",       NF_PHASE_REMOVE,  0.16, change_shrink)      \
    X(INSERT_CONV,  2,  "insert_conv",  NF_PHASE_INSERT,  0.12, change_insert_conv) \
    X(INSERT_DENSE, 3,  "insert_dense", NF_PHASE_INSERT,  0.03, change_insert_dense) \
    X(REMOVE,       4,  "remove",       NF_PHASE_REMOVE,  0.07, change_remove)      \
    X(SKIP_ADD,     5,  "skip_add",     NF_PHASE_GROW,    0.08, change_skip_add)    \
    X(SKIP_CONCAT,  6,  "skip_concat",  NF_PHASE_GROW,    0.06, change_skip_concat) \
    X(SKIP_REMOVE,  7,  "skip_remove",  NF_PHASE_REMOVE,  0.04, change_skip_remove) \
    X(KERNEL,       8,  "kernel",       NF_PHASE_RESHAPE, 0.10, change_kernel)      \
    X(ACTIVATION,   9,  "activation",   NF_PHASE_RESHAPE, 0.06, change_activation)  \
    X(POOL_ADD,     10, "pool_add",     NF_PHASE_GROW,    0.03, change_pool_add)    \
    X(POOL_REMOVE,  11, "pool_remove",  NF_PHASE_REMOVE,  0.03, change_pool_remove)

/* X(ID, number, stable name) */
#define NF_SETTINGS_CHANGES(X)                  \
    X(LR,             12, "lr")                 \
    X(OPTIMIZER,      13, "optimizer")          \
    X(WEIGHT_DECAY,   14, "weight_decay")       \
    X(BATCH,          15, "batch")              \
    X(CROSS_SETTINGS, 16, "cross_settings")     \
    X(CROSS_HEAD,     17, "cross_head")

/* One past the highest number above. */
#define NF_CHANGE_KINDS 18

#endif
