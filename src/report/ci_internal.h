/* ci_internal: what the CI report writers share inside src/report. */
#ifndef QMPRACE_CI_INTERNAL_H
#define QMPRACE_CI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* A file's text, at most `max` bytes of it (*cut, when not NULL, says whether there was more), NUL-
 * terminated and malloc'ed; NULL when it cannot be read. Reproducers go into reports this way. */
char *ci_read_file(const char *path, size_t max, bool *cut);

#endif
