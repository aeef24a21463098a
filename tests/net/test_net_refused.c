/* An upstream that is not listening: the channel ends with a reason that names the upstream, and the
 * source sees its connection reset (as QEMU would see a destination that refused it). Also: proxy_new
 * refuses upstreams that are not numeric loopback or unix sockets, and faults refuse bad channels. */
#include <unistd.h>

#include "check.h"
#include "fds.h"
#include "mono.h"
#include "net_peer.h"

/* A loopback port nobody listens on: bound, never listened, then closed. */
static unsigned dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    unsigned port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* One source against a proxy whose upstream is `up`: checks the ending and what the source saw. */
static void refused_by(struct event_base *base, const char *up)
{
    struct net_log log;
    struct proxy *p = net_log_proxy(base, up, &log);
    if (!p)
        return;
    struct net_src src;
    CHECK_INT(net_src_open_chan(&src, base, net_port(proxy_uri(p)), CHAN_MAIN, 64), 0);
    CHECK_MSG(net_run_until(base, net_log_any_ended, &log, 2000), "%s: channel did not end", up);
    CHECK_INT(log.ended, 1);
    CHECK_MSG(strstr(log.why[0], "upstream refused") && strstr(log.why[0], up), "why: \"%s\"", log.why[0]);
    CHECK(!proxy_channel_open(p, 0));
    /* the reset reaches whichever call of the source comes first: its own send, or this recv */
    char b;
    CHECK(net_poll_in(src.fd, 2000));
    long got = src.err ? -src.err : net_recv(src.fd, &b, 1);
    CHECK_MSG(got == -ECONNRESET, "%s: source saw %ld, want -ECONNRESET", up, got);
    net_src_close(&src);
    proxy_free(p);
}

int main(void)
{
    alarm(30);
    int fds_start = fds_count();
    struct event_base *base = mono_event_base_new();
    struct err e = {{0}};

    char up[160];
    snprintf(up, sizeof up, "tcp:127.0.0.1:%u", dead_port());
    refused_by(base, up);

    char dir[80];
    CHECK(net_tmpdir(dir, sizeof dir) == 0);
    snprintf(up, sizeof up, "unix:%s/nobody.sock", dir);
    refused_by(base, up);
    CHECK(rmdir(dir) == 0);

    /* upstreams proxy_new must refuse, and words its message must contain */
    static const char *const bad[][2] = {
        {"tcp:10.0.0.1:4444", "loopback"},     {"tcp:192.168.1.1:80", "loopback"},
        {"tcp:[2001:db8::1]:80", "loopback"},  {"tcp:example.org:4444", "numeric"},
        {"tcp:127.0.0.1:0", "port"},           {"tcp:127.0.0.1:65536", "port"},
        {"tcp:127.0.0.1:", "port"},            {"tcp:127.0.0.1:12ab", "port"},
        {"tcp:127.0.0.1", "HOST:PORT"},        {"udp:127.0.0.1:53", "tcp:HOST:PORT or unix:PATH"},
        {"exec:cat", "tcp:HOST:PORT or unix:PATH"}, {"unix:", "unix"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        e.msg[0] = '\0';
        struct proxy *p = proxy_new(base, bad[i][0], NULL, &e);
        CHECK_MSG(p == NULL, "accepted upstream %s", bad[i][0]);
        CHECK_MSG(strstr(e.msg, bad[i][1]) != NULL, "%s: message \"%s\" lacks \"%s\"", bad[i][0], e.msg,
                  bad[i][1]);
        proxy_free(p);
    }
    CHECK(proxy_new(base, NULL, NULL, &e) == NULL);

    /* loopback upstreams that are fine, IPv6 included */
    static const char *const good[] = {"tcp:127.0.0.1:4444", "tcp:127.1.2.3:1", "tcp:[::1]:4444", "tcp:::1:4444",
                                       "unix:/nonexistent/but/fine.sock"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct proxy *p = proxy_new(base, good[i], NULL, &e);
        CHECK_MSG(p != NULL, "refused upstream %s: %s", good[i], e.msg);
        proxy_free(p);
    }

    /* faults: channels that cannot take one are errors; channels not there are hit 0 times */
    struct proxy *p = proxy_new(base, "tcp:127.0.0.1:4444", NULL, &e);
    CHECK(p != NULL);
    if (p) {
        static const int badchan[] = {CHAN_ANY, -4, -100, VOCAB_MAX_MULTIFD, 100000};
        for (size_t i = 0; i < sizeof badchan / sizeof badchan[0]; i++) {
            e.msg[0] = '\0';
            CHECK_INT(net_fault(p, ACT_RESET, badchan[i], 0, &e), -1);
            CHECK(strstr(e.msg, "channel") != NULL);
            CHECK_INT(net_fault(p, ACT_CLOSE, badchan[i], 0, &e), -1);
            CHECK_INT(net_fault(p, ACT_STALL, badchan[i], 0, &e), -1);
        }
        CHECK_INT(net_fault(p, ACT_STALL, CHAN_MAIN, 7200000000ull, &e), -1);
        CHECK_INT(net_fault(p, ACT_RESET, CHAN_ALL, 0, &e), 0);
        CHECK_INT(net_fault(p, ACT_CLOSE, CHAN_MAIN, 0, &e), 0);
        CHECK_INT(net_fault(p, ACT_STALL, 255, 1000, &e), 0);
        CHECK_INT(proxy_channel_count(p), 0);
        CHECK_INT(proxy_channel_id(p, 5), PROXY_CH_UNKNOWN);
        CHECK(!proxy_channel_open(p, 0));
        proxy_free(p);
    }
    proxy_free(NULL);

    event_base_free(base);
    CHECK_INT(fds_count(), fds_start);
    return check_exit();
}
