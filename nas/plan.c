#include "nas/plan.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/clock.h"
#include "engine/graph_edit.h"
#include "engine/neuron_value.h"
#include "nas/groups.h"
#include "nas/milp.h"

/* A keep reference: a column number (>= 1, GLPK numbering) or a constant. */
#define REF_ONE (-1)
#define REF_ZERO (-2)

/* Objective values of harmful neurons: below every rescaled positive value
 * ([0.1, 1]), a non-finite one far below, so they go first. */
#define VAL_NEGATIVE (-1.0)
#define VAL_NONFINITE (-10.0)

/* Columns a program can have: per group in it, its n keep columns and at
 * most COLS_PER_GROUP more (an insertion count, the two deviation columns
 * over and under, one spare); COLS_FIXED more overall (the largest
 * deviation, spares). The bound sizes the row accumulator before building. */
#define COLS_PER_GROUP 4
#define COLS_FIXED 8

/* Upper bound of a new-neuron count, beyond the sizes and targets of the
 * groups in the program: GLPK's bound tightening needs finite bounds, and
 * no useful plan adds more than the program's neurons plus this. */
#define NEW_SLACK 16

nf_plan_params nf_plan_defaults(void)
{
    return (nf_plan_params){.time_limit_ms = 1000, .relax = 1, .value = NULL, .new_cost = 0.01,
                            .w_sum = 1.0, .w_max = 1.0, .w_target = 1000.0, .stats = NULL};
}

/* ==== the program's pieces ============================================== */

/* One neuron group. */
typedef struct group {
    int n;         /* existing neurons (slots) */
    int definer;   /* the first multi-input concat in the group, or -1 */
    int fixed;     /* holds the input or the output vertex: unchanged */
    int drop;      /* the stand-in for a dropped concat input: everything goes */
    int standin;   /* the stand-in for an inserted concat input: only new neurons, tied to `from` */
    int prog;      /* entered the nf_milp */
    int state;     /* resolution: 0 not yet, 1 in progress, 2 done */
    int target;    /* requested size, or -1 */
    int insert_at; /* base group: new neurons go after old slot insert_at (-1: in front) */
    int harmful;   /* slots with negative or non-finite value */
    int shift;     /* size change a pending concat edit brings (dropped or inserted block) */
    int *keep;     /* n keep references */
    int ng;        /* insertion positions */
    int *gpos;     /* ng positions: new neurons after old slot gpos[k], sorted */
    int *gcol;     /* ng columns counting them */
} group;


typedef struct builder {
    const nf_graph *g;
    const nf_plan_request *r;
    const nf_plan_params *p;
    int soft;          /* targets as penalised deviations */
    int nv;            /* plan vertices: the graph's, then the stand-in */
    int *edited;       /* the edited concat's input list (or NULL) */
    int n_edited;
    int *cls;          /* vertex -> group */
    int ngr;
    group *gr;
    double max_new;    /* upper bound of every new-neuron count (keeps GLPK's bound tightening finite) */
    nf_milp pr;
    double *acc;       /* per column accumulator for one row */
    int *touched, ntouched;
    char *seen;
    int acc_cols;      /* columns acc, touched and seen hold (1..acc_cols) */
    int overflow;      /* a column beyond acc_cols reached a row: the program is refused */
} builder;

static int vin_count(const builder *b, int i)
{
    if (b->edited && i == b->r->concat) return b->n_edited;
    if (i >= b->g->n) return 0;
    return b->g->v[i].n_inputs;
}

static int vin(const builder *b, int i, int k)
{
    if (b->edited && i == b->r->concat) return b->edited[k];
    return b->g->v[i].inputs[k];
}

static nf_kind vkind(const builder *b, int i)
{
    return i >= b->g->n ? NF_KIND_LAYER : nf_graph_kind(b->g, i);
}

static int vnout(const builder *b, int i)
{
    if (i < b->g->n) return b->g->v[i].nout;
    return b->r->edit == NF_PLAN_EDIT_CONCAT_DROP ? b->g->v[b->g->v[b->r->concat].inputs[b->r->pos]].nout : 0;
}

static int shares(const builder *b, int i)
{
    nf_kind k = vkind(b, i);
    return k == NF_KIND_TRANSPARENT || k == NF_KIND_ADD || (k == NF_KIND_CONCAT && vin_count(b, i) == 1);
}

static int multi_concat(const builder *b, int i)
{
    return vkind(b, i) == NF_KIND_CONCAT && vin_count(b, i) > 1;
}

/* ---- rows through a sparse accumulator ---------------------------------- */

static void acc_add(builder *b, int col, double coef)
{
    if (col == REF_ONE || col == REF_ZERO) return;
    col = nf_milp_root(&b->pr, col);
    if (col < 1 || col > b->acc_cols) { b->overflow = 1; return; } /* checked before any index */
    if (!b->seen[col]) { b->seen[col] = 1; b->touched[b->ntouched++] = col; b->acc[col] = 0; }
    b->acc[col] += coef;
}

/* Emits sum(acc) + constant (type) rhs as a row and clears the accumulator. */
static void acc_emit(builder *b, double constant, char type, double rhs)
{
    nf_milp *pr = &b->pr;
    rhs -= constant;
    int nz = 0;
    for (int k = 0; k < b->ntouched; k++)
        if (b->acc[b->touched[k]] != 0) nz++;
    if (nz == 0) {
        int ok = type == 'E' ? fabs(rhs) < 1e-9 : type == 'G' ? 0 >= rhs - 1e-9 : 0 <= rhs + 1e-9;
        if (!ok) pr->infeasible = 1;
    } else {
        int c1 = pr->caprow, c2 = pr->caprow, c3 = pr->capnz, c4 = pr->capnz, c5 = pr->capnz;
        if (nf_milp_grow((void **)&pr->rtype, &c1, pr->nrow + 2, 1) || nf_milp_grow((void **)&pr->rhs, &c2, pr->nrow + 2, sizeof(double)) ||
            nf_milp_grow((void **)&pr->ia, &c3, pr->nnz + nz + 2, sizeof(int)) ||
            nf_milp_grow((void **)&pr->ja, &c4, pr->nnz + nz + 2, sizeof(int)) ||
            nf_milp_grow((void **)&pr->ar, &c5, pr->nnz + nz + 2, sizeof(double))) {
            pr->nomem = 1;
        } else {
            pr->caprow = c1; pr->capnz = c3;
            int row = ++pr->nrow;
            pr->rtype[row] = type; pr->rhs[row] = rhs;
            for (int k = 0; k < b->ntouched; k++) {
                int col = b->touched[k];
                if (b->acc[col] == 0) continue;
                pr->nnz++;
                pr->ia[pr->nnz] = row; pr->ja[pr->nnz] = col; pr->ar[pr->nnz] = b->acc[col];
            }
        }
    }
    for (int k = 0; k < b->ntouched; k++) b->seen[b->touched[k]] = 0;
    b->ntouched = 0;
}

/* Adds coef * size(group) to the accumulator; returns coef * its constant part. */
static double acc_size(builder *b, const group *gr, double coef)
{
    double constant = 0;
    for (int s = 0; s < gr->n; s++) {
        if (gr->keep[s] == REF_ONE) constant += coef;
        else acc_add(b, gr->keep[s], coef);
    }
    for (int k = 0; k < gr->ng; k++) acc_add(b, gr->gcol[k], coef);
    return constant;
}

/* Allocates the accumulator for up to ncol columns (an upper bound on
 * every column the program can get). */
static nf_status acc_setup(builder *b, int ncol)
{
    int n = ncol + 1;
    b->acc = malloc((size_t)n * sizeof *b->acc);
    b->touched = malloc((size_t)n * sizeof *b->touched);
    b->seen = calloc((size_t)n, 1);
    b->ntouched = 0;
    b->acc_cols = ncol;
    if (!b->acc || !b->touched || !b->seen) return nf_fail(NF_ERR_NOMEM, "cannot allocate a plan row");
    return NF_OK;
}

/* ==== groups ============================================================== */

static int view_n_inputs(const void *ctx, int i) { return vin_count(ctx, i); }
static int view_input(const void *ctx, int i, int k) { return vin(ctx, i, k); }
static int view_shares(const void *ctx, int i) { return shares(ctx, i); }

static nf_status make_groups(builder *b)
{
    const nf_graph *g = b->g;
    b->cls = malloc((size_t)b->nv * sizeof *b->cls);
    if (!b->cls) return nf_fail(NF_ERR_NOMEM, "cannot number groups");
    nf_groups_view view = {.n = b->nv, .n_inputs = view_n_inputs, .input = view_input, .shares = view_shares, .ctx = b};
    int count;
    nf_status st = nf_groups_of(&view, b->cls, &count);
    if (st) return st;
    b->ngr = count;
    b->gr = calloc((size_t)count, sizeof *b->gr);
    if (!b->gr) return nf_fail(NF_ERR_NOMEM, "cannot allocate %d groups", count);
    for (int c = 0; c < count; c++) { b->gr[c].n = -1; b->gr[c].definer = -1; b->gr[c].target = -1; }
    for (int i = 0; i < b->nv; i++) {
        group *gr = &b->gr[b->cls[i]];
        int n = vnout(b, i);
        if (gr->n < 0) { gr->n = n; gr->insert_at = n - 1; }
        else if (gr->n != n) return nf_fail(NF_ERR_GRAPH, "vertex %d: %d neurons, but its group has %d", i, n, gr->n);
        if (i == 0 || i == g->n - 1) gr->fixed = 1;
        if (i >= g->n && b->r->edit == NF_PLAN_EDIT_CONCAT_DROP) gr->drop = 1;
        if (i >= g->n && b->r->edit == NF_PLAN_EDIT_CONCAT_INSERT) gr->standin = 1;
        if (gr->definer < 0 && multi_concat(b, i)) gr->definer = i;
    }
    return NF_OK;
}

/* Marks the groups linked to the request (through concats and ties). */
static nf_status select_program(builder *b)
{
    /* Links: a multi-input concat joins its group to each input's group. */
    int nlink = 0;
    for (int i = 1; i < b->nv; i++)
        if (multi_concat(b, i)) nlink += 2 * vin_count(b, i);
    nlink += 2 * b->r->n_ties + 2;
    int *deg = calloc((size_t)b->ngr + 1, sizeof *deg), *adj = malloc((size_t)nlink * sizeof *adj);
    int *queue = malloc((size_t)b->ngr * sizeof *queue), *fill = NULL;
    if (!deg || !adj || !queue) goto nomem;
    int pairs = 0;
    int (*pa)[2] = malloc((size_t)(nlink / 2 + 1) * sizeof *pa);
    if (!pa) goto nomem;
    for (int i = 1; i < b->nv; i++)
        if (multi_concat(b, i))
            for (int k = 0; k < vin_count(b, i); k++) { pa[pairs][0] = b->cls[i]; pa[pairs][1] = b->cls[vin(b, i, k)]; pairs++; }
    for (int t = 0; t < b->r->n_ties; t++) { pa[pairs][0] = b->cls[b->r->ties[t].a]; pa[pairs][1] = b->cls[b->r->ties[t].b]; pairs++; }
    if (b->r->edit == NF_PLAN_EDIT_CONCAT_INSERT) { pa[pairs][0] = b->cls[b->g->n]; pa[pairs][1] = b->cls[b->r->from]; pairs++; }
    for (int k = 0; k < pairs; k++) { deg[pa[k][0] + 1]++; deg[pa[k][1] + 1]++; }
    for (int c = 0; c < b->ngr; c++) deg[c + 1] += deg[c];
    fill = malloc((size_t)b->ngr * sizeof *fill);
    if (!fill) { free(pa); goto nomem; }
    memcpy(fill, deg, (size_t)b->ngr * sizeof *fill);
    for (int k = 0; k < pairs; k++) { adj[fill[pa[k][0]]++] = pa[k][1]; adj[fill[pa[k][1]]++] = pa[k][0]; }
    free(pa);
    int head = 0, tail = 0;
#define SEED(c) do { int c_ = (c); if (!b->gr[c_].prog) { b->gr[c_].prog = 1; queue[tail++] = c_; } } while (0)
    for (int t = 0; t < b->r->n_targets; t++) SEED(b->cls[b->r->targets[t].vertex]);
    for (int t = 0; t < b->r->n_ties; t++) { SEED(b->cls[b->r->ties[t].a]); SEED(b->cls[b->r->ties[t].b]); }
    if (b->r->edit != NF_PLAN_EDIT_NONE) { SEED(b->cls[b->r->concat]); SEED(b->cls[b->g->n]); }
    /* Groups holding harmful neurons are not seeds: only reachable ones are cleaned. */
#undef SEED
    while (head < tail) {
        int c = queue[head++];
        for (int k = deg[c]; k < deg[c + 1]; k++)
            if (!b->gr[adj[k]].prog) { b->gr[adj[k]].prog = 1; queue[tail++] = adj[k]; }
    }
    free(deg); free(adj); free(queue); free(fill);
    return NF_OK;
nomem:
    free(deg); free(adj); free(queue); free(fill);
    return nf_fail(NF_ERR_NOMEM, "cannot link %d groups", b->ngr);
}

/* Appends the keep references and insertion positions of concat vertex i. */
static nf_status concat_refs(builder *b, int i, int *keep, int *ng, int **gpos, int **gcol);

static nf_status resolve(builder *b, int c);

/* Ties the group's references to another concat's. Pass 0 merges what can
 * be merged (equal keep columns, single insertion columns) or fixed; pass 1
 * emits rows for the insertion totals that remain different. */
static nf_status tie_concat(builder *b, group *gr, int i, int pass)
{
    nf_milp *pr = &b->pr;
    int *keep = malloc((size_t)(gr->n > 0 ? gr->n : 1) * sizeof *keep), ng = 0, *gpos = NULL, *gcol = NULL;
    if (!keep) return nf_fail(NF_ERR_NOMEM, "cannot tie concat %d", i);
    nf_status st = concat_refs(b, i, keep, &ng, &gpos, &gcol);
    if (st) { free(keep); free(gpos); free(gcol); return st; }
    for (int s = 0; s < gr->n && pass == 0; s++) {
        int x = nf_milp_root(pr, gr->keep[s]), y = nf_milp_root(pr, keep[s]);
        if (x == y) continue;
        if (x > 0 && y > 0) nf_milp_union(pr, x, y);
        else if (x > 0) nf_milp_fix(pr, x, y == REF_ONE);
        else if (y > 0) nf_milp_fix(pr, y, x == REF_ONE);
        else pr->infeasible = 1;
    }
    int a = 0, c = 0;
    while (a < gr->ng || c < ng) {
        int pos = a < gr->ng ? gr->gpos[a] : INT_MAX;
        if (c < ng && gpos[c] < pos) pos = gpos[c];
        int a0 = a, c0 = c;
        while (a < gr->ng && gr->gpos[a] == pos) a++;
        while (c < ng && gpos[c] == pos) c++;
        if (pass == 0) {
            if (a - a0 == 1 && c - c0 == 1) nf_milp_union(pr, gr->gcol[a0], gcol[c0]);
            else if (a - a0 == 1 && c == c0) nf_milp_fix(pr, gr->gcol[a0], 0);
            else if (c - c0 == 1 && a == a0) nf_milp_fix(pr, gcol[c0], 0);
            continue;
        }
        for (int k = a0; k < a; k++) acc_add(b, gr->gcol[k], 1);
        for (int k = c0; k < c; k++) acc_add(b, gcol[k], -1);
        acc_emit(b, 0, 'E', 0);
    }
    free(keep); free(gpos); free(gcol);
    return NF_OK;
}

static nf_status concat_refs(builder *b, int i, int *keep, int *ng, int **gpos, int **gcol)
{
    int total = 0, off = 0;
    for (int k = 0; k < vin_count(b, i); k++) {
        int c = b->cls[vin(b, i, k)];
        nf_status st = resolve(b, c);
        if (st) return st;
        total += b->gr[c].ng;
        off += b->gr[c].n;
    }
    if (off != b->gr[b->cls[i]].n) return nf_fail(NF_ERR_GRAPH, "concat %d: %d neurons, its inputs %d", i, b->gr[b->cls[i]].n, off);
    off = 0;
    *gpos = malloc((size_t)(total + 1) * sizeof **gpos);
    *gcol = malloc((size_t)(total + 1) * sizeof **gcol);
    if (!*gpos || !*gcol) return nf_fail(NF_ERR_NOMEM, "cannot resolve concat %d", i);
    *ng = 0;
    for (int k = 0; k < vin_count(b, i); k++) {
        const group *in = &b->gr[b->cls[vin(b, i, k)]];
        memcpy(keep + off, in->keep, (size_t)in->n * sizeof *keep);
        for (int q = 0; q < in->ng; q++) {
            (*gpos)[*ng] = in->gpos[q] + off;
            (*gcol)[*ng] = in->gcol[q];
            (*ng)++;
        }
        off += in->n;
    }
    return NF_OK;
}

/* Gives group c its keep references and insertion columns. */
static nf_status resolve(builder *b, int c)
{
    group *gr = &b->gr[c];
    if (gr->state == 2) return NF_OK;
    if (gr->state == 1) return nf_fail(NF_ERR_GRAPH, "neuron groups define each other through concats");
    gr->state = 1;
    gr->keep = malloc((size_t)(gr->n > 0 ? gr->n : 1) * sizeof *gr->keep);
    if (!gr->keep) return nf_fail(NF_ERR_NOMEM, "cannot allocate a group");
    nf_status st = NF_OK;
    if (gr->definer >= 0) {
        if ((st = concat_refs(b, gr->definer, gr->keep, &gr->ng, &gr->gpos, &gr->gcol))) return st;
        for (int k = 0; k < vin_count(b, gr->definer); k++) gr->shift += b->gr[b->cls[vin(b, gr->definer, k)]].shift;
        if (gr->fixed) {
            for (int s = 0; s < gr->n; s++)
                if (gr->keep[s] > 0) nf_milp_fix(&b->pr, gr->keep[s], 1);
                else if (gr->keep[s] == REF_ZERO) b->pr.infeasible = 1;
            for (int k = 0; k < gr->ng; k++) nf_milp_fix(&b->pr, gr->gcol[k], 0);
        }
    } else if (gr->drop || gr->fixed) {
        if (gr->drop) gr->shift = -gr->n;
        for (int s = 0; s < gr->n; s++) gr->keep[s] = gr->drop ? REF_ZERO : REF_ONE;
        gr->ng = 0;
    } else {
        for (int s = 0; s < gr->n; s++) gr->keep[s] = nf_milp_add_col(&b->pr, 'B', 0, 1, 0);
        gr->gpos = malloc(sizeof *gr->gpos);
        gr->gcol = malloc(sizeof *gr->gcol);
        if (!gr->gpos || !gr->gcol) return nf_fail(NF_ERR_NOMEM, "cannot allocate a group");
        gr->ng = 1;
        gr->gpos[0] = gr->insert_at;
        gr->gcol[0] = nf_milp_add_col(&b->pr, 'I', 0, b->max_new, -b->p->new_cost);
        if (gr->standin) gr->shift = b->g->v[b->r->from].nout;
    }
    if (b->pr.nomem) return nf_fail(NF_ERR_NOMEM, "cannot grow the program");
    gr->state = 2;
    return NF_OK;
}

/* ==== values ============================================================== */

/* Adds the group's neuron values to the objective of its keep columns. */
static nf_status add_values(builder *b, int **members, const int *nmem, int c, double *raw, char *kind)
{
    group *gr = &b->gr[c];
    const nf_graph *g = b->g;
    const float *src = b->p->value ? b->p->value : g->value;
    int supplied = b->p->value != NULL;
    double maxpos = 0;
    for (int s = 0; s < gr->n; s++) {
        double sum = 0;
        int cnt = 0, harm = 0;
        for (int m = 0; m < nmem[c]; m++) {
            const nf_vertex *v = &g->v[members[c][m]];
            if (!src || v->value_off == NF_GRAPH_NO_SLICE || v->value_off + (size_t)gr->n > g->n_value) continue;
            float x = src[v->value_off + s];
            if (!isfinite(x)) harm = 2 > harm ? 2 : harm;
            else if (x < 0) { if (supplied) harm = harm > 1 ? harm : 1; }
            else { sum += x; cnt++; }
        }
        if (harm) { kind[s] = 'h'; raw[s] = harm == 2 ? VAL_NONFINITE : VAL_NEGATIVE; gr->harmful++; continue; }
        if (cnt) { kind[s] = 'm'; raw[s] = sum / cnt; }
        else if (gr->definer < 0) {
            double norm = 0;
            int layers = 0;
            for (int m = 0; m < nmem[c]; m++)
                if (nf_graph_kind(g, members[c][m]) == NF_KIND_LAYER) {
                    norm += nf_value_weight_norm(g, members[c][m], s);
                    layers++;
                }
            kind[s] = 'm';
            raw[s] = layers ? norm / layers : 1.0;
        } else {
            kind[s] = '-';
            raw[s] = 0;
        }
        if (kind[s] == 'm' && raw[s] > maxpos) maxpos = raw[s];
    }
    for (int s = 0; s < gr->n; s++) {
        if (kind[s] == '-' || gr->keep[s] <= 0) continue;
        double v = kind[s] == 'h' ? raw[s] : maxpos > 0 ? 0.1 + 0.9 * raw[s] / maxpos : 1.0;
        b->pr.cobj[nf_milp_root(&b->pr, gr->keep[s])] += v;
        /* A growth request keeps every neuron that is not harmful. */
        if (b->r->keep_all && kind[s] != 'h') nf_milp_fix(&b->pr, gr->keep[s], 1);
    }
    return NF_OK;
}

static nf_status objective_values(builder *b)
{
    int *nmem = calloc((size_t)b->ngr, sizeof *nmem), **members = calloc((size_t)b->ngr, sizeof *members);
    int maxn = 1;
    nf_status st = NF_OK;
    if (!nmem || !members) { st = nf_fail(NF_ERR_NOMEM, "cannot list group members"); goto out; }
    for (int i = 0; i < b->g->n; i++) if (b->gr[b->cls[i]].prog) nmem[b->cls[i]]++;
    for (int c = 0; c < b->ngr; c++) {
        if (b->gr[c].n > maxn) maxn = b->gr[c].n;
        if (b->gr[c].prog && nmem[c] && !(members[c] = malloc((size_t)nmem[c] * sizeof **members))) {
            st = nf_fail(NF_ERR_NOMEM, "cannot list group members");
            goto out;
        }
        nmem[c] = 0;
    }
    for (int i = 0; i < b->g->n; i++) if (b->gr[b->cls[i]].prog) members[b->cls[i]][nmem[b->cls[i]]++] = i;
    double *raw = malloc((size_t)maxn * sizeof *raw);
    char *kind = malloc((size_t)maxn);
    if (!raw || !kind) st = nf_fail(NF_ERR_NOMEM, "cannot value neurons");
    for (int c = 0; c < b->ngr && !st; c++)
        if (b->gr[c].prog && !b->gr[c].fixed && !b->gr[c].drop) st = add_values(b, members, nmem, c, raw, kind);
    free(raw); free(kind);
out:
    if (members) for (int c = 0; c < b->ngr; c++) free(members[c]);
    free(members); free(nmem);
    return st;
}

/* ==== rows ================================================================ */

static nf_status size_rows(builder *b)
{
    const nf_plan_request *r = b->r;
    nf_milp *pr = &b->pr;
    int tmax = 0;
    for (int c = 0; c < b->ngr; c++) {
        group *gr = &b->gr[c];
        if (!gr->prog || gr->drop) continue;
        double k;
        if (!gr->fixed) {
            k = acc_size(b, gr, 1);
            acc_emit(b, k, 'G', 1);
        }
        if (gr->target >= 0 && !b->soft) {
            k = acc_size(b, gr, 1);
            acc_emit(b, k, 'E', gr->target);
            continue;
        }
        if (gr->fixed || gr->standin) continue;
        int soft_target = gr->target >= 0;
        double want = soft_target ? gr->target : gr->n + gr->shift - gr->harmful;
        if (want < 1) want = 1;
        double w = soft_target ? b->p->w_target : b->p->w_sum / want;
        int over = nf_milp_add_col(pr, 'C', 0, HUGE_VAL, -w), under = nf_milp_add_col(pr, 'C', 0, HUGE_VAL, -w);
        k = acc_size(b, gr, 1);
        acc_add(b, over, -1);
        acc_add(b, under, 1);
        acc_emit(b, k, 'E', want);
        if (soft_target) continue;
        /* The largest relative deviation: tmax >= (over + under) / want. */
        if (!tmax) tmax = nf_milp_add_col(pr, 'C', 0, HUGE_VAL, -b->p->w_max);
        acc_add(b, over, 1 / want);
        acc_add(b, under, 1 / want);
        acc_add(b, tmax, -1);
        acc_emit(b, 0, 'L', 0);
    }
    /* Ties and the inserted concat block: equal sizes. */
    int nt = r->n_ties + (r->edit == NF_PLAN_EDIT_CONCAT_INSERT);
    for (int t = 0; t < nt; t++) {
        int a = t < r->n_ties ? r->ties[t].a : b->g->n, c = t < r->n_ties ? r->ties[t].b : r->from;
        if (b->cls[a] == b->cls[c]) continue;
        double k = acc_size(b, &b->gr[b->cls[a]], 1) + acc_size(b, &b->gr[b->cls[c]], -1);
        acc_emit(b, k, 'E', 0);
    }
    if (pr->nomem) return nf_fail(NF_ERR_NOMEM, "cannot grow the program");
    return NF_OK;
}

/* ==== building and solving ================================================ */

struct nf_plan {
    int n;             /* graph vertices */
    int *cls;          /* vertex -> group */
    int ngr;
    int **seq;         /* per group: new neuron sequence */
    int *len;          /* per group: its length */
    int changed;       /* some group differs from identity */
    nf_plan_stats stats;
};


static void builder_free(builder *b)
{
    if (b->gr)
        for (int c = 0; c < b->ngr; c++) { free(b->gr[c].keep); free(b->gr[c].gpos); free(b->gr[c].gcol); }
    free(b->gr); free(b->cls); free(b->edited);
    free(b->acc); free(b->touched); free(b->seen);
    nf_milp_free(&b->pr);
    memset(b, 0, sizeof *b);
}

static nf_status check_request(const nf_graph *g, const nf_plan_request *r)
{
    for (int t = 0; t < r->n_targets; t++) {
        const nf_plan_target *x = &r->targets[t];
        if (x->vertex < 0 || x->vertex >= g->n) return nf_fail(NF_ERR_ARG, "target vertex %d does not exist", x->vertex);
        if (x->size < 1) return nf_fail(NF_ERR_INFEASIBLE, "vertex %d cannot have %d neurons", x->vertex, x->size);
        if (x->insert_before < 0 || x->insert_before > g->v[x->vertex].nout + 1)
            return nf_fail(NF_ERR_ARG, "vertex %d: no old neuron %d to insert before", x->vertex, x->insert_before - 1);
    }
    for (int t = 0; t < r->n_ties; t++)
        if (r->ties[t].a < 0 || r->ties[t].a >= g->n || r->ties[t].b < 0 || r->ties[t].b >= g->n)
            return nf_fail(NF_ERR_ARG, "tie %d-%d names a missing vertex", r->ties[t].a, r->ties[t].b);
    if (r->edit == NF_PLAN_EDIT_NONE) return NF_OK;
    if (r->concat < 1 || r->concat >= g->n || g->v[r->concat].op != NF_OP_CONCAT)
        return nf_fail(NF_ERR_ARG, "vertex %d is not a concat", r->concat);
    const nf_vertex *c = &g->v[r->concat];
    if (r->edit == NF_PLAN_EDIT_CONCAT_INSERT) {
        if (r->pos < 0 || r->pos > c->n_inputs) return nf_fail(NF_ERR_ARG, "concat %d has no input position %d", r->concat, r->pos);
        if (r->from < 0 || r->from >= r->concat)
            return nf_fail(NF_ERR_ARG, "an edge %d -> %d would break topological order", r->from, r->concat);
    } else {
        if (r->pos < 0 || r->pos >= c->n_inputs) return nf_fail(NF_ERR_ARG, "concat %d has no input %d", r->concat, r->pos);
        if (c->n_inputs < 2) return nf_fail(NF_ERR_GRAPH, "concat %d would have no input left", r->concat);
    }
    return NF_OK;
}

/* Sets up plan vertices, groups, and the program's extent. */
static nf_status builder_init(builder *b, const nf_graph *g, const nf_plan_request *r, const nf_plan_params *p)
{
    memset(b, 0, sizeof *b);
    b->g = g; b->r = r; b->p = p;
    b->nv = g->n + (r->edit != NF_PLAN_EDIT_NONE);
    if (r->edit != NF_PLAN_EDIT_NONE) {
        const nf_vertex *c = &g->v[r->concat];
        b->edited = malloc((size_t)(c->n_inputs + 1) * sizeof *b->edited);
        if (!b->edited) return nf_fail(NF_ERR_NOMEM, "cannot plan a concat edit");
        int n = 0;
        for (int k = 0; k <= c->n_inputs; k++) {
            if (k == r->pos) b->edited[n++] = g->n; /* the stand-in */
            if (k < c->n_inputs && !(k == r->pos && r->edit == NF_PLAN_EDIT_CONCAT_DROP)) b->edited[n++] = c->inputs[k];
        }
        b->n_edited = n;
    }
    nf_status st = make_groups(b);
    if (st) return st;
    for (int t = 0; t < r->n_targets; t++) {
        group *gr = &b->gr[b->cls[r->targets[t].vertex]];
        if (gr->target >= 0 && gr->target != r->targets[t].size)
            return nf_fail(NF_ERR_INFEASIBLE, "vertex %d: two different sizes requested for one neuron group", r->targets[t].vertex);
        gr->target = r->targets[t].size;
        if (r->targets[t].insert_before > 0 && gr->definer >= 0)
            return nf_fail(NF_ERR_ARG, "vertex %d: its neurons are a concat's, whose inputs decide where new ones go; "
                                       "insert_before is not possible", r->targets[t].vertex);
        if (r->targets[t].insert_before > 0) gr->insert_at = r->targets[t].insert_before - 2;
    }
    return select_program(b);
}

/* Builds the program (soft: targets as penalised deviations). */
static nf_status build(builder *b)
{
    int bound = COLS_FIXED;
    b->max_new = NEW_SLACK;
    for (int c = 0; c < b->ngr; c++)
        if (b->gr[c].prog) {
            bound += b->gr[c].n + COLS_PER_GROUP;
            b->max_new += b->gr[c].n + (b->gr[c].target > 0 ? b->gr[c].target : 0);
        }
    if (b->r->edit == NF_PLAN_EDIT_CONCAT_INSERT) b->max_new += b->g->v[b->r->from].nout;
    nf_status st = acc_setup(b, bound);
    if (st) return st;
    for (int c = 0; c < b->ngr && !st; c++)
        if (b->gr[c].prog) st = resolve(b, c);
    if (st) return st;
    /* A second multi-input concat in a group: its references must agree. */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 1; i < b->nv && !st; i++) {
            group *gr = &b->gr[b->cls[i]];
            if (gr->prog && multi_concat(b, i) && gr->definer != i) st = tie_concat(b, gr, i, pass);
        }
    if (!st) st = objective_values(b);
    if (!st) st = size_rows(b);
    if (!st && (b->pr.ncol > bound || b->overflow))
        st = nf_fail(NF_ERR_SOLVER, "plan column bound %d exceeded (%d)", bound, b->pr.ncol);
    return st;
}

static int ref_value(int ref, const double *x)
{
    if (ref == REF_ONE) return 1;
    if (ref == REF_ZERO) return 0;
    return x[ref] > 0.5; /* x holds every column's value, merged ones included */
}

/* Reads every group's new neuron sequence from the solution x. */
static nf_status extract(builder *b, const double *x, nf_plan *plan)
{
    plan->ngr = b->ngr;
    plan->seq = calloc((size_t)b->ngr, sizeof *plan->seq);
    plan->len = calloc((size_t)b->ngr, sizeof *plan->len);
    if (!plan->seq || !plan->len) return nf_fail(NF_ERR_NOMEM, "cannot store a plan");
    for (int c = 0; c < b->ngr; c++) {
        const group *gr = &b->gr[c];
        long total = 0;
        if (gr->prog) {
            for (int s = 0; s < gr->n; s++) total += ref_value(gr->keep[s], x);
            for (int k = 0; k < gr->ng; k++) total += lround(x[gr->gcol[k]]);
        } else {
            total = gr->n;
        }
        if (total > INT_MAX / 2) return nf_fail(NF_ERR_SOLVER, "a plan with %ld neurons in one group", total);
        plan->seq[c] = malloc((size_t)(total > 0 ? total : 1) * sizeof **plan->seq);
        if (!plan->seq[c]) return nf_fail(NF_ERR_NOMEM, "cannot store a plan");
        int n = 0, q = 0;
        for (int s = -1; s < gr->n; s++) {
            if (s >= 0 && (!gr->prog || ref_value(gr->keep[s], x))) plan->seq[c][n++] = s;
            for (; gr->prog && q < gr->ng && gr->gpos[q] <= s; q++)
                for (long k = lround(x[gr->gcol[q]]); k > 0; k--) plan->seq[c][n++] = -1;
        }
        plan->len[c] = n;
        if (n != gr->n) plan->changed = 1;
        for (int s = 0; s < n && !plan->changed; s++) plan->changed = plan->seq[c][s] != s;
    }
    return NF_OK;
}

/* A relaxed solution is refused when it moves no target at all. */
static int relaxed_useless(const builder *b, const nf_plan *plan)
{
    int asked = 0;
    for (int t = 0; t < b->r->n_targets; t++) {
        int c = b->cls[b->r->targets[t].vertex];
        if (b->r->targets[t].size == b->gr[c].n) continue;
        asked = 1;
        int now = plan->len[c];
        if ((b->r->targets[t].size > b->gr[c].n && now > b->gr[c].n) || (b->r->targets[t].size < b->gr[c].n && now < b->gr[c].n))
            return 0;
    }
    return asked;
}

nf_status nf_plan_solve(const nf_graph *g, const nf_plan_request *r, const nf_plan_params *params, nf_plan **out)
{
    *out = NULL;
    nf_plan_params p = params ? *params : nf_plan_defaults();
    nf_plan_stats stats = {0};
    double t0 = nf_clock();
    builder b = {0};
    double *x = NULL;
    nf_plan *plan = NULL;
    nf_status st = check_request(g, r);
    if (!st) st = builder_init(&b, g, r, &p);
    if (!st) {
        stats.groups = b.ngr;
        for (int c = 0; c < b.ngr; c++) stats.program_groups += b.gr[c].prog;
    }
    for (int pass = 0; pass < 2 && !st; pass++) {
        if (pass == 1) {
            builder_free(&b);
            if ((st = builder_init(&b, g, r, &p))) break;
            b.soft = 1;
            stats.relaxed = 1;
        }
        if ((st = build(&b))) break;
        free(x);
        x = calloc((size_t)b.pr.ncol + 1, sizeof *x);
        if (!x) { st = nf_fail(NF_ERR_NOMEM, "cannot hold a plan solution"); break; }
        int left = p.time_limit_ms - (int)((nf_clock() - t0) * 1000);
        nf_milp_size size;
        st = nf_milp_solve(&b.pr, left, x, &size);
        stats.rows = size.rows;
        stats.cols = size.cols;
        stats.int_cols = size.int_cols;
        stats.passes += size.solved;
        if (st == NF_ERR_INFEASIBLE && pass == 0 && p.relax && r->n_targets > 0) { st = NF_OK; continue; }
        if (st) break;
        plan = calloc(1, sizeof *plan);
        if (!plan) { st = nf_fail(NF_ERR_NOMEM, "cannot store a plan"); break; }
        plan->n = g->n;
        plan->cls = malloc((size_t)b.nv * sizeof *plan->cls);
        if (!plan->cls) { st = nf_fail(NF_ERR_NOMEM, "cannot store a plan"); break; }
        memcpy(plan->cls, b.cls, (size_t)b.nv * sizeof *plan->cls);
        if ((st = extract(&b, x, plan))) break;
        if (pass == 1 && relaxed_useless(&b, plan))
            st = nf_fail(NF_ERR_INFEASIBLE, "no size plan moves the requested sizes");
        break;
    }
    stats.seconds = nf_clock() - t0;
    if (p.stats) *p.stats = stats;
    free(x);
    builder_free(&b);
    if (st) { nf_plan_destroy(plan); return st; }
    plan->stats = stats;
    *out = plan;
    return NF_OK;
}

void nf_plan_destroy(nf_plan *plan)
{
    if (!plan) return;
    if (plan->seq) for (int c = 0; c < plan->ngr; c++) free(plan->seq[c]);
    free(plan->seq); free(plan->len); free(plan->cls);
    free(plan);
}

const int *nf_plan_neurons(const nf_plan *plan, int i, int *len)
{
    int c = plan->cls[i];
    if (len) *len = plan->len[c];
    return plan->seq[c];
}

int nf_plan_size(const nf_plan *plan, int i) { return plan->len[plan->cls[i]]; }
int nf_plan_changes(const nf_plan *plan) { return plan->changed; }
const nf_plan_stats *nf_plan_get_stats(const nf_plan *plan) { return &plan->stats; }
