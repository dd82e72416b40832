/* nf_ds_load: the table of formats, tried in order on what a spec names. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "datasets/format.h"
#include "datasets/fsutil.h"

/* In order: the PNG folder format takes any directory, so it comes last. */
static const nf_ds_loader *const formats[] = {&nf_ds_idx_loader, &nf_ds_cifar_loader, &nf_ds_png_loader};
#define N_FORMATS (sizeof formats / sizeof formats[0])

nf_ds_load_options nf_ds_load_defaults(void)
{
    return (nf_ds_load_options){.height = 0, .width = 0, .load_test = 1};
}

void nf_ds_pair_free(nf_ds_pair *pair)
{
    if (!pair) return;
    nf_ds_destroy(pair->train);
    nf_ds_destroy(pair->test);
    pair->train = pair->test = NULL;
}

static nf_status load_file(const char *path, nf_ds_pair *out)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (size_t f = 0; f < N_FORMATS; f++)
        if (formats[f]->probe_file && formats[f]->probe_file(base)) return formats[f]->load_file(path, out);
    return nf_fail(NF_ERR_FORMAT,
                   "%s: not a data set file I know (expected *-images-idx3-ubyte[.gz] or a CIFAR "
                   ".bin batch)", path);
}

static nf_status load_dir(const char *dir, const nf_ds_load_options *opt, nf_ds_pair *out)
{
    char where[NF_DS_PATH_MAX];
    for (size_t f = 0; f < N_FORMATS; f++) {
        int found = 0;
        nf_status st = formats[f]->probe_dir(dir, where, &found);
        if (st) return st;
        if (found) return formats[f]->load_dir(where, opt, out);
    }
    return nf_fail(NF_ERR_FORMAT, "%s: no data set format recognised", dir);
}

nf_status nf_ds_load(const char *spec, const nf_ds_load_options *opt, nf_ds_pair *out)
{
    nf_ds_load_options defaults = nf_ds_load_defaults();
    if (!opt) opt = &defaults;
    out->train = out->test = NULL;
    if (!spec || !spec[0] || !strcmp(spec, "fashion-mnist")) spec = NF_DS_DEFAULT_PATH;
    if (opt->height < 0 || opt->width < 0 || (opt->height == 0) != (opt->width == 0) ||
        opt->height > NF_DS_MAX_SIDE || opt->width > NF_DS_MAX_SIDE)
        return nf_fail(NF_ERR_ARG, "fixed image size %dx%d: give both height and width (1 to %d), "
                       "or neither", opt->height, opt->width, NF_DS_MAX_SIDE);
    struct stat sb;
    if (stat(spec, &sb) != 0) return nf_fail(NF_ERR_IO, "%s: %s", spec, strerror(errno));
    nf_status st = S_ISDIR(sb.st_mode) ? load_dir(spec, opt, out) : load_file(spec, out);
    if (st) nf_ds_pair_free(out);
    return st;
}
