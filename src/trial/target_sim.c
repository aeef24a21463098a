/* target_sim: `sim:MODEL`, the simulated VMM in this process. Each trial gets a fresh VMM (cheap, and no
 * state carries over between trials), served over a socketpair so the QMP client and the wire format are
 * exactly those used with real QEMU. Never kills anything: a modeled crash only ends the modeled VMM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sim.h"
#include "target_impl.h"

struct sim_target {
    const struct sim_model *model;
    struct sim_config cfg;
    struct sim_vmm *vmm;
    struct target_hooks hooks;
};

static void on_trace(void *arg, const char *thread, const char *event, const char *args)
{
    struct sim_target *st = arg;
    if (st->hooks.trace)
        st->hooks.trace(st->hooks.arg, 0, thread, event, args);
}

static void on_output(void *arg, const char *line)
{
    struct sim_target *st = arg;
    if (st->hooks.output)
        st->hooks.output(st->hooks.arg, line);
}

static void on_died(void *arg, int signo, const char *message)
{
    struct sim_target *st = arg;
    if (st->hooks.died)
        st->hooks.died(st->hooks.arg, signo, message);
}

static void on_thread(void *arg, const char *thread, bool held)
{
    struct sim_target *st = arg;
    if (st->hooks.thread)
        st->hooks.thread(st->hooks.arg, thread, held);
}

static int sim_init(struct target *t, const char *rest, const struct target_options *opt, struct err *e)
{
    const struct sim_model *m = sim_model_find(rest);
    if (!m) {
        char names[256] = "";
        for (const char *const *n = sim_model_names(); *n; n++) {
            if (names[0])
                strncat(names, ", ", sizeof names - strlen(names) - 1);
            strncat(names, *n, sizeof names - strlen(names) - 1);
        }
        return err_set(e, "unknown sim model '%s' (models: %s)", rest, names);
    }
    struct sim_target *st = calloc(1, sizeof *st);
    if (!st)
        return err_set(e, "out of memory");
    st->model = m;
    st->cfg.ram_bytes = opt->ram_bytes;
    t->impl = st;
    return 0;
}

static int sim_begin(struct target *t, struct event_base *base, const struct target_hooks *hooks, struct qmp *q,
                     struct err *e)
{
    struct sim_target *st = t->impl;
    if (st->vmm) {
        sim_vmm_free(st->vmm);
        st->vmm = NULL;
    }
    st->hooks = *hooks;
    struct sim_hooks sh = {on_trace, on_output, on_died, on_thread, st};
    st->vmm = sim_vmm_new(base, st->model, &st->cfg, &sh, e);
    if (!st->vmm)
        return -1;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
        return err_set(e, "socketpair: %m");
    if (sim_vmm_serve(st->vmm, sv[0], e) < 0) {
        close(sv[1]);
        return -1;
    }
    return qmp_adopt_fd(q, sv[1], e);
}

static int sim_freeze(struct target *t, struct thread_ref thread, uint64_t dur_us, struct err *e)
{
    struct sim_target *st = t->impl;
    if (!st->vmm)
        return err_set(e, "no simulated VMM is running");
    return sim_vmm_freeze(st->vmm, thread, dur_us, e);
}

static int sim_thaw(struct target *t, struct thread_ref thread, struct err *e)
{
    struct sim_target *st = t->impl;
    if (!st->vmm)
        return err_set(e, "no simulated VMM is running");
    return sim_vmm_thaw(st->vmm, thread, e);
}

static void sim_end(struct target *t, bool healthy)
{
    (void)healthy; /* every trial gets a fresh VMM anyway */
    struct sim_target *st = t->impl;
    sim_vmm_free(st->vmm);
    st->vmm = NULL;
}

static void sim_destroy(struct target *t)
{
    struct sim_target *st = t->impl;
    if (st)
        sim_vmm_free(st->vmm);
    free(st);
}

/* The innermost frames that are libc's (or the kernel's), not QEMU's: a thread blocked there blocks others */
static bool libc_frame(const char *fn)
{
    static const char *const libc[] = {"ppoll", "sendmsg", "recvmsg", NULL};
    if (fn[0] == '_')
        return true;
    for (const char *const *l = libc; *l; l++)
        if (strcmp(fn, *l) == 0)
            return true;
    return false;
}

static void sim_stack_in(void *arg, const char *thread, bool held, const char *const *frames, size_t n)
{
    struct qemu_stacks *out = arg;
    struct qemu_thread_stack *v = realloc(out->threads, (out->n + 1) * sizeof *v);
    if (!v)
        return;
    out->threads = v;
    struct qemu_thread_stack *t = &out->threads[out->n++];
    memset(t, 0, sizeof *t);
    t->tid = (int)out->n;
    t->held = held;
    snprintf(t->name, sizeof t->name, "%s", thread);
    for (size_t i = 0; i < n && i < QEMU_STACK_MAX_FRAMES; i++) {
        snprintf(t->frames[i].fn, sizeof t->frames[i].fn, "%s", frames[i]);
        snprintf(t->frames[i].module, sizeof t->frames[i].module, "%s",
                 libc_frame(frames[i]) ? "libc.so.6" : "qemu-system-x86_64");
        t->nframes++;
    }
}

/* The modeled threads' stacks, as the model says they would be on QEMU (sim_vmm_stacks). */
static int sim_stacks(struct target *t, struct qemu_stacks *out, struct err *e)
{
    struct sim_target *st = t->impl;
    if (!st->vmm || sim_vmm_dead(st->vmm))
        return err_set(e, "no simulated VMM is running");
    sim_vmm_stacks(st->vmm, sim_stack_in, out);
    return out->n ? 0 : err_set(e, "out of memory");
}

static bool sim_has_trace(const struct target *t, const char *name)
{
    const struct sim_target *st = t->impl;
    return sim_model_has_trace(st->model, name);
}

const struct target_ops target_sim_ops = {
    .prefix = "sim:",
    .short_ram = 32ull << 20,
    .short_deadline_us = 200000,
    .init = sim_init,
    .begin = sim_begin,
    .freeze = sim_freeze,
    .thaw = sim_thaw,
    .end = sim_end,
    .destroy = sim_destroy,
    .caps = {.freeze = true, .trace = true, .death = true, .deterministic = true, .dest_modelled = true},
    .has_trace = sim_has_trace,
    .stacks = sim_stacks,
};
