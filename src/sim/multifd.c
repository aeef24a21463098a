/* multifd: the multifd send side as QEMU 7.2 runs it (migration/multifd.c): multifd_save_setup creates
 * the current number of channels and connects them; each channel's thread multifdsend_N writes its
 * initial packet, then the packets live_migration hands it; a write error runs
 * multifd_send_terminate_threads, which sets FAILED (FAILING with the fix) at once and tells every
 * channel to quit, while live_migration notices only at its next check. Who waits on these threads is
 * told through the wake-ups it registered (sim_mig.channels_ready: live_migration's feed;
 * sim_mig.join_waiter: cleanup's join), as QEMU's semaphores and joins do, so this file knows neither.
 * It must never block, and must touch nothing after a call that may end the VMM. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mono.h"
#include "sim_internal.h"

static void mf_done(struct sim_chan *c);
static void mf_error(struct sim_chan *c, int err);

static const struct sim_chan_ops mf_ops = {sim_mf_connect_done, mf_done, mf_error};

/* channels_ready: live_migration may hand out the next packet (or notice that one cannot go). */
static void channels_ready(struct sim_vmm *v)
{
    if (v->mig.channels_ready)
        sim_thread_post(&v->lm_thr, v->mig.channels_ready, v);
}

/* A multifd thread ended: a join waiting for it may go on. */
static void thread_exited(struct sim_chan *c)
{
    struct sim_vmm *v = c->v;
    c->running = false;
    if (v->mig.join_waiter)
        sim_thread_post_flags(&v->main_thr, v->mig.join_waiter, v, SIM_WORK_UNBLOCKED);
}

void sim_mf_setup(struct sim_vmm *v)
{
    struct sim_mig *m = &v->mig;
    int n = sim_cur_channels(v);
    m->mf = calloc((size_t)n, sizeof *m->mf);
    if (!m->mf) {
        sim_set_error(v, "out of memory");
        return;
    }
    m->created = n;
    m->used_multifd = true;
    m->mf_live = true;
    for (int i = 0; i < n; i++) {
        struct sim_chan *c = &m->mf[i];
        sim_chan_init(c, v, i, &mf_ops);
        struct err ce;
        if (!c->thr.kick || sim_chan_connect(c, &ce) < 0) {
            c->state = CH_CONNECTED;
            c->connect_err = ENOMEM;
            sim_thread_post(&v->main_thr, sim_mf_connect_done, v);
        }
    }
}

static void multifd_connected(struct sim_vmm *v, struct sim_chan *c)
{
    if (c->connect_err) {
        /* multifd_new_send_channel_cleanup(): the error is kept, the channel counts as quit. */
        sim_set_error(v, "Failed to connect to '%s': %s", v->mig.hostport, strerror(c->connect_err));
        sim_chan_close(c, true);
        c->state = CH_FAILED;
        c->quit = true;
        channels_ready(v);
        return;
    }
    /* multifd_channel_connect(): yank function, then the thread multifdsend_N, which first writes
     * multifd_send_initial_packet(): MultiFDInit_t with a zero uuid (no -uuid on the command line). */
    c->state = CH_UP;
    c->yank = true;
    c->running = true;
    c->thr.exists = true;
    c->head_len = wire_multifd_init(c->head, (uint8_t)c->index, NULL);
    c->head_off = 0;
    sim_chan_arm(c);
}

void sim_mf_connect_done(void *vmm)
{
    struct sim_vmm *v = vmm;
    struct sim_mig *m = &v->mig;
    for (int i = 0; m->mf && i < m->created; i++)
        if (m->mf[i].state == CH_CONNECTED)
            multifd_connected(v, &m->mf[i]);
}

void sim_mf_arm_notice(struct sim_vmm *v)
{
    struct sim_mig *m = &v->mig;
    if (m->notice_armed || m->lm == LM_DONE || m->lm == LM_NONE || m->lm == LM_ENDING)
        return;
    m->notice_armed = true;
    struct timeval tv = mono_tv(v->model->notice_delay_us);
    evtimer_add(m->notice_timer, &tv);
}

/* multifdsend_N: woken with quit set: an idle thread exits; a busy one fails its next write. */
static void mf_quit(void *chan)
{
    struct sim_chan *c = chan;
    if (!c->running)
        return;
    if (c->job || c->head_off < c->head_len) {
        sim_chan_arm(c);
        return;
    }
    thread_exited(c);
}

void sim_mf_terminate(struct sim_vmm *v, const struct sim_thread *t, const char *error)
{
    struct sim_mig *m = &v->mig;
    sim_trace(v, t, "multifd_send_terminate_threads", "error %d", error ? 1 : 0);
    if (error) {
        sim_set_error(v, "%s", error);
        enum mig_status st = v->status;
        if (st == MIG_SETUP || st == MIG_PRE_SWITCHOVER || st == MIG_DEVICE || st == MIG_ACTIVE)
            sim_set_state(v, t, st, sim_failed_status(v));
        sim_mf_arm_notice(v);
    }
    if (m->mf_exiting || !m->mf_live)
        return;
    m->mf_exiting = true;
    int cur = sim_cur_channels(v);
    for (int i = 0; i < cur; i++) {
        if (i >= m->created) {
            sim_die(v, SIGABRT, SIM_MSG_MUTEX);
            return;
        }
        struct sim_chan *c = &m->mf[i];
        c->quit = true;
        sim_chan_shutdown(c);
        if (c->running)
            sim_thread_post(&c->thr, mf_quit, c);
    }
}

/* multifdsend_N: the channel wrote everything it had (its initial packet, or a packet). */
static void mf_done(struct sim_chan *c)
{
    if (!c->up)
        c->up = true;
    else
        c->job = false;
    if (c->quit) {
        if (c->running)
            thread_exited(c);
        return;
    }
    channels_ready(c->v);
}

/* multifdsend_N: a write failed with `err`. */
static void mf_error(struct sim_chan *c, int err)
{
    struct sim_vmm *v = c->v;
    char text[160];
    snprintf(text, sizeof text, "Unable to write to socket: %s", strerror(err));
    sim_trace(v, &c->thr, "multifd_send_error", "channel %d", c->index);
    sim_mf_terminate(v, &c->thr, text);
    if (v->dead)
        return;
    c->job = false;
    if (c->running)
        thread_exited(c);
}

void sim_mf_drop(struct sim_vmm *v, bool report)
{
    struct sim_mig *m = &v->mig;
    for (int i = 0; m->mf && i < m->created; i++) {
        sim_chan_close(&m->mf[i], true);
        sim_thread_fini(&m->mf[i].thr, report);
    }
    free(m->mf);
    m->mf = NULL;
    m->created = 0;
}

void sim_mf_stop(struct sim_vmm *v)
{
    struct sim_mig *m = &v->mig;
    for (int i = 0; m->mf && i < m->created; i++) {
        sim_chan_close(&m->mf[i], true);
        sim_thread_clear(&m->mf[i].thr, true);
    }
}
