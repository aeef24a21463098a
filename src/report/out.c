/* out: reading what goes into a report, and writing a report file whole or not at all (see ci_internal.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int ci_write_file(const char *path, const char *text, struct err *e)
{
    char *tmp = NULL;
    if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
        return err_set(e, "out of memory");
    FILE *f = fopen(tmp, "w");
    if (!f) {
        err_set(e, "cannot write %s: %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    size_t len = strlen(text);
    bool ok = fwrite(text, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        err_set(e, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}
