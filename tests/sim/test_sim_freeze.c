/* sim_vmm_freeze: holding a modeled thread postpones what it would do, like ptrace-stopping it in QEMU.
 * Holding live_migration right after the reset keeps the window open (a command 10 ms after the event
 * still crashes it; without the hold it lands after cleanup); holding main delays replies, not events;
 * holding a multifd thread makes cleanup wait in its join; a thread that does not exist is an error. */
#include <signal.h>

#include "check.h"
#include "mono.h"
#include "sim_driver.h"

#define RAM (64u << 20)
#define RESET_AFTER (8u << 20)
#define MULTIFD_OFF "{\"capabilities\": [{\"capability\": \"multifd\", \"state\": false}]}"
#define YANK_MSG                                                                                    \
    "qemu-system-x86_64: ../../util/yank.c:107: yank_unregister_instance: Assertion "             \
    "`QLIST_EMPTY(&entry->yankfns)' failed."

/* multifd off, 10 ms after the first `failed` event; `hold_ms` holds live_migration from the first
 * multifd_send_error on. */
static void late_command(unsigned hold_ms, bool expect_crash)
{
    struct drv d;
    CHECK(drv_open(&d, "qemu-7.2", RAM) == 0);
    if (hold_ms) {
        d.react_event = "multifd_send_error";
        d.react_thread = (struct thread_ref){THR_LIVE_MIGRATION, 0};
        d.react_us = hold_ms * 1000u;
    }
    CHECK(drv_open_dest(&d, RESET_AFTER) == 0);
    CHECK(drv_negotiate(&d));
    CHECK(drv_ok(drv_start_migration(&d, true, 2)));
    CHECK(drv_event(&d, "MIGRATION", "failed", DRV_TIMEOUT_MS) != NULL);
    drv_pump(&d, 10);
    CHECK(drv_ok(drv_cmd(&d, "migrate-set-capabilities", MULTIFD_OFF)));
    if (expect_crash) {
        CHECK(drv_wait_death(&d, DRV_TIMEOUT_MS));
        CHECK_INT(d.died_signo, SIGABRT);
        CHECK_STR(d.died_msg, YANK_MSG);
        CHECK_INT(d.holds, 1);
        CHECK_INT(d.releases, 1); /* released, then it noticed, then cleanup crashed */
    } else {
        CHECK(drv_wait_cleanup(&d, DRV_TIMEOUT_MS));
        drv_pump(&d, 10);
        CHECK_INT(d.died_calls, 0);
    }
    drv_close(&d);
}

static void test_hold_keeps_window_open(void)
{
    late_command(50, true);
}

static void test_no_hold_lands_after_cleanup(void)
{
    late_command(0, false);
}

static void test_main_hold_delays_replies(void)
{
    struct drv d;
    CHECK(drv_open(&d, "qemu-7.2", RAM) == 0);
    CHECK(drv_negotiate(&d));
    struct err e;
    CHECK(sim_vmm_freeze(d.vmm, (struct thread_ref){THR_MAIN, 0}, 30000, &e) == 0);
    CHECK_INT(d.holds, 1);
    uint64_t t0 = mono_now_us();
    json_object *r = drv_cmd(&d, "query-status", NULL);
    uint64_t dt = mono_now_us() - t0;
    CHECK(drv_ok(r));
    CHECK_MSG(dt >= 28000, "reply after %llu us", (unsigned long long)dt);
    CHECK_INT(d.releases, 1);

    /* a second freeze extends a running hold to the later end, with one hold/release pair */
    CHECK(sim_vmm_freeze(d.vmm, (struct thread_ref){THR_MAIN, 0}, 10000, &e) == 0);
    CHECK(sim_vmm_freeze(d.vmm, (struct thread_ref){THR_MAIN, 0}, 40000, &e) == 0);
    CHECK(sim_vmm_freeze(d.vmm, (struct thread_ref){THR_MAIN, 0}, 5000, &e) == 0);
    t0 = mono_now_us();
    r = drv_cmd(&d, "query-status", NULL);
    dt = mono_now_us() - t0;
    CHECK(drv_ok(r));
    CHECK_MSG(dt >= 38000, "reply after %llu us", (unsigned long long)dt);
    CHECK_INT(d.holds, 2);
    CHECK_INT(d.releases, 2);
    drv_close(&d);
}

/* Main held across the failure: events still flow (other threads send them), replies wait, and the
 * cleanup runs only after the release. */
static void test_main_hold_during_failure(void)
{
    struct drv d;
    CHECK(drv_open(&d, "qemu-7.2", RAM) == 0);
    d.react_event = "multifd_send_error";
    d.react_thread = (struct thread_ref){THR_MAIN, 0};
    d.react_us = 60000;
    CHECK(drv_open_dest(&d, RESET_AFTER) == 0);
    CHECK(drv_negotiate(&d));
    CHECK(drv_ok(drv_start_migration(&d, true, 2)));
    CHECK(drv_event(&d, "MIGRATION", "failed", DRV_TIMEOUT_MS) != NULL);
    uint64_t t0 = mono_now_us();
    int q = drv_send(&d, "query-yank", NULL);
    CHECK(drv_event(&d, "MIGRATION", "failed", DRV_TIMEOUT_MS) != NULL); /* from live_migration */
    CHECK(drv_find_reply(&d, q) == NULL);
    json_object *r = drv_reply(&d, q);
    CHECK(mono_now_us() - t0 >= 40000);
    /* the queued query ran before the cleanup bottom half that became due meanwhile: in order */
    CHECK_STR(drv_return_text(r), "[{\"type\":\"chardev\",\"id\":\"compat_monitor0\"},{\"type\":\"migration\"}]");
    CHECK(drv_wait_cleanup(&d, DRV_TIMEOUT_MS));
    CHECK_INT(d.died_calls, 0);
    drv_close(&d);
}

/* A held multifd thread has not exited: cleanup waits in its join, and main with it. */
static void test_multifd_hold_blocks_cleanup(void)
{
    struct drv d;
    CHECK(drv_open(&d, "qemu-7.2", RAM) == 0);
    d.react_event = "migrate_set_state";
    d.react_args = "new state active";
    d.react_thread = (struct thread_ref){THR_MULTIFDSEND, 1};
    d.react_us = 80000;
    CHECK(drv_open_dest(&d, RESET_AFTER) == 0);
    CHECK(drv_negotiate(&d));
    CHECK(drv_ok(drv_start_migration(&d, true, 2)));
    CHECK(drv_event(&d, "MIGRATION", "failed", DRV_TIMEOUT_MS) != NULL);
    drv_pump(&d, 10);
    /* live_migration has noticed and the bottom half has started, but it waits for multifdsend_1 */
    CHECK(drv_find_trace(&d, "migration_thread_after_loop", NULL) >= 0);
    CHECK(drv_find_trace(&d, "migrate_fd_cleanup", NULL) >= 0);
    int q = drv_send(&d, "query-yank", NULL);
    drv_pump(&d, 20);
    CHECK(drv_find_reply(&d, q) == NULL); /* main is blocked */
    CHECK(drv_reply(&d, q) != NULL);
    CHECK_INT(d.releases, 1);
    CHECK(drv_wait_cleanup(&d, DRV_TIMEOUT_MS));
    CHECK_INT(d.died_calls, 0);
    drv_close(&d);
}

static void test_missing_thread(void)
{
    struct drv d;
    CHECK(drv_open(&d, "qemu-7.2", RAM) == 0);
    CHECK(drv_negotiate(&d));
    struct err e;
    CHECK(sim_vmm_freeze(d.vmm, (struct thread_ref){THR_LIVE_MIGRATION, 0}, 1000, &e) < 0);
    CHECK_STR(e.msg, "no thread 'live_migration' in the target now");
    drv_close(&d);

    CHECK(drv_open(&d, "qemu-7.2", RAM) == 0);
    CHECK(drv_open_dest(&d, 0) == 0);
    d.dest.paused = true; /* stays active */
    CHECK(drv_negotiate(&d));
    CHECK(drv_ok(drv_start_migration(&d, true, 2)));
    CHECK(drv_event(&d, "MIGRATION", "active", DRV_TIMEOUT_MS) != NULL);
    CHECK(sim_vmm_freeze(d.vmm, (struct thread_ref){THR_MULTIFDSEND, 3}, 1000, &e) < 0);
    CHECK_STR(e.msg, "no thread 'multifdsend_3' in the target now");
    CHECK(sim_vmm_freeze(d.vmm, (struct thread_ref){THR_MULTIFDSEND, 1}, 1000, &e) == 0);
    CHECK(sim_vmm_freeze(d.vmm, (struct thread_ref){THR_LIVE_MIGRATION, 0}, 1000, &e) == 0);
    CHECK_INT(d.holds, 2);
    drv_pump(&d, 5);
    CHECK_INT(d.releases, 2);
    drv_close(&d);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    test_hold_keeps_window_open();
    test_no_hold_lands_after_cleanup();
    test_main_hold_delays_replies();
    test_main_hold_during_failure();
    test_multifd_hold_blocks_cleanup();
    test_missing_thread();
    return check_exit();
}
