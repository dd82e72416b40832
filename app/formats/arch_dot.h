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

/* Renders n DOT graphs to SVG through one run of Graphviz's `dot`: svgs[i]
 * (malloc'd, the caller frees each) is graph i's <svg> element alone, fit
 * to be put inside an HTML page: no XML prolog, no DOCTYPE (it names a
 * DTD on the web), no namespace attributes, class="arch". NF_ERR_IO when
 * dot is missing or fails; then every svgs[i] is NULL. */
nf_status nf_dot_render_svgs(char *const *dots, int n, char **svgs);

#endif
