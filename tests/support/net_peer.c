/* net_peer: the net tests' fake sources, hook recorder and loop runners (see net_peer.h). */
#include "net_peer.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "mono.h"
#include "sockets.h"
#include "wire.h"

/* ---- running the loop ---- */

static void net_tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

bool net_run_until(struct event_base *base, bool (*cond)(void *), void *arg, unsigned ms)
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

static bool net_never(void *arg)
{
    (void)arg;
    return false;
}

void net_run_for(struct event_base *base, unsigned ms)
{
    net_run_until(base, net_never, NULL, ms);
}

/* What a net_wait_* waits for. */
struct net_count {
    struct proxy *p;
    struct sink *s;
    unsigned index;
    uint64_t n;
};

static bool net_has_channel_bytes(void *arg)
{
    struct net_count *c = arg;
    return proxy_channel_bytes(c->p, c->index) >= c->n;
}

static bool net_has_channels(void *arg)
{
    struct net_count *c = arg;
    return proxy_channel_count(c->p) >= c->n;
}

static bool net_has_sink_bytes(void *arg)
{
    struct net_count *c = arg;
    return sink_bytes(c->s) >= c->n;
}

static bool net_has_sink_open(void *arg)
{
    struct net_count *c = arg;
    return sink_open(c->s) == c->n;
}

bool net_wait_channel_bytes(struct event_base *base, struct proxy *p, unsigned index, uint64_t n, unsigned ms)
{
    struct net_count c = {.p = p, .index = index, .n = n};
    return net_run_until(base, net_has_channel_bytes, &c, ms);
}

bool net_wait_channels(struct event_base *base, struct proxy *p, unsigned n, unsigned ms)
{
    struct net_count c = {.p = p, .n = n};
    return net_run_until(base, net_has_channels, &c, ms);
}

bool net_wait_sink_bytes(struct event_base *base, struct sink *s, uint64_t n, unsigned ms)
{
    struct net_count c = {.s = s, .n = n};
    return net_run_until(base, net_has_sink_bytes, &c, ms);
}

bool net_wait_sink_open(struct event_base *base, struct sink *s, unsigned n, unsigned ms)
{
    struct net_count c = {.s = s, .n = n};
    return net_run_until(base, net_has_sink_open, &c, ms);
}

/* ---- QEMU's first bytes ---- */

size_t net_hdr_main(uint8_t *b)
{
    return wire_main_header(b);
}

size_t net_hdr_multifd(uint8_t *b, uint8_t id)
{
    /* made up: telling channels apart must not depend on the uuid */
    static const uint8_t uuid[WIRE_MULTIFD_UUID_LEN] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                                        0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
    return wire_multifd_init(b, id, uuid);
}

/* ---- plain sockets ---- */

unsigned net_port(const char *uri)
{
    const char *c = strrchr(uri, ':');
    return c ? (unsigned)atoi(c + 1) : 0;
}

bool net_poll_in(int fd, int ms)
{
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    return poll(&pf, 1, ms) == 1;
}

static bool net_readable_cond(void *arg)
{
    return net_poll_in(*(int *)arg, 0);
}

bool net_run_until_readable(struct event_base *base, int fd, unsigned ms)
{
    return net_run_until(base, net_readable_cond, &fd, ms);
}

int net_send_errno(int fd)
{
    char b = 'x';
    return send(fd, &b, 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 ? errno : 0;
}

long net_recv(int fd, void *buf, size_t n)
{
    ssize_t r = recv(fd, buf, n, MSG_DONTWAIT);
    return r < 0 ? -(long)errno : (long)r;
}

int net_tmpdir(char *dir, size_t n)
{
    const char *t = getenv("TMPDIR");
    if (!t || !*t || strlen(t) > 40)
        t = "/tmp";
    if ((size_t)snprintf(dir, n, "%s/qmprace-net-XXXXXX", t) >= n)
        return -1;
    return mkdtemp(dir) ? 0 : -1;
}

/* ---- the fake source ---- */

static void net_src_cb(evutil_socket_t fd, short what, void *arg)
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

int net_src_open(struct net_src *s, struct event_base *base, unsigned port, const uint8_t *hdr, size_t hdr_len,
                 uint64_t total)
{
    memset(s, 0, sizeof *s);
    s->fd = sock_connect(port);
    if (s->fd < 0)
        return -1;
    memcpy(s->hdr, hdr, hdr_len);
    s->hdr_len = hdr_len;
    s->target = total;
    s->ev = event_new(base, s->fd, EV_WRITE | EV_PERSIST, net_src_cb, s);
    event_add(s->ev, NULL);
    return 0;
}

void net_src_more(struct net_src *s, uint64_t more)
{
    s->target += more;
    if (!s->err)
        event_add(s->ev, NULL);
}

void net_src_stop(struct net_src *s)
{
    s->target = s->sent;
    event_del(s->ev);
}

void net_src_close(struct net_src *s)
{
    if (s->ev)
        event_free(s->ev);
    s->ev = NULL;
    if (s->fd >= 0)
        sock_rst_close(s->fd);
    s->fd = -1;
}

int net_src_open_chan(struct net_src *s, struct event_base *base, unsigned port, int chan, uint64_t total)
{
    uint8_t hdr[WIRE_MULTIFD_INIT_LEN];
    size_t len = chan == CHAN_MAIN ? net_hdr_main(hdr) : net_hdr_multifd(hdr, (uint8_t)chan);
    return net_src_open(s, base, port, hdr, len, total);
}

bool net_src_done(void *arg)
{
    struct net_src *s = arg;
    return s->sent >= s->target || s->err;
}

bool net_src_failed(void *arg)
{
    return ((struct net_src *)arg)->err != 0;
}

bool net_src_blocked(void *arg)
{
    struct net_src *s = arg;
    return s->eagains > 0 || s->err;
}

/* ---- recording the proxy's hooks ---- */

static void net_log_opened(void *arg, unsigned index)
{
    struct net_log *l = arg;
    if (l->opened < NET_MAX_IDX)
        l->opened_idx[l->opened] = (int)index;
    l->opened++;
}

static void net_log_identified(void *arg, unsigned index, int chan)
{
    struct net_log *l = arg;
    l->identified++;
    if (index < NET_MAX_IDX)
        l->id[index] = chan;
}

static void net_log_bytes(void *arg, unsigned index, uint64_t chan_total, uint64_t all_total)
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
        l->on_bytes(l, all_total);
}

static void net_log_ended(void *arg, unsigned index, const char *why)
{
    struct net_log *l = arg;
    l->ended++;
    if (index < NET_MAX_IDX)
        snprintf(l->why[index], sizeof l->why[index], "%s", why);
}

bool net_log_any_ended(void *arg)
{
    return ((struct net_log *)arg)->ended > 0;
}

void net_log_reset(struct net_log *l)
{
    memset(l, 0, sizeof *l);
    for (int i = 0; i < NET_MAX_IDX; i++) {
        l->id[i] = PROXY_CH_UNKNOWN;
        l->opened_idx[i] = -1;
    }
}

/* Starts `l` afresh and returns proxy hooks that record into it. */
static struct proxy_hooks net_log_hooks(struct net_log *l)
{
    net_log_reset(l);
    struct proxy_hooks h = {
        .opened = net_log_opened,
        .identified = net_log_identified,
        .bytes = net_log_bytes,
        .ended = net_log_ended,
        .arg = l,
    };
    return h;
}

struct proxy *net_log_proxy(struct event_base *base, const char *upstream, struct net_log *log)
{
    struct err e = {{0}};
    struct proxy_hooks hooks = net_log_hooks(log);
    struct proxy *p = proxy_new(base, upstream, &hooks, &e);
    CHECK_MSG(p != NULL, "proxy to %s: %s", upstream, e.msg);
    return p;
}

const int net_rig_chan[NET_RIG_SRC] = {CHAN_MAIN, 0, 1};

bool net_rig_open(struct net_rig *r)
{
    struct err e = {{0}};
    memset(r, 0, sizeof *r);
    for (int i = 0; i < NET_RIG_SRC; i++)
        r->src[i].fd = -1;
    r->base = mono_event_base_new();
    r->s = r->base ? sink_new(r->base, &e) : NULL;
    CHECK_MSG(r->s != NULL, "cannot set up the sink: %s", r->base ? e.msg : "no event base");
    if (!r->s)
        return false;
    r->p = net_log_proxy(r->base, sink_addr(r->s), &r->log);
    if (!r->p)
        return false;
    r->port = net_port(proxy_uri(r->p));
    return true;
}

bool net_rig_start(struct net_rig *r, uint64_t each)
{
    for (int i = 0; i < NET_RIG_SRC; i++) {
        /* one that cannot connect is left closed (fd -1) and counts as done: the wait below fails */
        int rc = net_src_open_chan(&r->src[i], r->base, r->port, net_rig_chan[i], each);
        CHECK_MSG(rc == 0, "source %d did not connect", i);
        r->sink_want += each;
    }
    r->nsrc = NET_RIG_SRC;
    bool ok = net_run_until(r->base, net_rig_through, r, 5000);
    CHECK_MSG(ok, "sink has %llu of %llu bytes", (unsigned long long)sink_bytes(r->s),
              (unsigned long long)r->sink_want);
    return ok;
}

bool net_rig_through(void *arg)
{
    struct net_rig *r = arg;
    for (int i = 0; i < r->nsrc; i++)
        if (!net_src_done(&r->src[i]))
            return false;
    return sink_bytes(r->s) >= r->sink_want;
}

void net_rig_close(struct net_rig *r)
{
    for (int i = 0; i < NET_RIG_SRC; i++)
        net_src_close(&r->src[i]);
    proxy_free(r->p);
    sink_free(r->s);
    if (r->base)
        event_base_free(r->base);
    memset(r, 0, sizeof *r);
}
