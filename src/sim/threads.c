/* threads: the modeled QEMU threads (main, live_migration, multifdsend_N) as queues of work on the
 * caller's event loop, and sim_vmm_freeze(), which holds one of them like a ptrace stop: whatever the
 * thread would do meanwhile is queued and runs, in order, after the release. Work meant for another
 * thread is always posted, never run inline, so no modeled thread runs inside another one's step. A work
 * item is a function and its argument: the scheduler knows nothing of what it runs (and a virtual clock
 * would plug in here). It must never block or sleep. */
#include <stdio.h>
#include <string.h>

#include "mono.h"
#include "sim_internal.h"

static void pop(struct sim_thread *t, int i)
{
    memmove(t->queue + i, t->queue + i + 1, (size_t)(t->nqueue - i - 1) * sizeof t->queue[0]);
    t->nqueue--;
}

/* While a thread is blocked in a join, only the work that ends the join may go on. */
static int next_work(const struct sim_thread *t)
{
    if (t->blocked) {
        for (int i = 0; i < t->nqueue; i++)
            if (t->queue[i].flags & SIM_WORK_UNBLOCKED)
                return i;
        return -1;
    }
    return t->nqueue > 0 ? 0 : -1;
}

static void kick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct sim_thread *t = arg;
    struct sim_vmm *v = t->v;
    /* Each work item runs at most once per queue entry and the queue is small, so this is bounded. */
    for (int budget = 2 * SIM_THREAD_QUEUE; budget > 0 && !t->held; budget--) {
        int i = next_work(t);
        if (i < 0)
            return;
        struct sim_work work = t->queue[i];
        pop(t, i);
        work.fn(work.arg);
        if (v->dead)
            return;
    }
    if (!t->held && next_work(t) >= 0)
        event_active(t->kick, 0, 0);
}

/* The hold ends: the thread's queued work runs on. */
static void let_go(struct sim_thread *t)
{
    struct sim_vmm *v = t->v;
    t->held = false;
    if (v->hooks.thread)
        v->hooks.thread(v->hooks.arg, t->name, false);
    if (!v->dead && !t->held && t->nqueue > 0)
        event_active(t->kick, 0, 0);
}

static void release_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct sim_thread *t = arg;
    struct sim_vmm *v = t->v;
    if (!t->held || v->dead)
        return;
    uint64_t now = mono_now_us();
    if (now < t->hold_end) { /* extended meanwhile */
        struct timeval tv = mono_tv(t->hold_end - now);
        evtimer_add(t->release, &tv);
        return;
    }
    let_go(t);
}

void sim_thread_init(struct sim_thread *t, struct sim_vmm *v, enum thread_kind kind, int index)
{
    memset(t, 0, sizeof *t);
    t->v = v;
    t->kind = kind;
    t->index = index;
    /* the name this model's QEMU gives the thread: what the timeline shows, as on a real one */
    const char *n = vocab_thread_spelling((struct thread_ref){kind, index}, v->model->spelling, t->name, sizeof t->name);
    if (n != t->name)
        snprintf(t->name, sizeof t->name, "%s", n);
    t->kick = event_new(v->base, -1, 0, kick_cb, t);
}

void sim_thread_fini(struct sim_thread *t, bool report_release)
{
    if (!t->v)
        return;
    struct sim_vmm *v = t->v;
    if (t->held && report_release && !v->dead && v->hooks.thread)
        v->hooks.thread(v->hooks.arg, t->name, false);
    t->held = false;
    if (t->kick)
        event_free(t->kick);
    if (t->release)
        event_free(t->release);
    t->kick = t->release = NULL;
    t->nqueue = 0;
    t->exists = false;
}

void sim_thread_clear(struct sim_thread *t, bool drop_hold)
{
    t->nqueue = 0;
    if (t->kick)
        event_del(t->kick);
    if (drop_hold) {
        t->held = false;
        if (t->release)
            event_del(t->release);
    }
}

void sim_thread_restart(struct sim_thread *t)
{
    struct sim_vmm *v = t->v;
    sim_thread_clear(t, false);
    if (t->held) {
        t->held = false;
        if (t->release)
            event_del(t->release);
        if (v->hooks.thread)
            v->hooks.thread(v->hooks.arg, t->name, false);
    }
}

bool sim_thread_runnable(const struct sim_thread *t)
{
    return !t->held && t->nqueue == 0 && !t->blocked;
}

void sim_thread_post_flags(struct sim_thread *t, sim_work_fn fn, void *arg, unsigned flags)
{
    if (!t->kick || t->v->dead)
        return;
    for (int i = 0; i < t->nqueue; i++)
        if (t->queue[i].fn == fn && t->queue[i].arg == arg)
            return; /* already due: one run covers both */
    if (t->nqueue == SIM_THREAD_QUEUE)
        return; /* cannot happen: fewer kinds of work than slots */
    t->queue[t->nqueue++] = (struct sim_work){fn, arg, flags};
    if (!t->held)
        event_active(t->kick, 0, 0);
}

void sim_thread_post(struct sim_thread *t, sim_work_fn fn, void *arg)
{
    sim_thread_post_flags(t, fn, arg, 0);
}

struct sim_thread *sim_thread_find(struct sim_vmm *v, struct thread_ref r)
{
    switch (r.kind) {
    case THR_MAIN:
        return &v->main_thr;
    case THR_LIVE_MIGRATION:
        return &v->lm_thr;
    case THR_MULTIFDSEND:
        if (v->mig.mf && r.index >= 0 && r.index < v->mig.created)
            return &v->mig.mf[r.index].thr;
        return NULL;
    case THR_RETURN_PATH:
        return NULL; /* the model has no return path */
    }
    return NULL;
}

int sim_vmm_freeze(struct sim_vmm *v, struct thread_ref r, uint64_t dur_us, struct err *e)
{
    char name[24];
    if (v->dead)
        return err_set(e, "the simulated VMM has died; no thread to freeze");
    struct sim_thread *t = sim_thread_find(v, r);
    if (!t || !t->exists)
        return err_set(e, "no thread '%s' in the target now", vocab_thread_name(r, name, sizeof name));
    if (!t->release) {
        t->release = evtimer_new(v->base, release_cb, t);
        if (!t->release)
            return err_set(e, "out of memory");
    }
    uint64_t now = mono_now_us();
    uint64_t end = now + dur_us;
    if (t->held && end <= t->hold_end)
        return 0;
    t->hold_end = end;
    struct timeval tv = mono_tv(dur_us);
    evtimer_add(t->release, &tv);
    if (!t->held) {
        t->held = true;
        if (t->kick)
            event_del(t->kick); /* queued work waits for the release */
        if (v->hooks.thread)
            v->hooks.thread(v->hooks.arg, t->name, true);
    }
    return 0;
}

int sim_vmm_thaw(struct sim_vmm *v, struct thread_ref r, struct err *e)
{
    if (v->dead)
        return err_set(e, "the simulated VMM has died; no thread to thaw");
    struct sim_thread *t = sim_thread_find(v, r);
    if (!t || !t->exists || !t->held)
        return 0;
    event_del(t->release);
    t->hold_end = mono_now_us();
    let_go(t);
    return 1;
}
