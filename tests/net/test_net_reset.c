/* reset: the channel's source gets a real RST (its next send fails with ECONNRESET) while the other
 * channels keep flowing; and reset from inside the `bytes` hook at a threshold (the trial's
 * `after SIZE on any: reset all`) stops forwarding at once: not one byte of the read that crossed the
 * threshold reaches the sink, and no hook reports bytes after it. */
#include <unistd.h>

#include "check.h"
#include "net_peer.h"

#define NSRC NET_RIG_SRC

static bool all_failed(void *arg)
{
    struct net_rig *r = arg;
    for (int i = 0; i < r->nsrc; i++)
        if (!r->src[i].err)
            return false;
    return true;
}

/* the trial's `after 4MiB on any: reset all` */
struct trigger {
    struct proxy *p;
    uint64_t threshold;
    bool fired;
    int hit;
    uint64_t total_at;
    unsigned calls_at;
};

static void reset_at_threshold(struct net_log *l, uint64_t all_total)
{
    struct trigger *t = l->user;
    if (t->fired || all_total < t->threshold)
        return;
    t->fired = true;
    struct err e;
    t->hit = net_fault(t->p, ACT_RESET, CHAN_ALL, 0, &e);
    t->total_at = all_total;
    t->calls_at = l->bytes_calls;
}

static unsigned index_of(struct proxy *p, int id)
{
    for (unsigned i = 0; i < proxy_channel_count(p); i++)
        if (proxy_channel_id(p, i) == id)
            return i;
    return 99;
}

int main(void)
{
    alarm(30);
    struct net_rig r;
    if (!net_rig_open(&r))
        return check_exit();
    struct net_src *src = r.src; /* main, multifd0, multifd1 */
    struct err e = {{0}};

    /* --- a reset on one channel --- */
    CHECK(net_rig_start(&r, 1u << 20));
    unsigned i_mf1 = index_of(r.p, 1), i_main = index_of(r.p, CHAN_MAIN), i_mf0 = index_of(r.p, 0);
    CHECK(i_mf1 < NSRC && i_main < NSRC && i_mf0 < NSRC);

    CHECK_INT(net_fault(r.p, ACT_RESET, 1, 0, &e), 1);
    CHECK(!proxy_channel_open(r.p, i_mf1));
    CHECK_INT(r.log.ended, 1);
    CHECK_STR(r.log.why[i_mf1], "reset by proxy");
    /* the RST is on its way before the reset returns; the source's very next send fails with it */
    CHECK(net_poll_in(src[2].fd, 2000));
    CHECK_INT(net_send_errno(src[2].fd), ECONNRESET);
    /* a channel that already ended is not hit again */
    CHECK_INT(net_fault(r.p, ACT_RESET, 1, 0, &e), 0);

    /* the others keep flowing */
    net_src_more(&src[0], 2u << 20);
    net_src_more(&src[1], 2u << 20);
    r.nsrc = 2;
    r.sink_want += 4u << 20;
    CHECK_MSG(net_run_until(r.base, net_rig_through, &r, 5000), "sink has %llu of %llu",
              (unsigned long long)sink_bytes(r.s), (unsigned long long)r.sink_want);
    CHECK_INT(src[0].err, 0);
    CHECK_INT(src[1].err, 0);
    CHECK_INT(proxy_channel_bytes(r.p, i_main), 3u << 20);
    CHECK_INT(proxy_channel_bytes(r.p, i_mf0), 3u << 20);
    CHECK_INT(proxy_channel_bytes(r.p, i_mf1), 1u << 20);
    CHECK(proxy_channel_open(r.p, i_main) && proxy_channel_open(r.p, i_mf0));
    CHECK_INT(r.log.ended, 1);

    for (int i = 0; i < NSRC; i++)
        net_src_close(&src[i]);
    proxy_drop_all(r.p);

    /* --- reset all from inside the bytes hook, at 4 MiB --- */
    struct trigger t = {.p = r.p, .threshold = 4u << 20};
    net_log_reset(&r.log); /* the proxy still writes into it */
    r.log.on_bytes = reset_at_threshold;
    r.log.user = &t;
    uint64_t sink_before = sink_bytes(r.s);
    r.nsrc = 2;
    for (int i = 0; i < 2; i++)
        CHECK_INT(net_src_open_chan(&src[i], r.base, r.port, net_rig_chan[i], 64u << 20), 0);
    CHECK_MSG(net_run_until(r.base, all_failed, &r, 5000), "sources still sending: %d %d", src[0].err, src[1].err);
    net_run_for(r.base, 30); /* let anything in flight land in the sink */
    CHECK(t.fired);
    CHECK_INT(t.hit, 2);
    CHECK_INT(r.log.ended, 2);
    CHECK_STR(r.log.why[0], "reset by proxy");
    CHECK_STR(r.log.why[1], "reset by proxy");
    CHECK_INT(src[0].err, ECONNRESET);
    CHECK_INT(src[1].err, ECONNRESET);
    CHECK_INT(r.log.bytes_calls, t.calls_at);        /* no bytes reported after the reset */
    CHECK_INT(proxy_total_bytes(r.p), t.total_at);   /* nor counted */
    uint64_t sunk = sink_bytes(r.s) - sink_before;
    CHECK_MSG(sunk < t.threshold, "sink got %llu bytes, the reset came at %llu", (unsigned long long)sunk,
              (unsigned long long)t.threshold);
    CHECK_MSG(sunk > 0, "nothing was forwarded before the threshold");
    CHECK(!r.log.bad_order);

    net_rig_close(&r);
    return check_exit();
}
