/* A reused QEMU starts each trial where a fresh one would: after a trial that set capabilities and
 * parameters (through the schedule's own lines and through a command written out whole) and failed its
 * migration (so the QEMU is kept), the next trial's queries read a fresh QEMU's values; a trial that
 * changed nothing leaves nothing to set back (no restore at all); after a migration that completed (paused
 * before its switchover and let go on), the same QEMU is resumed (`cont`) and migrates again, twice; so is
 * one the schedule stopped; a command QEMU refused leaves nothing to undo, one that took and cannot be
 * undone (system_reset) a new QEMU; after a hang of the schedule's own (a stall to the end), the QEMU settles once its channels are reset and
 * serves the next trial, which gets back what the hung one changed; so does COLO's primary after the sink never
 * answered it (the wind-down asks for its failover). Skipped (exit 77, with the reason) when there is no QEMU binary. */
#include <signal.h>
#include <string.h>

#include "check.h"
#include "target.h"
#include "vocab_target.h"
#include "trial_session.h"

#define SKIP 77

static const char changes[] = "caps multifd=on xbzrle=on\n"
                              "params multifd-channels=3 downtime-limit=1000\n"
                              "qmp {\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":1000000000}}\n"
                              "migrate\n"
                              "after 1MiB on any: reset all\n";
static const char queries[] = "qmp {\"execute\":\"query-migrate-capabilities\"}\n"
                              "qmp {\"execute\":\"query-migrate-parameters\"}\n";




static int64_t param(json_object *params, const char *name)
{
    json_object *v = NULL;
    return json_object_object_get_ex(params, name, &v) ? json_object_get_int64(v) : -1;
}

/* The trial's query-status said the guest runs. */
static void check_runs(const struct trial_result *r, const char *what)
{
    json_object *st = test_trial_reply_of(r, "query-status"), *running = NULL;
    CHECK_MSG(st && json_object_object_get_ex(st, "running", &running) && json_object_get_boolean(running), "%s: %s",
              what, st ? json_object_to_json_string(st) : "no reply");
    json_object_put(st);
}

static bool trial(struct session *s, const char *text, struct trial_result *r)
{
    struct err e = {{0}};
    struct schedule *sched = schedule_parse(text, strlen(text), "t.sched", &e);
    CHECK_MSG(sched != NULL, "%s", e.msg);
    int rc = sched ? session_trial(s, sched, r, &e) : -1;
    CHECK_MSG(rc == 0, "rc %d: %s", rc, e.msg);
    schedule_free(sched);
    return rc == 0;
}

/* The queries' trial: a fresh QEMU's values everywhere the first trial changed them. */
static void check_fresh(const struct trial_result *r, const char *when)
{
    json_object *caps = test_trial_reply_of(r, "query-migrate-capabilities");
    json_object *params = test_trial_reply_of(r, "query-migrate-parameters");
    CHECK_MSG(caps && params, "%s: the queries were answered", when);
    CHECK_MSG(test_trial_cap_state(caps, "multifd") == 0 && test_trial_cap_state(caps, "xbzrle") == 0, "%s: caps %s", when,
              json_object_to_json_string(caps));
    CHECK_MSG(param(params, "multifd-channels") == 2 && param(params, "downtime-limit") == 300 &&
                  param(params, "max-bandwidth") != 1000000000,
              "%s: params %s", when, json_object_to_json_string(params));
    json_object_put(caps);
    json_object_put(params);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (!test_trial_have_qemu())
        return SKIP;
    struct session *s = test_trial_session("qemu", "3s");
    if (!s)
        return check_exit();
    struct trial_result a = {0}, b = {0}, c = {0};
    if (trial(s, changes, &a) && trial(s, queries, &b) && trial(s, queries, &c)) {
        CHECK_MSG(a.verdict == VERDICT_PASS, "the changing trial: %s %s", verdict_name(a.verdict), a.signature);
        CHECK_MSG(test_trial_noted(&b, "reused QEMU: what the last trial left set back"), "the trial after it restored the settings");
        check_fresh(&b, "after the changing trial");
        CHECK_MSG(test_trial_noted(&c, "reused QEMU: nothing to set back"), "a trial after one that changed nothing sets "
                                                                  "nothing back");
        check_fresh(&c, "after a trial that changed nothing");
    }
    struct trial_result d = {0}, f = {0}, g = {0};
    /* (a migration paused before its switchover and let go on: migrate-continue is a migration command) */
    static const char paused[] = "caps events=on pause-before-switchover=on\nmigrate\n"
                                 "on pre-switchover: qmp {\"execute\":\"migrate-continue\",\"arguments\":"
                                 "{\"state\":\"pre-switchover\"}}\n";
    if (trial(s, paused, &d) && trial(s, "qmp {\"execute\":\"query-status\"}\nmigrate\n", &f) &&
        trial(s, "migrate\n", &g)) {
        CHECK_MSG(d.verdict == VERDICT_PASS && f.verdict == VERDICT_PASS, "the migrations: %s %s, %s %s",
                  verdict_name(d.verdict), d.signature, verdict_name(f.verdict), f.signature);
        CHECK_MSG(test_trial_noted(&f, "set back to a fresh one's (cont, migrate-set-capabilities)"),
                  "the trial after a completed migration resumes its QEMU and sets its capability back");
        check_runs(&f, "the resumed VM runs");
        CHECK_MSG(trial_result_exercised(&f) && trial_result_migrated(&f), "it migrates again (%u misses%s%s)",
                  f.nmisses, f.nmisses ? ": " : "", f.nmisses ? f.misses[0].what : "");
        /* the restore's own `cont` is not a command of the schedule's that changed the VM for good */
        CHECK_MSG(test_trial_noted(&g, "set back to a fresh one's (cont)"), "the QEMU resumed once is resumed again, not "
                                                               "replaced");
    }
    struct trial_result h = {0}, k = {0};
    static const char held[] = "caps events=on multifd=on xbzrle=on\nmigrate\nafter 1MiB on any: stall all\n";
    if (trial(s, held, &h) && trial(s, queries, &k)) {
        CHECK_MSG(h.verdict == VERDICT_HANG && strstr(h.signature, "held by the schedule"), "the held trial: %s %s",
                  verdict_name(h.verdict), h.signature);
        CHECK_MSG(test_trial_noted(&h, "the target settled after the reset: it serves the next trial"),
                  "the held trial's QEMU settled after the reset");
        CHECK_MSG(test_trial_noted(&k, "reused QEMU: what the last trial left set back"), "the trial after the hang reuses its "
                                                                              "QEMU and sets its capabilities back");
        json_object *caps = test_trial_reply_of(&k, "query-migrate-capabilities");
        CHECK_MSG(caps && test_trial_cap_state(caps, "multifd") == 0 && test_trial_cap_state(caps, "xbzrle") == 0,
                  "after the hang: caps %s", caps ? json_object_to_json_string(caps) : "not answered");
        json_object_put(caps);
    }
    /* A `stop` is undone by the next trial's `cont`; a command QEMU refused changed nothing; a command
     * that took and cannot be undone (system_reset) gets the next trial a new QEMU. */
    struct trial_result m = {0}, n = {0}, o = {0}, q = {0}, u = {0};
    static const char stopped[] = "caps events=on multifd=on\nmigrate\nafter 1MiB on any: reset all\n"
                                  "on failed +1ms: qmp {\"execute\":\"stop\"}\n";
    static const char refused[] = "qmp {\"execute\":\"migrate-start-postcopy\"}\n";
    static const char status[] = "qmp {\"execute\":\"query-status\"}\n";
    if (trial(s, stopped, &m) && trial(s, status, &n) && trial(s, refused, &o) && trial(s, status, &q) &&
        trial(s, "qmp {\"execute\":\"system_reset\"}\n", &u)) {
        CHECK_MSG(m.verdict == VERDICT_PASS, "the stopping trial: %s %s", verdict_name(m.verdict), m.signature);
        CHECK_MSG(test_trial_noted(&n, "set back to a fresh one's (cont, migrate-set-capabilities)"),
                  "the trial after a `stop` resumes the same QEMU");
        check_runs(&n, "the VM stopped by the schedule runs again");
        json_object *err = test_trial_reply_of(&o, "migrate-start-postcopy");
        CHECK_MSG(err == NULL, "migrate-start-postcopy without postcopy-ram is refused (an error, not a reply)");
        json_object_put(err);
        CHECK_MSG(test_trial_noted(&q, "reused QEMU: nothing to set back"), "a refused command changed nothing: the same "
                                                                  "QEMU serves the next trial as it is");
        struct trial_result w = {0};
        if (trial(s, status, &w))
            CHECK_MSG(!test_trial_noted(&w, "reused QEMU"), "after system_reset the next trial has a new QEMU");
        trial_result_clear(&w);
    }
    /* COLO into the sink waits for the secondary's answer; the wind-down's reset leaves its primary waiting
     * for a failover, which x-colo-lost-heartbeat gives: the migration completes, and the same QEMU,
     * its guest running, serves the next trial (it was replaced 150 ms later before). */
    struct trial_result x = {0}, y = {0};
    if (!vocab_target_has_cap(target_vocab(session_target(s)), CAP_X_COLO))
        printf("no x-colo on this QEMU: COLO's wind-down not checked\n");
    else if (trial(s, "caps events=on x-colo=on\nmigrate\n", &x) && trial(s, status, &y)) {
        CHECK_MSG(x.verdict == VERDICT_HANG && strstr(x.signature, "waits for the sink"), "the COLO trial: %s %s",
                  verdict_name(x.verdict), x.signature);
        CHECK_MSG(test_trial_noted(&x, "the target settled after the reset: it serves the next trial"),
                  "COLO's primary settled after the reset and the failover");
        CHECK_MSG(test_trial_noted(&y, "reused QEMU: what the last trial left set back"), "the trial after COLO reuses its QEMU");
        check_runs(&y, "the VM after COLO's failover runs");
    }
    trial_result_clear(&x);
    trial_result_clear(&y);
    trial_result_clear(&m);
    trial_result_clear(&n);
    trial_result_clear(&o);
    trial_result_clear(&q);
    trial_result_clear(&u);
    trial_result_clear(&h);
    trial_result_clear(&k);
    trial_result_clear(&a);
    trial_result_clear(&b);
    trial_result_clear(&c);
    trial_result_clear(&d);
    trial_result_clear(&f);
    trial_result_clear(&g);
    session_free(s);
    return check_exit();
}
