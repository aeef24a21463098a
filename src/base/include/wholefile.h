/* wholefile: writing a file whole or not at all. Every report, reproducer and encoded schedule qmprace
 * writes goes through here, so a reader (a CI job, a user's editor, an interrupted run) sees the old file
 * or the complete new one, never a part, and no temporary file is left behind on any path. */
#ifndef QMPRACE_WHOLEFILE_H
#define QMPRACE_WHOLEFILE_H

#include <stddef.h>

#include "err.h"

/* Writes `len` bytes of `data` to `path` through a temporary file beside it (mkstemp, the mode a plain
 * create would give), then renames it over `path`. Errors: "cannot write PATH: why". */
int wholefile_write(const char *path, const void *data, size_t len, struct err *e);
/* The same for a string. */
int wholefile_write_text(const char *path, const char *text, struct err *e);

#endif
