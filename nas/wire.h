/* What crosses between the search and a trainer in another process, as
 * bytes: a training task (the plain fields of its nf_task_params and the
 * candidate), its result (status, the trained candidate, where the time
 * went), and the data every task reads (the training and validation sets,
 * normalisation, augmentation, run seed). This file alone defines those
 * layouts; app/session/mpi_pool.c only moves the bytes. A task trained on what
 * came out of these buffers gives the same bytes as the task trained in
 * place (tests/test_wire.c).
 *
 * Every unpack checks what it reads: a damaged buffer gives NF_ERR_FORMAT
 * with the offset. Buffers are malloc'd; the caller frees them. Both ends
 * are the same build on the same kind of machine (the MPI pool refuses a
 * trainer that is not), so the layouts need no versioning. */
#ifndef NF_WIRE_H
#define NF_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "nas/task.h"

/* ==== a task ============================================================== */

nf_status nf_wire_task_pack(const nf_candidate *c, const nf_task_params *p, unsigned char **buf, size_t *len);
/* A new candidate (the caller owns it) and the params' plain fields; the
 * function pointers are NULL and threads 1: they are the trainer's. */
nf_status nf_wire_task_unpack(const unsigned char *buf, size_t len, nf_candidate **c, nf_task_params *p);

/* ==== its result ========================================================== */

/* The task's status; when NF_OK the trained candidate, else the message
 * (c is then not sent). */
nf_status nf_wire_result_pack(nf_status task_status, const char *message, const nf_candidate *c,
                              const nf_task_out *out, unsigned char **buf, size_t *len);
/* Into c in place when the task succeeded (its worker kept): the result
 * must be of candidate c->id. *task_status and *out are set; a failed
 * task's message goes to msg (cap bytes). */
nf_status nf_wire_result_unpack(const unsigned char *buf, size_t len, nf_candidate *c, nf_status *task_status,
                                nf_task_out *out, char *msg, size_t cap);

/* ==== the data ============================================================ */

/* The training and validation sets (shape, pixels, labels; not the class
 * names, which tasks never read), normalisation, augmentation and seed. */
nf_status nf_wire_data_pack(const nf_data *d, unsigned char **buf, size_t *len);

/* Data read back: d's sets point at train and val, owned here. */
typedef struct nf_wire_data {
    nf_data d;
    nf_dataset *train, *val;
} nf_wire_data;

nf_status nf_wire_data_unpack(const unsigned char *buf, size_t len, nf_wire_data *out);
/* Frees the sets; NULL and a zeroed struct are fine. */
void nf_wire_data_free(nf_wire_data *w);

/* 64-bit FNV-1a of the bytes: what a trainer received against what was sent. */
uint64_t nf_wire_checksum(const unsigned char *buf, size_t len);

#endif
