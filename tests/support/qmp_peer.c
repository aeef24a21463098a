/* qmp_peer: the QMP client tests' scripted peer and callback recorder (see qmp_peer.h). */
#include "qmp_peer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "mono.h"

static void peer_arm(struct peer *p, uint64_t us)
{
    struct timeval tv = mono_tv(us);
    evtimer_add(p->timer, &tv);
}

static void peer_on_read(evutil_socket_t fd, short what, void *arg);

static void peer_close_fd(struct peer *p)
{
    if (p->fd < 0)
        return;
    /* What the client sent before we close is part of the conversation: take it first. */
    if (event_pending(p->rd, EV_READ, NULL))
        peer_on_read(p->fd, EV_READ, p);
    event_del(p->rd);
    event_del(p->wr);
    close(p->fd);
    p->fd = -1;
}

static void peer_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct peer *p = arg;
    if (p->next >= p->nsteps || p->fd < 0)
        return;
    struct peer_step *s = &p->steps[p->next];
    if (p->off == 0 && p->client_fd >= 0 && p->waits < 100000) {
        int n = 0;
        if (ioctl(p->client_fd, FIONREAD, &n) == 0 && n > 0) {
            p->waits++;
            peer_arm(p, 0);
            return;
        }
    }
    p->waits = 0;
    if (s->kind == PEER_DATA || s->kind == PEER_DATA_CLOSE) {
        while (p->off < s->len) {
            ssize_t n = send(p->fd, s->data + p->off, s->len - p->off, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                event_add(p->wr, NULL);
                return;
            }
            if (n < 0) {
                p->write_error = errno;
                p->next = p->nsteps;
                return;
            }
            p->off += (size_t)n;
            p->written += (size_t)n;
        }
        if (s->kind == PEER_DATA_CLOSE)
            peer_close_fd(p);
    } else if (s->kind == PEER_SHUT_WR) {
        shutdown(p->fd, SHUT_WR);
    } else if (s->kind == PEER_SHUT_RD) {
        shutdown(p->fd, SHUT_RD);
    } else {
        if (s->kind == PEER_RESET) {
            struct linger lg = {1, 0};
            setsockopt(p->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        peer_close_fd(p);
    }
    p->off = 0;
    p->next++;
    if (p->next < p->nsteps)
        peer_arm(p, p->steps[p->next].delay_us);
}

static void peer_on_read(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct peer *p = arg;
    for (int i = 0; i < 64; i++) {
        char buf[4096];
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            if (n < 0)
                p->read_error = errno;
            else
                p->got_eof = true;
            event_del(p->rd);
            return;
        }
        size_t room = sizeof p->got - 1 - p->ngot;
        size_t take = (size_t)n < room ? (size_t)n : room;
        memcpy(p->got + p->ngot, buf, take);
        p->ngot += take;
        p->got[p->ngot] = '\0';
    }
}

void peer_init(struct peer *p, struct event_base *base, int fd, int client_fd, bool reading)
{
    memset(p, 0, sizeof *p);
    p->base = base;
    p->fd = fd;
    p->client_fd = client_fd;
    p->timer = evtimer_new(base, peer_tick, p);
    p->wr = event_new(base, fd, EV_WRITE, peer_tick, p);
    p->rd = event_new(base, fd, EV_READ | EV_PERSIST, peer_on_read, p);
    if (reading)
        event_add(p->rd, NULL);
}

void peer_add(struct peer *p, enum peer_kind kind, uint64_t delay_us, const char *data, size_t len)
{
    if (p->nsteps == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->steps = realloc(p->steps, p->cap * sizeof *p->steps);
    }
    struct peer_step *s = &p->steps[p->nsteps++];
    s->kind = kind;
    s->delay_us = delay_us;
    s->len = len;
    s->data = NULL;
    if (len) {
        s->data = malloc(len);
        memcpy(s->data, data, len);
    }
}

void peer_say(struct peer *p, uint64_t delay_us, const char *text)
{
    peer_add(p, PEER_DATA, delay_us, text, strlen(text));
}

void peer_start(struct peer *p)
{
    if (p->nsteps)
        peer_arm(p, p->steps[0].delay_us);
}

void peer_fini(struct peer *p)
{
    peer_close_fd(p);
    event_free(p->timer);
    event_free(p->wr);
    event_free(p->rd);
    for (size_t i = 0; i < p->nsteps; i++)
        free(p->steps[i].data);
    free(p->steps);
}

/* ---- the recorder ---- */

void rec_log(struct rec *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->log + r->len, sizeof r->log - r->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        r->len += (size_t)n < sizeof r->log - r->len ? (size_t)n : sizeof r->log - r->len - 1;
}

static const char *rec_json(json_object *o)
{
    return o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : "null";
}

static void rec_ready(void *arg, json_object *greeting)
{
    struct rec *r = arg;
    rec_log(r, "ready %s\n", rec_json(greeting));
    if (r->on_ready)
        r->on_ready(r, "ready");
}

static void rec_event(void *arg, const char *name, json_object *data, json_object *msg)
{
    struct rec *r = arg;
    CHECK(msg != NULL);
    rec_log(r, "event %s %s\n", name, rec_json(data));
    if (r->on_event)
        r->on_event(r, name);
}

static void rec_wire(void *arg, bool out, const char *json)
{
    struct rec *r = arg;
    if (r->log_wire)
        rec_log(r, "%s %s\n", out ? ">" : "<", json);
    if (r->on_wire)
        r->on_wire(r, json);
}

static void rec_closed(void *arg, enum qmp_close_reason why, const char *detail)
{
    struct rec *r = arg;
    r->closed++;
    r->why = why;
    r->closed_us = mono_now_us();
    snprintf(r->detail, sizeof r->detail, "%s", detail);
    rec_log(r, "closed %s\n", qmp_close_reason_name(why));
    if (r->peer)
        r->peer->client_fd = -1; /* the client's fd number may be reused from now on */
    r->done = true;
    if (r->on_closed)
        r->on_closed(r, "closed");
}

void rec_reply(void *arg, const struct qmp_reply *rp)
{
    struct rec *r = arg;
    char line[512];
    if (rp->lost)
        snprintf(line, sizeof line, "reply %" PRIu64 " lost", rp->id);
    else if (rp->timed_out)
        snprintf(line, sizeof line, "reply %" PRIu64 " timed_out", rp->id);
    else if (rp->error_class)
        snprintf(line, sizeof line, "reply %" PRIu64 " error %s: %s", rp->id, rp->error_class, rp->error_desc);
    else
        snprintf(line, sizeof line, "reply %" PRIu64 " return %s", rp->id, rec_json(rp->ret));
    CHECK(rp->sent_us > 0 && rp->recv_us >= rp->sent_us);
    rec_log(r, "%s\n", line);
    if (r->on_reply)
        r->on_reply(r, line);
}

struct qmp_hooks rec_hooks(struct rec *r)
{
    struct qmp_hooks h = {.ready = rec_ready, .event = rec_event, .wire = rec_wire, .closed = rec_closed,
                          .arg = r};
    return h;
}

/* ---- a client and its peer ---- */

struct peer_conn *peer_conn_new(struct event_base *base, const struct qmp_options *opt, bool peer_reads)
{
    struct peer_conn *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    int sv[2];
    peer_socketpair(sv);
    peer_init(&c->peer, base, sv[1], sv[0], peer_reads);
    c->rec.peer = &c->peer;
    struct qmp_hooks h = rec_hooks(&c->rec);
    c->rec.q = qmp_new(base, &h, opt);
    c->rec.start_us = mono_now_us();
    struct err e = {{0}};
    CHECK(qmp_adopt_fd(c->rec.q, sv[0], &e) == 0);
    return c;
}

void peer_conn_free(struct peer_conn *c)
{
    qmp_free(c->rec.q);
    peer_fini(&c->peer);
    free(c);
}

void peer_handshake(struct peer *p)
{
    peer_say(p, 0, QMP_GREETING);
    peer_say(p, 0, QMP_CAPS_OK);
}

bool peer_conn_run(struct peer_conn *c)
{
    peer_start(&c->peer);
    return peer_run_until(c->peer.base, &c->rec.done, 2000000);
}

static void peer_server_accept(evutil_socket_t lfd, short what, void *arg)
{
    (void)what;
    struct peer_server *s = arg;
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    CHECK(fd >= 0);
    if (fd < 0 || s->accepted) {
        if (fd >= 0)
            close(fd);
        return;
    }
    s->accepted = true;
    peer_init(&s->peer, event_get_base(s->acc), fd, -1, true);
    s->script(&s->peer);
    peer_start(&s->peer);
}

void peer_server_start(struct peer_server *s, struct event_base *base, int lfd, void (*script)(struct peer *p))
{
    memset(s, 0, sizeof *s);
    s->lfd = lfd;
    s->script = script;
    CHECK(listen(lfd, 4) == 0);
    s->acc = event_new(base, lfd, EV_READ | EV_PERSIST, peer_server_accept, s);
    event_add(s->acc, NULL);
}

void peer_server_stop(struct peer_server *s)
{
    if (s->accepted)
        peer_fini(&s->peer);
    event_free(s->acc);
    close(s->lfd);
}

static void rec_guard_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    *(bool *)arg = true;
}

bool peer_run_until(struct event_base *base, const bool *done, uint64_t limit_us)
{
    bool expired = false;
    struct event *guard = evtimer_new(base, rec_guard_cb, &expired);
    struct timeval tv = mono_tv(limit_us);
    evtimer_add(guard, &tv);
    while (!*done && !expired)
        event_base_loop(base, EVLOOP_ONCE);
    event_free(guard);
    CHECK_MSG(*done, "timed out after %" PRIu64 " us", limit_us);
    return *done;
}

void peer_run_for(struct event_base *base, uint64_t us)
{
    bool done = false;
    struct event *guard = evtimer_new(base, rec_guard_cb, &done);
    struct timeval tv = mono_tv(us);
    evtimer_add(guard, &tv);
    while (!done)
        event_base_loop(base, EVLOOP_ONCE);
    event_free(guard);
}

void peer_socketpair(int sv[2])
{
    int rc = socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv);
    CHECK(rc == 0);
}

