/* qemu_freeze: holding single threads of a child process still, with ptrace on that thread alone
 * (PTRACE_SEIZE + PTRACE_INTERRUPT; released with PTRACE_DETACH), for a set time on a libevent timer. The
 * rest of the process runs on: this is how a ms-wide race window is held open without rebuilding QEMU.
 * Every hold ends: at its time, or at qemu_holds_release_all (end of a trial, before a kill) or free.
 * Never traces more than the threads asked for, never leaves a thread stopped. */
#ifndef QMPRACE_QEMU_FREEZE_H
#define QMPRACE_QEMU_FREEZE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <event2/event.h>

#include "err.h"

/* Threads held at once; a schedule holds one or two. */
#define QEMU_HOLDS_MAX 8

struct qemu_holds;
struct qemu_holds_hooks {
    /* A thread was stopped (held true) or let go (false). */
    void (*changed)(void *arg, const char *name, bool held);
    void *arg;
};

struct qemu_holds *qemu_holds_new(struct event_base *base, const struct qemu_holds_hooks *hooks, struct err *e);
/* Releases every hold, then frees. */
void qemu_holds_free(struct qemu_holds *hs);

/* Stops thread `tid` of process `pid` now and lets it go after `dur_us`. The thread is stopped when this
 * returns 0. Holding a thread that is already held only extends the hold to the later end. */
int qemu_holds_hold(struct qemu_holds *hs, pid_t pid, pid_t tid, const char *name, uint64_t dur_us,
                    struct err *e);
/* Lets the thread held under `name` go now: 1 it was held, 0 no hold has that name. */
int qemu_holds_release_name(struct qemu_holds *hs, const char *name);
/* Lets every held thread go now. */
void qemu_holds_release_all(struct qemu_holds *hs);
/* The process has died: collects its held threads (they end as tracees and must be waited for before the
 * process can be). True when no hold is left. Never blocks. */
bool qemu_holds_collect(struct qemu_holds *hs);
unsigned qemu_holds_count(const struct qemu_holds *hs);
/* The threads held now (at most `max` of them); how many. */
size_t qemu_holds_tids(const struct qemu_holds *hs, pid_t *tids, size_t max);

#endif
