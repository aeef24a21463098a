/* vmm: the simulated VMM as a whole: its life (new, serve, free) and how its parts are wired: the lower
 * files (state.c, migration.c, ...) reach the monitors and the end of the process only through the two
 * pointers set here, so none of them knows the files above it. It must never call `died` from inside
 * another module's step. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim_internal.h"

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

/* What the modeled process holds, closed when it dies (sim_die). A normal exit flushes what QEMU had
 * already written (the `quit` reply); a crash loses nothing either, since QEMU writes replies before it
 * goes on. Only close and silence: a step of one of these threads may still be on the stack. */
static void vmm_stop(struct sim_vmm *v)
{
    sim_qmp_close_all(v, true);
    sim_mig_stop(v);
    sim_thread_clear(&v->main_thr, true);
    sim_thread_clear(&v->lm_thr, true);
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
    v->emit = sim_qmp_event;
    v->stop = vmm_stop;
    sim_config_defaults(v);
    sim_thread_init(&v->main_thr, v, THR_MAIN, 0);
    v->main_thr.exists = true;
    sim_thread_init(&v->lm_thr, v, THR_LIVE_MIGRATION, 0);
    v->died_ev = event_new(base, -1, 0, died_cb, v);
    if (!v->main_thr.kick || !v->lm_thr.kick || !v->died_ev || sim_qmp_init(v) < 0 || sim_mig_init(v) < 0 ||
        !v->tls[0]) {
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

bool sim_vmm_dead(const struct sim_vmm *v)
{
    return v->dead;
}

enum mig_status sim_vmm_status(const struct sim_vmm *v)
{
    return v->status;
}

/* Every trace point the model's files emit (in 7.2's spelling; a 10.x model emits 10.x's, and either
 * asks for the same one). test_trial_sim_traces checks that a run of the corpus emits nothing outside it. */
static const char *const model_traces[] = {
    "migrate_set_state",           "multifd_send_error",          "multifd_send_terminate_threads",
    "migration_thread_file_err",   "migration_thread_after_loop", "savevm_state_cleanup",
    "migrate_fd_cleanup",          "migrate_fd_error",            "migrate_fd_cancel",
    "migration_return_path_end_before", "migration_return_path_end_after",
    NULL,
};

bool sim_model_has_trace(const struct sim_model *m, const char *name)
{
    (void)m; /* every model traces the same points, each in its version's spelling */
    for (const char *const *t = model_traces; *t; t++)
        if (vocab_trace_same(*t, name))
            return true;
    return sim_cmd_traced(name);
}
