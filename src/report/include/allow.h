/* allow: the crashes a CI job already knows about, so that only a new one fails it. One entry per line:
 * a SIGNATURE (after any migration status) or STATUS: SIGNATURE (only after that status, e.g.
 * "completed: SIGABRT ..."); blank lines and lines starting with # are ignored; matching is exact. */
#ifndef QMPRACE_ALLOW_H
#define QMPRACE_ALLOW_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct allow_list {
    char **lines;
    size_t n;
};

/* Reads the list; errors are "FILE: why" (cannot read) or "FILE:LINE: why" (a line too long). */
int allow_load(const char *path, struct allow_list *a, struct err *e);
/* Whether a crash with `signature` after `phase` is in the list. */
bool allow_match(const struct allow_list *a, const char *signature, const char *phase);
void allow_free(struct allow_list *a);

#endif
