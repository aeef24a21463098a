/* net_peer: what the net tests share: a fake migration source (a non-blocking loopback socket driven by
 * the same libevent loop as the proxy and the sink), QEMU's channel headers, a recorder for the proxy's
 * hooks, and loop runners that give up at a deadline instead of hanging. Test code only: it may print.
 * Everything here is static inline so each test uses what it needs without unused-function warnings. */
#ifndef QMPRACE_TEST_NET_PEER_H
#define QMPRACE_TEST_NET_PEER_H

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "mono.h"
#include "proxy.h"
#include "sink.h"
#include "vocab.h"
#include "wire.h"

/* ---- running the loop ---- */

/* A base whose timers use the precise monotonic clock: libevent's default (CLOCK_MONOTONIC_COARSE) ticks
 * in 4 ms steps here, so a timer may fire up to 4 ms early by mono_now_us(). */
static inline struct event_base *net_base_new(void)
{
    struct event_config *cfg = event_config_new();
    if (!cfg)
        return NULL;
    event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
    struct event_base *b = event_base_new_with_config(cfg);
    event_config_free(cfg);
    return b;
}

static inline void net_tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

/* Runs `base` until cond(arg) holds or `ms` milliseconds pass; returns whether it holds. A 1 ms tick
 * keeps the loop from blocking past the deadline. */
static inline bool net_run_until(struct event_base *base, bool (*cond)(void *), void *arg, unsigned ms)
{
    uint64_t deadline = mono_now_us() + (uint64_t)ms * 1000u;
    struct event *tick = event_new(base, -1, EV_PERSIST, net_tick_cb, NULL);
    struct timeval tv = {0, 1000};
    event_add(tick, &tv);
    bool ok = cond(arg);
    while (!ok && mono_now_us() < deadline) {
        event_base_loop(base, EVLOOP_ONCE);
        ok = cond(arg);
    }
    event_free(tick);
    return ok;
}

static inline bool net_never(void *arg)
{
    (void)arg;
    return false;
}

/* Runs `base` for `ms` milliseconds. */
static inline void net_run_for(struct event_base *base, unsigned ms)
{
    net_run_until(base, net_never, NULL, ms);
}

/* ---- QEMU's first bytes ---- */

/* The main stream's header, as QEMU writes it (wire.h). */
static inline size_t net_hdr_main(uint8_t *b)
{
    return wire_main_header(b);
}

/* Multifd channel `id`'s init packet (wire.h), 64 bytes, with a made-up uuid: telling channels apart
 * must not depend on it. */
static inline size_t net_hdr_multifd(uint8_t *b, uint8_t id)
{
    static const uint8_t uuid[WIRE_MULTIFD_UUID_LEN] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                                        0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
    return wire_multifd_init(b, id, uuid);
}

/* ---- plain sockets ---- */

/* Connects to 127.0.0.1:port (a listener's backlog completes it at once), then makes it non-blocking. */
static inline int net_connect(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* The port of a "tcp:127.0.0.1:PORT" address. */
static inline unsigned net_port(const char *uri)
{
    const char *c = strrchr(uri, ':');
    return c ? (unsigned)atoi(c + 1) : 0;
}

/* Closes with RST, so the tests leave no TIME_WAIT behind. */
static inline void net_rst_close(int fd)
{
    struct linger l = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);
}

/* Waits (bounded) until fd has something to report: data, EOF or an error. */
static inline bool net_poll_in(int fd, int ms)
{
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    return poll(&pf, 1, ms) == 1;
}

static inline bool net_readable_cond(void *arg)
{
    return net_poll_in(*(int *)arg, 0);
}

/* Like net_poll_in, but runs the loop meanwhile (for when the proxy still has to act). */
static inline bool net_run_until_readable(struct event_base *base, int fd, unsigned ms)
{
    return net_run_until(base, net_readable_cond, &fd, ms);
}

/* Sends one byte; returns 0 or the errno of the failure. */
static inline int net_send_errno(int fd)
{
    char b = 'x';
    return send(fd, &b, 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 ? errno : 0;
}

/* recv() of up to n bytes: the count, 0 for EOF, or -errno. */
static inline long net_recv(int fd, void *buf, size_t n)
{
    ssize_t r = recv(fd, buf, n, MSG_DONTWAIT);
    return r < 0 ? -(long)errno : (long)r;
}

/* Makes a fresh directory for sockets under $TMPDIR (or /tmp when that is unset or too long for a unix
 * socket path); `dir` needs 80 bytes. Returns 0 or -1. */
static inline int net_tmpdir(char *dir, size_t n)
{
    const char *t = getenv("TMPDIR");
    if (!t || !*t || strlen(t) > 40)
        t = "/tmp";
    if ((size_t)snprintf(dir, n, "%s/qmprace-net-XXXXXX", t) >= n)
        return -1;
    return mkdtemp(dir) ? 0 : -1;
}

/* Entries in /proc/self/fd. */
static inline int net_fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* Descriptors open without FD_CLOEXEC: a child (QEMU) would inherit them, and an inherited socket also
 * keeps our close() from sending its RST. */
static inline int net_fds_inheritable(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        int fd = atoi(de->d_name);
        int fl = fcntl(fd, F_GETFD);
        if (fd != dirfd(d) && fl >= 0 && !(fl & FD_CLOEXEC))
            n++;
    }
    closedir(d);
    return n;
}

/* ---- the fake source ---- */

/* Sends its header, then zeros, up to `target` bytes, from the loop whenever the socket takes more. */
struct net_src {
    int fd;
    struct event *ev;
    uint8_t hdr[64];
    size_t hdr_len;
    uint64_t target, sent;
    int err;          /* errno of the first failed send other than EAGAIN */
    unsigned eagains; /* sends that found the socket full */
    bool finish;      /* shutdown(SHUT_WR) once target is reached */
};

static inline void net_src_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    static const uint8_t zeros[64 * 1024];
    struct net_src *s = arg;
    for (int round = 0; round < 64; round++) {
        if (s->sent >= s->target) {
            event_del(s->ev);
            if (s->finish)
                shutdown(fd, SHUT_WR);
            return;
        }
        const uint8_t *from = zeros;
        size_t n = sizeof zeros;
        if (s->sent < s->hdr_len) {
            from = s->hdr + s->sent;
            n = s->hdr_len - (size_t)s->sent;
        }
        if (n > s->target - s->sent)
            n = (size_t)(s->target - s->sent);
        ssize_t w = send(fd, from, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                s->eagains++;
                return;
            }
            if (!s->err)
                s->err = errno;
            event_del(s->ev);
            return;
        }
        s->sent += (uint64_t)w;
    }
}

/* Connects to `port` and starts sending `hdr` and then zeros up to `total` bytes. Returns 0 or -1. */
static inline int net_src_open(struct net_src *s, struct event_base *base, unsigned port, const uint8_t *hdr,
                               size_t hdr_len, uint64_t total)
{
    memset(s, 0, sizeof *s);
    s->fd = net_connect(port);
    if (s->fd < 0)
        return -1;
    memcpy(s->hdr, hdr, hdr_len);
    s->hdr_len = hdr_len;
    s->target = total;
    s->ev = event_new(base, s->fd, EV_WRITE | EV_PERSIST, net_src_cb, s);
    event_add(s->ev, NULL);
    return 0;
}

/* Sends `more` bytes beyond what was asked so far. */
static inline void net_src_more(struct net_src *s, uint64_t more)
{
    s->target += more;
    if (!s->err)
        event_add(s->ev, NULL);
}

/* Stops sending: what was sent so far is all there will be. */
static inline void net_src_stop(struct net_src *s)
{
    s->target = s->sent;
    event_del(s->ev);
}

static inline void net_src_close(struct net_src *s)
{
    if (s->ev)
        event_free(s->ev);
    s->ev = NULL;
    if (s->fd >= 0)
        net_rst_close(s->fd);
    s->fd = -1;
}

static inline bool net_src_done(void *arg)
{
    struct net_src *s = arg;
    return s->sent >= s->target || s->err;
}

/* ---- recording the proxy's hooks ---- */

#define NET_MAX_IDX 16

struct net_log {
    unsigned opened, identified, ended, bytes_calls;
    int opened_idx[NET_MAX_IDX];
    int id[NET_MAX_IDX];
    char why[NET_MAX_IDX][256];
    uint64_t chan_total[NET_MAX_IDX];
    uint64_t all_total;
    bool bad_order; /* a bytes hook saw totals go down or not add up */
    /* optional: what the test wants done from inside the bytes hook */
    void (*on_bytes)(struct net_log *l, unsigned index, uint64_t chan_total, uint64_t all_total);
    void *user;
};

static inline void net_log_opened(void *arg, unsigned index)
{
    struct net_log *l = arg;
    if (l->opened < NET_MAX_IDX)
        l->opened_idx[l->opened] = (int)index;
    l->opened++;
}

static inline void net_log_identified(void *arg, unsigned index, int chan)
{
    struct net_log *l = arg;
    l->identified++;
    if (index < NET_MAX_IDX)
        l->id[index] = chan;
}

static inline void net_log_bytes(void *arg, unsigned index, uint64_t chan_total, uint64_t all_total)
{
    struct net_log *l = arg;
    l->bytes_calls++;
    if (index < NET_MAX_IDX) {
        if (chan_total <= l->chan_total[index] || all_total <= l->all_total ||
            chan_total - l->chan_total[index] != all_total - l->all_total)
            l->bad_order = true;
        l->chan_total[index] = chan_total;
    }
    l->all_total = all_total;
    if (l->on_bytes)
        l->on_bytes(l, index, chan_total, all_total);
}

static inline void net_log_ended(void *arg, unsigned index, const char *why)
{
    struct net_log *l = arg;
    l->ended++;
    if (index < NET_MAX_IDX)
        snprintf(l->why[index], sizeof l->why[index], "%s", why);
}

static inline struct proxy_hooks net_log_hooks(struct net_log *l)
{
    memset(l, 0, sizeof *l);
    for (int i = 0; i < NET_MAX_IDX; i++) {
        l->id[i] = PROXY_CH_UNKNOWN;
        l->opened_idx[i] = -1;
    }
    struct proxy_hooks h = {
        .opened = net_log_opened,
        .identified = net_log_identified,
        .bytes = net_log_bytes,
        .ended = net_log_ended,
        .arg = l,
    };
    return h;
}


/* Sources pushing through a proxy into a sink, and the wait for all of it to arrive: what the close,
 * drop and reset tests share. */
struct net_world {
    struct proxy *p;
    struct sink *s;
    struct net_src *src;
    int nsrc;
    uint64_t sink_want;
};

static inline bool net_all_sent_and_sunk(void *arg)
{
    struct net_world *w = arg;
    for (int i = 0; i < w->nsrc; i++)
        if (!net_src_done(&w->src[i]))
            return false;
    return sink_bytes(w->s) >= w->sink_want;
}


/* The rig most net tests start from: a sink, and a proxy forwarding to it whose hooks log into `log`.
 * Says why on stderr and returns false when either cannot be made. */
static inline bool net_rig_open(struct event_base *base, struct net_log *log, struct sink **s, struct proxy **p,
                                unsigned *port)
{
    struct err e = {{0}};
    *p = NULL;
    *s = sink_new(base, &e);
    if (*s) {
        struct proxy_hooks hooks = net_log_hooks(log);
        *p = proxy_new(base, sink_addr(*s), &hooks, &e);
    }
    if (!*s || !*p) {
        fprintf(stderr, "cannot set up the sink and proxy: %s\n", e.msg);
        return false;
    }
    *port = net_port(proxy_uri(*p));
    return true;
}

#endif
