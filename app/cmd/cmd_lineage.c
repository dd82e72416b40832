/* nasfit lineage: a candidate's ancestry back to the first generation. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "app/cmd/commands.h"
#include "app/formats/json_out.h"
#include "app/store/run_queries.h"
#include "app/cmd/run_read.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nasfit lineage --db FILE ID|best [--json]\n"
            "The ancestry of a candidate (or of the run's best) back to the first generation,\n"
            "oldest first, following each candidate's first parent: its id, the generation it\n"
            "was born in, its fitness after its first training and the best it reached, the\n"
            "changes that made it from its parent (mutations, crossover), and its architecture\n"
            "in brief.\n\n"
            "  --db FILE   the run file\n"
            "  --json      one JSON document instead of text\n"
            "  --help      this text\n\n"
            "exit status: 0 ok, 1 usage, 2 bad input (a missing, damaged or foreign file, no such candidate),\n"
            "4 failed (out of memory)\n");
}

typedef struct lineage {
    nf_store *db;
    int json;
    nf_json *list, *current;  /* JSON: the ancestors; the one whose changes are being read */
    char changes[1024];       /* text: the current candidate's changes */
} lineage;

static nf_status change_row(void *user, const nf_query_change *c)
{
    lineage *l = user;
    if (l->json) {
        nf_json *o = nf_json_object();
        nf_json_text(o, "kind", c->kind);
        if (!c->has_vertex) nf_json_null(o, "vertex"); else nf_json_int(o, "vertex", c->vertex);
        nf_json_real(o, "before", c->before);
        nf_json_real(o, "after", c->after);
        nf_json_put(l->current, NULL, o);
        return NF_OK;
    }
    size_t at = strlen(l->changes);
    char vertex[32] = "";
    if (c->has_vertex) snprintf(vertex, sizeof vertex, " v%lld", (long long)c->vertex);
    snprintf(l->changes + at, sizeof l->changes - at, "%s%s%s %g -> %g", at ? ", " : "", c->kind, vertex, c->before, c->after);
    return NF_OK;
}

static nf_status ancestor_row(void *user, const nf_query_ancestor *a)
{
    lineage *l = user;
    l->changes[0] = 0;
    nf_status st;
    if (l->json) {
        nf_json *o = nf_json_object();
        nf_json_int(o, "id", a->id);
        nf_json_int(o, "born", a->born);
        if (!a->has_parent1) nf_json_null(o, "parent1"); else nf_json_int(o, "parent1", a->parent1);
        if (!a->has_parent2) nf_json_null(o, "parent2"); else nf_json_int(o, "parent2", a->parent2);
        nf_json_real(o, "first_fitness", a->first_fitness);
        nf_json_real(o, "best_fitness", a->best_fitness);
        nf_json_int(o, "parameters", a->params);
        nf_json_text(o, "brief", a->brief);
        l->current = nf_json_array();
        st = nf_query_changes(l->db, a->id, change_row, l);
        nf_json_put(o, "changes", l->current);
        nf_json_put(l->list, NULL, o);
        return st;
    }
    if ((st = nf_query_changes(l->db, a->id, change_row, l))) return st;
    if (l->changes[0]) printf("        | %s\n", l->changes);
    char first[16] = "-", best[16] = "-";
    if (!isnan(a->first_fitness)) snprintf(first, sizeof first, "%.4f", a->first_fitness);
    if (!isnan(a->best_fitness)) snprintf(best, sizeof best, "%.4f", a->best_fitness);
    char cross[32] = "";
    if (a->has_parent2) snprintf(cross, sizeof cross, " (x %lld)", (long long)a->parent2);
    printf("%6lld  gen %3lld  fitness %s, best %s  %lld params%s  %s\n", (long long)a->id, (long long)a->born, first, best,
           (long long)a->params, cross, a->brief);
    return NF_OK;
}

/* The first-parent chain from id ends within as many steps as there are
 * candidates, at a candidate without a parent; a parent that is no row,
 * or a loop (a hand-edited file), is damage, named here rather than
 * walked forever. */
static nf_status check_chain(nf_store *db, int64_t id)
{
    const char *path = nf_store_path(db);
    int64_t n = 0, at = id, parent = 0;
    bool has_parent, found;
    nf_status st = nf_query_candidate_count(db, &n);
    for (int64_t steps = 0; !st; steps++) {
        if (steps > n)
            return nf_fail(NF_ERR_FORMAT, "%s: table candidates: the parent1 chain of candidate %lld loops "
                                          "(candidate %lld is its own ancestor): the file is damaged", path, (long long)id, (long long)at);
        st = nf_query_parent(db, at, &parent, &has_parent, &found);
        if (!st && !found)
            return nf_fail(NF_ERR_FORMAT, "%s: table candidates: candidate %lld names parent1 %lld, which is not a candidate: "
                                          "the file is damaged", path, (long long)id, (long long)at);
        if (!st && !has_parent) return NF_OK;
        if (!st) { id = at; at = parent; }
    }
    return st;
}

int nf_cmd_lineage(int argc, char **argv)
{
    static const nf_read_command me = {"lineage", 0, 1, usage};
    nf_read_args a;
    int code = nf_read_parse(&me, argc, argv, &a);
    if (code >= 0) return code;
    nf_store *db;
    int64_t id;
    if ((code = nf_read_open("lineage", a.db, &db))) return code;
    if ((code = nf_read_candidate("lineage", db, a.which, &id))) { nf_store_close(db); return code; }
    nf_status st = check_chain(db, id);
    if (st) {
        nf_store_close(db);
        return nf_cmd_fail("lineage", st, NF_DOING_READ);
    }
    lineage l = {.db = db, .json = a.json, .list = a.json ? nf_json_array() : NULL};
    if (!a.json) printf("lineage of candidate %lld, oldest first (| the changes that made the next one)\n", (long long)id);
    st = nf_query_lineage(db, id, ancestor_row, &l);
    if (a.json) {
        nf_json *doc = nf_json_object();
        nf_json_text(doc, "file", a.db);
        nf_json_int(doc, "id", id);
        nf_json_put(doc, "ancestors", l.list);
        if (!st) st = nf_json_print(doc, stdout);
        nf_json_free(doc);
    }
    nf_store_close(db);
    return st ? nf_cmd_fail("lineage", st, NF_DOING_READ) : NF_EXIT_OK;
}
