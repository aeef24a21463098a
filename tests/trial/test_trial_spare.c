/* A QEMU that cannot serve again (its guest was reset) is replaced by a spare started and warmed up ahead
 * (target_keep_spare, as the hunt's harness asks): the next trial says so in its timeline, and runs where
 * a fresh QEMU would (capabilities at a fresh one's values, the guest running), and migrates; the spare
 * taken is replaced by another, which serves the next replacement; without the spare a replacement is a
 * new QEMU as before. Where hangs are quick (the harness), a QEMU that does not settle after a hang's reset
 * (7.2 stays in `setup` for good after a second `migrate` during COLO) is replaced after 50 ms, by the
 * spare. Nothing of the session's is left running after it ends: not the QEMU, not a spare.
 * Skipped (exit 77, with the reason) when there is no QEMU binary. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "target.h"
#include "trial_session.h"

#define SKIP 77

static const char resets[] = "caps events=on multifd=on\nqmp {\"execute\":\"system_reset\"}\n";
static const char after[] = "qmp {\"execute\":\"query-migrate-capabilities\"}\nqmp {\"execute\":\"query-status\"}\n"
                            "caps events=on\nmigrate\n";
static const char spared[] = "a spare QEMU, started ahead and warmed up by one migration, replaced the last one";

/* The trial after a replacement: on the spare, fresh, running, migrated. */
static void check_on_spare(const struct trial_result *r, const char *when)
{
    CHECK_MSG(r->verdict == VERDICT_PASS, "%s: %s %s", when, verdict_name(r->verdict), r->signature);
    CHECK_MSG(test_trial_noted(r, spared), "%s: the timeline says a spare replaced the QEMU", when);
    json_object *caps = test_trial_reply_of(r, "query-migrate-capabilities");
    json_object *st = test_trial_reply_of(r, "query-status"), *v = NULL;
    CHECK_MSG(caps && test_trial_cap_state(caps, "multifd") == 0, "%s: a fresh QEMU's capabilities (multifd off): %s",
              when, caps ? json_object_to_json_string(caps) : "not answered");
    CHECK_MSG(st && json_object_object_get_ex(st, "running", &v) && json_object_get_boolean(v),
              "%s: the spare's guest runs: %s", when, st ? json_object_to_json_string(st) : "not answered");
    CHECK_MSG(trial_result_migrated(r), "%s: the trial migrated", when);
    json_object_put(caps);
    json_object_put(st);
}

/* Processes whose parent is this one (a zombie counts: nothing collected it). */
static unsigned children(void)
{
    unsigned n = 0;
    DIR *d = opendir("/proc");
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
        FILE *f = de->d_name[0] >= '1' && de->d_name[0] <= '9' ? fopen(path, "r") : NULL;
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        const char *p = strrchr(buf, ')'); /* pid (comm) state ppid ... */
        int ppid = 0;
        char state;
        if (p && sscanf(p + 1, " %c %d", &state, &ppid) == 2 && ppid == getpid())
            n++;
    }
    if (d)
        closedir(d);
    return n;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (!test_trial_have_qemu())
        return SKIP;
    struct session *s = test_trial_session("qemu", "3s");
    if (!s)
        return check_exit();
    target_keep_spare(session_target(s), true);
    struct trial_result a = test_trial_run(s, resets);
    struct trial_result b = test_trial_run(s, after);
    struct trial_result c = test_trial_run(s, resets);
    struct trial_result d = test_trial_run(s, after);
    CHECK_MSG(a.verdict == VERDICT_PASS && c.verdict == VERDICT_PASS, "the resetting trials: %s, %s",
              verdict_name(a.verdict), verdict_name(c.verdict));
    CHECK_MSG(!test_trial_noted(&a, spared), "the first trial starts its QEMU itself");
    check_on_spare(&b, "after the first reset");
    check_on_spare(&d, "after the second reset (the spare started when the first was taken)");
    /* the running QEMU and the spare warming beside it */
    CHECK_MSG(children() >= 2, "a spare runs beside the session's QEMU (%u children)", children());
    session_free(s);
    CHECK_MSG(children() == 0, "nothing left running after the session ended (%u children)", children());

    /* quick hangs, as in the harness: a QEMU that does not settle after the reset is replaced by the spare */
    struct session *q = test_trial_session("qemu", "3s");
    if (q) {
        session_set_quick_hangs(q, true);
        target_keep_spare(session_target(q), true);
        struct trial_result x = test_trial_run(q, "caps events=on x-colo=on\nmigrate\non colo +1ms: migrate\n");
        struct trial_result y = test_trial_run(q, after);
        if (!test_trial_noted(&x, "the target is replaced"))
            printf("this QEMU settled after COLO and a second migrate (%s): the quick replacement not checked\n",
                   x.signature);
        else {
            CHECK_MSG(test_trial_noted(&x, "the target is replaced: it did not settle within 50ms of the reset"),
                      "a quick hang's QEMU that does not settle is replaced after 50 ms");
            check_on_spare(&y, "after a QEMU that did not settle");
        }
        trial_result_clear(&x);
        trial_result_clear(&y);
        session_free(q);
    }

    /* without a spare: a replacement is a new QEMU, started for the trial */
    struct session *n = test_trial_session("qemu", "3s");
    if (n) {
        struct trial_result e = test_trial_run(n, resets), f = test_trial_run(n, after);
        CHECK_MSG(f.verdict == VERDICT_PASS && !test_trial_noted(&f, spared) && !test_trial_noted(&f, "reused QEMU"),
                  "without a spare the trial after a reset has a new QEMU: %s", verdict_name(f.verdict));
        trial_result_clear(&e);
        trial_result_clear(&f);
        session_free(n);
    }
    trial_result_clear(&a);
    trial_result_clear(&b);
    trial_result_clear(&c);
    trial_result_clear(&d);
    return check_exit();
}
