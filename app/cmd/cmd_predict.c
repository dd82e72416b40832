/* nasfit predict MODEL.nfm IMAGE.png...: the most likely classes of each
 * image with their probabilities. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "app/cmd/args.h"
#include "app/cmd/commands.h"
#include "app/formats/image_load.h"
#include "app/formats/model_run.h"

typedef struct predict_options {
    int top, resize;
} predict_options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nasfit predict MODEL.nfm IMAGE.png... [options]\n"
            "Prints, for each PNG image, the most likely classes and their probabilities.\n"
            "Images must have the model's size and channels (gray or colour) unless --resize\n"
            "is given.\n\n"
            "  --top N     classes shown per image (default 3)\n"
            "  --resize    convert colour/gray and resize (bilinear) images that do not fit\n"
            "  --help      this text\n\n"
            "exit status: 0 done, 1 usage, 2 bad input (model or an image; the others\n"
            "are still predicted), 4 failed (out of memory)\n");
}

static int parse(int argc, char **argv, predict_options *o)
{
    static const struct option longs[] = {{"top", required_argument, 0, 'k'}, {"resize", no_argument, 0, 'r'},
                                          {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    *o = (predict_options){.top = 3};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'k': if (!nf_arg_int("predict", "--top", optarg, 1, 65536, &o->top)) return NF_EXIT_USAGE; break;
        case 'r': o->resize = 1; break;
        case 'h': usage(stdout); return -1;
        default: usage(stderr); return NF_EXIT_USAGE;
        }
    }
    if (argc - optind < 2) {
        fprintf(stderr, "nasfit predict: give a model file and at least one image (see nasfit predict --help)\n");
        return NF_EXIT_USAGE;
    }
    return 0;
}

static void print_top(const char *path, const nf_model *m, const float *p, int top)
{
    int k = m->n_classes, *order = malloc((size_t)k * sizeof *order);
    if (!order) return;
    for (int i = 0; i < k; i++) order[i] = i;
    if (top > k) top = k;
    for (int i = 0; i < top; i++) /* partial selection sort: top is small */
        for (int j = i + 1; j < k; j++)
            if (p[order[j]] > p[order[i]]) { int t = order[i]; order[i] = order[j]; order[j] = t; }
    printf("%s:", path);
    for (int i = 0; i < top; i++) printf("%s %s %.4f", i ? "," : "", m->class_names[order[i]], p[order[i]]);
    printf("\n");
    free(order);
}

int nf_cmd_predict(int argc, char **argv)
{
    predict_options o;
    int bad = parse(argc, argv, &o);
    if (bad) return bad < 0 ? NF_EXIT_OK : bad;
    nf_model *m;
    nf_status st = nf_model_load(argv[optind], &m);
    if (st) return nf_cmd_fail("predict", st, NF_DOING_READ);
    const nf_graph *g = m->graph;
    size_t bytes = (size_t)g->in_c * g->in_h * g->in_w;
    uint8_t *image = malloc(bytes);
    float *probs = malloc((size_t)m->n_classes * sizeof *probs);
    int status = image && probs ? NF_EXIT_OK : nf_cmd_fail("predict", nf_fail(NF_ERR_NOMEM, "out of memory"), NF_DOING_WORK);
    for (int i = optind + 1; i < argc && image && probs; i++) {
        int code = NF_EXIT_OK; /* the worst status of any image is the command's */
        if ((st = nf_image_load_as(argv[i], g->in_c, g->in_h, g->in_w, o.resize, image)))
            code = nf_cmd_fail("predict", st, NF_DOING_READ);
        else if ((st = nf_model_probabilities(m, image, 1, 1, probs)))
            code = nf_cmd_fail("predict", st, NF_DOING_WORK);
        else
            print_top(argv[i], m, probs, o.top);
        if (code > status) status = code;
    }
    free(image);
    free(probs);
    nf_model_destroy(m);
    return status;
}
