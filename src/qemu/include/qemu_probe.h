/* qemu_probe: what a QEMU binary can do, found by running it twice, briefly: once with no machine and QMP
 * on stdio, to see whether it has the `log` trace backend (whether trace points appear on its stderr),
 * and once as `-trace help`, for the trace points it has. Waits a bounded time and kills what it
 * started. */
#ifndef QMPRACE_QEMU_PROBE_H
#define QMPRACE_QEMU_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct qemu_probe {
    bool trace;         /* trace points came out */
    char version[64];   /* "7.2.22" from the greeting */
    char package[96];   /* "Debian 1:7.2+dfsg-7+deb12u18+b3" */
    char **traces;      /* the trace points it has (`-trace help`), sorted; NULL when it did not say */
    size_t ntraces;
};

/* -1 when the binary could not be run or gave no QMP greeting (e says why, with its last output line). */
int qemu_probe_run(const char *bin, struct qemu_probe *out, struct err *e);
void qemu_probe_free(struct qemu_probe *p);
/* Whether the binary has this trace point (true when the probe could not list them). */
bool qemu_probe_has_trace(const struct qemu_probe *p, const char *name);

#endif
