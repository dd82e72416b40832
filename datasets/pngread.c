/* PNG decoding through libpng, with its errors turned into nf_status.
 *
 * libpng reports errors by longjmp; every object that must survive one
 * (the file bytes, the decoded rows, libpng's own structs) lives in a
 * `reader` owned by the caller of the function that calls setjmp, so
 * nothing depends on the value of a local modified after setjmp. */
#include "datasets/pngread.h"
#include "datasets/readfile.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct reader {
    const char *path;
    uint8_t *file;        /* the whole file; owned */
    size_t len, pos;      /* its length and the read position */
    png_structp png;      /* libpng state; owned */
    png_infop info;
    uint8_t *rows;        /* decoded image, height rows of rowbytes; owned */
    png_bytep *row_ptr;   /* height pointers into rows; owned */
    int width, height, color, channels; /* as decoded: channels 1..4 of 8 bits */
    char msg[256];        /* what libpng (or the reader) said went wrong */
    int nomem;            /* the failure was one of our allocations */
} reader;

static void on_error(png_structp png, png_const_charp msg)
{
    reader *r = png_get_error_ptr(png);
    snprintf(r->msg, sizeof r->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png; /* datasets/ never prints; anything that matters is an error */
    (void)msg;
}

static void on_read(png_structp png, png_bytep out, size_t n)
{
    reader *r = png_get_io_ptr(png);
    if (n > r->len - r->pos) {
        char msg[128];
        snprintf(msg, sizeof msg, "truncated: needs %zu bytes at offset %zu, the file has %zu", n,
                 r->pos, r->len);
        png_error(png, msg);
    }
    memcpy(out, r->file + r->pos, n);
    r->pos += n;
}

static nf_status slurp(reader *r)
{
    uint8_t *data;
    nf_status st = nf_ds_read_regular(r->path, NF_DS_PNG_MAX_FILE_BYTES, &data, &r->len);
    r->file = data;
    return st;
}

/* Strict settings: every CRC checked, no ancillary chunk interpreted, no
 * "benign" error tolerated, sizes bounded. */
static void configure(png_structp png, reader *r)
{
    png_set_read_fn(png, r, on_read);
    png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
    png_set_benign_errors(png, 0);
    png_set_user_limits(png, NF_DS_PNG_MAX_SIDE, NF_DS_PNG_MAX_SIDE);
    png_set_chunk_malloc_max(png, 64u << 20);
}

/* Asks for 8-bit gray, gray+alpha, RGB or RGBA rows, deinterlaced. */
static void set_transforms(png_structp png, int color_type, int depth, int interlace)
{
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (!(color_type & PNG_COLOR_MASK_COLOR) && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16) png_set_scale_16(png);
    if (interlace != PNG_INTERLACE_NONE) png_set_interlace_handling(png);
}

/* Everything that may longjmp. Returns 0, or 1 when libpng failed (r->msg). */
static int run(reader *r, int header_only)
{
    if (setjmp(png_jmpbuf(r->png))) return 1;
    configure(r->png, r);
    png_read_info(r->png, r->info);
    png_uint_32 w, h;
    int depth, color_type, interlace;
    png_get_IHDR(r->png, r->info, &w, &h, &depth, &color_type, &interlace, NULL, NULL);
    r->width = (int)w;
    r->height = (int)h;
    r->color = (color_type & PNG_COLOR_MASK_COLOR) != 0;
    if (header_only) return 0;
    set_transforms(r->png, color_type, depth, interlace);
    png_read_update_info(r->png, r->info);
    r->channels = png_get_channels(r->png, r->info);
    size_t rowbytes = png_get_rowbytes(r->png, r->info);
    if (rowbytes != (size_t)w * r->channels) png_error(r->png, "unexpected row size after decoding");
    r->rows = malloc(rowbytes * h);
    r->row_ptr = malloc(h * sizeof *r->row_ptr);
    if (!r->rows || !r->row_ptr) {
        r->nomem = 1;
        png_error(r->png, "out of memory");
    }
    for (png_uint_32 y = 0; y < h; y++) r->row_ptr[y] = r->rows + y * rowbytes;
    png_read_image(r->png, r->row_ptr);
    png_read_end(r->png, NULL);
    return 0;
}

static nf_status open_and_run(reader *r, int header_only)
{
    nf_status st = slurp(r);
    if (st) return st;
    if (r->len < 8 || png_sig_cmp(r->file, 0, 8))
        return nf_fail(NF_ERR_FORMAT, "%s: not a PNG file (bad signature at offset 0)", r->path);
    r->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, r, on_error, on_warning);
    if (r->png) r->info = png_create_info_struct(r->png);
    if (!r->png || !r->info) return nf_fail(NF_ERR_NOMEM, "%s: cannot create a PNG reader", r->path);
    int failed = run(r, header_only);
    if (failed && r->nomem) return nf_fail(NF_ERR_NOMEM, "%s: cannot allocate the decoded image", r->path);
    if (failed)
        return nf_fail(NF_ERR_FORMAT, "%s: bad PNG (near offset %zu): %s", r->path, r->pos, r->msg);
    return NF_OK;
}

static void close_reader(reader *r)
{
    if (r->png) png_destroy_read_struct(&r->png, r->info ? &r->info : NULL, NULL);
    free(r->file);
    free(r->rows);
    free(r->row_ptr);
}

nf_status nf_ds_png_header(const char *path, nf_png_header *out)
{
    reader r = {.path = path};
    nf_status st = open_and_run(&r, 1);
    if (!st) *out = (nf_png_header){.width = r.width, .height = r.height, .color = r.color};
    close_reader(&r);
    return st;
}

/* Copies the decoded image centred into dst (c x h x w, zero outside). */
static void place(const reader *r, int c, int h, int w, uint8_t *dst)
{
    int oy = (r->height - h) / 2, ox = (r->width - w) / 2, ch = r->channels;
    size_t plane = (size_t)h * w;
    memset(dst, 0, plane * c);
    for (int y = 0; y < h; y++) {
        int sy = y + oy;
        if (sy < 0 || sy >= r->height) continue;
        const uint8_t *row = r->row_ptr[sy];
        for (int x = 0; x < w; x++) {
            int sx = x + ox;
            if (sx < 0 || sx >= r->width) continue;
            const uint8_t *p = row + (size_t)sx * ch;
            size_t at = (size_t)y * w + x;
            int rgb = ch >= 3;
            dst[at] = p[0];
            if (c == 3) {
                dst[plane + at] = rgb ? p[1] : p[0];
                dst[2 * plane + at] = rgb ? p[2] : p[0];
            }
        }
    }
}

nf_status nf_ds_png_decode(const char *path, int c, int h, int w, uint8_t *dst)
{
    reader r = {.path = path};
    nf_status st = open_and_run(&r, 0);
    if (!st && c == 1 && r.color)
        st = nf_fail(NF_ERR_ARG, "%s: a colour image asked for as gray", path);
    if (!st) place(&r, c, h, w, dst);
    close_reader(&r);
    return st;
}
