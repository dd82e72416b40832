/* Whole-file reading for the loaders, plain or gzip-compressed (zlib reads
 * both transparently; no temporary files), and zlib's CRC-32. */
#ifndef NF_DS_READFILE_H
#define NF_DS_READFILE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/status.h"

/* Largest decompressed file accepted (a guard against decompression bombs). */
#define NF_DS_MAX_FILE_BYTES ((size_t)1 << 32)

/* Opens path for reading if it is a regular file of at most max bytes,
 * without blocking (a FIFO is refused, not waited on; so are a directory,
 * a device such as /dev/zero and a socket). *fd is the caller's to close;
 * *size the file's size. NF_ERR_IO naming the file and what it is. */
nf_status nf_ds_open_regular(const char *path, size_t max, int *fd, size_t *size);

/* Reads all of the regular file path (at most max bytes, as it is: no
 * decompression) into a malloc'd buffer with a NUL after the last byte;
 * *len excludes it. The caller frees *data. NF_ERR_IO naming the file. */
nf_status nf_ds_read_regular(const char *path, size_t max, uint8_t **data, size_t *len);

/* Reads all of path (decompressing it if it is gzip) into a malloc'd buffer
 * the caller frees. NF_ERR_IO when it is missing or unreadable,
 * NF_ERR_FORMAT when the gzip stream is corrupt or truncated; the detail
 * names the file. Only regular files (nf_ds_open_regular). */
nf_status nf_ds_read_file(const char *path, uint8_t **data, size_t *len);

/* CRC-32 (ISO-HDLC, as zlib, gzip and PNG compute it) of data[0..len).
 * Also the checksum of app/formats/model_file.c, so zlib stays wrapped here. */
uint32_t nf_ds_crc32(const void *data, size_t len);

#endif
