/* nasfit history: a run at a glance, one line per generation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cmd/commands.h"
#include "app/formats/json_out.h"
#include "app/store/run_queries.h"
#include "app/cmd/run_read.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nasfit history --db FILE [--json]\n"
            "The run kept in FILE: its data set, seed, status and result, then one line per\n"
            "generation: best and median fitness, the best candidate's validation accuracy and\n"
            "id, population, failed and culled candidates, images trained, seconds, the seconds\n"
            "spent committing it to the file, and where the thread time went: the share spent\n"
            "scoring (batchnorm re-measurement and validation) and the share left idle (a thread\n"
            "lent to another candidate's training counts as working).\n"
            "Works while a run writes the file (older run files show - where they lack a figure).\n\n"
            "  --db FILE   the run file\n"
            "  --json      one JSON document instead of text\n"
            "  --help      this text\n\n"
            "exit status: 0 ok, 1 usage, 2 bad input (a missing, damaged or foreign file),\n"
            "4 failed (out of memory)\n");
}

typedef struct history { int json; nf_json *doc, *gens; } history;

/* A missing figure as history has always printed it: SQLite's 0. */
static double or_zero(double x) { return isnan(x) ? 0 : x; }

static nf_status run_row(void *user, const nf_query_run_row *r)
{
    history *h = user;
    char status[96];
    nf_read_status(r->status, r->pid, status, sizeof status);
    if (h->json) {
        nf_json *o = nf_json_object();
        nf_json_text(o, "dataset", r->dataset);
        nf_json_int(o, "seed", r->seed);
        nf_json_text(o, "started", r->started);
        nf_json_text(o, "status", r->status);
        nf_json_text(o, "status_text", status);
        nf_json_real(o, "elapsed_seconds", r->elapsed);
        nf_json_text(o, "stop_reason", r->stop_reason);
        if (!r->has_winner) nf_json_null(o, "winner_id"); else nf_json_int(o, "winner_id", r->winner_id);
        nf_json_real(o, "final_val_accuracy", r->final_val_accuracy);
        nf_json_real(o, "test_accuracy", r->test_accuracy);
        nf_json_int(o, "candidates", r->candidates);
        nf_json_put(h->doc, "run", o);
        return NF_OK;
    }
    printf("run: %s, seed %lld, started %s, %s, %.0f s used, %lld candidates\n", r->dataset, (long long)r->seed, r->started,
           status, r->elapsed, (long long)r->candidates);
    if (r->has_winner)
        printf("winner: candidate %lld, validation accuracy %.4f%s", (long long)r->winner_id, or_zero(r->final_val_accuracy),
               isnan(r->test_accuracy) ? "\n" : "");
    if (r->has_winner && !isnan(r->test_accuracy)) printf(", test accuracy %.4f\n", r->test_accuracy);
    printf("%4s %8s %8s %8s %7s %4s %6s %6s %9s %8s %7s %6s %6s\n", "gen", "best", "median", "best_acc", "best_id", "pop",
           "failed", "culled", "images", "seconds", "commit", "score%", "idle%");
    return NF_OK;
}

static nf_status gen_row(void *user, const nf_query_gen *g)
{
    history *h = user;
    if (!h->json) {
        char score[16] = "     -", idle[16] = "     -";
        double all = or_zero(g->train_seconds) + or_zero(g->idle_seconds); /* the tasks' thread time and the idle */
        if (!isnan(g->train_seconds) && all > 0) {
            snprintf(score, sizeof score, "%6.1f", 100 * or_zero(g->score_seconds) / all);
            snprintf(idle, sizeof idle, "%6.1f", 100 * or_zero(g->idle_seconds) / all);
        }
        printf("%4lld %8.4f %8.4f %8.4f %7lld %4lld %6lld %6lld %9lld %8.1f %7.2f %s %s\n", (long long)g->generation,
               g->best_fitness, g->median_fitness, g->best_accuracy, (long long)g->best_id, (long long)g->population,
               (long long)g->failed, (long long)g->culled, (long long)g->images, g->seconds, g->commit_seconds, score, idle);
        return NF_OK;
    }
    nf_json *o = nf_json_object();
    nf_json_int(o, "generation", g->generation);
    nf_json_real(o, "best_fitness", g->best_fitness);
    nf_json_real(o, "median_fitness", g->median_fitness);
    nf_json_real(o, "best_accuracy", g->best_accuracy);
    nf_json_int(o, "best_id", g->best_id);
    nf_json_int(o, "population", g->population);
    nf_json_int(o, "failed", g->failed);
    nf_json_int(o, "images", g->images);
    nf_json_real(o, "seconds", g->seconds);
    nf_json_real(o, "commit_seconds", g->commit_seconds);
    nf_json_int(o, "culled", g->culled);
    nf_json_real(o, "train_seconds", g->train_seconds);
    nf_json_real(o, "score_seconds", g->score_seconds);
    nf_json_real(o, "idle_seconds", g->idle_seconds);
    nf_json_real(o, "predicted_seconds", g->predicted_seconds);
    nf_json_put(h->gens, NULL, o);
    return NF_OK;
}

int nf_cmd_history(int argc, char **argv)
{
    static const nf_read_command me = {"history", 0, 0, usage};
    nf_read_args a;
    int code = nf_read_parse(&me, argc, argv, &a);
    if (code >= 0) return code;
    nf_store *db;
    if ((code = nf_read_open("history", a.db, &db))) return code;
    history h = {.json = a.json};
    if (a.json) {
        h.doc = nf_json_object();
        h.gens = nf_json_array();
        nf_json_text(h.doc, "file", a.db);
    }
    nf_status st = nf_query_run(db, run_row, &h);
    if (!st) st = nf_query_generations(db, true, gen_row, &h);
    if (a.json) {
        nf_json_put(h.doc, "generations", h.gens);
        if (!st) st = nf_json_print(h.doc, stdout);
        nf_json_free(h.doc);
    }
    nf_store_close(db);
    return st ? nf_cmd_fail("history", st, NF_DOING_READ) : NF_EXIT_OK;
}
