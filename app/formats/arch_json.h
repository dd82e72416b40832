/* An architecture as plain JSON text, and back: what `nasfit show --json`
 * prints, what the run store keeps in its candidates table, what
 * `nasfit train --arch FILE` reads and what a .nfm model file carries.
 * One of the two files that include the JSON library (jansson); the other
 * is app/formats/json_out.c, the writer of the read commands' --json.
 *
 *   {
 *     "format": "nasfit-architecture", "version": 1,
 *     "input": {"channels": 1, "height": 28, "width": 28},
 *     "parameters": 65994,
 *     "vertices": [
 *       {"id": 0, "op": "input", "inputs": [], "nout": 1, "h": 28, "w": 28, "parameters": 0},
 *       {"id": 1, "op": "conv2d", "inputs": [0], "nout": 32, "kernel": 3, "stride": 1,
 *        "bias": false, "h": 28, "w": 28, "parameters": 288},
 *       {"id": 3, "op": "act", "inputs": [2], "nout": 32, "activation": "relu", ...},
 *       ...
 *     ]
 *   }
 *
 * Vertices are in topological order; "inputs" lists producer ids. Each op
 * carries only its own attributes: conv2d kernel, stride, bias; dense bias;
 * act activation (and alpha for leaky_relu, elu); dropout rate; batchnorm
 * momentum, eps. "h", "w" (output size) and "parameters" are derived, for
 * reading: the reader ignores them. "nout" is required for conv2d and
 * dense; for other ops it may be left out, and when given must equal what
 * the inputs make it. Unknown keys are rejected (a typo must not pass). */
#ifndef NF_ARCH_JSON_H
#define NF_ARCH_JSON_H

#include "engine/graph.h"
#include "engine/rng.h"

/* The architecture of g (checked: nf_graph_check has run, so h, w are
 * set) as indented JSON text in *json, malloc'd; the caller frees it. */
nf_status nf_arch_to_json(const nf_graph *g, char **json);

/* Builds a fresh graph from json: structure, ids and attributes from the
 * text, checked (nf_graph_check) and laid out with new weights drawn from
 * rng. Bad JSON, a missing or wrong field, an unknown op or an invalid
 * graph give NF_ERR_FORMAT (or NF_ERR_GRAPH) with a detail that starts
 * with source_name and says where (line, vertex id, key) and what is
 * wrong. The caller owns *out. */
nf_status nf_arch_from_json(const char *json, const char *source_name, nf_rng *rng, nf_graph **out);

/* How to read: the name of the text in messages; rng draws the weights
 * (NULL: shapes only, nothing laid out or allocated for weights: what
 * show needs); max_floats, when not 0, bounds parameters + statistics
 * before they are allocated (a model file: the floats its bytes hold). */
typedef struct nf_arch_read {
    const char *source;
    nf_rng *rng;
    size_t max_floats;
} nf_arch_read;
nf_status nf_arch_read_json(const char *json, const nf_arch_read *how, nf_graph **out);

/* Reads path and calls nf_arch_from_json with it as source name. */
nf_status nf_arch_load(const char *path, nf_rng *rng, nf_graph **out);

#endif
