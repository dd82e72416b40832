/* Ctrl-C and SIGTERM: the first asks long work to stop at the next safe
 * point (after a step, before a commit); the second ends the program. */
#ifndef NF_SIGNALS_H
#define NF_SIGNALS_H

void nf_signals_install(void);
/* Nonzero once a stop was asked for. */
int nf_signals_stop_requested(void);

#endif
