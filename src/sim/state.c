/* state: the small pieces of QEMU state every file of the simulated VMM touches (the migration status and
 * migrate_set_state, the run state, the migration error, the yank functions left, the model's
 * vocabulary), what the modeled process says (trace points, stderr lines, QMP events) and its death.
 * It calls nothing of the files above it: events go where vmm.c pointed `emit`, and a dying process
 * closes what vmm.c's `stop` closes. It must never call a hook after `died`. */
#include <stdarg.h>
#include <stdio.h>

#include "sim_internal.h"

static const char *const runstate_names[] = {"running", "paused", "finish-migrate", "postmigrate"};

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

void sim_die(struct sim_vmm *v, int signo, const char *msg)
{
    if (v->dead)
        return;
    if (msg)
        sim_output(v, "%s", msg);
    v->dead = true;
    v->death_signo = signo;
    v->death_msg = msg;
    if (v->stop)
        v->stop(v); /* what the process held is closed now; its end is reported from the loop */
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
        sim_event(v, "MIGRATION", data);
    }
}

void sim_event(struct sim_vmm *v, const char *name, json_object *data)
{
    if (v->emit && !v->dead)
        v->emit(v, name, data);
    else
        json_object_put(data);
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
