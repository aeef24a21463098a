/* qemu_args: QEMU command lines (see qemu_args.h). */
#include "qemu_args.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* More arguments than this is a typo in a script, not a plan. */
#define MAX_ARGS 1024

struct argv {
    char **v;
    size_t n, cap;
    bool failed;
};

static void add(struct argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct argv *a, const char *fmt, ...)
{
    if (a->failed)
        return;
    if (a->n + 2 > a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        char **v = cap <= MAX_ARGS ? realloc(a->v, cap * sizeof *v) : NULL;
        if (!v) {
            a->failed = true;
            return;
        }
        a->v = v;
        a->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&a->v[a->n], fmt, ap);
    va_end(ap);
    if (r < 0) {
        a->v[a->n] = NULL;
        a->failed = true;
        return;
    }
    a->v[++a->n] = NULL;
}

static char **finish(struct argv *a, struct err *e)
{
    if (!a->failed)
        return a->v;
    qemu_args_free(a->v);
    err_set(e, "QEMU command line: out of memory or more than %d arguments", MAX_ARGS);
    return NULL;
}

const char *const *qemu_args_default_trace(void)
{
    static const char *const names[] = {
        "migrate_set_state",           "multifd_send_error",          "multifd_send_terminate_threads",
        "migration_thread_file_err",   "migration_thread_after_loop", "savevm_state_cleanup",
        "migrate_fd_cleanup",          "qmp_enter_*",                 "qmp_exit_*",
        NULL,
    };
    return names;
}

char **qemu_args_build(const struct qemu_launch *l, struct err *e)
{
    struct argv a = {0};
    unsigned long long mib = (unsigned long long)(l->ram_bytes >> 20);
    add(&a, "%s", l->bin);
    add(&a, "-nodefaults");
    add(&a, "-no-user-config");
    add(&a, "-display");
    add(&a, "none");
    /* Thread names (live_migration, multifdsend_N) are what `freeze` finds threads by. */
    add(&a, "-name");
    add(&a, "qmprace-%s,debug-threads=on", l->role == QEMU_SOURCE ? "source" : "dest");
    add(&a, "-accel");
    add(&a, "tcg");
    add(&a, "-machine");
    add(&a, "pc,memory-backend=mem0");
    add(&a, "-m");
    add(&a, "%lluM", mib);
    add(&a, "-object");
    if (l->role == QEMU_SOURCE)
        /* /proc/self/fd/N is QEMU's view of the memfd it inherits: the file has no name to leave behind. */
        add(&a, "memory-backend-file,id=mem0,size=%lluM,mem-path=/proc/self/fd/%d,share=off", mib, l->ram_fd);
    else
        add(&a, "memory-backend-ram,id=mem0,size=%lluM", mib);
    if (l->role == QEMU_SOURCE) {
        /* 7.2 limits a migration to 128 MiB/s by default, counted per 100 ms: past 12.8 MiB the migration
         * thread sleeps out the rest of the window, and a trial waits up to 100 ms for its `after 8MiB`
         * while the bytes sit in socket buffers. Loopback needs no limit (FACTS set the same 10 GiB/s). */
        add(&a, "-global");
        add(&a, "migration.x-max-bandwidth=10G");
    }
    add(&a, "-chardev");
    add(&a, "socket,id=qmp0,fd=%d,server=on,wait=off", l->qmp_fd);
    add(&a, "-mon");
    add(&a, "chardev=qmp0,mode=control");
    add(&a, "-msg");
    add(&a, "timestamp=on");
    for (size_t i = 0; i < l->ntrace; i++) {
        add(&a, "-trace");
        add(&a, "%s", l->trace[i]);
    }
    if (l->role == QEMU_DEST) {
        add(&a, "-incoming");
        add(&a, "%s", l->incoming ? l->incoming : "defer");
    }
    for (size_t i = 0; i < l->nextra; i++)
        add(&a, "%s", l->extra[i]);
    return finish(&a, e);
}

char **qemu_args_probe(const char *bin, struct err *e)
{
    struct argv a = {0};
    const char *const fixed[] = {"-nodefaults", "-no-user-config", "-display", "none", "-machine", "none",
                                 "-S", "-msg", "timestamp=on", "-trace", "qmp_enter_query_version",
                                 "-qmp", "stdio"};
    add(&a, "%s", bin);
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        add(&a, "%s", fixed[i]);
    return finish(&a, e);
}

void qemu_args_free(char **argv)
{
    if (!argv)
        return;
    for (char **p = argv; *p; p++)
        free(*p);
    free(argv);
}
