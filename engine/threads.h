/* Threads for the two levels of parallelism, one at a time (STYLE.md):
 * BLAS threads inside one big job, or OpenMP threads over candidates with
 * BLAS serial inside. The only place that calls OpenBLAS's extensions. */
#ifndef NF_THREADS_H
#define NF_THREADS_H

/* Threads OpenBLAS uses for each GEMM. */
void nf_threads_set_blas(int n);
/* Sets OpenBLAS to one thread unless it is already: the engine splits a
 * batch between its own OpenMP threads (engine/exec.h). The count is
 * process-wide, so this is done once, under a lock, in case two candidates'
 * first steps race for it. */
void nf_threads_blas_serial(void);
/* OpenBLAS's kernel family, e.g. "Haswell" or "Cooperlake". */
const char *nf_threads_blas_core(void);

#endif
