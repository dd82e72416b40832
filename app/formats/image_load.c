#include "app/formats/image_load.h"

#include <stdlib.h>

#include "datasets/pngread.h"

/* Bilinear resampling of one channel, pixel centres aligned. */
static void resize_plane(const uint8_t *src, int sh, int sw, uint8_t *dst, int h, int w)
{
    for (int y = 0; y < h; y++) {
        double fy = (y + 0.5) * sh / h - 0.5;
        int y0 = fy < 0 ? 0 : (int)fy, y1 = y0 + 1 < sh ? y0 + 1 : sh - 1;
        double ay = fy < 0 ? 0 : fy - y0;
        for (int x = 0; x < w; x++) {
            double fx = (x + 0.5) * sw / w - 0.5;
            int x0 = fx < 0 ? 0 : (int)fx, x1 = x0 + 1 < sw ? x0 + 1 : sw - 1;
            double ax = fx < 0 ? 0 : fx - x0;
            double top = src[y0 * sw + x0] * (1 - ax) + src[y0 * sw + x1] * ax;
            double bottom = src[y1 * sw + x0] * (1 - ax) + src[y1 * sw + x1] * ax;
            dst[y * w + x] = (uint8_t)(top * (1 - ay) + bottom * ay + 0.5);
        }
    }
}

/* src (sc channels) to c channels, same size. */
static void convert_channels(const uint8_t *src, int sc, uint8_t *dst, int c, size_t plane)
{
    for (size_t j = 0; j < plane; j++) {
        if (sc == c) {
            for (int k = 0; k < c; k++) dst[k * plane + j] = src[k * plane + j];
        } else if (c == 1) { /* ITU-R BT.601 luma */
            dst[j] = (uint8_t)(0.299 * src[j] + 0.587 * src[plane + j] + 0.114 * src[2 * plane + j] + 0.5);
        } else {
            for (int k = 0; k < c; k++) dst[k * plane + j] = src[j];
        }
    }
}

nf_status nf_image_load_as(const char *path, int c, int h, int w, int resize, uint8_t *dst)
{
    if (c != 1 && c != 3) return nf_fail(NF_ERR_ARG, "%s: the model takes %d-channel images; only 1 or 3 are PNG", path, c);
    nf_png_header head;
    nf_status st = nf_ds_png_header(path, &head);
    if (st) return st;
    int sc = head.color ? 3 : 1;
    if (!resize && (sc != c || head.height != h || head.width != w))
        return nf_fail(NF_ERR_FORMAT, "%s: a %dx%d %s image; the model takes %dx%d %s images (--resize converts it)", path,
                       head.width, head.height, sc == 3 ? "colour" : "gray", w, h, c == 3 ? "colour" : "gray");
    if (sc == c && head.height == h && head.width == w) return nf_ds_png_decode(path, c, h, w, dst);
    size_t plane = (size_t)head.height * head.width;
    uint8_t *raw = malloc(plane * sc), *conv = malloc(plane * c);
    if (!raw || !conv) st = nf_fail(NF_ERR_NOMEM, "%s: out of memory", path);
    if (!st) st = nf_ds_png_decode(path, sc, head.height, head.width, raw);
    if (!st) {
        convert_channels(raw, sc, conv, c, plane);
        for (int k = 0; k < c; k++)
            resize_plane(conv + k * plane, head.height, head.width, dst + (size_t)k * h * w, h, w);
    }
    free(raw);
    free(conv);
    return st;
}
