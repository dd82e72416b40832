/* nasfit show: a candidate's architecture as a table of layers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/formats/arch_json.h"
#include "app/cmd/commands.h"
#include "app/store/run_queries.h"
#include "app/cmd/run_read.h"
#include "engine/op.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nasfit show --db FILE ID|best [--json]\n"
            "The architecture of a candidate (or of the run's best) as a table of layers: id,\n"
            "operation, inputs, output shape (channels x height x width), parameters and the\n"
            "layer's settings; then its training settings and totals.\n"
            "--json prints the architecture as JSON, the form nasfit train --arch reads.\n\n"
            "  --db FILE   the run file\n"
            "  --json      the architecture JSON instead of the table\n"
            "  --help      this text\n\n"
            "exit status: 0 ok, 1 usage, 2 bad input (a missing, damaged or foreign file, no such candidate),\n"
            "4 failed (out of memory)\n");
}

typedef struct shown {
    char *json;
    char head[512];
} shown;

static nf_status candidate_row(void *user, const nf_query_cand_row *c)
{
    shown *s = user;
    s->json = strdup(c->architecture);
    snprintf(s->head, sizeof s->head,
             "candidate %lld, born in generation %lld: %lld parameters, %.2f MFLOPs per image; %s, learning rate %.3g, "
             "weight decay %.3g, batch %lld; best fitness %s",
             (long long)c->id, (long long)c->born, (long long)c->params, c->flops / 1e6, c->optimizer, c->learning_rate,
             c->weight_decay, (long long)c->batch, c->best_fitness ? c->best_fitness : "- (not trained yet)");
    return s->json ? NF_OK : nf_fail(NF_ERR_NOMEM, "out of memory");
}

/* The op's attributes as its table entry lists them: "kernel 3, stride 1,
 * bias"; an activation by its name; a flag by its key when set. */
static void settings_of(const nf_vertex *v, char *buf, size_t cap)
{
    size_t at = 0;
    buf[0] = 0;
    for (const nf_attr_desc *d = nf_op_def_of(v->op)->attrs; d->key && at < cap; d++) {
        if (d->applies && !d->applies(&v->attr)) continue;
        double x = nf_attr_get(&v->attr, d);
        if (d->type == NF_ATTR_BOOL && !x) continue;
        const char *sep = at ? ", " : "";
        int n = d->type == NF_ATTR_ACT    ? snprintf(buf + at, cap - at, "%s%s", sep, nf_act_name((nf_act)x))
                : d->type == NF_ATTR_BOOL ? snprintf(buf + at, cap - at, "%s%s", sep, d->key)
                                          : snprintf(buf + at, cap - at, "%s%s %g", sep, d->key, x);
        if (n < 0) break;
        at += (size_t)n;
    }
}

static void print_table(const nf_graph *g)
{
    printf("%5s  %-10s %-14s %-16s %10s  %s\n", "id", "op", "inputs", "output", "parameters", "settings");
    for (int i = 0; i < g->n; i++) {
        const nf_vertex *v = &g->v[i];
        char inputs[64] = "", shape[48], set[64];
        for (int k = 0, at = 0; k < v->n_inputs && at < (int)sizeof inputs; k++)
            at += snprintf(inputs + at, sizeof inputs - (size_t)at, "%s%d", k ? "," : "", g->v[v->inputs[k]].id);
        snprintf(shape, sizeof shape, "%dx%dx%d", v->nout, v->h, v->w);
        const nf_op_def *d = nf_op_def_of(v->op);
        settings_of(v, set, sizeof set);
        printf("%5d  %-10s %-14s %-16s %10zu  %s\n", v->id, nf_op_name(v->op), inputs[0] ? inputs : "-", shape,
               d->n_param ? d->n_param(v) : 0, set);
    }
}

int nf_cmd_show(int argc, char **argv)
{
    static const nf_read_command me = {"show", 0, 1, usage};
    nf_read_args a;
    int code = nf_read_parse(&me, argc, argv, &a);
    if (code >= 0) return code;
    nf_store *db;
    int64_t id;
    if ((code = nf_read_open("show", a.db, &db))) return code;
    if ((code = nf_read_candidate("show", db, a.which, &id))) { nf_store_close(db); return code; }
    shown s = {0};
    nf_status st = nf_query_candidate(db, id, candidate_row, &s);
    nf_store_close(db);
    nf_graph *g = NULL;
    if (!st) { /* checked before printing, --json too: what is printed is what train --arch reads */
        char source[1100];
        snprintf(source, sizeof source, "%s (candidates.architecture of candidate %lld)", a.db, (long long)id);
        const nf_arch_read how = {.source = source}; /* shapes only: no weights are drawn or allocated */
        st = s.json ? nf_arch_read_json(s.json, &how, &g) : nf_fail(NF_ERR_FORMAT, "%s: no such row", source);
    }
    if (!st && a.json) fputs(s.json, stdout);
    else if (!st) {
        printf("%s\n", s.head);
        print_table(g);
    }
    nf_graph_destroy(g);
    free(s.json);
    return st ? nf_cmd_fail("show", st, NF_DOING_READ) : NF_EXIT_OK;
}
