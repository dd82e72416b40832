/* The search on a tiny task made here: it improves on its first
 * generation, records every child's lineage, gives the same history on 1
 * and 2 threads, isolates a diverging candidate, keeps every candidate
 * within the limits, and a candidate's bytes round-trip with its settings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/op.h"
#include "datasets/dataset.h"
#include "tests/search_fixtures.h"
#include "datasets/normalize.h"
#include "nas/cost.h"
#include "nas/search.h"

typedef struct fixture {
    nf_dataset *train, *val;
    nf_ds_norm norm;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->train = fx_quadrant_set(1200, 1);
    f->val = fx_quadrant_set(300, 2);
    f->norm = nf_ds_normalization(f->train);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    nf_ds_destroy(f->train);
    nf_ds_destroy(f->val);
    free(f);
    return 0;
}

static nf_search_config tiny_config(uint64_t seed)
{
    nf_search_config c = nf_search_defaults();
    c.aug = (nf_augment){0}; /* a quadrant mirrored is another class */
    c.screen_draws = 0;
    c.final_share = 0.15;
    c.population = 4;
    c.elite = 1;
    c.tournament = 2;
    c.generations = 4;
    c.slice_images = 256;
    c.final_epochs = 0;
    c.threads = 1;
    c.seed = seed;
    c.settings.batch = 32;
    c.settings.optim.lr = 3e-3f;
    c.task.refresh_images = 128;
    nf_space *s = &c.var.space;
    s->min_stages = 1; s->max_stages = 2;
    s->min_width = 4; s->max_width = 8;
    s->min_dense_width = 8; s->max_dense_width = 16;
    c.var.limits.max_params = 20000;
    c.var.limits.max_width = 48;
    c.var.min_batch = 16; c.var.max_batch = 64;
    return c;
}

/* ==== a history of the run, through the hooks ============================ */

typedef struct record { int64_t id, parent; int born, gen, n_changes; double fitness; char arch[160]; int64_t params; int state; int64_t images; double cost; } record;

typedef struct history {
    record r[256];
    int n;
    double gen_best[64];
    int gens;
    const nf_limits *limits;
    int over_limits;
} history;

static nf_status on_trained(void *user, const nf_search *s, const nf_candidate *c)
{
    history *h = user;
    record *r = &h->r[h->n++];
    *r = (record){c->id, c->parent[0], c->born, s->generation, c->n_changes, c->fitness, "", (int64_t)c->g->n_param,
                  (int)c->state, c->images, nf_cost_train_seconds(c->g)};
    nf_graph_brief(c->g, r->arch, sizeof r->arch);
    if (nf_limits_check(h->limits, c->g, c->set.batch)) h->over_limits++;
    return NF_OK;
}

static nf_status on_generation(void *user, const nf_search *s, const nf_gen_stats *st)
{
    (void)s;
    history *h = user;
    h->gen_best[h->gens++] = st->best_accuracy;
    return NF_OK;
}

/* Records sorted by (generation, id): the order threads finish in may differ. */
static int by_gen_id(const void *a, const void *b)
{
    const record *x = a, *y = b;
    if (x->gen != y->gen) return x->gen - y->gen;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void run(fixture *f, const nf_search_config *c, history *h, nf_search **out)
{
    memset(h, 0, sizeof *h);
    h->limits = &c->var.limits;
    nf_search *s;
    assert_int_equal(nf_search_create(c, f->train, f->val, NULL, &f->norm, &s), NF_OK);
    nf_search_hooks hooks = {.user = h, .candidate_trained = on_trained, .generation_done = on_generation};
    nf_status st = nf_search_run(s, &hooks);
    if (st) fprintf(stderr, "search failed: %s\n", nf_last_error());
    assert_int_equal(st, NF_OK);
    qsort(h->r, (size_t)h->n, sizeof h->r[0], by_gen_id);
    if (out) *out = s;
    else nf_search_destroy(s);
}

static void test_search_improves_on_its_first_generation(void **state)
{
    fixture *f = *state;
    nf_search_config c = tiny_config(5);
    c.generations = 6;
    history h;
    nf_search *s;
    run(f, &c, &h, &s);
    assert_int_equal(h.gens, 6);
    assert_true(s->best->val_accuracy > h.gen_best[0] + 0.02);
    assert_true(s->result.winner != NULL);
    nf_search_destroy(s);
}

static void test_every_child_has_its_lineage(void **state)
{
    fixture *f = *state;
    nf_search_config c = tiny_config(7);
    history h;
    run(f, &c, &h, NULL);
    int children = 0;
    for (int i = 0; i < h.n; i++) {
        const record *r = &h.r[i];
        if (r->born == 0) {
            assert_int_equal(r->parent, -1);
            continue;
        }
        children++;
        assert_true(r->n_changes >= 1);
        assert_true(r->parent >= 0 && r->parent < r->id);
        int parent_seen = 0; /* the parent was trained in an earlier generation */
        for (int j = 0; j < h.n; j++) parent_seen |= h.r[j].id == r->parent && h.r[j].gen < r->born;
        assert_true(parent_seen);
    }
    assert_true(children >= 3 * (c.population - c.elite));
}

static void test_one_and_two_threads_give_the_same_history(void **state)
{
    fixture *f = *state;
    nf_search_config c = tiny_config(11);
    c.var.limits.max_params = 0; /* the guards are tested elsewhere */
    static history one, two;
    run(f, &c, &one, NULL);
    c.threads = 2;
    run(f, &c, &two, NULL);
    assert_int_equal(one.n, two.n);
    for (int i = 0; i < one.n; i++) {
        assert_true(one.r[i].id == two.r[i].id);
        assert_memory_equal(&one.r[i].fitness, &two.r[i].fitness, sizeof(double));
        assert_string_equal(one.r[i].arch, two.r[i].arch);
    }
}

/* Aging keeps the youngest of those that went on (neither culled nor failed). */
static void test_aging_keeps_the_youngest(void **state)
{
    fixture *f = *state;
    nf_search_config c = tiny_config(29);
    c.strategy = NF_STRATEGY_AGING;
    c.elite = 2;
    history h;
    run(f, &c, &h, NULL);
    for (int g = 1; g < c.generations; g++) {
        int64_t newest[2] = {-1, -1};
        for (int i = 0; i < h.n; i++)
            if (h.r[i].gen == g - 1 && h.r[i].state == NF_CAND_TRAINED && h.r[i].id > newest[1]) {
                if (h.r[i].id > newest[0]) { newest[1] = newest[0]; newest[0] = h.r[i].id; }
                else newest[1] = h.r[i].id;
            }
        for (int i = 0; i < h.n; i++)
            if (h.r[i].gen == g && h.r[i].born < g) assert_true(h.r[i].id == newest[0] || h.r[i].id == newest[1]);
    }
}

/* Successive halving: 9 random draws, the best third promoted to three
 * times the images, and the best of that rung is the one trained on. */
static void test_random_search_halves(void **state)
{
    fixture *f = *state;
    nf_search_config c = tiny_config(31);
    c.strategy = NF_STRATEGY_RANDOM;
    c.halving_draws = 9;
    c.halving_eta = 3;
    c.generations = 0;
    history h;
    nf_search *s;
    run(f, &c, &h, &s);
    assert_int_equal(h.gens, 2);
    assert_int_equal(s->stop_reason, NF_STOP_DONE);
    int rung0 = 0, rung1 = 0;
    for (int i = 0; i < h.n; i++) {
        assert_int_equal(h.r[i].parent, -1);
        assert_int_equal(h.r[i].n_changes, 0);
        assert_true(h.r[i].id < 9);
        rung0 += h.r[i].gen == 0;
        rung1 += h.r[i].gen == 1;
    }
    assert_int_equal(rung0, 9);
    assert_int_equal(rung1, 3);
    /* The promoted are the best three of the first rung, by fitness. */
    for (int i = 0; i < h.n; i++) {
        if (h.r[i].gen != 0) continue;
        int better = 0, promoted = 0;
        for (int j = 0; j < h.n; j++) {
            if (h.r[j].gen == 0 && j != i &&
                (h.r[j].fitness > h.r[i].fitness || (h.r[j].fitness == h.r[i].fitness && h.r[j].id < h.r[i].id)))
                better++;
            promoted |= h.r[j].gen == 1 && h.r[j].id == h.r[i].id;
        }
        assert_int_equal(promoted, better < 3);
    }
    /* The winner is the best of the last rung, trained three times as long. */
    int64_t best = -1;
    double best_fit = -2;
    for (int i = 0; i < h.n; i++)
        if (h.r[i].gen == 1 && h.r[i].fitness > best_fit) { best_fit = h.r[i].fitness; best = h.r[i].id; }
    assert_int_equal(s->best->id, best);
    assert_int_equal(s->best->images, 3 * c.slice_images);
    nf_search_destroy(s);
}

/* Evolution's screen: generation 0 trains 8 draws on half a slice each;
 * the best 4 of them by fitness are generation 1, all survivors (no child
 * yet), and children come from generation 2 on. */
static void test_screen_keeps_the_best_draws(void **state)
{
    fixture *f = *state;
    nf_search_config c = tiny_config(41);
    c.screen_draws = 8;
    c.screen_share = 0.5;
    c.generations = 3;
    history h;
    run(f, &c, &h, NULL);
    int screened = 0, gen1 = 0, children = 0;
    for (int i = 0; i < h.n; i++) {
        const record *r = &h.r[i];
        if (r->gen == 0) {
            screened++;
            assert_true(r->id < 8 && r->parent == -1);
            assert_int_equal(r->images, c.slice_images / 2);
            int better = 0, promoted = 0;
            for (int j = 0; j < h.n; j++) {
                const record *o = &h.r[j];
                if (o->gen == 0 && j != i && o->state == NF_CAND_TRAINED &&
                    (o->fitness > r->fitness || (o->fitness == r->fitness && o->id < r->id)))
                    better++;
                promoted |= o->gen == 1 && o->id == r->id;
            }
            assert_int_equal(promoted, r->state == NF_CAND_TRAINED && better < c.population);
        }
        if (r->gen == 1) {
            gen1++;
            assert_true(r->id < 8 && r->born == 0);
            assert_int_equal(r->images, c.slice_images / 2 + c.slice_images);
        }
        if (r->gen == 2 && r->born == 2) {
            children++;
            assert_true(r->parent >= 0 && r->parent < 8);
        }
    }
    assert_int_equal(screened, 8);
    assert_int_equal(gen1, c.population);
    assert_int_equal(children, c.population - c.elite);
}

/* With a short budget the screen trains each draw on what half the
 * search's share trains on one thread at the draws' predicted speed, not
 * on screen_share of a slice that would use it all up. */
static void test_screen_fits_a_short_budget(void **state)
{
    fixture *f = *state;
    nf_search_config c = tiny_config(43);
    c.screen_draws = 8;
    c.screen_share = 1;
    c.slice_images = 1 << 20;
    c.generations = 1;
    c.time_budget = 4;
    c.final_share = 0.5;
    history h;
    nf_search *s;
    run(f, &c, &h, &s);
    double cost = 0;
    for (int i = 0; i < h.n; i++) cost += h.r[i].gen == 0 ? h.r[i].cost : 0;
    for (int i = 0; i < h.n; i++) {
        if (h.r[i].gen != 0) continue;
        assert_true(h.r[i].images < c.slice_images);
        assert_int_equal(h.r[i].images, (int64_t)(0.5 * c.time_budget * (1 - c.final_share) / cost));
    }
    nf_search_destroy(s);
}

/* Evolution's search spends a budget of predicted thread time,
 * (1 - final_share) x time x workers, and stops before the next
 * generation would take it past that: counted by the speed model, not by
 * the clock. The budget here is an hour, of which all but two and a half
 * generations' worth is already spent (as a resumed run restores it), so
 * the clock's own limit is far away and two generations run. */
typedef struct budget_log { double predicted[16]; int gens; } budget_log;

static nf_status log_generation(void *user, const nf_search *s, const nf_gen_stats *st)
{
    (void)s;
    budget_log *b = user;
    if (b->gens < 16) b->predicted[b->gens++] = st->predicted_seconds;
    return NF_OK;
}

static nf_status refuse_final(void *user, const nf_search *s, int64_t images)
{
    (void)user, (void)s, (void)images;
    return nf_fail(NF_ERR_INTERRUPTED, "the test stops before the final training");
}

static void test_evolution_spends_its_predicted_budget(void **state)
{
    fixture *f = *state;
    nf_search_config c = tiny_config(53);
    c.time_budget = 3600;
    c.final_share = 0.5;
    /* One generation's predicted thread time, from a run of one. */
    c.generations = 1;
    budget_log first = {0};
    nf_search *s;
    nf_search_hooks log = {.user = &first, .generation_done = log_generation, .final_started = refuse_final};
    assert_int_equal(nf_search_create(&c, f->train, f->val, NULL, &f->norm, &s), NF_OK);
    assert_int_equal(nf_search_run(s, &log), NF_ERR_INTERRUPTED);
    nf_search_destroy(s);
    assert_int_equal(first.gens, 1);
    double gen = first.predicted[0], budget = c.time_budget * (1 - c.final_share) * c.threads;
    assert_true(gen > 0);

    c.generations = 0;
    budget_log b = {0};
    nf_search_hooks hooks = {.user = &b, .generation_done = log_generation, .final_started = refuse_final};
    assert_int_equal(nf_search_create(&c, f->train, f->val, NULL, &f->norm, &s), NF_OK);
    double spent = budget - 2.5 * gen;
    nf_search_resume_at(s, 0, 0, 0, spent);
    assert_int_equal(nf_search_run(s, &hooks), NF_ERR_INTERRUPTED);
    assert_int_equal(s->stop_reason, NF_STOP_TIME);
    assert_true(nf_search_elapsed(s) < 0.5 * c.time_budget * (1 - c.final_share)); /* the clock did not stop it */
    assert_int_equal(b.gens, 2);
    assert_true(b.predicted[0] == gen); /* the same first generation */
    assert_true(fabs(s->predicted_spent - (spent + b.predicted[0] + b.predicted[1])) < 1e-9 * budget);
    nf_search_destroy(s);
}

/* The fixed baseline: one architecture, no search, the final phase only. */
static void test_fixed_trains_one_architecture(void **state)
{
    fixture *f = *state;
    nf_search_config c = tiny_config(37);
    c.strategy = NF_STRATEGY_FIXED;
    c.final_epochs = 1;
    history h;
    nf_search *s;
    run(f, &c, &h, &s);
    assert_int_equal(h.gens, 0);
    assert_int_equal(s->stop_reason, NF_STOP_DONE);
    assert_int_equal(s->result.final_images, nf_ds_count(f->train));
    assert_int_equal(s->result.winner->images, nf_ds_count(f->train));
    assert_true(s->result.val_accuracy > 0.4); /* four classes: chance is 0.25 */
    nf_search_destroy(s);
}

/* ==== culling, checked against a replay ================================== */

/* The population each generation starts from (survivors and children),
 * copied at the end of the one before, so the test can replay the first
 * part of a generation for a child and for its parent on its own. */
typedef struct cull_check {
    nf_candidate *start[16];
    int n_start;
    int children, culled, better_than_parent;
    int wrong;                /* a decision the replay disagrees with */
} cull_check;

static nf_status keep_start(void *user, const nf_search *s, const nf_gen_stats *st)
{
    (void)st;
    cull_check *k = user;
    for (int i = 0; i < k->n_start; i++) nf_candidate_destroy(k->start[i]);
    k->n_start = 0;
    for (int i = 0; s->stop_reason == NF_STOP_NONE && i < s->n_pop; i++)
        assert_int_equal(nf_candidate_clone(s->pop[i], &k->start[k->n_start++]), NF_OK);
    return NF_OK;
}

/* Fitness of c (a copy of its start) after the first part of the generation. */
static double first_part_fitness(const nf_search *s, const nf_candidate *start)
{
    nf_candidate *c;
    assert_int_equal(nf_candidate_clone(start, &c), NF_OK);
    nf_task_params p = s->cfg.task;
    int64_t slice = s->cfg.slice_images;
    p.start = (int64_t)s->generation * slice;
    p.images = (int64_t)(s->cfg.cull_share * (double)slice);
    p.cosine = 1;
    p.schedule_images = slice;
    p.val_images = s->cfg.cull_val_images;
    p.refresh_images /= 2; /* as the search compares */
    p.generation = s->generation;
    assert_int_equal(nf_task_train(c, &s->data, &p), NF_OK);
    double fitness = c->fitness;
    nf_candidate_destroy(c);
    return fitness;
}

static const nf_candidate *start_of(const cull_check *k, int64_t id)
{
    for (int i = 0; i < k->n_start; i++)
        if (k->start[i]->id == id) return k->start[i];
    return NULL;
}

static nf_status check_cull(void *user, const nf_search *s, const nf_candidate *c)
{
    cull_check *k = user;
    const nf_candidate *child = start_of(k, c->id), *parent = start_of(k, c->parent[0]);
    if (c->born != s->generation || !child || !parent) return NF_OK;
    double mine = first_part_fitness(s, child), theirs = first_part_fitness(s, parent);
    int should = mine < theirs - s->cfg.cull_margin;
    k->children++;
    k->culled += c->state == NF_CAND_CULLED;
    k->better_than_parent += mine >= theirs;
    if (should != (c->state == NF_CAND_CULLED)) k->wrong++;
    if (c->state == NF_CAND_CULLED) assert_memory_equal(&c->fitness, &mine, sizeof mine);
    return NF_OK;
}

/* A child is culled exactly when, after the first part of the slice, its
 * fitness is below its parent's (trained on the same images) by more than
 * the margin: never one that beats its parent. Over several seeds, so that
 * both decisions occur. */
static void test_culling_keeps_every_child_that_beats_its_parent(void **state)
{
    fixture *f = *state;
    cull_check k = {0};
    for (uint64_t seed = 41; seed < 45; seed++) {
        nf_search_config c = tiny_config(seed);
        c.population = 5;
        c.elite = 2;
        c.cull_margin = 0.01;
        c.cull_val_images = 150;
        nf_search *s;
        assert_int_equal(nf_search_create(&c, f->train, f->val, NULL, &f->norm, &s), NF_OK);
        nf_search_hooks hooks = {.user = &k, .candidate_trained = check_cull, .generation_done = keep_start};
        assert_int_equal(nf_search_run(s, &hooks), NF_OK);
        nf_search_destroy(s);
        for (int i = 0; i < k.n_start; i++) nf_candidate_destroy(k.start[i]);
        k.n_start = 0;
    }
    fprintf(stderr, "children %d, culled %d, at least as good as their parent %d\n", k.children, k.culled,
            k.better_than_parent);
    assert_int_equal(k.wrong, 0);
    assert_true(k.culled > 0 && k.culled < k.children);
    assert_true(k.better_than_parent > 0);
}

/* With a time budget, the final phase takes the time the search left and
 * the run ends within it (bounds loose enough for a busy machine: the
 * final training's length comes from the winner's speed measured then). */
static void test_final_phase_ends_within_the_budget(void **state)
{
    fixture *f = *state;
    nf_search_config c = tiny_config(47);
    c.generations = 0;
    c.time_budget = 6;
    c.final_share = 0.3;
    nf_search *s;
    assert_int_equal(nf_search_create(&c, f->train, f->val, NULL, &f->norm, &s), NF_OK);
    assert_int_equal(nf_search_run(s, NULL), NF_OK);
    double used = nf_search_elapsed(s);
    fprintf(stderr, "budget %.1f s, used %.2f s, %lld final images\n", c.time_budget, used, (long long)s->result.final_images);
    assert_int_equal(s->stop_reason, NF_STOP_TIME);
    assert_true(s->result.final_images > 0);
    assert_true(used <= c.time_budget * 1.05);
    assert_true(used >= c.time_budget * 0.6);
    nf_search_destroy(s);
}

/* Children nudge their learning rate; the final training's cosine starts
 * at the configured rate when the winner evolved a lower one, and keeps a
 * higher one (several seeds, so that both happen). */
static void test_final_training_starts_at_the_configured_rate(void **state)
{
    fixture *f = *state;
    int lower = 0, higher = 0;
    for (uint64_t seed = 53; seed < 59; seed++) {
        nf_search_config c = tiny_config(seed);
        c.generations = 4;
        c.final_epochs = 0.1;
        c.var.lr_odds = 1;
        c.var.lr_sigma = 1;
        history h;
        nf_search *s;
        run(f, &c, &h, &s);
        float evolved = s->best->set.optim.lr, configured = c.settings.optim.lr;
        assert_true(s->result.winner->set.optim.lr == (evolved > configured ? evolved : configured));
        lower += evolved < configured;
        higher += evolved > configured;
        nf_search_destroy(s);
    }
    assert_true(lower > 0 && higher > 0);
}

static void test_candidates_stay_within_the_limits(void **state)
{
    fixture *f = *state;
    nf_search_config c = tiny_config(13);
    c.var.limits.max_params = 3000;
    c.var.odds[NF_CHANGE_GROW] = 5; /* push against the limit */
    history h;
    run(f, &c, &h, NULL);
    assert_int_equal(h.over_limits, 0);
    for (int i = 0; i < h.n; i++) assert_true(h.r[i].params <= 3000);
}

static void test_limits_refuse_oversized_graphs(void **state)
{
    (void)state;
    nf_graph *g;
    assert_int_equal(nf_graph_create(3, 32, 32, &g), NF_OK);
    int x = nf_graph_conv(g, 0, 256, 7, 1, 0);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, x), 10, 1);
    nf_rng r;
    nf_rng_seed(&r, 1, 0, NF_RNG_TEST);
    assert_int_equal(nf_graph_layout(g, &r), NF_OK);
    nf_limits l = nf_limits_defaults();
    assert_int_equal(nf_limits_check(&l, g, 64), NF_OK);
    l.max_params = 10000;
    assert_int_equal(nf_limits_check(&l, g, 64), NF_ERR_ARG);
    assert_non_null(strstr(nf_last_error(), "parameters"));
    l = nf_limits_defaults();
    l.max_mflops = 50; /* 2 x 256 x 3 x 49 x 1024 = 77 MFLOPs */
    assert_int_equal(nf_limits_check(&l, g, 64), NF_ERR_ARG);
    l = nf_limits_defaults();
    l.max_memory_mb = 100; /* 2 x 4 x 256 x 1024 x 256 images = 512 MB */
    assert_int_equal(nf_limits_check(&l, g, 256), NF_ERR_ARG);
    l = nf_limits_defaults();
    l.max_width = 128;
    assert_int_equal(nf_limits_check(&l, g, 64), NF_ERR_ARG);
    nf_graph_destroy(g);
}

/* A candidate whose training diverges is failed with a reason and the
 * worst fitness; the others train and the run goes on. */
static void test_diverging_candidate_is_isolated(void **state)
{
    fixture *f = *state;
    nf_search_config c = tiny_config(17);
    c.generations = 2;
    nf_search *s;
    assert_int_equal(nf_search_create(&c, f->train, f->val, NULL, &f->norm, &s), NF_OK);
    nf_rng r;
    nf_rng_seed(&r, 3, 0, NF_RNG_TEST);
    for (int i = 0; i < c.population; i++) {
        nf_graph *g;
        assert_int_equal(nf_space_draw(&c.var.space, 1, 8, 8, 4, &r, &g), NF_OK);
        nf_settings set = c.settings;
        if (i == 1) { set.optim = nf_optim_defaults(NF_OPTIM_SGD); set.optim.lr = 1e6f; }
        nf_candidate *cand;
        assert_int_equal(nf_candidate_create(g, &set, i, 0, &cand), NF_OK);
        assert_int_equal(nf_search_adopt(s, cand), NF_OK);
    }
    nf_search_resume_at(s, 0, c.population, 0, 0);
    history h = {.limits = &c.var.limits};
    nf_search_hooks hooks = {.user = &h, .candidate_trained = on_trained};
    assert_int_equal(nf_search_run(s, &hooks), NF_OK);
    int failed = 0;
    for (int i = 0; i < h.n; i++) {
        if (h.r[i].id == 1) { assert_true(h.r[i].fitness == -1); failed++; }
        else assert_true(h.r[i].fitness > 0.2);
    }
    assert_int_equal(failed, 1);
    assert_int_equal(h.n, 2 * c.population); /* the second generation trained too */
    assert_true(s->best->id != 1);
    nf_search_destroy(s);
}

static void test_task_marks_divergence(void **state)
{
    fixture *f = *state;
    nf_search_config c = tiny_config(19);
    nf_rng r;
    nf_rng_seed(&r, 4, 0, NF_RNG_TEST);
    nf_graph *g;
    assert_int_equal(nf_space_draw(&c.var.space, 1, 8, 8, 4, &r, &g), NF_OK);
    g->param[g->n_param / 2] = NAN; /* a weight gone bad: the first loss is not finite */
    nf_candidate *cand;
    assert_int_equal(nf_candidate_create(g, &c.settings, 0, 0, &cand), NF_OK);
    nf_data d = {.train = f->train, .val = f->val, .norm = f->norm, .seed = 1};
    nf_task_params p = nf_task_defaults();
    p.images = 512;
    assert_int_equal(nf_task_train(cand, &d, &p), NF_OK);
    assert_int_equal(cand->state, NF_CAND_FAILED);
    assert_true(cand->fitness == -1);
    assert_non_null(strstr(cand->reason, "loss"));
    nf_candidate_destroy(cand);
}

/* A candidate of the tiny task, with a constant learning rate. */
static nf_candidate *tiny_candidate(const nf_search_config *c, uint64_t seed)
{
    nf_rng r;
    nf_rng_seed(&r, seed, 0, NF_RNG_TEST);
    nf_graph *g;
    assert_int_equal(nf_space_draw(&c->var.space, 1, 8, 8, 4, &r, &g), NF_OK);
    nf_candidate *cand;
    assert_int_equal(nf_candidate_create(g, &c->settings, 0, 0, &cand), NF_OK);
    return cand;
}

/* base trained for `steps` batches (a copy; base is left as it was). */
static nf_candidate *trained_copy(const fixture *f, const nf_candidate *base, int steps, double average_share,
                                  float smoothing)
{
    nf_data d = {.train = f->train, .val = f->val, .norm = f->norm, .seed = 1};
    nf_task_params p = nf_task_defaults();
    p.images = (int64_t)steps * base->set.batch;
    p.average_share = average_share;
    p.label_smoothing = smoothing;
    nf_candidate *c;
    assert_int_equal(nf_candidate_clone(base, &c), NF_OK);
    assert_int_equal(nf_task_train(c, &d, &p), NF_OK);
    assert_int_equal(c->state, NF_CAND_TRAINED);
    return c;
}

/* Weight averaging over the last half of four steps scores the mean of the
 * weights after steps 3 and 4, which tasks of 3 and 4 steps on the same
 * images reach; label smoothing changes the training. */
static void test_task_averages_its_last_weights(void **state)
{
    fixture *f = *state;
    nf_search_config c = tiny_config(23);
    nf_candidate *base = tiny_candidate(&c, 5);
    nf_candidate *three = trained_copy(f, base, 3, 0, 0), *four = trained_copy(f, base, 4, 0, 0);
    nf_candidate *averaged = trained_copy(f, base, 4, 0.5, 0), *smoothed = trained_copy(f, base, 4, 0, 0.1f);
    size_t n = base->g->n_param, moved = 0, smoothing_moved = 0;
    for (size_t i = 0; i < n; i++) {
        double mean = ((double)three->g->param[i] + four->g->param[i]) / 2;
        assert_float_equal(averaged->g->param[i], mean, 1e-6 * (1 + fabs(mean)));
        moved += averaged->g->param[i] != four->g->param[i];
        smoothing_moved += smoothed->g->param[i] != four->g->param[i];
    }
    assert_true(moved > n / 2);
    assert_true(smoothing_moved > n / 2);
    assert_int_equal(averaged->images, four->images);
    nf_candidate *list[] = {base, three, four, averaged, smoothed};
    for (int i = 0; i < 5; i++) nf_candidate_destroy(list[i]);
}

/* Where the time went counts a thread lent to a task as worker time: a
 * task alone on a pool of two has the idle worker's thread from its first
 * step, so its worker time is more than its clock time; a task that runs
 * on its own threads has no more worker time than clock time. */
static void test_a_lent_thread_counts_as_work(void **state)
{
    fixture *f = *state;
    nf_search_config c = tiny_config(29);
    nf_data d = {.train = f->train, .val = f->val, .norm = f->norm, .seed = 1};
    nf_candidate *alone = tiny_candidate(&c, 6), *own = tiny_candidate(&c, 6);
    nf_job job = {.c = alone, .p = nf_task_defaults()};
    job.p.images = 16 * alone->set.batch;
    nf_trainer *pool;
    assert_int_equal(nf_trainer_local_create(2, &pool), NF_OK);
    assert_int_equal(nf_trainer_run(pool, &d, &job, 1, NULL), NF_OK);
    assert_true(job.out.worker_seconds > job.out.seconds);
    assert_true(job.out.score_worker_seconds > job.out.score_seconds);
    nf_task_out out;
    assert_int_equal(nf_task_run(own, &d, &job.p, &out), NF_OK);
    assert_true(out.worker_seconds > 0 && out.worker_seconds <= out.seconds);
    assert_true(out.score_worker_seconds == out.score_seconds);
    nf_trainer_destroy(pool);
    nf_candidate_destroy(alone);
    nf_candidate_destroy(own);
}

static void test_candidate_bytes_round_trip(void **state)
{
    fixture *f = *state;
    nf_search_config c = tiny_config(23);
    c.generations = 2;
    nf_search *s;
    history h;
    run(f, &c, &h, &s);
    for (int i = 0; i < s->n_pop; i++) {
        const nf_candidate *a = s->pop[i];
        unsigned char *buf, *buf2;
        size_t len, len2;
        assert_int_equal(nf_candidate_serialize(a, &buf, &len), NF_OK);
        nf_candidate *b;
        assert_int_equal(nf_candidate_deserialize(buf, len, &b), NF_OK);
        assert_memory_equal(&a->set, &b->set, sizeof a->set);
        assert_true(a->id == b->id && a->born == b->born && a->parent[0] == b->parent[0]);
        assert_int_equal(a->n_changes, b->n_changes);
        assert_memory_equal(a->changes, b->changes, (size_t)a->n_changes * sizeof a->changes[0]);
        assert_int_equal(nf_candidate_serialize(b, &buf2, &len2), NF_OK);
        assert_int_equal(len, len2);
        assert_memory_equal(buf, buf2, len);
        /* Every truncation is refused, never read past. */
        for (size_t cut = 0; cut < len; cut += 1 + cut / 8) {
            nf_candidate *bad = NULL;
            assert_int_equal(nf_candidate_deserialize(buf, cut, &bad), NF_ERR_FORMAT);
            assert_null(bad);
        }
        free(buf); free(buf2);
        nf_candidate_destroy(b);
    }
    nf_search_destroy(s);
}

/* The names and numbers of the change kinds are what run files and
 * serialised candidates store: written out here by hand, so renaming,
 * renumbering or reordering a row of nas/change_kinds.h fails. New kinds
 * are appended to this list. */
static void test_change_kinds_keep_their_stored_names(void **state)
{
    (void)state;
    static const char *const stored[] = {
        "grow", "shrink", "insert_conv", "insert_dense", "remove", "skip_add", "skip_concat", "skip_remove",
        "kernel", "activation", "pool_add", "pool_remove", "lr", "optimizer", "weight_decay", "batch",
        "cross_settings", "cross_head"};
    assert_int_equal(NF_CHANGE_COUNT, sizeof stored / sizeof stored[0]);
    for (int k = 0; k < NF_CHANGE_COUNT; k++) {
        assert_string_equal(nf_change_name((nf_change_kind)k), stored[k]);
        assert_int_equal(nf_change_parse(stored[k]), k);
        assert_int_equal(nf_change_is_graph((nf_change_kind)k), k <= 11); /* grow .. pool_remove */
    }
    assert_string_equal(nf_change_name(NF_CHANGE_COUNT), "unknown");
    assert_int_equal(nf_change_parse("no_such_kind"), NF_CHANGE_COUNT);
    /* Every graph change has default odds; the settings changes have none. */
    nf_variation v = nf_variation_defaults();
    for (int k = 0; k < NF_CHANGE_COUNT; k++)
        assert_true(nf_change_is_graph((nf_change_kind)k) ? v.odds[k] > 0 : v.odds[k] == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search_improves_on_its_first_generation),
        cmocka_unit_test(test_every_child_has_its_lineage),
        cmocka_unit_test(test_one_and_two_threads_give_the_same_history),
        cmocka_unit_test(test_aging_keeps_the_youngest),
        cmocka_unit_test(test_random_search_halves),
        cmocka_unit_test(test_evolution_spends_its_predicted_budget),
        cmocka_unit_test(test_fixed_trains_one_architecture),
        cmocka_unit_test(test_screen_keeps_the_best_draws),
        cmocka_unit_test(test_screen_fits_a_short_budget),
        cmocka_unit_test(test_culling_keeps_every_child_that_beats_its_parent),
        cmocka_unit_test(test_final_phase_ends_within_the_budget),
        cmocka_unit_test(test_final_training_starts_at_the_configured_rate),
        cmocka_unit_test(test_candidates_stay_within_the_limits),
        cmocka_unit_test(test_limits_refuse_oversized_graphs),
        cmocka_unit_test(test_diverging_candidate_is_isolated),
        cmocka_unit_test(test_task_marks_divergence),
        cmocka_unit_test(test_task_averages_its_last_weights),
        cmocka_unit_test(test_a_lent_thread_counts_as_work),
        cmocka_unit_test(test_candidate_bytes_round_trip),
        cmocka_unit_test(test_change_kinds_keep_their_stored_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
