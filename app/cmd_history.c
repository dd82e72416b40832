/* nasfit history: a run at a glance, one line per generation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/commands.h"
#include "app/json_out.h"
#include "app/run_read.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nasfit history --db FILE [--json]\n"
            "The run kept in FILE: its data set, seed, status and result, then one line per\n"
            "generation: best and median fitness, the best candidate's validation accuracy and\n"
            "id, population, failed and culled candidates, images trained, seconds, the seconds\n"
            "spent committing it to the file, and where the thread time went: the share spent\n"
            "scoring (batchnorm re-measurement and validation) and the share left idle.\n"
            "Works while a run writes the file (older run files show - where they lack a figure).\n\n"
            "  --db FILE   the run file\n"
            "  --json      one JSON document instead of text\n"
            "  --help      this text\n\n"
            "exit status: 0 ok, 1 usage, 2 bad input (a missing, damaged or foreign file)\n");
}

typedef struct history { int json; nf_json *doc, *gens; } history;

static nf_status run_row(void *user, const nf_row *r)
{
    history *h = user;
    char status[96];
    nf_read_status(nf_row_text(r, 3), nf_row_int(r, 4), status, sizeof status);
    if (h->json) {
        nf_json *o = nf_json_object();
        nf_json_text(o, "dataset", nf_row_text(r, 0));
        nf_json_int(o, "seed", nf_row_int(r, 1));
        nf_json_text(o, "started", nf_row_text(r, 2));
        nf_json_text(o, "status", nf_row_text(r, 3));
        nf_json_text(o, "status_text", status);
        nf_json_real(o, "elapsed_seconds", nf_row_real(r, 5));
        nf_json_text(o, "stop_reason", nf_row_null(r, 6) ? NULL : nf_row_text(r, 6));
        if (nf_row_null(r, 7)) nf_json_null(o, "winner_id"); else nf_json_int(o, "winner_id", nf_row_int(r, 7));
        nf_json_real(o, "final_val_accuracy", nf_row_null(r, 8) ? NAN : nf_row_real(r, 8));
        nf_json_real(o, "test_accuracy", nf_row_null(r, 9) ? NAN : nf_row_real(r, 9));
        nf_json_int(o, "candidates", nf_row_int(r, 10));
        nf_json_put(h->doc, "run", o);
        return NF_OK;
    }
    printf("run: %s, seed %lld, started %s, %s, %.0f s used, %lld candidates\n", nf_row_text(r, 0),
           (long long)nf_row_int(r, 1), nf_row_text(r, 2), status, nf_row_real(r, 5), (long long)nf_row_int(r, 10));
    if (!nf_row_null(r, 7))
        printf("winner: candidate %lld, validation accuracy %.4f%s", (long long)nf_row_int(r, 7), nf_row_real(r, 8),
               nf_row_null(r, 9) ? "\n" : "");
    if (!nf_row_null(r, 7) && !nf_row_null(r, 9)) printf(", test accuracy %.4f\n", nf_row_real(r, 9));
    printf("%4s %8s %8s %8s %7s %4s %6s %6s %9s %8s %7s %6s %6s\n", "gen", "best", "median", "best_acc", "best_id", "pop",
           "failed", "culled", "images", "seconds", "commit", "score%", "idle%");
    return NF_OK;
}

static nf_status gen_row(void *user, const nf_row *r)
{
    history *h = user;
    if (!h->json) {
        char score[16] = "     -", idle[16] = "     -";
        double all = nf_row_real(r, 11) + nf_row_real(r, 13); /* the tasks' thread time and the idle */
        if (!nf_row_null(r, 11) && all > 0) {
            snprintf(score, sizeof score, "%6.1f", 100 * nf_row_real(r, 12) / all);
            snprintf(idle, sizeof idle, "%6.1f", 100 * nf_row_real(r, 13) / all);
        }
        printf("%4lld %8.4f %8.4f %8.4f %7lld %4lld %6lld %6lld %9lld %8.1f %7.2f %s %s\n", (long long)nf_row_int(r, 0),
               nf_row_real(r, 1), nf_row_real(r, 2), nf_row_real(r, 3), (long long)nf_row_int(r, 4),
               (long long)nf_row_int(r, 5), (long long)nf_row_int(r, 6), (long long)nf_row_int(r, 10),
               (long long)nf_row_int(r, 7), nf_row_real(r, 8), nf_row_real(r, 9), score, idle);
        return NF_OK;
    }
    static const char *const names[] = {"generation", "best_fitness", "median_fitness", "best_accuracy", "best_id",
                                        "population", "failed", "images", "seconds", "commit_seconds", "culled",
                                        "train_seconds", "score_seconds", "idle_seconds"};
    static const char is_real[] = {0, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1};
    nf_json *o = nf_json_object();
    for (int k = 0; k < 14; k++) {
        if (!is_real[k]) nf_json_int(o, names[k], nf_row_int(r, k));
        else nf_json_real(o, names[k], nf_row_null(r, k) ? NAN : nf_row_real(r, k));
    }
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
    nf_status st = nf_store_exec(db, "SELECT dataset, seed, started, status, pid, elapsed_seconds, stop_reason, winner_id, "
                                     "final_val_accuracy, test_accuracy, (SELECT count(*) FROM candidates) FROM run",
                                 NULL, 0, run_row, &h);
    if (!st) st = nf_store_exec(db, "SELECT generation, best_fitness, median_fitness, best_accuracy, best_id, population, "
                                    "failed, images, seconds, commit_seconds, culled, train_seconds, score_seconds, idle_seconds "
                                    "FROM generations ORDER BY generation",
                                NULL, 0, gen_row, &h);
    if (a.json) {
        nf_json_put(h.doc, "generations", h.gens);
        if (!st) st = nf_json_print(h.doc, stdout);
        nf_json_free(h.doc);
    }
    nf_store_close(db);
    if (!st) return 0;
    fprintf(stderr, "nasfit history: %s\n", nf_last_error());
    return 2;
}
