/* Whole files in and out for the commands' own files (architecture JSON,
 * model files, drawings). */
#ifndef NF_FILEIO_H
#define NF_FILEIO_H

#include <stddef.h>

#include "engine/status.h"

/* Largest file read (a guard against reading a disk image by mistake). */
#define NF_FILE_MAX_BYTES ((size_t)1 << 31)

/* Reads all of path into a malloc'd buffer with a NUL after the last byte
 * (so text can be used as a string); *len excludes it. NF_ERR_IO naming
 * the file when it is missing, unreadable, too large, or not a regular
 * file (a directory, FIFO or device is refused without blocking). */
nf_status nf_file_read(const char *path, unsigned char **data, size_t *len);
/* The same with a smaller limit (a configuration, an architecture). */
nf_status nf_file_read_max(const char *path, size_t max, unsigned char **data, size_t *len);

/* Writes data to path through a temporary file in the same folder, synced
 * and renamed over it, so a reader never sees half a file. NF_ERR_IO naming the file. */
nf_status nf_file_write(const char *path, const void *data, size_t len);

/* Writes what an encoder made (encoded: its status; buf: its malloc'd
 * bytes, freed here) to path; an encoder's failure is reported with the
 * path in front. */
nf_status nf_file_write_encoded(const char *path, nf_status encoded, unsigned char *buf, size_t len);

#endif
