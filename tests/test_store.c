/* The run store on a tiny search made here: what it stores reads back bit
 * for bit; a run stopped right after each of its commits and resumed each
 * time ends exactly like a straight run (every fitness, architecture and
 * the winner's weights); a second writer is refused naming the first;
 * damaged, truncated, empty and foreign files are refused naming the file;
 * the configuration text round-trips. (tests/store_check.sh drives the real
 * binary: kill -9, concurrent readers, the read commands, sqlite3.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/formats/config.h"
#include "app/store/run_store.h"
#include "app/store/store.h"
#include "datasets/dataset.h"
#include "tests/search_fixtures.h"
#include "datasets/normalize.h"
#include "engine/serialize.h"

typedef struct fixture {
    nf_dataset *train, *val;
    nf_ds_norm norm;
    char dir[64];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->train = fx_quadrant_set(1200, 1);
    f->val = fx_quadrant_set(300, 2);
    f->norm = nf_ds_normalization(f->train);
    snprintf(f->dir, sizeof f->dir, "/tmp/nf_store_test_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    nf_ds_destroy(f->train);
    nf_ds_destroy(f->val);
    free(f);
    return 0;
}

static const char *path_in(const fixture *f, const char *name)
{
    static char buf[4][256];
    static int next;
    char *p = buf[next++ & 3];
    snprintf(p, 256, "%s/%s", f->dir, name);
    unlink(p);
    return p;
}

static nf_fit_config tiny_config(void)
{
    nf_fit_config fc = nf_fit_config_defaults();
    nf_search_config *c = &fc.search;
    c->population = 4; c->elite = 1; c->tournament = 2; c->generations = 4; c->screen_draws = 0;
    c->slice_images = 256; c->final_epochs = 0.2; c->threads = 1; c->seed = 3; c->time_budget = 0;
    c->aug = (nf_augment){0};
    c->settings.batch = 32; c->settings.optim.lr = 3e-3f; c->task.refresh_images = 128;
    nf_space *s = &c->var.space;
    s->min_stages = 1; s->max_stages = 2; s->min_width = 4; s->max_width = 8;
    s->min_dense_width = 8; s->max_dense_width = 16;
    c->var.limits.max_params = 20000; c->var.limits.max_width = 48; c->var.limits.max_mflops = 0;
    c->var.min_batch = 16; c->var.max_batch = 64;
    return fc;
}

/* ==== sessions ============================================================ */

/* Inner hooks that end the session right after the store's k-th commit of
 * this session, as a kill at that moment would (a kill loses nothing
 * committed and nothing else matters). */
typedef struct stopper { int64_t left; } stopper;

static nf_status count(stopper *k) { return --k->left == 0 ? NF_ERR_INTERRUPTED : NF_OK; }
static nf_status k_pop(void *u, const nf_search *s) { (void)s; return count(u); }
static nf_status k_trained(void *u, const nf_search *s, const nf_candidate *c) { (void)s; (void)c; return count(u); }
/* The last generation's commit leaves the same resume point as the last
 * training's (its population trained, the final phase not started): a
 * session stopped there would do it again, forever. */
static nf_status k_gen(void *u, const nf_search *s, const nf_gen_stats *g)
{
    (void)g;
    return s->stop_reason == NF_STOP_NONE ? count(u) : NF_OK;
}
static nf_status k_final(void *u, const nf_search *s, int64_t n) { (void)s; (void)n; return count(u); }
static nf_status k_done(void *u, const nf_search *s, const nf_result *r) { (void)s; (void)r; return count(u); }

/* One session on path: a new run or the rest of the stored one, stopped
 * after `commits` commits (0: never). Returns 1 once the run is done. */
static int session(fixture *f, const char *path, const nf_fit_config *fc, int64_t commits, nf_search **keep)
{
    nf_store *db;
    int fresh = access(path, F_OK) != 0;
    assert_int_equal(nf_store_open(path, fresh ? NF_STORE_CREATE : NF_STORE_WRITE, &db), NF_OK);
    if (fresh) {
        char *text = nf_config_text(fc);
        nf_run_info info = {.config = text, .seed = fc->search.seed, .dataset = "tiny", .blas_kernel = "test"};
        assert_int_equal(nf_run_store_start(db, &info), NF_OK);
        free(text);
    }
    nf_run_state rs;
    assert_int_equal(nf_run_store_state(db, &rs), NF_OK);
    if (!strcmp(rs.status, "done")) {
        nf_run_state_free(&rs);
        nf_store_close(db);
        return 1;
    }
    nf_fit_config stored = nf_fit_config_defaults();
    assert_int_equal(nf_config_parse(rs.config, path, &stored), NF_OK);
    stored.search.threads = fc->search.threads; /* as resume --threads does: no effect on the result */
    nf_search *s;
    assert_int_equal(nf_search_create(&stored.search, f->train, f->val, NULL, &f->norm, &s), NF_OK);
    if (nf_run_store_restore(db, s, &rs)) fail_msg("restore failed: %s", nf_last_error());
    stopper k = {commits};
    nf_search_hooks inner = {.user = &k, .population_ready = k_pop, .candidate_trained = k_trained,
                             .generation_done = k_gen, .final_started = k_final, .finished = k_done};
    nf_run_store store;
    nf_run_store_init(&store, db, commits ? &inner : NULL);
    nf_search_hooks hooks = nf_run_store_hooks(&store);
    nf_status st = nf_run_store_continue(s, &hooks, &rs);
    if (st && st != NF_ERR_INTERRUPTED) fail_msg("session failed: %s", nf_last_error());
    if (commits) assert_true(store.commits <= commits + 1); /* + the last generation's */
    nf_run_store_end(db, st, "stopped by the test");
    nf_run_state_free(&rs);
    nf_store_close(db);
    if (keep) *keep = s;
    else nf_search_destroy(s);
    return st == NF_OK;
}

/* ==== reading back ======================================================== */

typedef struct rows { char *text; size_t len; FILE *f; } rows;

/* Every column of every row, doubles by their bits, into one text. */
static nf_status dump_row(void *user, const nf_row *r)
{
    rows *x = user;
    for (int c = 0; c < 8; c++) {
        double d = nf_row_real(r, c);
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        fprintf(x->f, "%s|%016llx|", nf_row_text(r, c), (unsigned long long)bits);
    }
    fputc('\n', x->f);
    return NF_OK;
}

static char *dump(const char *path, const char *sql)
{
    nf_store *db;
    assert_int_equal(nf_store_open(path, NF_STORE_READ, &db), NF_OK);
    rows x = {0};
    x.f = open_memstream(&x.text, &x.len);
    assert_int_equal(nf_store_exec(db, sql, NULL, 0, dump_row, &x), NF_OK);
    fclose(x.f);
    nf_store_close(db);
    return x.text;
}

static const char *const history_sql[] = {
    "SELECT candidate_id, generation, fitness, val_accuracy, train_loss, failure, 0, 0 FROM candidate_fitness "
    "ORDER BY candidate_id, generation",
    "SELECT id, born, parent1, parent2, architecture, parameters, learning_rate, batch FROM candidates ORDER BY id",
    "SELECT candidate_id, seq, kind, vertex, before, after, 0, 0 FROM changes ORDER BY candidate_id, seq",
    "SELECT generation, best_fitness, median_fitness, best_accuracy, best_id, population, failed, images "
    "FROM generations ORDER BY generation",
    "SELECT winner_id, final_val_accuracy, final_images, generation, next_id, status, 0, 0 FROM run"};

/* The graph of the stored candidate (role, slot) as bytes: weights,
 * optimiser state, statistics (the candidate's own wall time left out). */
static nf_status graph_bytes(void *user, const nf_row *r)
{
    size_t len;
    const unsigned char *p = nf_row_blob(r, 0, &len);
    nf_candidate *c;
    assert_int_equal(nf_candidate_deserialize(p, len, &c), NF_OK);
    rows *x = user;
    unsigned char *g;
    size_t glen;
    assert_int_equal(nf_graph_serialize(c->g, &g, &glen), NF_OK);
    fwrite(g, 1, glen, x->f);
    free(g);
    nf_candidate_destroy(c);
    return NF_OK;
}

static unsigned char *winner_bytes(const char *path, size_t *len)
{
    nf_store *db;
    assert_int_equal(nf_store_open(path, NF_STORE_READ, &db), NF_OK);
    rows x = {0};
    x.f = open_memstream(&x.text, &x.len);
    assert_int_equal(nf_store_exec(db, "SELECT data FROM weights WHERE role = 'winner'", NULL, 0, graph_bytes, &x), NF_OK);
    fclose(x.f);
    nf_store_close(db);
    *len = x.len;
    return (unsigned char *)x.text;
}

/* ==== tests =============================================================== */

/* What the store keeps of the living population, the best and the winner
 * is the candidates themselves, bit for bit. */
static void test_round_trip_is_bit_exact(void **state)
{
    fixture *f = *state;
    const char *path = path_in(f, "round.sqlite");
    nf_fit_config fc = tiny_config();
    nf_search *s;
    assert_int_equal(session(f, path, &fc, 0, &s), 1);
    nf_store *db;
    assert_int_equal(nf_store_open(path, NF_STORE_READ, &db), NF_OK);
    const nf_candidate *want[] = {s->pop[0], s->pop[1], s->pop[2], s->pop[3], s->result.winner};
    const char *role[] = {"population", "population", "population", "population", "winner"};
    for (int i = 0; i < 5; i++) {
        unsigned char *buf;
        size_t len;
        assert_int_equal(nf_candidate_serialize(want[i], &buf, &len), NF_OK);
        rows x = {0};
        x.f = open_memstream(&x.text, &x.len);
        const nf_val v[] = {nf_text(role[i]), nf_int(i < 4 ? i : 0)};
        assert_int_equal(nf_store_exec(db, "SELECT data FROM weights WHERE role = ? AND slot = ?", v, 2, graph_bytes, &x), NF_OK);
        fclose(x.f);
        unsigned char *g;
        size_t glen;
        assert_int_equal(nf_graph_serialize(want[i]->g, &g, &glen), NF_OK);
        assert_int_equal(x.len, glen);
        assert_memory_equal(x.text, g, glen);
        int64_t stored_len = 0;
        assert_int_equal(nf_store_int(db, "SELECT bytes FROM weights WHERE role = ? AND slot = ?", v, 2, &stored_len), NF_OK);
        assert_int_equal(stored_len, (int64_t)len);
        free(g); free(buf); free(x.text);
    }
    /* Only the last population and the winner keep weights (the best's copy
     * went when the winner, trained on from it, came). */
    int64_t n = 0;
    assert_int_equal(nf_store_int(db, "SELECT count(*) FROM weights", NULL, 0, &n), NF_OK);
    assert_int_equal(n, 5);
    nf_store_close(db);
    nf_search_destroy(s);
}

/* A run stopped right after every one of its commits, and resumed each
 * time, ends as the straight run does: same candidates, fitness values,
 * architectures, lineage, generations and winner weights, bit for bit
 * (the straight run on 2 threads, the stopped one on 1). */
/* A run of fc straight on 2 threads, and stopped after every commit and
 * resumed on 1 thread until done: the same history and winner, bit for
 * bit. Returns the number of sessions the stopped run took. */
static int every_commit_equals_straight(fixture *f, nf_fit_config fc, const char *name)
{
    char a_name[64], b_name[64];
    snprintf(a_name, sizeof a_name, "%s-straight.sqlite", name);
    snprintf(b_name, sizeof b_name, "%s-stopped.sqlite", name);
    const char *straight = path_in(f, a_name), *stopped = path_in(f, b_name);
    fc.search.threads = 2;
    assert_int_equal(session(f, straight, &fc, 0, NULL), 1);
    fc.search.threads = 1;
    int sessions = 0;
    while (!session(f, stopped, &fc, 1, NULL)) {
        sessions++;
        assert_true(sessions < 200);
    }
    for (size_t q = 0; q < sizeof history_sql / sizeof *history_sql; q++) {
        char *a = dump(straight, history_sql[q]), *b = dump(stopped, history_sql[q]);
        assert_string_equal(a, b);
        free(a); free(b);
    }
    size_t la, lb;
    unsigned char *wa = winner_bytes(straight, &la), *wb = winner_bytes(stopped, &lb);
    assert_true(la > 1000);
    assert_int_equal(la, lb);
    assert_memory_equal(wa, wb, la);
    free(wa); free(wb);
    return sessions;
}

static void test_resume_after_every_commit_is_exact(void **state)
{
    /* 1 population + 4 x 4 trainings + 4 generations + final + result */
    assert_true(every_commit_equals_straight(*state, tiny_config(), "elitism") >= 20);
}

/* The baselines resume exactly too: successive halving (9 draws, rungs of
 * 9 and 3) and the fixed architecture (the final phase alone). */
static void test_baselines_resume_exactly(void **state)
{
    nf_fit_config fc = tiny_config();
    fc.search.strategy = NF_STRATEGY_RANDOM;
    fc.search.halving_draws = 9;
    fc.search.generations = 0;
    /* 1 population + 9 + 3 trainings + 2 rungs + final + result */
    assert_true(every_commit_equals_straight(*state, fc, "random") >= 16);
    fc.search.strategy = NF_STRATEGY_FIXED;
    assert_true(every_commit_equals_straight(*state, fc, "fixed") >= 3);
}

/* Evolution with a screen (8 draws, the best 4 go on) resumes exactly,
 * stopped inside the screen too. */
static void test_screened_evolution_resumes_exactly(void **state)
{
    nf_fit_config fc = tiny_config();
    fc.search.screen_draws = 8;
    fc.search.screen_share = 0.5;
    fc.search.generations = 3;
    /* 1 population + 8 + 4 + 4 trainings + 3 generations + final + result,
     * less the last session, which finishes */
    assert_true(every_commit_equals_straight(*state, fc, "screened") >= 21);
}

/* Stopped at a few random commits (several per session), the same. */
static void test_resume_at_random_points_is_exact(void **state)
{
    fixture *f = *state;
    nf_fit_config fc = tiny_config();
    fc.search.generations = 5;
    fc.search.strategy = NF_STRATEGY_AGING;
    const char *straight = path_in(f, "straight2.sqlite"), *stopped = path_in(f, "stopped2.sqlite");
    assert_int_equal(session(f, straight, &fc, 0, NULL), 1);
    nf_rng r;
    nf_rng_seed(&r, 99, 0, NF_RNG_TEST);
    while (!session(f, stopped, &fc, 1 + (int64_t)nf_rng_below(&r, 6), NULL)) {}
    for (size_t q = 0; q < sizeof history_sql / sizeof *history_sql; q++) {
        char *a = dump(straight, history_sql[q]), *b = dump(stopped, history_sql[q]);
        assert_string_equal(a, b);
        free(a); free(b);
    }
}

static void test_second_writer_is_refused(void **state)
{
    fixture *f = *state;
    const char *path = path_in(f, "locked.sqlite");
    nf_fit_config fc = tiny_config();
    fc.search.generations = 1;
    assert_int_equal(session(f, path, &fc, 0, NULL), 1);
    nf_store *w, *w2 = NULL, *r;
    assert_int_equal(nf_store_open(path, NF_STORE_WRITE, &w), NF_OK);
    assert_int_equal(nf_run_store_claim(w, "x = 1\n"), NF_OK);
    assert_int_equal(nf_store_open(path, NF_STORE_WRITE, &w2), NF_ERR_IO);
    assert_null(w2);
    assert_non_null(strstr(nf_last_error(), path));
    char pid[32];
    snprintf(pid, sizeof pid, "process %d", (int)getpid());
    assert_non_null(strstr(nf_last_error(), pid));
    assert_int_equal(nf_store_open(path, NF_STORE_CREATE, &w2), NF_ERR_IO);
    /* a reader is welcome */
    assert_int_equal(nf_store_open(path, NF_STORE_READ, &r), NF_OK);
    int64_t n = 0;
    assert_int_equal(nf_store_int(r, "SELECT count(*) FROM candidates", NULL, 0, &n), NF_OK);
    assert_true(n >= 4);
    nf_store_close(r);
    nf_store_close(w);
    /* the lock went with the writer */
    assert_int_equal(nf_store_open(path, NF_STORE_WRITE, &w), NF_OK);
    nf_store_close(w);
    /* fit on a file that holds a run: refused, pointing at resume */
    assert_int_equal(nf_store_open(path, NF_STORE_CREATE, &w2), NF_ERR_ARG);
    assert_non_null(strstr(nf_last_error(), "resume"));
}

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(p, 1, n, out), n);
    fclose(out);
}

/* Every way of opening a bad file is refused with its name, never a crash;
 * a truncated or damaged copy of a real run is either refused or, when
 * SQLite cannot tell (the cut fell in free pages), reads consistently. */
static void test_bad_files_are_refused_naming_them(void **state)
{
    fixture *f = *state;
    const char *good = path_in(f, "good.sqlite"), *bad = path_in(f, "bad.sqlite");
    nf_fit_config fc = tiny_config();
    fc.search.generations = 2;
    assert_int_equal(session(f, good, &fc, 0, NULL), 1);
    nf_store *db = NULL;
    const nf_store_mode modes[] = {NF_STORE_READ, NF_STORE_WRITE};
    for (int m = 0; m < 2; m++) {
        assert_int_equal(nf_store_open(path_in(f, "missing.sqlite"), modes[m], &db), NF_ERR_IO);
        assert_non_null(strstr(nf_last_error(), "missing.sqlite"));
        write_bytes(bad, "", 0);
        assert_int_equal(nf_store_open(bad, modes[m], &db), NF_ERR_FORMAT);
        assert_non_null(strstr(nf_last_error(), "empty"));
        write_bytes(bad, "[search]\npopulation = 4\n", 24);
        assert_int_equal(nf_store_open(bad, modes[m], &db), NF_ERR_FORMAT);
        assert_non_null(strstr(nf_last_error(), "bad.sqlite"));
        assert_non_null(strstr(nf_last_error(), "not a nasfit run file"));
    }
    unsigned char *all;
    FILE *in = fopen(good, "rb");
    assert_non_null(in);
    fseek(in, 0, SEEK_END);
    long size = ftell(in);
    rewind(in);
    all = malloc((size_t)size);
    assert_int_equal(fread(all, 1, (size_t)size, in), (size_t)size);
    fclose(in);
    int refused = 0, trials = 0;
    nf_rng r;
    nf_rng_seed(&r, 5, 0, NF_RNG_TEST);
    for (long cut = 17; cut < size; cut += 1 + size / 23, trials++) {
        path_in(f, "bad.sqlite-wal");
        path_in(f, "bad.sqlite-shm");
        int flip = trials % 2;
        if (flip) { /* damage a page instead of cutting the file */
            unsigned char *copy = malloc((size_t)size);
            memcpy(copy, all, (size_t)size);
            for (int k = 0; k < 64; k++) copy[(cut + k) % size] ^= (unsigned char)(1 + nf_rng_below(&r, 255));
            write_bytes(bad, copy, (size_t)size);
            free(copy);
        } else {
            write_bytes(bad, all, (size_t)cut);
        }
        nf_status st = nf_store_open(bad, NF_STORE_WRITE, &db);
        nf_run_state rs = {0};
        if (!st) st = nf_run_store_state(db, &rs);
        nf_run_state_free(&rs);
        nf_store_close(db);
        db = NULL;
        if (st) {
            refused++;
            assert_true(st == NF_ERR_FORMAT || st == NF_ERR_IO || st == NF_ERR_DB);
            assert_non_null(strstr(nf_last_error(), "bad.sqlite"));
        }
    }
    assert_true(refused >= trials / 2);
    free(all);
}

static void test_configuration_text_round_trips(void **state)
{
    (void)state;
    nf_fit_config a = tiny_config(), b = nf_fit_config_defaults();
    char *ta = nf_config_text(&a);
    assert_int_equal(nf_config_parse(ta, "stored", &b), NF_OK);
    char *tb = nf_config_text(&b);
    assert_string_equal(ta, tb);
    assert_memory_equal(&a.search.var, &b.search.var, sizeof a.search.var);
    assert_int_equal(nf_config_parse("[search]\npopulation = x\n", "run.sqlite (run.config)", &b), NF_ERR_FORMAT);
    assert_non_null(strstr(nf_last_error(), "run.sqlite (run.config):2"));
    free(ta); free(tb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_is_bit_exact),
        cmocka_unit_test(test_resume_after_every_commit_is_exact),
        cmocka_unit_test(test_baselines_resume_exactly),
        cmocka_unit_test(test_screened_evolution_resumes_exactly),
        cmocka_unit_test(test_resume_at_random_points_is_exact),
        cmocka_unit_test(test_second_writer_is_refused),
        cmocka_unit_test(test_bad_files_are_refused_naming_them),
        cmocka_unit_test(test_configuration_text_round_trips),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
