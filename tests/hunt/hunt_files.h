/* hunt_files: the files the hunt tests make, read and remove in their temporary directories. Never used
 * outside tests/hunt. */
#ifndef QMPRACE_TEST_HUNT_FILES_H
#define QMPRACE_TEST_HUNT_FILES_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes `text` to DIR/NAME (DIR/NAME goes to `path` when it is not NULL). 0 or -1. */
static inline int hunt_files_write(const char *dir, const char *name, const char *text, char *path, size_t n)
{
    char local[4200], *buf = path ? path : local;
    size_t cap = path ? n : sizeof local;
    if (snprintf(buf, cap, "%s/%s", dir, name) >= (int)cap)
        return -1;
    FILE *f = fopen(buf, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* The whole file, NUL-terminated (caller frees), or NULL. */
static inline char *hunt_files_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    int c;
    while (m && (c = fgetc(f)) != EOF)
        fputc(c, m);
    fclose(f);
    if (m)
        fclose(m);
    return buf;
}

static inline int hunt_files_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes DIR and everything in it, so a test leaves nothing behind in TMPDIR. */
static inline int hunt_files_rm(const char *dir)
{
    return nftw(dir, hunt_files_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
