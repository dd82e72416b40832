/* Optimisers. Their state (moment1, moment2, step) lives in the graph beside
 * the weights, so it is saved, restored and carried through mutations. */
#ifndef NF_OPTIM_H
#define NF_OPTIM_H

#include "engine/graph.h"

typedef enum nf_optim_kind {
    NF_OPTIM_SGD,
    NF_OPTIM_MOMENTUM,
    NF_OPTIM_NESTEROV,
    NF_OPTIM_ADAM,
    NF_OPTIM_ADAMW,
    NF_OPTIM_COUNT
} nf_optim_kind;

typedef struct nf_optim {
    nf_optim_kind kind;
    float lr;           /* learning rate (search mutates it) */
    float momentum;     /* momentum, nesterov: 0.9 */
    float beta1, beta2; /* adam, adamw: 0.9, 0.999 */
    float eps;          /* adam, adamw: 1e-8 */
    float weight_decay; /* L2 added to the gradient; adamw: decoupled decay */
} nf_optim;

/* Defaults for kind (lr 1e-3 for Adam/AdamW, 0.01 for the SGD family). */
nf_optim nf_optim_defaults(nf_optim_kind kind);

/* One step from g->grad: updates g->param, the moments and every
 * parameter's age (g->age, which Adam's bias correction reads). */
void nf_optim_step(nf_graph *g, const nf_optim *o);

/* Forgets the optimiser state (moments and ages), as a fresh network has
 * it: for a switch of optimiser kind, whose moments mean something else. */
void nf_optim_reset(nf_graph *g);

const char *nf_optim_name(nf_optim_kind kind);
/* The one learning-rate schedule: lr on a half cosine to 0 at `at`, the
 * share of the schedule behind (clamped to [.., 1]). */
float nf_optim_cosine(float lr, double at);
/* The kind named name, or NF_OPTIM_COUNT if none. */
nf_optim_kind nf_optim_parse(const char *name);

#endif
