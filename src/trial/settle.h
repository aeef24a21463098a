/* settle: when a trial asks its target whether it has settled (target_settle_start). A trial passes only
 * when nothing of its schedule is left to do and the target has settled; the probes back off from the
 * first to the last interval (quick to notice the end of a cleanup that takes a few milliseconds, cheap
 * during a migration that takes seconds) and a status that ends the migration probes at once. Private to
 * the trial library. */
#ifndef QMPRACE_SETTLE_H
#define QMPRACE_SETTLE_H

#include <stdbool.h>

#include <event2/event.h>

#include "qmp.h"
#include "target.h"
#include "timeline.h"

struct settle_hooks {
    bool (*quiet)(void *arg);   /* nothing of the schedule is running or left to run */
    void (*settled)(void *arg); /* the target settled while the trial was quiet: a pass */
    /* the migration waits, by QEMU's design, for a command (vocab_status_awaited_command) while the trial
     * is quiet: nothing of the schedule is left to send it, so it would wait out the deadline. True when
     * the trial ended (false: not yet, probe again) */
    bool (*awaits)(void *arg, int status);
    /* the trial is quiet and the migration (in `status`) has not settled; query-migrate's count of bytes
     * sent (or its lack of one, as in setup) has had its value in this status since `still_since_us` (mono
     * clock): true when
     * the trial ended, as a hang that nothing left of it could undo (NULL: never asked) */
    bool (*stuck)(void *arg, int status, uint64_t still_since_us);
    /* the trial is quiet and holds the migration so that it cannot end (a channel stalled to the end), or
     * nothing moves on the wire: probe at SETTLE_PROBE_HELD_US rather than slowly, so that stuck can tell
     * sooner (NULL: never) */
    bool (*held)(void *arg);
    /* a probe went out: its answer may never come (a main loop that waits for good), which the trial's own
     * timer then looks into (NULL: never told) */
    void (*asked)(void *arg);
    void *arg;
};

/* The probe's interval while the trial holds the migration (hooks.held); a still count is one three probes
 * saw, so stillness is judged over at least twice this. A query-migrate costs 7.2's main loop about a
 * millisecond; nothing of the schedule is left for it to perturb. */
#define SETTLE_PROBE_HELD_US 10000

struct settle;

struct settle *settle_new(struct event_base *base, struct target *target, struct qmp *q, struct timeline *tl,
                          const struct settle_hooks *hooks);
void settle_free(struct settle *s);

/* The trial may have become quiet: probe now, unless a probe is already under way or planned. */
void settle_poke(struct settle *s);
/* A MIGRATION event reported `status`: probes slowly while it says a migration runs, at once when it
 * says the migration ended. */
void settle_status(struct settle *s, int status);
/* The target reported a trace point (not of the probe's own command): after the migration ended, the
 * next probe comes sooner. */
void settle_trace(struct settle *s);
/* A probe was sent and has not been answered yet. */
bool settle_probing(const struct settle *s);
/* The last finding ("migration active", ...), for a hang's reason; "" before any. */
const char *settle_state(const struct settle *s);
/* query-migrate's last answer to the check (borrowed), or NULL. */
json_object *settle_last_migrate(const struct settle *s);
/* ... its status (enum mig_status), or -1 before any answer or for a status this qmprace does not know. */
int settle_migrate_status(const struct settle *s);
/* True for the trace points of the probe's own QMP command: our noise, not the race. */
bool settle_hides_trace(const struct settle *s, const char *event);

#endif
