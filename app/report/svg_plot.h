/* Small charts as inline SVG for the report page: lines and dots on
 * linear or log-x axes, with ticks, labels and a legend. Written as text
 * with fixed sizes and generic font families, so the page needs nothing
 * else to show them (no fonts, no scripts, no files beside it). */
#ifndef NF_SVG_PLOT_H
#define NF_SVG_PLOT_H

#include <stdio.h>

typedef enum nf_svg_style { NF_SVG_LINE, NF_SVG_DASHED, NF_SVG_DOTS } nf_svg_style;

typedef struct nf_svg_series {
    const char *name;            /* legend text (escaped when written); NULL: not in the legend */
    const double *x, *y;         /* n points; a point with a non-finite coordinate is skipped */
    int n;
    nf_svg_style style;
    const char *color;           /* a CSS colour chosen by the caller, e.g. "#1f77b4" (not escaped) */
    const double *shade;         /* DOTS: [n] opacity in [0, 1] per point; NULL: opaque */
    const char *const *labels;   /* DOTS: [n] hover text per point (escaped); may be NULL */
    int highlight;               /* DOTS: index of the point drawn large and ringed, -1 none */
} nf_svg_series;

typedef struct nf_svg_chart {
    const char *title, *x_label, *y_label; /* escaped when written */
    int width, height;                     /* in CSS pixels */
    int log_x;                             /* x on a log scale (x > 0) */
    int n_series;
    const nf_svg_series *series;
} nf_svg_chart;

/* Writes the chart as one <svg> element. With no finite point at all it
 * writes a note instead of axes. */
void nf_svg_chart_write(FILE *f, const nf_svg_chart *c);

#endif
