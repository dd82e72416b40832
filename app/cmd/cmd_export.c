/* nasfit export: a candidate of a run file as a model file (.nfm) or ONNX. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cmd/commands.h"
#include "app/formats/model_file.h"
#include "app/formats/onnx_export.h"
#include "app/cmd/run_read.h"
#include "app/store/run_store.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nasfit export --db FILE ID|best -o OUT [--format nfm|onnx]\n"
            "Writes a candidate of the run kept in FILE (best: the winner once the run is done,\n"
            "else the best so far) as a self-contained model: architecture, weights, batchnorm\n"
            "statistics, the data set's normalisation and class names.\n"
            "  nfm    nasfit's model file (docs/model-format.md), for evaluate, predict, dot\n"
            "  onnx   ONNX opset 13: input 'pixels' float NCHW = image bytes / 255\n"
            "The format follows OUT's extension (.onnx) unless --format says otherwise.\n"
            "Weights are kept for the living population, the best and the winner only.\n\n"
            "  --db FILE         the run file\n"
            "  -o, --output OUT  the model file to write\n"
            "  --format F        nfm or onnx\n"
            "  --help            this text\n\n"
            "exit status: 0 ok, 1 usage, 2 bad input (a missing or damaged file, no such candidate,\n"
            "weights no longer kept), 4 failed (OUT could not be written, out of memory)\n");
}

typedef struct export_options { const char *db, *which, *out; int onnx; } export_options;

static int ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && !strcmp(s + a - b, tail);
}

static int parse(int argc, char **argv, export_options *o)
{
    static const struct option longs[] = {{"db", required_argument, 0, 'd'}, {"output", required_argument, 0, 'o'},
                                          {"format", required_argument, 0, 'f'}, {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    *o = (export_options){0};
    const char *format = NULL;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:", longs, NULL)) != -1) {
        switch (c) {
        case 'd': o->db = optarg; break;
        case 'o': o->out = optarg; break;
        case 'f': format = optarg; break;
        case 'h': usage(stdout); return NF_EXIT_OK;
        default: usage(stderr); return NF_EXIT_USAGE;
        }
    }
    if (optind < argc) o->which = argv[optind++];
    if (optind < argc) { fprintf(stderr, "nasfit export: unexpected argument '%s'\n", argv[optind]); return NF_EXIT_USAGE; }
    if (!o->db || !o->which || !o->out) {
        fprintf(stderr, "nasfit export: --db FILE, a candidate (ID or best) and -o OUT are required\n");
        return NF_EXIT_USAGE;
    }
    if (format && strcmp(format, "nfm") && strcmp(format, "onnx")) {
        fprintf(stderr, "nasfit export: --format %s is neither nfm nor onnx\n", format);
        return NF_EXIT_USAGE;
    }
    o->onnx = format ? !strcmp(format, "onnx") : ends_with(o->out, ".onnx");
    return -1;
}

int nf_cmd_export(int argc, char **argv)
{
    export_options o;
    int code = parse(argc, argv, &o);
    if (code >= 0) return code;
    nf_store *db;
    int64_t id;
    if ((code = nf_read_open("export", o.db, &db))) return code;
    if ((code = nf_read_candidate("export", db, o.which, &id))) { nf_store_close(db); return code; }
    nf_candidate *c = NULL;
    nf_ds_norm norm;
    char **names = NULL;
    int n_classes = 0;
    nf_status st = nf_run_store_read_data(db, &norm, &names, &n_classes);
    if (!st) st = nf_run_store_candidate(db, id, &c);
    nf_store_close(db);
    if (st) code = nf_cmd_fail("export", st, NF_DOING_READ);
    else if ((st = o.onnx ? nf_model_export_onnx(c->g, &norm, names, n_classes, o.out)
                          : nf_model_save(o.out, c->g, &norm, names, n_classes)))
        code = nf_cmd_fail("export", st, NF_DOING_WORK);
    else
        printf("candidate %lld (validation accuracy %.4f) written to %s as %s\n", (long long)id, c->val_accuracy, o.out,
               o.onnx ? "ONNX" : "a nasfit model file");
    nf_candidate_destroy(c);
    free(names);
    return code;
}
