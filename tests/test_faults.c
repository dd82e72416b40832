/* Out of memory at every allocation, as ordinary tests.
 *
 * This binary is linked with the allocator wrapped (-Wl,--wrap=malloc and
 * friends, see the Makefile): every malloc, calloc, realloc, aligned_alloc
 * and strdup the library calls goes through the wrappers below. A path is
 * run once counting its allocations (its allocation sites, as executed),
 * then once per allocation with exactly that one failing. Every run must
 * fail cleanly with NF_ERR_NOMEM: no crash, no leak (LeakSanitizer under
 * make asan), and a mutation must leave its graph byte for byte as it was.
 * Allocations inside shared libraries (GLPK, zlib, libpng, OpenBLAS) are
 * not wrapped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engine/exec.h"
#include "engine/serialize.h"
#include "nas/mutate.h"
#include "nas/variation.h"
#include "tests/ds_fixtures.h"
#include "tests/nas_fixtures.h"

/* ==== the wrapped allocator ============================================== */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t align, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_aligned_alloc(size_t align, size_t n);
char *__wrap_strdup(const char *s);

static int armed;       /* count (and maybe fail) allocations */
static long calls;      /* allocations since armed */
static long fail_at;    /* the allocation to fail (1-based), 0: none */
static size_t largest;  /* largest single request since armed */

static int fail_now(size_t bytes)
{
    if (!armed) return 0;
    if (bytes > largest) largest = bytes;
    return ++calls == fail_at;
}

void *__wrap_malloc(size_t n) { return fail_now(n) ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size) { return fail_now(n * size) ? NULL : __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t n) { return fail_now(n) ? NULL : __real_realloc(p, n); }
void *__wrap_aligned_alloc(size_t align, size_t n) { return fail_now(n) ? NULL : __real_aligned_alloc(align, n); }
char *__wrap_strdup(const char *s) { return fail_now(strlen(s) + 1) ? NULL : __real_strdup(s); }

static void arm(long at) { armed = 1; calls = 0; fail_at = at; largest = 0; }
static void disarm(void) { armed = 0; }

/* ==== the driver ========================================================= */

/* One run of a path; returns its status. ctx is the path's own. */
typedef nf_status (*path_fn)(void *ctx);

/* Runs path once per allocation with that allocation failing, after a run
 * that counts them; prints the count. */
static long fail_each(const char *name, path_fn path, void *ctx)
{
    arm(0);
    nf_status st = path(ctx);
    disarm();
    if (st) fail_msg("%s: the path fails without any fault: %s", name, nf_last_error());
    long n = calls;
    assert_true(n > 0);
    for (long k = 1; k <= n; k++) {
        arm(k);
        st = path(ctx);
        disarm();
        if (st != NF_ERR_NOMEM)
            fail_msg("%s: allocation %ld of %ld failed, status %s (%s)", name, k, n, nf_status_name(st), nf_last_error());
    }
    print_message("  %-28s %4ld allocation sites, each failed once\n", name, n);
    return n;
}

/* ==== graphs, executors, serialisation =================================== */

/* input -> conv -> bn -> relu -> [conv, conv] -> concat -> add(concat, concat) -> gap -> dense */
static nf_status build(void *ctx)
{
    (void)ctx;
    nf_graph *g;
    nf_status st = nf_graph_create(3, 8, 8, &g);
    if (st) return st;
    int r = nf_graph_act(g, nf_graph_batchnorm(g, nf_graph_conv(g, 0, 4, 3, 1, 1)), NF_ACT_RELU);
    int ab[2] = {nf_graph_conv(g, r, 2, 3, 1, 0), nf_graph_conv(g, r, 3, 1, 1, 1)};
    int cat = -1, add = -1;
    if (r < 0 || ab[0] < 0 || ab[1] < 0) st = NF_ERR_NOMEM;
    if (!st) st = nf_graph_append(g, NF_OP_CONCAT, NULL, 0, ab, 2, &cat);
    int in[2] = {cat, cat};
    if (!st) st = nf_graph_append(g, NF_OP_ADD, NULL, 0, in, 2, &add);
    if (!st && nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, add), 3, 1) < 0) st = NF_ERR_NOMEM;
    nf_rng rng = fx_rng(1);
    if (!st) st = nf_graph_layout(g, &rng);
    nf_graph_destroy(g);
    return st;
}

static nf_status exec_path(void *ctx)
{
    nf_exec *e;
    nf_status st = nf_exec_create(ctx, 3, &e);
    nf_exec_destroy(e);
    return st;
}

static nf_status clone_path(void *ctx)
{
    nf_graph *c;
    nf_status st = nf_graph_clone(ctx, &c);
    nf_graph_destroy(c);
    return st;
}

static nf_status serialize_path(void *ctx)
{
    unsigned char *buf = NULL;
    size_t len;
    nf_status st = nf_graph_serialize(ctx, &buf, &len);
    free(buf);
    return st;
}

typedef struct bytes { unsigned char *buf; size_t len; } bytes;

static nf_status deserialize_path(void *ctx)
{
    bytes *b = ctx;
    nf_graph *g = NULL;
    nf_status st = nf_graph_deserialize(b->buf, b->len, &g);
    nf_graph_destroy(g);
    return st;
}

static void test_graph_paths(void **state)
{
    (void)state;
    fail_each("build and lay out a graph", build, NULL);
    nf_graph *g = fx_inception();
    fail_each("create an executor", exec_path, g);
    fail_each("clone a graph", clone_path, g);
    fail_each("serialise", serialize_path, g);
    bytes b;
    assert_int_equal(nf_graph_serialize(g, &b.buf, &b.len), NF_OK);
    fail_each("deserialise", deserialize_path, &b);
    free(b.buf);
    nf_graph_destroy(g);
}

/* ==== mutations: refused with the graph unchanged ======================== */

typedef struct mutation {
    nf_graph *(*make)(void);    /* the graph to mutate */
    nf_status (*apply)(nf_graph *g, const nf_mutate_params *p);
    nf_graph *original;         /* made once */
} mutation;

/* Mutates a copy of the original; on failure the copy must equal it. */
static nf_status mutation_path(void *ctx)
{
    mutation *m = ctx;
    int was_armed = armed;
    disarm();
    nf_graph *g;
    assert_int_equal(nf_graph_clone(m->original, &g), NF_OK);
    nf_rng rng = fx_rng(9);
    nf_mutate_params p = nf_mutate_defaults(&rng);
    armed = was_armed;
    nf_status st = m->apply(g, &p);
    disarm();
    if (st && !fx_graphs_equal(g, m->original)) fail_msg("a refused mutation (%s) changed the graph", nf_last_error());
    nf_graph_destroy(g);
    armed = was_armed;
    return st;
}

static nf_status grow_branch(nf_graph *g, const nf_mutate_params *p) { return nf_mutate_nout(g, 3, 2, p); }
static nf_status shrink_nin(nf_graph *g, const nf_mutate_params *p) { return nf_mutate_nin(g, 9, -2, p); }
static nf_status two_sizes(nf_graph *g, const nf_mutate_params *p)
{
    nf_plan_target t[2] = {{.vertex = 3, .size = 1}, {.vertex = 4, .size = 7}};
    return nf_mutate_sizes(g, t, 2, p);
}
static nf_status remove_conv(nf_graph *g, const nf_mutate_params *p)
{
    nf_mutate_params q = *p;
    q.align = NF_ALIGN_GROW;
    return nf_mutate_remove(g, 4, &q); /* conv 4 -> 5 in fx_chain */
}
static nf_status insert_conv(nf_graph *g, const nf_mutate_params *p)
{
    nf_insert s = {.anchor = 5, .before = 1, .slot = 1, .op = NF_OP_CONV2D, .attr = nf_attr_default(), .nout = 8};
    return nf_mutate_insert(g, &s, p, NULL);
}
static nf_status concat_edge(nf_graph *g, const nf_mutate_params *p) { return nf_mutate_add_edge(g, 2, 5, 0, p); }
static nf_status add_edge(nf_graph *g, const nf_mutate_params *p)
{
    nf_mutate_params q = *p;
    q.align = NF_ALIGN_GROW;
    return nf_mutate_add_edge(g, 1, 5, -1, &q); /* a c1-wide input into fx_residual's add */
}
static nf_status drop_concat_input(nf_graph *g, const nf_mutate_params *p) { return nf_mutate_remove_edge(g, 5, 0, p); }
static nf_status grow_kernel(nf_graph *g, const nf_mutate_params *p) { (void)p; return nf_mutate_kernel(g, 1, 5); }

static void test_mutation_paths(void **state)
{
    (void)state;
    struct { const char *name; mutation m; } cases[] = {
        {"mutate nout", {fx_inception, grow_branch, NULL}},
        {"mutate nin", {fx_inception, shrink_nin, NULL}},
        {"mutate sizes", {fx_inception, two_sizes, NULL}},
        {"mutate remove (align grow)", {fx_chain, remove_conv, NULL}},
        {"mutate insert (conv, grown)", {fx_inception, insert_conv, NULL}},
        {"mutate add_edge (concat)", {fx_inception, concat_edge, NULL}},
        {"mutate add_edge (add)", {fx_residual, add_edge, NULL}},
        {"mutate remove_edge (concat)", {fx_inception, drop_concat_input, NULL}},
        {"mutate kernel", {fx_chain, grow_kernel, NULL}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        mutation *m = &cases[k].m;
        m->original = m->make();
        fail_each(cases[k].name, mutation_path, m);
        nf_graph_destroy(m->original);
    }
}

/* A refusal plans on the graph as it is: no allocation near the size of
 * its parameters (the graph is not copied). */
static void test_refusals_do_not_copy(void **state)
{
    (void)state;
    nf_graph *g;
    assert_int_equal(nf_graph_create(3, 8, 8, &g), NF_OK);
    int c = nf_graph_conv(g, 0, 256, 3, 1, 1);
    c = nf_graph_conv(g, c, 256, 3, 1, 1);
    nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, c), 3, 1);
    fx_layout(g, 3);
    nf_rng rng = fx_rng(2);
    nf_mutate_params p = nf_mutate_defaults(&rng);
    p.limits.max_params = (int64_t)g->n_param; /* any growth is over the limit */
    arm(0);
    nf_status st = nf_mutate_nout(g, 1, 8, &p);
    disarm();
    assert_int_equal(st, NF_ERR_LIMIT);
    print_message("  a refused growth of a %zu-parameter graph: %ld allocations, the largest %zu bytes\n",
                  g->n_param, calls, largest);
    assert_true(largest < g->n_param * sizeof(float) / 8);
    nf_graph_destroy(g);
}

/* ==== variation ========================================================== */

/* A child of a parent through nf_vary, as the search makes one: out of
 * memory anywhere (choosing a vertex included) is NF_ERR_NOMEM, not a
 * change that does not apply followed by another one. */
typedef struct vary_case { const nf_candidate *parent; int64_t id; } vary_case;

static nf_status vary_path(void *ctx)
{
    const vary_case *vc = ctx;
    nf_variation v = nf_variation_defaults();
    v.plan_ms = 60000; /* a busy machine must not time the planner out in one run and not another */
    nf_candidate *child = NULL;
    nf_status st = nf_vary(&v, vc->parent, NULL, vc->id, 1, 5, &child);
    nf_candidate_destroy(child);
    return st;
}

static void test_variation_paths(void **state)
{
    (void)state;
    nf_settings set = nf_settings_defaults();
    nf_candidate *parent;
    assert_int_equal(nf_candidate_create(fx_inception(), &set, 1, 0, &parent), NF_OK);
    for (int64_t id = 2; id < 8; id++) { /* children drawing different changes */
        vary_case vc = {parent, id};
        char name[32];
        snprintf(name, sizeof name, "vary (child %lld)", (long long)id);
        fail_each(name, vary_path, &vc);
    }
    nf_candidate_destroy(parent);
}

/* ==== data sets ========================================================== */

static nf_status load_path(void *ctx)
{
    nf_ds_pair p = {0};
    nf_status st = nf_ds_load(ctx, NULL, &p);
    nf_ds_pair_free(&p);
    return st;
}

static void test_dataset_paths(void **state)
{
    (void)state;
    char *dir = fx_tmpdir();
    fx_mkdir(dir, "idx");
    fx_mkdir(dir, "idxgz");
    fx_mkdir(dir, "cifar");
    fx_mkdir(dir, "png");
    char path[512];
    snprintf(path, sizeof path, "%s/idx", dir);
    fx_idx_pair(path, "train", 6, 4, 3, 3, 0);
    fx_idx_pair(path, "t10k", 4, 4, 3, 3, 0);
    fail_each("load IDX", load_path, path);
    snprintf(path, sizeof path, "%s/idxgz", dir);
    fx_idx_pair(path, "train", 6, 4, 3, 3, 1);
    fx_idx_pair(path, "t10k", 4, 4, 3, 3, 1);
    fail_each("load IDX (gzip)", load_path, path);
    snprintf(path, sizeof path, "%s/cifar", dir);
    fx_cifar_file(fx_path(path, "data_batch_1.bin"), 3, 1);
    fx_cifar_file(fx_path(path, "test_batch.bin"), 2, 1);
    fail_each("load CIFAR-10", load_path, path);
    snprintf(path, sizeof path, "%s/png", dir);
    fx_mkdir(path, "cat");
    fx_mkdir(path, "dog");
    fx_png_gray(fx_path(path, "cat/a.png"), 5, 4);
    fx_png_gray(fx_path(path, "dog/b.png"), 5, 4);
    fail_each("load PNG folders", load_path, path);
    fx_rm_rf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_graph_paths),
        cmocka_unit_test(test_mutation_paths),
        cmocka_unit_test(test_refusals_do_not_copy),
        cmocka_unit_test(test_variation_paths),
        cmocka_unit_test(test_dataset_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
