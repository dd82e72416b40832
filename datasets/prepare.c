#include "datasets/prepare.h"

#include <string.h>

#include "datasets/split.h"

nf_ds_prepare_options nf_ds_prepare_defaults(void)
{
    return (nf_ds_prepare_options){
        .load = nf_ds_load_defaults(), .val_fraction = 0.1, .seed = 1, .train_limit = 0};
}

void nf_ds_splits_free(nf_ds_splits *s)
{
    if (!s) return;
    nf_ds_destroy(s->train);
    nf_ds_destroy(s->val);
    nf_ds_destroy(s->test);
    memset(s, 0, sizeof *s);
}

nf_status nf_ds_prepare(const char *spec, const nf_ds_prepare_options *opt, nf_ds_splits *out)
{
    nf_ds_prepare_options defaults = nf_ds_prepare_defaults();
    if (!opt) opt = &defaults;
    memset(out, 0, sizeof *out);
    if (opt->train_limit < 0)
        return nf_fail(NF_ERR_ARG, "train limit %d is negative", opt->train_limit);
    nf_ds_pair pair;
    nf_status st = nf_ds_load(spec, &opt->load, &pair);
    if (st) return st;
    out->test = pair.test;
    nf_dataset *pool = pair.train, *limited = NULL;
    if (opt->train_limit > 0 && opt->train_limit < pool->n) {
        st = nf_ds_subsample(pool, opt->train_limit, opt->seed, &limited);
        nf_ds_destroy(pool);
        pool = limited;
    }
    if (!st) st = nf_ds_split(pool, opt->val_fraction, opt->seed, &out->train, &out->val);
    nf_ds_destroy(pool);
    if (!st) out->norm = nf_ds_normalization(out->train);
    if (st) nf_ds_splits_free(out);
    return st;
}
