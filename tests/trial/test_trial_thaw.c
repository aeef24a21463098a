/* `thaw THREAD`: a window held by a freeze closes as soon as the reaction's command has landed, not at the
 * freeze's end, and a thaw that finds nothing held is reported as not run as written. Real trials on the
 * simulated QEMU 7.2: the seed race with the thaw still crashes; a pass with the thaw lets the thread go
 * right after the command's reply (long before its 300 ms were up); a thaw of a thread nobody held is a
 * miss that names the line. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "session.h"
#include "timeline.h"
#include "trial_session.h"

#define OPENER "caps events=on multifd=on\nmigrate\nafter 1MiB on any: freeze live_migration 300ms; reset all\n"

/* The time of the first entry of `kind` whose text contains `what`, or -1. */
static long long when(const struct trial_result *r, enum tl_kind kind, const char *what)
{
    for (size_t i = 0; r->timeline && i < timeline_count(r->timeline); i++) {
        const struct tl_entry *en = timeline_get(r->timeline, i);
        if (en->kind == kind && en->text && strstr(en->text, what))
            return (long long)en->t_us;
    }
    return -1;
}

int main(void)
{
    struct session *s = test_trial_session("sim:qemu-7.2", "2s");
    if (!s)
        return check_exit();

    /* the command lands in the held window, then the hold ends: the race still crashes */
    struct trial_result crash = test_trial_run(s, OPENER "on failed +1ms: caps multifd=off; thaw live_migration\n");
    CHECK_MSG(crash.verdict == VERDICT_CRASH, "the seed race with a thaw did not crash: %s", crash.signature);
    CHECK_MSG(crash.nmisses == 0, "a thaw inside the hold was reported: %s", crash.nmisses ? crash.misses[0].what : "");

    /* a harmless command: the thread goes right after the reply, not 300 ms after the hold began */
    struct trial_result pass = test_trial_run(s, OPENER "on failed +1ms: query; thaw live_migration\n");
    CHECK(pass.verdict == VERDICT_PASS && pass.nmisses == 0);
    long long held = when(&pass, TL_THREAD, "held"), reply = when(&pass, TL_QMP_IN, "query-migrate"),
              released = when(&pass, TL_THREAD, "released");
    CHECK_MSG(held >= 0 && reply > held && released >= reply, "held %lld, reply %lld, released %lld", held, reply,
              released);
    CHECK_MSG(released >= 0 && released - held < 200000, "released %lld us after it was held", released - held);

    /* a thaw with nothing held did not do what it says */
    struct trial_result none = test_trial_run(s, "caps events=on\nmigrate\non active: thaw main\n");
    CHECK(none.verdict == VERDICT_PASS);
    CHECK_MSG(none.nmisses == 1 && strstr(none.misses[0].what, "line 3: thaw main released nothing"),
              "%s", none.nmisses ? none.misses[0].what : "no miss");

    trial_result_clear(&crash);
    trial_result_clear(&pass);
    trial_result_clear(&none);
    session_free(s);
    return check_exit();
}
