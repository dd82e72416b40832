/* Why not PLplot's svg driver: its output positions every glyph of every
 * label as a separate path or relies on installed fonts, weighs tens of
 * kilobytes per chart, and PLplot keeps global state and ends the process
 * on a fatal error; a chart here is a few hundred lines of plain SVG text
 * that the browser lays out with its own sans-serif font. */
#include "app/report/svg_plot.h"

#include <math.h>
#include <string.h>

#include "app/report/html_text.h"

/* Margins around the plotting area, in pixels. */
enum { LEFT = 58, RIGHT = 14, TOP = 30, BOTTOM = 44 };

typedef struct frame {
    double x0, x1, y0, y1;   /* data range (log10 of x when log_x) */
    double px0, px1, py0, py1; /* the plotting area in pixels (py0 is the bottom) */
    int log_x;
} frame;

static double tx(const frame *f, double x)
{
    double v = f->log_x ? log10(x) : x;
    return f->px0 + (v - f->x0) / (f->x1 - f->x0) * (f->px1 - f->px0);
}

static double ty(const frame *f, double y) { return f->py0 - (y - f->y0) / (f->y1 - f->y0) * (f->py0 - f->py1); }

static int usable(const frame *f, double x, double y) { return isfinite(x) && isfinite(y) && (!f->log_x || x > 0); }

/* The data's range over every series; 0 when there is no usable point. */
static int data_range(const nf_svg_chart *c, frame *f)
{
    int any = 0;
    f->x0 = f->y0 = INFINITY;
    f->x1 = f->y1 = -INFINITY;
    for (int s = 0; s < c->n_series; s++)
        for (int i = 0; i < c->series[s].n; i++) {
            double x = c->series[s].x[i], y = c->series[s].y[i];
            if (!usable(f, x, y)) continue;
            double v = c->log_x ? log10(x) : x;
            f->x0 = fmin(f->x0, v); f->x1 = fmax(f->x1, v);
            f->y0 = fmin(f->y0, y); f->y1 = fmax(f->y1, y);
            any = 1;
        }
    if (!any) return 0;
    double xpad = f->x1 > f->x0 ? 0.04 * (f->x1 - f->x0) : 0.5, ypad = f->y1 > f->y0 ? 0.08 * (f->y1 - f->y0) : 0.01;
    f->x0 -= xpad; f->x1 += xpad; f->y0 -= ypad; f->y1 += ypad;
    return 1;
}

/* A step of 1, 2 or 5 times a power of ten giving about `want` ticks. */
static double nice_step(double range, int want)
{
    double raw = range / want, p = pow(10, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static void tick_label(double v, int log_x, char *buf, size_t cap)
{
    if (log_x) {
        double n = pow(10, v);
        if (n >= 1e6) snprintf(buf, cap, "%gM", n / 1e6);
        else if (n >= 1e3) snprintf(buf, cap, "%gk", n / 1e3);
        else snprintf(buf, cap, "%g", n);
    } else {
        snprintf(buf, cap, "%.6g", fabs(v) < 1e-12 ? 0.0 : v);
    }
}

static void axes(FILE *out, const frame *f, const nf_svg_chart *c)
{
    char label[32];
    double ys = nice_step(f->y1 - f->y0, 5), xs = f->log_x ? 1 : nice_step(f->x1 - f->x0, 6);
    fprintf(out, "<g class=\"grid\" stroke=\"#ddd\" stroke-width=\"1\" font-size=\"11\" fill=\"#444\">\n");
    for (double y = ceil(f->y0 / ys) * ys; y <= f->y1 + 1e-12; y += ys) {
        tick_label(y, 0, label, sizeof label);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" "
                     "text-anchor=\"end\" stroke=\"none\">%s</text>\n",
                f->px0, ty(f, y), f->px1, ty(f, y), f->px0 - 5, ty(f, y) + 4, label);
    }
    for (double x = ceil(f->x0 / xs) * xs; x <= f->x1 + 1e-12; x += xs) {
        double px = f->px0 + (x - f->x0) / (f->x1 - f->x0) * (f->px1 - f->px0);
        tick_label(x, f->log_x, label, sizeof label);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" "
                     "text-anchor=\"middle\" stroke=\"none\">%s</text>\n",
                px, f->py0, px, f->py1, px, f->py0 + 15, label);
    }
    fprintf(out, "</g>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#888\"/>\n",
            f->px0, f->py1, f->px1 - f->px0, f->py0 - f->py1);
    fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"12\" fill=\"#222\">",
            (f->px0 + f->px1) / 2, c->height - 8);
    nf_html_text(out, c->x_label);
    fprintf(out, "</text>\n<text transform=\"translate(14 %.1f) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\" "
                 "fill=\"#222\">", (f->py0 + f->py1) / 2);
    nf_html_text(out, c->y_label);
    fprintf(out, "</text>\n");
}

static void line(FILE *out, const frame *f, const nf_svg_series *s)
{
    fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", s->color,
            s->style == NF_SVG_DASHED ? " stroke-dasharray=\"6 4\"" : "");
    for (int i = 0; i < s->n; i++)
        if (usable(f, s->x[i], s->y[i])) fprintf(out, "%.1f,%.1f ", tx(f, s->x[i]), ty(f, s->y[i]));
    fprintf(out, "\"/>\n");
    if (s->n == 1 && usable(f, s->x[0], s->y[0])) /* one point: a line would not show */
        fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", tx(f, s->x[0]), ty(f, s->y[0]), s->color);
}

static void dots(FILE *out, const frame *f, const nf_svg_series *s)
{
    for (int i = 0; i < s->n; i++) {
        if (!usable(f, s->x[i], s->y[i]) || i == s->highlight) continue;
        fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\" fill-opacity=\"%.2f\">", tx(f, s->x[i]),
                ty(f, s->y[i]), s->color, s->shade ? 0.25 + 0.75 * s->shade[i] : 0.8);
        if (s->labels) { fputs("<title>", out); nf_html_text(out, s->labels[i]); fputs("</title>", out); }
        fputs("</circle>\n", out);
    }
    int h = s->highlight;
    if (h >= 0 && h < s->n && usable(f, s->x[h], s->y[h])) {
        fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"7\" fill=\"#d62728\" stroke=\"#222\" stroke-width=\"1.5\">",
                tx(f, s->x[h]), ty(f, s->y[h]));
        if (s->labels) { fputs("<title>", out); nf_html_text(out, s->labels[h]); fputs("</title>", out); }
        fputs("</circle>\n", out);
    }
}

static void legend(FILE *out, const frame *f, const nf_svg_chart *c)
{
    double x = f->px1 - 150, y = f->py0 - 10; /* bottom right: curves that rise leave it empty */
    int rows = 0;
    for (int s = 0; s < c->n_series; s++) rows += c->series[s].name != NULL;
    y -= 16.0 * (rows - 1);
    for (int s = 0; s < c->n_series; s++) {
        const nf_svg_series *v = &c->series[s];
        if (!v->name) continue;
        if (v->style == NF_SVG_DOTS) fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>", x + 9, y - 4, v->color);
        else fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s/>",
                     x, y - 4, x + 18, y - 4, v->color, v->style == NF_SVG_DASHED ? " stroke-dasharray=\"6 4\"" : "");
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#222\">", x + 24, y);
        nf_html_text(out, v->name);
        fputs("</text>\n", out);
        y += 16;
    }
}

void nf_svg_chart_write(FILE *out, const nf_svg_chart *c)
{
    frame f = {.log_x = c->log_x, .px0 = LEFT, .px1 = c->width - RIGHT, .py0 = c->height - BOTTOM, .py1 = TOP};
    fprintf(out, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
                 "font-family=\"sans-serif\">\n<title>", c->width, c->height, c->width, c->height);
    nf_html_text(out, c->title);
    fprintf(out, "</title>\n<text x=\"%d\" y=\"18\" font-size=\"13\" font-weight=\"bold\" fill=\"#222\">", LEFT);
    nf_html_text(out, c->title);
    fputs("</text>\n", out);
    if (!data_range(c, &f)) {
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#666\">nothing to draw yet</text>\n</svg>\n", LEFT,
                c->height / 2);
        return;
    }
    axes(out, &f, c);
    for (int s = 0; s < c->n_series; s++) {
        if (c->series[s].style == NF_SVG_DOTS) dots(out, &f, &c->series[s]);
        else line(out, &f, &c->series[s]);
    }
    legend(out, &f, c);
    fputs("</svg>\n", out);
}
