/* The proxy tells channels apart by their first bytes, however they are split: the main stream by "QEVM",
 * multifd channels by their init packet's channel id (not by connection order), anything else stays
 * unknown. Faults aimed at `multifdN` then hit the channel whose header said N. */
#include <unistd.h>

#include "check.h"
#include "mono.h"
#include "net_peer.h"
#include "sockets.h"

struct want_bytes {
    struct proxy *p;
    unsigned index;
    uint64_t n;
};

static bool has_bytes(void *arg)
{
    struct want_bytes *w = arg;
    return proxy_channel_bytes(w->p, w->index) >= w->n;
}

static bool has_channels(void *arg)
{
    struct want_bytes *w = arg;
    return proxy_channel_count(w->p) >= w->n;
}

/* Opens a connection and waits until the proxy has numbered it. */
static int connect_next(struct event_base *base, struct proxy *p, unsigned port)
{
    int fd = sock_connect(port);
    struct want_bytes w = {p, 0, proxy_channel_count(p) + 1};
    CHECK_MSG(fd >= 0 && net_run_until(base, has_channels, &w, 2000), "proxy did not accept connection %u",
              (unsigned)w.n);
    return fd;
}

/* Sends hdr one byte at a time, each read by the proxy before the next goes, and checks the channel's
 * identity after every byte: unknown before `known_at` bytes, `id` from then on. */
static void trickle(struct event_base *base, struct proxy *p, struct net_log *log, int fd, unsigned index,
                    const uint8_t *hdr, size_t len, size_t known_at, int id)
{
    for (size_t k = 1; k <= len; k++) {
        CHECK_INT(send(fd, hdr + k - 1, 1, MSG_NOSIGNAL), 1);
        struct want_bytes w = {p, index, k};
        if (!net_run_until(base, has_bytes, &w, 2000)) {
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
    CHECK(strncmp(proxy_uri(p), "tcp:127.0.0.1:", 14) == 0 && port > 0);

    uint8_t main_hdr[64], mf1[64], mf0[64];
    size_t main_len = net_hdr_main(main_hdr);
    net_hdr_multifd(mf1, 1);
    net_hdr_multifd(mf0, 0);

    /* index 0: the main stream, byte by byte: known once the 4 magic bytes are in */
    int fd_main = connect_next(base, p, port);
    trickle(base, p, &log, fd_main, 0, main_hdr, main_len, 4, CHAN_MAIN);

    /* index 1: multifd channel 1, byte by byte: the id sits at byte 24, so unknown until 25 bytes */
    int fd_a = connect_next(base, p, port);
    trickle(base, p, &log, fd_a, 1, mf1, 64, 25, 1);

    /* index 2: multifd channel 0, connected after channel 1, header in one piece */
    int fd_b = connect_next(base, p, port);
    CHECK_INT(send(fd_b, mf0, 64, MSG_NOSIGNAL), 64);
    struct want_bytes w = {p, 2, 64};
    CHECK(net_run_until(base, has_bytes, &w, 2000));
    CHECK_INT(proxy_channel_id(p, 2), 0);
    CHECK_INT(log.id[2], 0);

    /* index 3: not QEMU at all: stays unknown for good, and no `identified` hook */
    int fd_x = connect_next(base, p, port);
    const char *junk = "GET / HTTP/1.1\r\nHost: x\r\n\r\n0123456789";
    CHECK_INT(send(fd_x, junk, strlen(junk), MSG_NOSIGNAL), (long long)strlen(junk));
    w = (struct want_bytes){p, 3, strlen(junk)};
    CHECK(net_run_until(base, has_bytes, &w, 2000));
    CHECK_INT(proxy_channel_id(p, 3), PROXY_CH_UNKNOWN);

    /* index 4: multifd magic, but the packet stops before the id: not known yet */
    int fd_y = connect_next(base, p, port);
    CHECK_INT(send(fd_y, mf1, 20, MSG_NOSIGNAL), 20);
    w = (struct want_bytes){p, 4, 20};
    CHECK(net_run_until(base, has_bytes, &w, 2000));
    CHECK_INT(proxy_channel_id(p, 4), PROXY_CH_UNKNOWN);

    CHECK_INT(log.identified, 3);
    CHECK_INT(log.opened, 5);
    for (int i = 0; i < 5; i++)
        CHECK_INT(log.opened_idx[i], i);
    CHECK_INT(proxy_channel_count(p), 5);
    CHECK(!log.bad_order);
    CHECK_INT(proxy_total_bytes(p), main_len + 64 + 64 + strlen(junk) + 20);

    /* `multifd1` is the channel whose header said 1 (index 1), `multifd0` the one that said 0 (index 2) */
    CHECK_INT(proxy_reset(p, 1, &e), 1);
    CHECK(!proxy_channel_open(p, 1));
    CHECK(proxy_channel_open(p, 2));
    CHECK_STR(log.why[1], "reset by proxy");
    CHECK_INT(proxy_reset(p, 0, &e), 1);
    CHECK(!proxy_channel_open(p, 2));
    CHECK(proxy_channel_open(p, 0) && proxy_channel_open(p, 3) && proxy_channel_open(p, 4));
    CHECK_INT(proxy_reset(p, 7, &e), 0);
    /* identity and counts outlive the channel until the trial ends */
    CHECK_INT(proxy_channel_id(p, 1), 1);
    CHECK_INT(proxy_channel_bytes(p, 1), 64);

    int fds[] = {fd_main, fd_a, fd_b, fd_x, fd_y};
    for (int i = 0; i < 5; i++)
        sock_rst_close(fds[i]);
    proxy_free(p);
    sink_free(s);
    event_base_free(base);
    return check_exit();
}
