/* sink: counts the bytes and connections it swallows, never answers, closes a connection when its peer
 * does, and sink_drop_all resets every open connection (the peers see ECONNRESET) while the counts since
 * creation stay. No file descriptor is left behind. */
#include <unistd.h>

#include "check.h"
#include "fds.h"
#include "mono.h"
#include "net_peer.h"

int main(void)
{
    alarm(30);
    int fds_start = fds_count();
    struct event_base *base = mono_event_base_new();
    struct err e = {{0}};
    struct sink *s = sink_new(base, &e);
    CHECK_MSG(s != NULL, "%s", e.msg);
    if (!s)
        return check_exit();
    CHECK(strncmp(sink_addr(s), "tcp:127.0.0.1:", 14) == 0);
    unsigned port = net_port(sink_addr(s));
    CHECK(port > 0);
    CHECK_INT(sink_bytes(s), 0);
    CHECK_INT(sink_accepted(s), 0);
    CHECK_INT(sink_open(s), 0);
    int fds_idle = fds_count();

    struct net_src src[3];
    const uint64_t size[2] = {(3u << 20) + 5, (1u << 20) + 7};
    uint64_t want = size[0] + size[1];
    for (int i = 0; i < 2; i++)
        CHECK_INT(net_src_open_chan(&src[i], base, port, CHAN_MAIN, size[i]), 0);
    CHECK_MSG(net_wait_sink_bytes(base, s, want, 5000), "sink has %llu of %llu", (unsigned long long)sink_bytes(s),
              (unsigned long long)want);
    CHECK_INT(sink_bytes(s), want);
    CHECK_INT(sink_accepted(s), 2);
    CHECK_INT(sink_open(s), 2);

    /* it never sends a byte back */
    char b;
    CHECK_INT(net_recv(src[0].fd, &b, 1), -EAGAIN);
    CHECK_INT(net_recv(src[1].fd, &b, 1), -EAGAIN);

    /* a peer that closes its side: the sink lets go of that connection */
    shutdown(src[1].fd, SHUT_WR);
    CHECK(net_wait_sink_open(base, s, 1, 2000));

    /* a third connection, then drop everything */
    CHECK_INT(net_src_open_chan(&src[2], base, port, CHAN_MAIN, 1000), 0);
    want += 1000;
    CHECK(net_wait_sink_open(base, s, 2, 2000));
    CHECK(net_wait_sink_bytes(base, s, want, 2000));
    CHECK_INT(sink_accepted(s), 3);
    uint64_t bytes = sink_bytes(s);
    sink_drop_all(s);
    CHECK_INT(sink_open(s), 0);
    CHECK_INT(sink_accepted(s), 3);
    CHECK_INT(sink_bytes(s), bytes);
    CHECK(net_poll_in(src[0].fd, 2000));
    CHECK_INT(net_send_errno(src[0].fd), ECONNRESET);
    CHECK(net_poll_in(src[2].fd, 2000));
    CHECK_INT(net_send_errno(src[2].fd), ECONNRESET);

    for (int i = 0; i < 3; i++)
        net_src_close(&src[i]);
    net_run_for(base, 10);
    CHECK_INT(fds_count(), fds_idle);

    sink_free(s);
    sink_free(NULL);
    event_base_free(base);
    CHECK_INT(fds_count(), fds_start);
    return check_exit();
}
