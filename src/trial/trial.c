/* trial: run one schedule against one target (see trial.h). Everything here happens on the caller's
 * event loop; trial_run() returns when the verdict is known. Nothing of a trial outlives trial_run():
 * its QMP client, timers and migration channels are gone before it returns. */
#include "trial.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "mono.h"
#include "proxy.h"
#include "qmp.h"
#include "sink.h"
#include "units.h"

/* Settle probes back off from the first to the last interval: quick to notice the end of a cleanup that
 * takes a few milliseconds, cheap during a migration that takes seconds. */
#define PROBE_FIRST_US 200
#define PROBE_MAX_US 20000
/* While MIGRATION events say a migration is running, the event that ends it will wake the probe; until
 * then a slow probe only guards against a lost event. Fewer probes, less perturbation of the race. */
#define PROBE_RUNNING_US 50000

struct trial;

struct line_state {
    struct trial *t;
    const struct sched_line *line;
    size_t index; /* in the schedule */
    size_t next;  /* next action to run */
    bool started, done, busy;
    unsigned seen; /* TRIG_TRACE: matching trace points so far */
    struct event *timer;
    char cmd[64]; /* the QMP command in flight, for the timeline */
    enum sched_action_kind cmd_kind;
};

enum probe_step { PROBE_NONE, PROBE_STATUS, PROBE_YANK };

struct trial {
    struct trial_env *env;
    const struct schedule *s;
    struct trial_result *r;
    struct timeline *tl;
    struct qmp *q;
    struct line_state *ls;
    size_t seq; /* the untriggered line running or next to run; nlines when all are done */
    bool ready, done, migrate_sent, died;
    unsigned status_seen[MIG_STATUS_COUNT];
    int last_status; /* -1 until known */
    struct event *deadline, *probe_timer, *grace;
    uint64_t deadline_us;
    enum probe_step probe;
    uint64_t probe_backoff_us;
    char settle_state[128]; /* last probe's finding, for hang reasons */
    int rc;
    struct err *e;
};

struct trial_env {
    struct event_base *base;
    struct target *target;
    struct proxy *proxy;
    struct sink *sink;
    struct trial *cur;
    bool interrupted;
};

static void line_continue(struct trial *t, struct line_state *ls);
static void maybe_settle(struct trial *t);

/* ---- ending a trial ---- */

static void finish(struct trial *t, enum verdict v, int signo, const char *what)
{
    if (t->done)
        return;
    t->done = true;
    t->r->verdict = v;
    t->r->signo = signo;
    snprintf(t->r->signature, sizeof t->r->signature, "%s", what ? what : "");
    if (v == VERDICT_PASS)
        timeline_add(t->tl, TL_VERDICT, "pass");
    else
        timeline_add(t->tl, TL_VERDICT, "%s: %s", verdict_name(v), t->r->signature);
    event_base_loopbreak(t->env->base);
}

static void finish_error(struct trial *t, const char *fmt, const char *detail)
{
    if (t->done)
        return;
    err_set(t->e, fmt, detail);
    timeline_add(t->tl, TL_NOTE, "error: %s", t->e->msg);
    t->rc = -1;
    t->done = true;
    event_base_loopbreak(t->env->base);
}

/* ---- what a schedule line is, for the timeline ---- */

static char *line_text(const struct sched_line *line)
{
    struct schedule one = {.lines = (struct sched_line *)line, .nlines = 1};
    char *s = schedule_print(&one);
    if (s) {
        size_t n = strlen(s);
        while (n && s[n - 1] == '\n')
            s[--n] = '\0';
    }
    return s;
}

static void note_step(struct trial *t, struct line_state *ls)
{
    char *text = line_text(ls->line);
    timeline_add_coded(t->tl, 0, TL_STEP, (int)ls->line->trig.kind, (int)ls->index, "line %d: %s",
                       ls->line->line ? ls->line->line : (int)ls->index + 1, text ? text : "?");
    free(text);
}

/* ---- running lines ---- */

static void on_line_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct line_state *ls = arg;
    struct trial *t = ls->t;
    if (t->done)
        return;
    if (!ls->started) {
        /* an `at +DUR` line, or the +DUR of `on STATUS`/`on trace`, has come due */
        ls->started = true;
        note_step(t, ls);
    }
    ls->busy = false;
    line_continue(t, ls);
}

static void arm(struct trial *t, struct line_state *ls, uint64_t us)
{
    if (!ls->timer)
        ls->timer = evtimer_new(t->env->base, on_line_timer, ls);
    struct timeval tv = mono_tv(us);
    evtimer_add(ls->timer, &tv);
    ls->busy = true;
}

/* A trigger happened: run the line now, or after its +DUR. */
static void fire(struct trial *t, struct line_state *ls, uint64_t delay_us)
{
    if (ls->started || ls->busy || t->done)
        return;
    if (delay_us) {
        arm(t, ls, delay_us);
        return;
    }
    ls->started = true;
    note_step(t, ls);
    line_continue(t, ls);
}

static void seq_next(struct trial *t)
{
    while (t->seq < t->s->nlines && t->s->lines[t->seq].trig.kind != TRIG_NONE)
        t->seq++;
    if (t->seq < t->s->nlines) {
        struct line_state *ls = &t->ls[t->seq];
        t->seq++;
        fire(t, ls, 0);
    }
}

static void on_migrate_sent(struct trial *t)
{
    if (t->migrate_sent)
        return;
    t->migrate_sent = true;
    for (size_t i = 0; i < t->s->nlines; i++)
        if (t->s->lines[i].trig.kind == TRIG_AT)
            fire(t, &t->ls[i], t->s->lines[i].trig.delay_us ? t->s->lines[i].trig.delay_us : 0);
}

static void on_reply(void *arg, const struct qmp_reply *r)
{
    struct line_state *ls = arg;
    struct trial *t = ls->t;
    if (t->done || r->lost)
        return;
    int kind = (int)ls->cmd_kind;
    if (r->timed_out) {
        timeline_add_coded(t->tl, 0, TL_QMP_IN, kind, TL_NO_REPLY, "%s: no reply", ls->cmd);
    } else if (r->error_class) {
        timeline_add_coded(t->tl, 0, TL_QMP_IN, kind, TL_REFUSED, "%s -> error %s: %s", ls->cmd, r->error_class,
                           r->error_desc ? r->error_desc : "");
    } else {
        timeline_add_coded(t->tl, 0, TL_QMP_IN, kind, TL_ACCEPTED, "%s -> %s", ls->cmd,
                           json_object_to_json_string_ext(r->ret, JSON_C_TO_STRING_PLAIN));
    }
    ls->busy = false;
    line_continue(t, ls);
}

/* Sends the QMP command of an action; true when a reply is awaited. */
static bool send_action(struct trial *t, struct line_state *ls, const struct sched_action *a)
{
    json_object *args = NULL;
    const char *name = schedule_action_qmp(a, proxy_uri(t->env->proxy), &args);
    if (!name)
        return false;
    uint64_t id;
    if (a->kind == ACT_QMP) {
        json_object *exe = NULL;
        json_object_object_get_ex(args, "execute", &exe);
        if (!exe)
            json_object_object_get_ex(args, "exec-oob", &exe);
        snprintf(ls->cmd, sizeof ls->cmd, "%s", exe ? json_object_get_string(exe) : "qmp");
        timeline_add_coded(t->tl, 0, TL_QMP_OUT, (int)a->kind, (int)ls->index, "%s",
                           json_object_to_json_string_ext(args, JSON_C_TO_STRING_PLAIN));
        id = qmp_send_raw(t->q, args, 0, on_reply, ls);
    } else {
        snprintf(ls->cmd, sizeof ls->cmd, "%s", name);
        timeline_add_coded(t->tl, 0, TL_QMP_OUT, (int)a->kind, (int)ls->index, "%s %s", name,
                           args ? json_object_to_json_string_ext(args, JSON_C_TO_STRING_PLAIN) : "");
        id = qmp_send(t->q, name, args, 0, on_reply, ls);
    }
    if (!id) {
        timeline_add(t->tl, TL_NOTE, "%s not sent: QMP is not connected", ls->cmd);
        return false;
    }
    ls->cmd_kind = a->kind;
    return true;
}

static void channel_summary(struct trial *t, char *buf, size_t n)
{
    struct proxy *p = t->env->proxy;
    size_t off = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < proxy_channel_count(p) && off < n; i++) {
        char name[16], size[32];
        int id = proxy_channel_id(p, i);
        units_format_size(proxy_channel_bytes(p, i), size, sizeof size);
        off += (size_t)snprintf(buf + off, n - off, "%s%s %s%s", off ? ", " : "",
                                id == PROXY_CH_UNKNOWN ? "?" : vocab_channel_name(id, name, sizeof name), size,
                                proxy_channel_open(p, i) ? "" : " (ended)");
    }
}

static void do_fault(struct trial *t, const struct sched_action *a)
{
    struct err e = {{0}};
    char buf[16], summary[256];
    const char *chan = vocab_channel_name(a->u.fault.chan, buf, sizeof buf);
    channel_summary(t, summary, sizeof summary);
    /* Logged before it happens: the proxy reports the channels it ends from inside the call. */
    timeline_add_coded(t->tl, 0, TL_FAULT, (int)a->kind, (int)proxy_channel_count(t->env->proxy), "%s %s [%s]",
                       schedule_action_name(a->kind), chan, summary[0] ? summary : "no channels yet");
    int hit;
    switch (a->kind) {
    case ACT_RESET:
        hit = proxy_reset(t->env->proxy, a->u.fault.chan, &e);
        break;
    case ACT_CLOSE:
        hit = proxy_close(t->env->proxy, a->u.fault.chan, &e);
        break;
    default:
        hit = proxy_stall(t->env->proxy, a->u.fault.chan, a->u.fault.dur_us, &e);
        break;
    }
    if (hit < 0)
        timeline_add(t->tl, TL_FAULT, "%s %s failed: %s", schedule_action_name(a->kind), chan, e.msg);
    else if (hit == 0)
        timeline_add_coded(t->tl, 0, TL_FAULT, (int)a->kind, 0, "%s %s hit no open channel",
                           schedule_action_name(a->kind), chan);
}

static void do_freeze(struct trial *t, const struct sched_action *a)
{
    struct err e = {{0}};
    char buf[32], dur[32];
    const char *name = vocab_thread_name(a->u.freeze.thread, buf, sizeof buf);
    units_format_duration(a->u.freeze.dur_us, dur, sizeof dur);
    if (target_freeze(t->env->target, a->u.freeze.thread, a->u.freeze.dur_us, &e) < 0)
        timeline_add(t->tl, TL_THREAD, "freeze %s %s failed: %s", name, dur, e.msg);
}

static void line_continue(struct trial *t, struct line_state *ls)
{
    while (!t->done && ls->next < ls->line->nacts) {
        const struct sched_action *a = &ls->line->acts[ls->next++];
        switch (a->kind) {
        case ACT_RESET:
        case ACT_CLOSE:
        case ACT_STALL:
            do_fault(t, a);
            break;
        case ACT_FREEZE:
            do_freeze(t, a);
            break;
        case ACT_WAIT:
            arm(t, ls, a->u.wait_us);
            return;
        default:
            if (send_action(t, ls, a)) {
                ls->busy = true;
                /* `at +DUR` counts from here; an `at +0` line may run right now, so this line must
                 * already look busy. */
                if (a->kind == ACT_MIGRATE)
                    on_migrate_sent(t);
                return;
            }
            break;
        }
    }
    if (t->done || ls->done)
        return;
    ls->done = true;
    if (ls->line->trig.kind == TRIG_NONE)
        seq_next(t);
    maybe_settle(t);
}

/* ---- knowing when the target has settled ---- */

static bool quiet(const struct trial *t)
{
    if (t->seq < t->s->nlines)
        for (size_t i = t->seq; i < t->s->nlines; i++)
            if (t->s->lines[i].trig.kind == TRIG_NONE)
                return false;
    for (size_t i = 0; i < t->s->nlines; i++) {
        const struct line_state *ls = &t->ls[i];
        if (ls->busy || (ls->started && !ls->done))
            return false;
        if (ls->line->trig.kind == TRIG_NONE && !ls->done)
            return false;
    }
    return true;
}

static void send_probe(struct trial *t);

static void on_probe_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    send_probe(arg);
}

static void probe_later(struct trial *t, const char *state)
{
    if (strcmp(state, t->settle_state) != 0) {
        snprintf(t->settle_state, sizeof t->settle_state, "%s", state);
        timeline_add(t->tl, TL_NOTE, "settling: %s", state);
    }
    t->probe = PROBE_NONE;
    bool events_say_running = t->last_status >= 0 && vocab_status_is_running((enum mig_status)t->last_status);
    struct timeval tv = mono_tv(events_say_running ? PROBE_RUNNING_US : t->probe_backoff_us);
    evtimer_add(t->probe_timer, &tv);
    t->probe_backoff_us = t->probe_backoff_us * 2 > PROBE_MAX_US ? PROBE_MAX_US : t->probe_backoff_us * 2;
}

static bool yank_lists_migration(json_object *ret)
{
    size_t n = json_object_is_type(ret, json_type_array) ? json_object_array_length(ret) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *type = NULL;
        if (json_object_object_get_ex(json_object_array_get_idx(ret, i), "type", &type) &&
            json_object_is_type(type, json_type_string) && strcmp(json_object_get_string(type), "migration") == 0)
            return true;
    }
    return false;
}

static void on_probe_reply(void *arg, const struct qmp_reply *r)
{
    struct trial *t = arg;
    if (t->done || r->lost)
        return;
    if (!quiet(t)) {
        /* a triggered line started meanwhile; its end will probe again */
        t->probe = PROBE_NONE;
        return;
    }
    if (r->timed_out || r->error_class) {
        /* A target without query-yank (or broken) cannot tell us; judge by the status alone. */
        if (t->probe == PROBE_YANK) {
            finish(t, VERDICT_PASS, 0, NULL);
            return;
        }
        probe_later(t, "query-migrate failed");
        return;
    }
    if (t->probe == PROBE_STATUS) {
        json_object *st = NULL;
        const char *status = "none";
        if (json_object_object_get_ex(r->ret, "status", &st) && json_object_is_type(st, json_type_string))
            status = json_object_get_string(st);
        int s = vocab_status_parse(status, strlen(status));
        if (s >= 0 && vocab_status_is_running((enum mig_status)s)) {
            char state[96];
            snprintf(state, sizeof state, "migration %s", status);
            probe_later(t, state);
            return;
        }
        t->probe = PROBE_YANK;
        if (!qmp_send(t->q, "query-yank", NULL, 0, on_probe_reply, t))
            t->probe = PROBE_NONE;
        return;
    }
    if (yank_lists_migration(r->ret)) {
        probe_later(t, "status settled, cleanup pending (query-yank lists the migration)");
        return;
    }
    t->probe = PROBE_NONE;
    timeline_add(t->tl, TL_NOTE, "settled: no migration running, cleanup finished");
    finish(t, VERDICT_PASS, 0, NULL);
}

static void send_probe(struct trial *t)
{
    if (t->done || !t->ready || t->probe != PROBE_NONE || !quiet(t))
        return;
    t->probe = PROBE_STATUS;
    if (!qmp_send(t->q, "query-migrate", NULL, 0, on_probe_reply, t))
        t->probe = PROBE_NONE;
}

/* Called whenever the trial may have become quiet: probe at once unless a probe is already planned. */
static void maybe_settle(struct trial *t)
{
    if (t->done || t->probe != PROBE_NONE || evtimer_pending(t->probe_timer, NULL))
        return;
    t->probe_backoff_us = PROBE_FIRST_US;
    send_probe(t);
}

/* ---- QMP hooks ---- */

static void on_ready(void *arg, json_object *greeting)
{
    struct trial *t = arg;
    json_object *v = NULL, *q = NULL, *pkg = NULL;
    int major = -1, minor = -1, micro = -1;
    if (json_object_object_get_ex(greeting, "version", &v) && json_object_object_get_ex(v, "qemu", &q)) {
        json_object *x;
        if (json_object_object_get_ex(q, "major", &x))
            major = json_object_get_int(x);
        if (json_object_object_get_ex(q, "minor", &x))
            minor = json_object_get_int(x);
        if (json_object_object_get_ex(q, "micro", &x))
            micro = json_object_get_int(x);
    }
    if (v)
        json_object_object_get_ex(v, "package", &pkg);
    timeline_add(t->tl, TL_NOTE, "QMP ready: QEMU %d.%d.%d%s%s", major, minor, micro, pkg ? " " : "",
                 pkg ? json_object_get_string(pkg) : "");
    t->ready = true;
    seq_next(t);
    maybe_settle(t);
}

static void on_event(void *arg, const char *name, json_object *data, json_object *msg)
{
    (void)msg;
    struct trial *t = arg;
    if (t->done)
        return;
    json_object *st = NULL;
    const char *status = NULL;
    if (strcmp(name, "MIGRATION") == 0 && json_object_object_get_ex(data, "status", &st))
        status = json_object_get_string(st);
    int s = status ? vocab_status_parse(status, strlen(status)) : -1;
    timeline_add_coded(t->tl, 0, TL_EVENT, s, 0, "%s %s", name,
                       data ? json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN) : "");
    if (!status)
        return;
    if (s < 0) {
        /* A status this build of qmprace does not know (a newer QEMU's): record it, trigger nothing. */
        timeline_add(t->tl, TL_NOTE, "unknown migration status '%s'", status);
        return;
    }
    t->last_status = s;
    unsigned seen = ++t->status_seen[s];
    for (size_t i = 0; i < t->s->nlines; i++) {
        const struct sched_trigger *tr = &t->s->lines[i].trig;
        if (tr->kind == TRIG_STATUS && tr->status == (enum mig_status)s && tr->nth == seen)
            fire(t, &t->ls[i], tr->delay_us);
    }
    /* A status that ends the migration: the settle probe need not wait for its back-off. */
    if (!vocab_status_is_running((enum mig_status)s) && t->probe == PROBE_NONE &&
        evtimer_pending(t->probe_timer, NULL)) {
        evtimer_del(t->probe_timer);
        t->probe_backoff_us = PROBE_FIRST_US;
        send_probe(t);
    }
}

static void on_grace(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct trial *t = arg;
    timeline_add(t->tl, TL_NOTE, "the target did not report how it ended");
    finish(t, VERDICT_CRASH, 0, "QMP connection lost");
}

static void on_closed(void *arg, enum qmp_close_reason why, const char *detail)
{
    struct trial *t = arg;
    if (t->done)
        return;
    timeline_add(t->tl, TL_NOTE, "QMP connection ended (%s): %s", qmp_close_reason_name(why), detail ? detail : "");
    if (!t->ready) {
        finish_error(t, "could not talk QMP to the target: %s", detail ? detail : qmp_close_reason_name(why));
        return;
    }
    if (why == QMP_CLOSED_PROTOCOL) {
        finish_error(t, "the target broke the QMP protocol: %s", detail ? detail : "");
        return;
    }
    if (t->died)
        return;
    if (target_caps(t->env->target).death) {
        /* the target will say how it died (it may say so a little after its socket closed) */
        struct timeval tv = mono_tv(2000000);
        evtimer_add(t->grace, &tv);
        return;
    }
    finish(t, VERDICT_CRASH, 0, "QMP connection lost");
}

/* ---- target hooks ---- */

static int trace_code(const char *event)
{
    const char *const *names = vocab_trace_names();
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], event) == 0)
            return i;
    return -1;
}

/* migrate_set_state's "new state failed" as a status, for the timeline's code */
static int trace_arg(const char *event, const char *args)
{
    const char *prefix = "new state ";
    if (strcmp(event, "migrate_set_state") != 0 || !args || strncmp(args, prefix, strlen(prefix)) != 0)
        return -1;
    const char *s = args + strlen(prefix);
    size_t n = strcspn(s, " \t");
    return vocab_status_parse(s, n);
}

/* The target's trace points for our own settle probe are our noise, not the race: keep them out of the
 * timeline. */
static bool probe_trace(const struct trial *t, const char *event)
{
    const char *cmd = t->probe == PROBE_STATUS ? "query_migrate" : t->probe == PROBE_YANK ? "query_yank" : NULL;
    if (!cmd)
        return false;
    if (strncmp(event, "qmp_enter_", 10) == 0)
        return strcmp(event + 10, cmd) == 0;
    if (strncmp(event, "qmp_exit_", 9) == 0)
        return strcmp(event + 9, cmd) == 0;
    return false;
}

static void on_trace(void *arg, uint64_t mono_us, const char *thread, const char *event, const char *args)
{
    struct trial_env *env = arg;
    struct trial *t = env->cur;
    if (!t || t->done)
        return;
    if (!probe_trace(t, event))
        timeline_add_coded(t->tl, mono_us, TL_TRACE, trace_code(event), trace_arg(event, args), "%s: %s %s",
                           thread ? thread : "?", event, args ? args : "");
    for (size_t i = 0; i < t->s->nlines; i++) {
        const struct sched_trigger *tr = &t->s->lines[i].trig;
        if (tr->kind == TRIG_TRACE && strcmp(tr->trace_event, event) == 0 && ++t->ls[i].seen == tr->nth)
            fire(t, &t->ls[i], tr->delay_us);
    }
}

static void on_output(void *arg, const char *line)
{
    struct trial_env *env = arg;
    if (env->cur && !env->cur->done)
        timeline_add(env->cur->tl, TL_OUTPUT, "%s", line);
}

static void on_died(void *arg, int signo, const char *message)
{
    struct trial_env *env = arg;
    struct trial *t = env->cur;
    if (!t || t->done)
        return;
    t->died = true;
    if (!t->ready) {
        /* Before its QMP greeting: the target did not start (bad arguments, missing firmware...). */
        finish_error(t, "the target ended before its QMP monitor was ready: %s",
                     message ? message : signo > 0 ? "killed by a signal" : "it exited");
        return;
    }
    if (signo <= 0) {
        timeline_add_coded(t->tl, 0, TL_DEATH, 0, 0, "the target exited normally");
        finish(t, VERDICT_PASS, 0, NULL);
        return;
    }
    char sig[32], signature[512];
    verdict_signal_name(signo, sig, sizeof sig);
    timeline_add_coded(t->tl, 0, TL_DEATH, signo, 0, "the target died by %s%s%s", sig, message ? ": " : "",
                       message ? message : "");
    verdict_signature(signo, message, signature, sizeof signature);
    finish(t, VERDICT_CRASH, signo, signature);
}

static void on_thread(void *arg, const char *thread, bool held)
{
    struct trial_env *env = arg;
    struct thread_ref ref = {THR_MAIN, 0};
    int code = vocab_thread_parse(thread, strlen(thread), &ref) == 0 ? (int)ref.kind : -1;
    if (env->cur && !env->cur->done)
        timeline_add_coded(env->cur->tl, 0, TL_THREAD, code, held, "%s %s", thread, held ? "held" : "released");
}

/* ---- proxy hooks ---- */

static void on_chan_opened(void *arg, unsigned index)
{
    struct trial_env *env = arg;
    if (env->cur && !env->cur->done)
        timeline_add(env->cur->tl, TL_CHANNEL, "channel #%u connected", index);
}

static void on_chan_identified(void *arg, unsigned index, int chan)
{
    struct trial_env *env = arg;
    char name[16];
    if (env->cur && !env->cur->done)
        timeline_add(env->cur->tl, TL_CHANNEL, "channel #%u is %s", index, vocab_channel_name(chan, name, sizeof name));
}

static void on_chan_bytes(void *arg, unsigned index, uint64_t channel_total, uint64_t all_total)
{
    struct trial_env *env = arg;
    struct trial *t = env->cur;
    if (!t || t->done)
        return;
    int id = proxy_channel_id(env->proxy, index);
    for (size_t i = 0; i < t->s->nlines; i++) {
        const struct sched_trigger *tr = &t->s->lines[i].trig;
        if (tr->kind != TRIG_AFTER || t->ls[i].started || t->ls[i].busy)
            continue;
        bool hit = tr->chan == CHAN_ANY ? all_total >= tr->bytes : (tr->chan == id && channel_total >= tr->bytes);
        if (hit)
            fire(t, &t->ls[i], 0);
    }
}

static void on_chan_ended(void *arg, unsigned index, const char *why)
{
    struct trial_env *env = arg;
    char size[32];
    if (!env->cur || env->cur->done)
        return;
    units_format_size(proxy_channel_bytes(env->proxy, index), size, sizeof size);
    timeline_add(env->cur->tl, TL_CHANNEL, "channel #%u ended after %s: %s", index, size, why);
}

/* ---- the environment ---- */

struct trial_env *trial_env_new(struct event_base *base, struct target *target, struct err *e)
{
    struct trial_env *env = calloc(1, sizeof *env);
    if (!env) {
        err_set(e, "out of memory");
        return NULL;
    }
    env->base = base;
    env->target = target;
    env->sink = sink_new(base, e);
    if (!env->sink)
        goto fail;
    struct proxy_hooks ph = {on_chan_opened, on_chan_identified, on_chan_bytes, on_chan_ended, env};
    env->proxy = proxy_new(base, sink_addr(env->sink), &ph, e);
    if (!env->proxy)
        goto fail;
    return env;
fail:
    trial_env_free(env);
    return NULL;
}

void trial_env_free(struct trial_env *env)
{
    if (!env)
        return;
    proxy_free(env->proxy);
    sink_free(env->sink);
    free(env);
}

void trial_env_interrupt(struct trial_env *env)
{
    env->interrupted = true;
    if (env->cur && !env->cur->done) {
        timeline_add(env->cur->tl, TL_NOTE, "interrupted");
        env->cur->done = true;
    }
    event_base_loopbreak(env->base);
}

bool trial_env_interrupted(const struct trial_env *env)
{
    return env->interrupted;
}

int trial_check(const struct schedule *s, const struct target *target, struct err *e)
{
    struct target_caps caps = target_caps(target);
    int line, col;
    if (!caps.freeze && schedule_uses_action(s, ACT_FREEZE, &line, &col))
        return err_set(e, "%s:%d:%d: 'freeze' needs a target that can hold its threads; %s cannot (sim:MODEL can)",
                       s->name, line, col, target_spec(target));
    if (!caps.trace && schedule_uses_trace(s, &line))
        return err_set(e, "%s:%d:1: 'on trace' needs a target that reports trace points; %s does not (sim:MODEL does)",
                       s->name, line, target_spec(target));
    return 0;
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct trial *t = arg;
    char reason[400];
    const char *pending = NULL;
    for (size_t i = 0; i < t->s->nlines && !pending; i++)
        if (t->ls[i].busy && t->ls[i].cmd[0] && t->ls[i].next > 0 &&
            t->ls[i].line->acts[t->ls[i].next - 1].kind <= ACT_QMP)
            pending = t->ls[i].cmd;
    if (!t->ready) {
        /* A target that never talks QMP could not be started or reached: an error, not a verdict. */
        char dl[32];
        units_format_duration(t->deadline_us, dl, sizeof dl);
        char msg[96];
        snprintf(msg, sizeof msg, "no QMP greeting from the target within %s", dl);
        finish_error(t, "%s", msg);
        return;
    }
    if (pending)
        snprintf(reason, sizeof reason, "no reply to %s", pending);
    else if (t->settle_state[0])
        snprintf(reason, sizeof reason, "did not settle: %s", t->settle_state);
    else
        snprintf(reason, sizeof reason, "schedule still running");
    finish(t, VERDICT_HANG, 0, reason);
}

void trial_result_clear(struct trial_result *r)
{
    timeline_free(r->timeline);
    memset(r, 0, sizeof *r);
}

int trial_run(struct trial_env *env, const struct schedule *s, const struct trial_options *opt,
              struct trial_result *r, struct err *e)
{
    memset(r, 0, sizeof *r);
    if (env->interrupted)
        return TRIAL_INTERRUPTED;
    uint64_t deadline = opt && opt->deadline_us ? opt->deadline_us : TRIAL_DEFAULT_DEADLINE_US;
    struct trial t = {.env = env, .s = s, .r = r, .last_status = -1, .e = e};
    uint64_t t0 = mono_now_us();
    t.tl = timeline_new(t0, 0);
    t.ls = calloc(s->nlines ? s->nlines : 1, sizeof *t.ls);
    t.deadline = evtimer_new(env->base, on_deadline, &t);
    t.probe_timer = evtimer_new(env->base, on_probe_timer, &t);
    t.grace = evtimer_new(env->base, on_grace, &t);
    struct qmp_hooks qh = {.ready = on_ready, .event = on_event, .closed = on_closed, .arg = &t};
    t.q = qmp_new(env->base, &qh, NULL);
    if (!t.tl || !t.ls || !t.deadline || !t.probe_timer || !t.grace || !t.q) {
        t.rc = err_set(e, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < s->nlines; i++)
        t.ls[i] = (struct line_state){.t = &t, .line = &s->lines[i], .index = i};
    env->cur = &t;
    char dl[32];
    units_format_duration(deadline, dl, sizeof dl);
    timeline_add(t.tl, TL_NOTE, "trial of %s on %s (deadline %s, migrate to %s)", s->name ? s->name : "schedule",
                 target_spec(env->target), dl, proxy_uri(env->proxy));
    const char *warning = target_warning(env->target);
    if (warning)
        timeline_add(t.tl, TL_NOTE, "note: %s", warning);
    struct target_hooks th = {on_trace, on_output, on_died, on_thread, env};
    if (target_begin(env->target, env->base, &th, t.q, e) < 0) {
        timeline_add(t.tl, TL_NOTE, "error: %s", e->msg);
        t.rc = -1;
        goto out;
    }
    /* The target may bring its own destination for this trial; else the channels go to the sink. */
    const char *upstream = target_upstream(env->target);
    if (proxy_set_upstream(env->proxy, upstream ? upstream : sink_addr(env->sink), e) < 0) {
        timeline_add(t.tl, TL_NOTE, "error: %s", e->msg);
        t.rc = -1;
        goto out;
    }
    t.deadline_us = deadline;
    struct timeval tv = mono_tv(deadline);
    evtimer_add(t.deadline, &tv);
    /* EVLOOP_ONCE in a loop, not one dispatch: the base also carries the proxy, the sink and signal
     * events that never end, so only `done` says the trial is over. The deadline timer keeps the base
     * from ever being empty. */
    while (!t.done && !env->interrupted)
        event_base_loop(env->base, EVLOOP_ONCE);
out:
    env->cur = NULL;
    r->duration_us = mono_now_us() - t0;
    for (size_t i = 0; t.ls && i < s->nlines; i++)
        if (t.ls[i].timer)
            event_free(t.ls[i].timer);
    free(t.ls);
    if (t.deadline)
        event_free(t.deadline);
    if (t.probe_timer)
        event_free(t.probe_timer);
    if (t.grace)
        event_free(t.grace);
    qmp_free(t.q);
    proxy_drop_all(env->proxy);
    sink_drop_all(env->sink);
    target_end(env->target, t.rc == 0 && !env->interrupted && r->verdict == VERDICT_PASS);
    r->timeline = t.tl;
    if (env->interrupted) {
        trial_result_clear(r);
        return TRIAL_INTERRUPTED;
    }
    return t.rc;
}
