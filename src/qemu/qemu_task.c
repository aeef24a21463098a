/* qemu_task: thread names and ids of a process from /proc (see qemu_task.h). */
#include "qemu_task.h"

#include <dirent.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A process with more threads than this is not a QEMU we launched: stop looking. */
#define MAX_TASKS 4096

static int read_comm(pid_t pid, pid_t tid, char *buf, size_t n)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)pid, (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t r = read(fd, buf, n - 1);
    close(fd);
    if (r <= 0)
        return -1;
    buf[r] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

int qemu_task_name(pid_t pid, pid_t tid, char *buf, size_t n)
{
    if (tid == pid) {
        char dummy[QEMU_TASK_NAME_MAX];
        if (read_comm(pid, tid, dummy, sizeof dummy) < 0)
            return -1;
        snprintf(buf, n, "main");
        return 0;
    }
    return read_comm(pid, tid, buf, n);
}

pid_t qemu_task_find(pid_t pid, const char *name, struct err *e)
{
    if (strcmp(name, "main") == 0)
        return pid;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d) {
        err_set(e, "cannot list the threads of QEMU (pid %d): the process is gone", (int)pid);
        return -1;
    }
    pid_t found = -1;
    struct dirent *de;
    for (int i = 0; i < MAX_TASKS && (de = readdir(d)); i++) {
        char *end;
        long tid = strtol(de->d_name, &end, 10);
        if (*end || tid <= 0 || tid == pid)
            continue;
        char comm[QEMU_TASK_NAME_MAX];
        if (read_comm(pid, (pid_t)tid, comm, sizeof comm) == 0 && strcmp(comm, name) == 0 && tid > found)
            found = (pid_t)tid;
    }
    closedir(d);
    if (found < 0)
        err_set(e, "QEMU (pid %d) has no thread named %s now", (int)pid, name);
    return found;
}

void qemu_task_cache_reset(struct qemu_task_cache *c, pid_t pid)
{
    memset(c, 0, sizeof *c);
    c->pid = pid;
}

static void remember(struct qemu_task_cache *c, pid_t tid, const char *name)
{
    for (unsigned i = 0; i < QEMU_TASK_CACHE; i++)
        if (c->e[i].tid == tid) {
            snprintf(c->e[i].name, sizeof c->e[i].name, "%s", name);
            return;
        }
    unsigned slot = c->next++ % QEMU_TASK_CACHE;
    c->e[slot].tid = tid;
    snprintf(c->e[slot].name, sizeof c->e[slot].name, "%s", name);
}

const char *qemu_task_cache_name(struct qemu_task_cache *c, pid_t tid)
{
    for (unsigned i = 0; i < QEMU_TASK_CACHE; i++)
        if (c->e[i].tid == tid)
            return c->e[i].name;
    char name[QEMU_TASK_NAME_MAX];
    if (qemu_task_name(c->pid, tid, name, sizeof name) < 0)
        snprintf(name, sizeof name, "tid %d", (int)tid);
    remember(c, tid, name);
    return qemu_task_cache_name(c, tid);
}

void qemu_task_cache_scan(struct qemu_task_cache *c)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)c->pid);
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *de;
    for (int i = 0; i < MAX_TASKS && (de = readdir(d)); i++) {
        char *end, name[QEMU_TASK_NAME_MAX];
        long tid = strtol(de->d_name, &end, 10);
        if (!*end && tid > 0 && qemu_task_name(c->pid, (pid_t)tid, name, sizeof name) == 0)
            remember(c, (pid_t)tid, name);
    }
    closedir(d);
}

pid_t qemu_task_cache_find(struct qemu_task_cache *c, const char *name)
{
    pid_t best = -1;
    for (unsigned i = 0; i < QEMU_TASK_CACHE; i++) {
        char live[QEMU_TASK_NAME_MAX];
        if (c->e[i].tid > best && strcmp(c->e[i].name, name) == 0 &&
            qemu_task_name(c->pid, c->e[i].tid, live, sizeof live) == 0 && strcmp(live, name) == 0)
            best = c->e[i].tid;
    }
    return best;
}
