/* nasfit fit: evolves a population of networks on a data set and reports
 * the winner. This file reads the options and the configuration (defaults,
 * the configs/ file, then the flags), names and opens the run file and
 * hands over to the session (app/session/fit_session.c), which runs the
 * search (nas/search.h) and prints through app/session/fit_report.c. */
#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "app/cmd/args.h"
#include "app/cmd/commands.h"
#include "app/formats/config.h"
#include "app/session/fit_session.h"
#include "app/session/mpi_pool.h"
#include "app/store/run_queries.h"
#include "app/session/progress.h"
#include "app/session/signals.h"
#include "engine/threads.h"
#include "nas/search.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nasfit fit [options]\n"
            "Evolves a population of networks on a labelled image data set: each generation\n"
            "trains every candidate on the same slice of training images, scores it on the\n"
            "validation split, keeps the best and mutates them into children. At the end the\n"
            "best candidate is trained on with a decaying learning rate and evaluated once on\n"
            "the test set.\n\n"
            "  --data SPEC          data set: a directory, a file, or 'fashion-mnist' (default)\n"
            "  --config FILE        settings (configs/default.conf documents every key)\n"
            "  --set KEY=VALUE      one setting, as in the file (e.g. --set space.max_width=48)\n"
            "  --generations N      stop after N generations\n"
            "  --population P       candidates per generation\n"
            "  --time DURATION      budget for the whole run: 90s, 30m, 8h, 1h30m\n"
            "  --target ACC         stop once the best validation accuracy reaches ACC\n"
            "  --seed S             run seed (same seed and settings: same run, bit for bit)\n"
            "  --threads T          candidates trained at once (default 2)\n"
            "  --strategy S         elitism (default), aging, or a baseline: random (random\n"
            "                       search with successive halving) or fixed (one architecture\n"
            "                       trained for the whole budget with the same recipe)\n"
            "  --arch FILE.json     the fixed strategy's architecture (as nasfit show --json\n"
            "                       prints it); default the reference CNN\n"
            "  --db FILE            the run file (SQLite) that keeps every candidate, the history\n"
            "                       and what a resume needs; default DATA-YYYYMMDD-HHMMSS.sqlite\n"
            "                       (printed at the start); it must not hold a run already\n"
            "  --report FILE        keep an HTML page of the run in FILE, rewritten after every\n"
            "                       generation (see nasfit report)\n"
            "  --mpi                under mpirun: rank 0 runs the search, every other rank trains\n"
            "                       (--threads threads per task); the same run as without MPI\n"
            "  --quiet              only the result\n"
            "  --print-config       print every setting as a config file and exit\n"
            "  --help               this text\n\n"
            "Ctrl-C (or SIGTERM) stops at the next safe point; every candidate trained so far is\n"
            "in the run file, and nasfit resume --db FILE continues exactly where it stopped.\n\n"
            "exit status: 0 done, 1 usage (a bad option, or a value a flag or --set gives),\n"
            "2 bad input (config file, data, run file, architecture), 3 interrupted (resumable),\n"
            "4 failed (a full disk, out of memory, ...)\n");
}

typedef struct fit_options {
    const char *config;
    const char *db;
    const char *report;
    int quiet, print_config;
    int mpi;      /* --mpi: trainers on the other MPI ranks */
} fit_options;

/* Flags that override the file are applied after it, in order. */
typedef struct override { char key[64]; const char *value; } override;

static int parse(int argc, char **argv, fit_options *o, override *ov, int *n_ov)
{
    static const struct option longs[] = {
        {"data", required_argument, 0, 'd'}, {"config", required_argument, 0, 'c'}, {"set", required_argument, 0, 'S'},
        {"generations", required_argument, 0, 'g'}, {"population", required_argument, 0, 'p'},
        {"time", required_argument, 0, 't'}, {"target", required_argument, 0, 'a'}, {"seed", required_argument, 0, 's'},
        {"threads", required_argument, 0, 'T'}, {"quiet", no_argument, 0, 'q'}, {"db", required_argument, 0, 'D'},
        {"print-config", no_argument, 0, 'P'}, {"report", required_argument, 0, 'R'}, {"help", no_argument, 0, 'h'},
        {"mpi", no_argument, 0, 'M'},
        {"strategy", required_argument, 0, 'X'}, {"arch", required_argument, 0, 'A'}, {0, 0, 0, 0}};
    static const struct { int c; const char *key; } keyed[] = {
        {'d', "data.path"}, {'g', "search.generations"}, {'p', "search.population"}, {'t', "search.time"},
        {'a', "search.target"}, {'s', "search.seed"}, {'T', "search.threads"}, {'X', "search.strategy"},
        {'A', "search.arch"}};
    *o = (fit_options){0};
    *n_ov = 0;
    optind = 1;
    int c, which = 0;
    while ((c = getopt_long(argc, argv, "", longs, &which)) != -1) {
        switch (c) {
        case 'c': o->config = optarg; continue;
        case 'D': o->db = optarg; continue;
        case 'R': o->report = optarg; continue;
        case 'q': o->quiet = 1; continue;
        case 'P': o->print_config = 1; continue;
        case 'M': o->mpi = 1; continue;
        case 'h': usage(stdout); exit(0);
        case 'S': {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq - optarg >= (int)sizeof ov->key) {
                fprintf(stderr, "nasfit fit: --set %s is not KEY=VALUE\n", optarg);
                return 1;
            }
            override *o2 = &ov[(*n_ov)++];
            snprintf(o2->key, sizeof o2->key, "%.*s", (int)(eq - optarg), optarg);
            o2->value = eq + 1;
            continue;
        }
        default: break;
        }
        int known = 0;
        for (size_t k = 0; k < sizeof keyed / sizeof keyed[0]; k++)
            if (keyed[k].c == c) {
                override *o2 = &ov[(*n_ov)++];
                snprintf(o2->key, sizeof o2->key, "%s", keyed[k].key);
                o2->value = optarg;
                known = 1;
            }
        if (!known) { usage(stderr); return 1; }
    }
    if (optind < argc) { fprintf(stderr, "nasfit fit: unexpected argument '%s'\n", argv[optind]); return 1; }
    return 0;
}

/* The configuration: defaults, the file, then the flags. Returns the exit
 * status: 2 for the file, 1 for a value a flag gives (as resume's --time);
 * the settings as a whole are checked last, and refused as the input (2). */
static int configure(const fit_options *o, const override *ov, int n_ov, nf_fit_config *cfg)
{
    *cfg = nf_fit_config_defaults();
    nf_status st = o->config ? nf_config_read(o->config, cfg) : NF_OK;
    if (st) return nf_cmd_fail("fit", st, NF_DOING_READ);
    for (int i = 0; i < n_ov; i++)
        if (nf_config_set(cfg, ov[i].key, ov[i].value, "command line")) {
            fprintf(stderr, "nasfit fit: %s\n", nf_last_error());
            return NF_EXIT_USAGE;
        }
    if (nf_search_config_check(&cfg->search)) {
        fprintf(stderr, "nasfit fit: %s%s%s\n", o->config ? o->config : "", o->config ? ": " : "", nf_last_error());
        return NF_EXIT_INPUT;
    }
    if (cfg->arch[0] && cfg->search.strategy != NF_STRATEGY_FIXED) {
        fprintf(stderr, "nasfit fit: search.arch = %s is the fixed strategy's architecture, but the strategy is %s; "
                "add --strategy fixed or leave arch empty\n", cfg->arch, nf_strategy_name(cfg->search.strategy));
        return NF_EXIT_INPUT;
    }
    return NF_EXIT_OK;
}

/* DATA-YYYYMMDD-HHMMSS.sqlite in the current folder, DATA the data set's name. */
static void default_db_name(const char *data, char *buf, size_t cap)
{
    char tmp[512], base[128];
    snprintf(tmp, sizeof tmp, "%s", data);
    for (size_t n = strlen(tmp); n > 1 && tmp[n - 1] == '/'; n--) tmp[n - 1] = 0;
    const char *slash = strrchr(tmp, '/');
    snprintf(base, sizeof base, "%.100s", slash ? slash + 1 : tmp);
    base[strcspn(base, "/.")] = 0;
    if (!base[0]) snprintf(base, sizeof base, "run");
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char date[32];
    strftime(date, sizeof date, "%Y%m%d-%H%M%S", &tm);
    snprintf(buf, cap, "%s-%s.sqlite", base, date);
}

/* Closes the run file, and removes it when a failed start left it empty. */
static void close_and_remove_if_empty(nf_store *db, const char *path)
{
    int64_t n = 1;
    if (!db || nf_query_candidate_count(db, &n) || n) {
        nf_store_close(db);
        return;
    }
    char side[4096];
    nf_store_close(db);
    remove(path);
    snprintf(side, sizeof side, "%s-wal", path);
    remove(side);
    snprintf(side, sizeof side, "%s-shm", path);
    remove(side);
}

static int fit(int argc, char **argv)
{
    fit_options o = {0};
    override *ov = calloc((size_t)argc + 1, sizeof *ov);
    int n_ov, bad = ov ? parse(argc, argv, &o, ov, &n_ov)
                       : nf_cmd_fail("fit", nf_fail(NF_ERR_NOMEM, "out of memory"), NF_DOING_WORK);
    if (!bad && nf_mpi_enter("fit", o.mpi, &bad)) { free(ov); return bad; }
    nf_fit_config cfg;
    if (!bad) bad = configure(&o, ov, n_ov, &cfg);
    free(ov);
    if (bad) return bad;
    nf_fit_data_spec(cfg.data, sizeof cfg.data);
    if (cfg.arch[0]) nf_fit_data_spec(cfg.arch, sizeof cfg.arch); /* absolute, for a resume from elsewhere */
    char *text = nf_config_text(&cfg);
    if (!text) return nf_cmd_fail("fit", nf_fail(NF_ERR_NOMEM, "out of memory"), NF_DOING_WORK);
    if (o.print_config) {
        fputs(text, stdout);
        free(text);
        return NF_EXIT_OK;
    }
    nf_trainer *pool = NULL;
    nf_status st = o.mpi ? nf_mpi_pool_create(cfg.search.threads, &pool) : NF_OK;
    if (st) {
        free(text);
        return nf_cmd_fail("fit", st, NF_DOING_WORK);
    }
    if (!o.mpi && cfg.search.threads > omp_get_num_procs())
        fprintf(stderr, "nasfit fit: note: %d threads on %d cores; more threads than cores only slows training\n",
                cfg.search.threads, omp_get_num_procs());
    char path[1024];
    if (o.db) snprintf(path, sizeof path, "%s", o.db);
    else default_db_name(cfg.data, path, sizeof path);
    printf("run file: %s\n", path);
    fflush(stdout);
    nf_store *db = NULL;
    struct stat sb;
    int existed = stat(path, &sb) == 0;
    nf_run_info info = {.config = text, .seed = cfg.search.seed, .dataset = cfg.data, .blas_kernel = nf_threads_blas_core()};
    st = nf_store_open(path, NF_STORE_CREATE, &db);
    if (!st) st = nf_run_store_start(db, &info);
    free(text);
    if (st) {
        int code = nf_cmd_fail("fit", st, NF_DOING_READ); /* refused: busy, foreign, holding a run already */
        if (!existed) close_and_remove_if_empty(db, path);
        else nf_store_close(db);
        nf_trainer_destroy(pool);
        return code;
    }
    nf_signals_install();
    nf_fit_session fs = {.command = "fit", .cfg = &cfg, .db = db, .quiet = o.quiet, .report = o.report, .trainer = pool};
    int code = nf_fit_session_run(&fs);
    if (code && !existed) close_and_remove_if_empty(db, path);
    else nf_store_close(db);
    nf_trainer_destroy(pool);
    return code;
}

int nf_cmd_fit(int argc, char **argv)
{
    int code = fit(argc, argv);
    nf_mpi_leave();
    return code;
}
