#include "app/report/report_html.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/report/html_text.h"
#include "app/report/svg_plot.h"

#define E(f, s) nf_html_text((f), (s))

static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f"};
#define PALETTE ((int)(sizeof palette / sizeof palette[0]))

static const char css[] =
    "body{font-family:sans-serif;color:#222;background:#fff;margin:0 auto;max-width:1240px;padding:12px 20px;line-height:1.35}"
    "h1{font-size:22px;margin:6px 0 2px}h2{font-size:18px;margin:26px 0 8px;border-bottom:1px solid #ccc;padding-bottom:3px}"
    ".sub{color:#555;margin:0 0 12px}"
    ".cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #ccc;border-radius:6px;padding:8px 12px;min-width:150px}"
    ".card .k{font-size:12px;color:#555}.card .v{font-size:20px;font-weight:bold}.card .n{font-size:12px;color:#555}"
    ".status-running{color:#1f6f1f}.status-done{color:#1f4f9f}.status-other{color:#a33}"
    ".charts{display:flex;flex-wrap:wrap;gap:12px}svg.chart{border:1px solid #e4e4e4;border-radius:4px;max-width:100%;height:auto}"
    "svg.arch{max-width:100%;max-height:900px;width:auto;height:auto}.side{display:flex;flex-wrap:wrap;gap:28px;align-items:flex-start}"
    "table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ddd;padding:3px 7px;text-align:right;vertical-align:top}"
    "th{background:#f3f3f3}td.l,th.l{text-align:left}code{font-size:12px}pre{background:#f7f7f7;padding:8px;overflow:auto;font-size:12px}"
    "details summary{cursor:pointer;color:#1f4f9f}.note{color:#555;font-size:13px}";

/* ==== numbers in words ==================================================== */

static void acc(FILE *f, double v) { if (isfinite(v)) fprintf(f, "%.4f", v); else fputs("\xe2\x80\x93", f); }

static void grouped(FILE *f, int64_t v)
{
    char d[32];
    int n = snprintf(d, sizeof d, "%lld", (long long)(v < 0 ? -v : v));
    if (v < 0) fputc('-', f);
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0) fputc(',', f);
        fputc(d[i], f);
    }
}

static void duration(FILE *f, double s)
{
    if (!isfinite(s)) { fputs("\xe2\x80\x93", f); return; }
    long t = (long)(s + 0.5);
    if (t >= 3600) fprintf(f, "%ld h %02ld min", t / 3600, t / 60 % 60);
    else if (t >= 60) fprintf(f, "%ld min %02ld s", t / 60, t % 60);
    else fprintf(f, "%.1f s", s);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* ==== page frame ========================================================== */

static void head(FILE *f, const char *title, int refresh)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", f);
    fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n", f);
    if (refresh > 0) fprintf(f, "<meta http-equiv=\"refresh\" content=\"%d\">\n", refresh);
    fputs("<title>", f);
    E(f, title);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n", css);
}

static void tail(FILE *f) { fputs("</body>\n</html>\n", f); }

static void card(FILE *f, const char *key, const char *cls)
{
    fprintf(f, "<div class=\"card\"><div class=\"k\">%s</div><div class=\"v%s%s\">", key, cls ? " " : "", cls ? cls : "");
}

static const char *status_class(const nf_report_run *r)
{
    return r->running ? "status-running" : !strcmp(r->status, "done") ? "status-done" : "status-other";
}

/* ==== the headline ======================================================== */

static void headline(FILE *f, const nf_report_run *r, int refresh)
{
    const nf_report_cand *b = r->best;
    int done = r->winner_id >= 0;
    fputs("<section id=\"headline\">\n<h1>nasfit run ", f);
    E(f, base_name(r->path));
    fputs("</h1>\n<p class=\"sub\">", f);
    E(f, r->dataset);
    fprintf(f, " \xc2\xb7 %d classes \xc2\xb7 seed %lld \xc2\xb7 started ", r->n_classes, (long long)r->seed);
    E(f, r->started);
    if (r->ended[0]) { fputs(" \xc2\xb7 ended ", f); E(f, r->ended); }
    if (refresh > 0) fprintf(f, " \xc2\xb7 this page reloads every %d s while the run goes on", refresh);
    fputs("</p>\n<div class=\"cards\">\n", f);
    card(f, "status", status_class(r));
    E(f, r->status_text);
    fputs("</div>", f);
    if (r->stop_reason[0]) { fputs("<div class=\"n\">stopped by: ", f); E(f, r->stop_reason); fputs("</div>", f); }
    fputs("</div>\n", f);
    card(f, done ? "winner's test accuracy" : "best validation accuracy so far", NULL);
    fputs("<span id=\"headline-accuracy\">", f);
    acc(f, done && isfinite(r->test_accuracy) ? r->test_accuracy : b ? b->val_accuracy : NAN);
    fputs("</span></div>", f);
    if (done) { fputs("<div class=\"n\">validation ", f); acc(f, r->final_val_accuracy); fputs("</div>", f); }
    fputs("</div>\n", f);
    card(f, done ? "winner" : "best so far", NULL);
    if (b) {
        grouped(f, b->params);
        fprintf(f, " params</div><div class=\"n\">candidate %lld \xc2\xb7 %.2f MFLOPs per image</div></div>\n",
                (long long)b->id, b->flops / 1e6);
    } else {
        fputs("\xe2\x80\x93</div><div class=\"n\">nothing trained yet</div></div>\n", f);
    }
    card(f, "time used", NULL);
    duration(f, r->elapsed);
    fputs("</div><div class=\"n\">", f);
    if (isfinite(r->time_budget)) { fputs("of a budget of ", f); duration(f, r->time_budget); }
    else fputs("no time budget", f);
    fputs("</div></div>\n", f);
    card(f, "generations", NULL);
    fprintf(f, "<span id=\"headline-generations\">%d</span></div><div class=\"n\">%d generations scored", r->n_gens, r->n_gens);
    if (r->generations_limit > 0) fprintf(f, " of %d", r->generations_limit);
    fprintf(f, " \xc2\xb7 %lld candidates</div></div>\n", (long long)r->candidates);
    fputs("</div>\n", f);
    if (r->message[0]) { fputs("<p class=\"status-other\">failure: ", f); E(f, r->message); fputs("</p>\n", f); }
    fputs("</section>\n", f);
}

/* ==== progress ============================================================ */

static void progress(FILE *f, const nf_report_run *r)
{
    int n = r->n_gens, m = r->n_cands;
    double *x = calloc((size_t)n + 1, sizeof *x), *best = calloc((size_t)n + 1, sizeof *best),
           *med = calloc((size_t)n + 1, sizeof *med), *mins = calloc((size_t)n + 1, sizeof *mins),
           *par = calloc((size_t)m + 1, sizeof *par), *flo = calloc((size_t)m + 1, sizeof *flo),
           *va = calloc((size_t)m + 1, sizeof *va), *shade = calloc((size_t)m + 1, sizeof *shade);
    char **labels = calloc((size_t)m + 1, sizeof *labels), *pool = calloc((size_t)m + 1, 96);
    fputs("<section id=\"progress\">\n<h2>Progress</h2>\n", f);
    if (!x || !best || !med || !mins || !par || !flo || !va || !shade || !labels || !pool) {
        fputs("<p class=\"note\">out of memory drawing the charts</p>\n", f);
        goto out;
    }
    int last = 0, hi = -1;
    for (int i = 0; i < n; i++) {
        x[i] = r->gens[i].generation;
        best[i] = r->gens[i].best_accuracy;
        med[i] = r->gens[i].median_accuracy;
        mins[i] = r->gens[i].clock / 60;
    }
    for (int j = 0; j < m; j++) last = r->cands[j].born > last ? r->cands[j].born : last;
    for (int j = 0; j < m; j++) {
        const nf_report_cand *c = &r->cands[j];
        par[j] = (double)c->params;
        flo[j] = c->flops / 1e6;
        va[j] = c->val_accuracy;
        shade[j] = last ? (double)c->born / last : 1;
        labels[j] = pool + (size_t)j * 96;
        snprintf(labels[j], 96, "candidate %lld, born in generation %d: %.4f, %lld params, %.2f MFLOPs", (long long)c->id,
                 c->born, c->val_accuracy, (long long)c->params, c->flops / 1e6);
        if (c == r->best) hi = j;
    }
    nf_svg_series gen_series[2] = {
        {.name = "best", .x = x, .y = best, .n = n, .style = NF_SVG_LINE, .color = palette[0], .highlight = -1},
        {.name = "median", .x = x, .y = med, .n = n, .style = NF_SVG_DASHED, .color = palette[1], .highlight = -1}};
    nf_svg_series time_series[2] = {gen_series[0], gen_series[1]};
    time_series[0].x = time_series[1].x = mins;
    nf_svg_series pts = {.name = NULL, .x = par, .y = va, .n = m, .style = NF_SVG_DOTS, .color = palette[0],
                         .shade = shade, .labels = (const char *const *)labels, .highlight = hi};
    nf_svg_series pts2 = pts;
    pts2.x = flo;
    fputs("<div class=\"charts\">\n", f);
    nf_svg_chart_write(f, &(nf_svg_chart){.title = "Validation accuracy per generation", .x_label = "generation",
                                          .y_label = "validation accuracy", .width = 600, .height = 320,
                                          .n_series = 2, .series = gen_series});
    nf_svg_chart_write(f, &(nf_svg_chart){.title = "Validation accuracy against wall-clock time",
                                          .x_label = "minutes since the start", .y_label = "validation accuracy",
                                          .width = 600, .height = 320, .n_series = 2, .series = time_series});
    nf_svg_chart_write(f, &(nf_svg_chart){.title = "Every candidate: parameters against accuracy",
                                          .x_label = "trainable parameters (log scale)", .y_label = "best validation accuracy",
                                          .width = 600, .height = 320, .log_x = 1, .n_series = 1, .series = &pts});
    nf_svg_chart_write(f, &(nf_svg_chart){.title = "Every candidate: FLOPs against accuracy",
                                          .x_label = "MFLOPs per image (log scale)", .y_label = "best validation accuracy",
                                          .width = 600, .height = 320, .log_x = 1, .n_series = 1, .series = &pts2});
    fputs("</div>\n<p class=\"note\">Dots: one per trained candidate, darker when born later; the large red dot is the ",
          f);
    fputs(r->winner_id >= 0 ? "winner" : "best so far", f);
    fputs(". Hover a dot for its id.</p>\n", f);
out:
    fputs("</section>\n", f);
    free(x); free(best); free(med); free(mins); free(par); free(flo); free(va); free(shade); free(labels); free(pool);
}

/* ==== the result ========================================================== */

static char *class_name(const char *names, int k, char *buf, size_t cap)
{
    const char *p = names;
    for (int i = 0; i < k && p; i++) p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
    size_t n = p ? strcspn(p, "\n") : 0;
    snprintf(buf, cap, "%.*s", (int)(n < cap ? n : cap - 1), p ? p : "");
    return buf;
}

static void confusion(FILE *f, const nf_report_run *r, const nf_report_eval *ev)
{
    int k = ev->n_classes;
    char name[256];
    long right = 0;
    for (int c = 0; c < k; c++) right += ev->counts[(size_t)c * k + c];
    fprintf(f, "<h3>Per class, on the %d test images (accuracy %.4f)</h3>\n", ev->n_images,
            ev->n_images ? (double)right / ev->n_images : 0.0);
    fputs("<table id=\"confusion\"><tr><th class=\"l\">true class</th><th>accuracy</th><th>images</th>", f);
    for (int p = 0; p < k; p++) fprintf(f, "<th title=\"predicted %d\">%d</th>", p, p);
    fputs("</tr>\n", f);
    for (int c = 0; c < k; c++) {
        long total = 0;
        for (int p = 0; p < k; p++) total += ev->counts[(size_t)c * k + p];
        fprintf(f, "<tr><td class=\"l\">%d ", c);
        E(f, class_name(r->class_names, c, name, sizeof name));
        fprintf(f, "</td><td>%.4f</td><td>%ld</td>", total ? (double)ev->counts[(size_t)c * k + c] / total : 0.0, total);
        for (int p = 0; p < k; p++) {
            long v = ev->counts[(size_t)c * k + p];
            double share = total ? (double)v / total : 0;
            fprintf(f, "<td style=\"background:rgba(%s,%.2f)\">%ld</td>", p == c ? "31,119,180" : "214,39,40",
                    v ? 0.08 + 0.6 * share : 0.0, v);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n<p class=\"note\">Rows: the true class; columns: the class predicted (by number).</p>\n", f);
}

static void result(FILE *f, const nf_report_page *p)
{
    const nf_report_run *r = p->run;
    const nf_report_cand *b = r->best;
    fputs("<section id=\"result\">\n<h2>Result</h2>\n", f);
    if (!b) { fputs("<p>No candidate has been trained yet.</p>\n</section>\n", f); return; }
    int done = r->winner_id >= 0;
    fprintf(f, "<p>%s: candidate <b>%lld</b>, born in generation %d: <code>", done ? "The winner" : "The best so far",
            (long long)b->id, b->born);
    E(f, b->brief);
    fputs("</code>, ", f);
    grouped(f, b->params);
    fprintf(f, " parameters, %.2f MFLOPs per image. ", b->flops / 1e6);
    if (done) {
        fputs("Test accuracy <b id=\"result-test-accuracy\">", f);
        acc(f, r->test_accuracy);
        fputs("</b>, validation accuracy ", f);
        acc(f, r->final_val_accuracy);
        fputs(" after the final training", f);
        if (r->final_images >= 0) { fputs(" (", f); grouped(f, r->final_images); fputs(" images)", f); }
        fputs(", ", f);
        acc(f, b->fitness);
        fputs(" fitness during the search.</p>\n", f);
    } else {
        fputs("Validation accuracy ", f);
        acc(f, b->val_accuracy);
        fputs(" so far; the final training and the test come at the end.</p>\n", f);
    }
    fputs("<div class=\"side\">\n<div>", f);
    if (p->eval && p->eval->counts) confusion(f, r, p->eval);
    else {
        fputs("<p class=\"note\">Per-class accuracy and the confusion matrix: ", f);
        E(f, p->eval_note ? p->eval_note : "not evaluated");
        fputs("</p>\n", f);
    }
    fputs("</div>\n", f);
    int i = (int)(b - r->cands);
    if (p->arch_svg && p->arch_svg[i]) {
        fputs("<div class=\"drawing\"><h3>Architecture</h3>\n", f);
        fputs(p->arch_svg[i], f); /* made by Graphviz from our own DOT: no text from the run file */
        fputs("</div>\n", f);
    }
    fputs("</div>\n</section>\n", f);
}

/* ==== candidates and lineage ============================================= */

static void parents(FILE *f, int64_t p1, int64_t p2)
{
    if (p1 < 0) fputs("\xe2\x80\x93", f);
    else fprintf(f, "%lld", (long long)p1);
    if (p2 >= 0) fprintf(f, " \xc3\x97 %lld", (long long)p2);
}

static void top(FILE *f, const nf_report_page *p)
{
    const nf_report_run *r = p->run;
    fprintf(f, "<section id=\"top\">\n<h2>Top candidates</h2>\n<p class=\"note\">The %d best of %d trained, by the best "
               "fitness each reached.</p>\n", r->n_arch, r->n_cands);
    fputs("<table id=\"top-table\"><tr><th>#</th><th>id</th><th>fitness</th><th>validation</th><th>parameters</th>"
          "<th>MFLOPs</th><th>train s</th><th>born</th><th>trained</th><th>parents</th><th class=\"l\">architecture</th></tr>\n",
          f);
    for (int i = 0; i < r->n_arch; i++) {
        const nf_report_cand *c = &r->cands[i];
        fprintf(f, "<tr><td>%d</td><td>%lld</td><td>%.4f</td><td>%.4f</td><td>", i + 1, (long long)c->id, c->fitness,
                c->val_accuracy);
        grouped(f, c->params);
        fprintf(f, "</td><td>%.2f</td><td>%.1f</td><td>%d</td><td>%d</td><td>", c->flops / 1e6, c->train_seconds, c->born,
                c->generations);
        parents(f, c->parent1, c->parent2);
        fputs("</td><td class=\"l\"><code>", f);
        E(f, c->brief);
        fputs("</code>", f);
        if (p->arch_svg && p->arch_svg[i]) {
            fputs("<details><summary>drawing</summary>", f);
            fputs(p->arch_svg[i], f);
            fputs("</details>", f);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n</section>\n", f);
}

static void lineage(FILE *f, const nf_report_run *r)
{
    fputs("<section id=\"lineage\">\n<h2>Lineage</h2>\n", f);
    if (!r->n_line) { fputs("<p>No candidate yet.</p>\n</section>\n", f); return; }
    fprintf(f, "<p class=\"note\">The ancestry of candidate %lld, oldest first, following each first parent: the changes "
               "that made each one from the one above, its fitness after its first training and the best it reached.</p>\n",
            (long long)r->best_id);
    fputs("<table id=\"lineage-table\"><tr><th>id</th><th>born</th><th>first fitness</th><th>best fitness</th>"
          "<th>parameters</th><th class=\"l\">changes from its parent</th><th class=\"l\">architecture</th></tr>\n", f);
    for (int i = 0; i < r->n_line; i++) {
        const nf_report_step *s = &r->line[i];
        fprintf(f, "<tr><td>%lld</td><td>%d</td><td>", (long long)s->id, s->born);
        acc(f, s->first_fitness);
        fputs("</td><td>", f);
        acc(f, s->best_fitness);
        fputs("</td><td>", f);
        grouped(f, s->params);
        fputs("</td><td class=\"l\">", f);
        if (s->parent2 >= 0) fprintf(f, "crossover with %lld; ", (long long)s->parent2);
        E(f, s->changes[0] ? s->changes : i ? "(none recorded)" : "first generation");
        fputs("</td><td class=\"l\"><code>", f);
        E(f, s->brief);
        fputs("</code></td></tr>\n", f);
    }
    fputs("</table>\n</section>\n", f);
}

/* ==== mutations and time ================================================== */

static void mutations(FILE *f, const nf_report_run *r)
{
    fputs("<section id=\"mutations\">\n<h2>Mutations</h2>\n<p class=\"note\">Each change that made a child, and how often "
          "the child's first training beat its parent's the generation before.</p>\n", f);
    if (!r->n_muts) { fputs("<p>No child has been scored against its parent yet.</p>\n</section>\n", f); return; }
    fputs("<table id=\"mutations-table\"><tr><th class=\"l\">change</th><th>tried</th><th>improved</th><th>share</th></tr>\n", f);
    for (int i = 0; i < r->n_muts; i++) {
        const nf_report_mutation *m = &r->muts[i];
        fputs("<tr><td class=\"l\">", f);
        E(f, m->kind);
        fprintf(f, "</td><td>%lld</td><td>%lld</td><td>%.0f%%</td></tr>\n", (long long)m->tried, (long long)m->improved,
                m->tried ? 100.0 * m->improved / m->tried : 0.0);
    }
    fputs("</table>\n</section>\n", f);
}

static void time_row(FILE *f, const char *what, double s, double total)
{
    fprintf(f, "<tr><td class=\"l\">%s</td><td>", what);
    duration(f, s);
    if (total > 0 && isfinite(s)) fprintf(f, "</td><td>%.0f%%</td></tr>\n", 100 * s / total);
    else fputs("</td><td></td></tr>\n", f);
}

static void where_time_went(FILE *f, const nf_report_run *r)
{
    double gens = 0, commit = 0, score = 0, idle = 0, trained = 0, images = 0, culled = 0;
    for (int i = 0; i < r->n_gens; i++) {
        const nf_report_gen *g = &r->gens[i];
        gens += g->seconds;
        commit += g->commit_seconds;
        images += (double)g->images;
        if (r->has_v2) {
            score += isfinite(g->score_seconds) ? g->score_seconds : 0;
            idle += isfinite(g->idle_seconds) ? g->idle_seconds : 0;
            trained += isfinite(g->trained_images) ? g->trained_images : 0;
            culled += isfinite(g->culled) ? g->culled : 0;
        }
    }
    fputs("<section id=\"time\">\n<h2>Where the time went</h2>\n<table id=\"time-table\"><tr><th class=\"l\">what</th>"
          "<th>time</th><th>share of the run</th></tr>\n", f);
    time_row(f, "the generations (wall clock)", gens, r->elapsed);
    time_row(f, "training candidates (summed over the threads)", r->train_seconds, 0);
    if (r->has_v2) {
        time_row(f, "scoring on the validation split", score, r->elapsed);
        time_row(f, "threads idle, waiting for others", idle, 0);
    }
    time_row(f, "committing to the run file", commit, r->elapsed);
    time_row(f, "the rest: the final training and evaluation, starting", r->elapsed - gens, r->elapsed);
    time_row(f, "the whole run", r->elapsed, r->elapsed);
    fputs("</table>\n<p class=\"note\">", f);
    grouped(f, (int64_t)images);
    fputs(" training images in the generations", f);
    if (r->has_v2 && trained > 0) {
        fputs(", of which ", f);
        grouped(f, (int64_t)trained);
        fprintf(f, " trained to the end; %.0f candidates culled early", culled);
    }
    fputs(".</p>\n", f);
    if (r->n_workers) {
        fputs("<table id=\"workers-table\"><tr><th>worker</th><th>trainings</th><th>training time</th></tr>\n", f);
        for (int i = 0; i < r->n_workers; i++) {
            fprintf(f, "<tr><td>%lld</td><td>%lld</td><td>", (long long)r->workers[i].worker,
                    (long long)r->workers[i].trainings);
            duration(f, r->workers[i].seconds);
            fputs("</td></tr>\n", f);
        }
        fputs("</table>\n", f);
    } else if (!r->has_v2) {
        fputs("<p class=\"note\">This run file does not record scoring, idle time or workers (an older schema).</p>\n", f);
    }
    fputs("</section>\n", f);
}

/* ==== the run ============================================================= */

static void run_section(FILE *f, const nf_report_run *r)
{
    char name[256];
    fputs("<section id=\"run\">\n<h2>The run</h2>\n<table id=\"run-table\">\n<tr><th class=\"l\">file</th><td class=\"l\">", f);
    E(f, r->path);
    fputs("</td></tr>\n<tr><th class=\"l\">data set</th><td class=\"l\">", f);
    E(f, r->dataset);
    fprintf(f, "</td></tr>\n<tr><th class=\"l\">classes (%d)</th><td class=\"l\" id=\"class-names\">", r->n_classes);
    for (int k = 0; k < r->n_classes && k < 100; k++) {
        if (k) fputs(", ", f);
        E(f, class_name(r->class_names, k, name, sizeof name));
    }
    if (r->n_classes > 100) fputs(", \xe2\x80\xa6", f);
    fputs("</td></tr>\n<tr><th class=\"l\">status</th><td class=\"l\">", f);
    E(f, r->status_text);
    fputs("</td></tr>\n<tr><th class=\"l\">stop reason</th><td class=\"l\">", f);
    E(f, r->stop_reason[0] ? r->stop_reason : "\xe2\x80\x93");
    fprintf(f, "</td></tr>\n<tr><th class=\"l\">seed</th><td class=\"l\">%lld</td></tr>\n", (long long)r->seed);
    fputs("<tr><th class=\"l\">time used / budget</th><td class=\"l\">", f);
    duration(f, r->elapsed);
    fputs(" / ", f);
    if (isfinite(r->time_budget)) duration(f, r->time_budget); else fputs("none", f);
    fputs("</td></tr>\n<tr><th class=\"l\">started / ended (UTC)</th><td class=\"l\">", f);
    E(f, r->started);
    fputs(" / ", f);
    E(f, r->ended[0] ? r->ended : "\xe2\x80\x93");
    fputs("</td></tr>\n<tr><th class=\"l\">OpenBLAS kernels</th><td class=\"l\">", f);
    E(f, r->blas_kernel);
    fputs("</td></tr>\n</table>\n<details><summary>the configuration</summary><pre id=\"config\">", f);
    E(f, r->config);
    fputs("</pre></details>\n</section>\n", f);
}

void nf_report_html(FILE *f, const nf_report_page *p)
{
    const nf_report_run *r = p->run;
    char title[300];
    snprintf(title, sizeof title, "nasfit run %s", base_name(r->path));
    int refresh = r->running ? p->refresh_seconds : 0;
    head(f, title, refresh);
    headline(f, r, refresh);
    progress(f, r);
    result(f, p);
    top(f, p);
    lineage(f, r);
    mutations(f, r);
    where_time_went(f, r);
    run_section(f, r);
    tail(f);
}

/* ==== several runs ======================================================== */

static void summary_row(FILE *f, const nf_report_run *r, int i)
{
    const nf_report_cand *b = r->best;
    fprintf(f, "<tr><td class=\"l\"><span style=\"color:%s\">\xe2\x96\xa0</span> ", palette[i % PALETTE]);
    E(f, base_name(r->path));
    fputs("</td><td class=\"l\">", f);
    E(f, r->dataset);
    fputs("</td><td class=\"l\">", f);
    E(f, r->status_text);
    fprintf(f, "</td><td>%d</td><td>%lld</td><td>", r->n_gens, (long long)r->candidates);
    acc(f, b ? b->val_accuracy : NAN);
    fputs("</td><td>", f);
    acc(f, r->test_accuracy);
    fputs("</td><td>", f);
    if (b) grouped(f, b->params); else fputs("\xe2\x80\x93", f);
    fprintf(f, "</td><td>%.2f</td><td>", b ? b->flops / 1e6 : NAN);
    duration(f, r->elapsed);
    fputs("</td><td class=\"l\"><code>", f);
    E(f, b ? b->brief : "");
    fputs("</code></td></tr>\n", f);
}

void nf_report_compare_html(FILE *f, const nf_report_run *runs, int n, int refresh_seconds)
{
    int running = 0, total = 0;
    for (int i = 0; i < n; i++) { running |= runs[i].running; total += runs[i].n_gens; }
    head(f, "nasfit runs compared", running ? refresh_seconds : 0);
    fprintf(f, "<section id=\"headline\">\n<h1>%d nasfit runs compared</h1>\n", n);
    fputs("<table id=\"summary\"><tr><th class=\"l\">run</th><th class=\"l\">data set</th><th class=\"l\">status</th>"
          "<th>generations</th><th>candidates</th><th>best validation</th><th>test accuracy</th><th>parameters</th>"
          "<th>MFLOPs</th><th>time</th><th class=\"l\">best architecture</th></tr>\n", f);
    for (int i = 0; i < n; i++) summary_row(f, &runs[i], i);
    fputs("</table>\n</section>\n<section id=\"progress\">\n<h2>Progress</h2>\n<div class=\"charts\">\n", f);
    double *x = calloc((size_t)total + 1, sizeof *x), *y = calloc((size_t)total + 1, sizeof *y),
           *t = calloc((size_t)total + 1, sizeof *t);
    nf_svg_series *a = calloc((size_t)n, sizeof *a), *b = calloc((size_t)n, sizeof *b);
    if (x && y && t && a && b) {
        for (int i = 0, at = 0; i < n; i++) {
            const nf_report_run *r = &runs[i];
            for (int g = 0; g < r->n_gens; g++) {
                x[at + g] = r->gens[g].generation;
                y[at + g] = r->gens[g].best_accuracy;
                t[at + g] = r->gens[g].clock / 60;
            }
            a[i] = (nf_svg_series){.name = base_name(r->path), .x = x + at, .y = y + at, .n = r->n_gens,
                                   .style = NF_SVG_LINE, .color = palette[i % PALETTE], .highlight = -1};
            b[i] = a[i];
            b[i].x = t + at;
            at += r->n_gens;
        }
        nf_svg_chart_write(f, &(nf_svg_chart){.title = "Best validation accuracy per generation", .x_label = "generation",
                                              .y_label = "validation accuracy", .width = 600, .height = 340,
                                              .n_series = n, .series = a});
        nf_svg_chart_write(f, &(nf_svg_chart){.title = "Best validation accuracy against wall-clock time",
                                              .x_label = "minutes since the start", .y_label = "validation accuracy",
                                              .width = 600, .height = 340, .n_series = n, .series = b});
    }
    fputs("</div>\n</section>\n", f);
    free(x); free(y); free(t); free(a); free(b);
    tail(f);
}
