/* The tally a hunt prints its migration trials per second from: an input the target refuses counts as
 * refused, a trial whose `migrate` was never accepted as one without migration, a trial that migrated as
 * a migration trial (whatever its verdict), a crash among them as a finding and a hang the schedule made
 * as a hang; the time of each goes to its kind (a finding's to the findings, such a hang's to the hangs). What the harness writes
 * the hunt reads back, added over AFL++ instances. Real trials on the simulated QEMU 7.2, as a hunt's. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "session.h"
#include "tally.h"
#include "trial_session.h"

/* One input of `text`, said to have taken `us` (the harness measures it; here each kind gets its own
 * figure, so each can be found where it belongs). */
static void one(struct session *s, struct tally *t, const char *text, uint64_t us)
{
    struct err e = {{0}};
    struct schedule *sched = schedule_parse(text, strlen(text), "t.sched", &e);
    CHECK_MSG(sched != NULL, "%s", e.msg);
    if (!sched)
        return;
    struct trial_result r;
    memset(&r, 0, sizeof r);
    int rc = session_trial(s, sched, &r, &e);
    tally_add(t, rc, rc == 0 ? &r : NULL, us);
    if (rc == 0)
        trial_result_clear(&r);
    schedule_free(sched);
}

int main(void)
{
    struct err e = {{0}};
    struct session *s = test_trial_session("sim:qemu-7.2", "2s");
    if (!s)
        return check_exit();

    struct tally t = {0};
    tally_start(&t, 7);
    one(s, &t, "caps mapped-ram=on\nmigrate\n", 1);       /* 7.2 has no mapped-ram: refused */
    one(s, &t, "caps events=on\nquery\n", 10);              /* no migration at all */
    one(s, &t, "caps events=on\nmigrate\n", 100);           /* a migration that completes */
    one(s, &t, "caps events=on multifd=on\nmigrate\n"      /* the modelled race: a migration that crashes */
               "after 4MiB on any: stall all; wait 20ms; freeze live_migration 30ms; reset all\n"
               "on failed +1ms: caps multifd=off\n", 1000);
    one(s, &t, "caps events=on multifd=on\nmigrate\n"  /* a hang the schedule makes: no finding */
               "after 1MiB on any: stall all\n", 10000);
    session_free(s);
    CHECK_INT(t.refused, 1);
    CHECK_INT(t.no_migration, 1);
    CHECK_INT(t.migrations, 3);
    CHECK_INT(t.findings, 1);
    CHECK_INT(t.hangs, 1);
    /* the time of each input where its kind is: a finding's apart from the other migrations' */
    CHECK_INT(t.us_refused, 1);
    CHECK_INT(t.us_no_migration, 10);
    CHECK_INT(t.us_migrations, 100);
    CHECK_INT(t.us_findings, 1000);
    CHECK_INT(t.us_hangs, 10000);
    CHECK_INT(t.starts, 1);
    CHECK_INT(t.us_starts, 7);

    /* what one instance wrote, read back and added to another's */
    char dir[256];
    if (check_mkdtemp(dir, sizeof dir)) {
        char path[300];
        snprintf(path, sizeof path, "%s/%s", dir, TALLY_FILE);
        CHECK_MSG(tally_write(path, &t, &e) == 0, "%s", e.msg);
        struct tally sum = {.migrations = 10, .refused = 1};
        tally_read(path, &sum);
        CHECK_INT(sum.migrations, 13);
        CHECK_INT(sum.hangs, 1);
        CHECK_INT(sum.us_hangs, 10000);
        CHECK_INT(sum.no_migration, 1);
        CHECK_INT(sum.refused, 2);
        CHECK_INT(sum.findings, t.findings);
        CHECK_INT(sum.us_findings, 1000);
        CHECK_INT(sum.us_migrations, 100);
        CHECK_INT(sum.us_starts, 7);
        struct tally none = {0};
        tally_read("/nonexistent/qmprace_tally", &none); /* a missing file adds nothing */
        CHECK_INT(none.migrations + none.refused, 0);
        unlink(path);
        rmdir(dir);
    }
    return check_exit();
}
