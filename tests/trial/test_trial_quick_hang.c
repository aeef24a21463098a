/* Quick hangs (the hunt's harness): a hang of QEMU's own is judged once the target did nothing for a
 * while and two looks at its threads found the same ones blocked in the same places, long before the
 * deadline, under the signature the deadline gives. On Debian's 7.2 a failure in a multifd migration's
 * setup can leave its migration thread waiting in multifd_send_sync_main for good; the schedule below
 * (found by a hunt) does so in about a third of its trials: up to 30 trials are run until 2 have hung,
 * with a 3 s deadline, each hang a finding ended in under 1 s. The same schedule without quick hangs waits
 * out the deadline. A second schedule (also a hunt's) leaves it there at its completion in about one
 * trial in six, holding the lock the main loop waits for: a command sent after it gets no reply, and the
 * next trial may hang in its setup with only the settle probe's query unanswered. No probe answer comes
 * to call the quick check then; the trial's own timer takes the looks, and every such hang too ends in
 * under 1 s (up to 60 trials, until both kinds were seen). Skipped (77, saying why) with no QEMU, or when
 * no trial hung (another QEMU). */
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

/* pause-before-switchover, then the continue and a reset of a multifd channel together: the completion
 * may wait in multifd_send_sync_main for good, holding the lock the main loop waits for, and the cancel
 * after it is never answered; the next trial's setup may hang so too, with nothing of the schedule left
 * but the settle probe's unanswered query */
static const char unanswered[] = "caps events=on multifd=on pause-before-switchover=on\nmigrate\n"
                                 "on pre-switchover: qmp {\"execute\":\"migrate-continue\","
                                 "\"arguments\":{\"state\":\"pre-switchover\"}}\n"
                                 "on pre-switchover +1ms: cancel\n"
                                 "on pre-switchover: reset multifd1\n";

/* Runs `text` until it hangs (at most `trials` times); the hang's result in *r and its time in *us. */
static bool hang_text(struct session *s, const char *text, int trials, struct trial_result *r, uint64_t *us)
{
    for (int i = 0; i < trials; i++) {
        uint64_t t0 = mono_now_us();
        *r = test_trial_run(s, text);
        *us = mono_now_us() - t0;
        if (r->verdict == VERDICT_HANG)
            return true;
        trial_result_clear(r);
    }
    return false;
}

static bool hang_once(struct session *s, struct trial_result *r, uint64_t *us)
{
    return hang_text(s, sched, TRIALS, r, us);
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
    /* commands left unanswered: every hang is a finding judged as quickly, until one of each kind (the
     * schedule's command, the probe's) or 60 trials; which were seen is printed */
    bool line_seen = false, probe_seen = false;
    for (int k = 0; k < 60 && !(line_seen && probe_seen); k++) {
        struct trial_result r = {0};
        uint64_t us = 0;
        if (!hang_text(quick, unanswered, 1, &r, &us))
            continue;
        hung++;
        CHECK_MSG(verdict_is_finding(r.verdict, r.signature) && strstr(r.signature, "multifd_send_sync_main"),
                  "a hang of QEMU's own: %s", r.signature);
        CHECK_MSG(us < 1000000, "a command unanswered, judged before the 3 s deadline: %llu ms (%s)",
                  (unsigned long long)(us / 1000), r.signature);
        printf("trial %d: %s in %llu ms\n", k + 1, r.signature, (unsigned long long)(us / 1000));
        if (strstr(r.signature, "(no reply to "))
            line_seen = true;
        else
            probe_seen = true;
        trial_result_clear(&r);
    }
    printf("unanswered: %s the schedule's command, %s the settle probe's\n", line_seen ? "seen" : "not seen",
           probe_seen ? "seen" : "not seen");
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
