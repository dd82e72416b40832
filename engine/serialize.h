/* A graph with its weights, batchnorm statistics, optimiser state and
 * neuron values as a byte buffer, and back, exact to the bit. The run store
 * keeps these buffers as BLOBs. The format is little-endian, versioned, and
 * every field is checked when read: a damaged buffer gives NF_ERR_FORMAT
 * with the offset, never a crash. */
#ifndef NF_SERIALIZE_H
#define NF_SERIALIZE_H

#include <stddef.h>

#include "engine/graph.h"

/* *buf is allocated with malloc (the caller frees it); *len its size. */
nf_status nf_graph_serialize(const nf_graph *g, unsigned char **buf, size_t *len);

nf_status nf_graph_deserialize(const unsigned char *buf, size_t len, nf_graph **out);

#endif
