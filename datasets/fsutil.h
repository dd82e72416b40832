/* Small file-system helpers for the loaders. Internal to datasets/. */
#ifndef NF_DS_FSUTIL_H
#define NF_DS_FSUTIL_H

#include <stddef.h>

#include "engine/status.h"

#define NF_DS_PATH_MAX 4096

/* A sorted list of directory entry names (no "." or ".." or hidden names). */
typedef struct nf_ds_names {
    char **name; /* count names, each malloc'd; owned */
    int count;
} nf_ds_names;

/* Lists dir; want_dirs selects sub-directories (1) or regular files (0). */
nf_status nf_ds_list_dir(const char *dir, int want_dirs, nf_ds_names *out);
void nf_ds_names_free(nf_ds_names *names);

/* dir + "/" + name into out[NF_DS_PATH_MAX]; NF_ERR_ARG when too long. */
nf_status nf_ds_join(char *out, const char *dir, const char *name);
int nf_ds_is_dir(const char *path);
int nf_ds_is_file(const char *path);
/* Whether name ends with suffix, ignoring case. */
int nf_ds_ends_with(const char *name, const char *suffix);

#endif
