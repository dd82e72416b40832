/* Option values on the command line, checked against their ranges. Each
 * parser either stores the value and returns 1, or prints what is wrong,
 * naming the command and the option (`nasfit train: --epochs 0 is not an
 * integer from 1 to 1000000`), and returns 0. */
#ifndef NF_ARGS_H
#define NF_ARGS_H

/* A whole decimal number in [min, max]. */
int nf_arg_int(const char *command, const char *option, const char *text, long min, long max, int *out);
/* A non-negative whole number below 2^64 (a seed). */
int nf_arg_seed(const char *command, const char *option, const char *text, unsigned long long *out);
/* A finite number in [min, max]. */
int nf_arg_double(const char *command, const char *option, const char *text, double min, double max, double *out);

#endif
