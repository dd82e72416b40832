/* nf_ds_load: recognising the format of a spec and dispatching. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "datasets/fsutil.h"
#include "datasets/load.h"
#include "datasets/pngread.h"

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

static int dir_has_file(const char *dir, int (*match)(const char *))
{
    nf_ds_names files;
    if (nf_ds_list_dir(dir, 0, &files)) return 0;
    int found = 0;
    for (int i = 0; i < files.count && !found; i++) found = match(files.name[i]);
    nf_ds_names_free(&files);
    return found;
}

static int is_idx_train(const char *name)
{
    const char *hit = strstr(name, "train-images-idx3-ubyte");
    return hit && (!hit[23] || !strcmp(hit + 23, ".gz"));
}

static int is_cifar(const char *name)
{
    return !strcmp(name, "test_batch.bin") || !strcmp(name, "train.bin") ||
           (!strncmp(name, "data_batch_", 11) && nf_ds_ends_with(name, ".bin"));
}

static nf_status load_file(const char *path, nf_ds_pair *out)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strstr(base, "images-idx3-ubyte")) return nf_ds_load_idx_file(path, &out->train);
    if (nf_ds_ends_with(base, ".bin")) {
        int two = !strcmp(base, "train.bin") || !strcmp(base, "test.bin");
        return nf_ds_load_cifar_file(path, two ? 2 : 1, &out->train);
    }
    return nf_fail(NF_ERR_FORMAT,
                   "%s: not a data set file I know (expected *-images-idx3-ubyte[.gz] or a CIFAR "
                   ".bin batch)", path);
}

/* The folders the CIFAR archives unpack to, so their parent may be named. */
static const char *const cifar_folders[2] = {"cifar-10-batches-bin", "cifar-100-binary"};

static nf_status load_dir(const char *dir, const nf_ds_load_options *opt, nf_ds_pair *out)
{
    if (dir_has_file(dir, is_idx_train)) return nf_ds_load_idx_dir(dir, opt, out);
    if (dir_has_file(dir, is_cifar)) return nf_ds_load_cifar_dir(dir, opt, out);
    char sub[NF_DS_PATH_MAX];
    for (int i = 0; i < 2; i++)
        if (!nf_ds_join(sub, dir, cifar_folders[i]) && nf_ds_is_dir(sub) && dir_has_file(sub, is_cifar))
            return nf_ds_load_cifar_dir(sub, opt, out);
    return nf_ds_load_png_folder(dir, opt, out);
}

nf_status nf_ds_load(const char *spec, const nf_ds_load_options *opt, nf_ds_pair *out)
{
    nf_ds_load_options defaults = nf_ds_load_defaults();
    if (!opt) opt = &defaults;
    out->train = out->test = NULL;
    if (!spec || !spec[0] || !strcmp(spec, "fashion-mnist")) spec = NF_DS_DEFAULT_PATH;
    if (opt->height < 0 || opt->width < 0 || (opt->height == 0) != (opt->width == 0) ||
        opt->height > NF_DS_PNG_MAX_SIDE || opt->width > NF_DS_PNG_MAX_SIDE)
        return nf_fail(NF_ERR_ARG, "fixed image size %dx%d: give both height and width (1 to %d), "
                       "or neither", opt->height, opt->width, NF_DS_PNG_MAX_SIDE);
    struct stat sb;
    if (stat(spec, &sb) != 0) return nf_fail(NF_ERR_IO, "%s: %s", spec, strerror(errno));
    nf_status st = S_ISDIR(sb.st_mode) ? load_dir(spec, opt, out) : load_file(spec, out);
    if (st) nf_ds_pair_free(out);
    return st;
}
