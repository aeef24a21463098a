/* qemu_probe: what a QEMU binary can do, found by running it once, briefly (no machine, QMP on stdio):
 * whether it has the `log` trace backend, i.e. whether trace points appear on its stderr. Waits a bounded
 * time and kills what it started. */
#ifndef QMPRACE_QEMU_PROBE_H
#define QMPRACE_QEMU_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct qemu_probe {
    bool trace;         /* trace points came out */
    char version[64];   /* "7.2.22" from the greeting */
    char package[96];   /* "Debian 1:7.2+dfsg-7+deb12u18+b3" */
};

/* -1 when the binary could not be run or gave no QMP greeting (e says why, with its last output line). */
int qemu_probe_run(const char *bin, struct qemu_probe *out, struct err *e);

#endif
