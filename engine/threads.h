/* Threads for the two levels of parallelism, one at a time (STYLE.md):
 * BLAS threads inside one big job, or OpenMP threads over candidates with
 * BLAS serial inside. The only place that calls OpenBLAS's extensions. */
#ifndef NF_THREADS_H
#define NF_THREADS_H

/* Threads OpenBLAS uses for each GEMM (1 inside an OpenMP loop over candidates). */
void nf_threads_set_blas(int n);
/* OpenBLAS's kernel family, e.g. "Haswell" or "Cooperlake". */
const char *nf_threads_blas_core(void);

#endif
