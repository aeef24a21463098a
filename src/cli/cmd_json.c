/* cmd_json: --json's lines, to stdout or a file written whole (see cmd_json.h). */
#include "cmd_json.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "wholefile.h"

int cmd_json_lines(const char *cmd, const char *path, json_object *lines, int flags)
{
    char *text = NULL;
    size_t len = 0;
    bool out = strcmp(path, "-") == 0;
    FILE *f = out ? stdout : open_memstream(&text, &len);
    struct err e = {{0}};
    int rc = f ? 0 : err_set(&e, "out of memory");
    for (size_t i = 0; f && i < json_object_array_length(lines); i++)
        fprintf(f, "%s\n", json_object_to_json_string_ext(json_object_array_get_idx(lines, i), flags));
    if (out)
        rc = fflush(f) == 0 ? 0 : err_set(&e, "cannot write to stdout");
    else if (f)
        rc = fclose(f) == 0 && text ? wholefile_write(path, text, len, &e) : err_set(&e, "out of memory");
    free(text);
    if (rc < 0)
        fprintf(stderr, "qmprace %s: --json: %s\n", cmd, e.msg);
    return rc;
}
