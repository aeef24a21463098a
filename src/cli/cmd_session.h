/* cmd_session: how every command that runs trials opens its session, said once: the session under the
 * resolved profile, the target's warning, the schedules admitted before anything runs, and the exit status
 * each failure means (2 a bad target spec or a schedule the target cannot run, 3 a target that cannot be
 * started). Prints and nothing else. */
#ifndef QMPRACE_CMD_SESSION_H
#define QMPRACE_CMD_SESSION_H

#include "session.h"

/* Returns -1 to go on (*sp set; the caller frees it even on failure), else the exit status after saying
 * why on stderr ("qmprace CMD: ..." or the schedule's "FILE:LINE:COL: ..."). */
int cmd_session_open(const char *cmd, const struct trial_profile *p, unsigned flags, struct schedule *const *scheds,
                     size_t n, struct session **sp);

#endif
