/* trial_internal: what the parts of the trial engine share (trial.c: the run and its hooks; lines.c:
 * running schedule lines). Private to the trial library. */
#ifndef QMPRACE_TRIAL_INTERNAL_H
#define QMPRACE_TRIAL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

#include "observe.h"
#include "proxy.h"
#include "qmp.h"
#include "settle.h"
#include "sink.h"
#include "trial.h"
#include "trigger.h"

struct trial_env {
    struct event_base *base;
    struct target *target;
    struct proxy *proxy;
    struct sink *sink;
    struct trial *cur;
    bool interrupted;
};

struct trial;

/* One schedule line as it runs. */
struct line_state {
    struct trial *t;
    const struct sched_line *line;
    size_t index; /* in the schedule */
    size_t next;  /* next action to run */
    bool started, done, busy;
    struct event *timer;
    char cmd[64]; /* the QMP command in flight, for the timeline and a hang's reason */
    enum sched_action_kind cmd_kind;
    json_object *cmd_args; /* caps and params: what it asks QEMU to set, kept until it is answered */
};

struct trial {
    struct trial_env *env;
    const struct schedule *s;
    struct trial_result *r;
    struct timeline *tl;
    struct qmp *q;
    struct line_state *ls;
    struct triggers *triggers;
    struct settle *settle;
    size_t seq; /* the untriggered line running or next to run; nlines when all are done */
    bool ready, done, died;
    uint64_t ready_us; /* when the schedule started (mono clock) */
    int restoring; /* replies still awaited from setting a reused target back to a fresh one's settings */
    struct event *deadline, *grace;
    uint64_t deadline_us;
    /* A hang that is no finding, on a target that would serve the next trial: its channels are reset and
     * it is given a moment to settle (the verdict already decided, nothing more observed), so that it
     * is not replaced (trial.c, wind_down) */
    bool winding, wound_down;
    bool awaits_deferred; /* settle_awaits let a status's event come once */
    unsigned sink_looks; /* how often hang_sink_still looked at the stacks */
    unsigned own_looks;  /* ... and hang_own_still */
    uint64_t own_look_us; /* the last look that found QEMU's own hang (0: none), and its signature */
    char own_sig[512];
    uint64_t last_seen_us; /* mono time of the last thing the target did that the trial observed */
    bool still;       /* judged still before the deadline: bytes that flowed a moment ago are no excuse */
    bool quick_hangs; /* trial_options.quick_hangs */
    bool stacks_kept; /* hang_sink_still's look, for the hang to record (hang_forget_stacks frees it) */
    struct qemu_stacks kept_stacks;
    struct event *wind;
    char wind_sig[512]; /* the size of trial_result.signature */
    /* A hang's statuses broke the status machine before it (trial.c, hang_now): the verdict is that
     * violation, this signature ("" for none); its target is reused only wound down, as a hang's */
    char hang_violation[512];
    uint64_t last_bytes_us; /* mono time the proxy last moved migration bytes (0: never): a hang while
                             * they still flow is a slow migration, not a stuck one (hang.c) */
    struct event *quiet; /* fires HANG_WIRE_QUIET_US after the bytes last moved: the settle probe looks then */
    struct event *unanswered; /* while a command waits for its reply: hang_own_unanswered's looks */
    /* what QEMU accepted in this trial, last value per name: {"multifd": false}, {"multifd-channels": 1} */
    json_object *accepted_caps, *accepted_params;
    bool events_gap; /* events=off was accepted: the events say less than the statuses (props.h) */
    unsigned props; /* the properties the trial is held to (propnames.h) */
    json_object *final_caps, *final_params; /* their values at the end of a settled trial */
    json_object *final_status;              /* query-status at the end (one-vm) */
    int dest_running;                       /* the destination VMM's guest at the end: 1, 0, -1 not asked */
    int finals;                             /* replies still awaited for them */
    int rc;
    struct err *e;
};

/* trial.c: the trial under way on the env a hook was given (its argument), or NULL between trials: the
 * target and the proxy live across trials, and observe only while one runs. */
struct trial *trial_current(void *env_arg);
/* trial.c: an observation, written to the timeline once and offered to the trigger matcher once. */
void trial_observe(struct trial *t, const struct obs *o);
/* trial.c: line `ls` did not do what it says (see struct trial_miss): recorded in the result and noted in
 * the timeline. The text must not vary between trials (no pids, no times): reports add misses up by it. */
void trial_miss(struct trial *t, const struct line_state *ls, bool expected, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* hang.c: a trial met its deadline: why, as its signature ("<blocked threads> (<reason>)"), the stacks
 * into the timeline (verdict.h: which hangs are findings) */
void hang_signature(struct trial *t, char *sig, size_t n);
/* A quiet trial whose migration (in `status`, still since `still_since_us`, settle.h) waits for a peer
 * that a channel stalled to the end keeps from reading, with nothing frozen that will be let go and
 * nothing moving: the deadline would find the same never-a-finding hang (held by the schedule). */
bool hang_held_still(struct trial *t, int status, uint64_t still_since_us);
/* Nothing of the schedule is left, and it stalls a channel to the end (and none for a while only): the
 * migration cannot end while it waits for that channel's peer. */
bool hang_holds_to_end(struct trial *t);
/* A quiet trial into the sink, still as above (or its migration ended and the proxy quiet as long) with
 * nothing stalled or frozen: it may wait for the sink to answer (the return path of return-path,
 * postcopy or COLO), which the sink never does. The blocked threads tell that from a hang of QEMU's own:
 * a look at them (kept out of the timeline; a second one later when a thread was still busy) says
 * whether the deadline would find the sink's hang, never a finding. */
bool hang_sink_still(struct trial *t, int status, uint64_t still_since_us);
void hang_forget_stacks(struct trial *t);
/* Nothing of the schedule is left, nothing is stalled, and the proxy has moved no byte into the sink for
 * HANG_WIRE_QUIET_US: the migration is not streaming, so the settle probe may look as often as when the
 * schedule holds it (a sink that never answers is told sooner). */
bool hang_wire_quiet(struct trial *t);
/* A migration that streams keeps the proxy busy: one that moved nothing for this long sends nothing
 * (the sink reads every byte at once), and its cleanup, when it ended, takes a few milliseconds. */
#define HANG_WIRE_QUIET_US 30000ull
/* With quick hangs only (trial_options): a quiet trial, nothing stalled or frozen, in which the target
 * did nothing observable for a while, and two looks at its threads, as far apart and with nothing observed
 * between, found the same hang of QEMU's own (a finding): the deadline would find it too. */
bool hang_own_still(struct trial *t);
/* A hang of QEMU's own, judged before the deadline (only where hangs are quick: the hunt's harness, whose
 * findings are replayed under the full deadline before they are reported): nothing observed for this
 * long, then a look at the threads, and another as long after it with nothing observed between, that find
 * the same threads blocked in the same places. */
#define HANG_OWN_QUIET_US 50000ull
/* All the trial waits for is answers: replies to the schedule's commands (lines_await_reply_only), or,
 * nothing of the schedule left, the settle probe's. */
bool hang_own_awaits(struct trial *t);
/* The same two looks as hang_own_still while hang_own_awaits: a main loop deadlocked in QEMU never
 * answers, so neither the probe's answer (which calls hang_own_still) nor any other comes; the trial's
 * timer asks instead (trial.c, on_unanswered). */
bool hang_own_unanswered(struct trial *t);
/* How long from now the next of those looks may be taken (1: now); 0 when no more may be. */
uint64_t hang_own_next_look_us(const struct trial *t);

/* lines.c */
int lines_init(struct trial *t);
void lines_free(struct trial *t);
/* Runs the untriggered lines from the first, in order (once QMP is ready). */
void lines_start(struct trial *t);
/* A trigger fired line `i`: run it now, or after `delay_us`. */
void lines_fire(struct trial *t, size_t i, uint64_t delay_us);
/* Nothing of the schedule is running or left to run. */
bool lines_quiet(const struct trial *t);
/* After a pass or a hang: every triggered line that never fired is a miss (expected when the target never
 * reports its status); after a hang (`hung`) also every line in order the trial never reached. */
void lines_unfired(struct trial *t, bool hung);
/* The QMP command a line still waits a reply for, or NULL. */
const char *lines_pending_command(const struct trial *t);
/* Replies to commands are all the schedule waits for: no line runs anything else or waits out a delay (the
 * lines in order after one wait behind it; triggered lines not yet fired wait for the target). */
bool lines_await_reply_only(const struct trial *t);

/* trial.c: a line sent a command, or the settle probe asked: an answer is awaited (the unanswered timer,
 * armed only where hangs are quick) */
void trial_answer_awaited(struct trial *t);

#endif
