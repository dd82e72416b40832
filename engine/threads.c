#include "engine/threads.h"

#include <cblas.h>

void nf_threads_blas_serial(void)
{
    if (openblas_get_num_threads() == 1) return;
#pragma omp critical(nf_blas_threads)
    if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
}

const char *nf_threads_blas_core(void) { return openblas_get_corename(); }
