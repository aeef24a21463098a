/* trial: runs one schedule against one target and returns a verdict and a timeline. This is the only code
 * that knows how to run a schedule; `run`, `hunt`, the harnesses and the tests all come through here.
 * The flow is one way: schedule -> trial -> (target, proxy, QMP) -> timeline -> verdict.
 *
 * A trial: make the target ready and connect QMP; run the untriggered lines in order (each QMP action
 * waits for its reply); fire triggered lines when their trigger happens (time after `migrate`, bytes
 * through the proxy, MIGRATION events, trace points); end when the target died (crash), when a deadline
 * passed (hang), or when nothing is left to do and the target has settled: no migration running and its
 * cleanup finished (`query-yank` no longer lists the migration instance), then held to the properties
 * (props.h): pass, or a violation. */
#ifndef QMPRACE_TRIAL_H
#define QMPRACE_TRIAL_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "err.h"
#include "schedule.h"
#include "target.h"
#include "timeline.h"
#include "verdict.h"

struct trial_env;

struct trial_options {
    uint64_t deadline_us; /* the schedule's, from the target's QMP greeting on; 0: TRIAL_DEFAULT_DEADLINE_US */
    unsigned props_off;   /* properties a settled trial is not held to (propnames.h); 0: every one */
    /* A hang that is no finding whatever the target's stacks say (held by the schedule, a command the
     * migration waits for, the schedule cut short, still migrating) gets no look at them: its signature
     * is its reason alone. For a hunt, which shows nobody such a hang; a look costs ~60 ms of eu-stack. */
    bool quick_hangs;
};
#define TRIAL_DEFAULT_DEADLINE_US (10ull * 1000000ull)
/* How long a target may take to greet over QMP (a VMM starting) before the trial is an error, when the
 * deadline is shorter. */
#define TRIAL_START_US (10ull * 1000000ull)

/* Something of the schedule that did not happen as written: a hold that held nothing, a fault that hit no
 * channel, a command the target refused because it does not know a name, a command never sent, a
 * triggered line that never fired. A trial with a miss did not exercise its schedule, whatever its
 * verdict says, and reports say so. `expected` marks a line that never fired on purpose: a status trigger
 * for a status this target never reports (`on failing` on a build without the fix). */
#define TRIAL_MAX_MISSES 8
struct trial_miss {
    bool expected;
    char what[200]; /* "line 4: freeze live_migration 160ms held nothing: ..." (the same in every trial) */
};

struct trial_result {
    enum verdict verdict;
    int signo;             /* crash: the signal (0 when only the QMP connection was seen dying) */
    char signature[512];   /* crash: the normalized signature; hang: what was still pending */
    uint64_t duration_us;
    struct timeline *timeline; /* owned by the result */
    struct trial_miss misses[TRIAL_MAX_MISSES];
    unsigned nmisses;          /* at most TRIAL_MAX_MISSES are kept; more are counted */
    bool unstarted;            /* trial_run failed before the target was ready (it never greeted, never
                                * answered qmp_capabilities, or ended first): the schedule did not start */
};

/* True when every action of the schedule did what it says (misses marked expected aside). */
bool trial_result_exercised(const struct trial_result *r);
/* True when the target accepted a `migrate` in the trial: a migration ran, whatever became of it (what a
 * hunt's rate of migration trials counts). */
bool trial_result_migrated(const struct trial_result *r);

/* The parts that live across trials: the fault proxy and the sink it forwards to, on `base`. */
struct trial_env *trial_env_new(struct event_base *base, struct target *target, struct err *e);
void trial_env_free(struct trial_env *env);
/* Ends the current trial at once (from a signal handler event); trial_run then returns TRIAL_INTERRUPTED
 * and so does every later call. */
void trial_env_interrupt(struct trial_env *env);
bool trial_env_interrupted(const struct trial_env *env);

/* Refuses (as a usage error) a schedule that needs what the target cannot do (freeze, trace triggers). */
int trial_check(const struct schedule *s, const struct target *target, struct err *e);

#define TRIAL_INTERRUPTED 1
/* 0: `r` holds the verdict. -1: the target could not be started or reached, or broke QMP (e says why).
 * TRIAL_INTERRUPTED: stopped by trial_env_interrupt; `r` holds nothing to count. */
int trial_run(struct trial_env *env, const struct schedule *s, const struct trial_options *opt,
              struct trial_result *r, struct err *e);
void trial_result_clear(struct trial_result *r);
/* A result whole as JSON, for another qmprace process (trial_wire.c), and back: 0, or -1 when `j` is not
 * what trial_result_to_wire wrote (e says so; `r` then holds nothing). */
json_object *trial_result_to_wire(const struct trial_result *r);
int trial_result_from_wire(json_object *j, struct trial_result *r, struct err *e);

#endif
