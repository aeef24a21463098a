/* A "unix:PATH" upstream that talks back (QEMU's return path): the source's bytes reach it, its answer
 * reaches the source, and when it closes, the source reads the answer and then EOF, and the channel ends
 * with "upstream closed". */
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "mono.h"
#include "net_peer.h"

struct upstream {
    int lfd, fd;
    struct event *ev;
    uint8_t got[256];
    size_t got_len;
};

static void on_accept(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct upstream *u = arg;
    if (u->fd < 0)
        u->fd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

static bool accepted(void *arg)
{
    return ((struct upstream *)arg)->fd >= 0;
}

/* Reads what the proxy forwarded, as far as it has come. */
static bool got_n(void *arg)
{
    struct upstream *u = arg;
    if (u->fd >= 0 && u->got_len < sizeof u->got) {
        long r = net_recv(u->fd, u->got + u->got_len, sizeof u->got - u->got_len);
        if (r > 0)
            u->got_len += (size_t)r;
    }
    return u->got_len >= 64 + 5;
}

int main(void)
{
    alarm(30);
    struct event_base *base = mono_event_base_new();

    char dir[80];
    CHECK(net_tmpdir(dir, sizeof dir) == 0);
    char path[100], up[120];
    snprintf(path, sizeof path, "%s/dest.sock", dir);
    snprintf(up, sizeof up, "unix:%s", path);

    struct upstream u = {.fd = -1};
    u.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    CHECK(bind(u.lfd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(u.lfd, 8) == 0);
    u.ev = event_new(base, u.lfd, EV_READ | EV_PERSIST, on_accept, &u);
    event_add(u.ev, NULL);

    struct net_log log;
    struct proxy *p = net_log_proxy(base, up, &log);
    if (!p)
        return check_exit();

    uint8_t hdr[64];
    net_hdr_multifd(hdr, 3);
    struct net_src src;
    CHECK_INT(net_src_open(&src, base, net_port(proxy_uri(p)), hdr, 64, 64), 0);
    CHECK(net_run_until(base, accepted, &u, 2000));
    CHECK(net_run_until(base, net_src_done, &src, 2000));
    CHECK_INT(send(src.fd, "hello", 5, MSG_NOSIGNAL), 5);
    CHECK_MSG(net_run_until(base, got_n, &u, 2000), "upstream got %zu bytes", u.got_len);
    CHECK_INT(u.got_len, 64 + 5);
    CHECK(memcmp(u.got, hdr, 64) == 0 && memcmp(u.got + 64, "hello", 5) == 0);
    CHECK_INT(proxy_channel_id(p, 0), 3);

    /* the upstream answers, then closes its side */
    const char *answer = "return path says hi";
    CHECK_INT(send(u.fd, answer, strlen(answer), MSG_NOSIGNAL), (long long)strlen(answer));
    shutdown(u.fd, SHUT_WR);
    CHECK(net_run_until(base, net_log_any_ended, &log, 2000));
    CHECK_STR(log.why[0], "upstream closed");
    CHECK(!proxy_channel_open(p, 0));

    char buf[64] = {0};
    CHECK(net_poll_in(src.fd, 2000));
    CHECK_INT(net_recv(src.fd, buf, sizeof buf), (long long)strlen(answer));
    CHECK_STR(buf, answer);
    CHECK_INT(net_recv(src.fd, buf, sizeof buf), 0); /* EOF, as from the upstream itself */

    net_src_close(&src);
    proxy_free(p);
    event_free(u.ev);
    close(u.fd);
    close(u.lfd);
    unlink(path);
    CHECK(rmdir(dir) == 0);
    event_base_free(base);
    return check_exit();
}
