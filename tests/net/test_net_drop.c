/* proxy_drop_all: every channel is reset (the sources see ECONNRESET) without any hook being called,
 * counters and numbering restart at zero, and no file descriptor is left behind. Also called from inside
 * a hook, like proxy_free: both must be safe there (ASan watches). And no socket of the proxy or the
 * sink would be inherited by a child process such as QEMU. */
#include <unistd.h>

#include "check.h"
#include "fds.h"
#include "net_peer.h"

#define NSRC NET_RIG_SRC

static bool identified_one(void *arg)
{
    return ((struct net_log *)arg)->identified > 0;
}

/* from inside the bytes hook: drop everything (a trial ending early), or free the proxy outright */
struct action {
    struct proxy **pp;
    bool free_it;
    unsigned calls;
};

static void act(struct net_log *l, uint64_t all_total)
{
    struct action *a = l->user;
    if (all_total < (512u << 10) || !*a->pp)
        return;
    a->calls++;
    if (a->free_it) {
        proxy_free(*a->pp);
        *a->pp = NULL;
    } else {
        proxy_drop_all(*a->pp);
    }
}

int main(void)
{
    alarm(30);
    int fds_start = fds_count();
    int inheritable = fds_inheritable();
    struct net_rig r;
    if (!net_rig_open(&r))
        return check_exit();
    int fds_idle = fds_count();
    CHECK(net_rig_start(&r, 1u << 20));
    struct net_src *src = r.src; /* main, multifd0, multifd1 */
    CHECK_INT(proxy_channel_count(r.p), NSRC);
    CHECK(fds_count() > fds_idle);
    CHECK_INT(fds_inheritable(), inheritable); /* every socket of proxy and sink is close-on-exec */

    /* --- drop from outside --- */
    unsigned ended0 = r.log.ended, bytes0 = r.log.bytes_calls;
    proxy_drop_all(r.p);
    CHECK_INT(proxy_channel_count(r.p), 0);
    CHECK_INT(proxy_total_bytes(r.p), 0);
    CHECK(!proxy_channel_open(r.p, 0));
    CHECK_INT(proxy_channel_bytes(r.p, 0), 0);
    CHECK_INT(r.log.ended, ended0); /* no hooks from drop_all */
    for (int i = 0; i < NSRC; i++) {
        CHECK(net_poll_in(src[i].fd, 2000));
        CHECK_INT(net_send_errno(src[i].fd), ECONNRESET);
        net_src_close(&src[i]);
    }
    CHECK(net_wait_sink_open(r.base, r.s, 0, 2000));
    CHECK_INT(fds_count(), fds_idle);
    CHECK_INT(r.log.bytes_calls, bytes0);

    /* numbering restarts: the next connection is channel 0 again */
    net_log_reset(&r.log); /* the proxy still writes into it */
    CHECK_INT(net_src_open_chan(&src[0], r.base, r.port, 0, 64), 0);
    CHECK(net_run_until(r.base, identified_one, &r.log, 2000));
    CHECK_INT(r.log.opened, 1);
    CHECK_INT(r.log.opened_idx[0], 0);
    CHECK_INT(r.log.id[0], 0);
    CHECK_INT(proxy_channel_count(r.p), 1);
    CHECK_INT(proxy_channel_bytes(r.p, 0), 64);
    CHECK_INT(proxy_total_bytes(r.p), 64);

    /* --- drop from inside the bytes hook --- */
    struct action a = {.pp = &r.p};
    r.log.on_bytes = act;
    r.log.user = &a;
    /* more than the kernel buffers on both sides hold, so the source is still sending when the RST comes */
    net_src_more(&src[0], 64u << 20);
    CHECK(net_run_until(r.base, net_src_failed, &src[0], 3000));
    CHECK_INT(src[0].err, ECONNRESET);
    CHECK_INT(a.calls, 1);
    CHECK_INT(proxy_channel_count(r.p), 0);
    CHECK_INT(r.log.ended, 0);
    net_src_close(&src[0]);
    CHECK(net_wait_sink_open(r.base, r.s, 0, 2000));
    CHECK_INT(fds_count(), fds_idle);

    /* --- proxy_free from inside the bytes hook --- */
    a = (struct action){.pp = &r.p, .free_it = true};
    for (int i = 0; i < 2; i++)
        CHECK_INT(net_src_open_chan(&src[i], r.base, r.port, net_rig_chan[i], 4u << 20), 0);
    CHECK(net_run_until(r.base, net_src_failed, &src[0], 3000));
    CHECK(net_run_until(r.base, net_src_failed, &src[1], 3000));
    CHECK(r.p == NULL);
    CHECK_INT(a.calls, 1);
    CHECK_INT(src[0].err, ECONNRESET);
    CHECK_INT(src[1].err, ECONNRESET);
    CHECK_INT(r.log.ended, 0);
    for (int i = 0; i < 2; i++)
        net_src_close(&src[i]);
    CHECK(net_wait_sink_open(r.base, r.s, 0, 2000));
    CHECK_INT(fds_count(), fds_idle - 1); /* the proxy's listener is gone too */

    net_rig_close(&r);
    CHECK_INT(fds_count(), fds_start);
    return check_exit();
}
