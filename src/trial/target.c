/* target: picks the kind of target from its spec and forwards to it (see target.h). */
#include "target.h"

#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "target_impl.h"

static const struct target_ops *const kinds[] = {&target_sim_ops, &target_qmp_ops, &target_qemu_ops};

struct target *target_new(const char *spec, const struct target_options *opt, struct err *e)
{
    static const struct target_options none;
    if (!opt)
        opt = &none;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t n = strlen(kinds[i]->prefix);
        if (strncmp(spec, kinds[i]->prefix, n) != 0)
            continue;
        if (!kinds[i]->launches && (opt->nvmm_args || opt->fresh || opt->dest_vmm)) {
            err_set(e, "--qemu-arg, --fresh and --dest are for --target qemu[:PATH]");
            return NULL;
        }
        struct target *t = calloc(1, sizeof *t);
        if (!t || !(t->spec = strdup(spec))) {
            free(t);
            err_set(e, "out of memory");
            return NULL;
        }
        t->ops = kinds[i];
        if (t->ops->init(t, spec + n, opt, e) < 0) {
            free(t->spec);
            free(t);
            return NULL;
        }
        return t;
    }
    err_set(e, "unknown target '%s' (expected sim:MODEL, qmp:unix:PATH, qmp:tcp:HOST:PORT or qemu[:PATH])", spec);
    return NULL;
}

int target_short_trial(const char *spec, uint64_t *ram, uint64_t *deadline_us)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strncmp(spec, kinds[i]->prefix, strlen(kinds[i]->prefix)) == 0) {
            *ram = kinds[i]->short_ram;
            *deadline_us = kinds[i]->short_deadline_us;
            return 0;
        }
    return -1;
}

void target_free(struct target *t)
{
    if (!t)
        return;
    t->ops->destroy(t);
    vocab_target_free(&t->vocab);
    json_object_put(t->fresh_caps);
    json_object_put(t->fresh_params);
    json_object_put(t->changed_caps);
    json_object_put(t->changed_params);
    free(t->spec);
    free(t);
}

const char *target_spec(const struct target *t)
{
    return t->spec;
}

struct target_caps target_caps(const struct target *t)
{
    return t->ops->caps_of ? t->ops->caps_of(t) : t->ops->caps;
}

int target_stacks(struct target *t, struct qemu_stacks *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    if (!t->ops->stacks)
        return err_set(e, "%s cannot show its threads' stacks", t->spec);
    return t->ops->stacks(t, out, e);
}

int target_want_trace(struct target *t, const char *name, struct err *e)
{
    return t->ops->want_trace ? t->ops->want_trace(t, name, e) : 0;
}

bool target_has_trace(const struct target *t, const char *name)
{
    return target_caps(t).trace && (!t->ops->has_trace || t->ops->has_trace(t, name));
}

bool target_keeps(const struct target *t)
{
    return t->ops->keeps && t->ops->keeps(t);
}

void target_keep_spare(struct target *t, bool keep)
{
    if (t->ops->keep_spare)
        t->ops->keep_spare(t, keep);
}

bool target_warmed(const struct target *t)
{
    return t->ops->warmed && t->ops->warmed(t);
}

const char *target_warning(const struct target *t)
{
    return t->ops->warning ? t->ops->warning(t) : NULL;
}

const char *target_upstream(const struct target *t)
{
    return t->ops->upstream ? t->ops->upstream(t) : NULL;
}

int target_begin(struct target *t, struct event_base *base, const struct target_hooks *hooks, struct qmp *q,
                 struct err *e)
{
    return t->ops->begin(t, base, hooks, q, e);
}

int target_freeze(struct target *t, struct thread_ref thread, uint64_t dur_us, struct err *e)
{
    if (!t->ops->freeze)
        return err_set(e, "target %s cannot hold threads", t->spec);
    return t->ops->freeze(t, thread, dur_us, e);
}

int target_thaw(struct target *t, struct thread_ref thread, struct err *e)
{
    if (!t->ops->thaw)
        return err_set(e, "target %s cannot hold threads", t->spec);
    return t->ops->thaw(t, thread, e);
}

int target_settle_start(struct target *t, struct target_settle_check *c)
{
    return t->ops->settle ? t->ops->settle(t, c) : target_settle_qmp(t, c);
}

void target_drain(struct target *t)
{
    if (t->ops->drain)
        t->ops->drain(t);
}

void target_end(struct target *t, bool healthy)
{
    t->ops->end(t, healthy);
}

int target_dest_running(struct target *t, target_dest_fn done, void *arg)
{
    return t->ops->dest_running ? t->ops->dest_running(t, done, arg) : -1;
}

const char *target_help(void)
{
    static char buf[2048];
    if (buf[0])
        return buf;
    size_t off = (size_t)snprintf(buf, sizeof buf,
                                  "Targets:\n"
                                  "  sim:MODEL           the simulated VMM in this process; models:\n");
    for (const char *const *m = sim_model_names(); *m && off < sizeof buf; m++)
        off += (size_t)snprintf(buf + off, sizeof buf - off, "                        %-10s %s\n", *m,
                                sim_model_summary(sim_model_find(*m)));
    if (off < sizeof buf)
        snprintf(buf + off, sizeof buf - off,
                 "  qmp:unix:PATH       a VMM already running with QMP on a unix socket\n"
                 "  qmp:tcp:HOST:PORT   ... or on loopback TCP (e.g. `qmprace sim --listen`)\n"
                 "  qemu[:PATH]         a QEMU that qmprace launches and reuses (default: qemu-system-x86_64\n"
                 "                      on PATH); see --qemu-arg, --fresh, --dest\n");
    return buf;
}
