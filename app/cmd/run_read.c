#include "app/cmd/run_read.h"

#include "app/formats/arch_json.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "app/cmd/args.h"
#include "app/cmd/commands.h"
#include "app/store/run_queries.h"

int nf_read_parse(const nf_read_command *c, int argc, char **argv, nf_read_args *a)
{
    static const struct option longs[] = {{"db", required_argument, 0, 'd'}, {"json", no_argument, 0, 'j'},
                                          {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    char cmd[64];
    snprintf(cmd, sizeof cmd, "nasfit %s", c->name);
    *a = (nf_read_args){.n = 10};
    optind = 1;
    int o;
    while ((o = getopt_long(argc, argv, c->wants_n ? "n:" : "", longs, NULL)) != -1) {
        switch (o) {
        case 'd': a->db = optarg; break;
        case 'j': a->json = 1; break;
        case 'n': if (!nf_arg_int(c->name, "-n", optarg, 1, 1000000, &a->n)) return NF_EXIT_USAGE; break;
        case 'h': c->usage(stdout); return NF_EXIT_OK;
        default: c->usage(stderr); return NF_EXIT_USAGE;
        }
    }
    if (c->wants_candidate && optind < argc) a->which = argv[optind++];
    if (optind < argc) { fprintf(stderr, "%s: unexpected argument '%s'\n", cmd, argv[optind]); return NF_EXIT_USAGE; }
    if (!a->db) { fprintf(stderr, "%s: --db FILE is required\n", cmd); c->usage(stderr); return NF_EXIT_USAGE; }
    if (c->wants_candidate && !a->which) {
        fprintf(stderr, "%s: which candidate? give an id or 'best'\n", cmd);
        return NF_EXIT_USAGE;
    }
    return -1;
}

int nf_read_open(const char *command, const char *path, nf_store **out)
{
    nf_status st = nf_store_open(path, NF_STORE_READ, out);
    return st ? nf_cmd_fail(command, st, NF_DOING_READ) : NF_EXIT_OK;
}

int nf_read_candidate(const char *command, nf_store *db, const char *which, int64_t *id)
{
    nf_status st;
    bool found;
    if (!strcmp(which, "best")) {
        st = nf_query_best(db, id, &found);
        if (!st && !found) {
            fprintf(stderr, "nasfit %s: %s: no candidate has been trained yet\n", command, nf_store_path(db));
            return NF_EXIT_INPUT;
        }
        if (!st && !(st = nf_query_candidate_exists(db, *id, &found)) && !found) {
            fprintf(stderr, "nasfit %s: %s: the run's best (run.winner_id, or weights.candidate_id of role 'best') names "
                            "candidate %lld, which is not in table candidates: the file is damaged\n",
                    command, nf_store_path(db), (long long)*id);
            return NF_EXIT_INPUT;
        }
    } else {
        char *end;
        errno = 0;
        long long v = strtoll(which, &end, 10);
        if (errno || end == which || *end || v < 0) {
            fprintf(stderr, "nasfit %s: '%s' is not a candidate id (a whole number) or 'best'\n", command, which);
            return NF_EXIT_USAGE;
        }
        *id = v;
        st = nf_query_candidate_exists(db, v, &found);
        if (!st && !found) {
            fprintf(stderr, "nasfit %s: %s: no candidate %lld in this run\n", command, nf_store_path(db), v);
            return NF_EXIT_INPUT;
        }
    }
    return st ? nf_cmd_fail(command, st, NF_DOING_READ) : NF_EXIT_OK;
}

void nf_read_status(const char *status, int64_t pid, char *buf, size_t cap)
{
    if (!strcmp(status, "running")) {
        if (pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
            snprintf(buf, cap, "stopped: process %lld is gone (resumable)", (long long)pid);
        else
            snprintf(buf, cap, "running (process %lld)", (long long)pid);
    } else if (!strcmp(status, "interrupted") || !strcmp(status, "failed")) {
        snprintf(buf, cap, "%s (resumable)", status);
    } else {
        snprintf(buf, cap, "%s", status);
    }
}

int nf_read_architecture(const char *command, const char *path, const char *which, nf_rng *rng, nf_graph **g)
{
    *g = NULL;
    nf_store *db;
    int64_t id;
    int code = nf_read_open(command, path, &db);
    if (code) return code;
    if ((code = nf_read_candidate(command, db, which, &id))) { nf_store_close(db); return code; }
    char *json = NULL, source[1100];
    nf_status st = nf_query_architecture(db, id, &json);
    nf_store_close(db);
    snprintf(source, sizeof source, "%s (candidate %lld)", path, (long long)id);
    if (!st) st = nf_arch_from_json(json, source, rng, g);
    free(json);
    return st ? nf_cmd_fail(command, st, NF_DOING_READ) : NF_EXIT_OK;
}
