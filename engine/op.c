#include "engine/op.h"

#include <string.h>

const nf_op_def *const nf_op_table[NF_OP_COUNT] = {
    [NF_OP_INPUT] = &nf_op_input,
    [NF_OP_CONV2D] = &nf_op_conv2d,
    [NF_OP_DENSE] = &nf_op_dense,
    [NF_OP_BATCHNORM] = &nf_op_batchnorm,
    [NF_OP_ACT] = &nf_op_act,
    [NF_OP_MAXPOOL] = &nf_op_maxpool,
    [NF_OP_AVGPOOL] = &nf_op_avgpool,
    [NF_OP_GAP] = &nf_op_gap,
    [NF_OP_DROPOUT] = &nf_op_dropout,
    [NF_OP_CONCAT] = &nf_op_concat,
    [NF_OP_ADD] = &nf_op_add,
};

void nf_op_dx_begin(const nf_op_call *c, int k)
{
    if (c->dx[k] && !c->dx_add[k]) memset(c->dx[k]->data, 0, nf_tensor_count(c->dx[k]) * sizeof(float));
}

void nf_op_add_bias(nf_tensor *y, const float *b)
{
    size_t plane = nf_tensor_plane(y);
    for (int o = 0; o < y->c; o++) {
        float *row = y->data + (size_t)o * plane;
        for (size_t p = 0; p < plane; p++) row[p] += b[o];
    }
}

void nf_op_bias_grad(const nf_tensor *dy, float *db)
{
    size_t plane = nf_tensor_plane(dy);
    for (int o = 0; o < dy->c; o++) {
        const float *row = dy->data + (size_t)o * plane;
        float s = 0.0f;
        for (size_t p = 0; p < plane; p++) s += row[p];
        db[o] += s;
    }
}

const nf_attr_desc nf_op_no_attrs[] = {{NULL}};

double nf_op_flops_pass(const nf_vertex *v, const nf_vertex *in)
{
    double out = (double)v->nout * v->h * v->w, read = in ? (double)in->nout * in->h * in->w : 0;
    return read > out ? read : out;
}

int nf_op_brief_none(const nf_vertex *v, char *buf, size_t cap)
{
    (void)v;
    if (cap) buf[0] = 0;
    return 0;
}

void nf_graph_brief(const nf_graph *g, char *buf, size_t cap)
{
    size_t at = 0;
    buf[0] = 0;
    for (int i = 1; i < g->n && at + 1 < cap; i++) {
        int n = nf_op_def_of(g->v[i].op)->brief(&g->v[i], buf + at, cap - at);
        if (n < 0 || (size_t)n >= cap - at) break;
        at += (size_t)n;
    }
    buf[at] = 0;
    if (at > 0 && buf[at - 1] == ' ') buf[at - 1] = 0;
}

double nf_attr_get(const nf_attr *a, const nf_attr_desc *d)
{
    const char *p = (const char *)a + d->offset;
    switch (d->type) {
    case NF_ATTR_REAL: return *(const float *)p;
    case NF_ATTR_ACT: return *(const nf_act *)p;
    default: return *(const int *)p;
    }
}

void nf_attr_set(nf_attr *a, const nf_attr_desc *d, double value)
{
    char *p = (char *)a + d->offset;
    switch (d->type) {
    case NF_ATTR_REAL: *(float *)p = (float)value; break;
    case NF_ATTR_ACT:
        *(nf_act *)p = (nf_act)value;
        a->alpha = (nf_act)value == NF_ACT_ELU ? 1.0f : 0.01f;
        break;
    default: *(int *)p = (int)value; break;
    }
}

/* What every op must define, by kind: the table is declared with
 * NF_OP_COUNT entries, so a forgotten op is a NULL entry that compiles;
 * this check (run by tests/test_ops.c) is what catches it. */
const char *nf_op_def_missing(const nf_op_def *d)
{
    if (!d) return "its table entry";
    if (!d->name || !d->name[0]) return "a name";
    if (!d->attrs) return "attrs (its attributes for files; nf_op_no_attrs if none)";
    if (!d->flops) return "flops";
    if (d->kind == NF_KIND_INPUT) return NULL;
    if (!d->brief) return "brief (nf_op_brief_none to leave it out)";
    if (!d->forward || !d->backward) return "forward and backward";
    if (d->kind == NF_KIND_LAYER && (!d->n_param || !d->init || !d->identity || !d->param_blocks))
        return "n_param, init, identity and param_blocks (a layer)";
    if (d->n_param && !d->param_blocks) return "param_blocks (it has parameters)";
    if (d->n_state && !d->state_blocks) return "state_blocks (it has state)";
    return NULL;
}

nf_status nf_op_table_check(void)
{
    for (int op = 0; op < NF_OP_COUNT; op++) {
        const char *missing = nf_op_def_missing(nf_op_table[op]);
        if (missing) return nf_fail(NF_ERR_GRAPH, "op %d (%s) lacks %s", op, nf_op_table[op] && nf_op_table[op]->name ? nf_op_table[op]->name : "?", missing);
        if (op == NF_OP_INPUT ? nf_op_table[op]->kind != NF_KIND_INPUT : nf_op_table[op]->kind == NF_KIND_INPUT)
            return nf_fail(NF_ERR_GRAPH, "op %d (%s): only the input op has the input kind", op, nf_op_table[op]->name);
    }
    return NF_OK;
}
