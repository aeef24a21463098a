/* Byte counts: what the proxy counts per channel and in total, what the `bytes` hook reports, and what the
 * sink receives all equal what the sources sent, also when a source closes right after its last write
 * (the proxy still hands the tail to the upstream). Afterwards no socket is left behind. */
#include <unistd.h>

#include "check.h"
#include "fds.h"
#include "mono.h"
#include "net_peer.h"

#define NSRC 3

struct world {
    struct proxy *p;
    struct sink *s;
    struct net_src *src;
    uint64_t want;
};

static bool all_through(void *arg)
{
    struct world *w = arg;
    for (int i = 0; i < NSRC; i++)
        if (!net_src_done(&w->src[i]))
            return false;
    return sink_bytes(w->s) >= w->want && proxy_total_bytes(w->p) >= w->want;
}

/* The sink can have every byte before the proxy has read the FIN of the last source: wait for that too. */
static struct net_log *the_log;
static bool all_ended(void *arg)
{
    (void)arg;
    return the_log->ended >= NSRC;
}

static bool sink_idle(void *arg)
{
    struct world *w = arg;
    return sink_open(w->s) == 0;
}

int main(void)
{
    alarm(30);
    int fds_before = fds_count();
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

    /* sizes not multiples of any read or buffer size */
    const uint64_t size[NSRC] = {(8u << 20) + 3, (5u << 20) + 17, (3u << 20) + 1};
    uint8_t hdr[NSRC][64];
    size_t hlen[NSRC] = {net_hdr_main(hdr[0]), net_hdr_multifd(hdr[1], 0), net_hdr_multifd(hdr[2], 1)};
    struct net_src src[NSRC];
    struct world w = {p, s, src, 0};
    for (int i = 0; i < NSRC; i++) {
        CHECK_INT(net_src_open(&src[i], base, port, hdr[i], hlen[i], size[i]), 0);
        src[i].finish = true; /* FIN right after the last byte */
        w.want += size[i];
    }

    CHECK_MSG(net_run_until(base, all_through, &w, 10000), "sink has %llu of %llu bytes",
              (unsigned long long)sink_bytes(s), (unsigned long long)w.want);
    for (int i = 0; i < NSRC; i++)
        CHECK_INT(src[i].err, 0);
    the_log = &log;
    CHECK(net_run_until(base, all_ended, &w, 3000));

    /* connection order decides the index; each source's count is its own */
    CHECK_INT(proxy_channel_count(p), NSRC);
    uint64_t by_index_sum = 0;
    for (unsigned i = 0; i < NSRC; i++) {
        int id = proxy_channel_id(p, i);
        int k = id == CHAN_MAIN ? 0 : id + 1; /* which source it was */
        CHECK_MSG(k >= 0 && k < NSRC, "channel %u has id %d", i, id);
        if (k < 0 || k >= NSRC)
            continue;
        CHECK_INT(proxy_channel_bytes(p, i), size[k]);
        CHECK_INT(log.chan_total[i], size[k]);
        by_index_sum += proxy_channel_bytes(p, i);
    }
    CHECK_INT(by_index_sum, w.want);
    CHECK_INT(proxy_total_bytes(p), w.want);
    CHECK_INT(log.all_total, w.want);
    CHECK(!log.bad_order);
    CHECK(log.bytes_calls >= NSRC);
    CHECK_INT(sink_bytes(s), w.want);
    CHECK_INT(sink_accepted(s), NSRC);

    /* every source closed: each channel ended once, saying so */
    CHECK_INT(log.ended, NSRC);
    for (unsigned i = 0; i < NSRC; i++) {
        CHECK_STR(log.why[i], "source closed");
        CHECK(!proxy_channel_open(p, i));
    }

    /* the proxy passed the FIN on; the sink closed; nothing lingers once the sources are gone */
    CHECK(net_run_until(base, sink_idle, &w, 3000));
    for (int i = 0; i < NSRC; i++)
        net_src_close(&src[i]);
    net_run_for(base, 20);
    CHECK_INT(fds_count(), fds_idle);

    proxy_free(p);
    sink_free(s);
    event_base_free(base);
    CHECK_INT(fds_count(), fds_before);
    return check_exit();
}
