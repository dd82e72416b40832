/* Writes the cases tests/onnx_check.sh hands to ONNX Runtime: for each
 * network, NAME.onnx (nf_model_export_onnx), NAME.pixels (float32 NCHW
 * images in [0,1], as the ONNX input wants them) and NAME.logits (float32
 * [N][classes] from nasfit's own forward pass on the same images), and one
 * line "NAME N C H W CLASSES" per case in OUTDIR/cases.txt.
 *
 *   onnx_fixture OUTDIR [MODEL.nfm]
 *
 * Cases: the every-op network (tests/model_fixtures.h) on 1x28x28
 * Fashion-MNIST test images and on 3x32x32 synthetic colour images, a
 * network of four-input concat and add at odd sizes, and, when given, a
 * trained model file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/formats/model_file.h"
#include "app/formats/onnx_export.h"
#include "datasets/load.h"
#include "engine/exec.h"
#include "tests/model_fixtures.h"

#define IMAGES 300

/* IMAGES images of c x h x w bytes: the Fashion-MNIST test set's first
 * images when they fit, else smooth random colour fields. */
static unsigned char *images(int c, int h, int w, nf_rng *rng)
{
    size_t per = (size_t)c * h * w;
    unsigned char *px = malloc(per * IMAGES);
    if (!px) return NULL;
    nf_ds_pair pair = {0};
    if (c == 1 && h == 28 && w == 28 && !nf_ds_load(NULL, NULL, &pair) && pair.test && pair.test->n >= IMAGES) {
        memcpy(px, pair.test->pixels, per * IMAGES);
        nf_ds_pair_free(&pair);
        return px;
    }
    nf_ds_pair_free(&pair);
    for (int i = 0; i < IMAGES; i++) {
        double a = nf_rng_uniform(rng) * 6, b = nf_rng_uniform(rng) * 6;
        for (size_t j = 0; j < per; j++) {
            int ch = (int)(j / ((size_t)h * w)), y = (int)(j / w % h), x = (int)(j % w);
            double v = 128 + 90 * __builtin_sin(a * y / h + ch) * __builtin_cos(b * x / w) + 30 * nf_rng_normal(rng);
            px[i * per + j] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
    return px;
}

static int write_floats(const char *dir, const char *name, const char *ext, const float *f, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    FILE *out = fopen(path, "wb");
    int ok = out && fwrite(f, sizeof *f, n, out) == n;
    if (out && fclose(out)) ok = 0;
    if (!ok) fprintf(stderr, "onnx_fixture: cannot write %s\n", path);
    return ok;
}

/* nasfit's logits [N][K] for the pixels, normalised as the batcher does. */
static float *nasfit_logits(nf_graph *g, const nf_ds_norm *norm, const unsigned char *px, float *pixels01)
{
    int c = g->in_c, h = g->in_h, w = g->in_w, k = nf_graph_classes(g);
    size_t plane = (size_t)h * w;
    nf_exec *e;
    if (nf_exec_create(g, IMAGES, &e)) return NULL;
    nf_tensor *x = nf_exec_input(e);
    for (int i = 0; i < IMAGES; i++)
        for (int ch = 0; ch < c; ch++)
            for (size_t j = 0; j < plane; j++) {
                unsigned char v = px[((size_t)i * c + ch) * plane + j];
                x->data[((size_t)ch * IMAGES + i) * plane + j] = (float)((v / 255.0 - norm->mean[ch]) / norm->std[ch]);
                pixels01[((size_t)i * c + ch) * plane + j] = (float)(v / 255.0);
            }
    nf_exec_forward(e, g, IMAGES, 0, NULL);
    const nf_tensor *y = nf_exec_output(e);
    float *logits = malloc((size_t)IMAGES * k * sizeof *logits);
    for (int i = 0; logits && i < IMAGES; i++)
        for (int o = 0; o < k; o++) logits[(size_t)i * k + o] = y->data[(size_t)o * IMAGES + i];
    nf_exec_destroy(e);
    return logits;
}

static int write_case(const char *dir, const char *name, nf_graph *g, const nf_ds_norm *norm, char *const *names,
                      FILE *cases)
{
    nf_rng rng;
    nf_rng_seed(&rng, 7, 0, NF_RNG_TEST);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.onnx", dir, name);
    size_t count = (size_t)IMAGES * g->in_c * g->in_h * g->in_w;
    unsigned char *px = images(g->in_c, g->in_h, g->in_w, &rng);
    float *pixels01 = malloc(count * sizeof *pixels01), *logits = px && pixels01 ? nasfit_logits(g, norm, px, pixels01) : NULL;
    int k = nf_graph_classes(g), ok = logits != NULL;
    if (ok && nf_model_export_onnx(g, norm, names, k, path)) {
        fprintf(stderr, "onnx_fixture: %s\n", nf_last_error());
        ok = 0;
    }
    ok = ok && write_floats(dir, name, "pixels", pixels01, count) &&
         write_floats(dir, name, "logits", logits, (size_t)IMAGES * k);
    if (ok) fprintf(cases, "%s %d %d %d %d %d\n", name, IMAGES, g->in_c, g->in_h, g->in_w, k);
    free(px); free(pixels01); free(logits);
    return ok;
}

/* Four branches at an odd size (15x15): concat and add of more than two
 * inputs, pools that drop a row and a column, dense on a 1x1 map. */
static nf_graph *branches(nf_rng *rng)
{
    nf_graph *g;
    if (nf_graph_create(2, 15, 15, &g)) return NULL;
    int a = nf_graph_conv(g, 0, 4, 3, 1, 1), b = nf_graph_conv(g, 0, 4, 5, 1, 0);
    int c = nf_graph_conv(g, 0, 4, 1, 1, 1), d = nf_graph_conv(g, 0, 4, 7, 1, 0);
    int in[4] = {a, b, c, d}, sum, cat;
    if (nf_graph_append(g, NF_OP_ADD, NULL, 0, in, 4, &sum) || nf_graph_append(g, NF_OP_CONCAT, NULL, 0, in, 4, &cat)) {
        nf_graph_destroy(g);
        return NULL;
    }
    int p = nf_graph_unary(g, NF_OP_AVGPOOL, nf_graph_act(g, sum, NF_ACT_TANH));  /* 7x7 */
    int q = nf_graph_unary(g, NF_OP_MAXPOOL, nf_graph_act(g, cat, NF_ACT_ELU));   /* 7x7, 16 */
    int qs = nf_graph_conv(g, q, 4, 3, 2, 1), ps = nf_graph_conv(g, p, 4, 1, 2, 0); /* 4x4 */
    int two[2] = {qs, ps}, s2;
    if (nf_graph_append(g, NF_OP_ADD, NULL, 0, two, 2, &s2)) { nf_graph_destroy(g); return NULL; }
    int top = nf_graph_dense(g, nf_graph_unary(g, NF_OP_GAP, nf_graph_unary(g, NF_OP_MAXPOOL, s2)), 5, 0);
    if (top < 0 || nf_graph_layout(g, rng)) { nf_graph_destroy(g); return NULL; }
    fx_perturb(g, rng);
    return g;
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: onnx_fixture OUTDIR [MODEL.nfm...]\n"); return 2; }
    const char *dir = argv[1];
    char path[1024];
    snprintf(path, sizeof path, "%s/cases.txt", dir);
    FILE *cases = fopen(path, "w");
    if (!cases) { fprintf(stderr, "onnx_fixture: cannot write %s\n", path); return 1; }
    char *names10[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    nf_ds_norm gray = nf_ds_norm_identity(1), rgb = nf_ds_norm_identity(3), two = nf_ds_norm_identity(2);
    gray.mean[0] = 0.2860f; gray.std[0] = 0.3530f;
    for (int c = 0; c < 3; c++) { rgb.mean[c] = 0.45f + 0.02f * c; rgb.std[c] = 0.25f - 0.01f * c; }
    two.mean[0] = 0.5f; two.std[0] = 0.2f; two.mean[1] = 0.4f; two.std[1] = 0.3f;
    nf_rng rng;
    nf_rng_seed(&rng, 5, 0, NF_RNG_TEST);
    nf_graph *g1 = fx_every_op(1, 28, 28, 10, 21), *g3 = fx_every_op(3, 32, 32, 10, 22), *g2 = branches(&rng);
    int ok = g1 && g3 && g2 && write_case(dir, "every_op_gray", g1, &gray, names10, cases) &&
             write_case(dir, "every_op_rgb", g3, &rgb, names10, cases) &&
             write_case(dir, "branches", g2, &two, NULL, cases);
    nf_graph_destroy(g1); nf_graph_destroy(g2); nf_graph_destroy(g3);
    for (int k = 2; ok && k < argc; k++) { /* each model file as a case named after the file */
        nf_model *m;
        char name[64];
        const char *base = strrchr(argv[k], '/') ? strrchr(argv[k], '/') + 1 : argv[k];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(base, "."), base);
        if (nf_model_load(argv[k], &m)) { fprintf(stderr, "onnx_fixture: %s\n", nf_last_error()); ok = 0; }
        else {
            ok = write_case(dir, name, m->graph, &m->norm, m->class_names, cases);
            nf_model_destroy(m);
        }
    }
    if (fclose(cases)) ok = 0;
    if (!ok) fprintf(stderr, "onnx_fixture: failed%s%s\n", nf_last_error()[0] ? ": " : "", nf_last_error());
    return ok ? 0 : 1;
}
