/* An architecture as a Graphviz DOT graph: one box per vertex with its
 * kind, sizes, output shape and parameter count, edges from producers. */
#ifndef NF_ARCH_DOT_H
#define NF_ARCH_DOT_H

#include "engine/graph.h"

/* The DOT text of g (checked, so h and w are set), malloc'd; title (may be
 * NULL) is drawn above the graph. */
nf_status nf_arch_to_dot(const nf_graph *g, const char *title, char **dot);

/* Renders DOT text to a PNG at png_path through Graphviz's `dot` program.
 * NF_ERR_IO when dot is not installed or fails (the detail says which). */
nf_status nf_dot_render_png(const char *dot, const char *png_path);

#endif
