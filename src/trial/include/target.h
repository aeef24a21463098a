/* target: the VMM a trial runs against, behind one interface, so a trial does not know or care whether it
 * talks to the simulated VMM in this process (`sim:MODEL`), to a VMM that is already running
 * (`qmp:unix:PATH`, `qmp:tcp:HOST:PORT`), or to a QEMU it launches (`qemu[:PATH]`). A target tells the trial what
 * happened inside it (trace points, stderr lines, thread holds, death) through hooks, and says up front
 * what it can do, so a schedule asking for more is refused before anything runs. */
#ifndef QMPRACE_TARGET_H
#define QMPRACE_TARGET_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "err.h"
#include "qemu_stacks.h"
#include "qmp.h"
#include "vocab.h"

struct target;

struct target_hooks {
    /* A trace point: `mono_us` is when the target hit it on the mono clock (0: now, as it is reported),
     * `thread` the name of the thread that hit it. */
    void (*trace)(void *arg, uint64_t mono_us, const char *thread, const char *event, const char *args);
    void (*output)(void *arg, const char *line);
    /* The target process ended: signo > 0 a signal, 0 a normal exit; `message` its fatal line or NULL. */
    void (*died)(void *arg, int signo, const char *message);
    void (*thread)(void *arg, const char *thread, bool held);
    void *arg;
};

/* What a target can do beyond QMP. */
struct target_caps {
    bool freeze; /* `freeze THREAD DUR` */
    bool trace;  /* `on trace EVENT` and trace points in timelines */
    bool death;  /* reports how it died (signal and message) through `died` */
    bool deterministic; /* the same schedule runs the same way every time (the simulated VMM) */
    bool dest_modelled; /* it models the migration's destination: the guest runs there exactly when the
                         * migration completed (one-vm, props.h) */
};

struct target_options {
    uint64_t ram_bytes; /* guest RAM; 0: the target's default */
    /* For targets that launch a VMM (qemu): */
    const char *const *vmm_args; /* extra arguments, appended to the target's own */
    size_t nvmm_args;
    bool fresh;     /* a new VMM process for every trial instead of reusing one after each pass */
    bool dest_vmm;  /* migrate into a real destination VMM (one per trial) instead of the sink */
};

/* Parses a target spec. Errors here are usage errors (exit 2): unknown kind, unknown model. */
struct target *target_new(const char *spec, const struct target_options *opt, struct err *e);
void target_free(struct target *t);
/* The destination VMM's guest during a trial (--dest qemu), asked from the loop: `done(arg, running)` later
 * with 1 running, 0 not running or gone, -1 unknown; never after the trial's target_end. -1 (and no call):
 * no destination VMM to ask. */
typedef void (*target_dest_fn)(void *arg, int running);
int target_dest_running(struct target *t, target_dest_fn done, void *arg);
/* A hunt's short-trial guest RAM (0: the VMM's own) and deadline for the kind `spec` names; -1 (and
 * nothing set) for no known kind. */
int target_short_trial(const char *spec, uint64_t *ram, uint64_t *deadline_us);

/* Whether this trial's VMM would serve the next trial, were this one to end settled (target_end healthy):
 * a trial that hung by its schedule's doing may then let it settle rather than have it replaced. */
bool target_keeps(const struct target *t);

/* From now on, keep a spare VMM started and warmed up ahead (a QEMU: one migration into nothing), so that
 * replacing one that cannot serve again costs a swap rather than a start and a slow first migration. For
 * a hunt's harness, whose replacements after a hang it does not count are frequent; nothing for a kind
 * that launches nothing, or with `fresh`. */
void target_keep_spare(struct target *t, bool keep);
/* This trial's VMM is such a spare (it migrated once, into nothing, and runs with a fresh one's settings). */
bool target_warmed(const struct target *t);

const char *target_spec(const struct target *t);
struct target_caps target_caps(const struct target *t);
/* Whether the target can report trace point `name` (by role: 10.x's spelling of a renamed one counts). */
bool target_has_trace(const struct target *t, const char *name);
/* Asks the target to report trace point `name` (a schedule waits for it with `on trace`): a QEMU enables it
 * in every QEMU it launches from now on. Nothing for a kind that reports all it can. */
int target_want_trace(struct target *t, const char *name, struct err *e);
/* Something the user should hear once about this target (e.g. its QEMU lacks the `log` trace backend),
 * or NULL. */
const char *target_warning(const struct target *t);
/* Where this trial's migration channels go (the fault proxy's upstream), or NULL for the sink. Valid
 * after target_begin. */
const char *target_upstream(const struct target *t);

/* Makes the target ready for one trial on `base` (starts or reuses it) and connects `q` to its QMP
 * monitor. Errors mean the target could not be started or reached (exit 3). */
int target_begin(struct target *t, struct event_base *base, const struct target_hooks *hooks, struct qmp *q,
                 struct err *e);
/* Asks the target once, before any trial, what it knows: its QAPI schema and version (a QEMU target
 * starts its QEMU for this, and keeps it for the first trial). Errors mean it could not be started or
 * reached (exit 3); a target that does not answer the questions is taken to know every name. */
int target_learn(struct target *t, struct event_base *base, struct err *e);
/* What another process already learned of this same target (its vocab_target_to_json, as a hunt hands
 * it to the processes it starts): kept as if target_learn had asked, which then asks only what a reused
 * VMM is set back to. -1 (and nothing kept) when `j` says nothing of a known target. */
int target_adopt_vocab(struct target *t, json_object *j, struct err *e);
/* What target_learn found (vocab_target.h), or NULL before it ran. */
struct vocab_target;
const struct vocab_target *target_vocab(const struct target *t);

/* What a trial's VMM needs before the schedule runs so that it starts where a fresh one would.
 * TARGET_SET_BACK: it runs on a VMM an earlier trial used, and `cmds` is the QMP commands to send first, in
 * order ({"execute", "arguments"} objects, a new reference): `cont` when a completed migration left the VM
 * paused, then the capabilities and parameters the trials since the last restore asked to change
 * (target_note_sent) at a fresh VMM's values. Otherwise `cmds` is NULL: TARGET_UNCHANGED, a reused VMM
 * nothing changed; TARGET_FRESH, a VMM no trial used (or target_learn could not read a fresh one's
 * settings). */
enum target_restore { TARGET_FRESH, TARGET_UNCHANGED, TARGET_SET_BACK };
enum target_restore target_restore(struct target *t, json_object **cmds);
/* A command a trial sent to the VMM (name and arguments), so the next restore knows what it may have
 * changed. */
void target_note_sent(struct target *t, const char *cmd, json_object *args);
/* The VMM refused a restore: the next one sends every capability and parameter, and a VMM that cannot be
 * trusted to have taken it back is not reused after this trial. */
void target_restore_failed(struct target *t);

/* Holds a thread of the target for `dur_us`. */
int target_freeze(struct target *t, struct thread_ref thread, uint64_t dur_us, struct err *e);
/* Ends the hold on `thread` now. 1 it was held and is let go, 0 it was not held (never, or its time had
 * run out), -1 an error. */
int target_thaw(struct target *t, struct thread_ref thread, struct err *e);
/* "Has the target settled?": no migration running and its cleanup finished. A trial passes only once its
 * target says so. The check is asynchronous (it asks the target over `q`) and answers once through `done`
 * with a short state for the timeline and for hang reasons ("migration active", "status settled, cleanup
 * pending (query-yank lists the migration)"), unless the trial ends first. Between its steps it asks
 * `wanted` whether the answer is still wanted, and stops quietly if not (a schedule line started). The
 * caller owns `c` and keeps it alive until the answer or the end of the trial. */
enum target_settled { TARGET_SETTLED, TARGET_NOT_SETTLED };
struct target_settle_check {
    struct qmp *q;
    void (*done)(void *arg, enum target_settled answer, const char *state);
    bool (*wanted)(void *arg);
    void *arg;
    /* set by the check: the QMP command it has in flight (its trace points are the check's, not the
     * race's), or NULL */
    const char *in_flight;
    /* set by the check: query-migrate's last answer (owned by the check's owner, who frees it), or NULL */
    json_object *migrate;
};
int target_settle_start(struct target *t, struct target_settle_check *c);
/* Reads, now, what the target has already written and the event loop has not yet read. A QEMU writes a
 * trace point before the effect a QMP answer reports (migration_cleanup before the yank instance is
 * gone), but its stderr pipe and its QMP socket are read separately: on a loaded machine the answer
 * "settled" can be read first. Called before a trial is judged settled, so that no trace point (and no
 * `on trace` line waiting for it) is lost. */
void target_drain(struct target *t);

/* Every thread's stack of the target now: for a hung trial, before the target is replaced (the timeline
 * and the hang's signature say where it waits). -1 (e) for a kind that cannot show them (a `qmp:` VMM)
 * or when reading failed (no eu-stack). */
int target_stacks(struct target *t, struct qemu_stacks *out, struct err *e);

/* The trial is over. `healthy` is false after a crash or a hang: the target must not be reused as is. */
void target_end(struct target *t, bool healthy);

/* Usage text listing the target kinds and sim models. */
const char *target_help(void);

#endif
