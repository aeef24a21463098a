/* The tally a hunt prints its migration trials per second from: an input the target refuses counts as
 * refused, a trial whose `migrate` was never accepted as one without migration, a trial that migrated as
 * a migration trial (whatever its verdict), and a crash among them as a finding. What the harness writes
 * the hunt reads back, added over AFL++ instances. Real trials on the simulated QEMU 7.2, as a hunt's. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "session.h"
#include "tally.h"
#include "trial_session.h"

static void one(struct session *s, struct tally *t, const char *text)
{
    struct err e = {{0}};
    struct schedule *sched = schedule_parse(text, strlen(text), "t.sched", &e);
    CHECK_MSG(sched != NULL, "%s", e.msg);
    if (!sched)
        return;
    struct trial_result r;
    memset(&r, 0, sizeof r);
    int rc = session_trial(s, sched, &r, &e);
    tally_add(t, rc, rc == 0 ? &r : NULL);
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
    one(s, &t, "caps mapped-ram=on\nmigrate\n");          /* 7.2 has no mapped-ram: refused */
    one(s, &t, "caps events=on\nquery\n");                 /* no migration at all */
    one(s, &t, "caps events=on\nmigrate\n");               /* a migration that completes */
    one(s, &t, "caps events=on multifd=on\nmigrate\n"      /* the modelled race: a migration that crashes */
               "after 4MiB on any: stall all; wait 20ms; freeze live_migration 30ms; reset all\n"
               "on failed +1ms: caps multifd=off\n");
    session_free(s);
    CHECK_INT(t.refused, 1);
    CHECK_INT(t.no_migration, 1);
    CHECK_INT(t.migrations, 2);
    CHECK_INT(t.findings, 1);

    /* what one instance wrote, read back and added to another's */
    char dir[256];
    if (check_mkdtemp(dir, sizeof dir)) {
        char path[300];
        snprintf(path, sizeof path, "%s/%s", dir, TALLY_FILE);
        CHECK_MSG(tally_write(path, &t, &e) == 0, "%s", e.msg);
        struct tally sum = {.migrations = 10, .refused = 1};
        tally_read(path, &sum);
        CHECK_INT(sum.migrations, 12);
        CHECK_INT(sum.no_migration, 1);
        CHECK_INT(sum.refused, 2);
        CHECK_INT(sum.findings, t.findings);
        struct tally none = {0};
        tally_read("/nonexistent/qmprace_tally", &none); /* a missing file adds nothing */
        CHECK_INT(none.migrations + none.refused, 0);
        unlink(path);
        rmdir(dir);
    }
    return check_exit();
}
