/* allow: the allow-list of known crashes (see allow.h). */
#include "allow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALLOW_LINE_MAX 4096

int allow_load(const char *path, struct allow_list *a, struct err *e)
{
    memset(a, 0, sizeof *a);
    FILE *f = fopen(path, "r");
    if (!f)
        return err_set(e, "%s: %s", path, strerror(errno));
    char line[ALLOW_LINE_MAX + 2];
    int rc = 0;
    for (int no = 1; fgets(line, sizeof line, f); no++) {
        size_t len = strlen(line);
        if (len > ALLOW_LINE_MAX && line[len - 1] != '\n') {
            rc = err_set(e, "%s:%d: a line longer than %d characters", path, no, ALLOW_LINE_MAX);
            break;
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
            line[--len] = '\0';
        const char *s = line + strspn(line, " \t");
        if (!*s || *s == '#')
            continue;
        char **v = realloc(a->lines, (a->n + 1) * sizeof *v);
        if (!v || !(v[a->n] = strdup(s))) {
            if (v)
                a->lines = v;
            rc = err_set(e, "out of memory");
            break;
        }
        a->lines = v;
        a->n++;
    }
    fclose(f);
    if (rc < 0)
        allow_free(a);
    return rc;
}

bool allow_match(const struct allow_list *a, const char *signature, const char *phase)
{
    size_t plen = phase ? strlen(phase) : 0;
    for (size_t i = 0; i < a->n; i++) {
        const char *l = a->lines[i];
        if (strcmp(l, signature) == 0)
            return true;
        if (plen && strncmp(l, phase, plen) == 0 && l[plen] == ':' && l[plen + 1] == ' ' &&
            strcmp(l + plen + 2, signature) == 0)
            return true;
    }
    return false;
}

void allow_free(struct allow_list *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->lines[i]);
    free(a->lines);
    memset(a, 0, sizeof *a);
}
