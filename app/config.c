#include "app/config.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nf_fit_config nf_fit_config_defaults(void)
{
    /* Must agree with configs/default.conf (a test checks). */
    nf_fit_config c = {.search = nf_search_defaults(), .val_fraction = 0.1};
    snprintf(c.data, sizeof c.data, "fashion-mnist");
    c.search.population = 6;
    c.search.final_share = 0.5;
    c.search.final_epochs = 3;
    c.search.aug = (nf_augment){.shift = 2, .flip = 1};
    c.search.settings.optim.lr = 0.002f;
    c.search.var.limits.max_mflops = 150;
    c.search.var.limits.max_width = 256;
    return c;
}

/* ==== the keys =========================================================== */

typedef enum key_type { T_INT, T_I64, T_U64, T_DOUBLE, T_FLOAT, T_DURATION, T_STRATEGY, T_OPTIM, T_TEXT } key_type;

typedef struct key_def {
    const char *section, *name;
    key_type type;
    size_t offset;      /* in nf_fit_config */
    double min, max;    /* numbers: the accepted range */
} key_def;

#define K(sec, name, type, field, lo, hi) {sec, name, type, offsetof(nf_fit_config, field), lo, hi}
#define ODDS(name, field) K("mutation", name, T_DOUBLE, search.var.odds[field], 0, 1000)

static const key_def keys[] = {
    K("data", "path", T_TEXT, data, 0, 0),
    K("data", "val_fraction", T_DOUBLE, val_fraction, 0.001, 0.9),
    K("data", "train_limit", T_INT, train_limit, 0, 1e9),
    K("data", "augment_shift", T_INT, search.aug.shift, 0, 16),
    K("data", "augment_flip", T_INT, search.aug.flip, 0, 1),
    K("search", "population", T_INT, search.population, 2, 1024),
    K("search", "elite", T_INT, search.elite, 1, 1023),
    K("search", "tournament", T_INT, search.tournament, 1, 1024),
    K("search", "strategy", T_STRATEGY, search.strategy, 0, 0),
    K("search", "generations", T_INT, search.generations, 0, 1e9),
    K("search", "time", T_DURATION, search.time_budget, 0, 1e8),
    K("search", "target", T_DOUBLE, search.target, 0, 1),
    K("search", "slice_images", T_I64, search.slice_images, 1, 1e12),
    K("search", "final_share", T_DOUBLE, search.final_share, 0, 0.9),
    K("search", "final_epochs", T_DOUBLE, search.final_epochs, 0, 1000),
    K("search", "seed", T_U64, search.seed, 0, 0),
    K("search", "threads", T_INT, search.threads, 1, 1024),
    K("search", "cull_share", T_DOUBLE, search.cull_share, 0, 0.9),
    K("search", "cull_val_images", T_INT, search.cull_val_images, 0, 1e8),
    K("search", "cull_margin", T_DOUBLE, search.cull_margin, 0, 1),
    K("search", "halving_draws", T_INT, search.halving_draws, 2, 1024),
    K("search", "halving_eta", T_INT, search.halving_eta, 2, 1024),
    K("search", "arch", T_TEXT, arch, 0, 0),
    K("training", "optimizer", T_OPTIM, search.settings.optim, 0, 0),
    K("training", "lr", T_FLOAT, search.settings.optim.lr, 1e-7, 10),
    K("training", "weight_decay", T_FLOAT, search.settings.optim.weight_decay, 0, 0.5),
    K("training", "batch", T_INT, search.settings.batch, 1, 4096),
    K("training", "refresh_images", T_INT, search.task.refresh_images, 0, 1e8),
    K("fitness", "param_penalty", T_DOUBLE, search.task.param_penalty, 0, 100),
    K("fitness", "flops_penalty", T_DOUBLE, search.task.flops_penalty, 0, 100),
    K("fitness", "time_penalty", T_DOUBLE, search.task.time_penalty, 0, 100),
    K("space", "min_stages", T_INT, search.var.space.min_stages, 1, 6),
    K("space", "max_stages", T_INT, search.var.space.max_stages, 1, 6),
    K("space", "min_blocks", T_INT, search.var.space.min_blocks, 1, 8),
    K("space", "max_blocks", T_INT, search.var.space.max_blocks, 1, 8),
    K("space", "min_width", T_INT, search.var.space.min_width, 2, 1024),
    K("space", "max_width", T_INT, search.var.space.max_width, 2, 1024),
    K("space", "max_dense", T_INT, search.var.space.max_dense, 0, 4),
    K("space", "min_dense_width", T_INT, search.var.space.min_dense_width, 1, 4096),
    K("space", "max_dense_width", T_INT, search.var.space.max_dense_width, 1, 4096),
    K("space", "kernel1", T_DOUBLE, search.var.space.kernel_weight[0], 0, 1000),
    K("space", "kernel3", T_DOUBLE, search.var.space.kernel_weight[1], 0, 1000),
    K("space", "kernel5", T_DOUBLE, search.var.space.kernel_weight[2], 0, 1000),
    K("space", "kernel7", T_DOUBLE, search.var.space.kernel_weight[3], 0, 1000),
    K("space", "residual", T_DOUBLE, search.var.space.residual_odds, 0, 1),
    K("space", "branched", T_DOUBLE, search.var.space.branched_odds, 0, 1),
    K("space", "other_activation", T_DOUBLE, search.var.space.other_act_odds, 0, 1),
    K("space", "stride_conv", T_DOUBLE, search.var.space.stride_conv_odds, 0, 1),
    ODDS("grow", NF_CHANGE_GROW),
    ODDS("shrink", NF_CHANGE_SHRINK),
    ODDS("insert_conv", NF_CHANGE_INSERT_CONV),
    ODDS("insert_dense", NF_CHANGE_INSERT_DENSE),
    ODDS("remove", NF_CHANGE_REMOVE),
    ODDS("skip_add", NF_CHANGE_SKIP_ADD),
    ODDS("skip_concat", NF_CHANGE_SKIP_CONCAT),
    ODDS("skip_remove", NF_CHANGE_SKIP_REMOVE),
    ODDS("kernel", NF_CHANGE_KERNEL),
    ODDS("activation", NF_CHANGE_ACTIVATION),
    ODDS("pool_add", NF_CHANGE_POOL_ADD),
    ODDS("pool_remove", NF_CHANGE_POOL_REMOVE),
    K("mutation", "two_changes", T_DOUBLE, search.var.two_changes, 0, 1),
    K("mutation", "three_changes", T_DOUBLE, search.var.three_changes, 0, 1),
    K("mutation", "lr_odds", T_DOUBLE, search.var.lr_odds, 0, 1),
    K("mutation", "lr_sigma", T_DOUBLE, search.var.lr_sigma, 0, 3),
    K("mutation", "optimizer_odds", T_DOUBLE, search.var.optimizer_odds, 0, 1),
    K("mutation", "decay_odds", T_DOUBLE, search.var.decay_odds, 0, 1),
    K("mutation", "batch_odds", T_DOUBLE, search.var.batch_odds, 0, 1),
    K("mutation", "crossover", T_DOUBLE, search.var.crossover_odds, 0, 1),
    K("mutation", "head_crossover", T_DOUBLE, search.var.head_crossover_odds, 0, 1),
    K("mutation", "min_batch", T_INT, search.var.min_batch, 1, 4096),
    K("mutation", "max_batch", T_INT, search.var.max_batch, 1, 4096),
    K("mutation", "plan_ms", T_INT, search.var.plan_ms, 1, 600000),
    K("limits", "max_params", T_I64, search.var.limits.max_params, 0, 1e12),
    K("limits", "max_mflops", T_DOUBLE, search.var.limits.max_mflops, 0, 1e9),
    K("limits", "max_memory_mb", T_DOUBLE, search.var.limits.max_memory_mb, 0, 1e9),
    K("limits", "max_width", T_INT, search.var.limits.max_width, 0, 1e6),
};

#define N_KEYS (sizeof keys / sizeof keys[0])

/* ==== values ============================================================= */

double nf_parse_duration(const char *text)
{
    static const struct { char unit; double seconds; } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
    const char *p = text;
    double total = 0;
    int parts = 0;
    while (*p) {
        char *end;
        errno = 0;
        double x = strtod(p, &end);
        if (end == p || errno || !isfinite(x) || x < 0) return -1;
        p = end;
        double scale = 0;
        for (size_t u = 0; u < sizeof units / sizeof units[0]; u++)
            if (*p == units[u].unit) scale = units[u].seconds;
        if (scale) p++;
        else if (*p || parts) return -1; /* a bare number only alone: plain seconds */
        else scale = 1;
        total += x * scale;
        parts++;
    }
    return parts ? total : -1;
}

static int parse_number(const char *text, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(text, &end);
    while (*end == ' ' || *end == '\t') end++;
    if (end == text || *end || errno || !isfinite(x)) return 0;
    *out = x;
    return 1;
}

static int is_whole(double x) { return x == floor(x); }

static nf_status set_number(const key_def *k, void *field, double x, const char *value, const char *origin)
{
    if (x < k->min || x > k->max || ((k->type == T_INT || k->type == T_I64) && !is_whole(x)))
        return nf_fail(NF_ERR_FORMAT, "%s: %s.%s = %s is out of range (%s from %g to %g)", origin, k->section, k->name,
                       value, k->type == T_INT || k->type == T_I64 ? "a whole number" : "a number", k->min, k->max);
    switch (k->type) {
    case T_INT: *(int *)field = (int)x; break;
    case T_I64: *(int64_t *)field = (int64_t)x; break;
    case T_FLOAT: *(float *)field = (float)x; break;
    default: *(double *)field = x; break;
    }
    return NF_OK;
}

static nf_status set_value(nf_fit_config *c, const key_def *k, const char *value, const char *origin)
{
    void *field = (char *)c + k->offset;
    double x;
    switch (k->type) {
    case T_TEXT:
        if (strlen(value) >= sizeof c->data) return nf_fail(NF_ERR_FORMAT, "%s: %s.%s is too long", origin, k->section, k->name);
        snprintf(field, sizeof c->data, "%s", value);
        return NF_OK;
    case T_U64: {
        char *end;
        errno = 0;
        unsigned long long u = strtoull(value, &end, 10);
        if (end == value || *end || errno || value[0] == '-')
            return nf_fail(NF_ERR_FORMAT, "%s: %s.%s = %s is not a whole number from 0 to 2^64-1", origin, k->section, k->name, value);
        *(uint64_t *)field = u;
        return NF_OK;
    }
    case T_DURATION:
        x = nf_parse_duration(value);
        if (x < 0) return nf_fail(NF_ERR_FORMAT, "%s: %s.%s = %s is not a duration (e.g. 90s, 30m, 8h, 1h30m)", origin, k->section, k->name, value);
        return set_number(k, field, x, value, origin);
    case T_STRATEGY:
        if (nf_strategy_parse(value) == NF_STRATEGY_COUNT)
            return nf_fail(NF_ERR_FORMAT, "%s: %s.%s = %s is not elitism, aging, random or fixed", origin, k->section, k->name, value);
        c->search.strategy = nf_strategy_parse(value);
        return NF_OK;
    case T_OPTIM: {
        nf_optim_kind kind = nf_optim_parse(value);
        if (kind == NF_OPTIM_COUNT)
            return nf_fail(NF_ERR_FORMAT, "%s: %s.%s = %s is not sgd, momentum, nesterov, adam or adamw", origin, k->section, k->name, value);
        float lr = c->search.settings.optim.lr, wd = c->search.settings.optim.weight_decay;
        c->search.settings.optim = nf_optim_defaults(kind);
        c->search.settings.optim.lr = lr;
        c->search.settings.optim.weight_decay = wd;
        return NF_OK;
    }
    default:
        if (!parse_number(value, &x))
            return nf_fail(NF_ERR_FORMAT, "%s: %s.%s = %s is not a number", origin, k->section, k->name, value);
        return set_number(k, field, x, value, origin);
    }
}

static const key_def *find_key(const char *section, const char *name)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (!strcmp(keys[i].name, name) && (!section || !strcmp(keys[i].section, section))) return &keys[i];
    return NULL;
}

nf_status nf_config_set(nf_fit_config *c, const char *key, const char *value, const char *origin)
{
    char section[32] = "";
    const char *dot = strchr(key, '.'), *name = key;
    if (dot) {
        if ((size_t)(dot - key) >= sizeof section) return nf_fail(NF_ERR_FORMAT, "%s: unknown key %s", origin, key);
        memcpy(section, key, (size_t)(dot - key));
        name = dot + 1;
    }
    const key_def *k = find_key(dot ? section : NULL, name);
    if (!k) return nf_fail(NF_ERR_FORMAT, "%s: unknown key %s (configs/default.conf lists every key)", origin, key);
    return set_value(c, k, value, origin);
}

/* ==== the file =========================================================== */

typedef struct reading {
    nf_fit_config *c;
    const char *path;
    int line;               /* libinih counts lines for us only in its return value */
    nf_status st;           /* the first failure */
    char detail[512];
} reading;

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
    reading *r = user;
    if (r->st) return 0;
    if (!*section) {
        r->st = nf_fail(NF_ERR_FORMAT, "key %s is outside any [section]", name);
    } else if (!find_key(section, name)) {
        int known_section = 0;
        for (size_t i = 0; i < N_KEYS; i++) known_section |= !strcmp(keys[i].section, section);
        r->st = known_section ? nf_fail(NF_ERR_FORMAT, "unknown key %s in [%s] (configs/default.conf lists every key)", name, section)
                              : nf_fail(NF_ERR_FORMAT, "unknown section [%s]", section);
    } else {
        char key[96];
        snprintf(key, sizeof key, "%s.%s", section, name);
        r->st = nf_config_set(r->c, key, value, "value");
    }
    if (r->st) snprintf(r->detail, sizeof r->detail, "%s", nf_last_error());
    return r->st ? 0 : 1;
}

/* libinih's result (0, -1 cannot open/read, or the first bad line) as a status. */
static nf_status reading_status(const reading *r, const char *source, int line, nf_fit_config *c, const nf_fit_config *copy)
{
    if (line < 0) return nf_fail(NF_ERR_IO, "%s: cannot read", source);
    if (line > 0 && r->st) {
        const char *d = r->detail;
        if (!strncmp(d, "value: ", 7)) d += 7;
        return nf_fail(NF_ERR_FORMAT, "%s:%d: %s", source, line, d);
    }
    if (line > 0) return nf_fail(NF_ERR_FORMAT, "%s:%d: not a [section] or key = value line", source, line);
    *c = *copy;
    return NF_OK;
}

nf_status nf_config_read(const char *path, nf_fit_config *c)
{
    FILE *f = fopen(path, "r");
    if (!f) return nf_fail(NF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    nf_fit_config copy = *c;
    reading r = {.c = &copy, .path = path};
    int line = ini_parse_file(f, on_entry, &r);
    fclose(f);
    return reading_status(&r, path, line, c, &copy);
}

nf_status nf_config_parse(const char *text, const char *source, nf_fit_config *c)
{
    nf_fit_config copy = *c;
    reading r = {.c = &copy, .path = source};
    int line = ini_parse_string(text, on_entry, &r);
    return reading_status(&r, source, line, c, &copy);
}

/* ==== writing it back ===================================================== */

/* The shortest decimal that reads back as exactly x. */
static void put_exact(FILE *f, double x, int is_float)
{
    char buf[40];
    for (int digits = 6; digits <= 17; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, x);
        double back = strtod(buf, NULL);
        if (is_float ? (float)back == (float)x : back == x) break;
    }
    fputs(buf, f);
}

static void put_value(FILE *f, const nf_fit_config *c, const key_def *k)
{
    const void *field = (const char *)c + k->offset;
    switch (k->type) {
    case T_TEXT: fprintf(f, "%s", (const char *)field); break;
    case T_INT: fprintf(f, "%d", *(const int *)field); break;
    case T_I64: fprintf(f, "%lld", (long long)*(const int64_t *)field); break;
    case T_U64: fprintf(f, "%llu", (unsigned long long)*(const uint64_t *)field); break;
    case T_FLOAT: put_exact(f, *(const float *)field, 1); break;
    case T_DURATION: put_exact(f, *(const double *)field, 0); fputc('s', f); break;
    case T_STRATEGY: fprintf(f, "%s", nf_strategy_name(c->search.strategy)); break;
    case T_OPTIM: fprintf(f, "%s", nf_optim_name(c->search.settings.optim.kind)); break;
    default: put_exact(f, *(const double *)field, 0); break;
    }
}

char *nf_config_text(const nf_fit_config *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    const char *section = "";
    for (size_t i = 0; i < N_KEYS; i++) {
        if (strcmp(section, keys[i].section)) {
            section = keys[i].section;
            fprintf(f, "%s[%s]\n", i ? "\n" : "", section);
        }
        fprintf(f, "%s = ", keys[i].name);
        put_value(f, c, &keys[i]);
        fputc('\n', f);
    }
    fclose(f);
    return text;
}
