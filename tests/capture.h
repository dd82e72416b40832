/* What a command prints, captured for a test: the code between
 * capture_begin and capture_end writes stdout and stderr into one
 * temporary file, whose text lands in out. Header only (every
 * tests/test_*.c is its own binary); include after <cmocka.h>. */
#ifndef NF_TESTS_CAPTURE_H
#define NF_TESTS_CAPTURE_H

#include <stdio.h>
#include <unistd.h>

typedef struct capture { FILE *tmp; int out, err; } capture;

static inline capture capture_begin(void)
{
    fflush(stdout);
    fflush(stderr);
    capture c = {tmpfile(), dup(1), dup(2)};
    assert_non_null(c.tmp);
    dup2(fileno(c.tmp), 1);
    dup2(fileno(c.tmp), 2);
    return c;
}

static inline void capture_end(capture c, char *out, size_t size)
{
    fflush(stdout);
    fflush(stderr);
    dup2(c.out, 1);
    dup2(c.err, 2);
    close(c.out);
    close(c.err);
    rewind(c.tmp);
    size_t n = fread(out, 1, size - 1, c.tmp);
    out[n] = '\0';
    fclose(c.tmp);
}

#endif
