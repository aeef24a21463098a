/* close: the source reads EOF (recv returns 0), also when the proxy holds unread bytes of it (a plain
 * close() would then send RST alone); the channel ends "closed by proxy"; other channels keep flowing. */
#include <unistd.h>

#include "check.h"
#include "net_peer.h"

int main(void)
{
    alarm(30);
    struct net_rig r;
    if (!net_rig_open(&r) || !net_rig_start(&r, 1u << 20))
        return check_exit();
    struct net_src *src = r.src; /* main, multifd0, multifd1 */
    struct err e = {{0}};

    /* main: a quiet channel, closed */
    CHECK_INT(net_fault(r.p, ACT_CLOSE, CHAN_MAIN, 0, &e), 1);
    unsigned i_main = 0;
    while (i_main < 3 && proxy_channel_id(r.p, i_main) != CHAN_MAIN)
        i_main++;
    CHECK(i_main < 3 && !proxy_channel_open(r.p, i_main));
    CHECK_STR(r.log.why[i_main < 3 ? i_main : 0], "closed by proxy");
    char b;
    CHECK(net_poll_in(src[0].fd, 2000));
    CHECK_INT(net_recv(src[0].fd, &b, 1), 0);

    /* multifd1: stalled while the source sends more, so the proxy has unread bytes when it closes */
    CHECK_INT(net_fault(r.p, ACT_STALL, 1, 0, &e), 1);
    net_src_more(&src[2], 256u << 10);
    CHECK(net_run_until(r.base, net_src_done, &src[2], 2000));
    net_run_for(r.base, 10);
    CHECK_INT(net_fault(r.p, ACT_CLOSE, 1, 0, &e), 1);
    CHECK(net_poll_in(src[2].fd, 2000));
    CHECK_INT(net_recv(src[2].fd, &b, 1), 0);

    /* multifd0 still flows */
    net_src_more(&src[1], 1u << 20);
    r.nsrc = 2;
    r.sink_want += 1u << 20;
    CHECK(net_run_until(r.base, net_rig_through, &r, 5000));
    CHECK_INT(src[1].err, 0);
    CHECK_INT(r.log.ended, 2);
    CHECK_INT(net_fault(r.p, ACT_CLOSE, CHAN_MAIN, 0, &e), 0);

    net_rig_close(&r);
    return check_exit();
}
