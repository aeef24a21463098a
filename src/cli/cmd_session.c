/* cmd_session: a command's session, opened one way (see cmd_session.h). */
#include "cmd_session.h"

#include <stdio.h>

#include "cmd.h"
#include "cmd_opts.h"

int cmd_session_open(const char *cmd, const struct trial_profile *p, unsigned flags, struct schedule *const *scheds,
                     size_t n, struct session **sp)
{
    struct err e = {{0}};
    struct session *s = *sp = session_new(p, &e);
    if (!s)
        return cmd_usage_error(cmd, "%s", e.msg);
    const char *warning = target_warning(session_target(s));
    if (warning)
        fprintf(stderr, "qmprace %s: warning: %s\n", cmd, warning);
    int rc = session_start(s, flags, scheds, n, &e);
    if (rc == SESSION_REFUSED) {
        fprintf(stderr, "%s\n", e.msg); /* FILE:LINE:COL: ..., as every schedule error */
        return EXIT_USAGE;
    }
    if (rc < 0) {
        fprintf(stderr, "qmprace %s: %s\n", cmd, e.msg);
        return EXIT_TARGET;
    }
    return -1;
}
