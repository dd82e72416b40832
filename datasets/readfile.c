#include "datasets/readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* A capacity guess so the buffer is allocated once: the file size for a
 * plain file, the gzip trailer's ISIZE (clipped to what deflate can reach)
 * for a gzip file. Only a hint; the read grows the buffer as needed. */
static size_t size_hint(const char *path, size_t size)
{
    if (size == 0) return 1 << 16;
    FILE *f = fopen(path, "rb");
    if (!f) return size + 1;
    unsigned char head[2], tail[4];
    size_t hint = size + 1;
    if (fread(head, 1, 2, f) == 2 && head[0] == 0x1f && head[1] == 0x8b && size >= 18 &&
        fseek(f, -4, SEEK_END) == 0 && fread(tail, 1, 4, f) == 4) {
        size_t isize = tail[0] | (size_t)tail[1] << 8 | (size_t)tail[2] << 16 | (size_t)tail[3] << 24;
        size_t max = size < SIZE_MAX / 1100 ? size * 1100 : SIZE_MAX / 2;
        hint = (isize < max ? isize : max) + 1;
    }
    fclose(f);
    return hint < NF_DS_MAX_FILE_BYTES ? hint : NF_DS_MAX_FILE_BYTES;
}

static nf_status grow(uint8_t **buf, size_t *cap, const char *path)
{
    if (*cap >= NF_DS_MAX_FILE_BYTES)
        return nf_fail(NF_ERR_FORMAT, "%s: larger than %zu bytes once decompressed", path,
                       (size_t)NF_DS_MAX_FILE_BYTES);
    size_t next = *cap * 2;
    uint8_t *p = realloc(*buf, next);
    if (!p) return nf_fail(NF_ERR_NOMEM, "%s: cannot allocate %zu bytes", path, next);
    *buf = p;
    *cap = next;
    return NF_OK;
}

static nf_status read_all(gzFile f, const char *path, size_t size, uint8_t **data, size_t *len)
{
    size_t cap = size_hint(path, size), used = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) return nf_fail(NF_ERR_NOMEM, "%s: cannot allocate %zu bytes", path, cap);
    nf_status st = NF_OK;
    for (;;) {
        if (used == cap && (st = grow(&buf, &cap, path))) break;
        size_t want = cap - used;
        if (want > INT_MAX / 2) want = INT_MAX / 2;
        int got = gzread(f, buf + used, (unsigned)want);
        if (got <= 0) break;
        used += (size_t)got;
    }
    int err = Z_OK;
    const char *msg = gzerror(f, &err);
    if (!st && err == Z_ERRNO)
        st = nf_fail(NF_ERR_IO, "%s: read error after %zu bytes: %s", path, used, strerror(errno));
    else if (!st && err == Z_BUF_ERROR)
        st = nf_fail(NF_ERR_FORMAT, "%s: truncated gzip stream (ends after %zu decompressed bytes)",
                     path, used);
    else if (!st && err != Z_OK)
        st = nf_fail(NF_ERR_FORMAT, "%s: corrupt gzip stream after %zu decompressed bytes: %s", path,
                     used, msg);
    if (st) { free(buf); return st; }
    *data = buf;
    *len = used;
    return NF_OK;
}

static const char *file_kind(mode_t mode)
{
    return S_ISDIR(mode) ? "a directory" : S_ISFIFO(mode) ? "a FIFO (named pipe)" : S_ISCHR(mode) ? "a character device"
         : S_ISBLK(mode) ? "a block device" : S_ISSOCK(mode) ? "a socket" : "not a regular file";
}

nf_status nf_ds_open_regular(const char *path, size_t max, int *fd, size_t *size)
{
    *fd = -1;
    *size = 0;
    int f = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* O_NONBLOCK: a FIFO opens at once, to be refused */
    if (f < 0) return nf_fail(NF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    nf_status st = NF_OK;
    if (fstat(f, &sb) != 0) st = nf_fail(NF_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    else if (!S_ISREG(sb.st_mode)) st = nf_fail(NF_ERR_IO, "%s: is %s, expected a regular file", path, file_kind(sb.st_mode));
    else if (sb.st_size < 0 || (uint64_t)sb.st_size > max)
        st = nf_fail(NF_ERR_IO, "%s: %lld bytes, larger than the %zu this file may have", path, (long long)sb.st_size, max);
    else if (fcntl(f, F_SETFL, fcntl(f, F_GETFL) & ~O_NONBLOCK) != 0)
        st = nf_fail(NF_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    if (st) { close(f); return st; }
    *fd = f;
    *size = (size_t)sb.st_size;
    return NF_OK;
}

nf_status nf_ds_read_regular(const char *path, size_t max, uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    int fd;
    size_t size, used = 0;
    nf_status st = nf_ds_open_regular(path, max, &fd, &size);
    if (st) return st;
    uint8_t *buf = malloc(size + 1);
    if (!buf) st = nf_fail(NF_ERR_NOMEM, "%s: cannot allocate %zu bytes to read it", path, size + 1);
    while (!st && used < size) {
        ssize_t got = read(fd, buf + used, size - used);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) st = nf_fail(NF_ERR_IO, "%s: read error after %zu bytes: %s", path, used, strerror(errno));
        else if (got == 0) st = nf_fail(NF_ERR_IO, "%s: shrank from %zu to %zu bytes while being read", path, size, used);
        else used += (size_t)got;
    }
    close(fd);
    if (st) { free(buf); return st; }
    buf[size] = 0;
    *data = buf;
    *len = size;
    return NF_OK;
}

nf_status nf_ds_read_file(const char *path, uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    int fd;
    size_t size;
    nf_status st = nf_ds_open_regular(path, NF_DS_MAX_FILE_BYTES, &fd, &size);
    if (st) return st;
    gzFile f = gzdopen(fd, "rb");
    if (!f) { close(fd); return nf_fail(NF_ERR_IO, "%s: cannot open: %s", path, strerror(errno)); }
    gzbuffer(f, 1 << 17);
    st = read_all(f, path, size, data, len);
    gzclose_r(f);
    return st;
}

uint32_t nf_ds_crc32(const void *data, size_t len)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    const Bytef *p = data;
    while (len > 0) { /* zlib's length is a uInt */
        uInt chunk = len > (1u << 30) ? (1u << 30) : (uInt)len;
        crc = crc32(crc, p, chunk);
        p += chunk;
        len -= chunk;
    }
    return (uint32_t)crc;
}
