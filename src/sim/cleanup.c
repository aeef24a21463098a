/* cleanup: migrate_fd_cleanup() as 7.2 runs it on the main thread, the heart of the race: it reads the
 * CURRENT multifd capability and channel count (multifd_save_cleanup), so a change made after the
 * failure leaves yank functions registered (yank assertion), touches state that was never created
 * (SIGSEGV) or channels that do not exist (mutex assertion). Runs after the live_migration thread
 * ended; waits (main blocked) for multifd threads that have not exited, as qemu_thread_join would.
 * It must touch nothing after a call that may end the VMM. */
#include <signal.h>

#include "sim_internal.h"

static void cleanup_join(void *vmm);

static void finish(struct sim_vmm *v)
{
    struct sim_mig *m = &v->mig;
    bool clean = v->status == MIG_COMPLETED;
    if (m->have_file) { /* migration_ioc_unregister_yank_from_file(), qemu_fclose() */
        m->main.yank = false;
        sim_mig_rp_stop(m);
        sim_chan_close(&m->main, !clean || m->main.errored);
        m->have_file = false;
    }
    if (v->status == MIG_CANCELLING)
        sim_set_state(v, &v->main_thr, MIG_CANCELLING, MIG_CANCELLED);
    else if (v->status == MIG_FAILING)
        sim_set_state(v, &v->main_thr, MIG_FAILING, MIG_FAILED);
    if (m->has_error)
        sim_output(v, SIM_QEMU "%s", m->error);
    if (sim_yank_fns_left(v)) { /* yank_unregister_instance(MIGRATION_YANK_INSTANCE) */
        sim_die(v, SIGABRT, SIM_MSG_YANK);
        return;
    }
    m->instance = false;
    for (int i = 0; m->mf && i < m->created; i++)
        m->mf[i].thr.exists = false;
}

/* migrate_fd_cleanup() up to multifd_save_cleanup()'s joins. */
void sim_cleanup_run(struct sim_vmm *v)
{
    struct sim_mig *m = &v->mig;
    sim_trace(v, &v->main_thr, "savevm_state_cleanup", "%s", "");
    if (!m->have_file) {
        finish(v);
        return;
    }
    sim_trace(v, &v->main_thr, "migrate_fd_cleanup", "%s", "");
    if (!sim_multifd_on(v)) { /* multifd_save_cleanup() returns at once */
        finish(v);
        return;
    }
    if (!m->mf_live) { /* multifd was off when the migration started: multifd_send_state is NULL */
        sim_trace(v, &v->main_thr, "multifd_send_terminate_threads", "error %d", 0);
        sim_die(v, SIGSEGV, NULL);
        return;
    }
    sim_mf_terminate(v, &v->main_thr, NULL);
    if (v->dead)
        return;
    m->join_waiter = cleanup_join; /* an exiting multifd thread wakes main here */
    v->main_thr.blocked = true;
    cleanup_join(v);
}

void sim_cleanup_bh(void *vmm)
{
    struct sim_vmm *v = vmm;
    struct sim_mig *m = &v->mig;
    m->bh_pending = false;
    if (m->bh_lost) { /* migrate_init() zeroed cleanup_bh: qemu_bh_delete(NULL) */
        sim_die(v, SIGSEGV, NULL);
        return;
    }
    sim_cleanup_run(v);
}

/* multifd_save_cleanup()'s joins and per-channel teardown, over the CURRENT channel count. */
static void cleanup_join(void *vmm)
{
    struct sim_vmm *v = vmm;
    struct sim_mig *m = &v->mig;
    if (!m->join_waiter)
        return;
    int cur = sim_cur_channels(v);
    for (int i = 0; i < cur; i++) {
        if (i >= m->created) { /* params[i] past the array */
            sim_die(v, SIGABRT, SIM_MSG_MUTEX);
            return;
        }
        if (m->mf[i].running)
            return; /* a held thread: main waits in qemu_thread_join until it exits */
    }
    m->join_waiter = NULL;
    v->main_thr.blocked = false;
    bool clean = v->status == MIG_COMPLETED;
    for (int i = 0; i < cur; i++) {
        struct sim_chan *c = &m->mf[i];
        c->yank = false; /* migration_ioc_unregister_yank() */
        sim_chan_close(c, !clean || c->errored);
        c->thr.exists = false;
    }
    /* Channels past the current count stay open with their yank functions registered. */
    m->mf_live = false;
    finish(v);
}
