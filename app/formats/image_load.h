/* One PNG file loaded as a model's input image: decoded, and, only when
 * asked, converted to the model's channels (RGB to gray by luma, gray to
 * RGB by copying) and resized (bilinear) to its height and width. */
#ifndef NF_IMAGE_LOAD_H
#define NF_IMAGE_LOAD_H

#include <stdint.h>

#include "engine/status.h"

/* Decodes path into dst (c x h x w bytes, [C][H][W]). Without resize, an
 * image whose size or channels differ is refused with NF_ERR_FORMAT, the
 * detail naming the file, what it is and what the model takes. c is 1 or
 * 3. */
nf_status nf_image_load_as(const char *path, int c, int h, int w, int resize, uint8_t *dst);

#endif
