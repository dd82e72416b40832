/* nasfit top: a run's best candidates. */
#include <stdio.h>

#include "app/cmd/commands.h"
#include "app/formats/json_out.h"
#include "app/store/run_queries.h"
#include "app/cmd/run_read.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nasfit top --db FILE [-n N] [--json]\n"
            "The N best candidates of the run kept in FILE (10 by default), by the best fitness\n"
            "each reached in any generation: id, fitness, validation accuracy then, parameters,\n"
            "MFLOPs per image, generation born, generations trained, the worker of that training\n"
            "(the thread, or under --mpi the trainer rank), and the architecture in brief. Works\n"
            "while a run writes the file.\n\n"
            "  --db FILE   the run file\n"
            "  -n N        how many (1 to 1000000)\n"
            "  --json      one JSON document instead of text\n"
            "  --help      this text\n\n"
            "exit status: 0 ok, 1 usage, 2 bad input (a missing, damaged or foreign file),\n"
            "4 failed (out of memory)\n");
}

typedef struct top { int json; nf_json *list; } top;

static nf_status row(void *user, const nf_query_cand *c)
{
    top *t = user;
    if (!t->json) {
        char worker[16] = "-";
        if (c->has_worker) snprintf(worker, sizeof worker, "%lld", (long long)c->worker);
        printf("%6lld %8.4f %8.4f %10lld %8.2f %4lld %7lld %6s  %s\n", (long long)c->id, c->fitness, c->val_accuracy,
               (long long)c->params, c->flops / 1e6, (long long)c->born, (long long)c->trainings, worker, c->brief);
        return NF_OK;
    }
    nf_json *o = nf_json_object();
    nf_json_int(o, "id", c->id);
    nf_json_real(o, "fitness", c->fitness);
    nf_json_real(o, "val_accuracy", c->val_accuracy);
    nf_json_int(o, "parameters", c->params);
    nf_json_real(o, "flops", c->flops);
    nf_json_int(o, "born", c->born);
    nf_json_int(o, "generations_trained", c->trainings);
    if (!c->has_worker) nf_json_null(o, "worker");
    else nf_json_int(o, "worker", c->worker);
    nf_json_text(o, "brief", c->brief);
    nf_json_put(t->list, NULL, o);
    return NF_OK;
}

int nf_cmd_top(int argc, char **argv)
{
    static const nf_read_command me = {"top", 1, 0, usage};
    nf_read_args a;
    int code = nf_read_parse(&me, argc, argv, &a);
    if (code >= 0) return code;
    nf_store *db;
    if ((code = nf_read_open("top", a.db, &db))) return code;
    top t = {.json = a.json, .list = a.json ? nf_json_array() : NULL};
    if (!a.json)
        printf("%6s %8s %8s %10s %8s %4s %7s %6s  %s\n", "id", "fitness", "val_acc", "params", "MFLOPs", "born", "trained",
               "worker", "architecture");
    nf_status st = nf_query_top(db, a.n, row, &t);
    if (a.json) {
        nf_json *doc = nf_json_object();
        nf_json_text(doc, "file", a.db);
        nf_json_put(doc, "candidates", t.list);
        if (!st) st = nf_json_print(doc, stdout);
        nf_json_free(doc);
    }
    nf_store_close(db);
    return st ? nf_cmd_fail("top", st, NF_DOING_READ) : NF_EXIT_OK;
}
