/* qemu_vm: a launched QEMU process, its output, its QMP socket and its end (see qemu_vm.h). */
#include "qemu_vm.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mono.h"
#include "qemu_proc.h"
#include "qemu_trace.h"

/* After its output ended, a dying process is polled for this often, and killed if it has not ended
 * after REAP_PATIENCE_US (it closed its output but lives on: not a QEMU we can trust). */
#define REAP_POLL_US 1000
#define REAP_PATIENCE_US 5000000

struct qemu_vm {
    struct qemu_vm_hooks hooks;
    struct qemu_proc *proc;
    struct qemu_lines *lines;
    struct qemu_holds *holds;
    struct event *reap_timer;
    uint64_t reap_since;
    int listen_fd, path_fd;
    char qmp_addr[48];
    bool ended;
};

/* A listening unix socket in a private directory, reachable afterwards only through an O_PATH
 * descriptor: the directory and the name are removed before this returns. */
static int qmp_socket(struct qemu_vm *vm, struct err *e)
{
    const char *tmpdir = getenv("TMPDIR");
    /* a unix socket path is short (108 bytes), with room kept for "/qmp": a long TMPDIR falls back to
     * P_tmpdir */
    char tmpl[sizeof(((struct sockaddr_un *)0)->sun_path) - 4];
    int len = snprintf(tmpl, sizeof tmpl, "%s/qmprace-XXXXXX", tmpdir && *tmpdir ? tmpdir : P_tmpdir);
    if (len < 0 || (size_t)len >= sizeof tmpl)
        snprintf(tmpl, sizeof tmpl, "%s/qmprace-XXXXXX", P_tmpdir);
    if (!mkdtemp(tmpl))
        return err_set(e, "mkdtemp %s: %s", tmpl, strerror(errno));
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    snprintf(un.sun_path, sizeof un.sun_path, "%s/qmp", tmpl);
    int rc = -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        err_set(e, "socket: %s", strerror(errno));
        goto out;
    }
    if (bind(fd, (struct sockaddr *)&un, sizeof un) < 0 || listen(fd, 4) < 0) {
        err_set(e, "QMP socket %s: %s", un.sun_path, strerror(errno));
        close(fd);
        goto out;
    }
    int pfd = open(un.sun_path, O_PATH | O_CLOEXEC);
    if (pfd < 0) {
        err_set(e, "QMP socket %s: %s", un.sun_path, strerror(errno));
        close(fd);
        goto out;
    }
    vm->listen_fd = fd;
    vm->path_fd = pfd;
    snprintf(vm->qmp_addr, sizeof vm->qmp_addr, "unix:/proc/self/fd/%d", pfd);
    rc = 0;
out:
    unlink(un.sun_path);
    rmdir(tmpl);
    return rc;
}

static void on_line(void *arg, const char *line)
{
    struct qemu_vm *vm = arg;
    if (vm->hooks.line)
        vm->hooks.line(vm->hooks.arg, line);
}

static void reap_poll(struct qemu_vm *vm)
{
    if (vm->ended)
        return;
    qemu_holds_collect(vm->holds);
    int status;
    if (qemu_proc_reap(vm->proc, &status)) {
        vm->ended = true;
        /* Whatever it wrote last is in the pipe: read it before saying it ended. */
        qemu_lines_drain(vm->lines);
        if (vm->hooks.ended)
            vm->hooks.ended(vm->hooks.arg, status);
        return;
    }
    if (mono_now_us() - vm->reap_since > REAP_PATIENCE_US)
        kill(qemu_proc_pid(vm->proc), SIGKILL);
    struct timeval tv = mono_tv(REAP_POLL_US);
    evtimer_add(vm->reap_timer, &tv);
}

static void on_reap_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    reap_poll(arg);
}

static void on_eof(void *arg)
{
    struct qemu_vm *vm = arg;
    vm->reap_since = mono_now_us();
    struct timeval tv = mono_tv(0);
    evtimer_add(vm->reap_timer, &tv);
}

static void on_held(void *arg, const char *thread, bool held)
{
    struct qemu_vm *vm = arg;
    if (vm->hooks.held)
        vm->hooks.held(vm->hooks.arg, thread, held);
}

struct qemu_vm *qemu_vm_start(struct event_base *base, const struct qemu_launch *l, const struct qemu_vm_hooks *hooks,
                              struct err *e)
{
    struct qemu_vm *vm = calloc(1, sizeof *vm);
    if (!vm) {
        err_set(e, "out of memory");
        return NULL;
    }
    vm->listen_fd = vm->path_fd = -1;
    if (hooks)
        vm->hooks = *hooks;
    if (qmp_socket(vm, e) < 0)
        goto fail;
    struct qemu_holds_hooks hh = {on_held, vm};
    vm->holds = qemu_holds_new(base, &hh, e);
    vm->reap_timer = evtimer_new(base, on_reap_timer, vm);
    if (!vm->holds || !vm->reap_timer) {
        err_set(e, "out of memory");
        goto fail;
    }
    struct qemu_launch launch = *l;
    launch.qmp_fd = vm->listen_fd;
    char **argv = qemu_args_build(&launch, e);
    if (!argv)
        goto fail;
    int keep[2] = {vm->listen_fd, l->role == QEMU_SOURCE ? l->ram_fd : -1};
    struct qemu_proc_spec spec = {.path = l->bin, .argv = argv, .keep_fds = keep, .nkeep = keep[1] >= 0 ? 2 : 1};
    vm->proc = qemu_proc_spawn(&spec, e);
    qemu_args_free(argv);
    if (!vm->proc)
        goto fail;
    struct qemu_lines_hooks lh = {on_line, on_eof, vm};
    vm->lines = qemu_lines_new(base, qemu_proc_output_fd(vm->proc), &lh, e);
    if (!vm->lines)
        goto fail;
    return vm;
fail:
    qemu_vm_free(vm);
    return NULL;
}

void qemu_vm_free(struct qemu_vm *vm)
{
    if (!vm)
        return;
    /* Held threads first: a process with a stopped tracee thread cannot be collected until it is let go. */
    qemu_holds_free(vm->holds);
    qemu_proc_free(vm->proc);
    qemu_lines_free(vm->lines);
    if (vm->reap_timer)
        event_free(vm->reap_timer);
    if (vm->listen_fd >= 0)
        close(vm->listen_fd);
    if (vm->path_fd >= 0)
        close(vm->path_fd);
    free(vm);
}

pid_t qemu_vm_pid(const struct qemu_vm *vm)
{
    return qemu_proc_pid(vm->proc);
}

void qemu_vm_set_hooks(struct qemu_vm *vm, const struct qemu_vm_hooks *hooks)
{
    vm->hooks = hooks ? *hooks : (struct qemu_vm_hooks){0};
}

const char *qemu_vm_qmp_addr(const struct qemu_vm *vm)
{
    return vm->qmp_addr;
}

void qemu_vm_drain(struct qemu_vm *vm)
{
    qemu_lines_drain(vm->lines);
}

bool qemu_vm_ending(const struct qemu_vm *vm)
{
    return vm->ended || qemu_lines_eof(vm->lines);
}

struct qemu_holds *qemu_vm_holds(struct qemu_vm *vm)
{
    return vm->holds;
}
