/* out: reading what goes into a report (see ci_internal.h); reports are written by wholefile.h. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "ci_internal.h"

char *ci_read_file(const char *path, size_t max, bool *cut)
{
    FILE *f = fopen(path, "r");
    char *buf = f ? malloc(max + 1) : NULL;
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    if (f)
        fclose(f);
    if (!buf)
        return NULL;
    if (cut)
        *cut = n > max;
    buf[n > max ? max : n] = '\0';
    return buf;
}
