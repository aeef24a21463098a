/* The proxy tells channels apart by their first bytes, however they are split: the main stream by "QEVM",
 * multifd channels by their init packet's channel id (not by connection order), anything else stays
 * unknown. Faults aimed at `multifdN` then hit the channel whose header said N. */
#include <unistd.h>

#include "check.h"
#include "net_peer.h"
#include "sockets.h"

/* Opens a connection and waits until the proxy has numbered it. */
static int connect_next(struct event_base *base, struct proxy *p, unsigned port)
{
    int fd = sock_connect(port);
    unsigned n = proxy_channel_count(p) + 1;
    CHECK_MSG(fd >= 0 && net_wait_channels(base, p, n, 2000), "proxy did not accept connection %u", n);
    return fd;
}

/* Sends hdr one byte at a time, each read by the proxy before the next goes, and checks the channel's
 * identity after every byte: unknown before `known_at` bytes, `id` from then on. */
static void trickle(struct event_base *base, struct proxy *p, struct net_log *log, int fd, unsigned index,
                    const uint8_t *hdr, size_t len, size_t known_at, int id)
{
    for (size_t k = 1; k <= len; k++) {
        CHECK_INT(send(fd, hdr + k - 1, 1, MSG_NOSIGNAL), 1);
        if (!net_wait_channel_bytes(base, p, index, k, 2000)) {
            CHECK_MSG(0, "proxy did not read byte %zu of channel %u", k, index);
            return;
        }
        int got = proxy_channel_id(p, index);
        if (k < known_at)
            CHECK_MSG(got == PROXY_CH_UNKNOWN, "channel %u known as %d after only %zu bytes", index, got, k);
        else
            CHECK_MSG(got == id, "channel %u is %d after %zu bytes, want %d", index, got, k, id);
    }
    CHECK_INT(log->id[index], id);
}

int main(void)
{
    alarm(30);
    struct net_rig r;
    if (!net_rig_open(&r))
        return check_exit();
    CHECK(strncmp(proxy_uri(r.p), "tcp:127.0.0.1:", 14) == 0 && r.port > 0);

    uint8_t main_hdr[64], mf1[64], mf0[64];
    size_t main_len = net_hdr_main(main_hdr);
    net_hdr_multifd(mf1, 1);
    net_hdr_multifd(mf0, 0);

    /* index 0: the main stream, byte by byte: known once the 4 magic bytes are in */
    int fd_main = connect_next(r.base, r.p, r.port);
    trickle(r.base, r.p, &r.log, fd_main, 0, main_hdr, main_len, 4, CHAN_MAIN);

    /* index 1: multifd channel 1, byte by byte: the id sits at byte 24, so unknown until 25 bytes */
    int fd_a = connect_next(r.base, r.p, r.port);
    trickle(r.base, r.p, &r.log, fd_a, 1, mf1, 64, 25, 1);

    /* index 2: multifd channel 0, connected after channel 1, header in one piece */
    int fd_b = connect_next(r.base, r.p, r.port);
    CHECK_INT(send(fd_b, mf0, 64, MSG_NOSIGNAL), 64);
    CHECK(net_wait_channel_bytes(r.base, r.p, 2, 64, 2000));
    CHECK_INT(proxy_channel_id(r.p, 2), 0);
    CHECK_INT(r.log.id[2], 0);

    /* index 3: not QEMU at all: stays unknown for good, and no `identified` hook */
    int fd_x = connect_next(r.base, r.p, r.port);
    const char *junk = "GET / HTTP/1.1\r\nHost: x\r\n\r\n0123456789";
    CHECK_INT(send(fd_x, junk, strlen(junk), MSG_NOSIGNAL), (long long)strlen(junk));
    CHECK(net_wait_channel_bytes(r.base, r.p, 3, strlen(junk), 2000));
    CHECK_INT(proxy_channel_id(r.p, 3), PROXY_CH_UNKNOWN);

    /* index 4: multifd magic, but the packet stops before the id: not known yet */
    int fd_y = connect_next(r.base, r.p, r.port);
    CHECK_INT(send(fd_y, mf1, 20, MSG_NOSIGNAL), 20);
    CHECK(net_wait_channel_bytes(r.base, r.p, 4, 20, 2000));
    CHECK_INT(proxy_channel_id(r.p, 4), PROXY_CH_UNKNOWN);

    CHECK_INT(r.log.identified, 3);
    CHECK_INT(r.log.opened, 5);
    for (int i = 0; i < 5; i++)
        CHECK_INT(r.log.opened_idx[i], i);
    CHECK_INT(proxy_channel_count(r.p), 5);
    CHECK(!r.log.bad_order);
    CHECK_INT(proxy_total_bytes(r.p), main_len + 64 + 64 + strlen(junk) + 20);

    /* `multifd1` is the channel whose header said 1 (index 1), `multifd0` the one that said 0 (index 2) */
    struct err e = {{0}};
    CHECK_INT(net_fault(r.p, ACT_RESET, 1, 0, &e), 1);
    CHECK(!proxy_channel_open(r.p, 1));
    CHECK(proxy_channel_open(r.p, 2));
    CHECK_STR(r.log.why[1], "reset by proxy");
    CHECK_INT(net_fault(r.p, ACT_RESET, 0, 0, &e), 1);
    CHECK(!proxy_channel_open(r.p, 2));
    CHECK(proxy_channel_open(r.p, 0) && proxy_channel_open(r.p, 3) && proxy_channel_open(r.p, 4));
    CHECK_INT(net_fault(r.p, ACT_RESET, 7, 0, &e), 0);
    /* identity and counts outlive the channel until the trial ends */
    CHECK_INT(proxy_channel_id(r.p, 1), 1);
    CHECK_INT(proxy_channel_bytes(r.p, 1), 64);

    int fds[] = {fd_main, fd_a, fd_b, fd_x, fd_y};
    for (int i = 0; i < 5; i++)
        sock_rst_close(fds[i]);
    net_rig_close(&r);
    return check_exit();
}
