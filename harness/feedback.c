/* feedback: a trial's timeline as features for AFL++ (see feedback.h). */
#include "feedback.h"

#include <stdint.h>
#include <string.h>

#include "schedule.h"
#include "verdict.h"
#include "vocab.h"

#define NSTATUS FB_NSTATUS
#define NACT ACT_KIND_COUNT
#define NBUCKET FB_NBUCKET

struct counts {
    unsigned char n[FEEDBACK_KEYS];
};

static void bump(struct counts *c, unsigned key)
{
    if (key < FEEDBACK_KEYS && c->n[key] < 255)
        c->n[key]++;
}

/* How far from the window, in four steps: under 256 us, under 2 ms, under 8 ms, beyond. Fine enough to
 * tell "just missed" from "far off", coarse enough that scheduling jitter on a real QEMU does not move a
 * command from one bucket to another between two runs of one input (AFL++ would see unstable coverage). */
static unsigned distance_bucket(uint64_t us)
{
    return us < 256 ? 0 : us < 2000 ? 1 : us < 8000 ? 2 : 3;
}

/* The phase of the migration a command was answered in: what decides whether it is refused, without
 * the setup/active and failing/failed orders that race with replies on a real QEMU. */
static int phase_of(int s)
{
    switch (s) {
    case MIG_SETUP:
    case MIG_ACTIVE:
    case MIG_PRE_SWITCHOVER:
    case MIG_DEVICE:
    case MIG_WAIT_UNPLUG:
        return MIG_ACTIVE;
    case MIG_FAILING:
    case MIG_FAILED:
        return MIG_FAILED;
    case MIG_CANCELLING:
    case MIG_CANCELLED:
        return MIG_CANCELLED;
    default:
        return s;
    }
}

static int status_slot(int s)
{
    return s >= 0 && s < MIG_STATUS_COUNT ? s : FB_STATUS_NONE;
}

/* Which window a status opens: the migration's end (a failure, a cancel, its completion), whose cleanup
 * runs after it; -1 for any other status. Every way a migration ends, not one race's. */
static int window_of(int s)
{
    switch (s) {
    case MIG_FAILING:
    case MIG_FAILED:
        return FB_WINDOW_FAILURE;
    case MIG_CANCELLING:
    case MIG_CANCELLED:
        return FB_WINDOW_CANCEL;
    case MIG_COMPLETED:
        return FB_WINDOW_COMPLETION;
    default:
        return -1;
    }
}

struct end_window {
    int kind; /* enum fb_window; -1: the migration never ended */
    uint64_t open_us, close_us;
};

/* From the first status that ends the migration to the cleanup that follows (its trace point) or the
 * target's death; to the timeline's end when neither came. */
static struct end_window end_window(const struct timeline *tl)
{
    struct end_window w = {-1, 0, 0};
    size_t n = timeline_count(tl);
    for (size_t i = 0; i < n; i++) {
        const struct tl_entry *e = timeline_get(tl, i);
        if (w.kind < 0) {
            int k = window_of(timeline_entry_status(e));
            if (k >= 0) {
                w.kind = k;
                w.open_us = w.close_us = e->t_us;
            }
        } else if ((e->kind == TL_TRACE && e->code == TRACE_SAVEVM_STATE_CLEANUP) || e->kind == TL_DEATH) {
            w.close_us = e->t_us;
            return w;
        }
    }
    if (w.kind >= 0 && n)
        w.close_us = timeline_get(tl, n - 1)->t_us;
    return w;
}

void feedback_features(const struct trial_result *r, bool timing, void (*emit)(void *arg, unsigned key, unsigned count),
                       void *arg)
{
    struct counts c;
    memset(&c, 0, sizeof c);
    const struct timeline *tl = r->timeline;
    size_t n = timeline_count(tl);

    struct end_window w = end_window(tl);
    bool opened = w.kind >= 0;
    uint64_t open_us = w.open_us, close_us = w.close_us;
    unsigned wk = opened ? (unsigned)w.kind : 0;

    int status = -1;
    unsigned traces = 0;
    bool active_seen = false; /* commands before the migration ran say nothing about the window */
    /* What holds a window open, as steps a fuzzer can climb: a status reached while a thread is held,
     * and while the network is stalled (the writers block with data pending). */
    bool held[THR_KIND_COUNT] = {false};
    uint64_t stalled_until = 0; /* 0: not stalled; UINT64_MAX: to the end */
    /* a reset or close of stalled channels: the status it brings is the stalled writers' error, however
     * long the target takes to report it (a time bound here made the feature come and go with load) */
    bool stall_faulted = false;
    for (size_t i = 0; i < n; i++) {
        const struct tl_entry *e = timeline_get(tl, i);
        switch (e->kind) {
        case TL_EVENT:
        case TL_TRACE: {
            int s = timeline_entry_status(e);
            if (e->kind == TL_TRACE) {
                /* which of the race's trace points were hit, not how often or in which order: two
                 * multifd threads erroring in either order, once or twice, is the same state, and
                 * counting it would only make coverage unstable. Not QMP's trace points (qmp_enter_*):
                 * a command's answer is a feature already, and those of qmprace's own commands (the
                 * settle probes, setting a reused QEMU back) came or not with timing and reuse. */
                if (e->code >= 0 && e->code < TRACE_COUNT && e->code != TRACE_QMP_ENTER_MIGRATE_SET_CAPABILITIES)
                    traces |= 1u << e->code;
            }
            if (s == MIG_ACTIVE)
                active_seen = true;
            if (s >= 0 && s < MIG_STATUS_COUNT && s != status) {
                bump(&c, FB_TRANS + (unsigned)(status_slot(status) * NSTATUS + s));
                for (unsigned k = 0; k < THR_KIND_COUNT; k++)
                    if (held[k])
                        bump(&c, FB_HELD_STATUS + k * NSTATUS + (unsigned)s);
                if (stall_faulted || (stalled_until && e->t_us <= stalled_until))
                    bump(&c, FB_STALLED_STATUS + (unsigned)s);
                stall_faulted = false;
                status = s;
            }
            break;
        }
        case TL_QMP_IN:
            if (e->code >= 0 && e->code < NACT && e->arg >= 0 && e->arg <= 2) {
                bump(&c, FB_OUTCOME + (unsigned)((e->code * NSTATUS + status_slot(phase_of(status))) * 3 + e->arg));
                if (opened && active_seen) {
                    unsigned at = wk * NACT + (unsigned)e->code; /* this action, in this kind of window */
                    if (e->t_us >= open_us && e->t_us <= close_us)
                        bump(&c, FB_INSIDE + at * 3 + (unsigned)e->arg);
                    else if (timing && e->t_us < open_us)
                        bump(&c, FB_BEFORE + at * NBUCKET + distance_bucket(open_us - e->t_us));
                    else if (timing)
                        bump(&c, FB_AFTER + at * NBUCKET + distance_bucket(e->t_us - close_us));
                }
            }
            break;
        case TL_THREAD:
            if (e->code >= 0 && e->code < THR_KIND_COUNT) {
                held[e->code] = e->arg == 1;
                if (e->arg == 1)
                    bump(&c, FB_HOLD + (unsigned)(e->code * NSTATUS + status_slot(phase_of(status))));
            }
            break;
        case TL_FAULT:
            if (e->code >= 0 && e->code < NACT &&
                schedule_action_desc((enum sched_action_kind)e->code)->cls == SCHED_CLASS_FAULT)
                bump(&c, FB_FAULT + (unsigned)(e->code * 4 + (timing ? (e->arg > 3 ? 3 : e->arg) : e->arg > 0)));
            /* a stall on open channels holds the writers until the trial's end (or its own end, which
             * the timeline does not say: taken as the end) */
            if (e->code == ACT_STALL && e->arg > 0)
                stalled_until = UINT64_MAX;
            else if (e->code == ACT_RESET || e->code == ACT_CLOSE) {
                stall_faulted = stalled_until != 0; /* the next status is the fault's, on stalled writers */
                stalled_until = 0;
            }
            break;
        default:
            break;
        }
    }
    for (unsigned i = 0; i < TRACE_COUNT; i++)
        if (traces & (1u << i))
            bump(&c, FB_TRACE + i);
    bump(&c, FB_VERDICT + (unsigned)r->verdict * 8 + (unsigned)(r->signo & 7));
    /* what the target said, hashed (FNV-1a): whatever it said, not a list of known signatures */
    if (verdict_is_finding(r->verdict, r->signature)) {
        uint32_t h = 2166136261u;
        for (const char *p = r->signature; *p; p++)
            h = (h ^ (unsigned char)*p) * 16777619u;
        bump(&c, FB_SIGNATURE + h % FB_NSIGNATURE);
    }

    /* presence, not counts: how often a feature came varies from run to run with the scheduler (two
     * MIGRATION failed events or one, three probes or four), and AFL++ would see each run of one input
     * as different coverage (its stability fell to 27% on real QEMU with counts) */
    for (unsigned k = 0; k < FEEDBACK_KEYS; k++)
        if (c.n[k])
            emit(arg, k, 1);
}

const char *feedback_key_family(unsigned key)
{
    static const struct {
        unsigned from;
        const char *name;
    } fam[] = {
        {FB_TRANS, "trans"},       {FB_OUTCOME, "outcome"},       {FB_HOLD, "hold"},
        {FB_INSIDE, "inside"},     {FB_HELD_STATUS, "held-status"}, {FB_STALLED_STATUS, "stalled-status"},
        {FB_BEFORE, "before"},     {FB_AFTER, "after"},           {FB_TRACE, "trace"},
        {FB_VERDICT, "verdict"},   {FB_FAULT, "fault"},           {FB_SIGNATURE, "signature"},
        {FB_END, "?"},
    };
    const char *name = "?";
    for (size_t i = 0; i < sizeof fam / sizeof fam[0] && key >= fam[i].from; i++)
        name = fam[i].name;
    return name;
}
