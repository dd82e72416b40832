#include "app/fileio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

nf_status nf_file_read(const char *path, unsigned char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return nf_fail(NF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap + 1);
    nf_status st = NF_OK;
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        if (cap >= NF_FILE_MAX_BYTES) { st = nf_fail(NF_ERR_IO, "%s: larger than %zu bytes", path, cap); break; }
        unsigned char *more = realloc(buf, 2 * cap + 1);
        if (!more) { free(buf); buf = NULL; break; }
        buf = more;
        cap *= 2;
    }
    if (!buf) st = nf_fail(NF_ERR_NOMEM, "%s: cannot allocate memory to read it", path);
    else if (!st && ferror(f)) st = nf_fail(NF_ERR_IO, "%s: read error: %s", path, strerror(errno));
    fclose(f);
    if (st) { free(buf); return st; }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return NF_OK;
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
