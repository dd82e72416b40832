#include "app/arch_dot.h"

#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/fileio.h"
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
