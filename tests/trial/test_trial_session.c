/* The session as every command meets it: a hunt's defaults follow the target's kind; the session runs
 * every trial under its profile, whoever calls it: the actions the profile leaves out are gone from the
 * schedule the target sees, the profile's deadline ends a trial that would run on, what the target's kind
 * cannot do is refused before anything runs (with the schedule's FILE:LINE:COL), options only a QEMU
 * takes are refused for another kind, and a vocabulary learned by another process is held to. */
#include <signal.h>
#include <string.h>

#include "check.h"
#include "session.h"

static void set(struct trial_profile *p, const char *key, const char *value)
{
    struct err e = {{0}};
    CHECK_MSG(profile_set(p, key, value, &e) == 0, "%s=%s: %s", key, value, e.msg);
}

static void test_defaults(void)
{
    struct trial_profile p;
    profile_init(&p);
    session_defaults(&p, PROFILE_FOR_HUNT);
    CHECK_STR(p.target, PROFILE_DEFAULT_TARGET);
    CHECK_INT(p.ram, 32ull << 20);
    CHECK_INT(p.deadline_us, 200000);
    profile_clear(&p);

    set(&p, "target", "qemu");
    session_defaults(&p, PROFILE_FOR_HUNT);
    CHECK_INT(p.ram, 64ull << 20);
    CHECK_INT(p.deadline_us, 500000);
    profile_clear(&p);

    set(&p, "target", "qemu");
    set(&p, "deadline", "1s"); /* given: kept */
    session_defaults(&p, PROFILE_FOR_HUNT);
    CHECK_INT(p.deadline_us, 1000000);
    profile_clear(&p);

    set(&p, "target", "qemu");
    session_defaults(&p, PROFILE_FOR_EXPLORE); /* the hunt's small guest, explore's own deadline */
    CHECK_INT(p.ram, 64ull << 20);
    CHECK_INT(p.deadline_us, profile_default_deadline(PROFILE_FOR_EXPLORE));
    profile_clear(&p);

    set(&p, "target", "sim:qemu-7.2");
    session_defaults(&p, PROFILE_FOR_RUN);
    CHECK_INT(p.ram, 0); /* the target's own */
    CHECK_INT(p.deadline_us, 10000000);
    profile_clear(&p);
}

static struct schedule *parse(const char *text)
{
    struct err e = {{0}};
    struct schedule *s = schedule_parse(text, strlen(text), "t.sched", &e);
    CHECK_MSG(s != NULL, "%s", e.msg);
    return s;
}

/* A started session on the simulated QEMU 7.2 whose profile has KEY=VALUE (none when key is NULL). */
static struct session *started(const char *key, const char *value)
{
    struct trial_profile p;
    profile_init(&p);
    if (key)
        set(&p, key, value);
    struct err e = {{0}};
    struct session *s = session_new(&p, &e);
    profile_clear(&p);
    CHECK_MSG(s != NULL, "%s", e.msg);
    if (s && session_start(s, SESSION_TRIALS, NULL, 0, &e) != 0) {
        CHECK_MSG(false, "session_start: %s", e.msg);
        session_free(s);
        return NULL;
    }
    return s;
}

/* One trial of `text` in `s`; 0 and `r` filled, or the error. */
static int one_trial(struct session *s, const char *text, struct schedule **sched, struct trial_result *r)
{
    struct err e = {{0}};
    *sched = parse(text);
    int rc = *sched ? session_trial(s, *sched, r, &e) : -1;
    CHECK_MSG(rc == 0, "rc %d: %s", rc, e.msg);
    return rc;
}


/* The race, with the reaction a `params` action: left out by the profile, the target survives. */
static void test_trial_under_profile(void)
{
    static const char race[] = "caps events=on multifd=on\nmigrate\nafter 64KiB on any: reset all\n"
                               "on failed: params multifd-channels=1\n";
    for (int without = 0; without <= 1; without++) {
        struct session *s = started(without ? "without" : NULL, "params");
        struct schedule *sched = NULL;
        struct trial_result r;
        if (s && one_trial(s, race, &sched, &r) == 0) {
            CHECK_MSG(r.verdict == (without ? VERDICT_PASS : VERDICT_CRASH), "without=%d: %s %s", without,
                      verdict_name(r.verdict), r.signature);
            CHECK_INT(sched->nlines, without ? 3 : 4);
            trial_result_clear(&r);
        }
        schedule_free(sched);
        session_free(s);
    }
}

/* A migration stalled for good ends at the profile's deadline, not the default 10 s. */
static void test_deadline(void)
{
    struct session *s = started("deadline", "50ms");
    struct schedule *sched = NULL;
    struct trial_result r;
    if (s && one_trial(s, "caps multifd=on\nmigrate\nafter 64KiB on any: stall all\n", &sched, &r) == 0) {
        CHECK_MSG(r.verdict == VERDICT_HANG, "%s", verdict_name(r.verdict));
        CHECK_MSG(r.duration_us < 2000000, "a trial of %llu us under a 50 ms deadline",
                  (unsigned long long)r.duration_us);
        trial_result_clear(&r);
    }
    schedule_free(sched);
    session_free(s);
}

/* A hang held by the schedule names where the target waits (its stacks in the timeline), unless the
 * session asks quick hangs (a hunt's harness): then the reason alone, no stack looked at, still no finding. */
static void test_quick_hangs(void)
{
    for (int quick = 0; quick <= 1; quick++) {
        struct session *s = started("deadline", "2s");
        struct schedule *sched = NULL;
        struct trial_result r;
        if (s)
            session_set_quick_hangs(s, quick);
        if (s && one_trial(s, "caps multifd=on\nmigrate\nafter 64KiB on any: stall all\n", &sched, &r) == 0) {
            size_t stacks = 0;
            for (size_t i = 0; i < timeline_count(r.timeline); i++)
                stacks += timeline_get(r.timeline, i)->kind == TL_STACK;
            CHECK_MSG(r.verdict == VERDICT_HANG && !verdict_is_finding(r.verdict, r.signature), "quick=%d: %s %s",
                      quick, verdict_name(r.verdict), r.signature);
            if (quick) {
                CHECK_MSG(strncmp(r.signature, VERDICT_HANG_HELD, strlen(VERDICT_HANG_HELD)) == 0,
                          "the reason alone: %s", r.signature);
                CHECK_MSG(stacks == 0, "%zu stacks read for a quick hang", stacks);
            } else {
                CHECK_MSG(strstr(r.signature, " (" VERDICT_HANG_HELD) != NULL, "where, then why: %s", r.signature);
                CHECK_MSG(stacks > 0, "no stacks in the held hang's timeline");
            }
            trial_result_clear(&r);
        }
        schedule_free(sched);
        session_free(s);
    }
}

/* What the kind cannot do is refused at session_start, before anything runs, where the schedule says it. */
static void test_refused(void)
{
    struct trial_profile p;
    profile_init(&p);
    set(&p, "target", "qmp:unix:/nonexistent/qmprace-test.sock");
    struct err e = {{0}};
    struct session *s = session_new(&p, &e);
    CHECK_MSG(s != NULL, "%s", e.msg);
    struct schedule *sched = parse("migrate\nafter 1MiB on any: freeze live_migration 10ms\n");
    if (s && sched) {
        CHECK_INT(session_start(s, SESSION_TRIALS, &sched, 1, &e), SESSION_REFUSED);
        CHECK_MSG(strncmp(e.msg, "t.sched:2:", 10) == 0, "got '%s'", e.msg);
    }
    schedule_free(sched);
    session_free(s);

    set(&p, "target", "sim:qemu-7.2");
    set(&p, "fresh", "yes");
    s = session_new(&p, &e);
    CHECK(s == NULL);
    CHECK_MSG(strstr(e.msg, "--target qemu") != NULL, "got '%s'", e.msg);
    session_free(s);
    profile_clear(&p);
}

/* What a hunt learned, handed to a harness it restarts: the session holds schedules against it and does
 * not ask the target again. The adopted vocabulary here lacks xbzrle, which the model has: refused. */
static void test_adopted_vocab(void)
{
    static const char vocab[] =
        "{\"version\":\"7.2.0\",\"statuses\":[\"none\",\"setup\",\"active\",\"failed\",\"completed\","
        "\"cancelling\",\"cancelled\"],\"caps\":[\"events\",\"multifd\"],\"params\":[\"multifd-channels\"],"
        "\"commands\":[\"migrate\",\"migrate_cancel\",\"migrate-set-capabilities\",\"query-migrate\"]}";
    const char *texts[] = {"caps xbzrle=on\nmigrate\n", "caps multifd=on\nmigrate\n"};
    for (int adopt = 0; adopt < 2; adopt++)
        for (int i = 0; i < 2; i++) {
            struct trial_profile p;
            profile_init(&p);
            set(&p, "target", "sim:qemu-7.2");
            struct err e = {{0}};
            struct session *s = session_new(&p, &e);
            profile_clear(&p);
            CHECK_MSG(s != NULL, "%s", e.msg);
            struct schedule *sched = parse(texts[i]);
            json_object *j = json_tokener_parse(vocab);
            if (s && sched && j) {
                if (adopt)
                    CHECK_MSG(session_adopt_vocab(s, j, &e) == 0, "adopt: %s", e.msg);
                int rc = session_start(s, SESSION_TRIALS, &sched, 1, &e);
                if (adopt && i == 0) {
                    CHECK_INT(rc, SESSION_REFUSED);
                    CHECK_MSG(strncmp(e.msg, "t.sched:1:", 10) == 0 && strstr(e.msg, "xbzrle"), "got '%s'", e.msg);
                } else {
                    CHECK_MSG(rc == 0, "adopt %d, %s: rc %d: %s", adopt, texts[i], rc, e.msg);
                }
            }
            json_object_put(j);
            schedule_free(sched);
            session_free(s);
        }
    struct err e = {{0}};
    struct trial_profile p;
    profile_init(&p);
    set(&p, "target", "sim:qemu-7.2");
    struct session *s = session_new(&p, &e);
    profile_clear(&p);
    json_object *empty = json_object_new_object();
    CHECK_MSG(s && session_adopt_vocab(s, empty, &e) < 0, "an unknown target's {} is not adopted");
    json_object_put(empty);
    session_free(s);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    test_defaults();
    test_trial_under_profile();
    test_deadline();
    test_quick_hangs();
    test_refused();
    test_adopted_vocab();
    return check_exit();
}
