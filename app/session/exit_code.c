#include "app/session/exit_code.h"

#include <stdio.h>

int nf_exit_code(nf_status st, nf_doing doing)
{
    if (st == NF_OK) return NF_EXIT_OK;
    if (st == NF_ERR_INTERRUPTED) return NF_EXIT_INTERRUPTED;
    if (st == NF_ERR_NOMEM) return NF_EXIT_FAILED;
    if (doing == NF_DOING_READ || st == NF_ERR_FORMAT || st == NF_ERR_ARG) return NF_EXIT_INPUT;
    return NF_EXIT_FAILED;
}

int nf_cmd_fail(const char *command, nf_status st, nf_doing doing)
{
    fprintf(stderr, "nasfit %s: %s\n", command, nf_last_error());
    return nf_exit_code(st, doing);
}
