/* lines: running a schedule's lines. Untriggered lines run first, one after the other; a triggered line
 * runs when the trigger matcher fires it (at once or after its +DUR). A line's actions run in order:
 * each QMP action waits for its reply, `wait` for its time; faults and holds happen at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "mono.h"
#include "trial_internal.h"
#include "units.h"
#include "vocab_target.h"

static void line_continue(struct trial *t, struct line_state *ls);

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

void lines_fire(struct trial *t, size_t i, uint64_t delay_us)
{
    struct line_state *ls = &t->ls[i];
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

void lines_start(struct trial *t)
{
    while (t->seq < t->s->nlines && t->s->lines[t->seq].trig.kind != TRIG_NONE)
        t->seq++;
    if (t->seq < t->s->nlines)
        lines_fire(t, t->seq++, 0);
}

/* ---- actions ---- */

/* QEMU accepted line `ls`'s capabilities or parameters: their values, last one per name, are what the
 * settings-kept property holds QEMU to at the end. */
static void note_accepted(struct trial *t, const struct line_state *ls)
{
    if (!ls->cmd_args)
        return;
    if (ls->cmd_kind == ACT_CAPS) {
        json_object *list = NULL;
        json_object_object_get_ex(ls->cmd_args, "capabilities", &list);
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
            json_object *c = json_object_array_get_idx(list, i), *name, *state;
            if (json_object_object_get_ex(c, "capability", &name) && json_object_object_get_ex(c, "state", &state)) {
                json_object_object_add(t->accepted_caps, json_object_get_string(name), json_object_get(state));
                t->events_gap |= strcmp(json_object_get_string(name), "events") == 0 && !json_object_get_boolean(state);
            }
        }
    } else if (ls->cmd_kind == ACT_PARAMS) {
        json_object_object_foreach(ls->cmd_args, name, value) json_object_object_add(t->accepted_params, name,
                                                                                      json_object_get(value));
    }
}

static void on_reply(void *arg, const struct qmp_reply *r)
{
    struct line_state *ls = arg;
    struct trial *t = ls->t;
    if (t->done || r->lost)
        return;
    int kind = (int)ls->cmd_kind;
    if (r->timed_out)
        timeline_add_coded(t->tl, 0, TL_QMP_IN, kind, TL_NO_REPLY, "%s: no reply", ls->cmd);
    else if (r->error_class) {
        timeline_add_coded(t->tl, 0, TL_QMP_IN, kind, TL_REFUSED, "%s -> error %s: %s", ls->cmd, r->error_class,
                           r->error_desc ? r->error_desc : "");
        if (vocab_refusal_unknown_name(r->error_class, r->error_desc))
            trial_miss(t, ls, false, "%s refused, a name unknown to the target: %.120s", ls->cmd,
                       r->error_desc ? r->error_desc : r->error_class);
    }
    else {
        timeline_add_coded(t->tl, 0, TL_QMP_IN, kind, TL_ACCEPTED, "%s -> %s", ls->cmd,
                           json_object_to_json_string_ext(r->ret, JSON_C_TO_STRING_PLAIN));
        note_accepted(t, ls);
    }
    json_object_put(ls->cmd_args);
    ls->cmd_args = NULL;
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
    if (!schedule_action_desc(a->kind)->qmp) {
        /* a command written out whole (`qmp {...}`): it is sent as written */
        json_object *exe = NULL;
        if (!json_object_object_get_ex(args, "execute", &exe))
            json_object_object_get_ex(args, "exec-oob", &exe);
        snprintf(ls->cmd, sizeof ls->cmd, "%s", exe ? json_object_get_string(exe) : "qmp");
        timeline_add_coded(t->tl, 0, TL_QMP_OUT, (int)a->kind, (int)ls->index, "%s",
                           json_object_to_json_string_ext(args, JSON_C_TO_STRING_PLAIN));
        json_object *cargs = NULL;
        json_object_object_get_ex(args, "arguments", &cargs);
        target_note_sent(t->env->target, exe ? json_object_get_string(exe) : "qmp", cargs);
        id = qmp_send_raw(t->q, args, 0, on_reply, ls);
    } else {
        snprintf(ls->cmd, sizeof ls->cmd, "%s", name);
        json_object_put(ls->cmd_args);
        ls->cmd_args = a->kind == ACT_CAPS || a->kind == ACT_PARAMS ? json_object_get(args) : NULL;
        timeline_add_coded(t->tl, 0, TL_QMP_OUT, (int)a->kind, (int)ls->index, "%s %s", name,
                           args ? json_object_to_json_string_ext(args, JSON_C_TO_STRING_PLAIN) : "");
        target_note_sent(t->env->target, name, args);
        id = qmp_send(t->q, name, args, 0, on_reply, ls);
    }
    if (!id) {
        timeline_add(t->tl, TL_NOTE, "%s not sent: QMP is not connected", ls->cmd);
        trial_miss(t, ls, false, "%s not sent: QMP is not connected", ls->cmd);
        return false;
    }
    ls->cmd_kind = a->kind;
    trial_answer_awaited(t);
    return true;
}

static void channel_summary(struct proxy *p, char *buf, size_t n)
{
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

static void do_fault(struct trial *t, const struct line_state *ls, const struct sched_action *a)
{
    struct err e = {{0}};
    struct proxy *p = t->env->proxy;
    char buf[16], summary[256], text[400];
    const char *chan = vocab_channel_name(a->u.fault.chan, buf, sizeof buf);
    channel_summary(p, summary, sizeof summary);
    snprintf(text, sizeof text, "%s %s [%s]", schedule_action_name(a->kind), chan,
             summary[0] ? summary : "no channels yet");
    /* Observed before it happens: the proxy reports the channels it ends from inside the call. */
    trial_observe(t, &(struct obs){.kind = OBS_FAULT, .fault_kind = (int)a->kind, .text = text,
                                   .chan_index = proxy_channel_count(p)});
    int hit = net_fault(p, a->kind, a->u.fault.chan, a->u.fault.dur_us, &e);
    if (hit < 0) {
        timeline_add(t->tl, TL_FAULT, "%s %s failed: %s", schedule_action_name(a->kind), chan, e.msg);
        trial_miss(t, ls, false, "%s %s failed: %.120s", schedule_action_name(a->kind), chan, e.msg);
    } else if (hit == 0) {
        timeline_add_coded(t->tl, 0, TL_FAULT, (int)a->kind, 0, "%s %s hit no open channel",
                           schedule_action_name(a->kind), chan);
        trial_miss(t, ls, false, "%s %s hit no open channel", schedule_action_name(a->kind), chan);
    }
}

/* A thaw that finds nothing held did not do what it says: the window it was to close had closed already
 * (its freeze ran out before the command landed), and that is what the report must say. */
static void do_thaw(struct trial *t, const struct line_state *ls, const struct sched_action *a)
{
    struct err e = {{0}};
    char buf[32];
    const char *name = vocab_thread_name(a->u.freeze.thread, buf, sizeof buf);
    int got = target_thaw(t->env->target, a->u.freeze.thread, &e);
    if (got < 0) {
        timeline_add(t->tl, TL_THREAD, "thaw %s failed: %s", name, e.msg);
        trial_miss(t, ls, false, "thaw %s failed: %.120s", name, e.msg);
    } else if (got == 0) {
        timeline_add(t->tl, TL_THREAD, "thaw %s: it was not held", name);
        trial_miss(t, ls, false, "thaw %s released nothing: it was not held (a freeze had ended before)", name);
    }
}

static void do_freeze(struct trial *t, const struct line_state *ls, const struct sched_action *a)
{
    struct err e = {{0}};
    char buf[32], dur[32];
    const char *name = vocab_thread_name(a->u.freeze.thread, buf, sizeof buf);
    units_format_duration(a->u.freeze.dur_us, dur, sizeof dur);
    if (target_freeze(t->env->target, a->u.freeze.thread, a->u.freeze.dur_us, &e) < 0) {
        timeline_add(t->tl, TL_THREAD, "freeze %s %s failed: %s", name, dur, e.msg);
        trial_miss(t, ls, false, "freeze %s %s held nothing: %.120s", name, dur, e.msg);
    }
}

static void line_continue(struct trial *t, struct line_state *ls)
{
    while (!t->done && ls->next < ls->line->nacts) {
        const struct sched_action *a = &ls->line->acts[ls->next++];
        switch (schedule_action_desc(a->kind)->cls) {
        case SCHED_CLASS_FAULT:
            do_fault(t, ls, a);
            break;
        case SCHED_CLASS_HOLD:
            if (a->kind == ACT_THAW)
                do_thaw(t, ls, a);
            else
                do_freeze(t, ls, a);
            break;
        case SCHED_CLASS_WAIT:
            arm(t, ls, a->u.wait_us);
            return;
        case SCHED_CLASS_QMP:
            if (send_action(t, ls, a)) {
                ls->busy = true;
                /* `at +DUR` counts from here; an `at +0` line may run right now, so this line must
                 * already look busy. */
                if (schedule_action_desc(a->kind)->flags & SCHED_URI)
                    trial_observe(t, &(struct obs){.kind = OBS_MIGRATE_SENT});
                return;
            }
            break;
        }
    }
    if (t->done || ls->done)
        return;
    ls->done = true;
    if (ls->line->trig.kind == TRIG_NONE)
        lines_start(t);
    settle_poke(t->settle);
}

/* ---- the state of the lines ---- */

bool lines_quiet(const struct trial *t)
{
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

void lines_unfired(struct trial *t, bool hung)
{
    const struct vocab_target *vt = target_vocab(t->env->target);
    for (size_t i = 0; i < t->s->nlines; i++) {
        const struct line_state *ls = &t->ls[i];
        const struct sched_trigger *tr = &ls->line->trig;
        if (ls->started || ls->busy)
            continue;
        char *text = line_text(ls->line);
        if (tr->kind == TRIG_NONE) { /* only a hang leaves a line in order unreached */
            if (hung)
                trial_miss(t, ls, false, "`%s` never ran: the trial hung before it", text ? text : "?");
            free(text);
            continue;
        }
        if (tr->kind == TRIG_STATUS && vt && !vocab_target_has_status(vt, tr->status))
            trial_miss(t, ls, true, "`%s` never fired: %s%s never reports '%s'", text ? text : "?",
                       vt->version[0] ? "QEMU " : "the target", vt->version, vocab_status_name(tr->status));
        else
            trial_miss(t, ls, false, "`%s` never fired", text ? text : "?");
        free(text);
    }
}

/* Line `ls` waits for the reply to its command. */
static bool awaits_reply(const struct line_state *ls)
{
    return ls->busy && ls->cmd[0] && ls->next > 0 &&
           schedule_action_desc(ls->line->acts[ls->next - 1].kind)->cls == SCHED_CLASS_QMP;
}

const char *lines_pending_command(const struct trial *t)
{
    for (size_t i = 0; i < t->s->nlines; i++)
        if (awaits_reply(&t->ls[i]))
            return t->ls[i].cmd;
    return NULL;
}

bool lines_await_reply_only(const struct trial *t)
{
    bool any = false;
    for (size_t i = 0; i < t->s->nlines; i++) {
        const struct line_state *ls = &t->ls[i];
        if (awaits_reply(ls))
            any = true;
        else if (ls->busy || (ls->started && !ls->done))
            return false;
    }
    return any;
}

int lines_init(struct trial *t)
{
    t->ls = calloc(t->s->nlines ? t->s->nlines : 1, sizeof *t->ls);
    if (!t->ls)
        return -1;
    for (size_t i = 0; i < t->s->nlines; i++)
        t->ls[i] = (struct line_state){.t = t, .line = &t->s->lines[i], .index = i};
    return 0;
}

void lines_free(struct trial *t)
{
    for (size_t i = 0; t->ls && i < t->s->nlines; i++) {
        if (t->ls[i].timer)
            event_free(t->ls[i].timer);
        json_object_put(t->ls[i].cmd_args);
    }
    free(t->ls);
    t->ls = NULL;
}
