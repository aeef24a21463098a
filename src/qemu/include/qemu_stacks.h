/* qemu_stacks: where each thread of a running QEMU is, read from outside: every thread's name (its
 * /proc comm, which `-name debug-threads=on` makes QEMU's own: live_migration, multifdsend_0,
 * mig/src/main, ...) and its stack as elfutils' eu-stack unwinds it. A stripped binary gives what it
 * gives: a frame without a name is its module and offset ("qemu-system-x86_64+0x3e4b2"); Debian's QEMU
 * exports most of its function names, and a QEMU built here has them all. Reading stops the process for
 * the time eu-stack takes (about 0.3 s) and changes nothing in it.
 *
 * What a hang is, from the stacks: the threads that are not idle (idle: the main loop in its poll, RCU
 * waiting for work, a vCPU or a worker waiting for a job, the monitor's own loop) and, of those, the ones
 * the others wait for: blocked in a library call into the kernel on something other than another thread
 * (a write to a peer that does not read). A thread waiting on a semaphore, a mutex or a condition waits
 * for a thread, and one caught running QEMU's code is busy or spins; where those are varies with the
 * moment the hang began (QEMU 7.2's migration thread waits for a multifd channel in three places), so
 * they name the hang only when no thread is blocked in the kernel (a deadlock, a spin). The QEMU function each waits in makes one signature ("multifdsend_N in
 * qio_channel_socket_writev"), so the same hang is one group across trials. */
#ifndef QMPRACE_QEMU_STACKS_H
#define QMPRACE_QEMU_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

#define QEMU_STACK_MAX_FRAMES 32
#define QEMU_STACK_MAX_THREADS 128

struct qemu_frame {
    char fn[96];     /* the function, or "" when the module has no name for it */
    char module[64]; /* the file's base name ("qemu-system-x86_64", "libc.so.6") */
    uint64_t offset; /* within the module, for a frame without a name */
};

struct qemu_thread_stack {
    int tid;
    char name[32];
    bool held; /* qmprace itself held it (a `freeze`) when the trial hung: where it waits is our doing */
    struct qemu_frame frames[QEMU_STACK_MAX_FRAMES]; /* innermost first */
    int nframes;
};

struct qemu_stacks {
    struct qemu_thread_stack *threads;
    size_t n;
};

/* Whether the unwinder is installed (eu-stack on PATH). */
bool qemu_stacks_available(void);
/* Reads every thread of `pid`, waiting at most `timeout_us` for the unwinder. Errors: no eu-stack, the
 * process is gone, the unwinder could not attach (another tracer holds a thread) or took too long. */
int qemu_stacks_capture(pid_t pid, uint64_t timeout_us, struct qemu_stacks *out, struct err *e);
void qemu_stacks_free(struct qemu_stacks *s);

/* Parses eu-stack's output (`eu-stack -m -p PID`); `names` maps a tid to its thread name (NULL: none).
 * Exposed for tests. */
int qemu_stacks_parse(const char *text, const char *(*names)(void *arg, int tid), void *arg,
                      struct qemu_stacks *out, struct err *e);

/* A thread waiting for work that has nothing to do with a hang (see above). */
bool qemu_stack_idle(const struct qemu_thread_stack *t);
/* The QEMU function a thread waits in: the innermost frame of QEMU's own with a name that is not a
 * generic wait (qemu_sem_wait, qemu_cond_wait_impl, qemu_mutex_lock_impl, ...), else the innermost
 * frame with a name, else "module+0xOFFSET". */
void qemu_stack_where(const struct qemu_thread_stack *t, char *buf, size_t n);
/* A thread blocked on another thread: a semaphore, mutex, condition, event or join among its innermost
 * frames (QEMU's wrappers or libc's futex waits), spinning on a mutex included. */
bool qemu_stack_waits_for_thread(const struct qemu_thread_stack *t);
/* "THREAD in WHERE / THREAD in WHERE" over the threads that are not idle and block the others (all that
 * are not idle when none does), in name order; "" when every thread is idle (or
 * could not be read). A migration thread is named by its role as the schedule
 * language names it (10.x's mig/src/main is live_migration), so one hang is one signature across
 * versions; the multifd send threads are one role, multifdsend_N (which of them the unwinder read, or
 * which got stuck first, is chance), each place said once. */
void qemu_stacks_signature(const struct qemu_stacks *s, char *buf, size_t n);
/* Whether the threads the others wait for (those qemu_stacks_signature names when any block the others)
 * all wait to read from a peer: what a migration into a destination that never answers looks like. */
bool qemu_stacks_wait_for_peer(const struct qemu_stacks *s);

#endif
