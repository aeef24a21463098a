/* Byte counts: what the proxy counts per channel and in total, what the `bytes` hook reports, and what the
 * sink receives all equal what the sources sent, also when a source closes right after its last write
 * (the proxy still hands the tail to the upstream). Afterwards no socket is left behind. */
#include <unistd.h>

#include "check.h"
#include "fds.h"
#include "net_peer.h"

#define NSRC NET_RIG_SRC

/* Everything sent has reached the sink, and the proxy counted it. */
static bool all_through(void *arg)
{
    struct net_rig *r = arg;
    return net_rig_through(r) && proxy_total_bytes(r->p) >= r->sink_want;
}

/* The sink can have every byte before the proxy has read the FIN of the last source: wait for that too. */
static bool all_ended(void *arg)
{
    return ((struct net_log *)arg)->ended >= NSRC;
}

int main(void)
{
    alarm(30);
    int fds_before = fds_count();
    struct net_rig r;
    if (!net_rig_open(&r))
        return check_exit();
    int fds_idle = fds_count();

    /* sizes not multiples of any read or buffer size */
    const uint64_t size[NSRC] = {(8u << 20) + 3, (5u << 20) + 17, (3u << 20) + 1};
    struct net_src *src = r.src; /* main, multifd0, multifd1 */
    for (int i = 0; i < NSRC; i++) {
        CHECK_INT(net_src_open_chan(&src[i], r.base, r.port, net_rig_chan[i], size[i]), 0);
        src[i].finish = true; /* FIN right after the last byte */
        r.sink_want += size[i];
    }
    r.nsrc = NSRC;

    CHECK_MSG(net_run_until(r.base, all_through, &r, 10000), "sink has %llu of %llu bytes",
              (unsigned long long)sink_bytes(r.s), (unsigned long long)r.sink_want);
    for (int i = 0; i < NSRC; i++)
        CHECK_INT(src[i].err, 0);
    CHECK(net_run_until(r.base, all_ended, &r.log, 3000));

    /* connection order decides the index; each source's count is its own */
    CHECK_INT(proxy_channel_count(r.p), NSRC);
    uint64_t by_index_sum = 0;
    for (unsigned i = 0; i < NSRC; i++) {
        int id = proxy_channel_id(r.p, i);
        int k = id == CHAN_MAIN ? 0 : id + 1; /* which source it was */
        CHECK_MSG(k >= 0 && k < NSRC, "channel %u has id %d", i, id);
        if (k < 0 || k >= NSRC)
            continue;
        CHECK_INT(proxy_channel_bytes(r.p, i), size[k]);
        CHECK_INT(r.log.chan_total[i], size[k]);
        by_index_sum += proxy_channel_bytes(r.p, i);
    }
    CHECK_INT(by_index_sum, r.sink_want);
    CHECK_INT(proxy_total_bytes(r.p), r.sink_want);
    CHECK_INT(r.log.all_total, r.sink_want);
    CHECK(!r.log.bad_order);
    CHECK(r.log.bytes_calls >= NSRC);
    CHECK_INT(sink_bytes(r.s), r.sink_want);
    CHECK_INT(sink_accepted(r.s), NSRC);

    /* every source closed: each channel ended once, saying so */
    CHECK_INT(r.log.ended, NSRC);
    for (unsigned i = 0; i < NSRC; i++) {
        CHECK_STR(r.log.why[i], "source closed");
        CHECK(!proxy_channel_open(r.p, i));
    }

    /* the proxy passed the FIN on; the sink closed; nothing lingers once the sources are gone */
    CHECK(net_wait_sink_open(r.base, r.s, 0, 3000));
    for (int i = 0; i < NSRC; i++)
        net_src_close(&src[i]);
    net_run_for(r.base, 20);
    CHECK_INT(fds_count(), fds_idle);

    net_rig_close(&r);
    CHECK_INT(fds_count(), fds_before);
    return check_exit();
}
