/* The one graph type: trained by the engine, mutated in place by nas/.
 *
 * A flat array of vertices in topological order (every input index is
 * smaller than the vertex's own). Vertex 0 is the input image; the last
 * vertex is the output (logits, spatial 1x1). All trainable parameters of a
 * model live in one buffer (param), with gradients and optimiser moments in
 * buffers of the same layout, so an optimiser step is one loop and a weight
 * copy one memcpy. Running statistics (batchnorm) live in `state`; neuron
 * values (one float per output neuron of every vertex) in `value`.
 *
 * Vertex kinds (DESIGN.md):
 *   input        nout = image channels
 *   layer        conv2d, dense: nin and nout independent
 *   transparent  batchnorm, activations, pooling, gap, dropout: nout == nin
 *   concat       nout = sum of the inputs' nout, neurons in input order
 *   add          every input and the output have the same nout */
#ifndef NF_GRAPH_H
#define NF_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "engine/image_limits.h"
#include "engine/rng.h"
#include "engine/status.h"

typedef enum nf_op {
    NF_OP_INPUT,
    NF_OP_CONV2D,
    NF_OP_DENSE,
    NF_OP_BATCHNORM,
    NF_OP_ACT,
    NF_OP_MAXPOOL,
    NF_OP_AVGPOOL,
    NF_OP_GAP,
    NF_OP_DROPOUT,
    NF_OP_CONCAT,
    NF_OP_ADD,
    NF_OP_COUNT
} nf_op;

typedef enum nf_kind {
    NF_KIND_INPUT,
    NF_KIND_LAYER,
    NF_KIND_TRANSPARENT,
    NF_KIND_CONCAT,
    NF_KIND_ADD
} nf_kind;

typedef enum nf_act {
    NF_ACT_IDENTITY,
    NF_ACT_RELU,
    NF_ACT_LEAKY_RELU,
    NF_ACT_ELU,
    NF_ACT_SELU,
    NF_ACT_SIGMOID,
    NF_ACT_TANH,
    NF_ACT_COUNT
} nf_act;

/* Op attributes; each op reads only its own fields. */
typedef struct nf_attr {
    int kernel;     /* conv2d: odd square kernel size, 1..7 */
    int stride;     /* conv2d: 1 or 2 ("same" padding: out = ceil(in/stride)) */
    int bias;       /* conv2d, dense: nonzero if the layer has a bias */
    nf_act act;     /* act: which function */
    float alpha;    /* act: leaky relu slope (default 0.01), elu alpha (default 1) */
    float rate;     /* dropout: probability of dropping a value, in [0, 1) */
    float momentum; /* batchnorm: weight of the new batch in the running statistics (0.1) */
    float eps;      /* batchnorm: added to the variance (1e-5) */
} nf_attr;

/* param_off, state_off and value_off of a vertex that has no slice of the
 * buffers yet (appended or inserted, not laid out). */
#define NF_GRAPH_NO_SLICE ((size_t)-1)

typedef struct nf_vertex {
    nf_op op;          /* what it computes; its kind follows from the op */
    int id;            /* unique in the graph, never reused; survives insertions and removals */
    int n_inputs;      /* number of producers */
    int *inputs;       /* producer indices (< own index); owned by the graph */
    int nin;           /* channels in: the producer's nout (concat: the sum; input: image channels) */
    int nout;          /* channels (neurons) out */
    nf_attr attr;      /* op attributes */
    int h, w;          /* output spatial size, set by nf_graph_check */
    size_t param_off;  /* first float of this vertex in the param/grad/moment buffers
                          (NF_GRAPH_NO_SLICE, like state_off and value_off, until laid out) */
    size_t n_param;    /* floats it owns there */
    size_t state_off;  /* first float in the state buffer */
    size_t n_state;    /* floats it owns there */
    size_t value_off;  /* first float in the value buffer (nout floats) */
} nf_vertex;

/* Where a parameter's age stops counting: past it Adam's bias corrections
 * are 1 in float (0.999^65536 is about 4e-29), and a float counts exactly. */
#define NF_AGE_MAX 65536.0f

typedef struct nf_graph {
    int n;             /* vertices, in topological order */
    int cap;           /* allocated vertex slots */
    nf_vertex *v;      /* the vertices */
    int next_id;       /* id the next added vertex gets */
    uint64_t shape_version; /* changes with every structural edit or layout (nf_graph_touch);
                               an nf_exec runs only the version it was made for */
    int in_c, in_h, in_w; /* input image shape */
    size_t n_param;    /* floats in param, grad, moment1, moment2, age */
    float *param;      /* trainable parameters of every vertex */
    float *grad;       /* their gradients (accumulated by backward) */
    float *moment1;    /* optimiser state: momentum / Adam first moment */
    float *moment2;    /* optimiser state: Adam second moment */
    float *age;        /* optimiser state: steps each parameter has taken (Adam's bias
                          correction), capped at NF_AGE_MAX; 0 for a parameter that a
                          mutation just created, so its first step is a fresh network's */
    size_t n_state;    /* floats in state */
    float *state;      /* non-trainable state (batchnorm running mean, variance) */
    size_t n_value;    /* floats in value */
    float *value;      /* neuron value per output neuron (EMA of |act x grad|); <0: never measured */
} nf_graph;

/* The most output channels a vertex may have (a concat sums its inputs':
 * 2^24 is far beyond any network that trains, and keeps nout x h x w
 * products well inside 64 bits). */
#define NF_GRAPH_MAX_NOUT (1 << 24)

/* ---- building ---------------------------------------------------------- */

/* Creates a graph holding only the input vertex for c x h x w images. */
nf_status nf_graph_create(int c, int h, int w, nf_graph **out);
/* Frees g and everything it owns. NULL is a no-op. */
void nf_graph_destroy(nf_graph *g);
/* A deep copy (structure, parameters, state, optimiser state, values). */
nf_status nf_graph_clone(const nf_graph *g, nf_graph **out);

/* Default attributes (stride 1, kernel 3, no bias, relu, bn momentum 0.1,
 * eps 1e-5, alpha 0.01, rate 0). */
nf_attr nf_attr_default(void);

/* Appends a vertex computing op on inputs[0..n_inputs). nout is used by
 * layers (conv2d, dense) and ignored by the others (derived). The new
 * vertex has no parameters yet: call nf_graph_layout() after building.
 * On success *index (if not NULL) is the new vertex's index. */
nf_status nf_graph_append(nf_graph *g, nf_op op, const nf_attr *attr, int nout,
                          const int *inputs, int n_inputs, int *index);

/* Convenience wrappers around nf_graph_append for one-input vertices;
 * they return the new index, or -1 on failure (detail in nf_last_error). */
int nf_graph_conv(nf_graph *g, int input, int nout, int kernel, int stride, int bias);
int nf_graph_dense(nf_graph *g, int input, int nout, int bias);
int nf_graph_batchnorm(nf_graph *g, int input);
int nf_graph_act(nf_graph *g, int input, nf_act act);
int nf_graph_unary(nf_graph *g, nf_op op, int input); /* maxpool, avgpool, gap, dropout (rate 0.5) */

/* ---- checking and laying out ------------------------------------------- */

/* Recomputes nin (every vertex), nout (every vertex but a layer) and h, w
 * from the producers. Checks only what it needs to read them (known op,
 * input counts, topological order; a shape the op can make): NF_ERR_GRAPH. */
nf_status nf_graph_derive(nf_graph *g);

/* Checks every rule on a graph whose sizes are derived, changing nothing:
 * topological order, input counts, attributes, size relations of every
 * kind (NF_ERR_GRAPH "not derived" when nin, nout, h or w disagree with
 * them), spatial sizes agreeing at concat and add, every vertex used, a
 * 1x1 output. NF_ERR_GRAPH with the offending vertex named in the detail. */
nf_status nf_graph_validate(const nf_graph *g);

/* nf_graph_derive, then nf_graph_validate. */
nf_status nf_graph_check(nf_graph *g);

/* Checks g and counts the floats its buffers need, allocating nothing. */
nf_status nf_graph_sizes(nf_graph *g, size_t *n_param, size_t *n_state, size_t *n_value);

/* Gives every vertex its slice of the buffers, keeping the parameters of
 * vertices that already had a slice of the right size and initialising the
 * others with the op's default initialiser (engine/init.h, BN gamma 1...)
 * from rng. Calls nf_graph_check first. */
nf_status nf_graph_layout(nf_graph *g, nf_rng *rng);

/* Sets a layer (conv2d or dense with nin == nout) to the identity map:
 * its output equals its input. */
nf_status nf_graph_set_identity(nf_graph *g, int index);

/* Gives g a new shape_version, unique in the process: every function that
 * changes vertices, edges, sizes or buffer slices calls it, so an executor
 * made before the change refuses to run (nf_exec_forward). A clone keeps
 * its original's version (same shapes, the same executor fits). */
void nf_graph_touch(nf_graph *g);

/* ---- queries ----------------------------------------------------------- */

nf_kind nf_graph_kind(const nf_graph *g, int index);
const char *nf_op_name(nf_op op);
const char *nf_act_name(nf_act act);
/* Index of the vertex with this id, or -1. */
int nf_graph_find(const nf_graph *g, int id);
/* Number of consumers of vertex index, and (if out != NULL) their indices. */
int nf_graph_consumers(const nf_graph *g, int index, int *out);
/* Index of the output vertex (the last). */
static inline int nf_graph_output(const nf_graph *g) { return g->n - 1; }
/* Number of output classes (the output vertex's nout). */
static inline int nf_graph_classes(const nf_graph *g) { return g->v[g->n - 1].nout; }
/* Trainable parameter count. */
static inline size_t nf_graph_param_count(const nf_graph *g) { return g->n_param; }

#endif
