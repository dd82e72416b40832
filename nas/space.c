#include "nas/space.h"

nf_space nf_space_defaults(void)
{
    return (nf_space){.min_stages = 2, .max_stages = 3, .min_blocks = 1, .max_blocks = 2,
                      .min_width = 16, .max_width = 32, .max_dense = 1, .min_dense_width = 64,
                      .max_dense_width = 256, .kernel_weight = {0.15, 0.75, 0.08, 0.02},
                      .residual_odds = 0.35, .branched_odds = 0.2, .other_act_odds = 0.2,
                      .stride_conv_odds = 0.25};
}

static nf_status range(const char *name, int lo, int hi, int min, int max)
{
    if (lo < min || hi > max || lo > hi)
        return nf_fail(NF_ERR_ARG, "search space: %s range %d..%d must lie within %d..%d and not be empty", name, lo, hi, min, max);
    return NF_OK;
}

static nf_status odds(const char *name, double p)
{
    if (!(p >= 0 && p <= 1)) return nf_fail(NF_ERR_ARG, "search space: %s %g is not a probability", name, p);
    return NF_OK;
}

nf_status nf_space_check(const nf_space *s)
{
    nf_status st;
    if ((st = range("stages", s->min_stages, s->max_stages, 1, 6)) ||
        (st = range("blocks", s->min_blocks, s->max_blocks, 1, 8)) ||
        (st = range("width", s->min_width, s->max_width, 2, 1024)) ||
        (st = range("dense layers", 0, s->max_dense, 0, 4)) ||
        (st = range("dense width", s->min_dense_width, s->max_dense_width, 1, 4096)) ||
        (st = odds("residual odds", s->residual_odds)) || (st = odds("branched odds", s->branched_odds)) ||
        (st = odds("activation odds", s->other_act_odds)) || (st = odds("stride conv odds", s->stride_conv_odds)))
        return st;
    if (s->residual_odds + s->branched_odds > 1)
        return nf_fail(NF_ERR_ARG, "search space: residual and branched odds add up to more than 1");
    double total = 0;
    for (int k = 0; k < 4; k++) {
        if (!(s->kernel_weight[k] >= 0)) return nf_fail(NF_ERR_ARG, "search space: kernel weights must not be negative");
        total += s->kernel_weight[k];
    }
    if (!(total > 0)) return nf_fail(NF_ERR_ARG, "search space: no kernel size has a positive weight");
    return NF_OK;
}

static int uniform_int(nf_rng *rng, int lo, int hi) { return lo + (int)nf_rng_below(rng, (uint64_t)(hi - lo + 1)); }

int nf_space_kernel(const nf_space *s, nf_rng *rng)
{
    double total = 0;
    for (int k = 0; k < 4; k++) total += s->kernel_weight[k];
    double x = nf_rng_uniform(rng) * total;
    for (int k = 0; k < 3; k++) {
        if (x < s->kernel_weight[k]) return 2 * k + 1;
        x -= s->kernel_weight[k];
    }
    return 7;
}

nf_act nf_space_act(const nf_space *s, nf_rng *rng)
{
    static const nf_act others[] = {NF_ACT_LEAKY_RELU, NF_ACT_ELU, NF_ACT_SELU, NF_ACT_TANH};
    if (nf_rng_uniform(rng) >= s->other_act_odds) return NF_ACT_RELU;
    return others[nf_rng_below(rng, 4)];
}

/* ==== building =========================================================== */

/* Builds on g; every helper returns the index of what it appended, -1 once
 * anything failed (the detail is in nf_last_error). */
typedef struct builder {
    nf_graph *g;
    const nf_space *s;
    nf_rng *rng;
} builder;

static int conv_bn_act(builder *b, int at, int nout, int kernel, int stride, nf_act act)
{
    if (at >= 0) at = nf_graph_conv(b->g, at, nout, kernel, stride, 0);
    if (at >= 0) at = nf_graph_batchnorm(b->g, at);
    if (at >= 0) at = nf_graph_act(b->g, at, act);
    return at;
}

/* x -> conv bn act conv bn, added to x, then act (x must have width neurons). */
static int residual_block(builder *b, int x, int width, nf_act act)
{
    int k = nf_space_kernel(b->s, b->rng);
    int y = conv_bn_act(b, x, width, k, 1, act);
    if (y >= 0) y = nf_graph_conv(b->g, y, width, k, 1, 0);
    if (y >= 0) y = nf_graph_batchnorm(b->g, y);
    if (y < 0) return -1;
    int in[2] = {x, y}, sum;
    if (nf_graph_append(b->g, NF_OP_ADD, NULL, 0, in, 2, &sum)) return -1;
    return nf_graph_act(b->g, sum, act);
}

/* Two conv branches of different kernels side by side, concatenated. */
static int branched_block(builder *b, int x, int width, nf_act act)
{
    int half = width / 2 > 1 ? width / 2 : 1;
    int left = conv_bn_act(b, x, half, nf_space_kernel(b->s, b->rng), 1, act);
    int right = conv_bn_act(b, x, width - half > 0 ? width - half : 1, nf_space_kernel(b->s, b->rng), 1, act);
    if (left < 0 || right < 0) return -1;
    int in[2] = {left, right}, cat;
    return nf_graph_append(b->g, NF_OP_CONCAT, NULL, 0, in, 2, &cat) ? -1 : cat;
}

static int block(builder *b, int x, int width, nf_act act)
{
    double u = nf_rng_uniform(b->rng);
    if (u < b->s->residual_odds && x >= 0 && b->g->v[x].nout == width) return residual_block(b, x, width, act);
    if (u >= 1 - b->s->branched_odds) return branched_block(b, x, width, act);
    return conv_bn_act(b, x, width, nf_space_kernel(b->s, b->rng), 1, act);
}

static int downsample(builder *b, int x, int width, nf_act act)
{
    if (nf_rng_uniform(b->rng) < b->s->stride_conv_odds) return conv_bn_act(b, x, width, 3, 2, act);
    return nf_graph_unary(b->g, nf_rng_below(b->rng, 2) ? NF_OP_AVGPOOL : NF_OP_MAXPOOL, x);
}

static int head(builder *b, int x, int classes)
{
    if (x >= 0) x = nf_graph_unary(b->g, NF_OP_GAP, x);
    int dense = uniform_int(b->rng, 0, b->s->max_dense);
    for (int k = 0; k < dense && x >= 0; k++) {
        x = nf_graph_dense(b->g, x, uniform_int(b->rng, b->s->min_dense_width, b->s->max_dense_width), 1);
        if (x >= 0) x = nf_graph_act(b->g, x, NF_ACT_RELU);
    }
    return x >= 0 ? nf_graph_dense(b->g, x, classes, 1) : -1;
}

nf_status nf_space_draw(const nf_space *s, int c, int h, int w, int classes, nf_rng *rng, nf_graph **out)
{
    *out = NULL;
    nf_status st = nf_space_check(s);
    if (st) return st;
    nf_graph *g;
    if ((st = nf_graph_create(c, h, w, &g))) return st;
    builder b = {g, s, rng};
    int stages = uniform_int(rng, s->min_stages, s->max_stages);
    int width = uniform_int(rng, s->min_width, s->max_width);
    nf_act act = nf_space_act(s, rng);
    int x = conv_bn_act(&b, 0, width, 3, 1, act);
    int side = h < w ? h : w; /* the smaller side of the current feature maps */
    for (int stage = 0; stage < stages && x >= 0; stage++) {
        /* Only while the image is large enough to halve. */
        if (stage > 0 && side >= 4) {
            width *= 2;
            side /= 2;
            x = downsample(&b, x, width, act);
        }
        int blocks = uniform_int(rng, s->min_blocks, s->max_blocks);
        for (int k = 0; k < blocks && x >= 0; k++) x = block(&b, x, width, act);
    }
    x = head(&b, x, classes);
    st = x < 0 ? NF_ERR_GRAPH : nf_graph_layout(g, rng);
    if (st) { nf_graph_destroy(g); return st; }
    *out = g;
    return NF_OK;
}
