/* The op table: what each op contributes to the engine.
 *
 * One file per op (engine/ops/<name>.c) defines one nf_op_def; the table in
 * engine/op.c indexes them by nf_op and nf_op_table_check() (run by the
 * tests) checks every entry is there with what its kind needs. A NULL function pointer means "nothing to do" (no
 * parameters, no saved data, ...). Adding a layer kind is one file and one
 * table entry. */
#ifndef NF_OP_H
#define NF_OP_H

#include <math.h>
#include <stddef.h>

#include "engine/graph.h"
#include "engine/tensor.h"

/* Everything one forward or backward call of one vertex sees. */
typedef struct nf_op_call {
    const nf_vertex *v;         /* the vertex */
    int n_inputs;               /* == v->n_inputs */
    const nf_tensor *const *x;  /* the producers' outputs */
    nf_tensor *const *dx;       /* gradients of the loss w.r.t. x, written by backward (see
                                   dx_add); an entry is NULL when no gradient is needed (the image) */
    const unsigned char *dx_add; /* per input: nonzero: backward ADDS INTO dx[k] (it holds another
                                    consumer's part already); zero: backward OVERWRITES dx[k]
                                    (saves zeroing every gradient buffer each step) */
    nf_tensor *y;               /* this vertex's output (forward writes it) */
    const nf_tensor *dy;        /* gradient w.r.t. y (backward reads it) */
    const float *param;         /* v->n_param floats */
    float *grad;                /* v->n_param floats, ADDED INTO by backward */
    float *state;               /* v->n_state floats (running statistics) */
    float *aux;                 /* aux_floats() floats kept from forward to backward */
    float *work;                /* work_floats() floats of scratch, shared by all vertices */
    int training;               /* nonzero: batch statistics, dropout on */
    int threads;                /* OpenMP threads the op may use (>= 1) */
    nf_rng *rng;                /* for dropout */
    const struct nf_conv_tuning *tuning; /* the executor's snapshot (conv2d's work was sized by it) */
} nf_op_call;

/* A run of parameters (or state) that follows the neurons, for weight
 * surgery: `rows` rows, one per output neuron (or a single row when
 * per_out is 0), each of `cols` columns, one per input neuron (or a single
 * column when per_in is 0), each of `inner` floats (a conv's k*k taps).
 * Floats are [row][col][inner], blocks one after another. */
typedef enum nf_fresh {
    NF_FRESH_ZERO,   /* a new entry starts at 0 (biases, shifts, means) */
    NF_FRESH_ONE,    /* starts at 1 (batchnorm scale, running variance) */
    NF_FRESH_RANDOM  /* a new output neuron's incoming weights: small random */
} nf_fresh;

typedef struct nf_block {
    int per_out;     /* rows follow output neurons */
    int per_in;      /* columns follow input neurons */
    int inner;       /* floats per (row, column) */
    nf_fresh fresh;  /* what a new row starts as; new columns of an old row start at 0 */
} nf_block;

#define NF_MAX_BLOCKS 4

/* Ops that split a batch between threads split it into this many slices
 * whatever the thread count, each with its own scratch and its own partial
 * weight gradient summed in slice order, so results do not depend on the
 * number of threads. */
#define NF_SLICES 2

/* Conv2d implementation choices; the defaults are what measured fastest
 * here. An executor is made with them (nf_exec_create_tuned; its work
 * buffer is sized by them) and runs every conv with its own copy: there is
 * no process-wide setting. */
typedef struct nf_conv_tuning {
    int winograd;    /* nonzero: 3x3 stride-1 convs by Winograd F(2x2,3x3) */
    int wino_min_in; /* Winograd only with at least this many input channels (its
                        GEMMs have nin as inner size; im2col's have 9 nin) */
    int wino_tiles;  /* Winograd: tiles (of 2x2 outputs) per GEMM, about */
    int col_floats;  /* im2col: floats per column buffer, at most about */
} nf_conv_tuning;

/* Winograd on from 4 input channels, 192 tiles per GEMM, 2^20-float im2col buffers. */
nf_conv_tuning nf_conv_tuning_default(void);

/* One attribute of an op as files store and people read it: the
 * architecture JSON writes and reads it through this, `show` prints it. */
typedef enum nf_attr_type {
    NF_ATTR_INT,   /* an int field */
    NF_ATTR_BOOL,  /* an int field, 0 or 1; true/false in JSON */
    NF_ATTR_REAL,  /* a float field */
    NF_ATTR_ACT    /* the nf_act field, by name; it also sets alpha to the function's default */
} nf_attr_type;

typedef struct nf_attr_desc {
    const char *key;     /* as in JSON; NULL ends an op's list */
    nf_attr_type type;
    size_t offset;       /* of the field in nf_attr */
    double min, max;     /* the accepted values (numbers) */
    int required;        /* a file must give it; otherwise an absent one keeps its default */
    double fallback;     /* the default when absent, over nf_attr_default's (NF_ATTR_KEEP: nf_attr_default's) */
    /* Whether it means anything for these attributes (alpha: leaky relu and elu only); NULL: always. */
    int (*applies)(const nf_attr *a);
} nf_attr_desc;

#define NF_ATTR_KEEP NAN
#define NF_ATTR(key, type, field, lo, hi, required, fallback, applies) \
    {key, type, offsetof(nf_attr, field), lo, hi, required, fallback, applies}

/* The attribute's value as a double (its name's index for NF_ATTR_ACT). */
double nf_attr_get(const nf_attr *a, const nf_attr_desc *d);
/* Sets it from a double (checked against the range by the caller). */
void nf_attr_set(nf_attr *a, const nf_attr_desc *d, double value);

typedef struct nf_op_def {
    const char *name;  /* "conv2d", as in JSON and messages */
    nf_kind kind;
    /* Output spatial size from the input's; NF_ERR_GRAPH if impossible. NULL: same as input. */
    nf_status (*shape)(const nf_vertex *v, int in_h, int in_w, int *h, int *w);
    /* Parameter floats and state floats for the vertex's current sizes. */
    size_t (*n_param)(const nf_vertex *v);
    size_t (*n_state)(const nf_vertex *v);
    /* Floats kept between forward and backward, for a batch of n inputs of in_h x in_w. */
    size_t (*aux_floats)(const nf_vertex *v, int n, int in_h, int in_w);
    /* Scratch floats needed during forward or backward, with tuning t. */
    size_t (*work_floats)(const nf_vertex *v, int n, int in_h, int in_w, const struct nf_conv_tuning *t);
    /* Default initialisation of param and state (engine/init.h says which). */
    void (*init)(const nf_vertex *v, float *param, float *state, nf_rng *rng);
    /* Sets param to the identity map (layers only, nin == nout). */
    void (*identity)(const nf_vertex *v, float *param);
    void (*forward)(const nf_op_call *c);
    void (*backward)(const nf_op_call *c);
    /* Describes param and state as blocks, for weight surgery; returns the
     * number of blocks written (<= NF_MAX_BLOCKS). */
    int (*param_blocks)(const nf_vertex *v, nf_block *blocks);
    int (*state_blocks)(const nf_vertex *v, nf_block *blocks);
    /* Its attributes (a list ended by a NULL key; nf_op_no_attrs when it
     * has none), in the order files write them. */
    const nf_attr_desc *attrs;
    /* Forward FLOPs per image, multiply-adds counting two, from the
     * vertex's sizes (h, w set) and its first input's (NULL for the image). */
    double (*flops)(const nf_vertex *v, const nf_vertex *in);
    /* Its token in a one-line brief of a graph ("c32k5s2 ", "max ", "| "),
     * as snprintf returns; nf_op_brief_none for an op a brief leaves out. */
    int (*brief)(const nf_vertex *v, char *buf, size_t cap);
} nf_op_def;

extern const nf_attr_desc nf_op_no_attrs[];
/* FLOPs of a pass over the larger of the input and the output (the
 * memory-bound ops); a brief token of nothing. */
double nf_op_flops_pass(const nf_vertex *v, const nf_vertex *in);
int nf_op_brief_none(const nf_vertex *v, char *buf, size_t cap);

/* A one-line description of g from its ops' brief tokens
 * ("c16 c16 max c32 | c64 gap d10"), cut to cap. */
void nf_graph_brief(const nf_graph *g, char *buf, size_t cap);

extern const nf_op_def *const nf_op_table[NF_OP_COUNT];

/* NF_ERR_GRAPH naming the first op whose table entry is missing or lacks a
 * function its kind needs (forward, backward; a layer's n_param, init,
 * identity, param_blocks; state_blocks with state) or what the rest of
 * the program describes it by (attrs, flops, brief). */
nf_status nf_op_table_check(void);
/* The same for one entry: NULL when complete, else what it lacks. */
const char *nf_op_def_missing(const nf_op_def *d);

/* For a backward that can only add into dx[k]: zeroes dx[k] first when it
 * is to be overwritten. */
void nf_op_dx_begin(const nf_op_call *c, int k);

/* A layer's bias, one per output channel: y[o][*] += b[o] (forward), and
 * db[o] += the sum of dy[o][*] (backward). Shared by conv2d and dense. */
void nf_op_add_bias(nf_tensor *y, const float *b);
void nf_op_bias_grad(const nf_tensor *dy, float *db);

static inline const nf_op_def *nf_op_def_of(nf_op op) { return nf_op_table[op]; }

/* The op definitions, one per file in engine/ops/. */
extern const nf_op_def nf_op_input, nf_op_conv2d, nf_op_dense, nf_op_batchnorm,
    nf_op_act, nf_op_maxpool, nf_op_avgpool, nf_op_gap, nf_op_dropout,
    nf_op_concat, nf_op_add;

#endif
