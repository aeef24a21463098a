/* hang: why a trial that met its deadline did not end, as its signature (see trial_internal.h). */
#include <stdio.h>
#include <string.h>

#include "mono.h"
#include "trial_internal.h"
#include "vocab.h"

/* Where the target's threads wait now, into the timeline (one entry per thread) and `sig` (the blocked
 * threads' signature; "" when there are no stacks or no thread is blocked); `*reads` whether the threads
 * the others wait for all wait to read from the peer. Without `record`, the stacks are kept for the
 * next call (hang_sink_still's look, which the hang then records rather than look again). */
static void record_stacks(struct trial *t, char *sig, size_t n, bool *reads, bool record)
{
    sig[0] = '\0';
    *reads = false;
    struct qemu_stacks st;
    struct err e = {{0}};
    if (t->stacks_kept) {
        st = t->kept_stacks;
        t->stacks_kept = false;
    } else if (target_stacks(t->env->target, &st, &e) < 0) {
        if (record && target_caps(t->env->target).death) /* a kind that could have told: say why it did not */
            timeline_add(t->tl, TL_NOTE, "no stacks of the hung target: %s", e.msg);
        return;
    }
    for (size_t i = 0; record && i < st.n; i++) {
        const struct qemu_thread_stack *th = &st.threads[i];
        char where[128], frames[900] = "";
        qemu_stack_where(th, where, sizeof where);
        size_t used = 0;
        for (int k = 0; k < th->nframes && used < sizeof frames; k++) {
            const struct qemu_frame *f = &th->frames[k];
            int w = f->fn[0] ? snprintf(frames + used, sizeof frames - used, "%s%s", k ? " < " : "", f->fn)
                             : snprintf(frames + used, sizeof frames - used, "%s%s+0x%llx", k ? " < " : "", f->module,
                                        (unsigned long long)f->offset);
            if (w < 0)
                break;
            used += (size_t)w;
        }
        bool idle = qemu_stack_idle(th);
        timeline_add_coded(t->tl, 0, TL_STACK, idle ? 0 : 1, th->tid, "%s (tid %d) %s in %s: %s", th->name, th->tid,
                           idle ? "idle" : "blocked", where, frames);
    }
    qemu_stacks_signature(&st, sig, n);
    *reads = qemu_stacks_wait_for_peer(&st);
    if (!record) {
        t->kept_stacks = st;
        t->stacks_kept = true;
        return;
    }
    qemu_stacks_free(&st);
}

void hang_forget_stacks(struct trial *t)
{
    if (t->stacks_kept)
        qemu_stacks_free(&t->kept_stacks);
    t->stacks_kept = false;
}

/* What the schedule itself still holds: the channels it stalls and the threads it froze ("main stalled,
 * live_migration frozen"; "" when nothing). A thread is frozen when its last hold entry says held. */
static bool holds_text(struct trial *t, char *buf, size_t n, bool *frozen)
{
    size_t used = 0;
    buf[0] = '\0';
    *frozen = false;
    for (unsigned i = 0; i < proxy_channel_count(t->env->proxy) && used < n; i++) {
        if (!proxy_channel_stalled(t->env->proxy, i))
            continue;
        char name[32];
        int w = snprintf(buf + used, n - used, "%s%s stalled", used ? ", " : "",
                         vocab_channel_name(proxy_channel_id(t->env->proxy, i), name, sizeof name));
        used += w > 0 ? (size_t)w : 0;
    }
    size_t nt = timeline_count(t->tl);
    for (size_t i = 0; i < nt && used < n; i++) {
        const struct tl_entry *e = timeline_get(t->tl, i);
        if (e->kind != TL_THREAD || !e->arg)
            continue;
        size_t len = strcspn(e->text, " ");
        bool later = false; /* released, or held again (then that entry speaks) */
        for (size_t k = i + 1; k < nt && !later; k++) {
            const struct tl_entry *f = timeline_get(t->tl, k);
            later = f->kind == TL_THREAD && strncmp(f->text, e->text, len) == 0 && f->text[len] == ' ';
        }
        if (later)
            continue;
        *frozen = true;
        int w = snprintf(buf + used, n - used, "%s%.*s frozen", used ? ", " : "", (int)len, e->text);
        used += w > 0 ? (size_t)w : 0;
    }
    return buf[0] != '\0';
}

/* A status in which a migration may wait for its peer as long as the peer does not read. */
static bool status_waits_for_peer(int s)
{
    return s == MIG_SETUP || s == MIG_ACTIVE || s == MIG_PRE_SWITCHOVER || s == MIG_DEVICE || s == MIG_WAIT_UNPLUG ||
           s == MIG_POSTCOPY_ACTIVE || s == MIG_POSTCOPY_PAUSED || s == MIG_POSTCOPY_RECOVER ||
           s == MIG_POSTCOPY_RECOVER_SETUP || s == MIG_POSTCOPY_DEVICE || s == MIG_COLO;
}

/* Held still: a quiet trial whose migration neither QEMU's count nor the proxy saw move for this long,
 * with a channel stalled to the end, is as stuck as it will be at the deadline. Twice the settle probe's
 * interval while the schedule holds the migration (SETTLE_PROBE_HELD_US), so three probes saw the same
 * count. */
#define HANG_HELD_STILL_US (2ull * SETTLE_PROBE_HELD_US)
/* ... and into the sink, with nothing held: as long (the wire quiet says as much sooner). */
#define HANG_SINK_STILL_US HANG_HELD_STILL_US

/* How often hang_sink_still may look at the stacks in one trial: a look taken while a thread was
 * still busy says nothing of the moment after, but a hang of QEMU's own waits for its deadline. */
#define HANG_SINK_LOOKS 2

/* No reply awaited, and the proxy moved no byte for `for_us`. */
static bool proxy_quiet(struct trial *t, uint64_t now, uint64_t for_us)
{
    return (!t->last_bytes_us || now - t->last_bytes_us >= for_us) && !lines_pending_command(t);
}

/* Whether the schedule stalls a channel now (`ending`: only a stall that its timer will end). */
static bool stalls(struct trial *t, bool ending)
{
    for (unsigned i = 0; i < proxy_channel_count(t->env->proxy); i++)
        if (proxy_channel_stalled(t->env->proxy, i) && !(ending && proxy_channel_stalled_to_end(t->env->proxy, i)))
            return true;
    return false;
}

/* Whether the schedule holds a thread frozen now (its timer lets it go). */
static bool frozen_now(struct trial *t)
{
    char holds[200];
    bool frozen;
    holds_text(t, holds, sizeof holds, &frozen);
    return frozen;
}

bool hang_wire_quiet(struct trial *t)
{
    if (stalls(t, false))
        return false; /* what holds it is the schedule's: hang_holds_to_end says when */
    return !target_upstream(t->env->target) && t->last_bytes_us && lines_quiet(t) &&
           proxy_quiet(t, mono_now_us(), HANG_WIRE_QUIET_US);
}

/* ... waiting for its peer, and QEMU's count did not move for as long either. */
static bool still(struct trial *t, int status, uint64_t still_since_us, uint64_t for_us)
{
    uint64_t now = mono_now_us();
    return status_waits_for_peer(status) && still_since_us && now - still_since_us >= for_us &&
           proxy_quiet(t, now, for_us);
}

bool hang_holds_to_end(struct trial *t)
{
    bool to_end = false;
    for (unsigned i = 0; i < proxy_channel_count(t->env->proxy); i++) {
        if (!proxy_channel_stalled(t->env->proxy, i))
            continue;
        if (!proxy_channel_stalled_to_end(t->env->proxy, i))
            return false; /* a stall that ends will let the migration go on */
        to_end = true;
    }
    return to_end && lines_quiet(t);
}

bool hang_held_still(struct trial *t, int status, uint64_t still_since_us)
{
    if (!still(t, status, still_since_us, HANG_HELD_STILL_US) || !hang_holds_to_end(t))
        return false;
    t->still = !frozen_now(t); /* a frozen thread is let go by its own timer */
    return t->still;
}

/* A running migration whose bytes moved this recently at its deadline is still migrating. */
#define HANG_STILL_FLOWING_US 250000ull

static bool signature(struct trial *t, char *sig, size_t n, bool record);

/* At most this many looks at the threads for QEMU's own hang in one trial (HANG_OWN_QUIET_US). */
#define HANG_OWN_LOOKS 3

/* A look that found QEMU's own hang (a finding, with blocked threads): the first of hang_own_still's two. */
static void own_noted(struct trial *t, const char *sig, bool blocked)
{
    if (!t->quick_hangs || !blocked || !verdict_hang_is_finding(sig))
        return;
    snprintf(t->own_sig, sizeof t->own_sig, "%s", sig);
    t->own_look_us = mono_now_us();
}

bool hang_sink_still(struct trial *t, int status, uint64_t still_since_us)
{
    /* a migration that ended (failed, cancelled) sends nothing, and query-migrate no longer counts: its
     * cleanup, which waits for the return path, is as still as the proxy says; one that runs and waits for
     * its peer is too, once the wire went quiet with nothing stalled (what QEMU counts as sent passes the
     * proxy, which reads it at once), else once its count stayed */
    bool ended_still = status >= 0 && !vocab_status_is_running((enum mig_status)status) &&
                       proxy_quiet(t, mono_now_us(), HANG_WIRE_QUIET_US);
    bool quiet = status_waits_for_peer(status) && hang_wire_quiet(t);
    if (t->sink_looks >= HANG_SINK_LOOKS || target_upstream(t->env->target) ||
        !(ended_still || quiet || still(t, status, still_since_us, HANG_SINK_STILL_US)))
        return false;
    if (stalls(t, false) || frozen_now(t))
        return false; /* what holds it is the schedule's (hang_held_still) */
    char sig[512];
    t->sink_looks++;
    t->still = true;
    bool blocked = signature(t, sig, sizeof sig, false);
    t->still = verdict_hang_reason_is(sig, VERDICT_HANG_SINK);
    if (!t->still) {
        hang_forget_stacks(t); /* the deadline will look again */
        own_noted(t, sig, blocked);
    }
    return t->still;
}

/* The two looks of hang_own_still and hang_own_unanswered, once what the schedule waits for allows them. */
static bool own_look(struct trial *t)
{
    uint64_t now = mono_now_us();
    if (!t->quick_hangs || t->own_looks >= HANG_OWN_LOOKS || !t->last_seen_us ||
        now - t->last_seen_us < HANG_OWN_QUIET_US)
        return false;
    /* a stall that ends and a frozen thread are let go by their timers; a stall to the end may be the
     * hang's cause, and the signature says whether that makes it the schedule's (held: no finding) */
    if (stalls(t, true) || frozen_now(t))
        return false;
    char sig[512];
    bool again = t->own_look_us && t->own_look_us > t->last_seen_us;
    if (again && now - t->own_look_us < HANG_OWN_QUIET_US)
        return false;
    t->own_looks++;
    t->still = true;
    bool blocked = signature(t, sig, sizeof sig, false);
    if (again && blocked && strcmp(sig, t->own_sig) == 0)
        return true; /* the hang records the stacks of this look */
    t->still = false;
    hang_forget_stacks(t);
    t->own_look_us = 0;
    own_noted(t, sig, blocked);
    return false;
}

bool hang_own_still(struct trial *t)
{
    return lines_quiet(t) && !lines_pending_command(t) && own_look(t);
}

bool hang_own_awaits(struct trial *t)
{
    return lines_await_reply_only(t) || (lines_quiet(t) && settle_probing(t->settle));
}

bool hang_own_unanswered(struct trial *t)
{
    return hang_own_awaits(t) && own_look(t);
}

uint64_t hang_own_next_look_us(const struct trial *t)
{
    if (!t->quick_hangs || t->own_looks >= HANG_OWN_LOOKS)
        return 0;
    uint64_t now = mono_now_us(), from = t->last_seen_us;
    if (t->own_look_us > from)
        from = t->own_look_us; /* the second look waits as long after the first */
    return from + HANG_OWN_QUIET_US > now ? from + HANG_OWN_QUIET_US - now : 1;
}

void hang_signature(struct trial *t, char *sig, size_t n)
{
    (void)signature(t, sig, n, true);
}

/* The hang's signature; its threads' stacks go to the timeline when `record`. Returns whether the stacks
 * named blocked threads. */
static bool signature(struct trial *t, char *sig, size_t n, bool record)
{
    char reason[400], holds[200];
    const char *pending = lines_pending_command(t);
    const char *state = settle_state(t->settle);
    if (pending)
        snprintf(reason, sizeof reason, "no reply to %s", pending);
    else if (!lines_quiet(t))
        /* a line still waits out its own delay or `wait`: the deadline cut the schedule, not a hang of the
         * target (the settle check's last word may be old: it waits for the schedule) */
        snprintf(reason, sizeof reason, VERDICT_HANG_SCHEDULE);
    else if (state[0])
        snprintf(reason, sizeof reason, "did not settle: %s", state);
    else
        snprintf(reason, sizeof reason, VERDICT_HANG_SCHEDULE);
    /* What the schedule holds at the end may be all that keeps the target from ending: a frozen thread
     * always, a stalled channel while the migration runs and waits for its peer. Not so for a cancel, a
     * failure's cleanup or a QMP command: none of those may wait for a peer that stopped reading. */
    bool frozen;
    char full[640];
    const char *why = reason;
    if (pending || state[0]) {
        /* (the command a migration in this status waits for by QEMU's design before it goes on) */
        int status = settle_migrate_status(t->settle);
        const char *awaited = !pending && status >= 0 ? vocab_status_awaited_command((enum mig_status)status) : NULL;
        if (holds_text(t, holds, sizeof holds, &frozen) && (frozen || (!pending && status_waits_for_peer(status)))) {
            snprintf(full, sizeof full, VERDICT_HANG_HELD ": %s; %s", holds, reason);
            why = full;
        } else if (awaited) {
            snprintf(full, sizeof full, VERDICT_HANG_COMMAND ": %s; %s", awaited, reason);
            why = full;
        } else if (!pending && !t->still && status_waits_for_peer(status) && t->last_bytes_us &&
                   mono_now_us() - t->last_bytes_us < HANG_STILL_FLOWING_US) {
            /* (no figure in it: a signature is the same in every trial of one hang) */
            snprintf(full, sizeof full, VERDICT_HANG_SLOW ": its bytes still flowed at the deadline; %s", reason);
            why = full;
        }
    }
    if (t->quick_hangs && !verdict_hang_is_finding(why)) {
        snprintf(sig, n, "%s", why); /* no finding, whatever the stacks would say (trial_options) */
        return false;
    }
    /* where it waits: the blocked threads name the hang (the same hang is one signature across trials);
     * the reason says what qmprace was waiting for */
    char where[400];
    bool reads;
    record_stacks(t, where, sizeof where, &reads, record);
    /* A migration into the sink whose blocked threads all wait for the destination to speak: the sink
     * never does (a destination VMM, --dest qemu, would), so it is not QEMU's hang. */
    if (why == reason && state[0] && !pending && reads && !target_upstream(t->env->target)) {
        snprintf(full, sizeof full, VERDICT_HANG_SINK ": it never answers; %s", reason);
        why = full;
    }
    if (where[0])
        snprintf(sig, n, "%s (%s)", where, why);
    else
        snprintf(sig, n, "%s", why);
    return where[0] != '\0';
}
