/* hunt_dict: the AFL++ dictionary of a hunt, made from schedule lines (see hunt.h). */
#include "hunt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int hunt_dict_write(const char *src, unsigned without, const char *path, struct err *e)
{
    if (!src || access(src, R_OK) != 0)
        return 0;
    struct schedule *s = schedule_load(src, e);
    if (!s)
        return -1;
    schedule_without(s, without);
    FILE *f = fopen(path, "w");
    if (!f) {
        schedule_free(s);
        return err_set(e, "%s: %s", path, strerror(errno));
    }
    /* a whole line as one token lets AFL++ splice a meaningful line in, not find it byte by byte */
    int tokens = 0;
    for (size_t i = 0; i < s->nlines; i++) {
        struct schedule one = {.lines = &s->lines[i], .nlines = 1, .name = s->name};
        uint8_t *bin = NULL;
        size_t len = 0;
        if (schedule_encode(&one, &bin, &len, e) < 0)
            continue;
        fprintf(f, "line_%zu=\"", i + 1);
        for (size_t k = 0; k < len; k++)
            fprintf(f, "\\x%02x", bin[k]);
        fprintf(f, "\"\n");
        free(bin);
        tokens++;
    }
    schedule_free(s);
    if (fclose(f) != 0)
        return err_set(e, "%s: %s", path, strerror(errno));
    return tokens;
}
