/* IDX files (MNIST, Fashion-MNIST, KMNIST, EMNIST), plain or gzip.
 *
 * Layout: two zero bytes, a type byte (0x08 = unsigned byte), the number of
 * dimensions, then each dimension as a big-endian uint32, then the data.
 * Images have 3 dimensions (n, h, w), labels 1 (n). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/fsutil.h"
#include "datasets/format.h"
#include "datasets/readfile.h"

static const char *const fashion_names[10] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Checks the header of an IDX file with `dims` dimensions and that the data
 * after it is exactly the product of the dimensions; dim[] gets them. */
static nf_status check_header(const char *path, const uint8_t *buf, size_t len, int dims,
                              uint32_t dim[3])
{
    const char *what = dims == 3 ? "images" : "labels";
    if (len < 4)
        return nf_fail(NF_ERR_FORMAT, "%s: %zu bytes, too short for an IDX header", path, len);
    if (buf[0] || buf[1] || buf[2] != 0x08)
        return nf_fail(NF_ERR_FORMAT,
                       "%s: bad IDX magic 0x%02x%02x%02x%02x at offset 0 (expected 0x000008%02x for "
                       "unsigned-byte %s)", path, buf[0], buf[1], buf[2], buf[3], dims, what);
    if (buf[3] != dims)
        return nf_fail(NF_ERR_FORMAT, "%s: IDX %s need %d dimension%s, header (offset 3) says %d",
                       path, what, dims, dims > 1 ? "s" : "", buf[3]);
    size_t head = 4 + 4 * (size_t)dims, data = 1;
    if (len < head)
        return nf_fail(NF_ERR_FORMAT, "%s: %zu bytes, shorter than the %zu-byte IDX header", path,
                       len, head);
    for (int d = 0; d < dims; d++) {
        dim[d] = be32(buf + 4 + 4 * d);
        if (dim[d] == 0 || dim[d] > INT32_MAX)
            return nf_fail(NF_ERR_FORMAT, "%s: IDX dimension %d (offset %d) is %u", path, d,
                           4 + 4 * d, dim[d]);
        if (!nf_ds_mul(data, dim[d], &data))
            return nf_fail(NF_ERR_FORMAT, "%s: IDX dimensions overflow", path);
    }
    if (data != len - head)
        return nf_fail(NF_ERR_FORMAT,
                       "%s: header sizes need %zu data bytes after the %zu-byte header, the file "
                       "has %zu", path, data, head, len - head);
    return NF_OK;
}

static nf_status read_idx(const char *path, int dims, uint8_t **buf, uint32_t dim[3])
{
    size_t len;
    nf_status st = nf_ds_read_file(path, buf, &len);
    if (!st) st = check_header(path, *buf, len, dims, dim);
    if (!st && dims == 3 && (dim[1] > NF_DS_MAX_SIDE || dim[2] > NF_DS_MAX_SIDE))
        st = nf_fail(NF_ERR_FORMAT, "%s: images of %ux%u are too large", path, dim[1], dim[2]);
    if (st) { free(*buf); *buf = NULL; }
    return st;
}

/* Label bytes into ints, checking the range when n_classes > 0; returns the
 * class count used. */
static nf_status convert_labels(const char *path, const uint8_t *raw, int n, int *n_classes,
                                int *labels)
{
    int max = 0;
    for (int i = 0; i < n; i++) {
        labels[i] = raw[i];
        if (raw[i] > max) max = raw[i];
        if (*n_classes > 0 && raw[i] >= *n_classes)
            return nf_fail(NF_ERR_FORMAT, "%s: label %d of item %d (offset %d) out of range [0, %d)",
                           path, raw[i], i, 8 + i, *n_classes);
    }
    if (*n_classes == 0) *n_classes = max < 10 ? 10 : max + 1;
    return NF_OK;
}

nf_status nf_ds_load_idx(const char *images, const char *labels, int n_classes, nf_dataset **out)
{
    *out = NULL;
    uint8_t *img = NULL, *lab = NULL;
    int *lab_int = NULL;
    uint32_t idim[3], ldim[3];
    nf_status st = read_idx(images, 3, &img, idim);
    if (!st) st = read_idx(labels, 1, &lab, ldim);
    if (!st && idim[0] != ldim[0])
        st = nf_fail(NF_ERR_FORMAT, "%s: %u labels, but %s has %u images", labels, ldim[0], images,
                     idim[0]);
    if (!st && !(lab_int = malloc(idim[0] * sizeof *lab_int)))
        st = nf_fail(NF_ERR_NOMEM, "%s: cannot allocate %u labels", labels, ldim[0]);
    if (!st) st = convert_labels(labels, lab + 8, (int)idim[0], &n_classes, lab_int);
    free(lab);
    if (st) { free(img); free(lab_int); return st; }
    /* The pixels follow the 16-byte header: slide them down and keep the buffer. */
    size_t bytes = (size_t)idim[0] * idim[1] * idim[2];
    memmove(img, img + 16, bytes);
    st = nf_ds_adopt((int)idim[0], 1, (int)idim[1], (int)idim[2], n_classes, img, lab_int, out);
    if (!st) strcpy((*out)->format, "idx");
    return st;
}

/* ---- finding the files of one IDX data set in a directory ---- */

/* "<prefix><split>-<kind>-ubyte[.gz]" for split "train"/"t10k"/"test" and
 * kind "images-idx3"/"labels-idx1": the plain file if present, else .gz. */
static int find_part(char *out, const char *dir, const char *prefix, const char *split,
                     const char *kind)
{
    static const char *const suffixes[2] = {"", ".gz"};
    for (int s = 0; s < 2; s++) {
        char name[NF_DS_PATH_MAX];
        int n = snprintf(name, sizeof name, "%s%s-%s-ubyte%s", prefix, split, kind, suffixes[s]);
        if (n <= 0 || n >= (int)sizeof name || nf_ds_join(out, dir, name)) return 0;
        if (nf_ds_is_file(out)) return 1;
    }
    return 0;
}

static int is_train_images(const char *name)
{
    const char *hit = strstr(name, "train-images-idx3-ubyte");
    return hit && (!hit[23] || !strcmp(hit + 23, ".gz"));
}

/* The prefix before "train-images-idx3-ubyte" of the one IDX data set in dir. */
static nf_status find_prefix(const char *dir, char *prefix)
{
    nf_ds_names files;
    nf_status st = nf_ds_list_dir(dir, 0, &files);
    if (st) return st;
    int found = 0;
    for (int i = 0; i < files.count && !st; i++) {
        if (!is_train_images(files.name[i])) continue;
        const char *hit = strstr(files.name[i], "train-images-idx3-ubyte");
        size_t len = (size_t)(hit - files.name[i]);
        if (found && (strlen(prefix) != len || strncmp(prefix, files.name[i], len)))
            st = nf_fail(NF_ERR_FORMAT, "%s: holds several IDX data sets (%strain-... and %.*strain-...); "
                         "name one images file", dir, prefix, (int)len, files.name[i]);
        memcpy(prefix, files.name[i], len);
        prefix[len] = '\0';
        found = 1;
    }
    nf_ds_names_free(&files);
    if (!st && !found)
        st = nf_fail(NF_ERR_IO, "%s: no IDX file *train-images-idx3-ubyte[.gz]", dir);
    return st;
}

static int contains_ci(const char *s, const char *word)
{
    for (; *s; s++) {
        size_t i = 0;
        while (word[i] && (s[i] | 0x20) == word[i]) i++;
        if (!word[i]) return 1;
    }
    return 0;
}

static nf_status name_classes(nf_dataset *ds, const char *dir)
{
    nf_status st = NF_OK;
    if (contains_ci(dir, "fashion") && ds->n_classes == 10)
        for (int k = 0; k < 10 && !st; k++) st = nf_ds_set_class_name(ds, k, fashion_names[k]);
    return st;
}

static nf_status load_test(const char *dir, const char *prefix, const nf_dataset *train,
                           nf_dataset **test)
{
    char images[NF_DS_PATH_MAX], labels[NF_DS_PATH_MAX];
    const char *split = find_part(images, dir, prefix, "t10k", "images-idx3") ? "t10k"
                        : find_part(images, dir, prefix, "test", "images-idx3") ? "test" : NULL;
    if (!split) return NF_OK;
    if (!find_part(labels, dir, prefix, split, "labels-idx1"))
        return nf_fail(NF_ERR_IO, "%s/%s%s-labels-idx1-ubyte[.gz]: missing (the labels of %s)", dir,
                       prefix, split, images);
    nf_status st = nf_ds_load_idx(images, labels, train->n_classes, test);
    if (!st && ((*test)->h != train->h || (*test)->w != train->w)) {
        st = nf_fail(NF_ERR_FORMAT, "%s: images are %dx%d, the training images %dx%d", images,
                     (*test)->h, (*test)->w, train->h, train->w);
    }
    for (int k = 0; k < train->n_classes && !st; k++)
        st = nf_ds_set_class_name(*test, k, train->class_names[k]);
    if (st) { nf_ds_destroy(*test); *test = NULL; }
    return st;
}

nf_status nf_ds_load_idx_dir(const char *dir, const nf_ds_load_options *opt, nf_ds_pair *out)
{
    char prefix[NF_DS_PATH_MAX], images[NF_DS_PATH_MAX], labels[NF_DS_PATH_MAX];
    out->train = out->test = NULL;
    nf_status st = find_prefix(dir, prefix);
    if (st) return st;
    find_part(images, dir, prefix, "train", "images-idx3");
    if (!find_part(labels, dir, prefix, "train", "labels-idx1"))
        return nf_fail(NF_ERR_IO, "%s/%strain-labels-idx1-ubyte[.gz]: missing (the labels of %s)",
                       dir, prefix, images);
    st = nf_ds_load_idx(images, labels, contains_ci(dir, "fashion") ? 10 : 0, &out->train);
    if (!st) st = name_classes(out->train, dir);
    if (!st && (!opt || opt->load_test)) st = load_test(dir, prefix, out->train, &out->test);
    if (st) nf_ds_pair_free(out);
    return st;
}

/* The directory part of path into dir. */
static void dirname_of(const char *path, char *dir)
{
    const char *slash = strrchr(path, '/');
    if (!slash) { strcpy(dir, "."); return; }
    size_t len = slash == path ? 1 : (size_t)(slash - path);
    memcpy(dir, path, len);
    dir[len] = '\0';
}

nf_status nf_ds_load_idx_file(const char *images, nf_dataset **out)
{
    char labels[NF_DS_PATH_MAX], dir[NF_DS_PATH_MAX];
    *out = NULL;
    const char *hit = strstr(images, "images-idx3-ubyte");
    if (!hit || strlen(images) >= NF_DS_PATH_MAX - 8)
        return nf_fail(NF_ERR_ARG, "%s: not an IDX images file name (*images-idx3-ubyte[.gz])", images);
    int pre = (int)(hit - images);
    snprintf(labels, sizeof labels, "%.*slabels-idx1-ubyte", pre, images);
    if (!nf_ds_is_file(labels)) strcat(labels, ".gz");
    if (!nf_ds_is_file(labels))
        return nf_fail(NF_ERR_IO, "%.*slabels-idx1-ubyte[.gz]: missing (the labels of %s)", pre,
                       images, images);
    dirname_of(images, dir);
    nf_status st = nf_ds_load_idx(images, labels, contains_ci(dir, "fashion") ? 10 : 0, out);
    if (!st) st = name_classes(*out, dir);
    if (st) { nf_ds_destroy(*out); *out = NULL; }
    return st;
}

/* ---- the format descriptor ---- */

static nf_status probe_dir(const char *dir, char *where, int *found)
{
    nf_ds_names files;
    *found = 0;
    nf_status st = nf_ds_list_dir(dir, 0, &files);
    if (st == NF_ERR_NOMEM) return st;
    if (st) return NF_OK; /* unreadable: not this format (the PNG loader reports it) */
    for (int i = 0; i < files.count && !*found; i++) *found = is_train_images(files.name[i]);
    nf_ds_names_free(&files);
    snprintf(where, NF_DS_PATH_MAX, "%s", dir);
    return NF_OK;
}

static int probe_file(const char *base) { return strstr(base, "images-idx3-ubyte") != NULL; }

static nf_status load_file(const char *path, nf_ds_pair *out) { return nf_ds_load_idx_file(path, &out->train); }

const nf_ds_loader nf_ds_idx_loader = {.name = "idx", .probe_dir = probe_dir, .load_dir = nf_ds_load_idx_dir,
                                       .probe_file = probe_file, .load_file = load_file};
