/* nasfit report: a run (or several) as one self-contained HTML page. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "app/cmd/args.h"
#include "app/cmd/commands.h"
#include "app/report/report.h"
#include "app/cmd/run_read.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nasfit report --db RUN.sqlite [--db MORE.sqlite ...] -o PAGE.html [options]\n"
            "Writes the run kept in RUN.sqlite as one HTML page that needs nothing else (no\n"
            "network, no script; charts and drawings inline): the run and its result, the\n"
            "progress per generation and against time, every candidate's cost against its\n"
            "accuracy, the top candidates with their drawings, the winner's lineage, the\n"
            "mutations' record and where the time went. While the run goes on the page\n"
            "reloads itself; fit --report and resume --report keep it up to date.\n"
            "With several --db, one page compares the runs: a summary row each and their\n"
            "curves on the same axes.\n\n"
            "  --db FILE       a run file (repeat to compare runs)\n"
            "  -o FILE         the page to write (replaced atomically)\n"
            "  -n N            top candidates listed and drawn (default 10)\n"
            "  --evaluate      measure the winner on the test set: per-class accuracy and the\n"
            "                  confusion matrix (one pass over the test images)\n"
            "  --threads N     threads for --evaluate (default 2)\n"
            "  --refresh S     reload every S seconds while the run goes on (default 30)\n"
            "  --help          this text\n\n"
            "exit status: 0 ok, 1 usage, 2 bad input (a missing, damaged or foreign run file),\n"
            "4 failed (the page could not be written, out of memory)\n");
}

enum { MAX_RUNS = 16 };

typedef struct report_args { const char *db[MAX_RUNS]; int n_db; const char *out; nf_report_options o; } report_args;

static int parse(int argc, char **argv, report_args *a)
{
    static const struct option longs[] = {{"db", required_argument, 0, 'd'}, {"output", required_argument, 0, 'o'},
                                          {"evaluate", no_argument, 0, 'e'}, {"threads", required_argument, 0, 't'},
                                          {"refresh", required_argument, 0, 'r'}, {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    *a = (report_args){.o = nf_report_defaults()};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:n:", longs, NULL)) != -1) {
        int ok = 1;
        switch (c) {
        case 'd':
            if (a->n_db == MAX_RUNS) { fprintf(stderr, "nasfit report: at most %d run files\n", MAX_RUNS); return 1; }
            a->db[a->n_db++] = optarg;
            break;
        case 'o': a->out = optarg; break;
        case 'n': ok = nf_arg_int("report", "-n", optarg, 0, 1000, &a->o.top); break;
        case 'e': a->o.evaluate = 1; break;
        case 't': ok = nf_arg_int("report", "--threads", optarg, 1, 1024, &a->o.threads); break;
        case 'r': ok = nf_arg_int("report", "--refresh", optarg, 1, 86400, &a->o.refresh); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
        if (!ok) return 1;
    }
    if (optind < argc) { fprintf(stderr, "nasfit report: unexpected argument '%s'\n", argv[optind]); return 1; }
    if (!a->n_db || !a->out) {
        fprintf(stderr, "nasfit report: --db FILE and -o PAGE.html are required\n");
        usage(stderr);
        return 1;
    }
    return -1;
}

int nf_cmd_report(int argc, char **argv)
{
    report_args a;
    int code = parse(argc, argv, &a);
    if (code >= 0) return code;
    code = 0;
    nf_store *dbs[MAX_RUNS] = {0};
    for (int i = 0; i < a.n_db && !code; i++) code = nf_read_open("report", a.db[i], &dbs[i]);
    nf_status st = NF_OK;
    if (!code) st = a.n_db == 1 ? nf_report_write(dbs[0], a.out, &a.o) : nf_report_write_compare(dbs, a.n_db, a.out, &a.o);
    for (int i = 0; i < a.n_db; i++) nf_store_close(dbs[i]);
    if (code) return code;
    /* The run files are open: an I/O error now is the page's, which could not be written. */
    if (st) return nf_cmd_fail("report", st, st == NF_ERR_IO ? NF_DOING_WORK : NF_DOING_READ);
    printf("wrote %s\n", a.out);
    return 0;
}
