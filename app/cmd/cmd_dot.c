/* nasfit dot MODEL.nfm|ARCH.json|--db RUN ID|best [-o FILE.dot|FILE.png]:
 * the architecture as a Graphviz drawing. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/formats/arch_dot.h"
#include "app/formats/arch_json.h"
#include "app/cmd/commands.h"
#include "app/formats/fileio.h"
#include "app/formats/model_file.h"
#include "app/cmd/run_read.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nasfit dot MODEL.nfm|ARCH.json [-o FILE.dot|FILE.png]\n"
            "       nasfit dot --db RUN.sqlite ID|best [-o FILE.dot|FILE.png]\n"
            "Draws the architecture of a model file, an architecture JSON file or a\n"
            "candidate of a run file (best: the run's winner, or best so far) as a\n"
            "Graphviz graph: one box per layer with its kind, sizes, output shape\n"
            "(height x width x channels) and parameters. Without -o the DOT text goes to\n"
            "standard output; -o FILE.png renders it with Graphviz's dot program.\n\n"
            "  -o, --output FILE   write FILE.dot, or render FILE.png\n"
            "  --db FILE           take the candidate from this run file\n"
            "  --help              this text\n\n"
            "exit status: 0 done, 1 usage, 2 bad input (the model, architecture or run file),\n"
            "4 failed (rendering or writing the drawing, out of memory)\n");
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcasecmp(s + n - m, suffix);
}

/* The graph of a model file, or of a JSON architecture. */
static nf_status load_graph(const char *path, nf_graph **g)
{
    if (ends_with(path, ".json")) {
        nf_rng rng;
        nf_rng_seed(&rng, 0, 0, NF_RNG_INIT);
        return nf_arch_load(path, &rng, g);
    }
    nf_model *m;
    nf_status st = nf_model_load(path, &m);
    if (st) return st;
    *g = m->graph;
    m->graph = NULL;
    nf_model_destroy(m);
    return NF_OK;
}

static int write_output(const char *out, const char *dot)
{
    nf_status st;
    if (!out) {
        fputs(dot, stdout);
        return 0;
    }
    if (ends_with(out, ".png")) st = nf_dot_render_png(dot, out);
    else st = nf_file_write(out, dot, strlen(dot));
    if (st) return nf_cmd_fail("dot", st, NF_DOING_WORK);
    printf("wrote %s\n", out);
    return NF_EXIT_OK;
}

int nf_cmd_dot(int argc, char **argv)
{
    static const struct option longs[] = {{"output", required_argument, 0, 'o'}, {"db", required_argument, 0, 'd'},
                                          {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *out = NULL, *db = NULL;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:", longs, NULL)) != -1) {
        if (c == 'o') out = optarg;
        else if (c == 'd') db = optarg;
        else if (c == 'h') { usage(stdout); return NF_EXIT_OK; }
        else { usage(stderr); return NF_EXIT_USAGE; }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "nasfit dot: give one model or architecture file, or --db FILE and a candidate (see nasfit dot --help)\n");
        return NF_EXIT_USAGE;
    }
    nf_graph *g;
    char *dot = NULL, title[1100];
    if (db) {
        nf_rng rng;
        nf_rng_seed(&rng, 0, 0, NF_RNG_INIT); /* the drawing needs shapes only */
        int code = nf_read_architecture("dot", db, argv[optind], &rng, &g);
        if (code) return code;
        const char *base = strrchr(db, '/');
        snprintf(title, sizeof title, "%s, candidate %s", base ? base + 1 : db, argv[optind]);
    } else {
        nf_status st = load_graph(argv[optind], &g);
        if (st) return nf_cmd_fail("dot", st, NF_DOING_READ);
        const char *base = strrchr(argv[optind], '/');
        snprintf(title, sizeof title, "%s", base ? base + 1 : argv[optind]);
    }
    nf_status st = nf_arch_to_dot(g, title, &dot);
    nf_graph_destroy(g);
    if (st) return nf_cmd_fail("dot", st, NF_DOING_WORK);
    int rc = write_output(out, dot);
    free(dot);
    return rc;
}
