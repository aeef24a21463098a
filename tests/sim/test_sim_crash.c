/* The crash matrix: a command sent right after the first `failed` (or `failing`) event, inside the
 * window before cleanup, and how the modeled QEMU ends, with the exact died(signo, message):
 * qemu-7.2 crashes as the real one did (yank assertion, SIGSEGV, mutex assertion), a control run and a
 * change after cleanup do not, and the `failing` fix refuses the capability change but not the
 * channel-count change. */
#include <signal.h>

#include "check.h"
#include "sim_driver.h"

#define RAM (64u << 20)
#define RESET_AFTER (8u << 20)
#define YANK_MSG                                                                                    \
    "qemu-system-x86_64: ../../util/yank.c:107: yank_unregister_instance: Assertion "             \
    "`QLIST_EMPTY(&entry->yankfns)' failed."
#define MUTEX_MSG                                                                                   \
    "qemu-system-x86_64: ../../util/qemu-thread-posix.c:87: qemu_mutex_lock_impl: Assertion "     \
    "`mutex->initialized' failed."
#define MULTIFD_OFF "{\"capabilities\": [{\"capability\": \"multifd\", \"state\": false}]}"
#define MULTIFD_ON "{\"capabilities\": [{\"capability\": \"multifd\", \"state\": true}]}"

struct outcome {
    bool reply_ok;
    char reply_err[256];
    int died;
    int signo;
    char msg[256];
    bool msg_null;
    bool cleaned;
};

/* Migrates (multifd on or off), waits for the first MIGRATION `react` event, sends CMD at once, then
 * waits for death or cleanup. */
static struct outcome run(const char *model, bool multifd, const char *react, const char *cmd, const char *args)
{
    struct outcome o;
    memset(&o, 0, sizeof o);
    struct drv d;
    CHECK(drv_open(&d, model, RAM) == 0);
    CHECK(drv_open_dest(&d, RESET_AFTER) == 0);
    CHECK(drv_negotiate(&d));
    CHECK(drv_ok(drv_start_migration(&d, multifd, 2)));
    CHECK(drv_event(&d, "MIGRATION", react, DRV_TIMEOUT_MS) != NULL);
    if (cmd) {
        json_object *r = drv_cmd(&d, cmd, args);
        o.reply_ok = drv_ok(r);
        snprintf(o.reply_err, sizeof o.reply_err, "%s", drv_error_desc(r) ? drv_error_desc(r) : "");
    }
    o.cleaned = drv_wait_cleanup(&d, DRV_TIMEOUT_MS);
    if (!o.cleaned)
        drv_wait_death(&d, DRV_TIMEOUT_MS);
    o.died = d.died_calls;
    o.signo = d.died_signo;
    o.msg_null = d.died_msg_null;
    snprintf(o.msg, sizeof o.msg, "%s", d.died_msg);
    if (o.died) /* QEMU's last stderr line is the message */
        CHECK(d.noutputs > 0 && (o.msg_null || strcmp(d.outputs[d.noutputs - 1], o.msg) == 0));
    drv_close(&d);
    return o;
}

static void test_multifd_off_yank_assertion(void)
{
    struct outcome o = run("qemu-7.2", true, "failed", "migrate-set-capabilities", MULTIFD_OFF);
    CHECK(o.reply_ok); /* FAILED is not "running": accepted */
    CHECK_INT(o.died, 1);
    CHECK_INT(o.signo, SIGABRT);
    CHECK_STR(o.msg, YANK_MSG);
}

static void test_multifd_on_segv(void)
{
    struct outcome o = run("qemu-7.2", false, "failed", "migrate-set-capabilities", MULTIFD_ON);
    CHECK(o.reply_ok);
    CHECK_INT(o.died, 1);
    CHECK_INT(o.signo, SIGSEGV);
    CHECK(o.msg_null);
}

static void test_channels_fewer_yank_assertion(void)
{
    struct outcome o = run("qemu-7.2", true, "failed", "migrate-set-parameters", "{\"multifd-channels\": 1}");
    CHECK(o.reply_ok);
    CHECK_INT(o.died, 1);
    CHECK_INT(o.signo, SIGABRT);
    CHECK_STR(o.msg, YANK_MSG);
}

static void test_channels_more_mutex_assertion(void)
{
    struct outcome o = run("qemu-7.2", true, "failed", "migrate-set-parameters", "{\"multifd-channels\": 8}");
    CHECK(o.reply_ok);
    CHECK_INT(o.died, 1);
    CHECK_INT(o.signo, SIGABRT);
    CHECK_STR(o.msg, MUTEX_MSG);
}

static void test_control_survives(void)
{
    struct outcome o = run("qemu-7.2", true, "failed", "query-migrate", NULL);
    CHECK(o.reply_ok);
    CHECK(o.cleaned); /* query-yank stopped listing the migration */
    CHECK_INT(o.died, 0);
}

/* Other capabilities flipped in the window crash nothing (FACTS: 10 trials each). */
static void test_other_capability_survives(void)
{
    struct outcome o = run("qemu-7.2", true, "failed", "migrate-set-capabilities",
                           "{\"capabilities\": [{\"capability\": \"xbzrle\", \"state\": true}]}");
    CHECK(o.reply_ok);
    CHECK(o.cleaned);
    CHECK_INT(o.died, 0);
}

static void test_change_after_cleanup_survives(void)
{
    struct drv d;
    CHECK(drv_open(&d, "qemu-7.2", RAM) == 0);
    CHECK(drv_open_dest(&d, RESET_AFTER) == 0);
    CHECK(drv_negotiate(&d));
    CHECK(drv_ok(drv_start_migration(&d, true, 2)));
    CHECK(drv_event(&d, "MIGRATION", "failed", DRV_TIMEOUT_MS) != NULL);
    CHECK(drv_wait_cleanup(&d, DRV_TIMEOUT_MS));
    CHECK(drv_ok(drv_cmd(&d, "migrate-set-capabilities", MULTIFD_OFF)));
    CHECK(drv_ok(drv_cmd(&d, "migrate-set-parameters", "{\"multifd-channels\": 8}")));
    drv_pump(&d, 20);
    CHECK_INT(d.died_calls, 0);
    drv_close(&d);
}

/* A channel-count change while ACTIVE: 7.2 hands the next packet to a channel that was never
 * created (FACTS: crashed even when changed before the reset). */
static void test_channels_more_while_active(void)
{
    struct drv d;
    CHECK(drv_open(&d, "qemu-7.2", RAM) == 0);
    CHECK(drv_open_dest(&d, 0) == 0);
    d.dest.paused = true; /* keep it ACTIVE */
    CHECK(drv_negotiate(&d));
    CHECK(drv_ok(drv_start_migration(&d, true, 2)));
    CHECK(drv_event(&d, "MIGRATION", "active", DRV_TIMEOUT_MS) != NULL);
    CHECK(drv_ok(drv_cmd(&d, "migrate-set-parameters", "{\"multifd-channels\": 8}")));
    drv_dest_resume(&d.dest);
    CHECK(drv_wait_death(&d, DRV_TIMEOUT_MS));
    CHECK_INT(d.died_signo, SIGABRT);
    CHECK_STR(d.died_msg, MUTEX_MSG);
    drv_close(&d);
}

static void test_failing_refuses_multifd_off(void)
{
    struct outcome o = run("failing", true, "failing", "migrate-set-capabilities", MULTIFD_OFF);
    CHECK(!o.reply_ok);
    CHECK_STR(o.reply_err, "There's a migration process in progress");
    CHECK(o.cleaned);
    CHECK_INT(o.died, 0);
}

static void test_failing_channels_still_crash(void)
{
    struct outcome o = run("failing", true, "failing", "migrate-set-parameters", "{\"multifd-channels\": 1}");
    CHECK(o.reply_ok); /* set-parameters has no running check, fix or not */
    CHECK_INT(o.died, 1);
    CHECK_INT(o.signo, SIGABRT);
    CHECK_STR(o.msg, YANK_MSG);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    test_multifd_off_yank_assertion();
    test_multifd_on_segv();
    test_channels_fewer_yank_assertion();
    test_channels_more_mutex_assertion();
    test_control_survives();
    test_other_capability_survives();
    test_change_after_cleanup_survives();
    test_channels_more_while_active();
    test_failing_refuses_multifd_off();
    test_failing_channels_still_crash();
    return check_exit();
}
