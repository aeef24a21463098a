/* Soak on real QEMU: 100 trials in one process against `--target qemu` (Debian's qemu-system-x86_64),
 * with crashes (libvirt's reaction with live_migration held: the yank assertion), passes (the reset
 * without the reaction: QEMU is reused) and hangs (a stalled migration that only the deadline ends: that
 * QEMU is killed). After every trial at most one QEMU may be left (the reused one) and no zombie; after
 * trial 100 the process must have no more fds, threads, children or heap in use (within 1 KiB, the
 * count being exact: see trial_soak.h) than after trial 20, both taken right after a pass, when a reused
 * QEMU is running. RSS within 2 MiB. Skipped (exit 77, with the reason) when there is no qemu target or
 * no QEMU binary. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "mono.h"
#include "trial.h"
#include "trial_soak.h"

#define TRIALS 100
#define WARMUP 20
#define HANG_DEADLINE_US 300000
/* A held trial either crashes within a few hundred ms or hangs with its cleanup pending (real QEMU does
 * that now and then); 2 s keeps such hangs from costing the default 10 s. */
#define DEADLINE_US 2000000
#define SKIP 77

static const char hang_text[] = "caps events=on multifd=on\nparams multifd-channels=2\nmigrate\n"
                                "after 8MiB on any: stall all\n";

static struct schedule *corpus(const char *name)
{
    const char *src = getenv("QMPRACE_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/corpus/%s", src ? src : ".", name);
    struct err e = {{0}};
    struct schedule *s = schedule_load(path, &e);
    CHECK_MSG(s != NULL, "%s", e.msg);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    soak_exact_heap(argv);
    signal(SIGPIPE, SIG_IGN);
    struct err e = {{0}};
    struct target_options topt = {0};
    struct target *target = target_new("qemu", &topt, &e);
    if (!target) {
        printf("SKIP: no real-QEMU soak: %s\n", e.msg);
        return SKIP;
    }
    struct schedule *kinds[3] = {corpus("libvirt-reset-held.sched"), corpus("control-reset-only.sched"),
                                 soak_schedule(hang_text, "hang")};
    struct event_base *base = mono_event_base_new();
    struct trial_env *env = base ? trial_env_new(base, target, &e) : NULL;
    CHECK_MSG(env != NULL, "%s", e.msg);
    if (!env || !kinds[0] || !kinds[1] || !kinds[2])
        return check_exit();

    struct soak_tally t = {0};
    unsigned crowded = 0;
    struct soak_snap warm = {0};
    uint64_t t0 = mono_now_us();
    for (unsigned i = 0; i < TRIALS; i++) {
        /* in every ten: four crashes, five passes (the last of them at 10, 20, ...), one hang */
        static const unsigned pattern[10] = {0, 1, 0, 1, 0, 1, 0, 1, 2, 1};
        unsigned k = pattern[i % 10];
        soak_trial(&t, env, kinds[k], k, k == 2 ? HANG_DEADLINE_US : DEADLINE_US);
        struct soak_snap s = soak_snap();
        if (s.children > 1 || s.zombies > 0) {
            if (crowded++ < 3)
                soak_print("crowded", &s);
        }
        if (i + 1 == WARMUP) {
            warm = s;
            soak_print("after 20", &warm);
        }
    }
    struct soak_snap end = soak_snap();
    soak_print("after 100", &end);
    fprintf(stderr, "%u trials in %.1f s: held reaction %u/%u crashed, reset only %u/%u passed, stalled %u/%u hung\n",
            TRIALS, (double)(mono_now_us() - t0) / 1e6, t.got[0][VERDICT_CRASH], t.ran[0], t.got[1][VERDICT_PASS],
            t.ran[1], t.got[2][VERDICT_HANG], t.ran[2]);

    CHECK_INT(t.errors, 0);
    CHECK_MSG(crowded == 0, "%u trials ended with more than one QEMU or a zombie", crowded);
    /* Real QEMU's timing varies: the soak needs crashes and hangs to have happened, not a rate. */
    CHECK_MSG(t.got[0][VERDICT_CRASH] > 0, "no trial crashed QEMU");
    CHECK_MSG(t.got[2][VERDICT_HANG] > 0, "no trial hung");
    CHECK_MSG(t.got[1][VERDICT_PASS] * 10 >= t.ran[1] * 9, "only %u/%u reset-only trials passed",
              t.got[1][VERDICT_PASS], t.ran[1]);
    soak_compare(&warm, &end, 1024, 2048);

    trial_env_free(env);
    target_free(target);
    event_base_free(base);
    struct soak_snap after = soak_snap();
    CHECK_MSG(after.children == 0, "%ld children left after target_free", after.children);
    for (int k = 0; k < 3; k++)
        schedule_free(kinds[k]);
    return check_exit();
}
