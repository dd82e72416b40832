#include "app/cmd/args.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int nf_arg_int(const char *command, const char *option, const char *text, long min, long max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (!errno && end != text && !*end && v >= min && v <= max) {
        *out = (int)v;
        return 1;
    }
    fprintf(stderr, "nasfit %s: %s %s is not an integer from %ld to %ld\n", command, option, text, min, max);
    return 0;
}

int nf_arg_seed(const char *command, const char *option, const char *text, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    /* A digit first: strtoull skips spaces and takes " -1" as 2^64-1. */
    if (!errno && end != text && !*end && text[0] >= '0' && text[0] <= '9') {
        *out = v;
        return 1;
    }
    fprintf(stderr, "nasfit %s: %s %s is not a whole number from 0 to 2^64-1\n", command, option, text);
    return 0;
}

int nf_arg_double(const char *command, const char *option, const char *text, double min, double max, double *out)
{
    char *end;
    double v = strpbrk(text, "xX") ? NAN : strtod(text, &end); /* no hexadecimal: 0x10 is not 16 here */
    if (isnan(v)) end = (char *)text;
    if (end != text && !*end && isfinite(v) && v >= min && v <= max) {
        *out = v;
        return 1;
    }
    fprintf(stderr, "nasfit %s: %s %s is not a number from %g to %g\n", command, option, text, min, max);
    return 0;
}
