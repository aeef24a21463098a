/* After a modeled crash the modeled process is gone: its QMP socket reads EOF, `died` is reported once
 * and no hook is called after it, every socket it held is closed (the fd count is back where it was
 * before the VMM existed), and it refuses further monitors until freed. */
#include <signal.h>
#include <unistd.h>

#include "check.h"
#include "fds.h"
#include "sim_driver.h"

#define RAM (64u << 20)
#define MULTIFD_OFF "{\"capabilities\": [{\"capability\": \"multifd\", \"state\": false}]}"

static void test_crash_hygiene(void)
{
    struct drv d;
    memset(&d, 0, sizeof d);
    struct event_base *probe = drv_base_new(); /* libevent's own fds exist before we count */
    event_base_free(probe);
    CHECK(drv_open(&d, "qemu-7.2", RAM) == 0);
    int base_fds = fds_count() - 2; /* the socketpair (one end each) */
    CHECK(drv_open_dest(&d, 8u << 20) == 0);
    CHECK(drv_negotiate(&d));
    CHECK(drv_ok(drv_start_migration(&d, true, 4)));
    CHECK(drv_event(&d, "MIGRATION", "failed", DRV_TIMEOUT_MS) != NULL);
    CHECK(drv_ok(drv_cmd(&d, "migrate-set-capabilities", MULTIFD_OFF)));
    CHECK(drv_wait_death(&d, DRV_TIMEOUT_MS));
    CHECK(drv_wait_eof(&d, DRV_TIMEOUT_MS));
    CHECK(sim_vmm_dead(d.vmm));
    CHECK_INT(d.died_calls, 1);
    CHECK_INT(d.died_signo, SIGABRT);

    /* Nothing more comes out of it, whatever happens around it. */
    int traces = d.ntraces, outputs = d.noutputs;
    struct err e;
    CHECK(sim_vmm_freeze(d.vmm, (struct thread_ref){THR_MAIN, 0}, 1000, &e) < 0);
    drv_pump(&d, 30);
    CHECK_INT(d.hooks_after_died, 0);
    CHECK_INT(d.ntraces, traces);
    CHECK_INT(d.noutputs, outputs);
    CHECK_INT(d.died_calls, 1);

    /* The VMM holds no fd: only ours (client end, destination sockets) remain. */
    close(d.fd);
    d.fd = -1;
    event_free(d.rev);
    d.rev = NULL;
    drv_dest_close(&d.dest);
    d.have_dest = false;
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(sim_vmm_serve(d.vmm, sv[0], &e) < 0); /* refused, and sv[0] closed */
    close(sv[1]);
    CHECK_INT(fds_count(), base_fds);
    drv_close(&d);
}

/* A normal `quit` in the middle of a migration closes the migration sockets too. */
static void test_quit_mid_migration(void)
{
    struct drv d;
    CHECK(drv_open(&d, "qemu-7.2", RAM) == 0);
    int base_fds = fds_count() - 1; /* without the VMM's end of the socketpair */
    CHECK(drv_open_dest(&d, 0) == 0);
    d.dest.paused = true;
    CHECK(drv_negotiate(&d));
    CHECK(drv_ok(drv_start_migration(&d, true, 2)));
    CHECK(drv_event(&d, "MIGRATION", "active", DRV_TIMEOUT_MS) != NULL);
    CHECK(drv_ok(drv_cmd(&d, "quit", NULL)));
    CHECK(drv_wait_death(&d, DRV_TIMEOUT_MS));
    CHECK_INT(d.died_signo, 0);
    CHECK(drv_wait_eof(&d, DRV_TIMEOUT_MS));
    drv_pump(&d, 10);
    /* the destination saw its three connections closed (RST or EOF) */
    int gone = 0;
    for (int i = 0; i < d.dest.nconns; i++) {
        ssize_t n = 1;
        for (int j = 0; j < 1000 && n > 0; j++) /* what was sent first, then the end */
            n = recv(d.dest.conns[i].fd, drv_sink_buf, sizeof drv_sink_buf, MSG_DONTWAIT);
        gone += n == 0 || (n < 0 && errno == ECONNRESET);
    }
    CHECK_INT(d.dest.nconns, 3);
    CHECK_INT(gone, 3);
    int ours = 1 /* listener */ + d.dest.nconns;
    CHECK_INT(fds_count(), base_fds + ours);
    drv_close(&d);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    test_crash_hygiene();
    test_quit_mid_migration();
    return check_exit();
}
