#include "nas/candidate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/bytes.h"
#include "engine/serialize.h"

#define GRAPH_NAME(id, num, name, phase, odds, apply) [num] = name,
#define SETTINGS_NAME(id, num, name) [num] = name,
static const char *const change_names[NF_CHANGE_COUNT] = {NF_GRAPH_CHANGES(GRAPH_NAME) NF_SETTINGS_CHANGES(SETTINGS_NAME)};
#define GRAPH_FLAG(id, num, name, phase, odds, apply) [num] = 1,
static const unsigned char graph_kind[NF_CHANGE_COUNT] = {NF_GRAPH_CHANGES(GRAPH_FLAG)};

const char *nf_change_name(nf_change_kind kind)
{
    return (unsigned)kind < NF_CHANGE_COUNT && change_names[kind] ? change_names[kind] : "unknown";
}

int nf_change_is_graph(nf_change_kind kind) { return (unsigned)kind < NF_CHANGE_COUNT && graph_kind[kind]; }

nf_change_kind nf_change_parse(const char *name)
{
    for (int k = 0; k < NF_CHANGE_COUNT; k++)
        if (change_names[k] && !strcmp(name, change_names[k])) return (nf_change_kind)k;
    return NF_CHANGE_COUNT;
}

nf_settings nf_settings_defaults(void)
{
    return (nf_settings){.optim = nf_optim_defaults(NF_OPTIM_ADAM), .batch = 64};
}

nf_status nf_candidate_create(nf_graph *g, const nf_settings *set, int64_t id, int born, nf_candidate **out)
{
    *out = NULL;
    nf_candidate *c = calloc(1, sizeof *c);
    if (!c) {
        nf_graph_destroy(g);
        return nf_fail(NF_ERR_NOMEM, "cannot allocate a candidate");
    }
    c->id = id;
    c->born = born;
    c->parent[0] = c->parent[1] = -1;
    c->worker = -1;
    c->g = g;
    c->set = *set;
    c->state = NF_CAND_NEW;
    c->trained_gen = -1;
    c->fitness = -1;
    *out = c;
    return NF_OK;
}

void nf_candidate_destroy(nf_candidate *c)
{
    if (!c) return;
    nf_graph_destroy(c->g);
    free(c);
}

nf_status nf_candidate_clone(const nf_candidate *c, nf_candidate **out)
{
    *out = NULL;
    nf_candidate *d = malloc(sizeof *d);
    if (!d) return nf_fail(NF_ERR_NOMEM, "cannot allocate a candidate");
    *d = *c;
    nf_status st = nf_graph_clone(c->g, &d->g);
    if (st) { free(d); return st; }
    *out = d;
    return NF_OK;
}

nf_status nf_candidate_child(const nf_candidate *parent, int64_t id, int gen, nf_candidate **out)
{
    nf_status st = nf_candidate_clone(parent, out);
    if (st) return st;
    nf_candidate *c = *out;
    c->id = id;
    c->born = gen;
    c->parent[0] = parent->id;
    c->parent[1] = -1;
    c->n_changes = 0;
    c->state = NF_CAND_NEW;
    c->reason[0] = 0;
    return NF_OK;
}

void nf_candidate_log(nf_candidate *c, nf_change_kind kind, int vertex, double before, double after)
{
    if (c->n_changes >= NF_CANDIDATE_MAX_CHANGES) return;
    c->changes[c->n_changes++] = (nf_change){kind, vertex, before, after};
}

/* ==== bytes ============================================================== */

#define MAGIC "NFCANDI" /* 8 bytes with its terminating zero */
#define VERSION 1u

static void put_settings(nf_writer *w, const nf_settings *s)
{
    const nf_optim *o = &s->optim;
    nf_put_u32(w, (uint32_t)o->kind);
    nf_put_f32(w, o->lr); nf_put_f32(w, o->momentum); nf_put_f32(w, o->beta1); nf_put_f32(w, o->beta2);
    nf_put_f32(w, o->eps); nf_put_f32(w, o->weight_decay);
    nf_put_i32(w, s->batch);
}

nf_status nf_candidate_serialize(const nf_candidate *c, unsigned char **buf, size_t *len)
{
    unsigned char *graph;
    size_t graph_len;
    nf_status st = nf_graph_serialize(c->g, &graph, &graph_len);
    if (st) return st;
    nf_writer w = {0};
    nf_put(&w, MAGIC, 8);
    nf_put_u32(&w, VERSION);
    nf_put_u64(&w, (uint64_t)c->id);
    nf_put_i32(&w, c->born);
    nf_put_u64(&w, (uint64_t)c->parent[0]);
    nf_put_u64(&w, (uint64_t)c->parent[1]);
    put_settings(&w, &c->set);
    nf_put_i32(&w, c->n_changes);
    for (int k = 0; k < c->n_changes; k++) {
        nf_put_u32(&w, (uint32_t)c->changes[k].kind);
        nf_put_i32(&w, c->changes[k].vertex);
        nf_put_f64(&w, c->changes[k].before);
        nf_put_f64(&w, c->changes[k].after);
    }
    nf_put_u32(&w, (uint32_t)c->state);
    nf_put_i32(&w, c->trained_gen);
    nf_put_f64(&w, c->fitness); nf_put_f64(&w, c->val_accuracy); nf_put_f64(&w, c->train_loss);
    nf_put_f64(&w, c->seconds);
    nf_put_u64(&w, (uint64_t)c->images);
    nf_put_str(&w, c->reason);
    nf_put_u64(&w, graph_len);
    nf_put(&w, graph, graph_len);
    free(graph);
    return nf_writer_finish(&w, "a candidate", buf, len);
}

static void get_settings(nf_reader *r, nf_settings *s)
{
    nf_optim *o = &s->optim;
    o->kind = (nf_optim_kind)nf_get_u32(r, "optimiser");
    o->lr = nf_get_f32(r, "learning rate"); o->momentum = nf_get_f32(r, "momentum");
    o->beta1 = nf_get_f32(r, "beta1"); o->beta2 = nf_get_f32(r, "beta2");
    o->eps = nf_get_f32(r, "eps"); o->weight_decay = nf_get_f32(r, "weight decay");
    s->batch = nf_get_i32(r, "batch");
    if (r->st) return;
    if ((unsigned)o->kind >= NF_OPTIM_COUNT) nf_reader_bad(r, "unknown optimiser");
    else if (!(o->lr > 0 && o->lr < 1e3f) || !(o->weight_decay >= 0 && o->weight_decay < 1))
        nf_reader_bad(r, "learning rate or weight decay out of range");
    else if (!(o->beta1 >= 0 && o->beta1 < 1) || !(o->beta2 >= 0 && o->beta2 < 1) || !(o->eps > 0) ||
             !(o->momentum >= 0 && o->momentum < 1))
        nf_reader_bad(r, "optimiser constants out of range");
    else if (s->batch < 1 || s->batch > 65536) nf_reader_bad(r, "batch size out of range");
}

static void get_changes(nf_reader *r, nf_candidate *c)
{
    c->n_changes = nf_get_i32(r, "change count");
    if (r->st) return;
    if (c->n_changes < 0 || c->n_changes > NF_CANDIDATE_MAX_CHANGES) { nf_reader_bad(r, "impossible change count"); return; }
    for (int k = 0; k < c->n_changes && !r->st; k++) {
        nf_change *ch = &c->changes[k];
        ch->kind = (nf_change_kind)nf_get_u32(r, "change kind");
        ch->vertex = nf_get_i32(r, "change vertex");
        ch->before = nf_get_f64(r, "change before");
        ch->after = nf_get_f64(r, "change after");
        if (!r->st && (unsigned)ch->kind >= NF_CHANGE_COUNT) nf_reader_bad(r, "unknown change kind");
    }
}

static void get_scores(nf_reader *r, nf_candidate *c)
{
    c->state = (nf_cand_state)nf_get_u32(r, "state");
    c->trained_gen = nf_get_i32(r, "trained generation");
    c->fitness = nf_get_f64(r, "fitness"); c->val_accuracy = nf_get_f64(r, "validation accuracy");
    c->train_loss = nf_get_f64(r, "training loss"); c->seconds = nf_get_f64(r, "seconds");
    c->images = (int64_t)nf_get_u64(r, "images");
    nf_get_str(r, c->reason, sizeof c->reason, "failure reason");
    if (r->st) return;
    if ((unsigned)c->state > NF_CAND_CULLED) nf_reader_bad(r, "unknown candidate state");
    else if (!isfinite(c->fitness) || !isfinite(c->val_accuracy) || !isfinite(c->seconds) || c->images < 0)
        nf_reader_bad(r, "a score is not a finite number");
}

nf_status nf_candidate_deserialize(const unsigned char *buf, size_t len, nf_candidate **out)
{
    *out = NULL;
    nf_reader r = {.buf = buf, .len = len, .what = "candidate data"};
    char magic[8];
    if (nf_take(&r, magic, 8, "magic") && memcmp(magic, MAGIC, 8)) nf_reader_bad(&r, "not a nasfit candidate (bad magic)");
    if (!r.st && nf_get_u32(&r, "version") != VERSION) nf_reader_bad(&r, "unsupported candidate format version");
    nf_candidate c = {.worker = -1};
    c.id = (int64_t)nf_get_u64(&r, "id");
    c.born = nf_get_i32(&r, "generation born");
    c.parent[0] = (int64_t)nf_get_u64(&r, "parent");
    c.parent[1] = (int64_t)nf_get_u64(&r, "parent");
    if (!r.st && (c.id < 0 || c.born < 0 || c.parent[0] < -1 || c.parent[1] < -1)) nf_reader_bad(&r, "impossible id");
    get_settings(&r, &c.set);
    get_changes(&r, &c);
    get_scores(&r, &c);
    uint64_t graph_len = nf_get_u64(&r, "graph size");
    if (!r.st && graph_len != len - r.at) nf_reader_bad(&r, "the graph size disagrees with the data");
    if (r.st) return r.st;
    nf_status st = nf_graph_deserialize(buf + r.at, (size_t)graph_len, &c.g);
    if (st) return nf_fail(st, "candidate data: the graph from byte %zu: %s", r.at, nf_last_error());
    nf_candidate *d = malloc(sizeof *d);
    if (!d) {
        nf_graph_destroy(c.g);
        return nf_fail(NF_ERR_NOMEM, "cannot allocate a candidate");
    }
    *d = c;
    *out = d;
    return NF_OK;
}
