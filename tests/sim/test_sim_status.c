/* What each migration status allows, with QEMU 7.2's texts: capability changes refused while the
 * migration runs (setup, active; `failing` with the fix) and accepted otherwise; parameter changes
 * accepted always (7.2 never checks); migrate refused while running and, inside the window, by the
 * still registered yank instance; argument and range errors; migrate_cancel; connect failures. */
#include <signal.h>

#include "check.h"
#include "sim_driver.h"

#define RAM (64u << 20)
#define RESET_AFTER (8u << 20)
#define ACTIVE_TEXT "There's a migration process in progress"
#define CAPS_OFF "{\"capabilities\": [{\"capability\": \"xbzrle\", \"state\": false}]}"
#define PARAMS "{\"downtime-limit\": 400}"

static int send_caps(struct drv *d)
{
    return drv_send(d, "migrate-set-capabilities", CAPS_OFF);
}

static void start(struct drv *d, const char *model, uint64_t reset_after, bool paused)
{
    CHECK(drv_open(d, model, RAM) == 0);
    CHECK(drv_open_dest(d, reset_after) == 0);
    d->dest.paused = paused;
    CHECK(drv_negotiate(d));
}

static void test_caps_and_params_by_status(void)
{
    struct drv d;
    start(&d, "qemu-7.2", 0, true);
    CHECK(drv_ok(drv_cmd(&d, "migrate-set-capabilities", CAPS_OFF))); /* none */
    CHECK(drv_ok(drv_cmd(&d, "migrate-set-parameters", PARAMS)));
    /* without multifd: with it, a cancel while the destination reads nothing hangs in `cancelling` once
     * the channels' socket buffers are full (QEMU's cancel hang, modeled; e2e_run_sim.sh checks it),
     * and whether they are full by the time the cancel lands depends on the machine */
    CHECK(drv_ok(drv_cmd(&d, "migrate-set-capabilities",
                         "{\"capabilities\": [{\"capability\": \"events\", \"state\": true}]}")));
    /* migrate, and in the same breath the changes: they run while the status is setup */
    char uri[64];
    snprintf(uri, sizeof uri, "{\"uri\": \"tcp:127.0.0.1:%u\"}", (unsigned)d.dest.port);
    int m = drv_send(&d, "migrate", uri);
    int c = send_caps(&d);
    int p = drv_send(&d, "migrate-set-parameters", PARAMS);
    int q = drv_send(&d, "query-migrate", NULL);
    CHECK(drv_ok(drv_reply(&d, m)));
    CHECK_STR(drv_error_desc(drv_reply(&d, c)), ACTIVE_TEXT);
    CHECK(drv_ok(drv_reply(&d, p)));
    CHECK_STR(drv_return_text(drv_reply(&d, q)), "{\"status\":\"setup\"}");

    CHECK(drv_event(&d, "MIGRATION", "active", DRV_TIMEOUT_MS) != NULL);
    CHECK_STR(drv_error_desc(drv_cmd(&d, "migrate-set-capabilities", CAPS_OFF)), ACTIVE_TEXT);
    CHECK(drv_ok(drv_cmd(&d, "migrate-set-parameters", PARAMS)));
    CHECK_STR(drv_error_desc(drv_cmd(&d, "migrate", uri)), ACTIVE_TEXT);
    json_object *r = drv_return(drv_cmd(&d, "query-migrate", NULL));
    json_object *x;
    CHECK(r && json_object_object_get_ex(r, "ram", &x) && json_object_object_get_ex(r, "total-time", &x) &&
          json_object_object_get_ex(r, "setup-time", &x) && !json_object_object_get_ex(r, "error-desc", &x));
    CHECK(json_object_object_get_ex(r, "expected-downtime", &x) && json_object_get_int(x) == 400);

    /* cancel: cancelling, then cancelled after cleanup; then accepted */
    CHECK(drv_ok(drv_cmd(&d, "migrate_cancel", NULL)));
    CHECK(drv_event(&d, "MIGRATION", "cancelling", DRV_TIMEOUT_MS) != NULL);
    CHECK(drv_event(&d, "MIGRATION", "cancelled", DRV_TIMEOUT_MS) != NULL);
    CHECK(drv_wait_cleanup(&d, DRV_TIMEOUT_MS));
    CHECK_STR(drv_return_text(drv_cmd(&d, "query-migrate", NULL)), "{\"status\":\"cancelled\"}");
    CHECK(drv_ok(drv_cmd(&d, "migrate-set-capabilities", CAPS_OFF)));
    CHECK(drv_ok(drv_cmd(&d, "migrate-set-parameters", PARAMS)));
    CHECK_STR(drv_return_text(drv_cmd(&d, "query-status", NULL)),
              "{\"running\":true,\"singlestep\":false,\"status\":\"running\"}");

    /* a second migration, completed this time */
    drv_dest_resume(&d.dest);
    d.dest.paused = false;
    CHECK(drv_ok(drv_cmd(&d, "migrate", uri)));
    CHECK(drv_event(&d, "MIGRATION", "completed", DRV_TIMEOUT_MS) != NULL);
    CHECK(drv_wait_cleanup(&d, DRV_TIMEOUT_MS));
    CHECK(drv_ok(drv_cmd(&d, "migrate-set-capabilities", CAPS_OFF)));
    CHECK(drv_ok(drv_cmd(&d, "migrate-set-parameters", PARAMS)));
    CHECK_STR(drv_error_desc(drv_cmd(&d, "migrate", uri)),
              "Can't migrate the vm that was paused due to previous migration");
    CHECK(drv_ok(drv_cmd(&d, "cont", NULL))); /* postmigrate -> running */
    CHECK_INT(drv_count_events(&d, "RESUME", NULL), 1);
    CHECK_INT(d.died_calls, 0);
    drv_close(&d);
}

static void test_failed_accepts(void)
{
    struct drv d;
    start(&d, "qemu-7.2", RESET_AFTER, false);
    CHECK(drv_ok(drv_start_migration(&d, true, 2)));
    CHECK(drv_event(&d, "MIGRATION", "failed", DRV_TIMEOUT_MS) != NULL);
    CHECK(drv_ok(drv_cmd(&d, "migrate-set-parameters", PARAMS))); /* in the window too */
    CHECK(drv_wait_cleanup(&d, DRV_TIMEOUT_MS));
    CHECK(drv_ok(drv_cmd(&d, "migrate-set-capabilities", CAPS_OFF)));
    /* migrate_cancel in FAILED changes nothing */
    CHECK(drv_ok(drv_cmd(&d, "migrate_cancel", NULL)));
    CHECK_STR(drv_return_text(drv_cmd(&d, "query-migrate", NULL)),
              "{\"status\":\"failed\",\"error-desc\":\"Unable to write to socket: Connection reset by peer\"}");
    CHECK_INT(d.died_calls, 0);
    drv_close(&d);
}

static void test_failing_model(void)
{
    struct drv d;
    start(&d, "failing", RESET_AFTER, false);
    CHECK(drv_ok(drv_start_migration(&d, true, 2)));
    CHECK(drv_event(&d, "MIGRATION", "failing", DRV_TIMEOUT_MS) != NULL);
    int c = send_caps(&d);
    int q = drv_send(&d, "query-migrate", NULL);
    char uri[64];
    snprintf(uri, sizeof uri, "{\"uri\": \"tcp:127.0.0.1:%u\"}", (unsigned)d.dest.port);
    int m = drv_send(&d, "migrate", uri);
    CHECK_STR(drv_error_desc(drv_reply(&d, c)), ACTIVE_TEXT);
    json_object *r = drv_return(drv_reply(&d, q));
    json_object *x;
    CHECK(r && json_object_object_get_ex(r, "status", &x) && strcmp(json_object_get_string(x), "failing") == 0);
    CHECK(r && json_object_object_get_ex(r, "ram", &x) && !json_object_object_get_ex(r, "error-desc", &x));
    CHECK_STR(drv_error_desc(drv_reply(&d, m)), ACTIVE_TEXT);
    CHECK(drv_event(&d, "MIGRATION", "failed", DRV_TIMEOUT_MS) != NULL);
    CHECK(drv_wait_cleanup(&d, DRV_TIMEOUT_MS));
    CHECK(drv_ok(drv_cmd(&d, "migrate-set-capabilities", CAPS_OFF)));
    CHECK_INT(d.died_calls, 0);
    drv_close(&d);
}

/* With the fix, migrate_cancel during `failing` ends the migration as cancelled, without the text. */
static void test_failing_cancel(void)
{
    struct drv d;
    start(&d, "failing", RESET_AFTER, false);
    CHECK(drv_ok(drv_start_migration(&d, true, 2)));
    CHECK(drv_event(&d, "MIGRATION", "failing", DRV_TIMEOUT_MS) != NULL);
    CHECK(drv_ok(drv_cmd(&d, "migrate_cancel", NULL)));
    CHECK(drv_event(&d, "MIGRATION", "cancelled", DRV_TIMEOUT_MS) != NULL);
    CHECK(drv_wait_cleanup(&d, DRV_TIMEOUT_MS));
    CHECK_STR(drv_return_text(drv_cmd(&d, "query-migrate", NULL)), "{\"status\":\"cancelled\"}");
    CHECK_INT(drv_count_events(&d, "MIGRATION", "failed"), 0);
    CHECK_INT(d.died_calls, 0);
    drv_close(&d);
}

/* 7.2 inside the window: migrate_prepare() passes (FAILED is not running) and resets the state, then
 * yank_register_instance() refuses; the old migration's thread later uses the zeroed cleanup BH. */
static void test_migrate_in_window(void)
{
    struct drv d;
    start(&d, "qemu-7.2", RESET_AFTER, false);
    CHECK(drv_ok(drv_start_migration(&d, true, 2)));
    CHECK(drv_event(&d, "MIGRATION", "failed", DRV_TIMEOUT_MS) != NULL);
    char uri[64];
    snprintf(uri, sizeof uri, "{\"uri\": \"tcp:127.0.0.1:%u\"}", (unsigned)d.dest.port);
    json_object *r = drv_cmd(&d, "migrate", uri);
    CHECK_STR(drv_error_class(r), "GenericError");
    CHECK_STR(drv_error_desc(r), "duplicate yank instance");
    CHECK_INT(drv_count_events(&d, "MIGRATION", "setup"), 2);
    CHECK(drv_wait_death(&d, DRV_TIMEOUT_MS));
    CHECK_INT(d.died_signo, SIGSEGV);
    CHECK(d.died_msg_null);
    drv_close(&d);
}

static void test_argument_errors(void)
{
    struct drv d;
    start(&d, "qemu-7.2", 0, false);
    struct {
        const char *cmd, *args, *want;
    } cases[] = {
        {"migrate-set-capabilities", NULL, "Parameter 'capabilities' is missing"},
        {"migrate-set-capabilities", "{\"capabilities\": {}}",
         "Invalid parameter type for 'capabilities', expected: array"},
        {"migrate-set-capabilities", "{\"capabilities\": [{\"capability\": \"nope\", \"state\": true}]}",
         "Parameter 'capability' does not accept value 'nope'"},
        {"migrate-set-capabilities", "{\"capabilities\": [{\"capability\": \"multifd\", \"state\": 1}]}",
         "Invalid parameter type for 'capabilities[0].state', expected: boolean"},
        {"migrate-set-capabilities", "{\"capabilities\": [{\"capability\": \"multifd\"}]}",
         "Parameter 'capabilities[0].state' is missing"},
        {"migrate-set-capabilities",
         "{\"capabilities\": [{\"capability\": \"multifd\", \"state\": true}, "
         "{\"capability\": \"compress\", \"state\": true}]}",
         "Multifd is not compatible with compress"},
        {"migrate-set-capabilities", "{\"capabilities\": [{\"capability\": \"zero-copy-send\", \"state\": true}]}",
         "Zero copy only available for non-compressed non-TLS multifd migration"},
        {"migrate-set-parameters", "{\"multifd-channels\": 0}",
         "Parameter 'multifd_channels' expects a value between 1 and 255"},
        {"migrate-set-parameters", "{\"multifd-channels\": 300}", "Parameter 'multifd-channels' expects uint8_t"},
        {"migrate-set-parameters", "{\"multifd-channels\": \"2\"}", "Parameter 'multifd-channels' expects uint64"},
        {"migrate-set-parameters", "{\"downtime-limit\": 3000000}",
         "Parameter 'downtime_limit' expects an integer in the range of 0 to (2000 * 1000) ms"},
        {"migrate-set-parameters", "{\"multifd-compression\": \"lz4\"}",
         "Parameter 'multifd-compression' does not accept value 'lz4'"},
        {"migrate-set-parameters", "{\"tls-creds\": 5}",
         "Invalid parameter type for 'tls-creds', expected: StrOrNull"},
        {"migrate-set-parameters", "{\"bogus\": 5}", "Parameter 'bogus' is unexpected"},
        {"migrate", "{}", "Parameter 'uri' is missing"},
        {"migrate", "{\"uri\": \"exec:cat\"}", "Parameter 'uri' expects a valid migration protocol"},
        {"migrate", "{\"uri\": \"tcp:nope\"}", "error parsing address 'nope'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_STR(drv_error_desc(drv_cmd(&d, cases[i].cmd, cases[i].args)), cases[i].want);
    /* nothing refused was applied */
    json_object *p = drv_return(drv_cmd(&d, "query-migrate-parameters", NULL));
    json_object *x;
    CHECK(p && json_object_object_get_ex(p, "multifd-channels", &x) && json_object_get_int(x) == 2);
    CHECK(p && json_object_object_get_ex(p, "max-bandwidth", &x) && json_object_get_int64(x) == 134217728);
    CHECK(p && json_object_object_get_ex(p, "tls-creds", &x) && strcmp(json_object_get_string(x), "") == 0);
    json_object *c = drv_return(drv_cmd(&d, "query-migrate-capabilities", NULL));
    CHECK(c && json_object_array_length(c) == 21);
    CHECK(drv_ok(drv_cmd(&d, "migrate-set-parameters", "{\"multifd-channels\": 4, \"tls-creds\": null}")));
    p = drv_return(drv_cmd(&d, "query-migrate-parameters", NULL));
    CHECK(p && json_object_object_get_ex(p, "multifd-channels", &x) && json_object_get_int(x) == 4);
    CHECK_INT(d.died_calls, 0);
    drv_close(&d);
}

static void test_connect_failures(void)
{
    struct drv d;
    start(&d, "qemu-7.2", 0, false);
    /* a port nobody listens on: the dest's, once closed */
    unsigned port = d.dest.port;
    drv_dest_close(&d.dest);
    char uri[64];
    snprintf(uri, sizeof uri, "{\"uri\": \"tcp:127.0.0.1:%u\"}", port);
    CHECK(drv_ok(drv_cmd(&d, "migrate-set-capabilities",
                         "{\"capabilities\": [{\"capability\": \"events\", \"state\": true}]}")));
    CHECK(drv_ok(drv_cmd(&d, "migrate", uri)));
    CHECK(drv_event(&d, "MIGRATION", "failed", DRV_TIMEOUT_MS) != NULL);
    CHECK(drv_wait_cleanup(&d, DRV_TIMEOUT_MS));
    char want[160];
    snprintf(want, sizeof want,
             "{\"status\":\"failed\",\"error-desc\":\"Failed to connect to '127.0.0.1:%u': Connection refused\"}",
             port);
    CHECK_STR(drv_return_text(drv_cmd(&d, "query-migrate", NULL)), want);
    snprintf(want, sizeof want, "qemu-system-x86_64: Failed to connect to '127.0.0.1:%u': Connection refused",
             port);
    CHECK(drv_has_output(&d, want));

    /* not loopback: refused without any packet leaving the machine */
    CHECK(drv_ok(drv_cmd(&d, "migrate", "{\"uri\": \"tcp:192.0.2.1:4444\"}")));
    CHECK(drv_event(&d, "MIGRATION", "failed", DRV_TIMEOUT_MS) != NULL);
    CHECK(drv_wait_cleanup(&d, DRV_TIMEOUT_MS));
    CHECK_STR(drv_return_text(drv_cmd(&d, "query-migrate", NULL)),
              "{\"status\":\"failed\","
              "\"error-desc\":\"Failed to connect to '192.0.2.1:4444': Permission denied\"}");
    CHECK_INT(d.died_calls, 0);
    drv_close(&d);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    test_caps_and_params_by_status();
    test_failed_accepts();
    test_failing_model();
    test_failing_cancel();
    test_migrate_in_window();
    test_argument_errors();
    test_connect_failures();
    return check_exit();
}
