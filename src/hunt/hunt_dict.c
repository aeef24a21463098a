/* hunt_dict: the AFL++ dictionary of a hunt, made from schedule lines (see hunt.h). */
#include "hunt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int hunt_dict_write(struct session *ses, const char *src, const char *path, struct err *e)
{
    if (!src || access(src, R_OK) != 0)
        return 0;
    struct schedule *s = schedule_load(src, e);
    if (!s)
        return -1;
    FILE *f = fopen(path, "w");
    if (!f) {
        schedule_free(s);
        return err_set(e, "%s: %s", path, strerror(errno));
    }
    /* a whole line as one token lets AFL++ splice a meaningful line in, not find it byte by byte */
    int tokens = 0;
    unsigned no = 0; /* a token is named after its line among those the profile leaves in */
    for (size_t i = 0; i < s->nlines; i++) {
        struct schedule line = {.lines = &s->lines[i], .nlines = 1, .name = s->name};
        char *text = schedule_print(&line);
        struct schedule *one = text ? schedule_parse(text, strlen(text), s->name, NULL) : NULL;
        uint8_t *bin = NULL;
        size_t len = 0;
        struct err le;
        free(text);
        int rc = one ? session_admit(ses, one, &le) : -1;
        if (rc == 0 && one->nlines == 0) { /* only actions the profile leaves out */
            schedule_free(one);
            continue;
        }
        no++;
        if (rc == 0 && schedule_encode(one, &bin, &len, &le) == 0) {
            fprintf(f, "line_%u=\"", no);
            for (size_t k = 0; k < len; k++)
                fprintf(f, "\\x%02x", bin[k]);
            fprintf(f, "\"\n");
            tokens++;
        }
        free(bin);
        schedule_free(one);
    }
    schedule_free(s);
    if (fclose(f) != 0)
        return err_set(e, "%s: %s", path, strerror(errno));
    return tokens;
}
