/* close: the source reads EOF (recv returns 0), also when the proxy holds unread bytes of it (a plain
 * close() would then send RST alone); the channel ends "closed by proxy"; other channels keep flowing. */
#include <unistd.h>

#include "check.h"
#include "mono.h"
#include "net_peer.h"

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

    uint8_t hdr[3][64];
    size_t hlen[3] = {net_hdr_main(hdr[0]), net_hdr_multifd(hdr[1], 0), net_hdr_multifd(hdr[2], 1)};
    struct net_src src[3];
    struct net_world w = {p, s, src, 3, 0};
    for (int i = 0; i < 3; i++) {
        CHECK_INT(net_src_open(&src[i], base, port, hdr[i], hlen[i], 1u << 20), 0);
        w.sink_want += 1u << 20;
    }
    CHECK(net_run_until(base, net_all_sent_and_sunk, &w, 5000));

    /* main: a quiet channel, closed */
    CHECK_INT(proxy_close(p, CHAN_MAIN, &e), 1);
    unsigned i_main = 0;
    while (i_main < 3 && proxy_channel_id(p, i_main) != CHAN_MAIN)
        i_main++;
    CHECK(i_main < 3 && !proxy_channel_open(p, i_main));
    CHECK_STR(log.why[i_main < 3 ? i_main : 0], "closed by proxy");
    char b;
    CHECK(net_poll_in(src[0].fd, 2000));
    CHECK_INT(net_recv(src[0].fd, &b, 1), 0);

    /* multifd1: stalled while the source sends more, so the proxy has unread bytes when it closes */
    CHECK_INT(proxy_stall(p, 1, 0, &e), 1);
    net_src_more(&src[2], 256u << 10);
    w.nsrc = 3;
    CHECK(net_run_until(base, net_src_done, &src[2], 2000));
    net_run_for(base, 10);
    CHECK_INT(proxy_close(p, 1, &e), 1);
    CHECK(net_poll_in(src[2].fd, 2000));
    CHECK_INT(net_recv(src[2].fd, &b, 1), 0);

    /* multifd0 still flows */
    net_src_more(&src[1], 1u << 20);
    w.nsrc = 2;
    w.sink_want += 1u << 20;
    CHECK(net_run_until(base, net_all_sent_and_sunk, &w, 5000));
    CHECK_INT(src[1].err, 0);
    CHECK_INT(log.ended, 2);
    CHECK_INT(proxy_close(p, CHAN_MAIN, &e), 0);

    for (int i = 0; i < 3; i++)
        net_src_close(&src[i]);
    proxy_free(p);
    sink_free(s);
    event_base_free(base);
    return check_exit();
}
