/* Quick hangs (the hunt's harness): a hang of QEMU's own is judged once the target did nothing for a
 * while and two looks at its threads found the same ones blocked in the same places, long before the
 * deadline, under the signature the deadline gives. On Debian's 7.2 a failure in a multifd migration's
 * setup can leave its migration thread waiting in multifd_send_sync_main for good; the schedule below
 * (found by a hunt) does so in about a third of its trials: up to 30 trials are run until 2 have hung,
 * with a 3 s deadline, each hang a finding ended in under 1 s. The same schedule without quick hangs waits
 * out the deadline. Skipped (77, saying why) with no QEMU, or when no trial hung (another QEMU). */
#include <signal.h>
#include <string.h>

#include "check.h"
#include "mono.h"
#include "qemu_stacks.h"
#include "target.h"
#include "trial_session.h"

#define SKIP 77
#define TRIALS 30

static const char sched[] = "caps events=on multifd=on\nmigrate\n"
                            "after 218752B on any: stall all; wait 1us; freeze live_migration 59872us; reset all\n"
                            "on failed +1ms: caps events=off; qmp {\"execute\":\"migrate-start-postcopy\"}; "
                            "thaw live_migration\n";

/* Runs the schedule until it hangs (at most TRIALS times); the hang's result in *r and its time in *us. */
static bool hang_once(struct session *s, struct trial_result *r, uint64_t *us)
{
    for (int i = 0; i < TRIALS; i++) {
        uint64_t t0 = mono_now_us();
        *r = test_trial_run(s, sched);
        *us = mono_now_us() - t0;
        if (r->verdict == VERDICT_HANG)
            return true;
        trial_result_clear(r);
    }
    return false;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (!test_trial_have_qemu())
        return SKIP;
    if (!qemu_stacks_available()) {
        printf("SKIP: no eu-stack: the threads of a hang cannot be looked at\n");
        return SKIP;
    }
    struct session *quick = test_trial_session("qemu", "3s");
    if (!quick)
        return check_exit();
    session_set_quick_hangs(quick, true);
    int hung = 0;
    char first[sizeof ((struct trial_result *)0)->signature] = "";
    for (int k = 0; k < 2; k++) {
        struct trial_result r = {0};
        uint64_t us = 0;
        if (!hang_once(quick, &r, &us))
            break;
        hung++;
        CHECK_MSG(verdict_is_finding(r.verdict, r.signature) && strstr(r.signature, "multifd_send_sync_main"),
                  "a hang of QEMU's own: %s", r.signature);
        CHECK_MSG(us < 1000000, "judged before the 3 s deadline: %llu ms", (unsigned long long)(us / 1000));
        if (k == 0)
            snprintf(first, sizeof first, "%s", r.signature);
        else
            CHECK_MSG(strcmp(first, r.signature) == 0, "the same signature each time: %s, then %s", first,
                      r.signature);
        trial_result_clear(&r);
    }
    session_free(quick);
    if (!hung) {
        check_skip("the schedule did not hang this QEMU in 30 trials (Debian's 7.2 does, about 1 in 3)");
        return check_exit();
    }
    /* without quick hangs, the same hang is the deadline's */
    struct session *full = test_trial_session("qemu", "1s");
    if (!full)
        return check_exit();
    struct trial_result r = {0};
    uint64_t us = 0;
    if (hang_once(full, &r, &us)) {
        CHECK_MSG(us >= 1000000, "a hang without quick hangs waits out its deadline: %llu ms",
                  (unsigned long long)(us / 1000));
        CHECK_MSG(strstr(r.signature, "multifd_send_sync_main") != NULL, "the deadline's hang: %s", r.signature);
    }
    trial_result_clear(&r);
    session_free(full);
    return check_exit();
}
