/* nasfit fit: evolves a population of networks on a data set and reports
 * the winner. Settings come from the configs/ files and flags; the search
 * itself is nas/search.h; this file only prints. */
#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/args.h"
#include "app/commands.h"
#include "app/config.h"
#include "app/fit_report.h"
#include "app/model_file.h"
#include "app/progress.h"
#include "app/signals.h"
#include "datasets/prepare.h"
#include "engine/threads.h"
#include "nas/search.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nasfit fit [options]\n"
            "Evolves a population of networks on a labelled image data set: each generation\n"
            "trains every candidate on the same slice of training images, scores it on the\n"
            "validation split, keeps the best and mutates them into children. At the end the\n"
            "best candidate is trained on with a decaying learning rate and evaluated once on\n"
            "the test set.\n\n"
            "  --data SPEC          data set: a directory, a file, or 'fashion-mnist' (default)\n"
            "  --config FILE        settings (configs/default.conf documents every key)\n"
            "  --set KEY=VALUE      one setting, as in the file (e.g. --set space.max_width=48)\n"
            "  --generations N      stop after N generations\n"
            "  --population P       candidates per generation\n"
            "  --time DURATION      budget for the whole run: 90s, 30m, 8h, 1h30m\n"
            "  --target ACC         stop once the best validation accuracy reaches ACC\n"
            "  --seed S             run seed (same seed and settings: same run, bit for bit)\n"
            "  --threads T          candidates trained at once (default 2)\n"
            "  --save FILE.nfm      write the winner as a model file (nasfit evaluate, predict, dot)\n"
            "  --quiet              only the result\n"
            "  --print-config       print every setting as a config file and exit\n"
            "  --help               this text\n\n"
            "exit status: 0 done, 1 usage, 2 bad input (config, data), 3 interrupted, 4 failed\n");
}

typedef struct fit_options {
    const char *config, *save;
    int quiet, print_config;
} fit_options;

/* Flags that override the file are applied after it, in order. */
typedef struct override { char key[64]; const char *value; } override;

static int parse(int argc, char **argv, fit_options *o, override *ov, int *n_ov)
{
    static const struct option longs[] = {
        {"data", required_argument, 0, 'd'}, {"config", required_argument, 0, 'c'}, {"set", required_argument, 0, 'S'},
        {"generations", required_argument, 0, 'g'}, {"population", required_argument, 0, 'p'},
        {"time", required_argument, 0, 't'}, {"target", required_argument, 0, 'a'}, {"seed", required_argument, 0, 's'},
        {"threads", required_argument, 0, 'T'}, {"quiet", no_argument, 0, 'q'}, {"save", required_argument, 0, 'o'},
        {"print-config", no_argument, 0, 'P'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    static const struct { int c; const char *key; } keyed[] = {
        {'d', "data.path"}, {'g', "search.generations"}, {'p', "search.population"}, {'t', "search.time"},
        {'a', "search.target"}, {'s', "search.seed"}, {'T', "search.threads"}};
    *o = (fit_options){0};
    *n_ov = 0;
    optind = 1;
    int c, which = 0;
    while ((c = getopt_long(argc, argv, "", longs, &which)) != -1) {
        switch (c) {
        case 'c': o->config = optarg; continue;
        case 'o': o->save = optarg; continue;
        case 'q': o->quiet = 1; continue;
        case 'P': o->print_config = 1; continue;
        case 'h': usage(stdout); exit(0);
        case 'S': {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq - optarg >= (int)sizeof ov->key) {
                fprintf(stderr, "nasfit fit: --set %s is not KEY=VALUE\n", optarg);
                return 1;
            }
            override *o2 = &ov[(*n_ov)++];
            snprintf(o2->key, sizeof o2->key, "%.*s", (int)(eq - optarg), optarg);
            o2->value = eq + 1;
            continue;
        }
        default: break;
        }
        int known = 0;
        for (size_t k = 0; k < sizeof keyed / sizeof keyed[0]; k++)
            if (keyed[k].c == c) {
                override *o2 = &ov[(*n_ov)++];
                snprintf(o2->key, sizeof o2->key, "%s", keyed[k].key);
                o2->value = optarg;
                known = 1;
            }
        if (!known) { usage(stderr); return 1; }
    }
    if (optind < argc) { fprintf(stderr, "nasfit fit: unexpected argument '%s'\n", argv[optind]); return 1; }
    return 0;
}

/* The configuration: defaults, the file, then the flags. */
static int configure(const fit_options *o, const override *ov, int n_ov, nf_fit_config *cfg)
{
    *cfg = nf_fit_config_defaults();
    if (o->config && nf_config_read(o->config, cfg)) {
        fprintf(stderr, "nasfit fit: %s\n", nf_last_error());
        return 2;
    }
    for (int i = 0; i < n_ov; i++) {
        char origin[64];
        snprintf(origin, sizeof origin, "command line");
        if (nf_config_set(cfg, ov[i].key, ov[i].value, origin)) {
            fprintf(stderr, "nasfit fit: %s\n", nf_last_error());
            return 2;
        }
    }
    if (nf_search_config_check(&cfg->search)) {
        fprintf(stderr, "nasfit fit: %s%s%s\n", o->config ? o->config : "", o->config ? ": " : "", nf_last_error());
        return 2;
    }
    return 0;
}

static nf_status load_data(const nf_fit_config *cfg, nf_ds_splits *data)
{
    nf_ds_prepare_options po = nf_ds_prepare_defaults();
    po.seed = cfg->search.seed;
    po.val_fraction = cfg->val_fraction;
    po.train_limit = cfg->train_limit;
    return nf_ds_prepare(cfg->data, &po, data);
}

int nf_cmd_fit(int argc, char **argv)
{
    fit_options o;
    override *ov = calloc((size_t)argc + 1, sizeof *ov);
    int n_ov, bad = ov ? parse(argc, argv, &o, ov, &n_ov) : 4;
    nf_fit_config cfg;
    if (!bad) bad = configure(&o, ov, n_ov, &cfg);
    free(ov);
    if (bad) return bad;
    if (o.print_config) {
        char *text = nf_config_text(&cfg);
        if (text) fputs(text, stdout);
        free(text);
        return text ? 0 : 4;
    }
    if (cfg.search.threads > omp_get_num_procs())
        fprintf(stderr, "nasfit fit: note: %d threads on %d cores; more threads than cores only slows training\n",
                cfg.search.threads, omp_get_num_procs());
    nf_signals_install();
    nf_ds_splits data = {0};
    double t0 = nf_now();
    if (load_data(&cfg, &data)) {
        fprintf(stderr, "nasfit fit: %s\n", nf_last_error());
        nf_ds_splits_free(&data);
        return 2;
    }
    nf_fit_report rep;
    nf_fit_report_init(&rep, o.quiet);
    if (!o.quiet)
        printf("data: %s, %d training, %d validation and %d test images of %dx%dx%d, %d classes (%.1f s); "
               "OpenBLAS %s kernels, %d thread(s)\n",
               nf_ds_format(data.train), nf_ds_count(data.train), nf_ds_count(data.val),
               data.test ? nf_ds_count(data.test) : 0, nf_ds_channels(data.train), nf_ds_height(data.train),
               nf_ds_width(data.train), nf_ds_classes(data.train), nf_now() - t0, nf_threads_blas_core(),
               cfg.search.threads);
    nf_search *s = NULL;
    nf_status st = nf_search_create(&cfg.search, data.train, data.val, data.test, &data.norm, &s);
    nf_search_hooks hooks = nf_fit_report_hooks(&rep);
    if (!st) st = nf_search_run(s, &hooks);
    if (!st && o.save) {
        st = nf_model_save(o.save, s->result.winner->g, &data.norm, data.train->class_names, nf_ds_classes(data.train));
        if (!st && !o.quiet) printf("model: %s\n", o.save);
    }
    int code = nf_fit_report_end(&rep, s, st);
    nf_search_destroy(s);
    nf_ds_splits_free(&data);
    return code;
}
