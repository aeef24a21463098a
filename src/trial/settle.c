/* settle: the timing of settle probes (see settle.h); what a probe asks is the target's business. */
#include "settle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mono.h"
#include "vocab.h"

#define PROBE_FIRST_US 200
#define PROBE_MAX_US 20000
/* While MIGRATION events say a migration is running, the event that ends it will wake the probe; until
 * then a slow probe only guards against a lost event. Fewer probes, less perturbation of the race. */
#define PROBE_RUNNING_US 50000

struct settle {
    struct target *target;
    struct timeline *tl;
    struct settle_hooks hooks;
    struct target_settle_check check;
    bool probing; /* a check is under way */
    struct event *timer;
    uint64_t backoff_us;
    int last_status; /* -1 until a MIGRATION event said */
    int64_t transferred; /* query-migrate's ram.transferred at the last probe; -1: not said */
    int still_status;        /* ... and its status */
    uint64_t still_since_us; /* the probe that first saw that count in that status */
    char state[128];
};

static void probe(struct settle *s)
{
    if (s->probing || !s->hooks.quiet(s->hooks.arg))
        return;
    s->probing = true;
    if (target_settle_start(s->target, &s->check) < 0)
        s->probing = false;
    else if (s->hooks.asked)
        s->hooks.asked(s->hooks.arg);
}

bool settle_probing(const struct settle *s)
{
    return s->probing;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    probe(arg);
}

static bool still_wanted(void *arg)
{
    struct settle *s = arg;
    if (s->hooks.quiet(s->hooks.arg))
        return true;
    /* a triggered line started meanwhile; its end will probe again */
    s->probing = false;
    return false;
}

/* Whether QEMU's own count of what it sent moved since the last probe: a migration blocked on a socket
 * nobody reads keeps the same count. A status without a count (setup: nothing is sent yet) is still for
 * as long as it stays: the proxy's quiet and the stacks say the rest (hang.c). */
static void note_transferred(struct settle *s, int code)
{
    json_object *ram, *tr;
    int64_t now = -1;
    if (s->check.migrate && json_object_object_get_ex(s->check.migrate, "ram", &ram) &&
        json_object_object_get_ex(ram, "transferred", &tr))
        now = json_object_get_int64(tr);
    if (now != s->transferred || code != s->still_status || !s->still_since_us)
        s->still_since_us = mono_now_us();
    s->transferred = now;
    s->still_status = code;
}

static void on_answer(void *arg, enum target_settled answer, const char *state)
{
    struct settle *s = arg;
    s->probing = false;
    if (answer == TARGET_SETTLED) {
        /* What the target said before this answer is read first; it may start a line (`on trace`), whose
         * end probes again. */
        target_drain(s->target);
        if (!s->hooks.quiet(s->hooks.arg))
            return;
        timeline_add(s->tl, TL_NOTE, "settled: %s", state);
        s->hooks.settled(s->hooks.arg);
        return;
    }
    if (strcmp(state, s->state) != 0) {
        snprintf(s->state, sizeof s->state, "%s", state);
        timeline_add(s->tl, TL_NOTE, "settling: %s", state);
    }
    int code = settle_migrate_status(s);
    note_transferred(s, code);
    if (s->hooks.stuck && code >= 0 && s->hooks.quiet(s->hooks.arg) &&
        s->hooks.stuck(s->hooks.arg, code, s->still_since_us))
        return;
    if (code >= 0 && vocab_status_awaited_command((enum mig_status)code) && s->hooks.awaits) {
        target_drain(s->target); /* as for a pass: what it said first may start a line */
        if (s->hooks.quiet(s->hooks.arg) && s->hooks.awaits(s->hooks.arg, code))
            return;
    }
    bool running = s->last_status >= 0 && vocab_status_is_running((enum mig_status)s->last_status);
    /* held: nothing of the schedule is left to race with, so probing faster perturbs nothing */
    bool held = running && s->hooks.held && s->hooks.held(s->hooks.arg);
    struct timeval tv = mono_tv(held ? SETTLE_PROBE_HELD_US : running ? PROBE_RUNNING_US : s->backoff_us);
    evtimer_add(s->timer, &tv);
    s->backoff_us = s->backoff_us * 2 > PROBE_MAX_US ? PROBE_MAX_US : s->backoff_us * 2;
}

struct settle *settle_new(struct event_base *base, struct target *target, struct qmp *q, struct timeline *tl,
                          const struct settle_hooks *hooks)
{
    struct settle *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->timer = evtimer_new(base, on_timer, s);
    if (!s->timer) {
        free(s);
        return NULL;
    }
    s->target = target;
    s->tl = tl;
    s->hooks = *hooks;
    s->check = (struct target_settle_check){.q = q, .done = on_answer, .wanted = still_wanted, .arg = s};
    s->last_status = -1;
    s->transferred = -1;
    s->still_status = -1;
    return s;
}

void settle_free(struct settle *s)
{
    if (!s)
        return;
    event_free(s->timer);
    json_object_put(s->check.migrate);
    free(s);
}

void settle_poke(struct settle *s)
{
    if (s->probing)
        return;
    if (evtimer_pending(s->timer, NULL)) {
        /* A probe armed at the slow interval while the schedule still ran would keep a trial that is now
         * held (nothing of it left, the migration stalled to the end) waiting up to PROBE_RUNNING_US for
         * its first look; held, nothing is left to perturb, so look now. */
        if (!(s->hooks.held && s->hooks.held(s->hooks.arg)))
            return;
        evtimer_del(s->timer);
    }
    s->backoff_us = PROBE_FIRST_US;
    probe(s);
}

void settle_status(struct settle *s, int status)
{
    s->last_status = status;
    /* A status that ends the migration, or one in which it waits for a command (which the trial may
     * never send): the probe need not wait for its back-off. */
    if ((!vocab_status_is_running((enum mig_status)status) || vocab_status_awaited_command((enum mig_status)status)) &&
        !s->probing && evtimer_pending(s->timer, NULL)) {
        evtimer_del(s->timer);
        s->backoff_us = PROBE_FIRST_US;
        probe(s);
    }
}

void settle_trace(struct settle *s)
{
    /* Once the migration ended, a trace point is its cleanup at work: look again shortly, not at the
     * back-off's next step (a cleanup that ended 3 ms after the last probe was noticed 3 ms later). Only
     * while the trial is quiet does a probe go out at all: nothing of the schedule is left to perturb. */
    if (s->last_status < 0 || vocab_status_is_running((enum mig_status)s->last_status) || s->probing ||
        !evtimer_pending(s->timer, NULL))
        return;
    evtimer_del(s->timer);
    s->backoff_us = PROBE_FIRST_US;
    struct timeval tv = mono_tv(PROBE_FIRST_US);
    evtimer_add(s->timer, &tv);
}

json_object *settle_last_migrate(const struct settle *s)
{
    return s->check.migrate;
}

int settle_migrate_status(const struct settle *s)
{
    json_object *st = NULL;
    const char *status = json_object_object_get_ex(s->check.migrate, "status", &st) ? json_object_get_string(st) : NULL;
    return status ? vocab_status_parse(status, strlen(status)) : -1;
}

const char *settle_state(const struct settle *s)
{
    return s->state;
}

bool settle_hides_trace(const struct settle *s, const char *event)
{
    const char *cmd = s->check.in_flight;
    if (!cmd)
        return false;
    /* QEMU's trace point names spell the command with '_' for '-': qmp_enter_query_migrate */
    const char *rest = strncmp(event, "qmp_enter_", 10) == 0 ? event + 10
                       : strncmp(event, "qmp_exit_", 9) == 0 ? event + 9
                                                             : NULL;
    if (!rest)
        return false;
    size_t i = 0;
    for (; cmd[i] && rest[i]; i++)
        if (rest[i] != (cmd[i] == '-' ? '_' : cmd[i]))
            return false;
    return !cmd[i] && !rest[i];
}
