/* ci_internal: what the CI report writers share inside src/report. */
#ifndef QMPRACE_CI_INTERNAL_H
#define QMPRACE_CI_INTERNAL_H

#include "err.h"

/* Writes `text` to `path` whole or not at all (PATH.tmp.PID, renamed). */
int ci_write_file(const char *path, const char *text, struct err *e);

#endif
