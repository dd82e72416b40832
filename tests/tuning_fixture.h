/* The global convolution tuning as it was before a test that changes it:
 * use save_tuning / restore_tuning as the test's cmocka setup and
 * teardown, which runs even when the test fails, so no later test inherits
 * the change. Header only; include after <cmocka.h>. */
#ifndef NF_TESTS_TUNING_FIXTURE_H
#define NF_TESTS_TUNING_FIXTURE_H

#include "engine/op.h"

static nf_conv_tuning saved_tuning;

static inline int save_tuning(void **state)
{
    (void)state;
    saved_tuning = nf_conv_tuning_now;
    return 0;
}

static inline int restore_tuning(void **state)
{
    (void)state;
    nf_conv_tuning_now = saved_tuning;
    return 0;
}

#endif
