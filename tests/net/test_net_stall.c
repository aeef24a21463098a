/* stall: while a channel is stalled the proxy reads nothing from it, so the sink count stops growing and
 * the source's non-blocking send ends in EAGAIN (its writes would block, as QEMU's do); other channels
 * keep flowing; when the stall ends, not before, the data flows again, all of it. A stall of 0 lasts
 * until proxy_drop_all. */
#include <unistd.h>

#include "check.h"
#include "mono.h"
#include "net_peer.h"

#define STALL_US 800000u /* long enough for a loaded, sanitized build to fill the socket first */

struct world {
    struct proxy *p;
    struct sink *s;
    struct net_src *src;
    unsigned index;
    uint64_t want;
    uint64_t moved_at; /* when the stalled channel's count first grew again */
    uint64_t base_bytes;
};

static bool blocked(void *arg)
{
    struct net_src *s = arg;
    return s->eagains > 0 || s->err;
}

static bool bytes_reached(void *arg)
{
    struct world *w = arg;
    return proxy_channel_bytes(w->p, w->index) >= w->want;
}

static bool sink_reached(void *arg)
{
    struct world *w = arg;
    return sink_bytes(w->s) >= w->want;
}

static bool resumed(void *arg)
{
    struct world *w = arg;
    if (!w->moved_at && proxy_channel_bytes(w->p, w->index) > w->base_bytes)
        w->moved_at = mono_now_us();
    return w->moved_at != 0;
}

static bool one_failed(void *arg)
{
    return ((struct net_src *)arg)->err != 0;
}

int main(void)
{
    alarm(30);
    struct event_base *base = mono_event_base_new();
    struct err e = {{0}};
    struct sink *s;
    struct proxy *p;
    struct net_log log;
    unsigned port;
    if (!net_rig_open(base, &log, &s, &p, &port)) {
        CHECK(0);
        return check_exit();
    }

    /* bad arguments and absent channels */
    CHECK_INT(proxy_stall(p, CHAN_ANY, 1000, &e), -1);
    CHECK(strstr(e.msg, "channel") != NULL);
    CHECK_INT(proxy_stall(p, 0, 1000, &e), 0);

    uint8_t h0[64], h1[64];
    net_hdr_multifd(h0, 0);
    net_hdr_multifd(h1, 1);
    struct net_src a, b; /* a: multifd0, to be stalled; b: multifd1, keeps going */
    CHECK_INT(net_src_open(&a, base, port, h0, 64, 64), 0);
    CHECK_INT(net_src_open(&b, base, port, h1, 64, 64), 0);
    struct world w = {p, s, NULL, 0, 128, 0, 0};
    CHECK(net_run_until(base, sink_reached, &w, 2000));
    unsigned ia = proxy_channel_id(p, 0) == 0 ? 0 : 1, ib = 1 - ia;
    CHECK_INT(proxy_channel_id(p, ia), 0);

    CHECK_INT(proxy_stall(p, 0, STALL_US, &e), 1);
    uint64_t t0 = mono_now_us();
    uint64_t sink0 = sink_bytes(s);

    /* push until the source's socket is full (the kernel buffers a few MiB; bounded at 256 MiB) */
    net_src_more(&a, 256u << 20);
    CHECK_MSG(net_run_until(base, blocked, &a, 3000), "source never blocked after %llu bytes",
              (unsigned long long)a.sent);
    net_src_stop(&a);
    CHECK_INT(a.err, 0);
    CHECK(a.sent > (1u << 20));
    uint64_t blocked_at = mono_now_us();
    CHECK_MSG(blocked_at - t0 < STALL_US / 2, "blocking took %llu us: machine too slow for this test",
              (unsigned long long)(blocked_at - t0));
    CHECK_INT(proxy_channel_bytes(p, ia), 64);

    /* the other channel is not stalled */
    net_src_more(&b, 1u << 20);
    w.index = ib;
    w.want = 64 + (1u << 20);
    CHECK(net_run_until(base, bytes_reached, &w, 2000));
    w.want = sink0 + (1u << 20);
    CHECK(net_run_until(base, sink_reached, &w, 2000));

    /* nothing of the stalled channel moves */
    uint64_t sink1 = sink_bytes(s);
    net_run_for(base, 50);
    CHECK_INT(sink_bytes(s), sink1);
    CHECK_INT(proxy_channel_bytes(p, ia), 64);
    CHECK(proxy_channel_open(p, ia));

    /* the stall ends on time, and everything comes through */
    w.index = ia;
    w.base_bytes = 64;
    CHECK(net_run_until(base, resumed, &w, STALL_US / 1000 + 2000));
    CHECK_MSG(w.moved_at >= t0 + STALL_US, "data moved %lld us after the stall began",
              (long long)(w.moved_at - t0));
    w.want = sink1 + a.sent - 64;
    CHECK_MSG(net_run_until(base, sink_reached, &w, 5000), "sink has %llu of %llu",
              (unsigned long long)sink_bytes(s), (unsigned long long)w.want);
    CHECK_INT(proxy_channel_bytes(p, ia), a.sent);
    CHECK_INT(log.ended, 0);

    /* a stall of 0 holds until the trial ends */
    CHECK_INT(proxy_stall(p, CHAN_ALL, 0, &e), 2);
    uint64_t before = proxy_total_bytes(p);
    net_src_more(&b, 64u << 10);
    net_run_for(base, 100);
    CHECK_INT(proxy_total_bytes(p), before);
    proxy_drop_all(p);
    net_src_more(&b, 1);
    CHECK(net_run_until(base, one_failed, &b, 2000));
    CHECK_INT(b.err, ECONNRESET);

    net_src_close(&a);
    net_src_close(&b);
    proxy_free(p);
    sink_free(s);
    event_base_free(base);
    return check_exit();
}
