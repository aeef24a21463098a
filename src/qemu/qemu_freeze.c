/* qemu_freeze: ptrace holds on single threads (see qemu_freeze.h). */
#include "qemu_freeze.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>

#include "mono.h"

/* PTRACE_INTERRUPT stops a thread at its next return from the kernel, at once even when it sleeps in a
 * futex or a read; waiting longer than this means it is stuck in uninterruptible sleep. */
#define STOP_WAIT_US 1000000
#define STOP_POLL_NS 20000
#define SPIN_US 2000

struct hold {
    struct qemu_holds *hs;
    pid_t pid, tid;
    char name[32];
    bool used, stopped;
    int deliver; /* a signal the thread was about to get when it stopped: handed back at release */
    uint64_t until_us;
    struct event *timer;
};

struct qemu_holds {
    struct event_base *base;
    struct qemu_holds_hooks hooks;
    struct hold h[QEMU_HOLDS_MAX];
};

static void notify(struct qemu_holds *hs, const char *name, bool held)
{
    if (hs->hooks.changed)
        hs->hooks.changed(hs->hooks.arg, name, held);
}

/* Polls for the stop that PTRACE_INTERRUPT asked for. 1 stopped, 0 not yet, -1 the thread is gone. */
static int poll_stop(struct hold *h)
{
    int st;
    pid_t r;
    do
        r = waitpid(h->tid, &st, __WALL | WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return 0;
    if (r < 0 || !WIFSTOPPED(st))
        return -1;
    /* A signal-delivery-stop (not our PTRACE_EVENT_STOP) holds a signal meant for the thread: keep it. */
    if ((st >> 16) != PTRACE_EVENT_STOP && WSTOPSIG(st) != SIGTRAP)
        h->deliver = WSTOPSIG(st);
    h->stopped = true;
    return 1;
}

/* Polls until the thread stops, for at most STOP_WAIT_US: 1 stopped, 0 not yet, -1 gone. The first
 * SPIN_US without sleeping: a running thread stops within microseconds, and every one of them is
 * race window the thread could use to notice the error. */
static int wait_stop(struct hold *h)
{
    struct timespec ts = {0, STOP_POLL_NS};
    uint64_t t0 = mono_now_us(), now = t0;
    int got;
    while ((got = poll_stop(h)) == 0 && (now = mono_now_us()) - t0 < STOP_WAIT_US)
        if (now - t0 >= SPIN_US)
            nanosleep(&ts, NULL);
    return got;
}

static void forget(struct hold *h, bool tell)
{
    char name[sizeof h->name];
    snprintf(name, sizeof name, "%s", h->name);
    if (h->timer)
        event_free(h->timer);
    struct qemu_holds *hs = h->hs;
    memset(h, 0, sizeof *h);
    if (tell)
        notify(hs, name, false);
}

static void release(struct hold *h)
{
    if (!h->stopped)
        wait_stop(h);
    /* Said before it happens: once let go, the thread may run (and log trace points) before this
     * process runs again, and a timeline must not show it moving while still held. */
    notify(h->hs, h->name, false);
    if (ptrace(PTRACE_DETACH, h->tid, NULL, (void *)(long)h->deliver) < 0 && h->tid != h->pid) {
        /* Not in a stop: it was killed (SIGKILL wakes a stopped tracee) and we must collect it. */
        int st;
        waitpid(h->tid, &st, __WALL | WNOHANG);
    }
    forget(h, false);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    release(arg);
}

struct qemu_holds *qemu_holds_new(struct event_base *base, const struct qemu_holds_hooks *hooks, struct err *e)
{
    struct qemu_holds *hs = calloc(1, sizeof *hs);
    if (!hs) {
        err_set(e, "out of memory");
        return NULL;
    }
    hs->base = base;
    if (hooks)
        hs->hooks = *hooks;
    return hs;
}

void qemu_holds_free(struct qemu_holds *hs)
{
    if (!hs)
        return;
    qemu_holds_release_all(hs);
    free(hs);
}

static void arm(struct hold *h, uint64_t until_us)
{
    uint64_t now = mono_now_us();
    h->until_us = until_us;
    struct timeval tv = mono_tv(until_us > now ? until_us - now : 0);
    evtimer_add(h->timer, &tv);
}

int qemu_holds_hold(struct qemu_holds *hs, pid_t pid, pid_t tid, const char *name, uint64_t dur_us,
                    struct err *e)
{
    uint64_t until = mono_now_us() + dur_us;
    struct hold *h = NULL;
    for (int i = 0; i < QEMU_HOLDS_MAX; i++) {
        if (hs->h[i].used && hs->h[i].tid == tid) {
            if (until > hs->h[i].until_us)
                arm(&hs->h[i], until);
            return 0;
        }
        if (!hs->h[i].used && !h)
            h = &hs->h[i];
    }
    if (!h)
        return err_set(e, "already holding %d threads", QEMU_HOLDS_MAX);
    if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) < 0)
        return err_set(e, "cannot hold %s (thread %d): ptrace: %s", name, (int)tid, strerror(errno));
    *h = (struct hold){.hs = hs, .pid = pid, .tid = tid, .used = true};
    snprintf(h->name, sizeof h->name, "%s", name);
    h->timer = evtimer_new(hs->base, on_timer, h);
    if (!h->timer || ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0) {
        int err = h->timer ? errno : ENOMEM;
        ptrace(PTRACE_DETACH, tid, NULL, NULL);
        forget(h, false);
        return err_set(e, "cannot hold %s (thread %d): %s", name, (int)tid, strerror(err));
    }
    int got = wait_stop(h);
    if (got < 0) {
        forget(h, false);
        return err_set(e, "%s (thread %d) ended before it could be held", name, (int)tid);
    }
    if (got == 0) {
        /* Still traced, so keep it: the timer releases it once it stops, as for any hold. */
        arm(h, until);
        return err_set(e, "%s (thread %d) did not stop within %d ms", name, (int)tid, STOP_WAIT_US / 1000);
    }
    arm(h, until);
    notify(hs, h->name, true);
    return 0;
}

int qemu_holds_release_name(struct qemu_holds *hs, const char *name)
{
    for (int i = 0; i < QEMU_HOLDS_MAX; i++)
        if (hs->h[i].used && strcmp(hs->h[i].name, name) == 0) {
            release(&hs->h[i]);
            return 1;
        }
    return 0;
}

void qemu_holds_release_all(struct qemu_holds *hs)
{
    for (int i = 0; i < QEMU_HOLDS_MAX; i++)
        if (hs->h[i].used)
            release(&hs->h[i]);
}

bool qemu_holds_collect(struct qemu_holds *hs)
{
    bool none = true;
    for (int i = 0; i < QEMU_HOLDS_MAX; i++) {
        struct hold *h = &hs->h[i];
        if (!h->used)
            continue;
        if (h->tid == h->pid) {
            /* The main thread is also the process: its end is collected as the process's, elsewhere. */
            ptrace(PTRACE_DETACH, h->tid, NULL, NULL);
            forget(h, true);
            continue;
        }
        int st;
        pid_t r = waitpid(h->tid, &st, __WALL | WNOHANG);
        if (r == h->tid && WIFSTOPPED(st)) {
            ptrace(PTRACE_DETACH, h->tid, NULL, NULL);
            none = false;
        } else if (r == 0) {
            none = false;
        } else {
            forget(h, true);
        }
    }
    return none;
}

size_t qemu_holds_tids(const struct qemu_holds *hs, pid_t *tids, size_t max)
{
    size_t n = 0;
    for (int i = 0; i < QEMU_HOLDS_MAX && n < max; i++)
        if (hs->h[i].used)
            tids[n++] = hs->h[i].tid;
    return n;
}

unsigned qemu_holds_count(const struct qemu_holds *hs)
{
    unsigned n = 0;
    for (int i = 0; i < QEMU_HOLDS_MAX; i++)
        n += hs->h[i].used;
    return n;
}
