/* session: what every command that runs trials sets up the same way, written once: the event base (on the
 * precise monotonic clock), the target, the trial env on them, and SIGINT/SIGTERM, which interrupt the
 * trials, break the event loop and are remembered so the caller can exit 128+signo. `qmprace sim`, which
 * serves a VMM instead of running trials, uses a session without a target for its event loop and signals. */
#ifndef QMPRACE_SESSION_H
#define QMPRACE_SESSION_H

#include <stdbool.h>

#include <event2/event.h>

#include "err.h"
#include "target.h"
#include "trial.h"

struct session;

/* Parses the target spec (NULL: a session without a target, and so without trials). Errors here are usage
 * errors: an unknown kind or model. */
struct session *session_new(const char *target_spec, const struct target_options *opt, struct err *e);
/* Frees the trial env, the signal events, the target and the event base. NULL is fine. */
void session_free(struct session *s);

enum {
    SESSION_SIGNALS = 1 << 0, /* SIGINT and SIGTERM interrupt the session (not in a harness: AFL++ signals it) */
    SESSION_TRIALS = 1 << 1,  /* make the trial env now (else on the first session_env) */
};
/* Makes the event base and what `flags` ask for. Errors mean the target cannot be run (exit 3): "cannot
 * create an event loop", "cannot set up the fault proxy: ...". */
int session_start(struct session *s, unsigned flags, struct err *e);

/* The trial env, made on first use (after session_start); NULL with e set when the fault proxy cannot be
 * set up. */
struct trial_env *session_env(struct session *s, struct err *e);
/* Frees the trial env: the next session_env makes a fresh one, not interrupted by an earlier signal, so
 * what was found before an interrupt can still be replayed. */
void session_env_close(struct session *s);

struct target *session_target(const struct session *s);
struct event_base *session_base(const struct session *s);
/* The first SIGINT or SIGTERM that came, or 0. */
int session_signal(const struct session *s);

#endif
