/* session: what every command that runs trials sets up the same way, written once: the trial profile it
 * runs under (owned here, and taken apart nowhere else), the event base (on the precise monotonic clock),
 * the target, the trial env on them, and SIGINT/SIGTERM, which interrupt the trials, break the event loop
 * and are remembered so the caller can exit 128+signo. A schedule reaches the target only through
 * session_trial, which leaves out the profile's actions, holds the schedule against the target and gives
 * the trial the profile's deadline, so `run`, `hunt`, `explore`, `minimize` and the harness judge alike.
 * `qmprace sim`, which serves a VMM instead of running trials, uses a session without a target for its
 * event loop and signals. */
#ifndef QMPRACE_SESSION_H
#define QMPRACE_SESSION_H

#include <stdbool.h>

#include <event2/event.h>

#include "err.h"
#include "profile.h"
#include "schedule.h"
#include "target.h"
#include "trial.h"

struct session;

/* The defaults of a profile for `use` (profile_fill): the default target, and for a hunt the short trial
 * of the target's kind (a small guest, a short deadline); for run and explore, the target's own RAM and
 * their deadline. A target spec of no known kind is left to session_new to refuse. */
void session_defaults(struct trial_profile *p, enum profile_use use);

/* A session under a copy of `p` (defaults applied; NULL: a session without a target, and so without
 * trials). Errors here are usage errors: an unknown kind or model, options its kind does not take. */
struct session *session_new(const struct trial_profile *p, struct err *e);
/* Frees the trial env, the signal events, the target and the event base. NULL is fine. */
void session_free(struct session *s);

/* In a child after fork(): lets go of SIGINT and SIGTERM, so a session of the child's own can take them
 * (libevent lets one event base have signals). The child must neither use `s` after this nor free it: its
 * target is the parent's. */
void session_forked(struct session *s);

/* The profile every trial of the session runs under. */
const struct trial_profile *session_profile(const struct session *s);

enum {
    SESSION_SIGNALS = 1 << 0, /* SIGINT and SIGTERM interrupt the session (not in a harness: AFL++ signals it) */
    SESSION_TRIALS = 1 << 1,  /* ask the target what it knows and make the trial env now (else on the first trial) */
};
/* Returned for a schedule the target cannot run (a usage error, exit 2). */
#define SESSION_REFUSED (-2)
/* Makes the event base and what `flags` ask for, and admits `scheds` (n of them; may be 0) before anything
 * runs: what the target's kind cannot do is refused before a target is started, the trace points they wait
 * for are switched on, and (with SESSION_TRIALS) the names they send are held against what the target says
 * it knows. -1: the target cannot be run (exit 3): "cannot create an event loop", "cannot set up the fault
 * proxy: ..."; SESSION_REFUSED: a schedule cannot run here (e: "FILE:LINE:COL: why"). */
int session_start(struct session *s, unsigned flags, struct schedule *const *scheds, size_t n, struct err *e);

/* Asks the target what it knows (its vocabulary, target_vocab), once: the answer is kept. -1 when it
 * could not be asked (e). */
int session_learn(struct session *s, struct err *e);
/* Takes what another process learned of the same target instead (target_adopt_vocab): a harness that a
 * hunt restarts after each finding need not fetch QEMU's 200 KB schema every time. */
int session_adopt_vocab(struct session *s, json_object *j, struct err *e);

/* Readies `sched` for this session's trials: leaves out the profile's actions (in place), refuses what the
 * target cannot do or does not know (trial_check; the target is asked what it knows first, if it was not
 * yet) and switches on the trace points it waits for. 0, SESSION_REFUSED, or -1 when the target could not
 * be asked. Idempotent: session_trial does it again, cheaply. */
int session_admit(struct session *s, struct schedule *sched, struct err *e);

/* One trial of `sched` under the profile (session_admit, then trial_run with the profile's deadline).
 * 0: `r` holds the verdict; SESSION_REFUSED: the schedule cannot run on this target (e says where; `r`
 * holds nothing); -1: the target could not be started or reached (e); TRIAL_INTERRUPTED: a signal came. */
int session_trial(struct session *s, struct schedule *sched, struct trial_result *r, struct err *e);

/* From now on a hang that is no finding whatever the stacks say is not looked at (trial_options.quick_hangs). */
void session_set_quick_hangs(struct session *s, bool quick);

/* The longest one trial of this session may take, everything included: its deadline, and around it a fresh
 * target started and a hung one replaced (for a watchdog such as afl-fuzz's -t). */
uint64_t session_trial_bound_us(const struct session *s);

/* Frees the trial env: the next trial gets a fresh one, not interrupted by an earlier signal, so what was
 * found before an interrupt can still be replayed. */
void session_env_close(struct session *s);

struct target *session_target(const struct session *s);
struct event_base *session_base(const struct session *s);
/* The first SIGINT or SIGTERM that came, or 0. */
int session_signal(const struct session *s);

#endif
