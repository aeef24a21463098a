/* props: the properties a settled trial is held to (see props.h). Each check reads the facts and writes
 * a signature only when its property is violated. */
#include "props.h"

#include <stdio.h>
#include <string.h>

#include "vocab.h"

#define SEQ_MAX 64

static bool terminal(int s)
{
    return s == MIG_COMPLETED || s == MIG_FAILED || s == MIG_CANCELLED;
}

bool props_transition_allowed(int from, int to)
{
    if (from < 0 || to < 0)
        return true; /* a status this build has and qmprace does not know: nothing to hold it to */
    /* A new migration: migrate_init() resets the status to none without a word, then sets setup. */
    if (to == MIG_SETUP)
        return from == MIG_NONE || terminal(from);
    /* failed (and the fix's failing) are set by each thread that meets the error: it comes twice; a second
     * migrate_cancel sets cancelling again (migrate_set_state(cancelling, cancelling) succeeds and says so) */
    if (from == to)
        return to == MIG_FAILED || to == MIG_FAILING || to == MIG_CANCELLING;
    switch (from) {
    case MIG_NONE:
    case MIG_COMPLETED:
    case MIG_FAILED:
    case MIG_CANCELLED:
        return false; /* only a new migration leaves them */
    case MIG_CANCELLING:
        return to == MIG_CANCELLED || to == MIG_FAILED;
    case MIG_FAILING:
        return to == MIG_FAILED || to == MIG_CANCELLING; /* migration_cancel() moves any running status */
    default:
        break;
    }
    /* from a running status: anywhere but back to none or straight to cancelled (a cancel goes through
     * cancelling); completion only once the migration has run (not from setup or wait-unplug) */
    if (to == MIG_NONE || to == MIG_CANCELLED)
        return false;
    if (to == MIG_COMPLETED)
        return from != MIG_SETUP && from != MIG_WAIT_UNPLUG;
    return true;
}

/* The statuses the trial saw, in order: QEMU's own migrate_set_state trace points where the target reports
 * them (they are every change), else the MIGRATION events. */
static size_t statuses(const struct timeline *tl, int *seq, bool *from_events)
{
    size_t n = 0, ntrace = 0;
    for (size_t i = 0; i < timeline_count(tl); i++) {
        const struct tl_entry *e = timeline_get(tl, i);
        if (e->kind == TL_TRACE && e->code == TRACE_MIGRATE_SET_STATE && e->arg >= 0 && ntrace < SEQ_MAX)
            seq[ntrace++] = e->arg;
    }
    *from_events = ntrace == 0;
    if (ntrace)
        return ntrace;
    for (size_t i = 0; i < timeline_count(tl); i++) {
        const struct tl_entry *e = timeline_get(tl, i);
        if (e->kind == TL_EVENT && e->code >= 0 && strncmp(e->text, "MIGRATION ", 10) == 0 && n < SEQ_MAX)
            seq[n++] = e->code;
    }
    return n;
}

/* "a > b > c", repeats folded. */
static void seq_text(const int *seq, size_t n, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < len; i++) {
        if (i && seq[i] == seq[i - 1])
            continue;
        int w = snprintf(buf + used, len - used, "%s%s", used ? " > " : "", vocab_status_name((enum mig_status)seq[i]));
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static const char *str_member(json_object *o, const char *key)
{
    json_object *v;
    return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

static int check_machine(const int *seq, size_t n, char *sig, size_t len)
{
    for (size_t i = 1; i < n; i++)
        if (!props_transition_allowed(seq[i - 1], seq[i])) {
            snprintf(sig, len, "%s > %s", vocab_status_name((enum mig_status)seq[i - 1]),
                     vocab_status_name((enum mig_status)seq[i]));
            return 1;
        }
    return 0;
}

static int check_failure(const struct prop_facts *f, const int *seq, size_t n, char *sig, size_t len)
{
    size_t from = 0; /* the last migration's statuses */
    for (size_t i = 0; i < n; i++)
        if (seq[i] == MIG_SETUP)
            from = i;
    /* The signature starts at the failure: whether a reset landed in `setup` or in `active` is the
     * timing of one trial, not another harm, and a signature that named it split one finding in two
     * whose replays disagreed with their headers (the statuses before are in the report's `why`). */
    size_t failed_at = n;
    for (size_t i = from; i < n && failed_at == n; i++)
        if (seq[i] == MIG_FAILED || seq[i] == MIG_FAILING)
            failed_at = i;
    if (failed_at == n)
        return 0;
    const char *final = str_member(f->migrate, "status");
    if (!final && n)
        final = vocab_status_name((enum mig_status)seq[n - 1]);
    const char *error = str_member(f->migrate, "error-desc");
    bool has_error = !f->migrate || (error && *error);
    if (final && strcmp(final, "failed") == 0 && has_error)
        return 0;
    char path[300];
    seq_text(seq + failed_at, n - failed_at, path, sizeof path);
    snprintf(sig, len, "%s, ended %s%s", path, final ? final : "?",
             final && strcmp(final, "failed") == 0 ? " without its error" : "");
    return 1;
}

/* The value query-migrate-capabilities gives `name` (-1: not listed). */
static int cap_now(json_object *caps, const char *name)
{
    for (size_t i = 0; caps && json_object_is_type(caps, json_type_array) && i < json_object_array_length(caps); i++) {
        json_object *c = json_object_array_get_idx(caps, i);
        const char *n = str_member(c, "capability");
        json_object *st;
        if (n && strcmp(n, name) == 0 && json_object_object_get_ex(c, "state", &st))
            return json_object_get_boolean(st);
    }
    return -1;
}

/* A parameter's signature names it, not its values: one group per parameter however a hunt varies them
 * (the values go to `values`, for the note). */
static int check_settings(const struct prop_facts *f, char *sig, size_t len, char *values, size_t vlen)
{
    if (f->caps && f->accepted_caps) {
        json_object_object_foreach(f->accepted_caps, name, want) {
            int now = cap_now(f->caps, name);
            if (now >= 0 && now != json_object_get_boolean(want)) {
                snprintf(sig, len, "capability %s accepted %s, has %s", name, json_object_get_boolean(want) ? "on" : "off",
                         now ? "on" : "off");
                return 1;
            }
        }
    }
    if (f->params && f->accepted_params) {
        json_object_object_foreach(f->accepted_params, name, want) {
            json_object *now;
            if (json_object_object_get_ex(f->params, name, &now) && !json_object_equal(now, want)) {
                snprintf(sig, len, "parameter %s not kept", name);
                snprintf(values, vlen, "; accepted %s, has %s", json_object_to_json_string(want),
                         json_object_to_json_string(now));
                return 1;
            }
        }
    }
    return 0;
}

static int check_events(const struct prop_facts *f, char *sig, size_t len)
{
    const char *final = str_member(f->migrate, "status");
    int last = -1;
    for (size_t i = 0; i < timeline_count(f->tl); i++) {
        const struct tl_entry *e = timeline_get(f->tl, i);
        if (e->kind == TL_EVENT && e->code >= 0 && strncmp(e->text, "MIGRATION ", 10) == 0)
            last = e->code;
    }
    /* with events off, QEMU emits none: a status set meanwhile has no event, and the last one is older */
    if (f->events_gap || cap_now(f->caps, "events") == 0)
        return 0;
    if (!final || last < 0 || strcmp(final, vocab_status_name((enum mig_status)last)) == 0)
        return 0;
    snprintf(sig, len, "last event %s, query-migrate %s", vocab_status_name((enum mig_status)last), final);
    return 1;
}

/* Whether the schedule left the guest running (its own stop and cont, as QEMU accepted them): the source
 * starts running, and a migration's own stop at its completion is not the schedule's. */
static bool wanted_running(const struct timeline *tl)
{
    bool running = true;
    /* the commands awaiting their replies, in the order sent (QMP answers in that order): +1 a stop,
     * -1 a cont, 0 another */
    signed char pending[64];
    size_t head = 0, tail = 0;
    for (size_t i = 0; i < timeline_count(tl); i++) {
        const struct tl_entry *e = timeline_get(tl, i);
        if (e->kind == TL_QMP_OUT && tail - head < sizeof pending)
            pending[tail++ % sizeof pending] = !e->text                                      ? 0
                                               : strstr(e->text, "\"execute\":\"stop\"") ? 1
                                               : strstr(e->text, "\"execute\":\"cont\"") ? -1
                                                                                          : 0;
        else if (e->kind == TL_QMP_IN && head < tail) {
            signed char k = pending[head++ % sizeof pending];
            if (k && e->arg == TL_ACCEPTED)
                running = k < 0;
        }
    }
    return running;
}

static int check_one_vm(const struct prop_facts *f, char *sig, size_t len)
{
    const char *final = str_member(f->migrate, "status");
    const char *st = str_member(f->run_status, "status");
    if (!final || !st)
        return 0;
    bool completed = strcmp(final, "completed") == 0;
    if (!completed && strcmp(final, "failed") != 0 && strcmp(final, "cancelled") != 0)
        return 0; /* no migration ended */
    int dest = f->dest_running >= 0 ? f->dest_running : f->dest_modelled ? completed : -1;
    if (dest < 0)
        return 0; /* into the sink: no guest can run on the other side */
    bool src = strcmp(st, "running") == 0;
    const char *dwhere = f->dest_running >= 0 ? "the destination" : "the modelled destination";
    if (src && dest) {
        snprintf(sig, len, "both sides run the guest after %s (source %s, %s running)", final, st, dwhere);
        return 1;
    }
    if (!src && !dest && (completed || wanted_running(f->tl))) {
        snprintf(sig, len, "neither side runs the guest after %s (source %s, %s not running)", final, st, dwhere);
        return 1;
    }
    return 0;
}

int props_check(unsigned mask, const struct prop_facts *f, char *sig, size_t n, char *why, size_t nwhy)
{
    int seq[SEQ_MAX];
    bool from_events;
    size_t ns = statuses(f->tl, seq, &from_events);
    char detail[400] = "", values[200] = "";
    for (int p = 0; p < PROP_COUNT; p++) {
        if (!(mask & (1u << p)))
            continue;
        int v = 0;
        switch ((enum prop)p) {
        case PROP_STATUS_MACHINE:
            v = check_machine(seq, ns, detail, sizeof detail);
            break;
        case PROP_FAILURE_REPORTED:
            v = check_failure(f, seq, ns, detail, sizeof detail);
            break;
        case PROP_SETTINGS_KEPT:
            v = check_settings(f, detail, sizeof detail, values, sizeof values);
            break;
        case PROP_EVENTS_AGREE:
            v = check_events(f, detail, sizeof detail);
            break;
        case PROP_ONE_VM:
            v = check_one_vm(f, detail, sizeof detail);
            break;
        case PROP_COUNT:
            break;
        }
        if (v) {
            snprintf(sig, n, "%s: %s", prop_name((enum prop)p), detail);
            char path[300];
            seq_text(seq, ns, path, sizeof path);
            snprintf(why, nwhy, "%s (%s; statuses seen%s: %s%s)", prop_name((enum prop)p), prop_summary((enum prop)p),
                     from_events ? " in events" : "", ns ? path : "none", values);
            return 1;
        }
    }
    return 0;
}
