#include "app/formats/config.h"

#include "app/formats/fileio.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

nf_fit_config nf_fit_config_defaults(void)
{
    /* The search's own defaults (nas/search.c), with nothing laid on top;
     * configs/default.conf lists the same (a test checks). */
    nf_fit_config c = {.search = nf_search_defaults(), .val_fraction = 0.1};
    snprintf(c.data, sizeof c.data, "fashion-mnist");
    return c;
}

/* ==== the keys =========================================================== */

typedef enum key_type { T_INT, T_I64, T_U64, T_DOUBLE, T_FLOAT, T_DURATION, T_STRATEGY, T_OPTIM, T_TEXT, T_FILE } key_type;

typedef struct key_def {
    const char *section, *name;
    key_type type;
    size_t offset;      /* in nf_fit_config */
    double min, max;    /* numbers: the accepted range */
} key_def;

#define K(sec, name, type, field, lo, hi) {sec, name, type, offsetof(nf_fit_config, field), lo, hi}
/* mutation.<name>: a graph change's relative odds, one key per row of nas/change_kinds.h. */
#define ODDS(id, num, key, phase, weight, apply) K("mutation", key, T_DOUBLE, search.var.odds[num], 0, 1000),

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
    K("search", "final_label_smoothing", T_FLOAT, search.final_label_smoothing, 0, 0.5),
    K("search", "final_average", T_DOUBLE, search.final_average, 0, 1),
    K("search", "seed", T_U64, search.seed, 0, 0),
    K("search", "threads", T_INT, search.threads, 1, 1024),
    K("search", "cull_share", T_DOUBLE, search.cull_share, 0, 0.9),
    K("search", "cull_val_images", T_INT, search.cull_val_images, 0, 1e8),
    K("search", "cull_margin", T_DOUBLE, search.cull_margin, 0, 1),
    K("search", "screen_draws", T_INT, search.screen_draws, 0, 1024),
    K("search", "screen_share", T_DOUBLE, search.screen_share, 0.01, 1),
    K("search", "halving_draws", T_INT, search.halving_draws, 2, 1024),
    K("search", "halving_eta", T_INT, search.halving_eta, 2, 1024),
    K("search", "arch", T_FILE, arch, 0, 0),
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
    NF_GRAPH_CHANGES(ODDS)
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
    if (strpbrk(text, "xX")) return -1; /* no hexadecimal (strtod reads 0x10 as 16) */
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
    if (strpbrk(text, "xX")) return 0; /* strtod reads hexadecimal (0x10 is 16): not what a setting means */
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
    case T_FILE: { /* empty, or a regular file */
        struct stat sb;
        errno = 0;
        if (*value && (stat(value, &sb) != 0 || !S_ISREG(sb.st_mode)))
            return nf_fail(NF_ERR_FORMAT, "%s: %s.%s = %s is not a file (%s)", origin, k->section, k->name, value,
                           errno ? strerror(errno) : "not a regular file");
    }
    /* fall through */
    case T_TEXT:
        if (strlen(value) >= sizeof c->data) return nf_fail(NF_ERR_FORMAT, "%s: %s.%s is too long", origin, k->section, k->name);
        snprintf(field, sizeof c->data, "%s", value);
        return NF_OK;
    case T_U64: {
        char *end;
        errno = 0;
        unsigned long long u = strtoull(value, &end, 10);
        if (end == value || *end || errno || value[0] < '0' || value[0] > '9') /* strtoull reads " -1" as 2^64-1 */
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
    for (const key_def *o = k + 1; !dot && o < keys + N_KEYS; o++)
        if (!strcmp(o->name, name))
            return nf_fail(NF_ERR_FORMAT, "%s: key %s is in two sections, [%s] and [%s]; say which (%s.%s or %s.%s)", origin,
                           name, k->section, o->section, k->section, name, o->section, name);
    return set_value(c, k, value, origin);
}

/* ==== the file =========================================================== */

/* nasfit reads the file itself rather than through libinih: Debian's
 * libinih is built with a 200-byte line limit (INI_MAX_LINE is compiled
 * into the library, not a header setting) and parses the rest of a longer
 * line as a line of its own, so a long comment could smuggle a setting in
 * and a stored data path over ~190 characters made a run unresumable. The
 * format is the one libinih read here: [section] lines, key = value (or
 * key: value) lines, whole-line comments starting with ; or #, blank
 * lines, an optional UTF-8 byte order mark. Lines have no length limit;
 * the file is bounded as a whole (NF_CONFIG_MAX_BYTES). */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\f' || *s == '\v') s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\f' || e[-1] == '\v')) *--e = 0;
    return s;
}

static nf_status config_line(nf_fit_config *c, char *line, char *section, size_t cap, const char *source, long n)
{
    char *s = trim(line);
    if (!*s || *s == ';' || *s == '#') return NF_OK;
    if (*s == '[') {
        char *close = strchr(s, ']');
        if (!close || *trim(close + 1)) return nf_fail(NF_ERR_FORMAT, "%s:%ld: not a [section] or key = value line", source, n);
        *close = 0;
        char *name = trim(s + 1);
        int known = 0;
        for (size_t i = 0; i < N_KEYS; i++) known |= !strcmp(keys[i].section, name);
        if (!known) return nf_fail(NF_ERR_FORMAT, "%s:%ld: unknown section [%.64s]", source, n, name);
        snprintf(section, cap, "%s", name);
        return NF_OK;
    }
    char *eq = s + strcspn(s, "=:");
    if (!*eq) return nf_fail(NF_ERR_FORMAT, "%s:%ld: not a [section] or key = value line", source, n);
    *eq = 0;
    char *name = trim(s), *value = trim(eq + 1);
    if (!*name) return nf_fail(NF_ERR_FORMAT, "%s:%ld: not a [section] or key = value line", source, n);
    if (!*section) return nf_fail(NF_ERR_FORMAT, "%s:%ld: key %.64s is outside any [section]", source, n, name);
    if (!find_key(section, name))
        return nf_fail(NF_ERR_FORMAT, "%s:%ld: unknown key %.64s in [%s] (configs/default.conf lists every key)", source, n,
                       name, section);
    char key[96], where[64];
    snprintf(key, sizeof key, "%s.%s", section, name);
    snprintf(where, sizeof where, "line %ld", n);
    nf_status st = nf_config_set(c, key, value, where);
    if (!st) return NF_OK;
    char detail[768];
    snprintf(detail, sizeof detail, "%s", nf_last_error() + strlen(where) + 2); /* drop "line N: " */
    return nf_fail(st, "%s:%ld: %s", source, n, detail);
}

/* text[0..len) line by line over a copy of *c, adopted only when every line is good. */
static nf_status config_text(char *text, size_t len, const char *source, nf_fit_config *c)
{
    const char *nul = memchr(text, 0, len);
    if (nul) {
        long line = 1;
        for (const char *p = text; p < nul; p++) line += *p == '\n';
        return nf_fail(NF_ERR_FORMAT, "%s:%ld: holds a NUL byte (at offset %zu); not a configuration", source, line,
                       (size_t)(nul - text));
    }
    if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) text += 3;
    nf_fit_config copy = *c;
    char section[32] = "";
    long n = 1;
    nf_status st = NF_OK;
    for (char *line = text; line && !st; n++) {
        char *next = strchr(line, '\n');
        if (next) *next++ = 0;
        st = config_line(&copy, line, section, sizeof section, source, n);
        line = next;
    }
    if (!st) *c = copy;
    return st;
}

nf_status nf_config_read(const char *path, nf_fit_config *c)
{
    unsigned char *text;
    size_t len;
    nf_status st = nf_file_read_max(path, NF_CONFIG_MAX_BYTES, &text, &len);
    if (st) return st;
    st = config_text((char *)text, len, path, c);
    free(text);
    return st;
}

nf_status nf_config_parse(const char *text, const char *source, nf_fit_config *c)
{
    size_t len = strlen(text);
    if (len > NF_CONFIG_MAX_BYTES) return nf_fail(NF_ERR_FORMAT, "%s: %zu bytes, more than a configuration has", source, len);
    char *copy = strdup(text);
    if (!copy) return nf_fail(NF_ERR_NOMEM, "%s: out of memory", source);
    nf_status st = config_text(copy, len, source, c);
    free(copy);
    return st;
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
    case T_TEXT: case T_FILE: fprintf(f, "%s", (const char *)field); break;
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
