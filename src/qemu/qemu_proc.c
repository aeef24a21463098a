/* qemu_proc: start, watch and end one child process (see qemu_proc.h). Everything between fork() and
 * exec in the child is async-signal-safe: no allocation, no stdio, no locks. */
#include "qemu_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mono.h"

/* How long a SIGKILLed child may take to be collected. Exiting frees its guest RAM mappings, which is
 * quick; anything longer is a child stuck in the kernel. */
#define KILL_WAIT_MS 5000

struct qemu_proc {
    pid_t pid;
    int out_fd;
    bool reaped;
    int status;
};

/* Runs in the child after fork(): only async-signal-safe calls. */
static void child(const struct qemu_proc_spec *spec, int out_w, pid_t parent)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* The parent may have died before prctl took effect: then nobody would kill us. */
    if (getppid() != parent)
        _exit(127);
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    signal(SIGPIPE, SIG_DFL);
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out_w, 1) < 0 || dup2(out_w, 2) < 0)
        _exit(127);
    /* Close everything else but the kept descriptors, whatever their close-on-exec flag says. */
    int lo = 3;
    for (;;) {
        int next = INT_MAX;
        for (size_t i = 0; i < spec->nkeep; i++)
            if (spec->keep_fds[i] >= lo && spec->keep_fds[i] < next)
                next = spec->keep_fds[i];
        if (next > lo)
            close_range((unsigned)lo, next == INT_MAX ? ~0u : (unsigned)next - 1, 0);
        if (next == INT_MAX)
            break;
        int fl = fcntl(next, F_GETFD);
        if (fl >= 0)
            fcntl(next, F_SETFD, fl & ~FD_CLOEXEC);
        lo = next + 1;
    }
    if (spec->envp)
        execve(spec->path, spec->argv, spec->envp);
    else
        execv(spec->path, spec->argv);
    _exit(127);
}

struct qemu_proc *qemu_proc_spawn(const struct qemu_proc_spec *spec, struct err *e)
{
    for (size_t i = 0; i < spec->nkeep; i++)
        if (spec->keep_fds[i] < 3) {
            err_set(e, "internal: descriptor %d cannot be passed to the child", spec->keep_fds[i]);
            return NULL;
        }
    struct qemu_proc *p = calloc(1, sizeof *p);
    if (!p) {
        err_set(e, "out of memory");
        return NULL;
    }
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        err_set(e, "pipe: %s", strerror(errno));
        free(p);
        return NULL;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        err_set(e, "fork: %s", strerror(errno));
        close(pfd[0]);
        close(pfd[1]);
        free(p);
        return NULL;
    }
    if (pid == 0)
        child(spec, pfd[1], parent);
    /* Also from here, so a kill of the group cannot miss a child that has not run setpgid yet. */
    setpgid(pid, pid);
    close(pfd[1]);
    fcntl(pfd[0], F_SETFL, fcntl(pfd[0], F_GETFL) | O_NONBLOCK);
    p->pid = pid;
    p->out_fd = pfd[0];
    return p;
}

pid_t qemu_proc_pid(const struct qemu_proc *p)
{
    return p->pid;
}

int qemu_proc_output_fd(const struct qemu_proc *p)
{
    return p->out_fd;
}

bool qemu_proc_reaped(const struct qemu_proc *p)
{
    return p->reaped;
}

int qemu_proc_reap(struct qemu_proc *p, int *status)
{
    if (!p->reaped) {
        int st;
        pid_t r;
        /* A ptrace-stop of the main thread (a `freeze main`) is reported here too: that is not an end. */
        do
            r = waitpid(p->pid, &st, WNOHANG);
        while (r < 0 && errno == EINTR);
        if (r == p->pid && (WIFEXITED(st) || WIFSIGNALED(st))) {
            p->reaped = true;
            p->status = st;
        } else if (r < 0 && errno == ECHILD) {
            /* Someone else collected it (not us: we never wait for -1); say it ended, unknown how. */
            p->reaped = true;
            p->status = 0;
        }
    }
    if (p->reaped && status)
        *status = p->status;
    return p->reaped ? 1 : 0;
}

int qemu_proc_wait(struct qemu_proc *p, uint64_t timeout_us, int *status)
{
    uint64_t end = mono_now_us() + timeout_us;
    while (!qemu_proc_reap(p, status) && mono_now_us() < end) {
        struct timespec ts = {0, 1000000}; /* 1 ms */
        nanosleep(&ts, NULL);
    }
    return qemu_proc_reap(p, status);
}

void qemu_proc_kill(struct qemu_proc *p)
{
    if (p->reaped)
        return;
    kill(p->pid, SIGKILL);
    struct timespec ms = {0, 1000000};
    for (int i = 0; i < KILL_WAIT_MS && !qemu_proc_reap(p, NULL); i++)
        nanosleep(&ms, NULL);
}

void qemu_proc_free(struct qemu_proc *p)
{
    if (!p)
        return;
    qemu_proc_kill(p);
    if (p->out_fd >= 0)
        close(p->out_fd);
    free(p);
}

const char *qemu_proc_status_text(int status, char *buf, size_t n)
{
    if (WIFSIGNALED(status)) {
        const char *abbrev = sigabbrev_np(WTERMSIG(status));
        if (abbrev)
            snprintf(buf, n, "killed by SIG%s", abbrev);
        else
            snprintf(buf, n, "killed by signal %d", WTERMSIG(status));
    } else if (WIFEXITED(status)) {
        snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
    } else {
        snprintf(buf, n, "ended");
    }
    return buf;
}

static bool executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int qemu_proc_find_binary(const char *name, char *out, size_t n, struct err *e)
{
    if (!*name)
        return err_set(e, "empty QEMU binary name");
    if (strchr(name, '/')) {
        if (!executable(name))
            return err_set(e, "%s: not an executable file", name);
        if ((size_t)snprintf(out, n, "%s", name) >= n)
            return err_set(e, "%s: path too long", name);
        return 0;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t len = strcspn(path, ":");
        if ((size_t)snprintf(out, n, "%.*s/%s", (int)len, len ? path : ".", name) < n && executable(out))
            return 0;
        path += len;
        if (*path == ':')
            path++;
    }
    return err_set(e, "no %s on PATH", name);
}
