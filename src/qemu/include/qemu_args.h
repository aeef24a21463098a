/* qemu_args: the command lines qmprace runs QEMU with. One place says what a source, a destination and
 * the trace-backend probe are launched with, so the defaults are written (and tested) once. Builds
 * argument vectors only; never starts anything. */
#ifndef QMPRACE_QEMU_ARGS_H
#define QMPRACE_QEMU_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum qemu_role { QEMU_SOURCE, QEMU_DEST };

struct qemu_launch {
    const char *bin;
    enum qemu_role role;
    uint64_t ram_bytes; /* a whole number of MiB */
    int ram_fd;         /* source: the guest RAM's content (a memfd), mapped private; dest: unused */
    int qmp_fd;         /* a listening socket, served as the QMP monitor */
    const char *incoming;               /* dest: the `-incoming` URI */
    const char *const *trace; size_t ntrace; /* trace event names or patterns to enable */
    const char *const *extra; size_t nextra; /* the user's own arguments, last */
};

/* A NULL-terminated argv (argv[0] is `bin`); free with qemu_args_free. */
char **qemu_args_build(const struct qemu_launch *l, struct err *e);
/* The probe: no machine, QMP on stdio, one trace point that fires on the greeting. */
char **qemu_args_probe(const char *bin, struct err *e);
void qemu_args_free(char **argv);

/* The trace points every source enables (the race's own, and qmp_enter_* / qmp_exit_*). */
const char *const *qemu_args_default_trace(void);

#endif
