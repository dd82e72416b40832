/* nasfit evaluate MODEL.nfm [--data SPEC] [--flip]: the model's accuracy
 * on a data set's test images (or, for a data set without a test part, all
 * of its images), per class, and the confusion matrix with class names.
 * The images are normalised with the model's own statistics; --flip
 * averages each image's class probabilities with its mirror's. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cmd/args.h"
#include "app/cmd/commands.h"
#include "app/formats/model_run.h"
#include "datasets/load.h"

typedef struct evaluate_options {
    const char *model, *data;
    int batch, threads, flip;
} evaluate_options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nasfit evaluate MODEL.nfm [options]\n"
            "Measures a model file's accuracy on a data set's test images (all of its images\n"
            "when it has no test part): overall, per class, and the confusion matrix.\n\n"
            "  --data SPEC   data set: a directory, a file, or 'fashion-mnist' (default)\n"
            "  --batch N     images per forward pass (default 256)\n"
            "  --threads N   threads (default 2)\n"
            "  --flip        test-time mirroring: each image's class probabilities averaged with\n"
            "                those of its left-right mirror (for models trained on mirrored images)\n"
            "  --help        this text\n\n"
            "exit status: 0 done, 1 usage, 2 bad input (model or data), 4 failed (out of memory)\n");
}

static int parse(int argc, char **argv, evaluate_options *o)
{
    static const struct option longs[] = {{"data", required_argument, 0, 'd'}, {"batch", required_argument, 0, 'b'},
                                          {"threads", required_argument, 0, 't'}, {"flip", no_argument, 0, 'f'},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    *o = (evaluate_options){.batch = 256, .threads = 2};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        int ok = 1;
        switch (c) {
        case 'd': o->data = optarg; break;
        case 'b': ok = nf_arg_int("evaluate", "--batch", optarg, 1, 65536, &o->batch); break;
        case 't': ok = nf_arg_int("evaluate", "--threads", optarg, 1, 1024, &o->threads); break;
        case 'f': o->flip = 1; break;
        case 'h': usage(stdout); return -1;
        default: usage(stderr); return NF_EXIT_USAGE;
        }
        if (!ok) return NF_EXIT_USAGE;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "nasfit evaluate: give one model file (see nasfit evaluate --help)\n");
        return NF_EXIT_USAGE;
    }
    o->model = argv[optind];
    return 0;
}

/* The test set, or the whole training file when there is none. */
static nf_status load_data(const char *spec, const nf_model *m, nf_dataset **out)
{
    nf_ds_pair pair = {0};
    nf_status st = nf_ds_load(spec, NULL, &pair);
    if (st) return st;
    nf_dataset *ds = pair.test ? pair.test : pair.train;
    if (pair.test) pair.test = NULL; else pair.train = NULL;
    nf_ds_pair_free(&pair);
    const nf_graph *g = m->graph;
    if (ds->c != g->in_c || ds->h != g->in_h || ds->w != g->in_w || ds->n_classes != m->n_classes) {
        st = nf_fail(NF_ERR_FORMAT, "%s: %dx%dx%d images in %d classes; the model takes %dx%dx%d images of %d classes",
                     spec ? spec : NF_DS_DEFAULT_PATH, ds->c, ds->h, ds->w, ds->n_classes, g->in_c, g->in_h, g->in_w,
                     m->n_classes);
        nf_ds_destroy(ds);
        return st;
    }
    *out = ds;
    return NF_OK;
}

static void print_report(const nf_model *m, const long *counts, int n, int flip)
{
    int k = m->n_classes;
    long right = 0;
    for (int c = 0; c < k; c++) right += counts[(size_t)c * k + c];
    printf("test accuracy %.4f (%ld of %d images%s)\n\nper class:\n", n ? (double)right / n : 0.0, right, n,
           flip ? ", each averaged with its mirror" : "");
    printf("  %5s  %-20s %9s %8s\n", "class", "name", "accuracy", "images");
    for (int c = 0; c < k; c++) {
        long total = 0;
        for (int p = 0; p < k; p++) total += counts[(size_t)c * k + p];
        printf("  %5d  %-20.20s %9.4f %8ld\n", c, m->class_names[c],
               total ? (double)counts[(size_t)c * k + c] / total : 0.0, total);
    }
    printf("\nconfusion matrix (rows: true class, columns: predicted class number):\n  %-20s", "");
    for (int p = 0; p < k; p++) printf(" %6d", p);
    printf("\n");
    for (int c = 0; c < k; c++) {
        printf("  %2d %-17.17s", c, m->class_names[c]);
        for (int p = 0; p < k; p++) printf(" %6ld", counts[(size_t)c * k + p]);
        printf("\n");
    }
}

int nf_cmd_evaluate(int argc, char **argv)
{
    evaluate_options o;
    int bad = parse(argc, argv, &o);
    if (bad) return bad < 0 ? NF_EXIT_OK : bad;
    nf_model *m = NULL;
    nf_dataset *ds = NULL;
    long *counts = NULL;
    nf_status st = nf_model_load(o.model, &m);
    if (!st) st = load_data(o.data, m, &ds);
    if (st) {
        nf_model_destroy(m);
        return nf_cmd_fail("evaluate", st, NF_DOING_READ);
    }
    printf("model: %s, %zu parameters, %dx%dx%d images, %d classes\n", o.model, nf_graph_param_count(m->graph),
           m->graph->in_c, m->graph->in_h, m->graph->in_w, m->n_classes);
    printf("data: %s, %d images\n", ds->format, ds->n);
    counts = calloc((size_t)m->n_classes * m->n_classes, sizeof *counts);
    st = counts ? nf_model_confusion(m, ds, o.batch, o.threads, o.flip, counts) : nf_fail(NF_ERR_NOMEM, "out of memory");
    int code = st ? nf_cmd_fail("evaluate", st, NF_DOING_WORK) : NF_EXIT_OK;
    if (!st) print_report(m, counts, ds->n, o.flip);
    free(counts);
    nf_ds_destroy(ds);
    nf_model_destroy(m);
    return code;
}
