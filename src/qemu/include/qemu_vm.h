/* qemu_vm: one QEMU process qmprace launched, with what it takes to talk to it and to see it end: its
 * output read live, line by line; its QMP monitor on a listening unix socket we create and hand it (so a
 * client can connect before QEMU is up, and a QEMU that dies at start-up is seen dying, not as a refused
 * connection); and its end, reported once, after its last line, with its wait status.
 * The socket's name is removed as soon as it is bound (clients connect through /proc/self/fd/N), so
 * nothing of a VM is left on disk even if qmprace is killed. Owns its process and holds; never reports
 * an end it caused itself (qemu_vm_free). */
#ifndef QMPRACE_QEMU_VM_H
#define QMPRACE_QEMU_VM_H

#include <stdbool.h>
#include <sys/types.h>

#include <event2/event.h>

#include "err.h"
#include "qemu_args.h"
#include "qemu_freeze.h"

struct qemu_vm;

struct qemu_vm_hooks {
    void (*line)(void *arg, const char *line);
    /* The process ended and was collected; `status` as waitpid gives it. Called once, from the loop. */
    void (*ended)(void *arg, int status);
    /* Forwarded from its thread holds. */
    void (*held)(void *arg, const char *thread, bool held);
    void *arg;
};

/* Starts QEMU as `l` says (its qmp_fd is filled in here) on `base`. */
struct qemu_vm *qemu_vm_start(struct event_base *base, const struct qemu_launch *l, const struct qemu_vm_hooks *hooks,
                              struct err *e);
/* Releases its held threads, kills it if it runs, collects it, closes everything. No `ended` call. */
void qemu_vm_free(struct qemu_vm *vm);

/* Its output, end and holds go to `hooks` from now on (a spare handed to the target that uses it). */
void qemu_vm_set_hooks(struct qemu_vm *vm, const struct qemu_vm_hooks *hooks);
pid_t qemu_vm_pid(const struct qemu_vm *vm);
/* "unix:/proc/self/fd/N": its QMP monitor, for qmp_connect in this process. */
const char *qemu_vm_qmp_addr(const struct qemu_vm *vm);
/* Reads what it wrote so far (lines go to the hooks now). */
void qemu_vm_drain(struct qemu_vm *vm);
/* True once its output ended or it was collected: it is dying or dead. */
bool qemu_vm_ending(const struct qemu_vm *vm);
struct qemu_holds *qemu_vm_holds(struct qemu_vm *vm);

#endif
