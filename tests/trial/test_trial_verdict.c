/* Crash signatures and rates as a user reads them: the same QEMU bug must give the same signature
 * whatever the binary's name, build path or line numbers, and the intervals must be the Wilson ones. */
#include <math.h>
#include <signal.h>
#include <stdlib.h>

#include "check.h"
#include "verdict.h"

static const char *sig(int signo, const char *msg)
{
    static char out[512];
    verdict_signature(signo, msg, out, sizeof out);
    return out;
}

#define YANK "SIGABRT yank_unregister_instance: Assertion `QLIST_EMPTY(&entry->yankfns)' failed"

int main(void)
{
    /* Debian's binary (transcripts), a developer's build with another path and line, a timestamped line */
    CHECK_STR(sig(SIGABRT, "qemu-system-x86_64: ../../util/yank.c:107: yank_unregister_instance: Assertion "
                           "`QLIST_EMPTY(&entry->yankfns)' failed."),
              YANK);
    CHECK_STR(sig(SIGABRT, "../qemu-master/build/qemu-system-x86_64: ../qemu-master/util/yank.c:112: "
                           "yank_unregister_instance: Assertion `QLIST_EMPTY(&entry->yankfns)' failed.\n"),
              YANK);
    CHECK_STR(sig(SIGABRT, "2026-11-27T00:24:51.090549Z qemu-system-x86_64: ../../util/yank.c:107: "
                           "yank_unregister_instance: Assertion `QLIST_EMPTY(&entry->yankfns)' failed."),
              YANK);
    CHECK_STR(sig(SIGABRT, "qemu-system-x86_64: ../../util/qemu-thread-posix.c:87: qemu_mutex_lock_impl: "
                           "Assertion `mutex->initialized' failed."),
              "SIGABRT qemu_mutex_lock_impl: Assertion `mutex->initialized' failed");
    CHECK_STR(sig(SIGSEGV, NULL), "SIGSEGV");
    CHECK_STR(sig(SIGSEGV, ""), "SIGSEGV");
    CHECK_STR(sig(0, NULL), "QMP connection lost");
    /* a message without program or location stays as it is, minus the final period */
    CHECK_STR(sig(SIGABRT, "something went wrong."), "SIGABRT something went wrong");
    char buf[32];
    CHECK_STR(verdict_signal_name(SIGKILL, buf, sizeof buf), "SIGKILL");
    CHECK_STR(verdict_signal_name(200, buf, sizeof buf), "signal 200");

    double lo, hi;
    verdict_wilson(100, 100, &lo, &hi);
    CHECK(fabs(lo - 0.963) < 0.001 && hi == 1.0);
    verdict_wilson(0, 100, &lo, &hi);
    CHECK(lo == 0.0 && fabs(hi - 0.037) < 0.001);
    verdict_wilson(5, 10, &lo, &hi);
    CHECK(fabs(lo - 0.237) < 0.001 && fabs(hi - 0.763) < 0.001);
    verdict_wilson(0, 0, &lo, &hi);
    CHECK(lo == 0.0 && hi == 1.0);

    /* a hang is a finding unless what did not end is the schedule, its holds, a command QEMU waits for
     * by design, or a sink that never answers; with or without the blocked threads before the reason */
    CHECK(verdict_hang_is_finding("did not settle: migration cancelling"));
    CHECK(verdict_hang_is_finding("multifdsend_N in sendmsg (did not settle: migration cancelling)"));
    CHECK(!verdict_hang_is_finding(VERDICT_HANG_SCHEDULE));
    /* a stack with a parenthesis of its own: the reason is the last one (a hunt counted this as a finding) */
    CHECK(!verdict_hang_is_finding("main in a hold of qmprace's (freeze) (" VERDICT_HANG_SCHEDULE ")"));
    CHECK(verdict_hang_is_finding("main in a hold of qmprace's (freeze) (did not settle: migration active)"));
    /* ... and a reason with a parenthesis of its own (a hunt counted this as a finding) */
    CHECK(!verdict_hang_is_finding("live_migration in qio_channel_read (" VERDICT_HANG_SINK ": it never answers; "
                                   "did not settle: status settled, cleanup pending (query-yank lists the migration))"));
    CHECK(verdict_hang_is_finding("live_migration in multifd_send_sync_main (did not settle: status settled, cleanup "
                                  "pending (query-yank lists the migration))"));
    CHECK(!verdict_hang_is_finding("live_migration in x (" VERDICT_HANG_HELD ": main stalled; did not settle: migration active)"));
    /* ... and such a reason alone, with no stacks before it (a qmp: target, or a hunt that looked at none) */
    CHECK(!verdict_hang_is_finding(VERDICT_HANG_HELD ": main stalled; did not settle: status settled, cleanup pending "
                                   "(query-yank lists the migration)"));
    CHECK(verdict_hang_is_finding("did not settle: status settled, cleanup pending (query-yank lists the migration)"));
    CHECK(!verdict_hang_is_finding(VERDICT_HANG_COMMAND ": migrate-continue; did not settle: migration pre-switchover"));
    CHECK(!verdict_hang_is_finding("live_migration in qio_channel_read (" VERDICT_HANG_SINK ": it never answers; did not settle: x)"));
    CHECK(!verdict_is_finding(VERDICT_HANG, VERDICT_HANG_SINK ": it never answers"));
    CHECK(!verdict_hang_is_finding("live_migration in migration_rate_limit (" VERDICT_HANG_SLOW
                                   ": its bytes still flowed at the deadline; did not settle: migration active)"));
    CHECK(verdict_is_finding(VERDICT_HANG, "no reply to query-migrate"));

    struct verdict_stats s;
    verdict_stats_init(&s);
    verdict_stats_add(&s, VERDICT_CRASH, "SIGSEGV", 3000);
    verdict_stats_add(&s, VERDICT_CRASH, YANK, 1000);
    verdict_stats_add(&s, VERDICT_PASS, NULL, 2000);
    verdict_stats_add(&s, VERDICT_CRASH, YANK, 5000);
    verdict_stats_add(&s, VERDICT_HANG, "no reply to migrate", 10000);
    verdict_stats_sort(&s);
    CHECK_INT(s.trials, 5);
    CHECK_INT(s.crashes, 3);
    CHECK_INT(s.hangs, 1);
    CHECK_INT(s.nsigs, 2);
    CHECK_STR(s.sigs[0].key, YANK);
    CHECK_INT(s.sigs[0].count, 2);
    CHECK_INT(verdict_stats_median_us(&s), 3000);
    verdict_stats_free(&s);

    /* a hang is a finding when the target did not end (a command unanswered, a migration unsettled), not
     * when a schedule line still waited at the deadline */
    CHECK(verdict_is_finding(VERDICT_CRASH, YANK));
    CHECK(verdict_is_finding(VERDICT_VIOLATION, "violation: settings-kept: multifd"));
    CHECK(!verdict_is_finding(VERDICT_PASS, NULL));
    CHECK(verdict_is_finding(VERDICT_HANG, "no reply to migrate"));
    CHECK(verdict_is_finding(VERDICT_HANG, "live_migration in multifd_send (did not settle: migration cancelling)"));
    CHECK(!verdict_is_finding(VERDICT_HANG, "schedule still running"));
    CHECK(!verdict_is_finding(VERDICT_HANG, "main in main_loop_wait (schedule still running)"));
    CHECK(!verdict_is_finding(VERDICT_HANG, ""));
    return check_exit();
}
