/* The properties a settled trial is held to, as a reviewer of a migration patch would check them by hand:
 * the status machine allows what QEMU's code does (failed twice, a new migration after an end, the fix's
 * failing and a cancel of it) and nothing it cannot do (back from an end, a cancel without cancelling);
 * a failure that ends cancelled, or failed without its error, is a violation of failure-reported with the
 * statuses in its signature; a capability or parameter QEMU accepted and no longer has is settings-kept's;
 * the last event against query-migrate is events-agree's; the guest running on both sides or on neither
 * after the migration ended is one-vm's (a stop the schedule made is not a lost VM; into the sink there is
 * no other side); a property left out is not checked. */
#include <json-c/json.h>
#include <string.h>

#include "check.h"
#include "mono.h"
#include "props.h"
#include "vocab.h"

static struct timeline *statuses(const int *seq, size_t n)
{
    struct timeline *tl = timeline_new(mono_now_us(), 0);
    for (size_t i = 0; i < n; i++)
        timeline_add_coded(tl, 0, TL_EVENT, seq[i], 0, "MIGRATION {\"status\":\"%s\"}",
                           vocab_status_name((enum mig_status)seq[i]));
    return tl;
}

static int check(unsigned mask, struct prop_facts *f, char *sig)
{
    char why[600];
    return props_check(mask, f, sig, 400, why, sizeof why);
}

static void test_machine(void)
{
    CHECK(props_transition_allowed(MIG_NONE, MIG_SETUP));
    CHECK(props_transition_allowed(MIG_ACTIVE, MIG_FAILED));
    CHECK(props_transition_allowed(MIG_FAILED, MIG_FAILED));
    CHECK(props_transition_allowed(MIG_FAILED, MIG_SETUP)); /* a new migration */
    CHECK(props_transition_allowed(MIG_ACTIVE, MIG_FAILING));
    CHECK(props_transition_allowed(MIG_FAILING, MIG_FAILED));
    CHECK(props_transition_allowed(MIG_FAILING, MIG_CANCELLING)); /* migration_cancel() of a running status */
    CHECK(props_transition_allowed(MIG_CANCELLING, MIG_CANCELLED));
    CHECK(props_transition_allowed(MIG_CANCELLING, MIG_CANCELLING)); /* a second migrate_cancel */
    CHECK(!props_transition_allowed(MIG_FAILED, MIG_ACTIVE));
    CHECK(!props_transition_allowed(MIG_COMPLETED, MIG_FAILED));
    CHECK(!props_transition_allowed(MIG_ACTIVE, MIG_CANCELLED));
    CHECK(!props_transition_allowed(MIG_SETUP, MIG_COMPLETED));
    CHECK(!props_transition_allowed(MIG_ACTIVE, MIG_ACTIVE));

    int seq[] = {MIG_SETUP, MIG_ACTIVE, MIG_FAILED, MIG_ACTIVE};
    struct timeline *tl = statuses(seq, 4);
    struct prop_facts f = {.tl = tl};
    char sig[400];
    CHECK_INT(check(PROPS_ALL, &f, sig), 1);
    CHECK_STR(sig, "status-machine: failed > active");
    timeline_free(tl);
}

static void test_failure(void)
{
    char sig[400];
    /* the fix, a cancel during failing: the failure is reported as a cancel */
    int fixed[] = {MIG_SETUP, MIG_ACTIVE, MIG_FAILING, MIG_CANCELLING, MIG_CANCELLED};
    struct timeline *tl = statuses(fixed, 5);
    json_object *migrate = json_tokener_parse("{\"status\":\"cancelled\"}");
    struct prop_facts f = {.tl = tl, .migrate = migrate};
    CHECK_INT(check(PROPS_ALL, &f, sig), 1);
    CHECK_STR(sig, "failure-reported: failing > cancelling > cancelled, ended cancelled");
    /* left out: holds */
    CHECK_INT(check(PROPS_ALL & ~(1u << PROP_FAILURE_REPORTED), &f, sig), 0);
    timeline_free(tl);
    /* the same failure reached from `setup` (the reset landed before `active`) is the same finding:
     * one signature, the statuses before the failure in `why` */
    int early[] = {MIG_SETUP, MIG_FAILING, MIG_CANCELLING, MIG_CANCELLED};
    tl = statuses(early, 4);
    f.tl = tl;
    char why[600];
    CHECK_INT(props_check(PROPS_ALL, &f, sig, 400, why, sizeof why), 1);
    CHECK_STR(sig, "failure-reported: failing > cancelling > cancelled, ended cancelled");
    CHECK_MSG(strstr(why, ": setup > failing > cancelling > cancelled)") != NULL, "why: %s", why);
    json_object_put(migrate);
    timeline_free(tl);

    /* 7.2 without the fix: failed, twice, with its error: holds */
    int vanilla[] = {MIG_SETUP, MIG_ACTIVE, MIG_FAILED, MIG_FAILED};
    tl = statuses(vanilla, 4);
    migrate = json_tokener_parse("{\"status\":\"failed\",\"error-desc\":\"Unable to write to socket: Connection reset by peer\"}");
    f = (struct prop_facts){.tl = tl, .migrate = migrate};
    CHECK_INT(check(PROPS_ALL, &f, sig), 0);
    json_object_put(migrate);
    /* ... and without it: a failure that does not say why */
    migrate = json_tokener_parse("{\"status\":\"failed\"}");
    f.migrate = migrate;
    CHECK_INT(check(PROPS_ALL, &f, sig), 1);
    CHECK_STR(sig, "failure-reported: failed, ended failed without its error");
    json_object_put(migrate);
    timeline_free(tl);

    /* a failed migration, then a new one that completes: the last migration is what counts */
    int again[] = {MIG_SETUP, MIG_FAILED, MIG_SETUP, MIG_ACTIVE, MIG_COMPLETED};
    tl = statuses(again, 5);
    migrate = json_tokener_parse("{\"status\":\"completed\"}");
    f = (struct prop_facts){.tl = tl, .migrate = migrate};
    CHECK_INT(check(PROPS_ALL, &f, sig), 0);
    json_object_put(migrate);
    timeline_free(tl);
}

static void test_settings_and_events(void)
{
    char sig[400];
    int seq[] = {MIG_SETUP, MIG_ACTIVE, MIG_COMPLETED};
    struct timeline *tl = statuses(seq, 3);
    json_object *accepted_caps = json_tokener_parse("{\"multifd\":true}");
    json_object *accepted_params = json_tokener_parse("{\"multifd-channels\":2}");
    json_object *caps = json_tokener_parse("[{\"capability\":\"events\",\"state\":true},{\"capability\":\"multifd\",\"state\":false}]");
    json_object *params = json_tokener_parse("{\"multifd-channels\":2}");
    json_object *migrate = json_tokener_parse("{\"status\":\"completed\"}");
    struct prop_facts f = {tl, migrate, caps, params, accepted_caps, accepted_params, false, NULL, -1, false};
    CHECK_INT(check(PROPS_ALL, &f, sig), 1);
    CHECK_STR(sig, "settings-kept: capability multifd accepted on, has off");
    json_object_put(caps);
    f.caps = json_tokener_parse("[{\"capability\":\"multifd\",\"state\":true}]");
    json_object_put(params);
    f.params = json_tokener_parse("{\"multifd-channels\":8}");
    CHECK_INT(check(PROPS_ALL, &f, sig), 1);
    CHECK_STR(sig, "settings-kept: parameter multifd-channels not kept"); /* one group whatever the values */
    char why[600];
    CHECK_INT(props_check(PROPS_ALL, &f, sig, 400, why, sizeof why), 1);
    CHECK_MSG(strstr(why, "; accepted 2, has 8)") != NULL, "why: %s", why);
    json_object_put(f.params);
    f.params = json_tokener_parse("{\"multifd-channels\":2}");
    CHECK_INT(check(PROPS_ALL, &f, sig), 0);

    json_object_put(migrate);
    f.migrate = json_tokener_parse("{\"status\":\"active\"}");
    CHECK_INT(check(1u << PROP_EVENTS_AGREE, &f, sig), 1);
    CHECK_STR(sig, "events-agree: last event completed, query-migrate active");
    /* events turned off in the trial (QEMU emits none meanwhile) or off at the end: nothing to agree on */
    f.events_gap = true;
    CHECK_INT(check(1u << PROP_EVENTS_AGREE, &f, sig), 0);
    f.events_gap = false;
    json_object_put(f.caps);
    f.caps = json_tokener_parse("[{\"capability\":\"events\",\"state\":false}]");
    CHECK_INT(check(1u << PROP_EVENTS_AGREE, &f, sig), 0);
    json_object_put(f.migrate);
    json_object_put(f.caps);
    json_object_put(f.params);
    json_object_put(accepted_caps);
    json_object_put(accepted_params);
    timeline_free(tl);
}

static void test_one_vm(void)
{
    char sig[400];
    int done[] = {MIG_SETUP, MIG_ACTIVE, MIG_COMPLETED};
    struct timeline *tl = statuses(done, 3);
    json_object *completed = json_tokener_parse("{\"status\":\"completed\"}");
    json_object *failed = json_tokener_parse("{\"status\":\"failed\"}");
    json_object *running = json_tokener_parse("{\"running\":true,\"status\":\"running\"}");
    json_object *post = json_tokener_parse("{\"running\":false,\"status\":\"postmigrate\"}");
    json_object *paused = json_tokener_parse("{\"running\":false,\"status\":\"paused\"}");
    unsigned one = 1u << PROP_ONE_VM;
    struct prop_facts f = {.tl = tl, .migrate = completed, .run_status = post, .dest_running = -1, .dest_modelled = true};
    CHECK_INT(check(one, &f, sig), 0);
    /* the source continued after its guest went to the destination: split brain */
    f.run_status = running;
    CHECK_INT(check(one, &f, sig), 1);
    CHECK_STR(sig, "one-vm: both sides run the guest after completed (source running, the modelled destination running)");
    /* into the sink nothing runs on the other side: nothing to check */
    f.dest_modelled = false;
    CHECK_INT(check(one, &f, sig), 0);
    /* a real destination that runs it after a failure */
    f.migrate = failed;
    f.dest_running = 1;
    CHECK_INT(check(one, &f, sig), 1);
    CHECK_STR(sig, "one-vm: both sides run the guest after failed (source running, the destination running)");
    /* a failure that leaves the source paused and the destination gone: a lost VM */
    f.dest_running = 0;
    f.run_status = paused;
    CHECK_INT(check(one, &f, sig), 1);
    CHECK_STR(sig, "one-vm: neither side runs the guest after failed (source paused, the destination not running)");
    /* ... unless the schedule stopped it itself (its stop accepted, in reply order) */
    timeline_add_coded(tl, 0, TL_QMP_OUT, 0, 0, "{\"execute\":\"query-status\"}");
    timeline_add_coded(tl, 0, TL_QMP_OUT, 0, 1, "{\"execute\":\"stop\"}");
    timeline_add_coded(tl, 0, TL_QMP_IN, 0, TL_ACCEPTED, "query-status -> {}");
    timeline_add_coded(tl, 0, TL_QMP_IN, 0, TL_ACCEPTED, "stop -> {}");
    CHECK_INT(check(one, &f, sig), 0);
    /* no migration ended, or no status asked: nothing to check */
    f.run_status = NULL;
    CHECK_INT(check(one, &f, sig), 0);
    json_object_put(completed);
    json_object_put(failed);
    json_object_put(running);
    json_object_put(post);
    json_object_put(paused);
    timeline_free(tl);
}

static void test_names(void)
{
    unsigned m;
    struct err e = {{0}};
    CHECK(props_parse("failure-reported,events-agree", &m, &e) == 0);
    CHECK_INT(m, (1u << PROP_FAILURE_REPORTED) | (1u << PROP_EVENTS_AGREE));
    char buf[200];
    props_print(m, buf, sizeof buf);
    CHECK_STR(buf, "failure-reported,events-agree");
    CHECK(props_parse("none", &m, &e) == 0 && m == 0);
    CHECK(props_parse("all", &m, &e) == 0 && m == PROPS_ALL);
    CHECK(props_parse("failure-reported,frob", &m, &e) < 0);
    CHECK_MSG(strncmp(e.msg, "unknown property 'frob'", 23) == 0, "got '%s'", e.msg);
}

int main(void)
{
    test_machine();
    test_failure();
    test_settings_and_events();
    test_one_vm();
    test_names();
    return check_exit();
}
