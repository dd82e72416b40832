/* Folders of PNG images, one sub-folder per class (the ImageFolder
 * convention): root/<class>/<image>.png, or root/train/<class>/<image>.png with an
 * optional root/test/<class>/<image>.png.
 *
 * Two passes: the headers of every image first (so the channel count and the
 * size are settled, and mixed sizes are reported, before anything is
 * decoded), then the decoding straight into the data set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/fsutil.h"
#include "datasets/format.h"
#include "datasets/pngread.h"

/* The image files of one split with their labels. */
typedef struct file_list {
    char **path; /* n paths; owned */
    int *label;  /* n class indices */
    int n, cap;
} file_list;

/* The shape every image is brought to, settled by the header pass. */
typedef struct shape {
    int c, h, w;
    const char *first; /* the file the size was taken from (borrowed) */
} shape;

static void list_free(file_list *l)
{
    for (int i = 0; i < l->n; i++) free(l->path[i]);
    free(l->path);
    free(l->label);
    memset(l, 0, sizeof *l);
}

static nf_status list_add(file_list *l, const char *path, int label)
{
    if (l->n == l->cap) {
        int next = l->cap ? l->cap * 2 : 256;
        char **p = realloc(l->path, (size_t)next * sizeof *p);
        if (p) l->path = p;
        int *q = realloc(l->label, (size_t)next * sizeof *q);
        if (q) l->label = q;
        if (!p || !q) return nf_fail(NF_ERR_NOMEM, "cannot allocate a file list");
        l->cap = next;
    }
    if (!(l->path[l->n] = strdup(path))) return nf_fail(NF_ERR_NOMEM, "cannot allocate a file list");
    l->label[l->n++] = label;
    return NF_OK;
}

/* Adds the .png files of dir/<class> with the given label. */
static nf_status collect_class(const char *dir, const char *cls, int label, file_list *l)
{
    char cdir[NF_DS_PATH_MAX], path[NF_DS_PATH_MAX];
    nf_ds_names files;
    nf_status st = nf_ds_join(cdir, dir, cls);
    if (!st) st = nf_ds_list_dir(cdir, 0, &files);
    if (st) return st;
    int found = 0;
    for (int i = 0; i < files.count && !st; i++) {
        if (!nf_ds_ends_with(files.name[i], ".png")) continue;
        st = nf_ds_join(path, cdir, files.name[i]);
        if (!st) st = list_add(l, path, label);
        found++;
    }
    nf_ds_names_free(&files);
    if (!st && !found)
        st = nf_fail(NF_ERR_FORMAT, "%s: empty class folder (no .png files)", cdir);
    return st;
}

static int class_index(const nf_ds_names *classes, const char *name)
{
    for (int k = 0; k < classes->count; k++)
        if (!strcmp(classes->name[k], name)) return k;
    return -1;
}

/* Collects dir/<class>/<image>.png for the classes of dir; with `known` (the test
 * split) every class folder must be one of known's, and labels follow it. */
static nf_status collect(const char *dir, const nf_ds_names *known, nf_ds_names *classes,
                         file_list *l)
{
    nf_status st = nf_ds_list_dir(dir, 1, classes);
    if (!st && classes->count == 0)
        st = nf_fail(NF_ERR_FORMAT, "%s: empty data set: no class folders (expected %s/<class>/<image>.png),"
                     " no IDX files, no CIFAR batches", dir, dir);
    for (int k = 0; k < classes->count && !st; k++) {
        int label = known ? class_index(known, classes->name[k]) : k;
        if (label < 0)
            st = nf_fail(NF_ERR_FORMAT, "%s/%s: class not in the training set", dir, classes->name[k]);
        else
            st = collect_class(dir, classes->name[k], label, l);
    }
    return st;
}

/* The header pass: settles the channel count and checks the sizes. */
static nf_status scan(const file_list *l, const nf_ds_load_options *opt, shape *s)
{
    for (int i = 0; i < l->n; i++) {
        nf_png_header hd;
        nf_status st = nf_ds_png_header(l->path[i], &hd);
        if (st) return st;
        if (hd.color) s->c = 3;
        if (opt->height) continue;
        if (!s->first) {
            s->h = hd.height;
            s->w = hd.width;
            s->first = l->path[i];
        } else if (hd.height != s->h || hd.width != s->w) {
            return nf_fail(NF_ERR_FORMAT, "%s: image is %dx%d but %s is %dx%d (mixed image sizes; ask "
                           "for a fixed size to centre crop/pad)", l->path[i], hd.height, hd.width,
                           s->first, s->h, s->w);
        }
    }
    return NF_OK;
}

static nf_status decode_all(const file_list *l, const shape *s, const nf_ds_names *classes,
                            nf_dataset **out)
{
    nf_status st = nf_ds_create(l->n, s->c, s->h, s->w, classes->count, out);
    for (int k = 0; k < classes->count && !st; k++) st = nf_ds_set_class_name(*out, k, classes->name[k]);
    for (int i = 0; i < l->n && !st; i++) {
        st = nf_ds_png_decode(l->path[i], s->c, s->h, s->w, (*out)->pixels + i * nf_ds_image_bytes(*out));
        (*out)->labels[i] = l->label[i];
    }
    if (!st) strcpy((*out)->format, "png-folder");
    if (st) { nf_ds_destroy(*out); *out = NULL; }
    return st;
}

/* root/train (a folder of class folders) means the train/test layout. */
static int split_layout(const char *root, char *train, char *test)
{
    nf_ds_names sub;
    if (nf_ds_join(train, root, "train") || nf_ds_join(test, root, "test") || !nf_ds_is_dir(train))
        return 0;
    if (nf_ds_list_dir(train, 1, &sub)) return 0;
    int classes = sub.count;
    nf_ds_names_free(&sub);
    if (!nf_ds_is_dir(test)) test[0] = '\0';
    return classes > 0;
}

nf_status nf_ds_load_png_folder(const char *root, const nf_ds_load_options *opt, nf_ds_pair *out)
{
    nf_ds_load_options defaults = nf_ds_load_defaults();
    if (!opt) opt = &defaults;
    out->train = out->test = NULL;
    char train_dir[NF_DS_PATH_MAX], test_dir[NF_DS_PATH_MAX];
    if (!split_layout(root, train_dir, test_dir)) {
        snprintf(train_dir, sizeof train_dir, "%s", root);
        test_dir[0] = '\0';
    }
    if (!opt->load_test) test_dir[0] = '\0';
    nf_ds_names classes = {0}, test_classes = {0};
    file_list train = {0}, test = {0};
    shape s = {.c = 1, .h = opt->height, .w = opt->width};
    nf_status st = collect(train_dir, NULL, &classes, &train);
    if (!st && test_dir[0]) st = collect(test_dir, &classes, &test_classes, &test);
    if (!st) st = scan(&train, opt, &s);
    if (!st) st = scan(&test, opt, &s);
    if (!st) st = decode_all(&train, &s, &classes, &out->train);
    if (!st && test_dir[0]) st = decode_all(&test, &s, &classes, &out->test);
    if (st) nf_ds_pair_free(out);
    list_free(&train);
    list_free(&test);
    nf_ds_names_free(&classes);
    nf_ds_names_free(&test_classes);
    return st;
}

/* ---- the format descriptor ---- */

/* Any directory: the last format tried; the loader says what is missing. */
static nf_status probe_dir(const char *dir, char *where, int *found)
{
    snprintf(where, NF_DS_PATH_MAX, "%s", dir);
    *found = 1;
    return NF_OK;
}

const nf_ds_loader nf_ds_png_loader = {.name = "png-folder", .probe_dir = probe_dir,
                                       .load_dir = nf_ds_load_png_folder};
