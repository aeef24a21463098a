/* The state feedback AFL++ gets, as the fuzzer would see it: features that say what happened inside the
 * target, so a schedule that moves a command closer to the race window looks new. Runs real trials on
 * the simulated VMM. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "feedback.h"
#include "mono.h"
#include "schedule.h"
#include "target.h"
#include "trial.h"

struct features {
    unsigned char n[FEEDBACK_KEYS];
};

static void collect(void *arg, unsigned key, unsigned count)
{
    struct features *f = arg;
    CHECK(key < FEEDBACK_KEYS);
    if (key < FEEDBACK_KEYS)
        f->n[key] = (unsigned char)count;
}

static struct trial_env *env;
static struct target *target;

static void run(const char *text, struct features *f, enum verdict *v)
{
    struct err e = {{0}};
    struct schedule *s = schedule_parse(text, strlen(text), "t.sched", &e);
    CHECK_MSG(s != NULL, "%s", e.msg);
    memset(f, 0, sizeof *f);
    struct trial_result r;
    CHECK_INT(trial_run(env, s, NULL, &r, &e), 0);
    *v = r.verdict;
    feedback_features(&r, true, collect, f);
    trial_result_clear(&r);
    schedule_free(s);
}

/* A crash result with no timeline entries and signature `sig`. */
static struct trial_result crash_result(const char *sig)
{
    struct trial_result r;
    memset(&r, 0, sizeof r);
    r.verdict = VERDICT_CRASH;
    r.signo = SIGABRT;
    snprintf(r.signature, sizeof r.signature, "%s", sig);
    r.timeline = timeline_new(0, 0);
    return r;
}

/* The one key of the signature family `r` gives (0: none; CHECKs there is at most one). */
static unsigned signature_feature(const struct trial_result *r)
{
    struct features f;
    memset(&f, 0, sizeof f);
    feedback_features(r, true, collect, &f);
    unsigned key = 0, n = 0;
    for (unsigned k = FB_SIGNATURE; k < FB_END; k++)
        if (f.n[k]) {
            key = k;
            n++;
        }
    CHECK(n <= 1);
    return key;
}

#define PRE "caps events=on multifd=on\nparams multifd-channels=2\nmigrate\nafter 8MiB on any: reset all\n"

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    struct err e = {{0}};
    struct event_base *base = mono_event_base_new();
    target = target_new("sim:qemu-7.2", NULL, &e);
    env = trial_env_new(base, target, &e);
    CHECK_MSG(env != NULL, "%s", e.msg);
    struct features crash, active, twice;
    enum verdict v;

    /* the race: the capability change is accepted inside the window, in `failed` (the window held open
     * by holding live_migration, so a loaded machine cannot close it before the command lands) */
#define HELD "on failed: freeze live_migration 20ms; caps multifd=off\n"
    run(PRE HELD, &crash, &v);
    CHECK_INT(v, VERDICT_CRASH);
    CHECK(crash.n[FB_INSIDE + ACT_CAPS * 3 + TL_ACCEPTED]);
    CHECK(crash.n[FB_OUTCOME + (ACT_CAPS * FB_NSTATUS + MIG_FAILED) * 3 + 1]); /* caps accepted in failed */
    CHECK(crash.n[FB_TRANS + MIG_ACTIVE * FB_NSTATUS + MIG_FAILED]);
    CHECK(crash.n[FB_VERDICT + VERDICT_CRASH * 8 + (SIGABRT & 7)]);

    /* Where a command lands relative to the window, on timelines made by hand (real trials would make
     * these checks depend on the machine's load): FAILED at 1000 us, cleanup starts at 3000 us. */
    {
        struct synth {
            uint64_t reply_us;
            unsigned key;
        } cases[] = {
            {2000, FB_INSIDE + ACT_CAPS * 3 + TL_ACCEPTED}, /* inside the window */
            {3000 + 10000, FB_AFTER + ACT_CAPS * FB_NBUCKET + 3}, /* 10 ms after: the far bucket */
            {3000 + 4000, FB_AFTER + ACT_CAPS * FB_NBUCKET + 2},  /* 4 ms after: closer, a different bucket */
            {3000 + 1000, FB_AFTER + ACT_CAPS * FB_NBUCKET + 1},  /* 1 ms after */
            {3000 + 100, FB_AFTER + ACT_CAPS * FB_NBUCKET + 0},   /* 100 us after: just missed */
            {1000 - 300, FB_BEFORE + ACT_CAPS * FB_NBUCKET + 1},  /* 300 us before FAILED */
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            struct trial_result r = {.verdict = VERDICT_PASS};
            r.timeline = timeline_new(1000000, 0);
            timeline_add_coded(r.timeline, 1000000 + 100, TL_EVENT, MIG_ACTIVE, 0, "MIGRATION active");
            timeline_add_coded(r.timeline, 1000000 + 1000, TL_TRACE, TRACE_MIGRATE_SET_STATE, MIG_FAILED, "migrate_set_state");
            timeline_add_coded(r.timeline, 1000000 + 3000, TL_TRACE, TRACE_SAVEVM_STATE_CLEANUP, -1, "savevm_state_cleanup");
            timeline_add_coded(r.timeline, 1000000 + cases[i].reply_us, TL_QMP_IN, ACT_CAPS, TL_ACCEPTED, "caps");
            struct features f;
            memset(&f, 0, sizeof f);
            feedback_features(&r, true, collect, &f);
            CHECK_MSG(f.n[cases[i].key], "case %zu: reply at %llu us: feature %u missing", i,
                      (unsigned long long)cases[i].reply_us, cases[i].key);
            unsigned n = 0;
            for (unsigned k = FB_INSIDE; k < FB_TRACE; k++)
                n += f.n[k] != 0;
            CHECK_INT(n, 1); /* exactly one proximity feature per command */
            trial_result_clear(&r);
        }
    }

    /* every way a migration ends opens a window of its own kind until its cleanup: a command answered
     * after `cancelled` or `completed` and before the cleanup lands inside that window, not the failure's */
    {
        const struct {
            int status;
            enum fb_window kind;
        } ends[] = {{MIG_FAILED, FB_WINDOW_FAILURE}, {MIG_CANCELLED, FB_WINDOW_CANCEL},
                    {MIG_COMPLETED, FB_WINDOW_COMPLETION}};
        for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
            struct trial_result r = {.verdict = VERDICT_PASS};
            r.timeline = timeline_new(1000000, 0);
            timeline_add_coded(r.timeline, 1000000 + 100, TL_EVENT, MIG_ACTIVE, 0, "MIGRATION active");
            timeline_add_coded(r.timeline, 1000000 + 1000, TL_EVENT, ends[i].status, 0, "MIGRATION end");
            timeline_add_coded(r.timeline, 1000000 + 2000, TL_QMP_IN, ACT_CAPS, TL_ACCEPTED, "caps");
            timeline_add_coded(r.timeline, 1000000 + 3000, TL_TRACE, TRACE_SAVEVM_STATE_CLEANUP, -1, "savevm_state_cleanup");
            struct features f;
            memset(&f, 0, sizeof f);
            feedback_features(&r, true, collect, &f);
            unsigned want = FB_INSIDE + (ends[i].kind * ACT_KIND_COUNT + ACT_CAPS) * 3 + TL_ACCEPTED;
            CHECK_MSG(f.n[want], "end %s: no inside feature of its window kind", vocab_status_name(ends[i].status));
            unsigned inside = 0;
            for (unsigned k = FB_INSIDE; k < FB_HELD_STATUS; k++)
                inside += f.n[k] != 0;
            CHECK_INT(inside, 1);
            trial_result_clear(&r);
        }
    }

    /* refused while active: the outcome feature names the status and the refusal */
    run(PRE "on active: caps multifd=off\n", &active, &v);
    CHECK_INT(v, VERDICT_PASS);
    CHECK(active.n[FB_OUTCOME + (ACT_CAPS * FB_NSTATUS + MIG_ACTIVE) * 3 + 0]);

    /* a held thread is a feature, with the status it was held in */
    run(PRE "on failed: freeze live_migration 20ms\n", &twice, &v);
    CHECK(twice.n[FB_HOLD + THR_LIVE_MIGRATION * FB_NSTATUS + MIG_FAILED]);

    /* the steps toward a window held open: FAILED reached while live_migration is held and the network
     * stalled, which a reaction-only schedule never reaches. The hold is long so that a loaded machine
     * still reports FAILED inside it (20 ms missed it beside hanging QEMUs under ASan). */
    struct features held;
    run("caps events=on multifd=on\nparams multifd-channels=2\nmigrate\n"
        "after 4MiB on any: stall all; wait 10ms; freeze live_migration 150ms; reset all\n",
        &held, &v);
    CHECK_INT(v, VERDICT_PASS);
    CHECK(held.n[FB_HELD_STATUS + THR_LIVE_MIGRATION * FB_NSTATUS + MIG_FAILED]);
    CHECK(held.n[FB_STALLED_STATUS + MIG_FAILED]);
    CHECK(!twice.n[FB_STALLED_STATUS + MIG_FAILED]);
    CHECK(!active.n[FB_HELD_STATUS + THR_LIVE_MIGRATION * FB_NSTATUS + MIG_FAILED]);

    /* the same race twice gives the same state features (AFL++'s stability): transitions, outcomes,
     * inside the window, verdict */
    struct features again;
    run(PRE HELD, &again, &v);
    for (unsigned k = 0; k < FB_BEFORE; k++)
        CHECK_MSG((crash.n[k] != 0) == (again.n[k] != 0), "feature %u differs between two runs", k);
    for (unsigned k = FB_VERDICT; k < FB_END; k++)
        CHECK_MSG((crash.n[k] != 0) == (again.n[k] != 0), "feature %u differs between two runs", k);

    /* two findings that differ only in what the target said are two crashes to AFL++: its crash map keeps
     * an input only for features new to it. One signature twice is one; a pass has none. */
    struct trial_result a = crash_result("SIGABRT qmp_one: Assertion `x' failed"),
                        b = crash_result("SIGABRT qmp_two: Assertion `y' failed"),
                        a2 = crash_result("SIGABRT qmp_one: Assertion `x' failed"), pass = crash_result("");
    pass.verdict = VERDICT_PASS;
    unsigned sa = signature_feature(&a), sb = signature_feature(&b);
    CHECK(sa != 0 && sb != 0 && sa != sb);
    CHECK_INT((int)signature_feature(&a2), (int)sa);
    CHECK_INT((int)signature_feature(&pass), 0);
    CHECK(strcmp(feedback_key_family(sa), "signature") == 0);
    timeline_free(a.timeline);
    timeline_free(b.timeline);
    timeline_free(a2.timeline);
    timeline_free(pass.timeline);

    trial_env_free(env);
    target_free(target);
    event_base_free(base);
    return check_exit();
}
