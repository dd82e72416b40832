/* The input image: no computation; the executor fills its output. */
#include "engine/op.h"

const nf_op_def nf_op_input = {.name = "input", .kind = NF_KIND_INPUT};
