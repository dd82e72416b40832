#include "nas/wire.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "engine/bytes.h"

/* A new field of nf_task_params must be sent (put_params, get_params) or
 * be the trainer's (threads, the callbacks); this size is a reminder. */
#if UINTPTR_MAX == 0xffffffffffffffffu
static_assert(sizeof(nf_task_params) == 152, "nf_task_params changed: update put_params and get_params in nas/wire.c");
#endif

/* ==== a task ============================================================== */

static void put_params(nf_writer *w, const nf_task_params *p)
{
    nf_put_u64(w, (uint64_t)p->start);
    nf_put_u64(w, (uint64_t)p->images);
    nf_put_i32(w, p->generation);
    nf_put_i32(w, p->cosine);
    nf_put_u64(w, (uint64_t)p->schedule_done);
    nf_put_u64(w, (uint64_t)p->schedule_images);
    nf_put_i32(w, p->val_images);
    nf_put_i32(w, p->refresh_images);
    nf_put_f64(w, p->param_penalty);
    nf_put_f64(w, p->flops_penalty);
    nf_put_f64(w, p->time_penalty);
    nf_put_f64(w, p->deadline);
    nf_put_f64(w, p->label_smoothing);
    nf_put_f64(w, p->average_share);
}

static void get_params(nf_reader *r, nf_task_params *p)
{
    *p = nf_task_defaults();
    p->threads = 1;
    p->start = (int64_t)nf_get_u64(r, "slice start");
    p->images = (int64_t)nf_get_u64(r, "slice images");
    p->generation = nf_get_i32(r, "generation");
    p->cosine = nf_get_i32(r, "cosine");
    p->schedule_done = (int64_t)nf_get_u64(r, "schedule done");
    p->schedule_images = (int64_t)nf_get_u64(r, "schedule images");
    p->val_images = nf_get_i32(r, "validation images");
    p->refresh_images = nf_get_i32(r, "refresh images");
    p->param_penalty = nf_get_f64(r, "parameter penalty");
    p->flops_penalty = nf_get_f64(r, "FLOPs penalty");
    p->time_penalty = nf_get_f64(r, "time penalty");
    p->deadline = nf_get_f64(r, "deadline");
    p->label_smoothing = (float)nf_get_f64(r, "label smoothing");
    p->average_share = nf_get_f64(r, "average share");
    if (!r->st && !(p->label_smoothing >= 0 && p->label_smoothing < 1 && p->average_share >= 0 && p->average_share <= 1))
        nf_reader_bad(r, "a label smoothing or weight-averaging share outside [0, 1] in the task");
    if (!r->st && !(p->deadline >= 0 && p->deadline < 1e9)) nf_reader_bad(r, "an impossible deadline in the task");
    if (!r->st && (p->start < 0 || p->images < 0 || p->schedule_done < 0 || p->schedule_images < 0 ||
                   p->val_images < 0 || p->refresh_images < 0))
        nf_reader_bad(r, "a negative count in the task");
}

/* The candidate's own bytes, after a size. */
static nf_status put_candidate(nf_writer *w, const nf_candidate *c)
{
    unsigned char *cb;
    size_t cl;
    nf_status st = nf_candidate_serialize(c, &cb, &cl);
    if (st) return st;
    nf_put_u64(w, cl);
    nf_put(w, cb, cl);
    free(cb);
    return NF_OK;
}

static nf_status get_candidate(nf_reader *r, nf_candidate **c)
{
    uint64_t cl = nf_get_u64(r, "candidate size");
    if (!r->st && cl != r->len - r->at) nf_reader_bad(r, "the candidate size disagrees with the data");
    if (r->st) return r->st;
    nf_status st = nf_candidate_deserialize(r->buf + r->at, (size_t)cl, c);
    if (st) return nf_fail(st, "%s: the candidate from byte %zu: %s", r->what, r->at, nf_last_error());
    return NF_OK;
}

nf_status nf_wire_task_pack(const nf_candidate *c, const nf_task_params *p, unsigned char **buf, size_t *len)
{
    nf_writer w = {0};
    put_params(&w, p);
    nf_status st = put_candidate(&w, c);
    if (st) { free(w.buf); return st; }
    return nf_writer_finish(&w, "a task", buf, len);
}

nf_status nf_wire_task_unpack(const unsigned char *buf, size_t len, nf_candidate **c, nf_task_params *p)
{
    *c = NULL;
    nf_reader r = {.buf = buf, .len = len, .what = "task data"};
    get_params(&r, p);
    return get_candidate(&r, c);
}

/* ==== its result ========================================================== */

nf_status nf_wire_result_pack(nf_status task_status, const char *message, const nf_candidate *c,
                              const nf_task_out *out, unsigned char **buf, size_t *len)
{
    nf_writer w = {0};
    nf_put_i32(&w, (int32_t)task_status);
    nf_put_f64(&w, out->seconds);
    nf_put_f64(&w, out->score_seconds);
    nf_put_f64(&w, out->worker_seconds);
    nf_put_f64(&w, out->score_worker_seconds);
    nf_put_u64(&w, (uint64_t)c->id);
    nf_put_str(&w, task_status ? message : "");
    if (!task_status) {
        nf_status st = put_candidate(&w, c);
        if (st) { free(w.buf); return st; }
    }
    return nf_writer_finish(&w, "a task's result", buf, len);
}

/* c takes the trained candidate's contents; what it had is freed. */
static void take_in_place(nf_candidate *c, nf_candidate *trained)
{
    int worker = c->worker;
    nf_graph *old = c->g;
    *c = *trained;
    c->worker = worker;
    trained->g = old;
    nf_candidate_destroy(trained);
}

nf_status nf_wire_result_unpack(const unsigned char *buf, size_t len, nf_candidate *c, nf_status *task_status,
                                nf_task_out *out, char *msg, size_t cap)
{
    nf_reader r = {.buf = buf, .len = len, .what = "result data"};
    *task_status = (nf_status)nf_get_i32(&r, "status");
    out->seconds = nf_get_f64(&r, "seconds");
    out->score_seconds = nf_get_f64(&r, "scoring seconds");
    out->worker_seconds = nf_get_f64(&r, "worker seconds");
    out->score_worker_seconds = nf_get_f64(&r, "scoring worker seconds");
    int64_t id = (int64_t)nf_get_u64(&r, "candidate id");
    nf_get_str(&r, msg, cap, "message");
    if (!r.st && id != c->id) nf_reader_bad(&r, "the result is of another candidate");
    if (r.st || *task_status) return r.st;
    nf_candidate *trained;
    nf_status st = get_candidate(&r, &trained);
    if (!st && trained->id != c->id) {
        nf_candidate_destroy(trained);
        return nf_fail(NF_ERR_FORMAT, "result data: the trained candidate is %lld, not %lld", (long long)trained->id,
                       (long long)c->id);
    }
    if (!st) take_in_place(c, trained);
    return st;
}

/* ==== the data ============================================================ */

static void put_set(nf_writer *w, const nf_dataset *ds)
{
    nf_put_i32(w, ds->n);
    nf_put_i32(w, ds->c);
    nf_put_i32(w, ds->h);
    nf_put_i32(w, ds->w);
    nf_put_i32(w, ds->n_classes);
    nf_put(w, ds->pixels, (size_t)ds->n * nf_ds_image_bytes(ds));
    for (int i = 0; i < ds->n; i++) nf_put_i32(w, ds->labels[i]);
}

static nf_status get_set(nf_reader *r, const char *which, nf_dataset **out)
{
    *out = NULL;
    int n = nf_get_i32(r, "image count"), c = nf_get_i32(r, "channels"), h = nf_get_i32(r, "height");
    int w = nf_get_i32(r, "width"), k = nf_get_i32(r, "classes");
    if (r->st) return r->st;
    if (n < 0 || c < 1 || c > NF_DS_MAX_CHANNELS || h < 1 || h > 65535 || w < 1 || w > 65535 ||
        (size_t)n > (r->len - r->at) / ((size_t)c * h * w + 4)) {
        nf_reader_bad(r, "a set larger than the data");
        return r->st;
    }
    nf_dataset *ds;
    nf_status st = nf_ds_create(n, c, h, w, k, &ds);
    if (st) return nf_fail(st, "%s: the %s set before byte %zu: %s", r->what, which, r->at, nf_last_error());
    nf_take(r, ds->pixels, (size_t)n * nf_ds_image_bytes(ds), "pixels");
    for (int i = 0; i < n && !r->st; i++) {
        ds->labels[i] = nf_get_i32(r, "label");
        if (!r->st && (ds->labels[i] < 0 || ds->labels[i] >= k)) nf_reader_bad(r, "a label out of range");
    }
    if (r->st) { nf_ds_destroy(ds); return r->st; }
    *out = ds;
    return NF_OK;
}

nf_status nf_wire_data_pack(const nf_data *d, unsigned char **buf, size_t *len)
{
    nf_writer w = {0};
    put_set(&w, d->train);
    put_set(&w, d->val);
    nf_put_i32(&w, d->norm.c);
    for (int k = 0; k < NF_DS_MAX_CHANNELS; k++) {
        nf_put_f32(&w, d->norm.mean[k]);
        nf_put_f32(&w, d->norm.std[k]);
    }
    nf_put_i32(&w, d->aug.shift);
    nf_put_i32(&w, d->aug.flip);
    nf_put_u64(&w, d->seed);
    return nf_writer_finish(&w, "the data", buf, len);
}

nf_status nf_wire_data_unpack(const unsigned char *buf, size_t len, nf_wire_data *out)
{
    *out = (nf_wire_data){0};
    nf_reader r = {.buf = buf, .len = len, .what = "data sent to a trainer"};
    nf_status st = get_set(&r, "training", &out->train);
    if (!st) st = get_set(&r, "validation", &out->val);
    nf_data *d = &out->d;
    d->norm.c = nf_get_i32(&r, "normalisation channels");
    for (int k = 0; k < NF_DS_MAX_CHANNELS; k++) {
        d->norm.mean[k] = nf_get_f32(&r, "mean");
        d->norm.std[k] = nf_get_f32(&r, "std");
    }
    d->aug.shift = nf_get_i32(&r, "augmentation shift");
    d->aug.flip = nf_get_i32(&r, "augmentation flip");
    d->seed = nf_get_u64(&r, "seed");
    if (!st && !r.st && r.at != len) nf_reader_bad(&r, "bytes after the data");
    if (!st) st = r.st;
    if (st) { nf_wire_data_free(out); return st; }
    d->train = out->train;
    d->val = out->val;
    return NF_OK;
}

void nf_wire_data_free(nf_wire_data *w)
{
    if (!w) return;
    nf_ds_destroy(w->train);
    nf_ds_destroy(w->val);
    *w = (nf_wire_data){0};
}

uint64_t nf_wire_checksum(const unsigned char *buf, size_t len)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++) h = (h ^ buf[i]) * 0x100000001b3u;
    return h;
}
