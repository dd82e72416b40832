/* nasfit lineage: a candidate's ancestry back to the first generation. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "app/commands.h"
#include "app/json_out.h"
#include "app/run_read.h"

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
            "exit status: 0 ok, 1 usage, 2 bad input (a missing, damaged or foreign file, no such candidate)\n");
}

typedef struct lineage {
    nf_store *db;
    int json;
    nf_json *list, *current;  /* JSON: the ancestors; the one whose changes are being read */
    char changes[1024];       /* text: the current candidate's changes */
} lineage;

static nf_status change_row(void *user, const nf_row *r)
{
    lineage *l = user;
    if (l->json) {
        nf_json *o = nf_json_object();
        nf_json_text(o, "kind", nf_row_text(r, 0));
        if (nf_row_null(r, 1)) nf_json_null(o, "vertex"); else nf_json_int(o, "vertex", nf_row_int(r, 1));
        nf_json_real(o, "before", nf_row_real(r, 2));
        nf_json_real(o, "after", nf_row_real(r, 3));
        nf_json_put(l->current, NULL, o);
        return NF_OK;
    }
    size_t at = strlen(l->changes);
    char vertex[32] = "";
    if (!nf_row_null(r, 1)) snprintf(vertex, sizeof vertex, " v%lld", (long long)nf_row_int(r, 1));
    snprintf(l->changes + at, sizeof l->changes - at, "%s%s%s %g -> %g", at ? ", " : "", nf_row_text(r, 0), vertex,
             nf_row_real(r, 2), nf_row_real(r, 3));
    return NF_OK;
}

static nf_status ancestor_row(void *user, const nf_row *r)
{
    lineage *l = user;
    const nf_val id = nf_int(nf_row_int(r, 0));
    const char *sql = "SELECT kind, vertex, before, after FROM changes WHERE candidate_id = ? ORDER BY seq";
    l->changes[0] = 0;
    nf_status st;
    if (l->json) {
        nf_json *o = nf_json_object();
        nf_json_int(o, "id", nf_row_int(r, 0));
        nf_json_int(o, "born", nf_row_int(r, 1));
        if (nf_row_null(r, 2)) nf_json_null(o, "parent1"); else nf_json_int(o, "parent1", nf_row_int(r, 2));
        if (nf_row_null(r, 3)) nf_json_null(o, "parent2"); else nf_json_int(o, "parent2", nf_row_int(r, 3));
        nf_json_real(o, "first_fitness", nf_row_null(r, 4) ? NAN : nf_row_real(r, 4));
        nf_json_real(o, "best_fitness", nf_row_null(r, 5) ? NAN : nf_row_real(r, 5));
        nf_json_int(o, "parameters", nf_row_int(r, 6));
        nf_json_text(o, "brief", nf_row_text(r, 7));
        l->current = nf_json_array();
        st = nf_store_exec(l->db, sql, &id, 1, change_row, l);
        nf_json_put(o, "changes", l->current);
        nf_json_put(l->list, NULL, o);
        return st;
    }
    if ((st = nf_store_exec(l->db, sql, &id, 1, change_row, l))) return st;
    if (l->changes[0]) printf("        | %s\n", l->changes);
    char first[16] = "-", best[16] = "-";
    if (!nf_row_null(r, 4)) snprintf(first, sizeof first, "%.4f", nf_row_real(r, 4));
    if (!nf_row_null(r, 5)) snprintf(best, sizeof best, "%.4f", nf_row_real(r, 5));
    char cross[32] = "";
    if (!nf_row_null(r, 3)) snprintf(cross, sizeof cross, " (x %lld)", (long long)nf_row_int(r, 3));
    printf("%6lld  gen %3lld  fitness %s, best %s  %lld params%s  %s\n", (long long)nf_row_int(r, 0),
           (long long)nf_row_int(r, 1), first, best, (long long)nf_row_int(r, 6), cross, nf_row_text(r, 7));
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
    nf_status st = nf_store_int(db, "SELECT count(*) FROM candidates", NULL, 0, &n);
    for (int64_t steps = 0; !st; steps++) {
        if (steps > n)
            return nf_fail(NF_ERR_FORMAT, "%s: table candidates: the parent1 chain of candidate %lld loops "
                                          "(candidate %lld is its own ancestor): the file is damaged", path, (long long)id, (long long)at);
        const nf_val v = nf_int(at);
        st = nf_store_int(db, "SELECT coalesce(parent1, -9223372036854775807 - 1) FROM candidates WHERE id = ?", &v, 1, &parent);
        if (st == NF_ERR_ARG)
            return nf_fail(NF_ERR_FORMAT, "%s: table candidates: candidate %lld names parent1 %lld, which is not a candidate: "
                                          "the file is damaged", path, (long long)id, (long long)at);
        if (!st && parent == INT64_MIN) return NF_OK;
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
        fprintf(stderr, "nasfit lineage: %s\n", nf_last_error());
        nf_store_close(db);
        return 2;
    }
    lineage l = {.db = db, .json = a.json, .list = a.json ? nf_json_array() : NULL};
    if (!a.json) printf("lineage of candidate %lld, oldest first (| the changes that made the next one)\n", (long long)id);
    const nf_val v = nf_int(id);
    st = nf_store_exec(db,
        "WITH RECURSIVE line(id, depth) AS (SELECT ?, 0 UNION ALL "
        "  SELECT c.parent1, line.depth + 1 FROM candidates c JOIN line ON c.id = line.id WHERE c.parent1 IS NOT NULL "
        "  AND line.depth < (SELECT count(*) FROM candidates)) "
        "SELECT c.id, c.born, c.parent1, c.parent2, "
        "  (SELECT fitness FROM candidate_fitness WHERE candidate_id = c.id ORDER BY generation LIMIT 1), "
        "  (SELECT max(fitness) FROM candidate_fitness WHERE candidate_id = c.id), c.parameters, c.brief "
        "FROM line JOIN candidates c ON c.id = line.id ORDER BY line.depth DESC", &v, 1, ancestor_row, &l);
    if (a.json) {
        nf_json *doc = nf_json_object();
        nf_json_text(doc, "file", a.db);
        nf_json_int(doc, "id", id);
        nf_json_put(doc, "ancestors", l.list);
        if (!st) st = nf_json_print(doc, stdout);
        nf_json_free(doc);
    }
    nf_store_close(db);
    if (!st) return 0;
    fprintf(stderr, "nasfit lineage: %s\n", nf_last_error());
    return 2;
}
