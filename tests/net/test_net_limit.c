/* The bound on channels per trial: PROXY_MAX_CHANNELS connections are numbered and reported; the next
 * one is reset at once, unnumbered and unreported; after proxy_drop_all numbering starts at 0 again.
 * (The upstream refuses every channel at once, so the test holds few sockets at any time.) */
#include <unistd.h>

#include "check.h"
#include "mono.h"
#include "net_peer.h"
#include "sockets.h"

int main(void)
{
    alarm(60);
    struct event_base *base = mono_event_base_new();
    char dir[80], up[128];
    CHECK(net_tmpdir(dir, sizeof dir) == 0);
    snprintf(up, sizeof up, "unix:%s/none.sock", dir);
    struct net_log log;
    struct proxy *p = net_log_proxy(base, up, &log);
    if (!p)
        return check_exit();
    unsigned port = net_port(proxy_uri(p));

    for (unsigned i = 0; i < PROXY_MAX_CHANNELS; i++) {
        int fd = sock_connect(port);
        bool ok = fd >= 0 && net_wait_channels(base, p, i + 1, 2000);
        if (fd >= 0)
            sock_rst_close(fd);
        if (!ok) {
            CHECK_MSG(0, "connection %u was not taken", i);
            break;
        }
    }
    CHECK_INT(proxy_channel_count(p), PROXY_MAX_CHANNELS);
    CHECK_INT(log.opened, PROXY_MAX_CHANNELS);
    CHECK_INT(log.ended, PROXY_MAX_CHANNELS);

    /* one too many */
    int fd = sock_connect(port);
    CHECK(fd >= 0);
    CHECK(net_run_until_readable(base, fd, 2000));
    CHECK_INT(net_send_errno(fd), ECONNRESET);
    sock_rst_close(fd);
    net_run_for(base, 5);
    CHECK_INT(proxy_channel_count(p), PROXY_MAX_CHANNELS);
    CHECK_INT(log.opened, PROXY_MAX_CHANNELS);

    /* a new trial numbers from 0 again */
    proxy_drop_all(p);
    net_log_reset(&log); /* the proxy still writes into it */
    fd = sock_connect(port);
    CHECK(net_wait_channels(base, p, 1, 2000));
    CHECK_INT(log.opened, 1);
    CHECK_INT(log.opened_idx[0], 0);
    sock_rst_close(fd);

    proxy_free(p);
    CHECK(rmdir(dir) == 0);
    event_base_free(base);
    return check_exit();
}
