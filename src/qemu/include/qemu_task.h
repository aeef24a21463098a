/* qemu_task: the threads of a running process, by name, from /proc/PID/task/TID/comm. QEMU names its
 * threads when started with `-name ...,debug-threads=on`: `live_migration`, `multifdsend_N`, ...; the
 * main thread (the one whose id is the process id) keeps the program's name, and is called `main` here.
 * Reads /proc only; never touches the threads. */
#ifndef QMPRACE_QEMU_TASK_H
#define QMPRACE_QEMU_TASK_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* Thread names are at most 15 bytes in Linux; room for "tid 4194304" too. */
#define QEMU_TASK_NAME_MAX 32

/* The name of thread `tid` of process `pid` ("main" for the main thread); -1 if it is gone. */
int qemu_task_name(pid_t pid, pid_t tid, char *buf, size_t n);
/* The id of the thread of `pid` named `name` ("main": `pid` itself). When several threads share the
 * name, the newest (highest id) is taken. */
pid_t qemu_task_find(pid_t pid, const char *name, struct err *e);

/* Remembers names of threads seen, so a trace line read after its thread ended (a multifd thread after
 * cleanup, anything after a crash) still gets a name. Fixed size, oldest entries overwritten. */
#define QEMU_TASK_CACHE 64
struct qemu_task_cache {
    pid_t pid;
    struct {
        pid_t tid;
        char name[QEMU_TASK_NAME_MAX];
    } e[QEMU_TASK_CACHE];
    unsigned next;
};
void qemu_task_cache_reset(struct qemu_task_cache *c, pid_t pid);
/* The name of `tid`: remembered, else read from /proc now, else "tid N". Thread ids are not reused
 * within a process's life in practice (they wrap at pid_max), so a remembered name stays right. */
const char *qemu_task_cache_name(struct qemu_task_cache *c, pid_t tid);
/* Remembers every thread the process has now (e.g. when a migration's threads have just started). */
void qemu_task_cache_scan(struct qemu_task_cache *c);
/* A thread named `name` that was remembered and still lives with that name, else -1: finding a thread
 * this way reads one /proc file instead of the whole task list. */
pid_t qemu_task_cache_find(struct qemu_task_cache *c, const char *name);

#endif
