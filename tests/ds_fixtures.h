/* Fixtures for the datasets tests: temporary directories and small IDX,
 * CIFAR and PNG files written by hand. Header-only (static inline) so each
 * test binary stays one file. Included after the cmocka headers. */
#ifndef NF_TESTS_DS_FIXTURES_H
#define NF_TESTS_DS_FIXTURES_H

#include <dirent.h>
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "datasets/datasets.h"

/* ---- paths and files ---- */

static inline char *fx_tmpdir(void)
{
    char tmpl[] = "/tmp/nf_ds_test_XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

/* Removes dir and everything under it, then frees the string. */
static inline void fx_rm_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        char sub[2048];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                if (snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) < (int)sizeof sub)
                    fx_rm_tree(sub);
            }
        closedir(d);
    }
    remove(path);
}

static inline void fx_rm_rf(char *dir)
{
    if (dir) fx_rm_tree(dir);
    free(dir);
}

/* dir/name into a static buffer (one of four rotating, so two may be used together). */
static inline const char *fx_path(const char *dir, const char *name)
{
    static char buf[4][1024];
    static int next;
    char *p = buf[next++ & 3];
    if (snprintf(p, 1024, "%s/%s", dir, name) >= 1024) fail_msg("path too long: %s/%s", dir, name);
    return p;
}

static inline void fx_mkdir(const char *dir, const char *name)
{
    assert_int_equal(mkdir(fx_path(dir, name), 0755), 0);
}

static inline void fx_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (len) assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static inline void fx_write_gz(const char *path, const void *data, size_t len)
{
    gzFile f = gzopen(path, "wb");
    assert_non_null(f);
    if (len) assert_int_equal(gzwrite(f, data, (unsigned)len), (int)len);
    assert_int_equal(gzclose(f), Z_OK);
}

/* Reads a whole (plain) file; *len gets its length. */
static inline uint8_t *fx_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)n + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* The status is `code` and the recorded detail mentions every non-NULL needle. */
static inline void fx_expect_error(nf_status st, nf_status code, const char *n1, const char *n2)
{
    if (st != code || (n1 && !strstr(nf_last_error(), n1)) || (n2 && !strstr(nf_last_error(), n2)))
        fail_msg("expected status %d mentioning '%s' and '%s', got %d: '%s'", code, n1 ? n1 : "",
                 n2 ? n2 : "", st, nf_last_error());
}

/* ---- IDX ---- */

static inline void fx_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* An IDX image file of n h x w images, pixel (i, y, x) = (i*7 + y*h + x) & 255.
 * Returns the malloc'd bytes, *len their count. */
static inline uint8_t *fx_idx_images(int n, int h, int w, size_t *len)
{
    *len = 16 + (size_t)n * h * w;
    uint8_t *b = malloc(*len);
    assert_non_null(b);
    b[0] = b[1] = 0; b[2] = 8; b[3] = 3;
    fx_be32(b + 4, (uint32_t)n); fx_be32(b + 8, (uint32_t)h); fx_be32(b + 12, (uint32_t)w);
    for (int i = 0; i < n; i++)
        for (int p = 0; p < h * w; p++) b[16 + (size_t)i * h * w + p] = (uint8_t)(i * 7 + p);
    return b;
}

/* An IDX label file of n labels, label i = i % classes. */
static inline uint8_t *fx_idx_labels(int n, int classes, size_t *len)
{
    *len = 8 + (size_t)n;
    uint8_t *b = malloc(*len);
    assert_non_null(b);
    b[0] = b[1] = 0; b[2] = 8; b[3] = 1;
    fx_be32(b + 4, (uint32_t)n);
    for (int i = 0; i < n; i++) b[8 + i] = (uint8_t)(i % classes);
    return b;
}

/* Writes <prefix>-images-idx3-ubyte and <prefix>-labels-idx1-ubyte (gz adds .gz). */
static inline void fx_idx_pair(const char *dir, const char *prefix, int n, int h, int w, int classes,
                               int gz)
{
    char name[256];
    size_t len;
    uint8_t *b = fx_idx_images(n, h, w, &len);
    snprintf(name, sizeof name, "%s-images-idx3-ubyte%s", prefix, gz ? ".gz" : "");
    (gz ? fx_write_gz : fx_write)(fx_path(dir, name), b, len);
    free(b);
    b = fx_idx_labels(n, classes, &len);
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte%s", prefix, gz ? ".gz" : "");
    (gz ? fx_write_gz : fx_write)(fx_path(dir, name), b, len);
    free(b);
}

/* ---- CIFAR ---- */

/* n CIFAR records with label_bytes label bytes; record i has label i % 10
 * (fine label i % 100 with coarse i % 20 for 2 bytes) and pixel p = (i + p) & 255. */
static inline uint8_t *fx_cifar(int n, int label_bytes, size_t *len)
{
    size_t rec = (size_t)label_bytes + 3072;
    *len = rec * n;
    uint8_t *b = malloc(*len + 1);
    assert_non_null(b);
    for (int i = 0; i < n; i++) {
        uint8_t *r = b + rec * i;
        if (label_bytes == 1) r[0] = (uint8_t)(i % 10);
        else { r[0] = (uint8_t)(i % 20); r[1] = (uint8_t)(i % 100); }
        for (int p = 0; p < 3072; p++) r[label_bytes + p] = (uint8_t)(i + p);
    }
    return b;
}

static inline void fx_cifar_file(const char *path, int n, int label_bytes)
{
    size_t len;
    uint8_t *b = fx_cifar(n, label_bytes, &len);
    fx_write(path, b, len);
    free(b);
}

/* ---- PNG ---- */

/* Writes a PNG of w x h with the given libpng colour type and bit depth;
 * sample s of pixel (y, x) is value(y, x, s) scaled to the bit depth
 * (values are 8-bit). Palette images use a 256-entry palette where entry v
 * is (v, 255 - v, v / 2). */
typedef int (*fx_pixel_fn)(int y, int x, int sample);

static inline int fx_samples(int color_type)
{
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: return 1;
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB: return 3;
    case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
    default: return 1; /* palette index */
    }
}

static inline void fx_png(const char *path, int w, int h, int color_type, int depth, int interlace,
                          fx_pixel_fn value)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    assert_non_null(png);
    assert_non_null(info);
    if (setjmp(png_jmpbuf(png))) fail_msg("libpng failed writing %s", path);
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, color_type,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[256];
        for (int v = 0; v < 256; v++) {
            pal[v].red = (png_byte)v; pal[v].green = (png_byte)(255 - v); pal[v].blue = (png_byte)(v / 2);
        }
        png_set_PLTE(png, info, pal, 1 << (depth < 8 ? depth : 8));
    }
    png_write_info(png, info);
    if (depth < 8) png_set_packing(png);
    int s = fx_samples(color_type), bytes = depth == 16 ? 2 : 1;
    png_bytep *rows = malloc(sizeof *rows * (size_t)h);
    assert_non_null(rows);
    for (int y = 0; y < h; y++) {
        rows[y] = malloc((size_t)w * s * bytes);
        assert_non_null(rows[y]);
        for (int x = 0; x < w; x++)
            for (int k = 0; k < s; k++) {
                int v = value(y, x, k) & 255;
                png_bytep p = rows[y] + ((size_t)x * s + k) * bytes;
                if (depth == 16) { p[0] = (png_byte)v; p[1] = (png_byte)v; } /* v * 257 */
                else if (depth < 8) p[0] = (png_byte)(v >> (8 - depth));
                else p[0] = (png_byte)v;
            }
    }
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    for (int y = 0; y < h; y++) free(rows[y]);
    free(rows);
    fclose(f);
}

static inline int fx_gradient(int y, int x, int s) { return (y * 16 + x * 3 + s * 60) & 255; }

/* A small gray 8-bit PNG of w x h. */
static inline void fx_png_gray(const char *path, int w, int h)
{
    fx_png(path, w, h, PNG_COLOR_TYPE_GRAY, 8, 0, fx_gradient);
}

#endif
