/* Soak: 1,000 trials in one process on the simulated QEMU 7.2, crashes, passes and hangs mixed, through
 * the same trial engine `qmprace run` uses. After 100 trials of warm-up (every kind of trial has run ten
 * times and every buffer, timer heap and cache has reached its size), the process must not grow by the
 * end: no more open fds, threads or children, no zombies, heap in use within 1 KiB (about a byte a
 * trial: the count is exact with glibc's cache off, see trial_soak.h; one leaked JSON object or timeline
 * line per trial is 50 to 100 times more), and RSS within 1 MiB (glibc keeps freed memory and pages come
 * and go; a leaked migration buffer or timeline per trial is several MiB).
 * Verdicts are checked too, so the soak really ran what it says. */
#include <signal.h>
#include <stdio.h>

#include "check.h"
#include "mono.h"
#include "trial.h"
#include "trial_soak.h"

#define TRIALS 1000
#define WARMUP 100

/* The race with the reset after 64 KiB (fast), the same without the reaction, and a migration stalled
 * for good that only the deadline ends. */
static const char crash_text[] = "caps events=on multifd=on\nparams multifd-channels=2\nmigrate\n"
                                 "after 64KiB on any: reset all\non failed: caps multifd=off\n";
static const char pass_text[] = "caps events=on multifd=on\nparams multifd-channels=2\nmigrate\n"
                                "after 64KiB on any: reset all\n";
static const char hang_text[] = "caps events=on multifd=on\nparams multifd-channels=2\nmigrate\n"
                                "after 64KiB on any: stall all\n";
#define HANG_DEADLINE_US 30000

int main(int argc, char **argv)
{
    (void)argc;
    soak_exact_heap(argv);
    signal(SIGPIPE, SIG_IGN);
    struct schedule *kinds[3] = {soak_schedule(crash_text, "crash"), soak_schedule(pass_text, "pass"),
                                 soak_schedule(hang_text, "hang")};
    struct err e = {{0}};
    struct event_base *base = mono_event_base_new();
    struct target_options topt = {0};
    struct target *target = target_new("sim:qemu-7.2", &topt, &e);
    CHECK_MSG(target != NULL, "%s", e.msg);
    struct trial_env *env = base && target ? trial_env_new(base, target, &e) : NULL;
    CHECK_MSG(env != NULL, "%s", e.msg);
    if (!env || !kinds[0] || !kinds[1] || !kinds[2])
        return check_exit();

    struct soak_tally t = {0};
    struct soak_snap warm = {0}, mid = {0};
    uint64_t t0 = mono_now_us();
    for (unsigned i = 0; i < TRIALS; i++) {
        /* one hang in ten, the rest crash and pass in turn */
        unsigned k = i % 10 == 9 ? 2 : i % 2;
        soak_trial(&t, env, kinds[k], k, k == 2 ? HANG_DEADLINE_US : 0);
        if (i + 1 == WARMUP) {
            warm = soak_snap();
            soak_print("after 100", &warm);
        } else if (i + 1 == TRIALS / 2) {
            mid = soak_snap();
            soak_print("after 500", &mid);
        }
    }
    struct soak_snap end = soak_snap();
    soak_print("after 1000", &end);
    fprintf(stderr, "%u trials in %.1f s: crash schedule %u/%u crashed, pass schedule %u/%u passed, "
                    "stalled schedule %u/%u hung\n",
            TRIALS, (double)(mono_now_us() - t0) / 1e6, t.got[0][VERDICT_CRASH], t.ran[0], t.got[1][VERDICT_PASS],
            t.ran[1], t.got[2][VERDICT_HANG], t.ran[2]);

    CHECK_INT(t.errors, 0);
    CHECK_INT(t.ran[0] + t.ran[1] + t.ran[2], TRIALS);
    /* The sim's timing is fixed, but on a loaded machine (a sanitizer build, ctest -j) a reaction can
     * miss the window now and then; the hangs and passes do not depend on timing. */
    CHECK_MSG(t.got[0][VERDICT_CRASH] * 10 >= t.ran[0] * 9, "only %u/%u crash trials crashed",
              t.got[0][VERDICT_CRASH], t.ran[0]);
    CHECK_INT(t.got[1][VERDICT_PASS], t.ran[1]);
    CHECK_INT(t.got[2][VERDICT_HANG], t.ran[2]);
    CHECK_INT(end.children, 0);
    soak_compare(&warm, &end, 1024, 1024);

    trial_env_free(env);
    target_free(target);
    event_base_free(base);
    for (int k = 0; k < 3; k++)
        schedule_free(kinds[k]);
    return check_exit();
}
