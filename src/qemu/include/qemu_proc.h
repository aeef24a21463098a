/* qemu_proc: one child process (a QEMU) that we start, watch and end. The child runs in its own process
 * group, dies with us (PR_SET_PDEATHSIG SIGKILL), writes no core file (RLIMIT_CORE 0: a crashing QEMU
 * would otherwise leave a core of its RAM size in the current directory), reads /dev/null, and inherits
 * only the descriptors it is given; its stdout and stderr both come back through one pipe.
 * Never waits for any process but its own child (never waitpid(-1)), never signals anything but its pid. */
#ifndef QMPRACE_QEMU_PROC_H
#define QMPRACE_QEMU_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

struct qemu_proc;

struct qemu_proc_spec {
    const char *path;    /* the binary, run as is (no PATH search) */
    char *const *argv;   /* argv[0] included, NULL-terminated */
    const int *keep_fds; /* descriptors the child keeps, at the same numbers (each >= 3) */
    size_t nkeep;
    char *const *envp; /* the child's environment, NULL-terminated (NULL: this process's) */
};

struct qemu_proc *qemu_proc_spawn(const struct qemu_proc_spec *spec, struct err *e);
/* Kills the child if it still runs, collects it, closes the pipe. */
void qemu_proc_free(struct qemu_proc *p);

pid_t qemu_proc_pid(const struct qemu_proc *p);
/* The read end of the child's stdout+stderr (non-blocking, close-on-exec); owned by `p`. */
int qemu_proc_output_fd(const struct qemu_proc *p);

/* Collects the child if it has ended, without blocking: 1 (and its wait status), 0 while it runs. */
int qemu_proc_reap(struct qemu_proc *p, int *status);
bool qemu_proc_reaped(const struct qemu_proc *p);
/* Collects the child once it ends, waiting at most `timeout_us` (its output can end before it does):
 * 1 (and its wait status), 0 when it still runs. */
int qemu_proc_wait(struct qemu_proc *p, uint64_t timeout_us, int *status);
/* SIGKILL and collect it (waits at most a few seconds; a child in uninterruptible sleep is left to its
 * parent-death signal). Does nothing once collected. */
void qemu_proc_kill(struct qemu_proc *p);

/* "killed by SIGABRT", "exited with status 1". */
const char *qemu_proc_status_text(int status, char *buf, size_t n);

/* The absolute path of `name` (searched in PATH when it has no '/'), if it is an executable file. */
int qemu_proc_find_binary(const char *name, char *out, size_t n, struct err *e);

#endif
