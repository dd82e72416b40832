/* make bench: the engine's speed and memory on the reference CNN, printed as
 * `key: value` lines, every figure measured in the same run.
 *
 * OpenBLAS reads OPENBLAS_CORETYPE when it loads, so the kernel choice cannot
 * change inside one process: the bench re-runs itself (`--child`) without and
 * with OPENBLAS_CORETYPE=Haswell, alternating, and keeps the best of each
 * figure over the rounds. Unsuffixed keys are OpenBLAS's own kernel choice
 * (what a plain `nasfit` runs with); `_haswell` keys are the Haswell kernels.
 *
 *   bench_engine [--rounds R] [--quick]     the whole report
 *   bench_engine --child [--quick]          one measurement pass (internal)
 *   bench_engine --train-only T             training on T threads only (for perf)
 *   bench_engine --sgemm-only               the GEMM shapes on 1 thread only
 *
 * Environment, for tuning experiments: NF_WINOGRAD=0 (im2col for every
 * conv), NF_WINO_TILES=n, NF_COL_FLOATS=n (nf_conv_tuning). */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "engine/clock.h"
#include "app/session/progress.h"
#include "engine/exec.h"
#include "engine/loss.h"
#include "engine/models.h"
#include "engine/op.h"
#include "engine/optim.h"
#include "engine/train.h"

enum { BATCH = 64, SIDE = 28, CLASSES = 10, POOL = 640 };

static int quick; /* fewer repetitions, for a smoke run */

static double peak_rss_mb(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1024.0;
}

/* ---- synthetic data ----------------------------------------------------- */

/* A learnable task without labels from noise: class k is a bright bar (rows
 * for k < 5, columns otherwise) at a class-specific place, plus noise. */
typedef struct dataset {
    float *x;     /* POOL images of SIDE x SIDE */
    int *y;       /* their labels */
} dataset;

static int dataset_make(dataset *d, uint64_t seed)
{
    nf_rng r;
    nf_rng_seed(&r, seed, 0, NF_RNG_TEST);
    d->x = malloc((size_t)POOL * SIDE * SIDE * sizeof(float));
    d->y = malloc(POOL * sizeof(int));
    if (!d->x || !d->y) return -1;
    for (int i = 0; i < POOL; i++) {
        int k = (int)nf_rng_below(&r, CLASSES), at = 4 + 4 * (k % 5);
        float *img = d->x + (size_t)i * SIDE * SIDE;
        for (int p = 0; p < SIDE * SIDE; p++) {
            int row = p / SIDE, col = p % SIDE, on = k < 5 ? (row >= at && row < at + 2) : (col >= at && col < at + 2);
            img[p] = (float)(0.8 * nf_rng_normal(&r)) + (on ? 2.0f : -0.2f);
        }
        d->y[i] = k;
    }
    return 0;
}

static void dataset_free(dataset *d) { free(d->x); free(d->y); }

/* Copies batch b of the pool into the executor's input ([1][BATCH][28][28]). */
static const int *dataset_batch(const dataset *d, nf_exec *e, long b)
{
    int first = (int)(b % (POOL / BATCH)) * BATCH;
    memcpy(nf_exec_input(e)->data, d->x + (size_t)first * SIDE * SIDE, (size_t)BATCH * SIDE * SIDE * sizeof(float));
    return d->y + first;
}

/* ---- one network -------------------------------------------------------- */

typedef struct net {
    nf_graph *g;
    nf_exec *e;
    nf_optim o;
    nf_rng rng;
    long step;
} net;

/* The conv tuning of every executor here (main reads NF_WINO_TILES, ...). */
static nf_conv_tuning tuning;

static int net_make(net *n, uint64_t seed, int threads)
{
    memset(n, 0, sizeof *n);
    nf_rng_seed(&n->rng, seed, 0, NF_RNG_INIT);
    if (nf_model_reference_cnn(1, SIDE, SIDE, CLASSES, &n->rng, &n->g)) return -1;
    if (nf_exec_create_tuned(n->g, BATCH, &tuning, &n->e)) return -1;
    nf_exec_set_threads(n->e, threads);
    n->o = nf_optim_defaults(NF_OPTIM_ADAM);
    return 0;
}

static void net_free(net *n) { nf_exec_destroy(n->e); nf_graph_destroy(n->g); }

static float net_train(net *n, const dataset *d, int steps)
{
    float loss = 0;
    for (int s = 0; s < steps; s++) {
        const int *y = dataset_batch(d, n->e, n->step++);
        if (nf_train_step(n->e, n->g, BATCH, y, &n->o, &n->rng, &loss)) { fprintf(stderr, "%s\n", nf_last_error()); exit(1); }
    }
    return loss;
}

/* ---- measurements ------------------------------------------------------- */

/* Training images/s on one network with `threads` engine threads: best of
 * `reps` timed blocks of `steps` steps after a warm-up. Also reports the
 * loss of the first and the last measured step. */
static double bench_train(const dataset *d, int threads, float *first, float *last)
{
    int reps = quick ? 2 : 5, steps = quick ? 4 : 10;
    net n;
    if (net_make(&n, 1, threads)) return 0;
    net_train(&n, d, 3);
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = nf_clock();
        float l1 = net_train(&n, d, 1);
        float l2 = net_train(&n, d, steps - 1);
        double dt = nf_clock() - t0;
        if (r == 0 && first) *first = l1;
        if (last) *last = l2;
        if (dt < best) best = dt;
    }
    net_free(&n);
    return steps * BATCH / best;
}

static double bench_infer(const dataset *d, int threads)
{
    int reps = quick ? 2 : 5, steps = quick ? 4 : 20;
    net n;
    if (net_make(&n, 2, threads)) return 0;
    net_train(&n, d, 2); /* non-trivial running statistics */
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = nf_clock();
        for (int s = 0; s < steps; s++) {
            dataset_batch(d, n.e, s);
            if (nf_exec_forward(n.e, n.g, BATCH, 0, NULL)) { fprintf(stderr, "%s\n", nf_last_error()); exit(1); }
        }
        double dt = nf_clock() - t0;
        if (dt < best) best = dt;
    }
    net_free(&n);
    return steps * BATCH / best;
}

/* What a search does: two networks trained at once, one per OpenMP thread,
 * each serial inside. Total images/s over both. */
static double bench_two_copies(const dataset *d)
{
    int reps = quick ? 2 : 4, steps = quick ? 4 : 10;
    double best = 1e30;
    int ok = 1;
#pragma omp parallel num_threads(2) shared(best, ok)
    {
        net n;
        int mine = net_make(&n, 10 + omp_get_thread_num(), 1) == 0;
#pragma omp atomic
        ok &= mine;
        if (mine) net_train(&n, d, 3);
        for (int r = 0; r < reps; r++) {
            double t0;
#pragma omp barrier
            t0 = nf_clock();
            if (mine) net_train(&n, d, steps);
#pragma omp barrier
#pragma omp single
            {
                double dt = nf_clock() - t0;
                if (dt < best) best = dt;
            }
        }
        if (mine) net_free(&n);
    }
    return ok ? 2.0 * steps * BATCH / best : 0;
}

typedef struct gemm_shape {
    const char *name;  /* key */
    int ta, tb;        /* transposed A, B */
    int m, n, k;
} gemm_shape;

/* The reference CNN's im2col GEMMs at batch 64 (docs/performance.md). */
static const gemm_shape shapes[] = {
    {"32x50176x9", 0, 0, 32, 50176, 9},
    {"32x50176x288", 0, 0, 32, 50176, 288},
    {"64x12544x288", 0, 0, 64, 12544, 288},
    {"64x12544x576", 0, 0, 64, 12544, 576},
    {"32x288x50176_nt", 0, 1, 32, 288, 50176},
    {"288x50176x32_tn", 1, 0, 288, 50176, 32},
    /* what the Winograd path runs instead: 16 of these per chunk of ~512 tiles */
    {"wino_32x512x32", 0, 0, 32, 512, 32},
    {"wino_64x512x32", 0, 0, 64, 512, 32},
    {"wino_64x512x64", 0, 0, 64, 512, 64},
    {"wino_32x32x512_nt", 0, 1, 32, 32, 512},
    {"wino_64x64x512_nt", 0, 1, 64, 64, 512},
};

static double bench_sgemm(const gemm_shape *s, int threads)
{
    size_t na = (size_t)s->m * s->k, nb = (size_t)s->k * s->n, nc = (size_t)s->m * s->n;
    float *a = malloc(na * sizeof(float)), *b = malloc(nb * sizeof(float)), *c = malloc(nc * sizeof(float));
    double best = 1e30;
    if (a && b && c) {
        for (size_t i = 0; i < na; i++) a[i] = (float)(i % 7) * 0.1f;
        for (size_t i = 0; i < nb; i++) b[i] = (float)(i % 5) * 0.1f;
        openblas_set_num_threads(threads);
        int lda = s->ta ? s->m : s->k, ldb = s->tb ? s->k : s->n;
        double flop = 2.0 * s->m * s->n * s->k;
        int calls = flop < 1e8 ? (int)(1e8 / flop) : 1; /* small shapes: many calls per timing */
        for (int r = 0; r < (quick ? 3 : 7); r++) {
            double t0 = nf_clock();
            for (int k = 0; k < calls; k++)
                cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans, s->tb ? CblasTrans : CblasNoTrans,
                            s->m, s->n, s->k, 1.0f, a, lda, b, ldb, 0.0f, c, s->n);
            double dt = (nf_clock() - t0) / calls;
            if (r > 0 && dt < best) best = dt;
        }
    }
    free(a); free(b); free(c);
    return 2.0 * s->m * s->n * s->k / best * 1e-9;
}

/* One pass over every figure; the order keeps the peak RSS of training one
 * network apart from the larger buffers of the GEMM measurements. */
static int child(int train_only)
{
    dataset d;
    if (dataset_make(&d, 42)) return 1;
    float first = 0, last = 0;
    if (train_only < 0) { /* GEMM shapes only */
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
            printf("sgemm_%s_1t_gflops: %.1f\n", shapes[i].name, bench_sgemm(&shapes[i], 1));
        dataset_free(&d);
        return 0;
    }
    if (train_only) { /* for a profiler */
        printf("train_1t_images_per_s: %.1f\n", bench_train(&d, train_only, &first, &last));
        dataset_free(&d);
        return 0;
    }
    printf("openblas_core: %s\n", openblas_get_corename());
    net probe;
    if (net_make(&probe, 1, 1) == 0) printf("exec_buffers_mb: %.1f\n", nf_exec_bytes(probe.e) / 1048576.0);
    net_free(&probe);
    printf("train_1t_images_per_s: %.1f\n", bench_train(&d, 1, &first, &last));
    printf("peak_rss_train_mb: %.1f\n", peak_rss_mb());
    printf("loss_first_step: %.4f\nloss_last_step: %.4f\n", first, last);
    printf("train_2t_images_per_s: %.1f\n", bench_train(&d, 2, NULL, NULL));
    printf("infer_1t_images_per_s: %.1f\n", bench_infer(&d, 1));
    printf("infer_2t_images_per_s: %.1f\n", bench_infer(&d, 2));
    printf("two_copies_images_per_s: %.1f\n", bench_two_copies(&d));
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int t = 1; t <= 2; t++)
            printf("sgemm_%s_%dt_gflops: %.1f\n", shapes[i].name, t, bench_sgemm(&shapes[i], t));
    printf("peak_rss_mb: %.1f\n", peak_rss_mb());
    dataset_free(&d);
    return 0;
}

/* ---- the parent: alternate kernel choices, keep the best ---------------- */

enum { MAX_KEYS = 64 };

typedef struct figure {
    char key[64];
    char text[256];  /* non-numeric value (core name) */
    double best;     /* largest (throughput) or smallest (memory, loss) seen */
    int seen;
} figure;

static int lower_is_better(const char *key) { return strstr(key, "rss") != NULL; }
/* Figures reported as last seen (not the best of the rounds). */
static int as_seen(const char *key) { return strstr(key, "loss") != NULL; }

static void record(figure *f, int *n, const char *key, const char *value)
{
    int i = 0;
    while (i < *n && strcmp(f[i].key, key)) i++;
    if (i == *n) {
        if (*n == MAX_KEYS) return;
        memset(&f[i], 0, sizeof f[i]);
        snprintf(f[i].key, sizeof f[i].key, "%.63s", key);
        (*n)++;
    }
    char *end;
    double v = strtod(value, &end);
    if (end == value) { snprintf(f[i].text, sizeof f[i].text, "%s", value); return; }
    if (!f[i].seen || as_seen(key) || (lower_is_better(key) ? v < f[i].best : v > f[i].best)) f[i].best = v;
    f[i].seen = 1;
}

static int run_child(const char *self, int haswell, figure *f, int *n)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "%s'%s' --child%s", haswell ? "OPENBLAS_CORETYPE=Haswell " : "env -u OPENBLAS_CORETYPE ",
             self, quick ? " --quick" : "");
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    char line[256];
    while (fgets(line, sizeof line, p)) {
        char *colon = strchr(line, ':');
        if (!colon) continue;
        *colon = 0;
        char *value = colon + 1;
        value += strspn(value, " ");
        value[strcspn(value, "\n")] = 0;
        record(f, n, line, value);
    }
    return pclose(p) == 0 ? 0 : -1;
}

static const figure *find(const figure *f, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(f[i].key, key)) return &f[i];
    return NULL;
}

static void print_all(const figure *f, int n, const char *suffix)
{
    for (int i = 0; i < n; i++) {
        if (f[i].seen) printf(as_seen(f[i].key) ? "%s%s: %.4f\n" : "%s%s: %.1f\n", f[i].key, suffix, f[i].best);
        else printf("%s%s: %s\n", f[i].key, suffix, f[i].text);
    }
}

int main(int argc, char **argv)
{
    int rounds = 2, is_child = 0, train_only = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--child")) is_child = 1;
        else if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--train-only") && i + 1 < argc) is_child = 1, train_only = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--sgemm-only")) is_child = 1, train_only = -1;
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else { fprintf(stderr, "usage: %s [--rounds R] [--quick]\n", argv[0]); return 2; }
    }
    /* Tuning experiments: NF_WINO_TILES, NF_WINOGRAD=0, NF_COL_FLOATS. */
    tuning = nf_conv_tuning_default();
    if (getenv("NF_WINO_TILES")) tuning.wino_tiles = atoi(getenv("NF_WINO_TILES"));
    if (getenv("NF_WINOGRAD")) tuning.winograd = atoi(getenv("NF_WINOGRAD"));
    if (getenv("NF_COL_FLOATS")) tuning.col_floats = atoi(getenv("NF_COL_FLOATS"));
    if (is_child) return child(train_only);
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) { fprintf(stderr, "bench_engine: cannot find its own executable\n"); return 1; }
    self[len] = 0;
    static figure def[MAX_KEYS], has[MAX_KEYS];
    int n_def = 0, n_has = 0;
    for (int r = 0; r < rounds; r++) {
        if (run_child(self, 0, def, &n_def) || run_child(self, 1, has, &n_has)) {
            fprintf(stderr, "bench_engine: a measurement pass failed\n");
            return 1;
        }
    }
    printf("bench: engine, reference CNN, batch %d, %dx%d inputs, best of %d rounds (alternating kernels)\n",
           BATCH, SIDE, SIDE, rounds);
    print_all(def, n_def, "");
    print_all(has, n_has, "_haswell");
    const figure *one = find(def, n_def, "train_1t_images_per_s"), *two = find(def, n_def, "two_copies_images_per_s");
    if (one && two && one->best > 0)
        printf("two_copies_vs_twice_1t: %.2f\n", two->best / (2 * one->best));
    one = find(has, n_has, "train_1t_images_per_s"), two = find(has, n_has, "two_copies_images_per_s");
    if (one && two && one->best > 0)
        printf("two_copies_vs_twice_1t_haswell: %.2f\n", two->best / (2 * one->best));
    return 0;
}
