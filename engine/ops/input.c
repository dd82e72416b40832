/* The input image: no computation; the executor fills its output. */
#include "engine/op.h"

static double flops(const nf_vertex *v, const nf_vertex *in)
{
    (void)v;
    (void)in;
    return 0;
}

const nf_op_def nf_op_input = {.name = "input", .kind = NF_KIND_INPUT, .attrs = nf_op_no_attrs, .flops = flops};
