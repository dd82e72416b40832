/* nasfit data [SPEC] [options]: load a data set exactly as fit would
 * (nf_ds_prepare) and describe what was found. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/clock.h"
#include "app/cmd/args.h"
#include "app/cmd/commands.h"
#include "datasets/prepare.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nasfit data [SPEC] [options]\n"
            "\n"
            "Loads a data set exactly as fit would and prints its format, image shape,\n"
            "classes, images per class in each split, pixel statistics and load time.\n"
            "\n"
            "SPEC  fashion-mnist (the default, %s), a directory of IDX files,\n"
            "      CIFAR-10/100 binary batches or PNG class folders (root/<class>/<image>.png,\n"
            "      or root/train/... and root/test/...), or one IDX images file or CIFAR .bin\n"
            "\n"
            "options:\n"
            "  --val-fraction F  share of each class held out for validation (default 0.1)\n"
            "  --seed N          seed of the split and the subsample (default 1)\n"
            "  --train-limit N   use only N training images (stratified), before the split\n"
            "  --size HxW        PNG folders: centre crop/pad every image to H x W\n"
            "  --help            this text\n"
            "\n"
            "exit status: 0 done, 1 usage, 2 bad input (the data set is refused), 4 failed\n"
            "(out of memory)\n",
            NF_DS_DEFAULT_PATH);
}

static int parse_size(const char *s, nf_ds_load_options *load)
{
    int h, w, used = 0;
    /* The range (1..NF_DS_MAX_SIDE) is the loader's to check, with its message. */
    if (sscanf(s, "%dx%d%n", &h, &w, &used) != 2 || s[used] || h < 1 || w < 1) return 0;
    load->height = h;
    load->width = w;
    return 1;
}

/* Reads one option and its value; returns 0 on bad usage (message printed). */
static int parse_option(const char *name, const char *value, nf_ds_prepare_options *opt)
{
    if (!value) {
        fprintf(stderr, "nasfit data: %s needs a value\n", name);
        return 0;
    }
    if (!strcmp(name, "--val-fraction")) return nf_arg_double("data", name, value, 0, 0.99, &opt->val_fraction);
    if (!strcmp(name, "--seed")) {
        unsigned long long seed;
        if (!nf_arg_seed("data", name, value, &seed)) return 0;
        opt->seed = seed;
        return 1;
    }
    if (!strcmp(name, "--train-limit")) return nf_arg_int("data", name, value, 1, INT_MAX, &opt->train_limit);
    if (!strcmp(name, "--size")) {
        if (parse_size(value, &opt->load)) return 1;
        fprintf(stderr, "nasfit data: --size %s is not HxW (e.g. 32x32)\n", value);
        return 0;
    }
    fprintf(stderr, "nasfit data: unknown option %s (see nasfit data --help)\n", name);
    return 0;
}

static void print_classes(const nf_ds_splits *s)
{
    int k_n = s->train->n_classes;
    int *tr = calloc((size_t)k_n, sizeof *tr), *va = calloc((size_t)k_n, sizeof *va),
        *te = calloc((size_t)k_n, sizeof *te);
    if (!tr || !va || !te) { free(tr); free(va); free(te); return; }
    nf_ds_class_counts(s->train, tr);
    nf_ds_class_counts(s->val, va);
    if (s->test) nf_ds_class_counts(s->test, te);
    printf("  %-5s %-20s %10s %10s %10s\n", "class", "name", "train", "validation", "test");
    for (int k = 0; k < k_n; k++) {
        printf("  %-5d %-20s %10d %10d ", k, nf_ds_class_name(s->train, k), tr[k], va[k]);
        if (s->test) printf("%10d\n", te[k]); else printf("%10s\n", "-");
    }
    printf("  %-5s %-20s %10d %10d ", "", "total", s->train->n, s->val->n);
    if (s->test) printf("%10d\n", s->test->n); else printf("%10s\n", "-");
    free(tr);
    free(va);
    free(te);
}

static void describe(const char *spec, const nf_ds_splits *s, double seconds)
{
    const nf_dataset *t = s->train;
    printf("data set:    %s\n", spec ? spec : NF_DS_DEFAULT_PATH);
    printf("format:      %s\n", nf_ds_format(t));
    printf("image shape: %d x %d x %d (channels x height x width)\n", t->c, t->h, t->w);
    printf("classes:     %d\n", t->n_classes);
    print_classes(s);
    printf("pixel mean:  ");
    for (int c = 0; c < s->norm.c; c++) printf("%s%.4f", c ? " " : "", s->norm.mean[c]);
    printf("   (per channel, pixel/255, training part)\npixel std:   ");
    for (int c = 0; c < s->norm.c; c++) printf("%s%.4f", c ? " " : "", s->norm.std[c]);
    printf("\nload time:   %.3f s\n", seconds);
}

int nf_cmd_data(int argc, char **argv)
{
    nf_ds_prepare_options opt = nf_ds_prepare_defaults();
    const char *spec = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { usage(stdout); return NF_EXIT_OK; }
        if (!strncmp(argv[i], "--", 2)) {
            if (!parse_option(argv[i], i + 1 < argc ? argv[i + 1] : NULL, &opt)) return NF_EXIT_USAGE;
            i++;
        } else if (!spec) {
            spec = argv[i];
        } else {
            fprintf(stderr, "nasfit data: more than one data set given (%s, %s)\n", spec, argv[i]);
            return NF_EXIT_USAGE;
        }
    }
    double t0 = nf_clock();
    nf_ds_splits s;
    nf_status st = nf_ds_prepare(spec, &opt, &s);
    double seconds = nf_clock() - t0;
    if (st) return nf_cmd_fail("data", st, NF_DOING_READ);
    describe(spec, &s, seconds);
    nf_ds_splits_free(&s);
    return NF_EXIT_OK;
}
