/* The one clock: monotonic seconds from an arbitrary start, for every
 * duration nasfit measures (training, planning, progress, benchmarks). */
#ifndef NF_CLOCK_H
#define NF_CLOCK_H

double nf_clock(void);

#endif
