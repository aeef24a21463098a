/* trial_session: a session ready for trials on one target, as the trial tests open it (the target asked
 * what it knows, the trial env made). Never used outside tests. */
#ifndef QMPRACE_TEST_TRIAL_SESSION_H
#define QMPRACE_TEST_TRIAL_SESSION_H

#include "session.h"

/* A session on `target` with each trial's `deadline` ("2s"), or NULL after a failed check saying why. */
struct session *test_trial_session(const char *target, const char *deadline);
/* Whether a `qemu` target can be made here (a QEMU binary on PATH); when not, says "SKIP: no QEMU: why"
 * on stdout for the test to exit 77. */
bool test_trial_have_qemu(void);
/* One trial of the schedule `text` (named t.sched) on `s`; a failed parse or trial is a failed check. */
struct trial_result test_trial_run(struct session *s, const char *text);

#endif
