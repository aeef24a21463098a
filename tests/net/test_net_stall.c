/* stall: while a channel is stalled the proxy reads nothing from it, so the sink count stops growing and
 * the source's non-blocking send ends in EAGAIN (its writes would block, as QEMU's do); other channels
 * keep flowing; when the stall ends, not before, the data flows again, all of it. A stall of 0 lasts
 * until proxy_drop_all. */
#include <unistd.h>

#include "check.h"
#include "mono.h"
#include "net_peer.h"

#define STALL_US 800000u /* long enough for a loaded, sanitized build to fill the socket first */

/* Notes when the count of channel `index` first grows past `base_bytes` again. */
struct watch {
    struct proxy *p;
    unsigned index;
    uint64_t base_bytes;
    uint64_t moved_at;
};

static bool resumed(void *arg)
{
    struct watch *w = arg;
    if (!w->moved_at && proxy_channel_bytes(w->p, w->index) > w->base_bytes)
        w->moved_at = mono_now_us();
    return w->moved_at != 0;
}

int main(void)
{
    alarm(30);
    struct net_rig r;
    if (!net_rig_open(&r))
        return check_exit();
    struct err e = {{0}};

    /* bad arguments and absent channels */
    CHECK_INT(net_fault(r.p, ACT_STALL, CHAN_ANY, 1000, &e), -1);
    CHECK(strstr(e.msg, "channel") != NULL);
    CHECK_INT(net_fault(r.p, ACT_STALL, 0, 1000, &e), 0);

    struct net_src a, b; /* a: multifd0, to be stalled; b: multifd1, keeps going */
    CHECK_INT(net_src_open_chan(&a, r.base, r.port, 0, 64), 0);
    CHECK_INT(net_src_open_chan(&b, r.base, r.port, 1, 64), 0);
    CHECK(net_wait_sink_bytes(r.base, r.s, 128, 2000));
    unsigned ia = proxy_channel_id(r.p, 0) == 0 ? 0 : 1, ib = 1 - ia;
    CHECK_INT(proxy_channel_id(r.p, ia), 0);

    CHECK_INT(net_fault(r.p, ACT_STALL, 0, STALL_US, &e), 1);
    uint64_t t0 = mono_now_us();
    uint64_t sink0 = sink_bytes(r.s);

    /* push until the source's socket is full (the kernel buffers a few MiB; bounded at 256 MiB) */
    net_src_more(&a, 256u << 20);
    CHECK_MSG(net_run_until(r.base, net_src_blocked, &a, 3000), "source never blocked after %llu bytes",
              (unsigned long long)a.sent);
    net_src_stop(&a);
    CHECK_INT(a.err, 0);
    CHECK(a.sent > (1u << 20));
    uint64_t blocked_at = mono_now_us();
    CHECK_MSG(blocked_at - t0 < STALL_US / 2, "blocking took %llu us: machine too slow for this test",
              (unsigned long long)(blocked_at - t0));
    CHECK_INT(proxy_channel_bytes(r.p, ia), 64);

    /* the other channel is not stalled */
    net_src_more(&b, 1u << 20);
    CHECK(net_wait_channel_bytes(r.base, r.p, ib, 64 + (1u << 20), 2000));
    CHECK(net_wait_sink_bytes(r.base, r.s, sink0 + (1u << 20), 2000));

    /* nothing of the stalled channel moves */
    uint64_t sink1 = sink_bytes(r.s);
    net_run_for(r.base, 50);
    CHECK_INT(sink_bytes(r.s), sink1);
    CHECK_INT(proxy_channel_bytes(r.p, ia), 64);
    CHECK(proxy_channel_open(r.p, ia));

    /* the stall ends on time, and everything comes through */
    struct watch w = {r.p, ia, 64, 0};
    CHECK(net_run_until(r.base, resumed, &w, STALL_US / 1000 + 2000));
    CHECK_MSG(w.moved_at >= t0 + STALL_US, "data moved %lld us after the stall began",
              (long long)(w.moved_at - t0));
    uint64_t want = sink1 + a.sent - 64;
    CHECK_MSG(net_wait_sink_bytes(r.base, r.s, want, 5000), "sink has %llu of %llu",
              (unsigned long long)sink_bytes(r.s), (unsigned long long)want);
    CHECK_INT(proxy_channel_bytes(r.p, ia), a.sent);
    CHECK_INT(r.log.ended, 0);

    /* a stall of 0 holds until the trial ends */
    CHECK_INT(net_fault(r.p, ACT_STALL, CHAN_ALL, 0, &e), 2);
    uint64_t before = proxy_total_bytes(r.p);
    net_src_more(&b, 64u << 10);
    net_run_for(r.base, 100);
    CHECK_INT(proxy_total_bytes(r.p), before);
    proxy_drop_all(r.p);
    net_src_more(&b, 1);
    CHECK(net_run_until(r.base, net_src_failed, &b, 2000));
    CHECK_INT(b.err, ECONNRESET);

    net_src_close(&a);
    net_src_close(&b);
    net_rig_close(&r);
    return check_exit();
}
