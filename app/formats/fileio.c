#include "app/formats/fileio.h"

#include "datasets/readfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

nf_status nf_file_read_max(const char *path, size_t max, unsigned char **data, size_t *len)
{
    return nf_ds_read_regular(path, max, data, len);
}

nf_status nf_file_read(const char *path, unsigned char **data, size_t *len)
{
    return nf_ds_read_regular(path, NF_FILE_MAX_BYTES, data, len);
}

nf_status nf_file_write(const char *path, const void *data, size_t len)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) return nf_fail(NF_ERR_NOMEM, "%s: cannot allocate a name", path);
    snprintf(tmp, plen + 16, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    nf_status st = NF_OK;
    if (!f) st = nf_fail(NF_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    else {
        int bad = len && fwrite(data, 1, len, f) != len;
        bad |= fflush(f) != 0;
        bad |= fsync(fileno(f)) != 0; /* the bytes on disk before the name points at them */
        bad |= fclose(f) != 0;
        if (bad) st = nf_fail(NF_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
        else if (rename(tmp, path) != 0) st = nf_fail(NF_ERR_IO, "%s: cannot replace: %s", path, strerror(errno));
        if (st) remove(tmp);
    }
    free(tmp);
    return st;
}

nf_status nf_file_write_encoded(const char *path, nf_status encoded, unsigned char *buf, size_t len)
{
    if (encoded) {
        char detail[512];
        snprintf(detail, sizeof detail, "%s", nf_last_error());
        return nf_fail(encoded, "%s: %s", path, detail);
    }
    nf_status st = nf_file_write(path, buf, len);
    free(buf);
    return st;
}
