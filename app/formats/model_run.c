#include "app/formats/model_run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/batch.h"
#include "engine/exec.h"

/* Up to this many images per forward pass. */
#define CHUNK 64

static void softmax_columns(const nf_tensor *y, int n, float *probs)
{
    int k = y->c;
    for (int i = 0; i < n; i++) {
        float top = y->data[i];
        for (int o = 1; o < k; o++) top = fmaxf(top, y->data[(size_t)o * n + i]);
        double sum = 0;
        for (int o = 0; o < k; o++) sum += exp((double)y->data[(size_t)o * n + i] - top);
        for (int o = 0; o < k; o++)
            probs[(size_t)i * k + o] = (float)(exp((double)y->data[(size_t)o * n + i] - top) / sum);
    }
}

nf_status nf_model_probabilities(nf_model *m, const uint8_t *images, int n, int threads, float *probs)
{
    nf_graph *g = m->graph;
    int c = g->in_c, k = nf_graph_classes(g);
    size_t plane = (size_t)g->in_h * g->in_w;
    nf_exec *e;
    nf_status st = nf_exec_create(g, n < CHUNK ? n : CHUNK, &e);
    if (st) return st;
    nf_exec_set_threads(e, threads);
    for (int at = 0; at < n; at += CHUNK) {
        int b = n - at < CHUNK ? n - at : CHUNK;
        nf_tensor *x = nf_exec_input(e);
        for (int i = 0; i < b; i++)
            for (int ch = 0; ch < c; ch++)
                for (size_t j = 0; j < plane; j++) {
                    uint8_t v = images[((size_t)(at + i) * c + ch) * plane + j];
                    x->data[((size_t)ch * b + i) * plane + j] =
                        (float)((v / 255.0 - m->norm.mean[ch]) / m->norm.std[ch]);
                }
        nf_exec_forward(e, g, b, 0, NULL);
        softmax_columns(nf_exec_output(e), b, probs + (size_t)at * k);
    }
    nf_exec_destroy(e);
    return NF_OK;
}

/* The next batch into the executor's input, its capacity reset first (the
 * previous batch may have been partial), as engine/train.c does. */
static int next_batch(nf_batcher *b, nf_exec *e, int *labels)
{
    nf_tensor *x = nf_exec_input(e);
    x->n = nf_exec_batch(e);
    return nf_batcher_next(b, x, labels);
}

/* Mirrors every image of the executor's input left to right, in place
 * (the input is [C][N][H][W]). */
static void mirror_input(nf_tensor *x, int n)
{
    size_t rows = (size_t)x->c * n * x->h;
    for (size_t r = 0; r < rows; r++) {
        float *row = x->data + r * x->w;
        for (int a = 0, b = x->w - 1; a < b; a++, b--) {
            float t = row[a];
            row[a] = row[b];
            row[b] = t;
        }
    }
}

/* Adds the softmax of the executor's output (logits [classes][n]) to sum[i * classes + k]. */
static void add_probabilities(const nf_tensor *y, int n, float *probs, double *sum)
{
    softmax_columns(y, n, probs);
    for (size_t j = 0; j < (size_t)n * y->c; j++) sum[j] += probs[j];
}

static int argmax(const double *p, int k)
{
    int best = 0;
    for (int o = 1; o < k; o++)
        if (p[o] > p[best]) best = o;
    return best;
}

nf_status nf_model_confusion(nf_model *m, const nf_dataset *ds, int batch, int threads, int flip, long *counts)
{
    nf_graph *g = m->graph;
    int k = nf_graph_classes(g);
    nf_batcher *b = NULL;
    nf_exec *e = NULL;
    int *labels = malloc((size_t)batch * sizeof *labels);
    float *probs = malloc((size_t)batch * k * sizeof *probs);
    double *sum = malloc((size_t)batch * k * sizeof *sum);
    nf_status st = labels && probs && sum ? NF_OK : nf_fail(NF_ERR_NOMEM, "out of memory");
    if (st || (st = nf_batcher_create(ds, &m->norm, NULL, batch, 0, &b)) || (st = nf_exec_create(g, batch, &e)))
        goto done;
    nf_exec_set_threads(e, threads);
    memset(counts, 0, (size_t)k * k * sizeof *counts);
    nf_batcher_start_epoch(b, 0, 0);
    int got;
    while ((got = next_batch(b, e, labels)) > 0) {
        nf_exec_forward(e, g, got, 0, NULL);
        const nf_tensor *y = nf_exec_output(e);
        if (!flip) { /* the largest logit, as training scores */
            for (int i = 0; i < got; i++) {
                int best = 0;
                for (int o = 1; o < k; o++)
                    if (y->data[(size_t)o * got + i] > y->data[(size_t)best * got + i]) best = o;
                counts[(size_t)labels[i] * k + best]++;
            }
            continue;
        }
        memset(sum, 0, (size_t)got * k * sizeof *sum);
        add_probabilities(y, got, probs, sum);
        mirror_input(nf_exec_input(e), got);
        nf_exec_forward(e, g, got, 0, NULL);
        add_probabilities(nf_exec_output(e), got, probs, sum);
        for (int i = 0; i < got; i++) counts[(size_t)labels[i] * k + argmax(sum + (size_t)i * k, k)]++;
    }
    if (got < 0) st = NF_ERR_ARG;
done:
    nf_exec_destroy(e);
    nf_batcher_destroy(b);
    free(labels);
    free(probs);
    free(sum);
    return st;
}
