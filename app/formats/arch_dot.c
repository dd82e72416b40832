#include "app/formats/arch_dot.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/formats/fileio.h"
#include "engine/op.h"

extern char **environ;

/* A growing text; failed once any append could not allocate. */
typedef struct text {
    char *p;
    size_t len, cap;
    int failed;
} text;

static void add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(text *t, const char *fmt, ...)
{
    if (t->failed) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || (t->len + n + 1 > t->cap && !(t->p = realloc(t->p, t->cap = 2 * (t->len + n + 1))))) {
        t->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(t->p + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

/* "1,234,567" */
static const char *grouped(size_t v, char *buf)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%zu", v), o = 0;
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = 0;
    return buf;
}

/* The first line of a vertex's label: its kind and own attributes. */
static void describe(const nf_vertex *v, char *buf, size_t size)
{
    switch (v->op) {
    case NF_OP_CONV2D:
        snprintf(buf, size, "conv %dx%d%s, %d%s", v->attr.kernel, v->attr.kernel, v->attr.stride == 2 ? " /2" : "",
                 v->nout, v->attr.bias ? " +bias" : "");
        break;
    case NF_OP_DENSE: snprintf(buf, size, "dense %d%s", v->nout, v->attr.bias ? " +bias" : ""); break;
    case NF_OP_ACT: snprintf(buf, size, "%s", nf_act_name(v->attr.act)); break;
    case NF_OP_MAXPOOL: snprintf(buf, size, "maxpool 2x2 /2"); break;
    case NF_OP_AVGPOOL: snprintf(buf, size, "avgpool 2x2 /2"); break;
    case NF_OP_GAP: snprintf(buf, size, "global avg pool"); break;
    case NF_OP_DROPOUT: snprintf(buf, size, "dropout %g", v->attr.rate); break;
    default: snprintf(buf, size, "%s", nf_op_name(v->op)); break;
    }
}

static const char *fill_of(nf_kind kind, nf_op op)
{
    if (kind == NF_KIND_INPUT) return "#c7e9c0";
    if (kind == NF_KIND_LAYER) return op == NF_OP_CONV2D ? "#9ecae1" : "#c6dbef";
    if (kind == NF_KIND_CONCAT || kind == NF_KIND_ADD) return "#fdd0a2";
    return "#f0f0f0";
}

nf_status nf_arch_to_dot(const nf_graph *g, const char *title, char **dot)
{
    *dot = NULL;
    text t = {0};
    char num[40], what[96];
    add(&t, "digraph nasfit {\n  rankdir=TB;\n  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", "
            "fontsize=11];\n  edge [color=\"#555555\"];\n");
    add(&t, "  labelloc=t;\n  fontname=\"Helvetica\";\n  label=\"%s%s%s parameters\";\n", title ? title : "", title ? "\\n" : "",
        grouped(g->n_param, num));
    for (int i = 0; i < g->n; i++) {
        const nf_vertex *v = &g->v[i];
        const nf_op_def *d = nf_op_def_of(v->op);
        size_t params = d->n_param ? d->n_param(v) : 0;
        describe(v, what, sizeof what);
        add(&t, "  v%d [label=\"%s\\n%dx%dx%d", v->id, what, v->h, v->w, v->nout);
        if (params) add(&t, " | %s params", grouped(params, num));
        add(&t, "\", fillcolor=\"%s\"];\n", fill_of(d->kind, v->op));
    }
    for (int i = 1; i < g->n; i++)
        for (int k = 0; k < g->v[i].n_inputs; k++) add(&t, "  v%d -> v%d;\n", g->v[g->v[i].inputs[k]].id, g->v[i].id);
    add(&t, "}\n");
    if (t.failed) { free(t.p); return nf_fail(NF_ERR_NOMEM, "out of memory writing DOT"); }
    *dot = t.p;
    return NF_OK;
}

nf_status nf_dot_render_png(const char *dot, const char *png_path)
{
    char tmp[] = "/tmp/nasfit-dot-XXXXXX";
    int fd = mkstemp(tmp);
    if (fd < 0) return nf_fail(NF_ERR_IO, "%s: cannot create a temporary file: %s", png_path, strerror(errno));
    size_t len = strlen(dot);
    int ok = write(fd, dot, len) == (ssize_t)len;
    close(fd);
    nf_status st = ok ? NF_OK : nf_fail(NF_ERR_IO, "%s: cannot write a temporary file", png_path);
    char *argv[] = {"dot", "-Tpng", "-o", (char *)png_path, tmp, NULL};
    pid_t pid;
    int status = 0, err = st ? 0 : posix_spawnp(&pid, "dot", NULL, NULL, argv, environ);
    if (!st && err)
        st = nf_fail(NF_ERR_IO, "%s: cannot run Graphviz's dot (%s); install graphviz, or write .dot with -o FILE.dot",
                     png_path, strerror(err));
    else if (!st && (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0))
        st = nf_fail(NF_ERR_IO, "%s: Graphviz's dot failed (status %d)%s", png_path, WEXITSTATUS(status),
                     WEXITSTATUS(status) == 127 ? ": is graphviz installed?" : "");
    remove(tmp);
    return st;
}

/* Runs dot with argv (argv[0] "dot") and its standard output into the
 * file `out` (with several graphs, dot 2.43 writes only the first to -o
 * FILE and the others to standard output); the status names `what`. */
static nf_status run_dot(char **argv, const char *out, const char *what)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int status = 0, err = posix_spawn_file_actions_init(&fa);
    if (!err) err = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out, O_WRONLY | O_TRUNC, 0);
    if (!err) err = posix_spawnp(&pid, "dot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err) return nf_fail(NF_ERR_IO, "%s: cannot run Graphviz's dot (%s); install graphviz", what, strerror(err));
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return nf_fail(NF_ERR_IO, "%s: Graphviz's dot failed (status %d)", what, WEXITSTATUS(status));
    return NF_OK;
}

/* Removes every occurrence of cut from s, in place. */
static void cut_all(char *s, const char *cut)
{
    size_t n = strlen(cut);
    for (char *p; (p = strstr(s, cut));) memmove(p, p + n, strlen(p + n) + 1);
}

/* The <svg ...>...</svg> element starting at the first "<svg" at or after
 * *at, cleaned for inlining; *at moves past it. NULL when there is none. */
static char *next_svg(const char **at)
{
    const char *start = strstr(*at, "<svg"), *end = start ? strstr(start, "</svg>") : NULL;
    if (!end) return NULL;
    end += strlen("</svg>");
    size_t len = (size_t)(end - start);
    char *svg = malloc(len + sizeof " class=\"arch\"");
    if (!svg) return NULL;
    memcpy(svg, "<svg class=\"arch\"", 17);
    memcpy(svg + 17, start + 4, len - 4);
    svg[len + 13] = 0;
    cut_all(svg, " xmlns=\"http://www.w3.org/2000/svg\"");
    cut_all(svg, " xmlns:xlink=\"http://www.w3.org/1999/xlink\"");
    *at = end;
    return svg;
}

nf_status nf_dot_render_svgs(char *const *dots, int n, char **svgs)
{
    for (int i = 0; i < n; i++) svgs[i] = NULL;
    if (n == 0) return NF_OK;
    char in[] = "/tmp/nasfit-dot-XXXXXX", out[] = "/tmp/nasfit-svg-XXXXXX";
    int fd = mkstemp(in), ofd = mkstemp(out);
    nf_status st = fd < 0 || ofd < 0 ? nf_fail(NF_ERR_IO, "cannot create a temporary file: %s", strerror(errno)) : NF_OK;
    if (ofd >= 0) close(ofd);
    for (int i = 0; i < n && !st; i++) {
        size_t len = strlen(dots[i]);
        if (write(fd, dots[i], len) != (ssize_t)len) st = nf_fail(NF_ERR_IO, "%s: cannot write a temporary file", in);
    }
    if (fd >= 0) close(fd);
    char *argv[] = {"dot", "-Tsvg", in, NULL};
    if (!st) st = run_dot(argv, out, "drawing the architectures");
    unsigned char *bytes = NULL;
    size_t len;
    if (!st) st = nf_file_read(out, &bytes, &len);
    const char *at = (const char *)bytes;
    for (int i = 0; i < n && !st; i++)
        if (!(svgs[i] = next_svg(&at))) st = nf_fail(NF_ERR_IO, "Graphviz's dot drew %d of %d graphs", i, n);
    if (st)
        for (int i = 0; i < n; i++) { free(svgs[i]); svgs[i] = NULL; }
    free(bytes);
    if (fd >= 0) remove(in);
    if (ofd >= 0) remove(out);
    return st;
}
