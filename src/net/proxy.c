/* proxy: the fault-injecting TCP proxy between a migrating source and its destination (see proxy.h).
 *
 * Each accepted connection is a channel: the source socket, one upstream socket, and a pending buffer per
 * direction. Source bytes are read into one proxy-wide scratch buffer (large reads, no allocation per
 * read), counted, shown to the hooks, and sent straight on; only what the upstream does not take at once
 * is copied into an evbuffer, and reading stops while too much waits (le-proxy's high-water rule).
 * Into an upstream that throws everything away (the sink: proxy_set_discard), a channel's bytes past its
 * first ones are thrown away here instead, with recv(MSG_TRUNC), which drops TCP data inside the kernel:
 * a migration of 64 MiB was copied out and in again once more than it needed, on the core the trial runs.
 * Bufferevents are not used: libevent 2.1 reads them 4 KiB at a time and defers their teardown, while a
 * reset must close both sockets before the fault call returns.
 *
 * Hooks may call any proxy function, proxy_drop_all and proxy_free included. So every entry from the
 * event loop holds `depth`, changes its state before it calls a hook, and after a hook checks `gen`
 * (bumped by drop_all and free) before touching the channel again; channels and the proxy dropped meanwhile
 * are freed when the outermost entry returns.
 *
 * Never connects anywhere but its upstream, never listens beyond loopback, never prints. */
#include "proxy.h"
#include "proxy_chan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/listener.h>

#include "addr.h"
#include "mono.h"
#include "vocab.h"
#include "wire.h"

#define READ_MAX PROXY_READ_MAX
#define READ_ROUNDS 4              /* reads per readiness callback, so one busy channel cannot starve others */
#define HIGH_WATER (1024u * 1024u) /* stop reading a side while this much waits for the other side */
#define LOW_WATER (256u * 1024u)   /* and start again below this */
#define SEND_IOV 16
#define SEND_ROUNDS 8
/* After the source closed, the upstream gets this long to take the tail and close; resetting it at once
 * would drop bytes our kernel has not sent yet (a real destination would lose the end of the stream). */
#define LINGER_US 2000000u
#define ACCEPT_PAUSE_US 10000u /* after a failed accept (EMFILE...): pause instead of spinning */

struct chan {
    struct proxy *p;
    struct chan *next_dead;
    unsigned index;
    int id;       /* CHAN_MAIN, multifd N, or PROXY_CH_UNKNOWN */
    bool decided; /* id is final (possibly unknown for good) */
    uint8_t hdr[WIRE_IDENTIFY_LEN];
    size_t hdr_len;
    uint64_t bytes;
    bool open;          /* faults hit it; `ended` not reported yet */
    bool src_gone;      /* the source closed: hand the rest to the upstream, then FIN it */
    bool up_connecting; /* non-blocking connect still under way */
    bool up_shut;       /* FIN sent upstream */
    bool stalled;
    bool discard; /* past its identity, what the source sends is thrown away here (proxy_set_discard) */
    int src_fd, up_fd;
    struct evbuffer *fwd;  /* source -> upstream, not yet taken by the upstream socket */
    struct evbuffer *back; /* upstream -> source (QEMU's return path) */
    struct event *src_rd, *src_wr, *up_rd, *up_wr, *stall_tm, *linger_tm;
};

struct proxy {
    struct event_base *base;
    struct evconnlistener *lis;
    struct event *accept_tm;
    struct proxy_hooks hooks;
    struct sockaddr_storage up_addr;
    socklen_t up_len;
    char up_name[160];
    char uri[48];
    bool discard; /* for channels that open from now on */
    uint8_t *buf; /* READ_MAX scratch shared by all channels: one callback runs at a time */
    struct chan *chans[PROXY_MAX_CHANNELS];
    unsigned count;
    uint64_t total;
    unsigned gen;   /* bumped by drop_all and free: a callback's channel may be gone after a hook */
    unsigned depth; /* callbacks and fault calls under way */
    bool dying;     /* proxy_free was called while depth > 0 */
    struct chan *dead;
};

static void rst_close(int fd)
{
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);
}

static void set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* fails harmlessly on unix sockets */
}

/* A source's receive buffer is fixed (the kernel doubles this), not left to autotuning: autotuning can
 * grow it to tens of MiB while we read fast, and a `stall` would then let the source write that much more
 * before it blocks, which is not what a stalled network does. */
#define SOURCE_RCVBUF (1 << 20)

static void set_source_buffer(int fd)
{
    int size = SOURCE_RCVBUF;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

static void ev_want(struct event *ev, bool on)
{
    if (!ev)
        return;
    bool now = event_pending(ev, EV_READ | EV_WRITE | EV_TIMEOUT, NULL) != 0;
    if (on && !now)
        event_add(ev, NULL);
    else if (!on && now)
        event_del(ev);
}

static void ev_stop(struct event *ev)
{
    if (ev)
        event_del(ev);
}

static void ev_free(struct event *ev)
{
    if (ev)
        event_free(ev);
}

/* ---- lifetime ---- */

static void chan_shut(struct chan *c)
{
    ev_stop(c->src_rd);
    ev_stop(c->src_wr);
    ev_stop(c->up_rd);
    ev_stop(c->up_wr);
    ev_stop(c->stall_tm);
    ev_stop(c->linger_tm);
    if (c->src_fd >= 0) {
        rst_close(c->src_fd);
        c->src_fd = -1;
    }
    if (c->up_fd >= 0) {
        rst_close(c->up_fd);
        c->up_fd = -1;
    }
    evbuffer_drain(c->fwd, evbuffer_get_length(c->fwd));
    evbuffer_drain(c->back, evbuffer_get_length(c->back));
}

static void chan_free(struct chan *c)
{
    chan_shut(c);
    ev_free(c->src_rd);
    ev_free(c->src_wr);
    ev_free(c->up_rd);
    ev_free(c->up_wr);
    ev_free(c->stall_tm);
    ev_free(c->linger_tm);
    if (c->fwd)
        evbuffer_free(c->fwd);
    if (c->back)
        evbuffer_free(c->back);
    free(c);
}

static void proxy_release(struct proxy *p)
{
    while (p->dead) {
        struct chan *c = p->dead;
        p->dead = c->next_dead;
        chan_free(c);
    }
    ev_free(p->accept_tm);
    free(p->buf);
    free(p);
}

static void enter(struct proxy *p)
{
    p->depth++;
}

/* The last thing an entry point does: `p` may be freed here. */
static void leave(struct proxy *p)
{
    if (--p->depth > 0)
        return;
    if (p->dying) {
        proxy_release(p);
        return;
    }
    while (p->dead) {
        struct chan *c = p->dead;
        p->dead = c->next_dead;
        chan_free(c);
    }
}

/* Calls `ended` once; the sockets must already be dealt with, as a hook may do anything. */
static void chan_end(struct chan *c, const char *why)
{
    if (!c->open)
        return;
    c->open = false;
    struct proxy *p = c->p;
    if (p->hooks.ended)
        p->hooks.ended(p->hooks.arg, c->index, why);
}

static void chan_kill(struct chan *c, const char *why)
{
    chan_shut(c);
    chan_end(c, why);
}

static void chan_kill_errno(struct chan *c, const char *side, int err)
{
    char why[192];
    if (err == ECONNRESET || err == EPIPE)
        snprintf(why, sizeof why, "%s reset", side);
    else
        snprintf(why, sizeof why, "%s error: %s", side, strerror(err));
    chan_kill(c, why);
}

/* ---- flow ---- */

/* Starts and stops the four socket events from the channel's state; the one place that decides them. */
static void chan_update(struct chan *c)
{
    size_t fwd = evbuffer_get_length(c->fwd), back = evbuffer_get_length(c->back);
    bool src_reading = c->src_rd && event_pending(c->src_rd, EV_READ, NULL);
    bool up_reading = c->up_rd && event_pending(c->up_rd, EV_READ, NULL);

    if (c->src_gone && fwd == 0 && c->up_fd >= 0 && !c->up_connecting && !c->up_shut) {
        shutdown(c->up_fd, SHUT_WR);
        c->up_shut = true;
    }
    ev_want(c->src_rd, c->src_fd >= 0 && !c->stalled && fwd < (src_reading ? HIGH_WATER : LOW_WATER));
    ev_want(c->src_wr, c->src_fd >= 0 && back > 0);
    ev_want(c->up_rd, c->up_fd >= 0 && !c->up_connecting && back < (up_reading ? HIGH_WATER : LOW_WATER));
    ev_want(c->up_wr, c->up_fd >= 0 && (c->up_connecting || fwd > 0));
}

/* Sends what `b` holds, as far as the socket takes it. Returns 0, or the errno of a failed send. */
static int flush(struct evbuffer *b, int fd)
{
    for (int round = 0; round < SEND_ROUNDS && evbuffer_get_length(b) > 0; round++) {
        struct evbuffer_iovec v[SEND_IOV];
        struct iovec iov[SEND_IOV];
        int n = evbuffer_peek(b, -1, NULL, v, SEND_IOV);
        if (n > SEND_IOV)
            n = SEND_IOV;
        size_t want = 0;
        for (int i = 0; i < n; i++) {
            iov[i].iov_base = v[i].iov_base;
            iov[i].iov_len = v[i].iov_len;
            want += v[i].iov_len;
        }
        struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)n};
        ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return errno;
        }
        evbuffer_drain(b, (size_t)w);
        if ((size_t)w < want)
            return 0;
    }
    return 0;
}

/* Passes `n` bytes on to `fd`: straight from `data` when nothing waits before them, else queued.
 * Returns 0 or the errno of a failed send (or ENOMEM). */
static int pass_on(struct evbuffer *pending, int fd, bool ready, const uint8_t *data, size_t n)
{
    size_t done = 0;
    if (ready && evbuffer_get_length(pending) == 0) {
        ssize_t w;
        do
            w = send(fd, data, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        while (w < 0 && errno == EINTR);
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return errno;
        if (w > 0)
            done = (size_t)w;
    }
    if (done < n && evbuffer_add(pending, data + done, n - done) != 0)
        return ENOMEM;
    return 0;
}

/* Reads the channel's identity from its first bytes. Returns true when it just became known. */
static bool identify(struct chan *c, const uint8_t *d, size_t n)
{
    size_t take = WIRE_IDENTIFY_LEN - c->hdr_len;
    if (take > n)
        take = n;
    memcpy(c->hdr + c->hdr_len, d, take);
    c->hdr_len += take;
    int chan;
    int known = wire_identify(c->hdr, c->hdr_len, &chan);
    if (known == 0)
        return false;
    if (known > 0)
        c->id = chan;
    c->decided = true;
    return c->id != PROXY_CH_UNKNOWN;
}

/* The source sent FIN: it is done. Its socket goes (RST: nothing left to say to it, no TIME_WAIT); the
 * upstream gets what is pending, then FIN, then LINGER_US to finish before it is reset too. */
static void src_closed(struct chan *c)
{
    ev_stop(c->src_rd);
    ev_stop(c->src_wr);
    rst_close(c->src_fd);
    c->src_fd = -1;
    evbuffer_drain(c->back, evbuffer_get_length(c->back));
    c->src_gone = true;
    struct timeval tv = mono_tv(LINGER_US);
    evtimer_add(c->linger_tm, &tv);
    chan_update(c);
    chan_end(c, "source closed");
}

static void on_src_read(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct chan *c = arg;
    struct proxy *p = c->p;
    unsigned gen = p->gen;
    enter(p);
    for (int round = 0; round < READ_ROUNDS; round++) {
        /* (a NULL buffer is fine with MSG_TRUNC: nothing is copied to it) */
        bool drop = c->discard && c->decided;
        ssize_t n = recv(c->src_fd, drop ? NULL : p->buf, READ_MAX, MSG_DONTWAIT | (drop ? MSG_TRUNC : 0));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                chan_kill_errno(c, "source", errno);
            break;
        }
        if (n == 0) {
            src_closed(c);
            break;
        }
        c->bytes += (uint64_t)n;
        p->total += (uint64_t)n;
        if (!c->decided && identify(c, p->buf, (size_t)n) && p->hooks.identified) {
            p->hooks.identified(p->hooks.arg, c->index, c->id);
            if (p->gen != gen || !c->open)
                break;
        }
        if (p->hooks.bytes) {
            p->hooks.bytes(p->hooks.arg, c->index, c->bytes, p->total);
            if (p->gen != gen || !c->open)
                break;
        }
        int err = drop ? 0 : pass_on(c->fwd, c->up_fd, !c->up_connecting, p->buf, (size_t)n);
        if (err) {
            chan_kill_errno(c, "upstream", err);
            break;
        }
        chan_update(c);
        if ((size_t)n < READ_MAX || !event_pending(c->src_rd, EV_READ, NULL))
            break;
    }
    leave(p);
}

static void on_src_write(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct chan *c = arg;
    struct proxy *p = c->p;
    enter(p);
    int err = flush(c->back, c->src_fd);
    if (err)
        chan_kill_errno(c, "source", err);
    else
        chan_update(c);
    leave(p);
}

/* The upstream sent FIN. What it said still goes to the source, then FIN and RST, as if the source had
 * been talking to the upstream directly and it closed. */
static void up_closed(struct chan *c)
{
    flush(c->back, c->src_fd);
    shutdown(c->src_fd, SHUT_WR);
    chan_kill(c, "upstream closed");
}

static void on_up_read(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct chan *c = arg;
    struct proxy *p = c->p;
    enter(p);
    for (int round = 0; round < READ_ROUNDS; round++) {
        ssize_t n = recv(c->up_fd, p->buf, READ_MAX, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (c->src_gone) {
            /* Draining after the source left: the upstream's answer has nobody to go to. */
            if (n <= 0) {
                chan_shut(c);
                break;
            }
            continue;
        }
        if (n < 0) {
            chan_kill_errno(c, "upstream", errno);
            break;
        }
        if (n == 0) {
            up_closed(c);
            break;
        }
        int err = pass_on(c->back, c->src_fd, true, p->buf, (size_t)n);
        if (err) {
            chan_kill_errno(c, "source", err);
            break;
        }
        chan_update(c);
        if ((size_t)n < READ_MAX || !event_pending(c->up_rd, EV_READ, NULL))
            break;
    }
    leave(p);
}

static void kill_refused(struct chan *c, int err)
{
    char why[256];
    snprintf(why, sizeof why, "upstream refused: %s: %s", c->p->up_name, strerror(err));
    chan_kill(c, why);
}

static void on_up_write(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct chan *c = arg;
    struct proxy *p = c->p;
    enter(p);
    if (c->up_connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(c->up_fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        if (err) {
            if (c->src_gone)
                chan_shut(c);
            else
                kill_refused(c, err);
            leave(p);
            return;
        }
        c->up_connecting = false;
    }
    int err = flush(c->fwd, c->up_fd);
    if (err && c->src_gone)
        chan_shut(c);
    else if (err)
        chan_kill_errno(c, "upstream", err);
    else
        chan_update(c);
    leave(p);
}

static void on_stall_end(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct chan *c = arg;
    c->stalled = false;
    chan_update(c);
}

static void on_linger_end(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    chan_shut(arg);
}

/* ---- accepting ---- */

/* Starts the upstream connection. Returns 0 (connected or under way) or the errno of the failure. */
static int chan_connect(struct chan *c)
{
    struct proxy *p = c->p;
    int fd = socket(p->up_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    if (p->up_addr.ss_family != AF_UNIX)
        set_nodelay(fd);
    int r;
    do
        r = connect(fd, (struct sockaddr *)&p->up_addr, p->up_len);
    while (r < 0 && errno == EINTR);
    if (r < 0 && errno != EINPROGRESS) {
        int err = errno;
        close(fd); /* never connected: no RST needed */
        return err;
    }
    c->up_fd = fd;
    c->up_connecting = r < 0;
    c->up_rd = event_new(p->base, fd, EV_READ | EV_PERSIST, on_up_read, c);
    c->up_wr = event_new(p->base, fd, EV_WRITE | EV_PERSIST, on_up_write, c);
    if (!c->up_rd || !c->up_wr)
        return ENOMEM;
    return 0;
}

static struct chan *chan_new(struct proxy *p, int fd)
{
    struct chan *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->p = p;
    c->id = PROXY_CH_UNKNOWN;
    c->open = true;
    c->src_fd = fd;
    c->up_fd = -1;
    c->discard = p->discard;
    c->fwd = evbuffer_new();
    c->back = evbuffer_new();
    c->src_rd = event_new(p->base, fd, EV_READ | EV_PERSIST, on_src_read, c);
    c->src_wr = event_new(p->base, fd, EV_WRITE | EV_PERSIST, on_src_write, c);
    c->stall_tm = evtimer_new(p->base, on_stall_end, c);
    c->linger_tm = evtimer_new(p->base, on_linger_end, c);
    if (!c->fwd || !c->back || !c->src_rd || !c->src_wr || !c->stall_tm || !c->linger_tm) {
        c->src_fd = -1; /* the caller resets it */
        chan_free(c);
        return NULL;
    }
    return c;
}

static void on_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg)
{
    (void)lis;
    (void)sa;
    (void)len;
    struct proxy *p = arg;
    if (p->count >= PROXY_MAX_CHANNELS) {
        rst_close(fd);
        return;
    }
    struct chan *c = chan_new(p, fd);
    if (!c) {
        rst_close(fd);
        return;
    }
    set_nodelay(fd);
    set_source_buffer(fd);
    c->index = p->count;
    p->chans[p->count++] = c;
    int err = chan_connect(c);
    unsigned gen = p->gen;
    enter(p);
    if (p->hooks.opened)
        p->hooks.opened(p->hooks.arg, c->index);
    if (p->gen == gen && c->open) {
        if (err)
            kill_refused(c, err);
        else
            chan_update(c);
    }
    leave(p);
}

static void on_accept_again(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct proxy *p = arg;
    if (p->lis)
        evconnlistener_enable(p->lis);
}

/* Out of descriptors or similar: the listener would fire again at once, so rest a moment instead. */
static void on_accept_error(struct evconnlistener *lis, void *arg)
{
    struct proxy *p = arg;
    evconnlistener_disable(lis);
    struct timeval tv = mono_tv(ACCEPT_PAUSE_US);
    evtimer_add(p->accept_tm, &tv);
}

/* ---- API ---- */

static int parse_upstream(struct proxy *p, const char *up, struct err *e)
{
    if (!up)
        return err_set(e, "proxy: no upstream given");
    if (strlen(up) >= sizeof p->up_name)
        return err_set(e, "proxy: upstream address too long");
    struct addr a;
    if (addr_parse(up, false, &a, e) < 0)
        return err_prefix(e, "proxy upstream");
    snprintf(p->up_name, sizeof p->up_name, "%s", up);
    p->up_addr = a.ss;
    p->up_len = a.len;
    return 0;
}

struct proxy *proxy_new(struct event_base *base, const char *upstream, const struct proxy_hooks *hooks,
                        struct err *e)
{
    struct proxy *p = calloc(1, sizeof *p);
    if (!p) {
        err_set(e, "proxy: out of memory");
        return NULL;
    }
    p->base = base;
    if (hooks)
        p->hooks = *hooks;
    if (parse_upstream(p, upstream, e) < 0) {
        free(p);
        return NULL;
    }
    p->buf = malloc(READ_MAX);
    p->accept_tm = evtimer_new(base, on_accept_again, p);
    if (!p->buf || !p->accept_tm) {
        err_set(e, "proxy: out of memory");
        proxy_release(p);
        return NULL;
    }

    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = 0};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    p->lis = evconnlistener_new_bind(base, on_accept, p,
                                     LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, -1,
                                     (struct sockaddr *)&sin, sizeof sin);
    if (!p->lis) {
        err_set(e, "proxy: cannot listen on 127.0.0.1: %s", strerror(errno));
        proxy_release(p);
        return NULL;
    }
    evconnlistener_set_error_cb(p->lis, on_accept_error);

    struct sockaddr_in bound;
    socklen_t blen = sizeof bound;
    if (getsockname(evconnlistener_get_fd(p->lis), (struct sockaddr *)&bound, &blen) < 0) {
        err_set(e, "proxy: getsockname: %s", strerror(errno));
        evconnlistener_free(p->lis);
        proxy_release(p);
        return NULL;
    }
    snprintf(p->uri, sizeof p->uri, "tcp:127.0.0.1:%u", (unsigned)ntohs(bound.sin_port));
    return p;
}

int proxy_set_upstream(struct proxy *p, const char *upstream, struct err *e)
{
    /* parse_upstream changes nothing unless the new address is good */
    return strcmp(upstream, p->up_name) == 0 ? 0 : parse_upstream(p, upstream, e);
}

void proxy_set_discard(struct proxy *p, bool on)
{
    p->discard = on;
}

void proxy_drop_all(struct proxy *p)
{
    for (unsigned i = 0; i < p->count; i++) {
        struct chan *c = p->chans[i];
        p->chans[i] = NULL;
        chan_shut(c);
        c->open = false;
        if (p->depth > 0) {
            c->next_dead = p->dead;
            p->dead = c;
        } else {
            chan_free(c);
        }
    }
    p->count = 0;
    p->total = 0;
    p->gen++;
}

void proxy_free(struct proxy *p)
{
    if (!p || p->dying)
        return;
    proxy_drop_all(p);
    if (p->lis) {
        evconnlistener_free(p->lis);
        p->lis = NULL;
    }
    ev_stop(p->accept_tm);
    if (p->depth > 0) {
        p->dying = true;
        return;
    }
    proxy_release(p);
}

const char *proxy_uri(const struct proxy *p)
{
    return p->uri;
}

static int check_chan(int chan, struct err *e)
{
    if (chan == CHAN_ALL || chan == CHAN_MAIN || (chan >= 0 && chan < VOCAB_MAX_MULTIFD))
        return 0;
    return err_set(e, "proxy: channel %d cannot take a fault (use all, main or multifd0..multifd%d)", chan,
                   VOCAB_MAX_MULTIFD - 1);
}

static bool hits(const struct chan *c, int chan)
{
    return c->open && (chan == CHAN_ALL || c->id == chan);
}

/* ---- what faults do (proxy_chan.h) ---- */

void proxy_chan_kill(struct chan *c, const char *why)
{
    chan_kill(c, why);
}

void proxy_chan_fin(struct chan *c)
{
    if (c->src_fd >= 0)
        shutdown(c->src_fd, SHUT_WR);
    if (c->up_fd >= 0 && !c->up_connecting)
        shutdown(c->up_fd, SHUT_WR);
}

void proxy_chan_hold(struct chan *c, uint64_t dur_us)
{
    c->stalled = true;
    if (dur_us > 0) {
        struct timeval tv = mono_tv(dur_us);
        evtimer_add(c->stall_tm, &tv);
    } else {
        evtimer_del(c->stall_tm);
    }
    chan_update(c);
}

int proxy_each_channel(struct proxy *p, int chan, void (*hit)(struct chan *c, uint64_t dur_us), uint64_t dur_us,
                       struct err *e)
{
    if (check_chan(chan, e) < 0)
        return -1;
    int n = 0;
    unsigned gen = p->gen;
    enter(p);
    /* An `ended` hook may fault or drop channels itself: re-check everything on each turn. */
    for (unsigned i = 0; i < p->count && p->gen == gen; i++) {
        struct chan *c = p->chans[i];
        if (!hits(c, chan))
            continue;
        n++;
        hit(c, dur_us);
    }
    leave(p);
    return n;
}

unsigned proxy_channel_count(const struct proxy *p)
{
    return p->count;
}

int proxy_channel_id(const struct proxy *p, unsigned index)
{
    return index < p->count ? p->chans[index]->id : PROXY_CH_UNKNOWN;
}

uint64_t proxy_channel_bytes(const struct proxy *p, unsigned index)
{
    return index < p->count ? p->chans[index]->bytes : 0;
}

bool proxy_channel_open(const struct proxy *p, unsigned index)
{
    return index < p->count && p->chans[index]->open;
}

bool proxy_channel_stalled(const struct proxy *p, unsigned index)
{
    return proxy_channel_open(p, index) && p->chans[index]->stalled;
}

bool proxy_channel_stalled_to_end(const struct proxy *p, unsigned index)
{
    return proxy_channel_stalled(p, index) && !evtimer_pending(p->chans[index]->stall_tm, NULL);
}

uint64_t proxy_total_bytes(const struct proxy *p)
{
    return p->total;
}
