/* trial_session: a session ready for trials (see trial_session.h). */
#include "trial_session.h"

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "target.h"

struct session *test_trial_session(const char *target, const char *deadline)
{
    struct trial_profile p;
    profile_init(&p);
    struct err e = {{0}};
    CHECK_MSG(profile_set(&p, "target", target, &e) == 0, "%s", e.msg);
    CHECK_MSG(profile_set(&p, "deadline", deadline, &e) == 0, "%s", e.msg);
    struct session *s = session_new(&p, &e);
    profile_clear(&p);
    if (!s || session_start(s, SESSION_TRIALS, NULL, 0, &e) != 0) {
        CHECK_MSG(false, "a session on %s: %s", target, e.msg);
        session_free(s);
        return NULL;
    }
    return s;
}

bool test_trial_have_qemu(void)
{
    struct err e = {{0}};
    struct target_options topt = {0};
    struct target *probe = target_new("qemu", &topt, &e);
    if (!probe)
        printf("SKIP: no QEMU: %s\n", e.msg);
    target_free(probe);
    return probe != NULL;
}

struct trial_result test_trial_run(struct session *s, const char *text)
{
    struct err e = {{0}};
    struct trial_result r;
    memset(&r, 0, sizeof r);
    struct schedule *sched = schedule_parse(text, strlen(text), "t.sched", &e);
    CHECK_MSG(sched != NULL, "%s", e.msg);
    if (sched)
        CHECK_MSG(session_trial(s, sched, &r, &e) == 0, "%s", e.msg);
    schedule_free(sched);
    return r;
}
