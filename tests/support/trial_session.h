/* trial_session: a session ready for trials on one target, as the trial tests open it (the target asked
 * what it knows, the trial env made). Never used outside tests. */
#ifndef QMPRACE_TEST_TRIAL_SESSION_H
#define QMPRACE_TEST_TRIAL_SESSION_H

#include "session.h"

/* A session on `target` with each trial's `deadline` ("2s"), or NULL after a failed check saying why. */
struct session *test_trial_session(const char *target, const char *deadline);
/* ... with one more profile field set (`key`, `value` as profile_set reads them, e.g. "properties", "none"). */
struct session *test_trial_session_with(const char *target, const char *deadline, const char *key, const char *value);
/* Whether a `qemu` target can be made here (a QEMU binary on PATH); when not, says "SKIP: no QEMU: why"
 * on stdout for the test to exit 77. */
bool test_trial_have_qemu(void);
/* One trial of the schedule `text` (named t.sched) on `s`; a failed parse or trial is a failed check. */
struct trial_result test_trial_run(struct session *s, const char *text);
/* Whether a note of the trial's timeline contains `what`. */
bool test_trial_noted(const struct trial_result *r, const char *what);
/* The reply of `cmd` in the trial's timeline (a new reference), or NULL (none, or an error). */
json_object *test_trial_reply_of(const struct trial_result *r, const char *cmd);
/* A capability's state in query-migrate-capabilities' reply: 1, 0, or -1 when it is not listed. */
int test_trial_cap_state(json_object *caps, const char *name);

#endif
