/* Decoding one PNG file with libpng into the [C][H][W] uint8 layout of
 * nf_dataset. Internal to datasets/ (the only place that sees <png.h>). */
#ifndef NF_DS_PNGREAD_H
#define NF_DS_PNGREAD_H

#include <stdint.h>

#include "engine/image_limits.h"
#include "engine/status.h"

/* Largest accepted width or height (libpng's user limit is set to it). */
#define NF_DS_PNG_MAX_SIDE NF_IMAGE_MAX_SIDE
/* Largest PNG file read (it is read whole): an 8192x8192 RGBA image at
 * 16 bits, stored, is 512 MiB. */
#define NF_DS_PNG_MAX_FILE_BYTES ((size_t)1 << 29)

typedef struct nf_png_header {
    int width, height;
    int color; /* 1 for RGB(A) and palette images, 0 for gray(+alpha) */
} nf_png_header;

/* Reads path up to its first image data and reports its shape. */
nf_status nf_ds_png_header(const char *path, nf_png_header *out);

/* Decodes path (any bit depth, colour type, interlacing; alpha dropped) into
 * dst as c x h x w bytes (c = 1 gray, only for gray images, or 3 RGB),
 * centre-cropped/padded with zeros when the image is not h x w. The whole
 * file is checked (every CRC, up to IEND). */
nf_status nf_ds_png_decode(const char *path, int c, int h, int w, uint8_t *dst);

#endif
