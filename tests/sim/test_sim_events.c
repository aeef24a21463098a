/* Events and trace points of a migration whose channels are reset, as the transcripts show them:
 * setup, pass 1, active, then `failed` twice with multifd (the multifd thread and live_migration each
 * set it), none at all without the events capability, `failing` then `failed` with the fix. Also a
 * migration that completes, and the bytes the channels start with. */
#include <signal.h>

#include "check.h"
#include "sim_driver.h"

#define RAM (64u << 20)
#define RESET_AFTER (8u << 20)

static void dump(struct drv *d)
{
    for (int i = 0; i < d->ntraces; i++)
        fprintf(stderr, "  trace %s: %s %s\n", d->traces[i].thread, d->traces[i].event, d->traces[i].args);
    for (int i = 0; i < d->noutputs; i++)
        fprintf(stderr, "  out: %s\n", d->outputs[i]);
}

static void test_failed_twice_with_multifd(void)
{
    struct drv d;
    CHECK(drv_open(&d, "qemu-7.2", RAM) == 0);
    CHECK(drv_open_dest(&d, RESET_AFTER) == 0);
    CHECK(drv_negotiate(&d));
    json_object *r = drv_start_migration(&d, true, 2);
    CHECK(drv_ok(r));
    /* The setup event comes before the reply to migrate, as in the transcripts. */
    int setup_at = -1, reply_at = -1;
    for (int i = 0; i < d.nmsgs; i++) {
        if (setup_at < 0 && drv_count_events(&d, "MIGRATION", "setup") && d.msgs[i] &&
            strstr(json_object_to_json_string(d.msgs[i]), "\"setup\""))
            setup_at = i;
        if (d.msgs[i] == r)
            reply_at = i;
    }
    CHECK(setup_at >= 0 && setup_at < reply_at);
    CHECK(drv_event(&d, "MIGRATION", "setup", DRV_TIMEOUT_MS) != NULL);
    json_object *pass = drv_event(&d, "MIGRATION_PASS", NULL, DRV_TIMEOUT_MS);
    CHECK(pass != NULL);
    if (pass) {
        json_object *data;
        CHECK(json_object_object_get_ex(pass, "data", &data));
        CHECK_STR(json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN), "{\"pass\":1}");
    }
    CHECK(drv_event(&d, "MIGRATION", "active", DRV_TIMEOUT_MS) != NULL);
    CHECK(drv_event(&d, "MIGRATION", "failed", DRV_TIMEOUT_MS) != NULL);
    CHECK(drv_event(&d, "MIGRATION", "failed", DRV_TIMEOUT_MS) != NULL);
    CHECK(drv_wait_cleanup(&d, DRV_TIMEOUT_MS));
    CHECK_INT(drv_count_events(&d, "MIGRATION", "failed"), 2);
    CHECK_INT(d.died_calls, 0);
    r = drv_cmd(&d, "query-migrate", NULL);
    CHECK_STR(drv_return_text(r),
              "{\"status\":\"failed\",\"error-desc\":\"Unable to write to socket: Connection reset by peer\"}");

    /* The trace points, in 7.2's order. */
    int err = drv_find_trace(&d, "multifd_send_error", NULL);
    int term1 = drv_find_trace(&d, "multifd_send_terminate_threads", "error 1");
    int failed = drv_find_trace(&d, "migrate_set_state", "new state failed");
    int file_err = drv_find_trace(&d, "migration_thread_file_err", NULL);
    int after = drv_find_trace(&d, "migration_thread_after_loop", NULL);
    int savevm = drv_find_trace(&d, "savevm_state_cleanup", NULL);
    int fdc = drv_find_trace(&d, "migrate_fd_cleanup", NULL);
    int term0 = drv_find_trace(&d, "multifd_send_terminate_threads", "error 0");
    CHECK(err >= 0 && err < term1 && term1 < failed && failed < file_err && file_err < after && after < savevm &&
          savevm < fdc && fdc < term0);
    if (err >= 0)
        CHECK(strncmp(d.traces[err].thread, "multifdsend_", 12) == 0);
    if (file_err >= 0)
        CHECK_STR(d.traces[file_err].thread, "live_migration");
    if (savevm >= 0)
        CHECK_STR(d.traces[savevm].thread, "main");
    CHECK_INT(drv_count_traces(&d, "migrate_set_state", "new state failed"), 2);
    CHECK(drv_has_output(&d, "qemu-system-x86_64: Unable to write to socket: Connection reset by peer"));
    if (check_failures || getenv("SIM_DUMP"))
        dump(&d);
    drv_close(&d);
}

static void test_no_events_without_capability(void)
{
    struct drv d;
    CHECK(drv_open(&d, "qemu-7.2", RAM) == 0);
    CHECK(drv_open_dest(&d, RESET_AFTER) == 0);
    CHECK(drv_negotiate(&d));
    CHECK(drv_ok(drv_cmd(&d, "migrate-set-capabilities",
                         "{\"capabilities\": [{\"capability\": \"multifd\", \"state\": true}]}")));
    char uri[64];
    snprintf(uri, sizeof uri, "{\"uri\": \"tcp:127.0.0.1:%u\"}", (unsigned)d.dest.port);
    CHECK(drv_ok(drv_cmd(&d, "migrate", uri)));
    CHECK(drv_wait_cleanup(&d, DRV_TIMEOUT_MS));
    CHECK_STR(drv_return_text(drv_cmd(&d, "query-migrate", NULL)),
              "{\"status\":\"failed\",\"error-desc\":\"Unable to write to socket: Connection reset by peer\"}");
    CHECK_INT(drv_count_events(&d, "MIGRATION", NULL), 0);
    CHECK_INT(drv_count_events(&d, "MIGRATION_PASS", NULL), 0);
    CHECK_INT(drv_count_traces(&d, "migrate_set_state", "new state failed"), 2); /* traced all the same */
    drv_close(&d);
}

static void test_failing_then_failed(void)
{
    struct drv d;
    CHECK(drv_open(&d, "failing", RAM) == 0);
    CHECK(drv_open_dest(&d, RESET_AFTER) == 0);
    CHECK(drv_negotiate(&d));
    CHECK(drv_ok(drv_start_migration(&d, true, 2)));
    CHECK(drv_event(&d, "MIGRATION", "failing", DRV_TIMEOUT_MS) != NULL);
    CHECK(drv_event(&d, "MIGRATION", "failed", DRV_TIMEOUT_MS) != NULL);
    CHECK_INT(drv_count_events(&d, "MIGRATION", "failing"), 2);
    CHECK_INT(drv_count_events(&d, "MIGRATION", "failed"), 1);
    CHECK(drv_wait_cleanup(&d, DRV_TIMEOUT_MS));
    CHECK_STR(drv_return_text(drv_cmd(&d, "query-migrate", NULL)),
              "{\"status\":\"failed\",\"error-desc\":\"Unable to write to socket: Connection reset by peer\"}");
    /* failing comes first, failed is set by the cleanup on main */
    int failing = drv_find_trace(&d, "migrate_set_state", "new state failing");
    int failed = drv_find_trace(&d, "migrate_set_state", "new state failed");
    CHECK(failing >= 0 && failed > failing);
    if (failed >= 0)
        CHECK_STR(d.traces[failed].thread, "main");
    CHECK_INT(d.died_calls, 0);
    drv_close(&d);
}

static void test_without_multifd_one_failed(void)
{
    struct drv d;
    CHECK(drv_open(&d, "qemu-7.2", RAM) == 0);
    CHECK(drv_open_dest(&d, RESET_AFTER) == 0);
    CHECK(drv_negotiate(&d));
    CHECK(drv_ok(drv_start_migration(&d, false, 2)));
    CHECK(drv_event(&d, "MIGRATION", "failed", DRV_TIMEOUT_MS) != NULL);
    CHECK(drv_wait_cleanup(&d, DRV_TIMEOUT_MS));
    CHECK_INT(drv_count_events(&d, "MIGRATION", "failed"), 1); /* live_migration sets it, once */
    CHECK(drv_has_output(&d, "qemu-system-x86_64: failed to save SaveStateEntry with id(name): 2(ram): -5"));
    CHECK_INT(drv_count_traces(&d, "multifd_send_terminate_threads", NULL), 0);
    CHECK_INT(d.died_calls, 0);
    drv_close(&d);
}

/* Without a reset the migration completes: every page reaches the destination, the channels start
 * with QEMU's headers, cleanup removes the yank instance, the guest is left in postmigrate. */
static void test_completes(void)
{
    struct drv d;
    CHECK(drv_open(&d, "qemu-7.2", 16u << 20) == 0);
    CHECK(drv_open_dest(&d, 0) == 0);
    CHECK(drv_negotiate(&d));
    CHECK(drv_ok(drv_start_migration(&d, true, 3)));
    CHECK(drv_event(&d, "MIGRATION", "completed", DRV_TIMEOUT_MS) != NULL);
    CHECK(drv_wait_cleanup(&d, DRV_TIMEOUT_MS));
    CHECK_INT(drv_count_events(&d, "STOP", NULL), 1);
    CHECK_STR(drv_return_text(drv_cmd(&d, "query-status", NULL)),
              "{\"running\":false,\"singlestep\":false,\"status\":\"postmigrate\"}");
    json_object *r = drv_return(drv_cmd(&d, "query-migrate", NULL));
    json_object *ram = NULL, *x;
    CHECK(r && json_object_object_get_ex(r, "ram", &ram));
    if (ram) {
        CHECK(json_object_object_get_ex(ram, "normal", &x) && json_object_get_int64(x) == (16 << 20) / 4096);
        CHECK(json_object_object_get_ex(ram, "remaining", &x) && json_object_get_int64(x) == 0);
    }
    drv_pump(&d, 20);
    CHECK_INT(d.dest.nconns, 4);
    uint64_t total = 0;
    int mf = 0, main_ = 0;
    for (int i = 0; i < d.dest.nconns; i++) {
        struct drv_conn *c = &d.dest.conns[i];
        total += c->bytes;
        if (c->headn >= 8 && memcmp(c->head, "QEVM\0\0\0\3", 8) == 0) {
            main_++;
        } else if (c->headn == 64 && memcmp(c->head, "\x11\x22\x33\x44\0\0\0\1", 8) == 0) {
            CHECK(c->head[24] < 3);
            mf++;
        }
    }
    CHECK_INT(main_, 1);
    CHECK_INT(mf, 3);
    CHECK(total > (16u << 20));
    CHECK_INT(d.died_calls, 0);
    drv_close(&d);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    test_failed_twice_with_multifd();
    test_no_events_without_capability();
    test_failing_then_failed();
    test_without_multifd_one_failed();
    test_completes();
    return check_exit();
}
