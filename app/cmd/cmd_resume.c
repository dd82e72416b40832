/* nasfit resume: continues a stored run from its last commit, exactly as
 * the uninterrupted run would have gone on. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cmd/commands.h"
#include "app/formats/config.h"
#include "app/session/fit_session.h"
#include "app/session/mpi_pool.h"
#include "app/session/signals.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nasfit resume --db FILE [--time DURATION] [--threads T] [--report FILE] [--mpi] [--quiet]\n"
            "Continues the run kept in FILE from its last commit: candidates already trained in\n"
            "the current generation are not trained again, and the run goes on exactly as an\n"
            "uninterrupted one with the same seed and settings would (the same candidates, the\n"
            "same fitness values, bit for bit). The settings are the run's own.\n\n"
            "  --db FILE         the run file (written by nasfit fit --db)\n"
            "  --time DURATION   a new budget for the whole run, time already used included\n"
            "  --threads T       candidates trained at once (does not change the results)\n"
            "  --report FILE     keep an HTML page of the run in FILE, rewritten after every\n"
            "                    generation (see nasfit report)\n"
            "  --mpi             under mpirun: trainers on the other ranks, any number of them\n"
            "                    (does not change the results either)\n"
            "  --quiet           only the result\n"
            "  --help            this text\n\n"
            "One process writes a run file at a time: a second resume (or a fit) on a file that\n"
            "a live run is writing is refused. Reading it meanwhile is fine.\n\n"
            "exit status: 0 done (or already finished), 1 usage (a bad option, or a bad --time or\n"
            "--threads value), 2 bad input (run file, data), 3 interrupted (resumable), 4 failed\n"
            "(a full disk, out of memory, ...)\n");
}

typedef struct resume_options { const char *db, *time, *threads, *report; int quiet, mpi; } resume_options;

static int parse(int argc, char **argv, resume_options *o)
{
    static const struct option longs[] = {{"db", required_argument, 0, 'd'}, {"time", required_argument, 0, 't'},
                                          {"threads", required_argument, 0, 'T'}, {"quiet", no_argument, 0, 'q'},
                                          {"report", required_argument, 0, 'R'}, {"help", no_argument, 0, 'h'},
                                          {"mpi", no_argument, 0, 'M'}, {0, 0, 0, 0}};
    *o = (resume_options){0};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'd': o->db = optarg; break;
        case 't': o->time = optarg; break;
        case 'T': o->threads = optarg; break;
        case 'q': o->quiet = 1; break;
        case 'R': o->report = optarg; break;
        case 'M': o->mpi = 1; break;
        case 'h': usage(stdout); exit(NF_EXIT_OK);
        default: usage(stderr); return NF_EXIT_USAGE;
        }
    }
    if (optind < argc) { fprintf(stderr, "nasfit resume: unexpected argument '%s'\n", argv[optind]); return NF_EXIT_USAGE; }
    if (!o->db) { fprintf(stderr, "nasfit resume: --db FILE is required\n"); usage(stderr); return NF_EXIT_USAGE; }
    return NF_EXIT_OK;
}

/* --time and --threads laid on c. */
static nf_status apply_flags(const resume_options *o, nf_fit_config *c)
{
    nf_status st = o->time ? nf_config_set(c, "search.time", o->time, "--time") : NF_OK;
    if (!st && o->threads) st = nf_config_set(c, "search.threads", o->threads, "--threads");
    return st;
}

/* The stored configuration with the flags on top. */
static int configure(const resume_options *o, const nf_run_state *rs, nf_fit_config *cfg)
{
    char source[1100];
    snprintf(source, sizeof source, "%s (run.config)", o->db);
    *cfg = nf_fit_config_defaults();
    /* Every key is stored (nf_config_text); one missing was written before
     * it existed, and must mean what that version did: no screen. */
    cfg->search.screen_draws = 0;
    nf_status st = nf_config_parse(rs->config, source, cfg);
    if (!st) st = apply_flags(o, cfg);
    if (!st) st = nf_search_config_check(&cfg->search);
    if (st) {
        fprintf(stderr, "nasfit resume: %s\n", nf_last_error());
        return o->time || o->threads ? NF_EXIT_USAGE : NF_EXIT_INPUT;
    }
    return NF_EXIT_OK;
}

/* A bad --time or --threads value is refused before the run file is
 * opened for writing, so a refused command leaves the file as it was. */
static int check_flags(const resume_options *o)
{
    nf_fit_config c = nf_fit_config_defaults();
    if (!apply_flags(o, &c)) return NF_EXIT_OK;
    fprintf(stderr, "nasfit resume: %s\n", nf_last_error());
    return NF_EXIT_USAGE;
}

static int already_done(const char *path, int quiet)
{
    if (!quiet) printf("%s: the run is finished; nothing to resume (nasfit history --db %s tells how it went)\n", path, path);
    return 0;
}

static int resume(int argc, char **argv)
{
    resume_options o;
    int bad = parse(argc, argv, &o);
    if (!bad) bad = check_flags(&o);
    if (bad || nf_mpi_enter("resume", o.mpi, &bad)) return bad;
    nf_store *db = NULL;
    nf_run_state rs = {0};
    nf_status st = nf_store_open(o.db, NF_STORE_WRITE, &db);
    if (!st) st = nf_run_store_state(db, &rs);
    if (st) {
        nf_store_close(db);
        return nf_cmd_fail("resume", st, NF_DOING_READ);
    }
    nf_fit_config cfg;
    int code = configure(&o, &rs, &cfg); /* first: a bad --time or --threads is refused even on a finished run */
    if (code == 0 && !strcmp(rs.status, "done")) code = -1;
    if (code == -1) code = already_done(o.db, o.quiet);
    else if (code == 0) {
        char *text = nf_config_text(&cfg); /* claimed by the session once the stored state is checked */
        if (!text) {
            code = nf_cmd_fail("resume", nf_fail(NF_ERR_NOMEM, "out of memory"), NF_DOING_WORK);
        } else {
            nf_trainer *pool = NULL;
            if (o.mpi && (st = nf_mpi_pool_create(cfg.search.threads, &pool))) {
                code = nf_cmd_fail("resume", st, NF_DOING_WORK);
            } else {
                nf_signals_install();
                nf_fit_session fs = {.command = "resume", .cfg = &cfg, .db = db, .resume = &rs, .claim = text,
                                     .quiet = o.quiet, .report = o.report, .trainer = pool};
                code = nf_fit_session_run(&fs);
            }
            nf_trainer_destroy(pool);
        }
        free(text);
    }
    nf_run_state_free(&rs);
    nf_store_close(db);
    return code;
}

int nf_cmd_resume(int argc, char **argv)
{
    int code = resume(argc, argv);
    nf_mpi_leave();
    return code;
}
