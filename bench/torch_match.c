/* Replays PyTorch's training of the reference CNN step for step, from the
 * files scripts/torch_match.py writes: PyTorch's initial weights, the very
 * batches it trained on, its loss per step. With everything but the engine
 * equal, the two losses agree to float rounding for the first steps and then
 * drift apart only as rounding differences grow. The test set is batched by
 * nasfit's own data pipeline (nf_ds_prepare, as `nasfit train` does) and
 * compared with PyTorch's normalised test images, so input scaling is
 * checked too. Prints `key: value` lines, and exits 1 when the engines
 * disagree beyond float rounding (limits below), so `make bench` fails.
 *
 *   build/bench/torch_match DIR [DATA]   (DATA: fashion-mnist, the default;
 *                                         make bench runs it when torch is there) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/datasets.h"
#include "engine/exec.h"
#include "engine/loss.h"
#include "engine/models.h"
#include "engine/train.h"

#define BATCH 64

/* Agreement expected from float rounding alone (measured: 4.3e-6, 1.2e-7,
 * 3e-4 over 300 and 937 steps). */
#define MAX_FIRST_LOSS_DIFF 1e-4  /* per step, over the first 5 steps */
#define MAX_INPUT_DIFF 1e-6       /* normalised pixels */
#define MAX_MEAN_LOSS_DIFF 0.01   /* mean loss over all steps */

/* The whole file DIR/name as floats (or int32s); NULL with a message if absent. */
static void *read_file(const char *dir, const char *name, size_t *count)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    void *buf = NULL;
    long size = -1;
    if (f && !fseek(f, 0, SEEK_END) && (size = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET) &&
        (buf = malloc((size_t)size)) && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    if (f) fclose(f);
    if (!buf) fprintf(stderr, "torch_match: cannot read %s (run scripts/torch_match.py first)\n", path);
    *count = buf ? (size_t)size / 4 : 0;
    return buf;
}

/* sqrt(sum (a-b)^2 / sum b^2) over n floats. */
static double relative_diff(const float *a, const float *b, size_t n)
{
    double d = 0, norm = 0;
    for (size_t i = 0; i < n; i++) {
        d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        norm += (double)b[i] * b[i];
    }
    return norm > 0 ? sqrt(d / norm) : sqrt(d);
}

/* Trains g on the replayed batches, printing how far its loss is from
 * PyTorch's; returns 0 if within the limits. */
static int replay(nf_exec *e, nf_graph *g, const float *x, const int *y, const float *torch_loss, size_t steps)
{
    nf_train_params p = nf_train_defaults();
    size_t image = (size_t)nf_exec_input(e)->c * nf_exec_input(e)->h * nf_exec_input(e)->w;
    double first = 0, sum = 0, sum_torch = 0;
    for (size_t s = 0; s < steps; s++) {
        nf_tensor *in = nf_exec_input(e);
        in->n = BATCH;
        memcpy(in->data, x + s * BATCH * image, BATCH * image * sizeof(float));
        float loss;
        if (nf_train_step(e, g, BATCH, y + s * BATCH, &p.optim, NULL, &loss)) { fprintf(stderr, "%s\n", nf_last_error()); exit(1); }
        double d = fabs(loss - torch_loss[s]);
        if (s < 5 && d > first) first = d;
        sum += loss;
        sum_torch += torch_loss[s];
    }
    printf("steps: %zu\n", steps);
    printf("loss_max_abs_diff_first_5_steps: %.2e\n", first);
    printf("mean_loss_nasfit: %.4f\nmean_loss_pytorch: %.4f\n", sum / steps, sum_torch / steps);
    return first <= MAX_FIRST_LOSS_DIFF && fabs(sum - sum_torch) / steps <= MAX_MEAN_LOSS_DIFF ? 0 : -1;
}

/* Per layer: how far the trained parameters and running statistics are from PyTorch's. */
static void compare_weights(const nf_graph *g, const float *final, const float *running)
{
    size_t p = 0, s = 0;
    for (int i = 0; i < g->n; i++) {
        const nf_vertex *v = &g->v[i];
        if (v->n_param)
            printf("param_rel_diff_%s_%d: %.3e\n", nf_op_name(v->op), i,
                   relative_diff(g->param + v->param_off, final + p, v->n_param));
        if (v->n_state)
            printf("running_stats_rel_diff_%s_%d: %.3e\n", nf_op_name(v->op), i,
                   relative_diff(g->state + v->state_off, running + s, v->n_state));
        p += v->n_param;
        s += v->n_state;
    }
}

/* Test accuracy on nasfit's own test batches, and the largest difference
 * between those images and PyTorch's normalised ones; 0 if within the limit. */
static int evaluate(nf_exec *e, nf_graph *g, const nf_ds_splits *data, const float *xte, size_t n_xte)
{
    nf_batcher *b;
    if (nf_batcher_create(data->test, &data->norm, NULL, BATCH, 1, &b)) {
        fprintf(stderr, "torch_match: %s\n", nf_last_error());
        return -1;
    }
    int labels[BATCH], correct = 0, n, seen = 0;
    size_t image = (size_t)nf_ds_channels(data->test) * nf_ds_height(data->test) * nf_ds_width(data->test);
    double max_diff = 0;
    nf_tensor *in = nf_exec_input(e);
    for (in->n = BATCH; (n = nf_batcher_next(b, in, labels)) > 0; in->n = BATCH) {
        for (size_t k = 0; k < (size_t)n * image && (seen + n) * image <= n_xte; k++) {
            double d = fabs(in->data[k] - xte[(size_t)seen * image + k]); /* C = 1: [N][H][W] */
            if (d > max_diff) max_diff = d;
        }
        if (nf_exec_forward(e, g, n, 0, NULL)) { fprintf(stderr, "%s\n", nf_last_error()); exit(1); }
        nf_loss_xent(nf_exec_output(e), labels, NULL, &correct);
        seen += n;
    }
    nf_batcher_destroy(b);
    printf("input_max_abs_diff: %.2e\n", max_diff);
    printf("test_accuracy_nasfit: %.4f\n", (double)correct / seen);
    return max_diff <= MAX_INPUT_DIFF ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || argv[1][0] == '-') {
        fprintf(stderr, "usage: torch_match DIR [DATA]   (DIR written by scripts/torch_match.py)\n");
        return 1;
    }
    const char *dir = argv[1];
    nf_ds_prepare_options po = nf_ds_prepare_defaults();
    po.val_fraction = 0;
    nf_ds_splits data = {0};
    nf_graph *g = NULL;
    nf_exec *e = NULL;
    nf_rng rng;
    nf_rng_seed(&rng, 1, 0, NF_RNG_INIT);
    size_t n_init = 0, n_x = 0, n_y = 0, n_loss = 0, n_final = 0, n_running = 0, n_xte = 0;
    float *init = NULL, *x = NULL, *loss = NULL, *final = NULL, *running = NULL, *xte = NULL;
    int *y = NULL, status = 1;
    if (!(init = read_file(dir, "init.f32", &n_init)) || !(x = read_file(dir, "x.f32", &n_x)) ||
        !(y = read_file(dir, "y.i32", &n_y)) || !(loss = read_file(dir, "loss.f32", &n_loss)) ||
        !(final = read_file(dir, "final.f32", &n_final)) || !(running = read_file(dir, "running.f32", &n_running)) ||
        !(xte = read_file(dir, "xte.f32", &n_xte)))
        goto done;
    if (nf_ds_prepare(argc > 2 ? argv[2] : "fashion-mnist", &po, &data) || !data.test ||
        nf_model_reference_cnn(1, 28, 28, 10, &rng, &g) || nf_exec_create(g, BATCH, &e)) {
        fprintf(stderr, "torch_match: %s\n", nf_last_error());
        goto done;
    }
    if (n_init != g->n_param || n_final != g->n_param || n_running != g->n_state ||
        n_y != n_loss * BATCH || n_x != n_y * 28 * 28) {
        fprintf(stderr, "torch_match: the files in %s do not describe the reference CNN\n", dir);
        goto done;
    }
    memcpy(g->param, init, n_init * sizeof(float));
    int mismatch = replay(e, g, x, y, loss, n_loss);
    compare_weights(g, final, running);
    mismatch |= evaluate(e, g, &data, xte, n_xte);
    printf("torch_match: %s\n", mismatch ? "MISMATCH: nasfit no longer computes what PyTorch does" : "ok");
    status = mismatch ? 1 : 0;
done:
    nf_exec_destroy(e);
    nf_graph_destroy(g);
    nf_ds_splits_free(&data);
    free(init); free(x); free(y); free(loss); free(final); free(running); free(xte);
    return status;
}
