/* discard: into the sink, the proxy throws a channel's bytes away itself once it knows who the channel is
 * (proxy_set_discard). The source sees what it would see through a forwarding proxy: every byte taken,
 * counted per channel, reported to the hooks, each channel told apart, a stall that blocks its writes and
 * a reset it feels; the sink gets each channel's connection and first bytes, not the rest. Channels that
 * open after discarding is turned off are forwarded whole again. */
#include <errno.h>
#include <unistd.h>

#include "check.h"
#include "net_peer.h"

#define NSRC NET_RIG_SRC

static bool taken(void *arg)
{
    struct net_rig *r = arg;
    for (int i = 0; i < r->nsrc; i++)
        if (!net_src_done(&r->src[i]))
            return false;
    return proxy_total_bytes(r->p) >= r->sink_want;
}

int main(void)
{
    alarm(30);
    struct net_rig r;
    if (!net_rig_open(&r))
        return check_exit();
    struct err e = {{0}};
    proxy_set_discard(r.p, true);

    const uint64_t size[NSRC] = {(8u << 20) + 3, (5u << 20) + 17, (3u << 20) + 1};
    for (int i = 0; i < NSRC; i++) {
        CHECK_INT(net_src_open_chan(&r.src[i], r.base, r.port, net_rig_chan[i], size[i]), 0);
        r.sink_want += size[i];
    }
    r.nsrc = NSRC;
    CHECK_MSG(net_run_until(r.base, taken, &r, 10000), "the proxy took %llu of %llu bytes",
              (unsigned long long)proxy_total_bytes(r.p), (unsigned long long)r.sink_want);

    /* every byte counted and reported, each channel told apart */
    CHECK_INT(proxy_channel_count(r.p), NSRC);
    for (unsigned i = 0; i < NSRC; i++) {
        int id = proxy_channel_id(r.p, i);
        int k = id == CHAN_MAIN ? 0 : id + 1;
        CHECK_MSG(k >= 0 && k < NSRC, "channel %u has id %d", i, id);
        if (k < 0 || k >= NSRC)
            continue;
        CHECK_INT(proxy_channel_bytes(r.p, i), size[k]);
        CHECK_INT(r.log.chan_total[i], size[k]);
        CHECK(proxy_channel_open(r.p, i));
    }
    CHECK_INT(r.log.all_total, r.sink_want);
    CHECK(!r.log.bad_order);

    /* the sink was connected to, and got the first bytes only */
    CHECK_INT(sink_accepted(r.s), NSRC);
    CHECK_MSG(sink_bytes(r.s) > 0 && sink_bytes(r.s) < (1u << 20), "the sink got %llu bytes",
              (unsigned long long)sink_bytes(r.s));

    /* a stall still blocks the source's writes, and nothing is counted while it holds */
    unsigned i0 = proxy_channel_id(r.p, 0) == 0 ? 0 : proxy_channel_id(r.p, 1) == 0 ? 1 : 2;
    struct net_src *a = &r.src[proxy_channel_id(r.p, i0) == 0 ? 1 : 0];
    CHECK_INT(proxy_channel_id(r.p, i0), 0);
    CHECK_INT(net_fault(r.p, ACT_STALL, 0, 0, &e), 1);
    uint64_t held = proxy_channel_bytes(r.p, i0);
    net_src_more(a, 256u << 20);
    CHECK(net_run_until(r.base, net_src_blocked, a, 10000));
    CHECK_INT(a->err, 0);
    CHECK_INT(proxy_channel_bytes(r.p, i0), held);

    /* a reset reaches the source */
    CHECK_INT(net_fault(r.p, ACT_RESET, 0, 0, &e), 1);
    CHECK(net_run_until(r.base, net_src_failed, a, 3000));
    CHECK_INT(a->err, ECONNRESET);
    CHECK(!proxy_channel_open(r.p, i0));

    /* off again: a new trial's channels are forwarded whole */
    proxy_drop_all(r.p);
    for (int i = 0; i < NSRC; i++)
        net_src_close(&r.src[i]);
    proxy_set_discard(r.p, false);
    uint64_t sink0 = sink_bytes(r.s);
    CHECK_INT(net_src_open_chan(&r.src[0], r.base, r.port, CHAN_MAIN, 3u << 20), 0);
    r.nsrc = 1;
    r.sink_want = sink0 + (3u << 20);
    CHECK_MSG(net_run_until(r.base, net_rig_through, &r, 10000), "sink has %llu of %llu bytes",
              (unsigned long long)sink_bytes(r.s), (unsigned long long)r.sink_want);

    net_rig_close(&r);
    return check_exit();
}
