#include "engine/threads.h"

#include <cblas.h>

void nf_threads_set_blas(int n) { openblas_set_num_threads(n < 1 ? 1 : n); }

const char *nf_threads_blas_core(void) { return openblas_get_corename(); }
