/* fuzz_common: what the fuzz targets for qmprace's own code share: how an input's first bytes choose
 * where a byte stream is split, and how a broken invariant is reported (one line on stderr, then the
 * target returns 1, which afl_main turns into a crash under AFL++ and a "found" in replay).
 * Only fuzz/fuzz_*.c include it; it never exits or aborts by itself. */
#ifndef QMPRACE_FUZZ_COMMON_H
#define QMPRACE_FUZZ_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A split-driven input: one flag byte, FUZZ_SPLITS bytes of chunk sizes (each 1 + b, used in turn),
 * then the stream itself. Shorter inputs read the missing header bytes as 0. */
#define FUZZ_SPLITS 4
#define FUZZ_HEADER (1 + FUZZ_SPLITS)

struct fuzz_split {
    unsigned flags;
    size_t sizes[FUZZ_SPLITS];
    const uint8_t *data;
    size_t len;
};

static inline struct fuzz_split fuzz_split_of(const uint8_t *buf, size_t len)
{
    struct fuzz_split s = {0};
    s.flags = len > 0 ? buf[0] : 0;
    for (size_t i = 0; i < FUZZ_SPLITS; i++)
        s.sizes[i] = 1 + (1 + i < len ? buf[1 + i] : 0);
    s.data = len > FUZZ_HEADER ? buf + FUZZ_HEADER : buf + len;
    s.len = len > FUZZ_HEADER ? len - FUZZ_HEADER : 0;
    return s;
}

/* The size of chunk number `k` (0-based). */
static inline size_t fuzz_split_size(const struct fuzz_split *s, size_t k)
{
    return s->sizes[k % FUZZ_SPLITS];
}

__attribute__((format(printf, 1, 2))) static inline int fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("invariant broken: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

#endif
