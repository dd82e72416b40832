/* CIFAR-10 and CIFAR-100 binary batches.
 *
 * A file is a sequence of records: 1 label byte (CIFAR-10) or 2 (CIFAR-100:
 * coarse, fine) followed by 3072 pixel bytes, the 32x32 red plane, then
 * green, then blue — already the [C][H][W] order of nf_dataset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/fsutil.h"
#include "datasets/format.h"
#include "datasets/readfile.h"

#define CIFAR_PIXELS 3072

static const char *const cifar10_names[10] = {
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
};

/* Records of one file appended to a growing pixel/label store. */
typedef struct store {
    uint8_t *pixels; /* n * 3072 bytes; owned */
    int *labels;     /* n labels; owned */
    int n;
} store;

static nf_status check_labels(const char *path, const uint8_t *buf, size_t records, int label_bytes)
{
    size_t rec = (size_t)label_bytes + CIFAR_PIXELS;
    for (size_t r = 0; r < records; r++) {
        const uint8_t *p = buf + r * rec;
        if (label_bytes == 1 && p[0] >= 10)
            return nf_fail(NF_ERR_FORMAT, "%s: record %zu (offset %zu): label %d out of range [0, 10)",
                           path, r, r * rec, p[0]);
        if (label_bytes == 2 && (p[0] >= 20 || p[1] >= 100))
            return nf_fail(NF_ERR_FORMAT,
                           "%s: record %zu (offset %zu): coarse label %d / fine label %d out of range "
                           "[0, 20) / [0, 100)", path, r, r * rec, p[0], p[1]);
    }
    return NF_OK;
}

static nf_status append_file(const char *path, int label_bytes, store *s)
{
    size_t len, rec = (size_t)label_bytes + CIFAR_PIXELS;
    uint8_t *buf;
    nf_status st = nf_ds_read_file(path, &buf, &len);
    if (st) return st;
    size_t records = len / rec;
    if (len == 0)
        st = nf_fail(NF_ERR_FORMAT, "%s: empty file, no CIFAR records", path);
    else if (len % rec)
        st = nf_fail(NF_ERR_FORMAT,
                     "%s: %zu bytes is not a multiple of the %zu-byte CIFAR-%d record (%zu whole "
                     "records, then %zu bytes)", path, len, rec, label_bytes == 1 ? 10 : 100,
                     records, len % rec);
    else if (records > (size_t)(INT32_MAX / 2 - s->n))
        st = nf_fail(NF_ERR_FORMAT, "%s: too many records", path);
    if (!st) st = check_labels(path, buf, records, label_bytes);
    uint8_t *pix = NULL;
    int *lab = NULL;
    if (!st) {
        size_t n = (size_t)s->n + records;
        pix = realloc(s->pixels, n * CIFAR_PIXELS);
        if (pix) s->pixels = pix;
        lab = realloc(s->labels, n * sizeof *lab);
        if (lab) s->labels = lab;
        if (!pix || !lab) st = nf_fail(NF_ERR_NOMEM, "%s: cannot allocate %zu images", path, n);
    }
    for (size_t r = 0; !st && r < records; r++) {
        const uint8_t *p = buf + r * rec;
        s->labels[s->n] = p[label_bytes - 1];
        memcpy(s->pixels + (size_t)s->n * CIFAR_PIXELS, p + label_bytes, CIFAR_PIXELS);
        s->n++;
    }
    free(buf);
    return st;
}

/* CIFAR-100 names from fine_label_names.txt next to the batches, if there. */
static nf_status read_fine_names(const char *dir, nf_dataset *ds)
{
    char path[NF_DS_PATH_MAX];
    if (nf_ds_join(path, dir, "fine_label_names.txt") || !nf_ds_is_file(path)) return NF_OK;
    FILE *f = fopen(path, "r");
    if (!f) return NF_OK;
    char line[256];
    nf_status st = NF_OK;
    for (int k = 0; k < ds->n_classes && !st && fgets(line, sizeof line, f);) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0]) st = nf_ds_set_class_name(ds, k++, line);
    }
    fclose(f);
    return st;
}

static nf_status finish(store *s, int label_bytes, const char *dir, nf_dataset **out)
{
    int classes = label_bytes == 1 ? 10 : 100;
    nf_status st = nf_ds_adopt(s->n, 3, 32, 32, classes, s->pixels, s->labels, out);
    s->pixels = NULL;
    s->labels = NULL;
    if (st) return st;
    strcpy((*out)->format, label_bytes == 1 ? "cifar-10" : "cifar-100");
    for (int k = 0; k < 10 && label_bytes == 1 && !st; k++)
        st = nf_ds_set_class_name(*out, k, cifar10_names[k]);
    if (!st && label_bytes == 2 && dir) st = read_fine_names(dir, *out);
    if (st) { nf_ds_destroy(*out); *out = NULL; }
    return st;
}

nf_status nf_ds_load_cifar_file(const char *path, int label_bytes, nf_dataset **out)
{
    *out = NULL;
    if (label_bytes != 1 && label_bytes != 2)
        return nf_fail(NF_ERR_ARG, "%s: CIFAR records have 1 or 2 label bytes, not %d", path,
                       label_bytes);
    store s = {0};
    nf_status st = append_file(path, label_bytes, &s);
    if (!st) return finish(&s, label_bytes, NULL, out);
    free(s.pixels);
    free(s.labels);
    return st;
}

static int is_train_batch(const char *name)
{
    return !strncmp(name, "data_batch_", 11) && nf_ds_ends_with(name, ".bin");
}

/* Loads the files of one split (CIFAR-10 train: every data_batch_*.bin). */
static nf_status load_split(const char *dir, const char *only, int label_bytes, nf_dataset **out)
{
    nf_ds_names files;
    char path[NF_DS_PATH_MAX];
    store s = {0};
    nf_status st = nf_ds_list_dir(dir, 0, &files);
    for (int i = 0; !st && i < files.count; i++) {
        int take = only ? !strcmp(files.name[i], only) : is_train_batch(files.name[i]);
        if (take && !(st = nf_ds_join(path, dir, files.name[i]))) st = append_file(path, label_bytes, &s);
    }
    nf_ds_names_free(&files);
    if (!st) return finish(&s, label_bytes, dir, out);
    free(s.pixels);
    free(s.labels);
    return st;
}

static int has(const char *dir, const char *name)
{
    char path[NF_DS_PATH_MAX];
    return !nf_ds_join(path, dir, name) && nf_ds_is_file(path);
}

nf_status nf_ds_load_cifar_dir(const char *dir, const nf_ds_load_options *opt, nf_ds_pair *out)
{
    out->train = out->test = NULL;
    int ten = has(dir, "data_batch_1.bin") || has(dir, "test_batch.bin");
    if (!ten && !has(dir, "train.bin"))
        return nf_fail(NF_ERR_IO, "%s: no CIFAR batches (data_batch_*.bin or train.bin)", dir);
    nf_status st = load_split(dir, ten ? NULL : "train.bin", ten ? 1 : 2, &out->train);
    if (!st && out->train->n == 0)
        st = nf_fail(NF_ERR_FORMAT, "%s: no training batches data_batch_*.bin", dir);
    const char *test = ten ? "test_batch.bin" : "test.bin";
    if (!st && (!opt || opt->load_test) && has(dir, test))
        st = load_split(dir, test, ten ? 1 : 2, &out->test);
    if (st) nf_ds_pair_free(out);
    return st;
}

/* ---- the format descriptor ---- */

static int is_batch(const char *name)
{
    return !strcmp(name, "test_batch.bin") || !strcmp(name, "train.bin") || is_train_batch(name);
}

/* *found = 1 when dir holds a CIFAR batch. */
static nf_status holds_batches(const char *dir, int *found)
{
    nf_ds_names files;
    *found = 0;
    nf_status st = nf_ds_list_dir(dir, 0, &files);
    if (st == NF_ERR_NOMEM) return st;
    if (st) return NF_OK;
    for (int i = 0; i < files.count && !*found; i++) *found = is_batch(files.name[i]);
    nf_ds_names_free(&files);
    return NF_OK;
}

/* The folders the CIFAR archives unpack to, so their parent may be named. */
static const char *const archive_folders[2] = {"cifar-10-batches-bin", "cifar-100-binary"};

static nf_status probe_dir(const char *dir, char *where, int *found)
{
    nf_status st = holds_batches(dir, found);
    if (st || *found) { snprintf(where, NF_DS_PATH_MAX, "%s", dir); return st; }
    for (int i = 0; i < 2 && !*found; i++)
        if (!nf_ds_join(where, dir, archive_folders[i]) && nf_ds_is_dir(where) && (st = holds_batches(where, found)))
            return st;
    return NF_OK;
}

static int probe_file(const char *base) { return nf_ds_ends_with(base, ".bin"); }

static nf_status load_file(const char *path, nf_ds_pair *out)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    int two = !strcmp(base, "train.bin") || !strcmp(base, "test.bin");
    return nf_ds_load_cifar_file(path, two ? 2 : 1, &out->train);
}

const nf_ds_loader nf_ds_cifar_loader = {.name = "cifar", .probe_dir = probe_dir, .load_dir = nf_ds_load_cifar_dir,
                                         .probe_file = probe_file, .load_file = load_file};
