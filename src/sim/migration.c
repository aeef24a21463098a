/* migration: the outgoing migration's life cycle as QEMU 7.2 runs it: qmp_migrate's checks, the main
 * channel's connect handled on main, the live_migration thread (setup, handing packets to multifd
 * channels, completion, noticing errors late, scheduling the cleanup bottom half), migrate_cancel. Each
 * function runs in one modeled thread's context, named in its comment; work for another thread is posted
 * to it. The multifd send side is multifd.c, the cleanup cleanup.c, both below this file. It must never
 * block, and must touch nothing after a call that may end the VMM. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "mono.h"
#include "sim_internal.h"

static uint64_t wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
}

/* The work of live_migration and of main that this file posts (QEMU's threads and bottom halves). */
static void lm_start(void *vmm);
static void lm_feed(void *vmm);
static void lm_notice(void *vmm);
static void lm_mainerr(void *vmm);
static void main_connect_done(void *vmm);
static void main_done(struct sim_chan *c);
static void main_error(struct sim_chan *c, int err);

static const struct sim_chan_ops main_ops = {main_connect_done, main_done, main_error};

static void notice_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct sim_vmm *v = arg;
    sim_thread_post(&v->lm_thr, lm_notice, v);
}

static void mainerr_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct sim_vmm *v = arg;
    sim_thread_post(&v->lm_thr, lm_mainerr, v);
}

static void bh_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct sim_vmm *v = arg;
    sim_thread_post(&v->main_thr, sim_cleanup_bh, v);
}

int sim_mig_init(struct sim_vmm *v)
{
    struct sim_mig *m = &v->mig;
    sim_chan_init(&m->main, v, -1, &main_ops);
    m->channels_ready = lm_feed;
    m->notice_timer = evtimer_new(v->base, notice_cb, v);
    m->mainerr_timer = evtimer_new(v->base, mainerr_cb, v);
    m->bh_timer = evtimer_new(v->base, bh_cb, v);
    return m->notice_timer && m->mainerr_timer && m->bh_timer ? 0 : -1;
}

/* The return path's read ends before the main channel's descriptor is closed (a later socket may
 * reuse its number). */
void sim_mig_rp_stop(struct sim_mig *m)
{
    if (m->rp_ev) {
        event_free(m->rp_ev);
        m->rp_ev = NULL;
    }
}

/* Drops the channels of a migration that has been cleaned up (or of a dead VMM). `report` says whether
 * a thread still held gets its release reported. */
static void drop_channels(struct sim_vmm *v, bool report)
{
    sim_mig_rp_stop(&v->mig);
    sim_chan_close(&v->mig.main, true);
    sim_mf_drop(v, report);
}

void sim_mig_stop(struct sim_vmm *v)
{
    struct sim_mig *m = &v->mig;
    /* Only close and silence: a step of one of these threads may still be on the stack. */
    sim_mig_rp_stop(m);
    sim_chan_close(&m->main, true);
    sim_mf_stop(v);
    if (m->notice_timer)
        evtimer_del(m->notice_timer);
    if (m->mainerr_timer)
        evtimer_del(m->mainerr_timer);
    if (m->bh_timer)
        evtimer_del(m->bh_timer);
}

void sim_mig_free(struct sim_vmm *v)
{
    struct sim_mig *m = &v->mig;
    drop_channels(v, false);
    if (m->notice_timer)
        event_free(m->notice_timer);
    if (m->mainerr_timer)
        event_free(m->mainerr_timer);
    if (m->bh_timer)
        event_free(m->bh_timer);
    m->notice_timer = m->mainerr_timer = m->bh_timer = NULL;
}

/* ---- qmp_migrate (main) ---- */

static bool parse_ipv4_loopback(const char *host, struct sockaddr_in *sin)
{
    if (strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
        return false;
    return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
}

/* "HOST:PORT" or "[V6]:PORT" as inet_parse() reads it. Returns -1 on a parse error (QEMU's text in
 * e); otherwise fills the address, or sets m->refuse for a host that is not loopback. */
static int parse_tcp(struct sim_mig *m, const char *s, struct err *e)
{
    char host[64];
    const char *port;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':' || (size_t)(end - s - 1) >= sizeof host)
            return err_set(e, "error parsing IPv6 address '%s'", s);
        memcpy(host, s + 1, (size_t)(end - s - 1));
        host[end - s - 1] = '\0';
        port = end + 2;
    } else {
        const char *colon = strchr(s, ':');
        if (!colon || colon == s || (size_t)(colon - s) >= sizeof host)
            return err_set(e, "error parsing address '%s'", s);
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = '\0';
        port = colon + 1;
    }
    char *end;
    errno = 0;
    unsigned long p = strtoul(port, &end, 10);
    if (!*port || *end || errno || p > 65535)
        return err_set(e, "error parsing address '%s'", s);
    snprintf(m->hostport, sizeof m->hostport, "%s:%s", host, port);
    memset(&m->addr, 0, sizeof m->addr);
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)p)};
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
    if (parse_ipv4_loopback(host, &sin)) {
        memcpy(&m->addr, &sin, sizeof sin);
        m->addrlen = sizeof sin;
    } else if (inet_pton(AF_INET6, host, &sin6.sin6_addr) == 1 && IN6_IS_ADDR_LOOPBACK(&sin6.sin6_addr)) {
        memcpy(&m->addr, &sin6, sizeof sin6);
        m->addrlen = sizeof sin6;
    } else {
        m->refuse = true;
    }
    return 0;
}

/* migrate_init(): resets the migration state, keeping capabilities and parameters. */
static void migrate_init(struct sim_vmm *v)
{
    struct sim_mig *m = &v->mig;
    /* Cleanup of the previous migration has not run yet: 7.2 zeroes s->cleanup_bh here, and the old
     * live_migration thread or the pending bottom half will use that NULL pointer. */
    if (m->instance)
        m->bh_lost = true;
    m->has_error = false;
    m->error[0] = '\0';
    v->status = MIG_NONE;
    sim_set_state(v, &v->main_thr, MIG_NONE, MIG_SETUP);
    m->start_wall_ms = wall_ms();
    m->start_mono = mono_now_us();
    m->setup_time = m->total_time = m->downtime = 0;
    m->transferred = m->multifd_bytes = 0;
    m->pages_done = 0;
}

int sim_mig_start(struct sim_vmm *v, json_object *args, struct err *e)
{
    static const char *const allowed[] = {"uri", "blk", "inc", "detach", "resume", NULL};
    struct sim_mig *m = &v->mig;
    const char *uri;
    bool has, blk = false, inc = false, detach = false, resume = false;
    if (sim_arg_str(args, "uri", true, &uri, e) < 0 || sim_arg_bool(args, "blk", NULL, &has, &blk, e) < 0 ||
        sim_arg_bool(args, "inc", NULL, &has, &inc, e) < 0 ||
        sim_arg_bool(args, "detach", NULL, &has, &detach, e) < 0 ||
        sim_arg_bool(args, "resume", NULL, &has, &resume, e) < 0 || sim_args_check_only(args, allowed, e) < 0)
        return -1;
    /* migrate_prepare() */
    if (resume)
        return err_set(e, "Cannot resume if there is no paused migration");
    if (vocab_status_is_running(v->status))
        return err_set(e, SIM_ERR_ACTIVE);
    if (v->runstate == RS_POSTMIGRATE)
        return err_set(e, "Can't migrate the vm that was paused due to previous migration");
    migrate_init(v);
    /* yank_register_instance() */
    if (m->instance)
        return err_set(e, "duplicate yank instance");

    const char *p = strncmp(uri, "tcp:", 4) == 0 ? uri + 4 : NULL;
    if (!p) {
        /* The simulator streams over TCP only: other transports get QEMU's unknown-protocol path. */
        sim_set_state(v, &v->main_thr, MIG_SETUP, MIG_FAILED);
        return err_set(e, "Parameter 'uri' expects a valid migration protocol");
    }
    m->instance = true;
    drop_channels(v, true); /* the previous, cleaned-up migration's */
    m->refuse = false;
    if (parse_tcp(m, p, e) < 0) {
        m->instance = false;
        /* migrate_fd_error() */
        sim_trace(v, &v->main_thr, "migrate_fd_error", "%s", e->msg);
        sim_set_state(v, &v->main_thr, MIG_SETUP, MIG_FAILED);
        sim_set_error(v, "%s", e->msg);
        return -1;
    }
    m->have_file = false;
    m->mf_live = false;
    m->mf_exiting = false;
    m->next_channel = 0;
    m->lm_waiting = m->notice_armed = m->tail_queued = false;
    m->vm_stopped = m->paused = m->pause_posted = m->pause_done = false;
    m->rp_wait = m->rp_done = false;
    m->join_waiter = NULL;
    m->cancel_unnoticed = false;
    m->file_error = false;
    m->used_multifd = false;
    m->main_pending = 0;
    m->pages_total = v->cfg.ram_bytes / SIM_PAGE ? v->cfg.ram_bytes / SIM_PAGE : 1;
    m->vm_was_running = false;
    sim_chan_init(&m->main, v, -1, &main_ops);
    sim_thread_restart(&v->lm_thr);
    v->lm_thr.exists = true;
    m->lm = LM_WAIT;
    struct err ce;
    if (sim_chan_connect(&m->main, &ce) < 0) {
        m->main.state = CH_CONNECTED;
        m->main.connect_err = ENOMEM;
        sim_thread_post(&v->main_thr, main_connect_done, v);
    }
    return 0;
}

/* ---- connects (main) ---- */

static void main_connected(struct sim_vmm *v)
{
    struct sim_mig *m = &v->mig;
    struct sim_chan *c = &m->main;
    if (c->connect_err) {
        /* migrate_fd_connect(error): FAILED (FAILING with the fix), then cleanup right away. */
        char text[200];
        snprintf(text, sizeof text, "Failed to connect to '%s': %s", m->hostport, strerror(c->connect_err));
        sim_chan_close(c, true);
        c->state = CH_FAILED;
        sim_trace(v, &v->main_thr, "migrate_fd_error", "%s", text);
        sim_set_state(v, &v->main_thr, MIG_SETUP, sim_failed_status(v));
        sim_set_error(v, "%s", text);
        m->lm = LM_NONE;
        v->lm_thr.exists = false;
        sim_cleanup_run(v);
        return;
    }
    /* migration_channel_connect(): yank function for the main channel, to_dst_file set. */
    c->state = CH_UP;
    c->yank = true;
    m->have_file = true;
    m->has_error = false; /* migrate_fd_connect() frees a previous error */
    m->expected_downtime = v->params[PARAM_DOWNTIME_LIMIT];
    if (sim_multifd_on(v))
        sim_mf_setup(v);
    sim_thread_post(&v->lm_thr, lm_start, v);
}

static void main_connect_done(void *vmm)
{
    struct sim_vmm *v = vmm;
    if (v->mig.main.state == CH_CONNECTED)
        main_connected(v);
}

/* ---- live_migration ---- */

static void schedule_bh(struct sim_vmm *v)
{
    struct sim_mig *m = &v->mig;
    if (m->bh_lost) { /* qemu_bh_schedule(NULL) */
        sim_die(v, SIGSEGV, NULL);
        return;
    }
    m->bh_pending = true;
    struct timeval tv = mono_tv(v->model->bh_delay_us);
    evtimer_add(m->bh_timer, &tv);
}

/* live_migration: after_loop and migration_iteration_finish(). */
static void lm_finish(struct sim_vmm *v)
{
    struct sim_mig *m = &v->mig;
    if (m->lm == LM_DONE || m->lm == LM_NONE)
        return;
    m->lm = LM_DONE;
    evtimer_del(m->notice_timer);
    m->notice_armed = false;
    sim_trace(v, &v->lm_thr, "migration_thread_after_loop", "%s", "");
    v->lm_thr.exists = false;
    switch (v->status) {
    case MIG_COMPLETED:
        sim_set_runstate(v, RS_POSTMIGRATE);
        break;
    case MIG_FAILED:
    case MIG_FAILING:
    case MIG_CANCELLED:
    case MIG_CANCELLING:
        if (m->vm_was_running) {
            if (v->runstate != RS_RUNNING) {
                sim_set_runstate(v, RS_RUNNING);
                sim_event(v, "RESUME", NULL);
            }
        } else if (v->runstate == RS_FINISH_MIGRATE) {
            sim_set_runstate(v, RS_POSTMIGRATE);
        }
        break;
    default:
        sim_output(v, SIM_QEMU "migration_iteration_finish: Unknown ending state %d", (int)v->status);
        break;
    }
    schedule_bh(v);
}

static void start_active(struct sim_vmm *v);

/* live_migration: thread start. */
static void lm_start(void *vmm)
{
    struct sim_vmm *v = vmm;
    struct sim_mig *m = &v->mig;
    if (m->lm != LM_WAIT)
        return;
    m->lm = LM_SETUP;
    /* qemu_savevm_state_header(): QEMU_VM_FILE_MAGIC "QEVM", QEMU_VM_FILE_VERSION 3 */
    m->main.head_len = wire_main_header(m->main.head);
    m->main.head_off = 0;
    sim_chan_arm(&m->main);
    if (v->status != MIG_SETUP) { /* cancelled before the thread ran */
        lm_finish(v);
        return;
    }
    start_active(v);
}

/* live_migration: ram_save_setup() waits for every multifd channel, then SETUP -> ACTIVE. */
static void start_active(struct sim_vmm *v)
{
    struct sim_mig *m = &v->mig;
    if (v->status != MIG_SETUP) {
        lm_finish(v);
        return;
    }
    for (int i = 0; m->mf && i < m->created; i++)
        if (!m->mf[i].up && !m->mf[i].quit)
            return; /* posted again when it is up */
    int quit = -1;
    for (int i = 0; m->mf && i < m->created && quit < 0; i++)
        if (m->mf[i].quit)
            quit = i;
    if (v->caps[CAP_EVENTS]) {
        json_object *data = json_object_new_object();
        json_object_object_add(data, "pass", json_object_new_int(1));
        sim_event(v, "MIGRATION_PASS", data);
    }
    m->setup_time = (mono_now_us() - m->start_mono) / 1000u;
    sim_set_state(v, &v->lm_thr, MIG_SETUP, MIG_ACTIVE);
    if (v->status != MIG_ACTIVE) {
        lm_finish(v);
        return;
    }
    if (quit >= 0) { /* a channel never came up: the setup sync fails, the loop's first check ends it */
        sim_output(v, SIM_QEMU "multifd_send_sync_main: channel %d has already quit", quit);
        sim_set_state(v, &v->lm_thr, MIG_ACTIVE, sim_failed_status(v));
        sim_trace(v, &v->lm_thr, "migration_thread_file_err", "%s", "");
        lm_finish(v);
        return;
    }
    m->lm = LM_RUN;
    if (!m->mf) { /* no multifd: every page (header + 4 KiB) goes over the main stream */
        m->main.data_left += m->pages_total * (SIM_PAGE_HDR + SIM_PAGE);
        sim_chan_arm(&m->main);
    }
    lm_feed(v);
}

static void main_flush(struct sim_vmm *v)
{
    struct sim_mig *m = &v->mig;
    if (m->main_pending == 0)
        return;
    m->main.data_left += m->main_pending;
    m->main_pending = 0;
    sim_chan_arm(&m->main);
}

static void maybe_complete(struct sim_vmm *v);

/* live_migration: migration_maybe_pause(). ACTIVE -> PRE_SWITCHOVER, then it waits on pause_sem until
 * migrate-continue (or a cancel) posts it, and PRE_SWITCHOVER -> DEVICE. False while it waits, and when
 * the migration ends here (a cancel came first: -EINVAL, and completion's FAILED loses to CANCELLING). */
static bool pause_before_switchover(struct sim_vmm *v)
{
    struct sim_mig *m = &v->mig;
    if (!m->paused) {
        m->paused = true;
        if (v->status != MIG_CANCELLING)
            sim_set_state(v, &v->lm_thr, MIG_ACTIVE, MIG_PRE_SWITCHOVER);
    }
    if (v->status == MIG_PRE_SWITCHOVER && !m->pause_posted)
        return false;
    m->pause_done = true;
    sim_set_state(v, &v->lm_thr, MIG_PRE_SWITCHOVER, MIG_DEVICE);
    if (v->status != MIG_DEVICE) {
        lm_finish(v);
        return false;
    }
    return true;
}

/* live_migration: pause_sem posted (migrate-continue, or a cancel): it goes on where it waited. */
static void lm_unpause(void *vmm)
{
    struct sim_vmm *v = vmm;
    struct sim_mig *m = &v->mig;
    if (m->lm == LM_RUN && m->paused && !m->pause_done)
        maybe_complete(v);
}

void sim_mig_continue(struct sim_vmm *v)
{
    struct sim_mig *m = &v->mig;
    if (!m->paused || m->pause_done || m->pause_posted)
        return;
    m->pause_posted = true;
    sim_thread_post(&v->lm_thr, lm_unpause, v);
}

/* live_migration: the return path thread has exited (joined): migration_completion() goes on. A
 * return path that ended with an error fails the migration (7.2 says nothing of why; 10.x keeps the
 * read's error, measured on 10.2.2); after a cancel the CANCELLING status stays. */
static void lm_rp_closed(void *vmm)
{
    struct sim_vmm *v = vmm;
    struct sim_mig *m = &v->mig;
    if (!m->rp_wait || m->lm != LM_RUN)
        return;
    m->rp_wait = false;
    m->rp_done = true;
    sim_trace(v, &v->lm_thr, "migration_return_path_end_after", "%d", 1);
    if (v->status == MIG_DEVICE || v->status == MIG_ACTIVE) {
        if (v->model->spelling)
            sim_set_error(v, m->rp_err ? "Unable to read from socket: %s" : "Channel error: %s",
                          strerror(m->rp_err ? m->rp_err : EIO));
        sim_set_state(v, &v->lm_thr, v->status, MIG_FAILED);
    }
    lm_finish(v);
}

/* the return path thread: a read on the main channel ended (the destination's SHUT never comes from the
 * sink, and any bytes it did send are read and dropped) */
static void rp_read_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct sim_vmm *v = arg;
    struct sim_mig *m = &v->mig;
    char buf[256];
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)))
        return;
    m->rp_err = n < 0 ? errno : 0;
    sim_mig_rp_stop(m);
    sim_thread_post(&v->lm_thr, lm_rp_closed, v);
}

/* live_migration: the device state is out; with a return path it joins that thread now */
static bool rp_await(struct sim_vmm *v)
{
    struct sim_mig *m = &v->mig;
    if (!v->caps[CAP_RETURN_PATH] || m->rp_done)
        return false;
    if (m->rp_wait)
        return true;
    m->rp_ev = m->main.fd >= 0 ? event_new(v->base, m->main.fd, EV_READ | EV_PERSIST, rp_read_cb, v) : NULL;
    if (!m->rp_ev || event_add(m->rp_ev, NULL) != 0) {
        sim_mig_rp_stop(m);
        return false; /* no channel left to read: nothing to wait for */
    }
    m->rp_wait = true;
    sim_trace(v, &v->lm_thr, "migration_return_path_end_before", "%s", "");
    return true;
}

/* live_migration: all pages sent and flushed: migration_completion(), then leave the loop. */
static void maybe_complete(struct sim_vmm *v)
{
    struct sim_mig *m = &v->mig;
    if (m->mf) {
        if (m->pages_done < m->pages_total)
            return;
        for (int i = 0; i < m->created; i++)
            if (m->mf[i].job)
                return;
    }
    main_flush(v);
    if (m->main.data_left > 0 || m->main.head_off < m->main.head_len)
        return;
    if (!m->tail_queued) {
        if (!m->vm_stopped) { /* vm_stop_force_state(RUN_STATE_FINISH_MIGRATE) */
            m->vm_stopped = true;
            m->vm_was_running = v->runstate == RS_RUNNING;
            if (m->vm_was_running)
                sim_event(v, "STOP", NULL);
            sim_set_runstate(v, RS_FINISH_MIGRATE);
            m->downtime_start = mono_now_us();
        }
        if (v->caps[CAP_PAUSE_BEFORE_SWITCHOVER] && !m->pause_done && !pause_before_switchover(v))
            return; /* waits on pause_sem */
        /* the device state and EOS */
        m->tail_queued = true;
        m->main.data_left += SIM_MAIN_TAIL;
        sim_chan_arm(&m->main);
        return;
    }
    if (rp_await(v))
        return; /* joins the return path thread (lm_rp_closed) */
    sim_set_state(v, &v->lm_thr, v->status == MIG_DEVICE ? MIG_DEVICE : MIG_ACTIVE, MIG_COMPLETED);
    m->total_time = wall_ms() - m->start_wall_ms;
    m->downtime = (mono_now_us() - m->downtime_start) / 1000u;
    lm_finish(v);
}

/* A multifd channel that could take a packet: for live_migration, a post on channels_ready it has not
 * taken yet (a semaphore remembers it, so a wait would return at once). */
static bool mf_any_free(const struct sim_mig *m)
{
    for (int i = 0; m->mf && i < m->created; i++)
        if (m->mf[i].up && !m->mf[i].job && !m->mf[i].quit)
            return true;
    return false;
}

/* live_migration: multifd_send_pages(), channel by channel as each is free. */
static void feed_multifd(struct sim_vmm *v)
{
    struct sim_mig *m = &v->mig;
    while (m->pages_done < m->pages_total) {
        if (m->mf_exiting)
            return; /* multifd_send_pages() fails; the error is noticed later (lm_notice) */
        if (!mf_any_free(m)) {
            m->lm_waiting = true; /* qemu_sem_wait(channels_ready) */
            return;
        }
        int cur = sim_cur_channels(v);
        int i = m->next_channel % cur;
        struct sim_chan *c = NULL;
        for (int step = 0; step < cur; step++, i = (i + 1) % cur) {
            /* 7.2 indexes params[] with the current multifd-channels: past the channels created at
             * setup it locks an uninitialized mutex. */
            if (i >= m->created) {
                sim_die(v, SIGABRT, SIM_MSG_MUTEX);
                return;
            }
            if (!m->mf[i].job) {
                c = &m->mf[i];
                break;
            }
        }
        if (!c) { /* fewer channels now: it spins until one of those is free */
            m->lm_waiting = true;
            return;
        }
        m->lm_waiting = false;
        m->next_channel = (i + 1) % cur;
        uint64_t pages = m->pages_total - m->pages_done;
        if (pages > SIM_MF_PAGES)
            pages = SIM_MF_PAGES;
        uint64_t bytes = SIM_MF_HDR + pages * SIM_PAGE;
        m->pages_done += pages;
        m->multifd_bytes += bytes;
        m->transferred += bytes;
        c->job = true;
        c->data_left = bytes;
        sim_chan_arm(c);
        m->main_pending += SIM_MAIN_PER_PACKET;
        if (m->main_pending >= SIM_MAIN_FLUSH)
            main_flush(v);
    }
    maybe_complete(v);
}

/* live_migration: hand pages to free multifd channels (or the main stream), check progress. */
static void lm_feed(void *vmm)
{
    struct sim_vmm *v = vmm;
    struct sim_mig *m = &v->mig;
    if (m->cancel_unnoticed) {
        /* only a channel that frees up wakes it (the semaphore); the main stream draining does not */
        if (!mf_any_free(m))
            return;
        m->cancel_unnoticed = false; /* woken: it sees the cancel now */
        m->lm_waiting = false;
        lm_notice(v);
        return;
    }
    if (m->lm == LM_SETUP) {
        start_active(v);
        return;
    }
    if (m->lm != LM_RUN || (v->status != MIG_ACTIVE && v->status != MIG_DEVICE) || m->file_error)
        return;
    if (m->mf)
        feed_multifd(v);
    else
        maybe_complete(v);
}

/* live_migration: migration_detect_error() finds the stream error (or the cancel), `notice_delay_us`
 * after a multifd thread set FAILED. */
static void lm_notice(void *vmm)
{
    struct sim_vmm *v = vmm;
    struct sim_mig *m = &v->mig;
    m->notice_armed = false;
    if (m->lm == LM_DONE || m->lm == LM_NONE)
        return;
    bool any_quit = false;
    for (int i = 0; m->mf && i < m->created; i++)
        any_quit |= m->mf[i].quit;
    if (m->mf && m->lm_waiting && !any_quit && !mf_any_free(m) && v->status == MIG_CANCELLING) {
        /* Asleep in qemu_sem_wait(channels_ready) with every channel stuck writing: a cancel shuts down
         * the main channel only (7.2's migrate_fd_cancel, 10.x's migration_cancel), so no multifd channel
         * fails or frees up to wake it, and while the destination reads nothing it never notices: the
         * migration stays `cancelling` (measured on 7.2 and 10.2.2, docs/findings/cancel-hang-multifd.md).
         * A channel that frees up later wakes it (lm_feed); one free already has posted, and it wakes. */
        m->cancel_unnoticed = true;
        return;
    }
    if (m->mf && m->lm_waiting) { /* woken in multifd_send_pages(): the next channel has quit */
        int cur = sim_cur_channels(v);
        int i = m->next_channel % cur;
        if (i >= m->created) {
            sim_die(v, SIGABRT, SIM_MSG_MUTEX);
            return;
        }
        sim_output(v, SIM_QEMU "multifd_send_pages: channel %d has already quit!", i);
    }
    if (m->bh_lost) { /* migrate_init() ran meanwhile: to_dst_file and cleanup_bh are NULL */
        sim_die(v, SIGSEGV, NULL);
        return;
    }
    enum mig_status st = v->status;
    if (st != MIG_CANCELLING && st != MIG_CANCELLED) {
        sim_set_state(v, &v->lm_thr, st, sim_failed_status(v));
        sim_trace(v, &v->lm_thr, "migration_thread_file_err", "%s", "");
    }
    lm_finish(v);
}

/* live_migration: after a main-stream error without multifd it leaves its loop a little later. */
static void lm_mainerr(void *vmm)
{
    struct sim_vmm *v = vmm;
    struct sim_mig *m = &v->mig;
    if (m->lm != LM_ENDING)
        return;
    if (m->bh_lost) {
        sim_die(v, SIGSEGV, NULL);
        return;
    }
    sim_trace(v, &v->lm_thr, "migration_thread_file_err", "%s", "");
    lm_finish(v);
}

/* ---- the main stream (live_migration) ---- */

/* live_migration: the main stream wrote everything it had. */
static void main_done(struct sim_chan *c)
{
    sim_thread_post(&c->v->lm_thr, lm_feed, c->v);
}

/* live_migration: its own write on the main stream failed with `err`. */
static void main_error(struct sim_chan *c, int err)
{
    struct sim_vmm *v = c->v;
    struct sim_mig *m = &v->mig;
    m->file_error = true;
    if (v->status == MIG_CANCELLING || v->status == MIG_CANCELLED)
        return; /* our own shutdown; the cancel is noticed by lm_notice */
    sim_set_error(v, "Unable to write to socket: %s", strerror(err));
    if (m->mf) {
        sim_mf_arm_notice(v);
        return;
    }
    sim_output(v, SIM_QEMU "failed to save SaveStateEntry with id(name): 2(ram): -5");
    sim_set_state(v, &v->lm_thr, v->status, sim_failed_status(v));
    if (m->lm != LM_DONE && m->lm != LM_NONE) {
        m->lm = LM_ENDING;
        evtimer_del(m->notice_timer);
        m->notice_armed = false;
        struct timeval tv = mono_tv(v->model->main_error_delay_us);
        evtimer_add(m->mainerr_timer, &tv);
    }
}

/* ---- migrate_cancel (main) ---- */

void sim_mig_cancel(struct sim_vmm *v)
{
    struct sim_mig *m = &v->mig;
    sim_trace(v, &v->main_thr, "migrate_fd_cancel", "%s", "");
    enum mig_status st = v->status;
    if (vocab_status_is_running(st))
        sim_set_state(v, &v->main_thr, st, MIG_CANCELLING);
    if (v->status != MIG_CANCELLING)
        return;
    if (st == MIG_PRE_SWITCHOVER) /* migrate_fd_cancel() posts pause_sem */
        sim_mig_continue(v);
    if (m->have_file) { /* qemu_file_shutdown(): the live_migration thread stops at its next check */
        sim_chan_shutdown(&m->main);
        m->file_error = true;
    }
    if (m->lm == LM_SETUP || m->lm == LM_RUN)
        sim_mf_arm_notice(v);
}
