/* Progress plots with PLplot (libplplot-dev) and its Cairo PNG driver
 * (plplot-driver-cairo): a C plotting library made for scientific plots,
 * packaged by Debian, that lays out axes, log scales, labels, legends and
 * anti-aliased text by itself; Cairo alone would leave all of that to us.
 * The only file that includes PLplot. PLplot ends the process on a fatal
 * error, so everything it could refuse is checked before it is called. */
#include "app/formats/plot.h"

#include <errno.h>
#include <math.h>
#include <plplot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* cmap0 slots set up in start(). */
enum { INK = 1, BEST = 2, MEDIAN = 3, GRID = 4, STAR = 5, RUNS = 6 };
#define MAX_RUNS 8

/* Character heights relative to PLplot's default, which is large at 1400x600. */
#define TEXT 0.55
#define HEADING 0.65

static nf_status check_values(const char *what, const double *v, int n, double min, double max)
{
    if (n < 1 || !v) return nf_fail(NF_ERR_ARG, "plot: no %s", what);
    for (int i = 0; i < n; i++)
        if (!(v[i] >= min && v[i] <= max))
            return nf_fail(NF_ERR_ARG, "plot: %s %d is %g, outside [%g, %g]", what, i, v[i], min, max);
    return NF_OK;
}

static nf_status check_data(const char *path, const nf_plot_data *d)
{
    nf_status st;
    if ((st = check_values("best accuracy", d->best, d->n_generations, 0, 1)) ||
        (st = check_values("median accuracy", d->median, d->n_generations, 0, 1)) ||
        (st = check_values("candidate accuracy", d->accuracy, d->n_candidates, 0, 1)) ||
        (st = check_values("parameter count", d->params, d->n_candidates, 1, 1e15)))
        return st;
    FILE *f = fopen(path, "wb"); /* PLplot would exit on an unwritable file */
    if (!f) return nf_fail(NF_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    fclose(f);
    return NF_OK;
}

static void start(const char *path)
{
    plsdev("pngcairo");
    plsfnam(path);
    plsetopt("geometry", "1400x600");
    plscmap0n(RUNS + MAX_RUNS);
    plscol0(0, 255, 255, 255);    /* background */
    plscol0(INK, 30, 30, 30);
    plscol0(BEST, 31, 119, 180);
    plscol0(MEDIAN, 255, 127, 14);
    plscol0(GRID, 215, 215, 215);
    plscol0(STAR, 214, 39, 40);
    static const int run_rgb[MAX_RUNS][3] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44}, {214, 39, 40},
                                             {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {127, 127, 127}};
    for (int i = 0; i < MAX_RUNS; i++) plscol0(RUNS + i, run_rgb[i][0], run_rgb[i][1], run_rgb[i][2]);
    plscmap1n(256);
    double pos[2] = {0, 1}, r[2] = {0.75, 0.03}, g[2] = {0.82, 0.25}, b[2] = {0.93, 0.55};
    plscmap1l(1, 2, pos, r, g, b, NULL); /* light blue (early) to dark blue (late) */
    plinit();
    pladv(0); /* one page; the panels are viewports side by side */
    plschr(0, TEXT);
}

/* Axes with a light grid; xopt adds "l" for a log axis. */
static void axes(const char *xopt, double xtick, const char *xlabel, const char *ylabel, const char *title)
{
    char grid[16];
    snprintf(grid, sizeof grid, "g%s", strchr(xopt, 'l') ? "l" : "");
    plcol0(GRID);
    plwidth(0.5);
    plbox(grid, xtick, 0, "g", 0, 0);
    plcol0(INK);
    plwidth(1);
    plbox(xopt, xtick, 0, "bcnstv", 0, 0);
    plschr(0, HEADING);
    pllab(xlabel, ylabel, title);
    plschr(0, TEXT);
}

/* An accuracy range with a margin, within [0, 1]. */
static void y_range(const double *a, int n, const double *b, int m, double *lo, double *hi)
{
    *lo = 1; *hi = 0;
    for (int i = 0; i < n; i++) { *lo = fmin(*lo, a[i]); *hi = fmax(*hi, a[i]); }
    for (int i = 0; b && i < m; i++) { *lo = fmin(*lo, b[i]); *hi = fmax(*hi, b[i]); }
    double pad = fmax(0.02, 0.08 * (*hi - *lo));
    *lo = fmax(0, *lo - pad);
    *hi = fmin(1, *hi + pad);
}

static void legend(int n, const char **text, const PLINT *opts, const PLINT *colors, const PLINT *styles,
                   const char **symbols, PLINT position)
{
    PLFLT w, h, widths[3] = {2.5, 2.5, 2.5}, scales[3] = {0.9, 0.9, 0.9};
    PLINT text_colors[3] = {INK, INK, INK}, numbers[3] = {1, 1, 1};
    pllegend(&w, &h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX, position, 0.02, 0.03, 0.08, 0, INK, 1, 0, 0, n,
             opts, 1.0, TEXT, 2.0, 0.0, text_colors, text, NULL, NULL, NULL, NULL, colors, styles, widths, colors,
             scales, numbers, symbols);
}

static void accuracy_panel(const nf_plot_data *d)
{
    int n = d->n_generations;
    double *x = malloc((size_t)n * sizeof *x), lo, hi;
    if (!x) return;
    for (int i = 0; i < n; i++) x[i] = i;
    y_range(d->best, n, d->median, n, &lo, &hi);
    plvpor(0.06, 0.47, 0.11, 0.84);
    plwind(n > 1 ? -0.3 : -1, n > 1 ? n - 0.7 : 1, lo, hi);
    axes("bcnst", n > 10 ? 0 : 1, "generation", "validation accuracy", "Best and median validation accuracy per generation");
    plwidth(2.5);
    plcol0(MEDIAN);
    pllsty(2);
    if (n > 1) plline(n, x, d->median); else plstring(n, x, d->median, "#(840)");
    plcol0(BEST);
    pllsty(1);
    if (n > 1) plline(n, x, d->best); else plstring(n, x, d->best, "#(840)");
    plwidth(1);
    const char *text[2] = {"best", "median"}, *sym[2] = {"", ""};
    PLINT opts[2] = {PL_LEGEND_LINE, PL_LEGEND_LINE}, colors[2] = {BEST, MEDIAN}, styles[2] = {1, 2};
    legend(2, text, opts, colors, styles, sym, PL_POSITION_BOTTOM | PL_POSITION_RIGHT | PL_POSITION_INSIDE | PL_POSITION_VIEWPORT);
    free(x);
}

static void population_panel(const nf_plot_data *d)
{
    int n = d->n_candidates, last = 0, best = 0;
    double lo, hi, pmin = INFINITY, pmax = 0;
    for (int i = 0; i < n; i++) {
        pmin = fmin(pmin, d->params[i]);
        pmax = fmax(pmax, d->params[i]);
        if (d->generation && d->generation[i] > last) last = d->generation[i];
        if (d->accuracy[i] > d->accuracy[best]) best = i;
    }
    y_range(d->accuracy, n, NULL, 0, &lo, &hi);
    lo = fmax(0, lo - 0.2 * (hi - lo)); /* an empty band at the bottom for the legend */
    double xlo = log10(pmin) - 0.15, xhi = log10(pmax) + 0.15;
    plvpor(0.56, 0.97, 0.11, 0.84);
    plwind(xlo, xhi, lo, hi);
    axes("bcnstl", 0, "trainable parameters (log scale)", "validation accuracy", "Population: size against accuracy");
    for (int i = 0; i < n; i++) {
        double x = log10(d->params[i]), y = d->accuracy[i];
        plcol1(d->generation && last > 0 ? (double)d->generation[i] / last : 1.0);
        plstring(1, &x, &y, "#(840)");
    }
    double bx = log10(d->params[best]), by = d->accuracy[best];
    plcol0(STAR);
    plschr(0, 1.1);
    plstring(1, &bx, &by, "#(852)");
    plschr(0, TEXT);
    plcol1(0.5);
    const char *text[2] = {"candidate (darker: later generation)", "best candidate"}, *sym[2] = {"#(840)", "#(852)"};
    PLINT opts[2] = {PL_LEGEND_SYMBOL, PL_LEGEND_SYMBOL}, colors[2] = {BEST, STAR}, styles[2] = {1, 1};
    legend(2, text, opts, colors, styles, sym, PL_POSITION_BOTTOM | PL_POSITION_RIGHT | PL_POSITION_INSIDE | PL_POSITION_VIEWPORT);
}

nf_status nf_plot_progress(const char *path, const nf_plot_data *d)
{
    nf_status st = check_data(path, d);
    if (st) return st;
    start(path);
    accuracy_panel(d);
    population_panel(d);
    if (d->title) { /* across both panels */
        plvpor(0, 1, 0, 1);
        plwind(0, 1, 0, 1);
        plcol0(INK);
        plschr(0, 0.8);
        plptex(0.5, 0.94, 1, 0, 0.5, d->title);
    }
    plend();
    struct stat sb;
    if (stat(path, &sb) != 0 || sb.st_size < 100)
        return nf_fail(NF_ERR_IO, "%s: PLplot wrote no picture (is plplot-driver-cairo installed?)", path);
    return NF_OK;
}

/* ==== several runs ======================================================== */

static nf_status check_runs(const char *path, const nf_plot_run *runs, int n_runs)
{
    if (n_runs < 1 || n_runs > MAX_RUNS) return nf_fail(NF_ERR_ARG, "plot: %d runs to compare (1 to %d)", n_runs, MAX_RUNS);
    for (int r = 0; r < n_runs; r++) {
        nf_status st = check_values("accuracy", runs[r].accuracy, runs[r].n, 0, 1);
        if (!st) st = check_values("minutes", runs[r].minutes, runs[r].n, 0, 1e9);
        if (st) return nf_fail(st, "%s: %s", runs[r].label, nf_last_error());
    }
    FILE *f = fopen(path, "wb");
    if (!f) return nf_fail(NF_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    fclose(f);
    return NF_OK;
}

nf_status nf_plot_compare(const char *path, const char *title, const nf_plot_run *runs, int n_runs)
{
    nf_status st = check_runs(path, runs, n_runs);
    if (st) return st;
    double lo = 1, hi = 0, tmax = 0;
    for (int r = 0; r < n_runs; r++) {
        double l, h;
        y_range(runs[r].accuracy, runs[r].n, NULL, 0, &l, &h);
        lo = fmin(lo, l);
        hi = fmax(hi, h);
        tmax = fmax(tmax, runs[r].minutes[runs[r].n - 1]);
    }
    start(path);
    plvpor(0.07, 0.97, 0.11, 0.86);
    plwind(0, tmax > 0 ? tmax * 1.03 : 1, lo, hi);
    axes("bcnst", 0, "wall-clock minutes since the run started", "best validation accuracy so far",
         title ? title : "Best validation accuracy against time");
    const char *text[MAX_RUNS], *sym[MAX_RUNS];
    PLINT opts[MAX_RUNS], colors[MAX_RUNS], styles[MAX_RUNS];
    plwidth(2.5);
    for (int r = 0; r < n_runs; r++) {
        plcol0(RUNS + r);
        if (runs[r].n > 1) plline(runs[r].n, runs[r].minutes, runs[r].accuracy);
        plstring(1, &runs[r].minutes[runs[r].n - 1], &runs[r].accuracy[runs[r].n - 1], "#(840)"); /* where it ended */
        text[r] = runs[r].label;
        sym[r] = "";
        opts[r] = PL_LEGEND_LINE;
        colors[r] = RUNS + r;
        styles[r] = 1;
    }
    plwidth(1);
    legend(n_runs, text, opts, colors, styles, sym, PL_POSITION_BOTTOM | PL_POSITION_RIGHT | PL_POSITION_INSIDE | PL_POSITION_VIEWPORT);
    plend();
    struct stat sb;
    if (stat(path, &sb) != 0 || sb.st_size < 100)
        return nf_fail(NF_ERR_IO, "%s: PLplot wrote no picture (is plplot-driver-cairo installed?)", path);
    return NF_OK;
}
