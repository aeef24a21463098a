/* trial: run one schedule against one target (see trial.h). Everything happens on the caller's event
 * loop; trial_run() returns when the verdict is known. Nothing of a trial outlives trial_run(): its QMP
 * client, timers and migration channels are gone before it returns.
 *
 * The parts: every hook of the target, the proxy and the QMP client turns what it saw into one
 * observation (observe.h), written to the timeline once and offered to the one trigger matcher
 * (trigger.h); lines.c runs the schedule's lines; settle.c decides when to ask the target whether it has
 * settled; this file starts and ends the trial and turns deaths and deadlines into verdicts. */
#include "trial.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mono.h"
#include "props.h"
#include "trial_internal.h"
#include "units.h"
#include "vocab_target.h"

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
    t->r->unstarted = !t->ready;
    t->done = true;
    event_base_loopbreak(t->env->base);
}

void trial_miss(struct trial *t, const struct line_state *ls, bool expected, const char *fmt, ...)
{
    char what[200];
    int n = snprintf(what, sizeof what, "line %d: ", ls->line->line ? ls->line->line : (int)ls->index + 1);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what + n, sizeof what - (size_t)n, fmt, ap);
    va_end(ap);
    timeline_add(t->tl, TL_NOTE, "%s: %s", expected ? "never fired (as expected)" : "not as written", what);
    if (t->r->nmisses < TRIAL_MAX_MISSES) {
        struct trial_miss *m = &t->r->misses[t->r->nmisses];
        m->expected = expected;
        snprintf(m->what, sizeof m->what, "%s", what);
    }
    t->r->nmisses++;
}

bool trial_result_exercised(const struct trial_result *r)
{
    for (unsigned i = 0; i < r->nmisses && i < TRIAL_MAX_MISSES; i++)
        if (!r->misses[i].expected)
            return false;
    return r->nmisses <= TRIAL_MAX_MISSES;
}

bool trial_result_migrated(const struct trial_result *r)
{
    for (size_t i = 0; r->timeline && i < timeline_count(r->timeline); i++) {
        const struct tl_entry *e = timeline_get(r->timeline, i);
        if (e->kind == TL_QMP_IN && e->code == ACT_MIGRATE && e->arg == TL_ACCEPTED)
            return true;
    }
    return false;
}

/* ---- observations ---- */

static void quiet_arm(struct trial *t, uint64_t in_us)
{
    struct timeval tv = mono_tv(in_us);
    evtimer_add(t->quiet, &tv);
}

/* The wire went quiet: a migration into the sink that waits for an answer is looked at now, not at the
 * running probe's next turn (up to PROBE_RUNNING_US later). Bytes that moved meanwhile put it off; one
 * timer per trial, re-armed at most once per HANG_WIRE_QUIET_US while they flow. */
static void on_quiet(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct trial *t = arg;
    if (t->done || t->winding)
        return;
    uint64_t quiet_us = mono_now_us() - t->last_bytes_us;
    if (quiet_us < HANG_WIRE_QUIET_US)
        quiet_arm(t, HANG_WIRE_QUIET_US - quiet_us);
    else if (hang_wire_quiet(t))
        settle_poke(t->settle);
}

void trial_observe(struct trial *t, const struct obs *o)
{
    if (t->done)
        return;
    if (t->winding) { /* the trial is decided: what the target does now is qmprace's doing, not the schedule's */
        if (o->kind == OBS_EVENT && o->status >= 0)
            settle_status(t->settle, o->status);
        return;
    }
    if (o->kind == OBS_CHAN_BYTES) {
        t->last_bytes_us = mono_now_us();
        if (!evtimer_pending(t->quiet, NULL) && !target_upstream(t->env->target))
            quiet_arm(t, HANG_WIRE_QUIET_US);
    }
    /* the trace points of qmprace's own queries (the settle check's, the properties') are not the race's */
    bool ours = o->kind == OBS_TRACE && (settle_hides_trace(t->settle, o->name) ||
                                         (t->finals && (strstr(o->name, "_query_migrate_") ||
                                                        strstr(o->name, "_query_status"))));
    if (!ours) {
        obs_record(t->tl, o);
        t->last_seen_us = mono_now_us();
    }
    if (!ours && o->kind == OBS_TRACE)
        settle_trace(t->settle);
    /* what the target did before the schedule started (greeting a fresh one, setting a reused one back)
     * is in the timeline, but no line of the schedule reacts to it */
    if (!t->ready || (o->mono_us && o->mono_us < t->ready_us))
        return;
    size_t n;
    const struct trigger_fire *f = triggers_offer(t->triggers, o, &n);
    for (size_t i = 0; i < n; i++)
        lines_fire(t, f[i].line, f[i].delay_us);
    if (o->kind == OBS_EVENT && o->status >= 0)
        settle_status(t->settle, o->status);
}

/* Hooks that may be called between trials (the target and the proxy live across them) observe only
 * while a trial runs. */
struct trial *trial_current(void *env_arg)
{
    struct trial_env *env = env_arg;
    return env->cur && !env->cur->done ? env->cur : NULL;
}

/* ---- settling ---- */

static bool settle_quiet(void *arg)
{
    struct trial *t = arg;
    return t->ready && !t->done && (t->winding || lines_quiet(t));
}

/* The properties (props.h), over what the trial saw and what the target says now: a pass or a violation. */
static void judge(struct trial *t)
{
    struct prop_facts f = {t->tl,
                           settle_last_migrate(t->settle),
                           t->final_caps,
                           t->final_params,
                           t->accepted_caps,
                           t->accepted_params,
                           t->events_gap,
                           t->final_status,
                           t->dest_running,
                           target_caps(t->env->target).dest_modelled};
    char sig[400], full[450], why[700];
    if (!props_check(t->props, &f, sig, sizeof sig, why, sizeof why)) {
        finish(t, VERDICT_PASS, 0, NULL);
        return;
    }
    timeline_add(t->tl, TL_NOTE, "property violated: %s", why);
    snprintf(full, sizeof full, VERDICT_VIOLATION_PREFIX "%s", sig);
    finish(t, VERDICT_VIOLATION, 0, full);
}

static void on_final(void *arg, const struct qmp_reply *r, json_object **slot)
{
    struct trial *t = arg;
    if (t->done || r->lost)
        return;
    if (!r->timed_out && !r->error_class)
        *slot = json_object_get(r->ret);
    if (--t->finals == 0)
        judge(t);
}

static void on_final_caps(void *arg, const struct qmp_reply *r)
{
    on_final(arg, r, &((struct trial *)arg)->final_caps);
}

static void on_final_params(void *arg, const struct qmp_reply *r)
{
    on_final(arg, r, &((struct trial *)arg)->final_params);
}

static void on_final_status(void *arg, const struct qmp_reply *r)
{
    on_final(arg, r, &((struct trial *)arg)->final_status);
}

static void on_dest_running(void *arg, int running)
{
    struct trial *t = arg;
    if (t->done)
        return;
    t->dest_running = running;
    if (running < 0)
        timeline_add(t->tl, TL_NOTE, "the destination QEMU was still loading the migration: one-vm not checked");
    if (--t->finals == 0)
        judge(t);
}

static void wind_end(struct trial *t, bool settled, const char *why);

static void settle_done(void *arg)
{
    struct trial *t = arg;
    if (t->winding) {
        wind_end(t, true, NULL);
        return;
    }
    lines_unfired(t, false);
    /* What the properties read at the end, and only that (7.2's monitor reads a command a byte per turn
     * of its loop: three queries took 4 ms of a 23 ms trial): settings-kept the capabilities, and the
     * parameters, QEMU has now when the trial set any of them; one-vm where the guest runs, when there is
     * a destination that could run it too (a real or modelled one: into the sink it never can). The count
     * holds one more until every question is out, so no reply can judge the trial before the last one
     * is asked. */
    bool settings = t->props & (1u << PROP_SETTINGS_KEPT);
    bool status = (t->props & (1u << PROP_ONE_VM)) &&
                  (target_caps(t->env->target).dest_modelled || target_upstream(t->env->target));
    t->finals = 1;
    t->dest_running = -1;
    if (settings && json_object_object_length(t->accepted_caps))
        t->finals += qmp_send(t->q, "query-migrate-capabilities", NULL, 0, on_final_caps, t) != 0;
    if (settings && json_object_object_length(t->accepted_params))
        t->finals += qmp_send(t->q, "query-migrate-parameters", NULL, 0, on_final_params, t) != 0;
    if (status) {
        t->finals += qmp_send(t->q, "query-status", NULL, 0, on_final_status, t) != 0;
        t->finals += target_dest_running(t->env->target, on_dest_running, t) == 0;
    }
    if (--t->finals == 0)
        judge(t);
}

/* ---- QMP hooks ---- */

static void start_schedule(struct trial *t)
{
    t->ready = true;
    t->ready_us = mono_now_us();
    /* the deadline is the schedule's: it counts from here, not from a VMM still starting (a fresh QEMU
     * after a hang takes longer to greet than a short deadline, on a busy machine) */
    struct timeval tv = mono_tv(t->deadline_us);
    evtimer_add(t->deadline, &tv);
    lines_start(t);
    settle_poke(t->settle);
}

static void on_restored(void *arg, const struct qmp_reply *r)
{
    struct trial *t = arg;
    if (t->done || r->lost)
        return;
    if (r->timed_out || r->error_class) {
        timeline_add(t->tl, TL_NOTE, "could not give the reused QEMU a fresh one's settings: %s",
                     r->error_desc ? r->error_desc : "no reply");
        target_restore_failed(t->env->target);
    }
    if (--t->restoring == 0)
        start_schedule(t);
}

static void on_ready(void *arg, json_object *greeting)
{
    struct trial *t = arg;
    int major, minor, micro;
    const char *pkg;
    vocab_greeting_version(greeting, &major, &minor, &micro, &pkg);
    timeline_add(t->tl, TL_NOTE, "QMP ready: QEMU %d.%d.%d%s%s", major, minor, micro, pkg && *pkg ? " " : "",
                 pkg ? pkg : "");
    json_object *cmds;
    enum target_restore restore = target_restore(t->env->target, &cmds);
    if (restore == TARGET_UNCHANGED)
        timeline_add(t->tl, TL_NOTE, "reused QEMU: nothing to set back");
    if (restore == TARGET_FRESH && target_warmed(t->env->target))
        timeline_add(t->tl, TL_NOTE,
                     "a spare QEMU, started ahead and warmed up by one migration, replaced the last one");
    if (restore == TARGET_SET_BACK) {
        /* a reused QEMU keeps what the last trial left: set that back to a fresh one's first, so each
         * trial starts where a new QEMU would (and a fuzzer sees the same input behave the same) */
        char names[160] = "";
        size_t n = json_object_array_length(cmds), off = 0;
        t->restoring = (int)n;
        for (size_t i = 0; i < n; i++) {
            json_object *c = json_object_array_get_idx(cmds, i), *exe = NULL, *args = NULL;
            json_object_object_get_ex(c, "execute", &exe);
            json_object_object_get_ex(c, "arguments", &args);
            const char *name = json_object_get_string(exe);
            if (off < sizeof names)
                off += (size_t)snprintf(names + off, sizeof names - off, "%s%s", i ? ", " : "", name);
            if (!qmp_send(t->q, name, json_object_get(args), 0, on_restored, t)) {
                t->restoring -= (int)(n - i); /* the replies of what was sent still come; none start it */
                timeline_add(t->tl, TL_NOTE, "%s not sent to the reused QEMU: QMP is not connected", name);
                target_restore_failed(t->env->target);
                break;
            }
        }
        json_object_put(cmds);
        if (t->restoring > 0) {
            timeline_add(t->tl, TL_NOTE, "reused QEMU: what the last trial left set back to a fresh one's (%s)",
                         names);
            return;
        }
        t->restoring = 0;
    }
    start_schedule(t);
}

static void on_event(void *arg, const char *name, json_object *data, json_object *msg)
{
    (void)msg;
    struct trial *t = arg;
    struct obs o = {.kind = OBS_EVENT, .name = name,
                    .text = data ? json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN) : NULL};
    o.status = vocab_event_status(name, data, &o.status_name);
    trial_observe(t, &o);
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
    if (t->winding) {
        wind_end(t, false, "its QMP connection ended after the reset");
        return;
    }
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

static void on_trace(void *arg, uint64_t mono_us, const char *thread, const char *event, const char *args)
{
    struct trial *t = trial_current(arg);
    if (t)
        trial_observe(t, &(struct obs){.kind = OBS_TRACE, .mono_us = mono_us, .thread = thread, .name = event,
                                       .text = args, .status = vocab_trace_status(event, args)});
}

static void on_output(void *arg, const char *line)
{
    struct trial *t = trial_current(arg);
    if (t)
        trial_observe(t, &(struct obs){.kind = OBS_OUTPUT, .text = line});
}

static void on_died(void *arg, int signo, const char *message)
{
    struct trial *t = trial_current(arg);
    if (!t)
        return;
    t->died = true;
    if (t->winding) {
        char why[300];
        snprintf(why, sizeof why, "it ended (%s) after the reset", message ? message : signo > 0 ? "a signal" : "exit");
        wind_end(t, false, why);
        return;
    }
    if (!t->ready) {
        /* Before its QMP greeting: the target did not start (bad arguments, missing firmware...). */
        finish_error(t, "the target ended before its QMP monitor was ready: %s",
                     message ? message : signo > 0 ? "killed by a signal" : "it exited");
        return;
    }
    trial_observe(t, &(struct obs){.kind = OBS_DEATH, .signo = signo > 0 ? signo : 0, .text = message});
    if (signo <= 0) {
        lines_unfired(t, false);
        finish(t, VERDICT_PASS, 0, NULL);
        return;
    }
    char signature[512];
    verdict_signature(signo, message, signature, sizeof signature);
    finish(t, VERDICT_CRASH, signo, signature);
}

static void on_thread(void *arg, const char *thread, bool held)
{
    struct trial *t = trial_current(arg);
    if (!t)
        return;
    trial_observe(t, &(struct obs){.kind = OBS_HOLD, .name = thread, .held = held});
    /* a freeze that ends may leave the trial held still by its stalls alone: a hang to judge now */
    if (!held && !t->done)
        settle_poke(t->settle);
}

/* ---- one trial ---- */

/* How long a wound-down target may take to settle before it is replaced after all: a reset migration
 * fails and cleans up in a few milliseconds; one that does not within this will not (7.2's deadlocks). */
#define WIND_DOWN_US 150000
/* Where hangs are quick (the hunt's harness) a target that has not settled by this is replaced sooner: 39
 * wind-downs of a hunt's hangs settled in 1.7 to 4.5 ms on 7.2, and the harness's replacement is a warmed
 * spare (target_keep_spare), so waiting longer costs more than a replacement that was not needed. */
#define WIND_DOWN_QUICK_US 50000

static uint64_t wind_down_us(const struct trial *t)
{
    return t->quick_hangs ? WIND_DOWN_QUICK_US : WIND_DOWN_US;
}

/* A hang that is no finding (what the schedule holds, a command it never sends, a sink that never
 * answers) says nothing against the target: rather than replace it (a new QEMU, and a first migration
 * that is slower), reset every channel, which fails its migration, and let it settle. The verdict is
 * decided; what the target does meanwhile is not the schedule's and is not observed. */
static bool wind_down(struct trial *t, const char *sig)
{
    if (verdict_hang_is_finding(sig) || t->died || !lines_quiet(t) || !target_keeps(t->env->target))
        return false;
    t->winding = true;
    snprintf(t->wind_sig, sizeof t->wind_sig, "%s", sig);
    evtimer_del(t->deadline);
    /* A migration that waits for a command (pre-switchover) touches no channel until it comes: a reset
     * alone left it waiting, and the QEMU was replaced 150 ms later. A cancel lets it go (QEMU's cancel
     * posts the pause it waits on), to fail and clean up as the reset's migration would. COLO's primary
     * waits for a failover after the reset: x-colo-lost-heartbeat asks for it, and the migration
     * completes (the guest runs on). */
    int code = settle_migrate_status(t->settle);
    const char *release = code >= 0 ? vocab_status_release_command((enum mig_status)code) : NULL;
    if (release && !vocab_target_has_command(target_vocab(t->env->target), release))
        release = NULL;
    timeline_add(t->tl, TL_NOTE, "a hang that is no finding: qmprace resets every channel%s%s and lets the target "
                                 "settle, to use it again", release ? ", sends " : "", release ? release : "");
    proxy_drop_all(t->env->proxy);
    if (release)
        qmp_send(t->q, release, NULL, 0, NULL, NULL);
    struct timeval tv = mono_tv(wind_down_us(t));
    evtimer_add(t->wind, &tv);
    settle_poke(t->settle);
    return true;
}

/* A hang's end: the violation seen before it (hang_now), else the hang under `sig`. */
static void hang_finish(struct trial *t, const char *sig)
{
    if (t->hang_violation[0])
        finish(t, VERDICT_VIOLATION, 0, t->hang_violation);
    else
        finish(t, VERDICT_HANG, 0, sig);
}

static void wind_end(struct trial *t, bool settled, const char *why)
{
    if (t->done)
        return;
    t->wound_down = settled;
    if (settled)
        timeline_add(t->tl, TL_NOTE, "the target settled after the reset: it serves the next trial");
    else
        timeline_add(t->tl, TL_NOTE, "the target is replaced: %s", why);
    hang_finish(t, t->wind_sig);
}

static void on_wind(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    char why[96], dur[32];
    units_format_duration(wind_down_us(arg), dur, sizeof dur);
    snprintf(why, sizeof why, "it did not settle within %s of the reset", dur);
    wind_end(arg, false, why);
}

/* When the statuses the trial saw already broke QEMU's status machine (status-machine, props.h), that is
 * harm done whatever came after, and the hang's verdict (t->hang_violation). On 7.2 a `migrate` refused
 * during COLO ("duplicate yank instance") has set the status from colo back to setup first, and the
 * migration then waits for good: judged only once settled, which it never is, that was a hang into the
 * sink and no finding. */
static void hang_broke_machine(struct trial *t)
{
    char sig[400], why[700];
    if (!(t->props & (1u << PROP_STATUS_MACHINE)) ||
        !props_check(1u << PROP_STATUS_MACHINE, &(struct prop_facts){.tl = t->tl, .dest_running = -1}, sig, sizeof sig,
                     why, sizeof why))
        return;
    timeline_add(t->tl, TL_NOTE, "property violated before the hang: %s", why);
    snprintf(t->hang_violation, sizeof t->hang_violation, VERDICT_VIOLATION_PREFIX "%s", sig);
}

/* The trial's end as a hang: what it never did, and why it did not end, before the target is replaced
 * (or wound down, when the hang is no finding). A hang that is no finding, after statuses that broke the
 * status machine, ends as that violation (a hang of QEMU's own stays the finding: its stacks say more). */
static void hang_now(struct trial *t)
{
    lines_unfired(t, true); /* a hang says what it never did, as a pass does */
    char sig[sizeof t->wind_sig]; /* a result's signature holds no more */
    hang_signature(t, sig, sizeof sig);
    if (!verdict_hang_is_finding(sig))
        hang_broke_machine(t);
    if (!wind_down(t, sig))
        hang_finish(t, sig);
}

/* The command the migration waits for in `status` was accepted after its last MIGRATION event of that
 * status (a recovery, which has no single name, never counts). */
static bool awaited_accepted(const struct trial *t, int status)
{
    const char *cmd = vocab_status_awaited_command((enum mig_status)status);
    size_t n = cmd ? strlen(cmd) : 0;
    bool entered = false, accepted = false;
    for (size_t i = 0; cmd && i < timeline_count(t->tl); i++) {
        const struct tl_entry *e = timeline_get(t->tl, i);
        if (e->kind == TL_EVENT && e->code == status && strncmp(e->text, "MIGRATION ", 10) == 0)
            entered = true, accepted = false;
        else if (entered && e->kind == TL_QMP_IN && e->arg == TL_ACCEPTED && strncmp(e->text, cmd, n) == 0 &&
                 e->text[n] == ' ')
            accepted = true;
    }
    return accepted;
}

/* Quiet, and the migration waits by design for a command no line will send: it would wait out the
 * deadline (the hang's reason says so: waits for a command), so the trial ends as that hang now. */
static bool settle_awaits(void *arg, int status)
{
    struct trial *t = arg;
    if (t->winding)
        return false;
    /* query-migrate can answer before the status's MIGRATION event has come: a line that reacts to that
     * event is still to run (seen on 7.2: `on pre-switchover` judged never fired, 1 trial in 6). Once:
     * an event that does not come (events off) must not keep the trial from its hang. */
    if (triggers_wait_status(t->triggers, status) && !t->awaits_deferred) {
        t->awaits_deferred = true;
        timeline_add(t->tl, TL_NOTE, "the migration is in %s, and a line waits for its event: probing again",
                     vocab_status_name((enum mig_status)status));
        return false;
    }
    /* ... and query-migrate can answer pre-switchover just after migrate-continue was accepted, before
     * the migration thread moved on (seen once in ctest, under load): it waits for nothing then. The
     * deadline still ends a migration that stays. */
    if (awaited_accepted(t, status)) {
        timeline_add(t->tl, TL_NOTE, "the migration is in %s, but what it waits for was accepted: probing again",
                     vocab_status_name((enum mig_status)status));
        return false;
    }
    timeline_add(t->tl, TL_NOTE, "nothing left of the schedule, and the migration waits for a command: a hang now, "
                                 "not at the deadline");
    hang_now(t);
    return true;
}

static bool settle_held(void *arg)
{
    struct trial *t = arg;
    return !t->winding && (hang_holds_to_end(t) || hang_wire_quiet(t));
}

/* Quiet, and still for a reason that the deadline would find as a hang that is no finding (what the
 * schedule stalls to its end, or a sink that never answers the return path): that hang, now. */
static bool settle_stuck(void *arg, int status, uint64_t still_since_us)
{
    struct trial *t = arg;
    if (t->winding)
        return false;
    if (hang_held_still(t, status, still_since_us))
        timeline_add(t->tl, TL_NOTE, "nothing left of the schedule, and what it stalls to the end holds the "
                                     "migration still: a hang now, not at the deadline");
    else if (hang_sink_still(t, status, still_since_us))
        timeline_add(t->tl, TL_NOTE, "nothing left of the schedule, and the migration waits for the sink to answer "
                                     "(a return path), which it never does: a hang now, not at the deadline");
    else if (hang_own_still(t))
        timeline_add(t->tl, TL_NOTE, "nothing left of the schedule, the target did nothing for a while, and two "
                                     "looks at its threads found them blocked in the same places: a hang now, "
                                     "not at the deadline");
    else
        return false;
    hang_now(t);
    return true;
}

static void unanswered_arm(struct trial *t, uint64_t in_us)
{
    struct timeval tv = mono_tv(in_us);
    evtimer_add(t->unanswered, &tv);
}

/* A command (a line's, or the settle probe's) has waited for its answer while nothing happened: the looks
 * of hang_own_unanswered, each when it may be taken, until the answer comes, the trial ends or no look is
 * left. Only where hangs are quick (the hunt's harness): elsewhere the deadline decides, as it always did. */
static void on_unanswered(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct trial *t = arg;
    if (t->done || t->winding || !hang_own_awaits(t))
        return;
    uint64_t next = hang_own_next_look_us(t);
    if (next > 1) {
        unanswered_arm(t, next);
        return;
    }
    if (!next)
        return;
    if (hang_own_unanswered(t)) {
        timeline_add(t->tl, TL_NOTE, "a command stayed unanswered (the schedule's or the settle probe's), the "
                                     "target did nothing for a while, and two looks at its threads found them "
                                     "blocked in the same places: a hang now, not at the deadline");
        hang_now(t);
        return;
    }
    /* (a look not taken, held back by a stall or a frozen thread, is tried again as long after, not at once) */
    if ((next = hang_own_next_look_us(t)) != 0)
        unanswered_arm(t, next > HANG_OWN_QUIET_US ? next : HANG_OWN_QUIET_US);
}

/* the settle probe asked: the same timer, for a main loop that never answers it */
static void settle_asked(void *arg)
{
    trial_answer_awaited(arg);
}

void trial_answer_awaited(struct trial *t)
{
    uint64_t next = t->quick_hangs && !t->done && !t->winding ? hang_own_next_look_us(t) : 0;
    if (next && !evtimer_pending(t->unanswered, NULL))
        unanswered_arm(t, next);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct trial *t = arg;
    if (!t->ready) {
        /* A target that never talks QMP could not be started or reached: an error, not a verdict. */
        char dl[32], msg[96];
        units_format_duration(t->deadline_us > TRIAL_START_US ? t->deadline_us : TRIAL_START_US, dl, sizeof dl);
        snprintf(msg, sizeof msg, "no QMP greeting from the target within %s", dl);
        finish_error(t, "%s", msg);
        return;
    }
    hang_now(t);
}

void trial_result_clear(struct trial_result *r)
{
    timeline_free(r->timeline);
    memset(r, 0, sizeof *r);
}

/* Everything a trial needs before the target is asked to begin; -1 when memory runs out. */
static int trial_setup(struct trial *t)
{
    struct event_base *base = t->env->base;
    struct qmp_hooks qh = {.ready = on_ready, .event = on_event, .closed = on_closed, .arg = t};
    t->deadline = evtimer_new(base, on_deadline, t);
    t->grace = evtimer_new(base, on_grace, t);
    t->wind = evtimer_new(base, on_wind, t);
    t->quiet = evtimer_new(base, on_quiet, t);
    t->unanswered = evtimer_new(base, on_unanswered, t);
    t->q = qmp_new(base, &qh, NULL);
    t->triggers = triggers_new(t->s);
    t->accepted_caps = json_object_new_object();
    t->accepted_params = json_object_new_object();
    struct settle_hooks sh = {.quiet = settle_quiet, .settled = settle_done, .awaits = settle_awaits,
                              .stuck = settle_stuck, .held = settle_held, .asked = settle_asked, .arg = t};
    t->settle = t->q ? settle_new(base, t->env->target, t->q, t->tl, &sh) : NULL;
    if (!t->tl || lines_init(t) < 0 || !t->deadline || !t->grace || !t->wind || !t->quiet || !t->unanswered || !t->q ||
        !t->triggers || !t->settle || !t->accepted_caps || !t->accepted_params)
        return -1;
    return 0;
}

static void trial_teardown(struct trial *t)
{
    hang_forget_stacks(t);
    lines_free(t);
    if (t->deadline)
        event_free(t->deadline);
    if (t->grace)
        event_free(t->grace);
    if (t->wind)
        event_free(t->wind);
    if (t->quiet)
        event_free(t->quiet);
    if (t->unanswered)
        event_free(t->unanswered);
    settle_free(t->settle);
    triggers_free(t->triggers);
    qmp_free(t->q);
    json_object_put(t->accepted_caps);
    json_object_put(t->accepted_params);
    json_object_put(t->final_caps);
    json_object_put(t->final_params);
    json_object_put(t->final_status);
}

int trial_run(struct trial_env *env, const struct schedule *s, const struct trial_options *opt,
              struct trial_result *r, struct err *e)
{
    memset(r, 0, sizeof *r);
    if (env->interrupted)
        return TRIAL_INTERRUPTED;
    uint64_t deadline = opt && opt->deadline_us ? opt->deadline_us : TRIAL_DEFAULT_DEADLINE_US;
    uint64_t t0 = mono_now_us();
    struct trial t = {.env = env, .s = s, .r = r, .e = e, .deadline_us = deadline, .tl = timeline_new(t0, 0),
                      .props = PROPS_ALL & ~(opt ? opt->props_off : 0u), .quick_hangs = opt && opt->quick_hangs};
    if (trial_setup(&t) < 0) {
        t.rc = err_set(e, "out of memory");
        goto out;
    }
    env->cur = &t;
    char dl[32];
    units_format_duration(deadline, dl, sizeof dl);
    timeline_add(t.tl, TL_NOTE, "trial of %s on %s (deadline %s, migrate to %s)", s->name ? s->name : "schedule",
                 target_spec(env->target), dl, proxy_uri(env->proxy));
    const char *warning = target_warning(env->target);
    if (warning)
        timeline_add(t.tl, TL_NOTE, "note: %s", warning);
    struct target_hooks th = {on_trace, on_output, on_died, on_thread, env};
    /* The target may bring its own destination for this trial; else the channels go to the sink, and
     * the proxy throws away what the sink would. */
    const char *upstream = NULL;
    if (target_begin(env->target, env->base, &th, t.q, e) < 0 ||
        proxy_set_upstream(env->proxy, (upstream = target_upstream(env->target)) ? upstream : sink_addr(env->sink),
                           e) < 0) {
        timeline_add(t.tl, TL_NOTE, "error: %s", e->msg);
        t.rc = -1;
        r->unstarted = true;
        goto out;
    }
    proxy_set_discard(env->proxy, !upstream);
    /* until the target greets (and a reused one has its settings back): the start's own bound; then
     * start_schedule arms the trial's deadline */
    struct timeval tv = mono_tv(deadline > TRIAL_START_US ? deadline : TRIAL_START_US);
    evtimer_add(t.deadline, &tv);
    /* EVLOOP_ONCE in a loop, not one dispatch: the base also carries the proxy, the sink and signal
     * events that never end, so only `done` says the trial is over. The deadline timer keeps the base
     * from ever being empty. */
    while (!t.done && !env->interrupted)
        event_base_loop(env->base, EVLOOP_ONCE);
out:
    env->cur = NULL;
    r->duration_us = mono_now_us() - t0;
    trial_teardown(&t);
    proxy_drop_all(env->proxy);
    sink_drop_all(env->sink);
    /* a violation settled too: the target is as reusable as after a pass, and so is one wound down (a
     * violation seen before a hang is as reusable as the hang) */
    target_end(env->target, t.rc == 0 && !env->interrupted &&
                                (r->verdict == VERDICT_PASS || (r->verdict == VERDICT_VIOLATION && !t.hang_violation[0]) ||
                                 t.wound_down));
    r->timeline = t.tl;
    if (env->interrupted) {
        trial_result_clear(r);
        return TRIAL_INTERRUPTED;
    }
    return t.rc;
}
