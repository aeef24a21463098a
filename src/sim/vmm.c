/* vmm: the simulated VMM as a whole: its life (new, serve, free), its death (a modeled crash or `quit`),
 * the hooks it reports through, and the small pieces of QEMU state every other file touches: the
 * migration status (migrate_set_state), the run state, the migration error and the yank instance.
 * It must never call a hook after `died`, and never call `died` from inside another module's step. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim_internal.h"

static const char *const runstate_names[] = {"running", "paused", "finish-migrate", "postmigrate"};

/* Reported from the loop, not from inside the step that crashed: the owner may free the VMM in this
 * hook, and nothing of ours is on the stack any more. */
static void died_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct sim_vmm *v = arg;
    if (v->hooks.died)
        v->hooks.died(v->hooks.arg, v->death_signo, v->death_msg);
}

static void req_due_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct sim_vmm *v = arg;
    if (!v->dead)
        sim_thread_post(&v->main_thr, WORK_DISPATCH);
}

struct sim_vmm *sim_vmm_new(struct event_base *base, const struct sim_model *model,
                            const struct sim_config *cfg, const struct sim_hooks *hooks, struct err *e)
{
    if (!base || !model) {
        err_set(e, "sim_vmm_new: no event base or model");
        return NULL;
    }
    struct sim_vmm *v = calloc(1, sizeof *v);
    if (!v) {
        err_set(e, "out of memory");
        return NULL;
    }
    v->base = base;
    v->model = model;
    if (cfg)
        v->cfg = *cfg;
    if (v->cfg.ram_bytes == 0)
        v->cfg.ram_bytes = SIM_DEFAULT_RAM;
    if (hooks)
        v->hooks = *hooks;
    v->status = MIG_NONE;
    v->runstate = RS_RUNNING;
    sim_config_defaults(v);
    sim_thread_init(&v->main_thr, v, THR_MAIN, 0);
    v->main_thr.exists = true;
    sim_thread_init(&v->lm_thr, v, THR_LIVE_MIGRATION, 0);
    v->died_ev = event_new(base, -1, 0, died_cb, v);
    v->req_due = evtimer_new(base, req_due_cb, v);
    if (!v->main_thr.kick || !v->lm_thr.kick || !v->died_ev || !v->req_due || sim_mig_init(v) < 0 || !v->tls[0]) {
        sim_vmm_free(v);
        err_set(e, "out of memory");
        return NULL;
    }
    return v;
}

void sim_vmm_free(struct sim_vmm *v)
{
    if (!v)
        return;
    v->dead = true; /* silences every hook from here on */
    sim_qmp_free_all(v);
    sim_mig_free(v);
    sim_thread_fini(&v->main_thr, false);
    sim_thread_fini(&v->lm_thr, false);
    if (v->died_ev)
        event_free(v->died_ev);
    if (v->req_due)
        event_free(v->req_due);
    sim_config_free(v);
    free(v);
}

int sim_vmm_serve(struct sim_vmm *v, int fd, struct err *e)
{
    if (v->dead) {
        if (fd >= 0)
            close(fd);
        return err_set(e, "the simulated VMM has died; it serves no more monitors");
    }
    return sim_qmp_serve(v, fd, e);
}

bool sim_has_status(const struct sim_vmm *v, enum mig_status s)
{
    return s == MIG_FAILING ? v->model->has_failing : (vocab_status_versions(s) & v->model->vocab) != 0;
}

bool sim_has_cap(const struct sim_vmm *v, enum mig_cap c)
{
    return (vocab_cap_versions(c) & v->model->vocab) != 0;
}

bool sim_has_param(const struct sim_vmm *v, enum mig_param p)
{
    return (vocab_param(p)->versions & v->model->vocab) != 0;
}

bool sim_vmm_dead(const struct sim_vmm *v)
{
    return v->dead;
}

enum mig_status sim_vmm_status(const struct sim_vmm *v)
{
    return v->status;
}

void sim_die(struct sim_vmm *v, int signo, const char *msg)
{
    if (v->dead)
        return;
    if (msg)
        sim_output(v, "%s", msg);
    v->dead = true;
    v->death_signo = signo;
    v->death_msg = msg;
    /* A normal exit flushes what QEMU had already written (the `quit` reply); a crash loses nothing
     * either, since QEMU writes replies before it goes on. */
    sim_qmp_close_all(v, true);
    sim_mig_stop(v);
    sim_thread_clear(&v->main_thr, true);
    sim_thread_clear(&v->lm_thr, true);
    event_active(v->died_ev, 0, 0);
}

void sim_trace(struct sim_vmm *v, const struct sim_thread *t, const char *event, const char *fmt, ...)
{
    if (v->dead || !v->hooks.trace)
        return;
    char args[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    /* the model's code names trace points as 7.2 does; 10.x renamed some, and emits those names */
    const char *other = v->model->spelling ? vocab_trace_other_spelling(event) : NULL;
    if (other)
        event = other;
    v->hooks.trace(v->hooks.arg, t->name, event, args);
}

void sim_output(struct sim_vmm *v, const char *fmt, ...)
{
    if (v->dead || !v->hooks.output)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    v->hooks.output(v->hooks.arg, line);
}

void sim_set_state(struct sim_vmm *v, const struct sim_thread *t, enum mig_status old, enum mig_status st)
{
    /* QEMU's cmpxchg: a thread that read an old status loses to one that changed it meanwhile. Setting
     * FAILED while already FAILED succeeds and repeats the trace and the event, as 7.2 does. */
    if (v->dead || v->status != old)
        return;
    v->status = st;
    sim_trace(v, t, "migrate_set_state", "new state %s", vocab_status_name(st));
    if (v->caps[CAP_EVENTS]) {
        json_object *data = json_object_new_object();
        json_object_object_add(data, "status", json_object_new_string(vocab_status_name(st)));
        sim_qmp_event(v, "MIGRATION", data);
    }
}

enum mig_status sim_failed_status(const struct sim_vmm *v)
{
    return v->model->has_failing ? MIG_FAILING : MIG_FAILED;
}

const char *sim_runstate_name(enum sim_runstate rs)
{
    return runstate_names[rs];
}

void sim_set_runstate(struct sim_vmm *v, enum sim_runstate rs)
{
    v->runstate = rs;
}

void sim_set_error(struct sim_vmm *v, const char *fmt, ...)
{
    if (v->mig.has_error) /* migrate_set_error(): the first error stays */
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->mig.error, sizeof v->mig.error, fmt, ap);
    va_end(ap);
    v->mig.has_error = true;
}

bool sim_yank_fns_left(const struct sim_vmm *v)
{
    if (v->mig.main.yank)
        return true;
    for (int i = 0; v->mig.mf && i < v->mig.created; i++)
        if (v->mig.mf[i].yank)
            return true;
    return false;
}

int sim_cur_channels(const struct sim_vmm *v)
{
    return (int)v->params[PARAM_MULTIFD_CHANNELS];
}
