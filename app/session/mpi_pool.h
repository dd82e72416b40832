/* Training on other processes through Open MPI (`mpirun ... nasfit fit
 * --mpi`): rank 0 runs the search and owns the run file; ranks 1..W are
 * trainers, each training one task at a time with its own threads. The
 * search reaches them through nas/trainer.h like the local pool; the bytes
 * that cross are nas/wire.h's. This is the one file that includes <mpi.h>,
 * and MPI is started only under --mpi: a plain nasfit never calls it.
 *
 * Rank 0 never blocks in an MPI receive (Open MPI would spin a core): it
 * polls, and so do idle trainers, with a short sleep. */
#ifndef NF_MPI_POOL_H
#define NF_MPI_POOL_H

#include "nas/trainer.h"

/* Start of `fit` and `resume` (command names the command, for messages).
 * Returns 1 when the caller must return *code at once: several ranks
 * started without --mpi (refused without calling MPI, telling to add
 * --mpi; 1), --mpi without trainer ranks (1), or a trainer rank whose
 * work is over (its exit status). Returns 0 on rank 0 under --mpi (MPI
 * started: call nf_mpi_leave before returning) and in a plain process. */
int nf_mpi_enter(const char *command, int mpi, int *code);

/* Rank 0 under --mpi: the pool of every other rank, each training tasks
 * with `threads` threads. Every trainer must run this build with the same
 * OpenBLAS kernel: a trainer that differs is refused naming its rank and
 * what differs (NF_ERR_ARG). The data reaches the trainers on the first
 * run; each reports a checksum of what it received, and a trainer whose
 * checksum differs is refused too. A trainer silent past its task's
 * deadline (NF_MPI_SILENCE seconds, default 60, plus twice the task's
 * predicted cost) is taken for dead and its task given to another (with
 * mpirun --enable-recovery; by default Open MPI ends the job when a rank
 * dies, and the run file is the way on). For tests, NF_MPI_FAULT="rank=R,
 * task=K" makes trainer R _exit in the middle of its K-th task. */
nf_status nf_mpi_pool_create(int threads, nf_trainer **out);

/* Rank 0: tells every live trainer to quit and ends MPI. No-op when MPI was
 * not started; safe to call twice. */
void nf_mpi_leave(void);

/* Under --mpi: 1 on rank 0 (or a plain process). */
int nf_mpi_rank(void);

#endif
