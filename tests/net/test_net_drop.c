/* proxy_drop_all: every channel is reset (the sources see ECONNRESET) without any hook being called,
 * counters and numbering restart at zero, and no file descriptor is left behind. Also called from inside
 * a hook, like proxy_free: both must be safe there (ASan watches). And no socket of the proxy or the
 * sink would be inherited by a child process such as QEMU. */
#include <unistd.h>

#include "check.h"
#include "fds.h"
#include "mono.h"
#include "net_peer.h"

#define NSRC 3


static bool sink_idle(void *arg)
{
    return sink_open(((struct net_world *)arg)->s) == 0;
}

static bool one_failed(void *arg)
{
    return ((struct net_src *)arg)->err != 0;
}

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

static void act(struct net_log *l, unsigned index, uint64_t chan_total, uint64_t all_total)
{
    (void)index;
    (void)chan_total;
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
    struct event_base *base = mono_event_base_new();
    struct sink *s;
    struct proxy *p;
    struct net_log log;
    unsigned port;
    if (!net_rig_open(base, &log, &s, &p, &port)) {
        CHECK(0);
        return check_exit();
    }
    int fds_idle = fds_count();

    uint8_t hdr[NSRC][64];
    size_t hlen[NSRC] = {net_hdr_main(hdr[0]), net_hdr_multifd(hdr[1], 0), net_hdr_multifd(hdr[2], 1)};
    struct net_src src[NSRC];
    struct net_world w = {p, s, src, NSRC, 0};
    for (int i = 0; i < NSRC; i++) {
        CHECK_INT(net_src_open(&src[i], base, port, hdr[i], hlen[i], 1u << 20), 0);
        w.sink_want += 1u << 20;
    }
    CHECK(net_run_until(base, net_all_sent_and_sunk, &w, 5000));
    CHECK_INT(proxy_channel_count(p), NSRC);
    CHECK(fds_count() > fds_idle);
    CHECK_INT(fds_inheritable(), inheritable); /* every socket of proxy and sink is close-on-exec */

    /* --- drop from outside --- */
    unsigned ended0 = log.ended, bytes0 = log.bytes_calls;
    proxy_drop_all(p);
    CHECK_INT(proxy_channel_count(p), 0);
    CHECK_INT(proxy_total_bytes(p), 0);
    CHECK(!proxy_channel_open(p, 0));
    CHECK_INT(proxy_channel_bytes(p, 0), 0);
    CHECK_INT(log.ended, ended0); /* no hooks from drop_all */
    for (int i = 0; i < NSRC; i++) {
        CHECK(net_poll_in(src[i].fd, 2000));
        CHECK_INT(net_send_errno(src[i].fd), ECONNRESET);
        net_src_close(&src[i]);
    }
    CHECK(net_run_until(base, sink_idle, &w, 2000));
    CHECK_INT(fds_count(), fds_idle);
    CHECK_INT(log.bytes_calls, bytes0);

    /* numbering restarts: the next connection is channel 0 again */
    net_log_hooks(&log); /* starts the log afresh; the proxy still writes into it */
    CHECK_INT(net_src_open(&src[0], base, port, hdr[1], hlen[1], 64), 0);
    CHECK(net_run_until(base, identified_one, &log, 2000));
    CHECK_INT(log.opened, 1);
    CHECK_INT(log.opened_idx[0], 0);
    CHECK_INT(log.id[0], 0);
    CHECK_INT(proxy_channel_count(p), 1);
    CHECK_INT(proxy_channel_bytes(p, 0), 64);
    CHECK_INT(proxy_total_bytes(p), 64);

    /* --- drop from inside the bytes hook --- */
    struct action a = {.pp = &p};
    log.on_bytes = act;
    log.user = &a;
    /* more than the kernel buffers on both sides hold, so the source is still sending when the RST comes */
    net_src_more(&src[0], 64u << 20);
    CHECK(net_run_until(base, one_failed, &src[0], 3000));
    CHECK_INT(src[0].err, ECONNRESET);
    CHECK_INT(a.calls, 1);
    CHECK_INT(proxy_channel_count(p), 0);
    CHECK_INT(log.ended, 0);
    net_src_close(&src[0]);
    CHECK(net_run_until(base, sink_idle, &w, 2000));
    CHECK_INT(fds_count(), fds_idle);

    /* --- proxy_free from inside the bytes hook --- */
    a = (struct action){.pp = &p, .free_it = true};
    for (int i = 0; i < 2; i++)
        CHECK_INT(net_src_open(&src[i], base, port, hdr[i], hlen[i], 4u << 20), 0);
    CHECK(net_run_until(base, one_failed, &src[0], 3000));
    CHECK(net_run_until(base, one_failed, &src[1], 3000));
    CHECK(p == NULL);
    CHECK_INT(a.calls, 1);
    CHECK_INT(src[0].err, ECONNRESET);
    CHECK_INT(src[1].err, ECONNRESET);
    CHECK_INT(log.ended, 0);
    for (int i = 0; i < 2; i++)
        net_src_close(&src[i]);
    CHECK(net_run_until(base, sink_idle, &w, 2000));
    CHECK_INT(fds_count(), fds_idle - 1); /* the proxy's listener is gone too */

    sink_free(s);
    event_base_free(base);
    CHECK_INT(fds_count(), fds_start);
    return check_exit();
}
