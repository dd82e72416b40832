#include "datasets/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static nf_status add_name(nf_ds_names *out, int *cap, const char *name)
{
    if (out->count == *cap) {
        int next = *cap ? *cap * 2 : 16;
        char **p = realloc(out->name, (size_t)next * sizeof *p);
        if (!p) return nf_fail(NF_ERR_NOMEM, "cannot allocate a directory listing");
        out->name = p;
        *cap = next;
    }
    if (!(out->name[out->count] = strdup(name)))
        return nf_fail(NF_ERR_NOMEM, "cannot allocate a directory listing");
    out->count++;
    return NF_OK;
}

nf_status nf_ds_list_dir(const char *dir, int want_dirs, nf_ds_names *out)
{
    out->name = NULL;
    out->count = 0;
    DIR *d = opendir(dir);
    if (!d) return nf_fail(NF_ERR_IO, "%s: cannot open directory: %s", dir, strerror(errno));
    nf_status st = NF_OK;
    int cap = 0;
    char path[NF_DS_PATH_MAX];
    struct dirent *e;
    while (!st && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if ((st = nf_ds_join(path, dir, e->d_name))) break;
        if (want_dirs ? nf_ds_is_dir(path) : nf_ds_is_file(path)) st = add_name(out, &cap, e->d_name);
    }
    closedir(d);
    if (st) { nf_ds_names_free(out); return st; }
    if (out->count) qsort(out->name, (size_t)out->count, sizeof *out->name, by_name);
    return NF_OK;
}

void nf_ds_names_free(nf_ds_names *names)
{
    for (int i = 0; i < names->count; i++) free(names->name[i]);
    free(names->name);
    names->name = NULL;
    names->count = 0;
}

nf_status nf_ds_join(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, NF_DS_PATH_MAX, "%s/%s", dir, name);
    if (n < 0 || n >= NF_DS_PATH_MAX) return nf_fail(NF_ERR_ARG, "%s/%s: path too long", dir, name);
    return NF_OK;
}

int nf_ds_is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

int nf_ds_is_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

int nf_ds_ends_with(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n >= s && strcasecmp(name + n - s, suffix) == 0;
}
