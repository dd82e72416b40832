/* OpenBLAS always runs serial: the engine splits one network's batch
 * between its own OpenMP threads, and a search trains one candidate per
 * OpenMP thread; one level of parallelism at a time (STYLE.md). The only
 * place that calls OpenBLAS's extensions. */
#ifndef NF_THREADS_H
#define NF_THREADS_H

/* Sets OpenBLAS to one thread unless it is already: the engine splits a
 * batch between its own OpenMP threads (engine/exec.h). The count is
 * process-wide, so this is done once, under a lock, in case two candidates'
 * first steps race for it. */
void nf_threads_blas_serial(void);
/* OpenBLAS's kernel family, e.g. "Haswell" or "Cooperlake". */
const char *nf_threads_blas_core(void);

#endif
