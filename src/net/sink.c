/* sink: the stand-in destination (see sink.h). Accepts on loopback and throws away what arrives with
 * recv(MSG_TRUNC), which on Linux drops TCP data inside the kernel without copying it out. Connections
 * end with RST (no TIME_WAIT piles up over thousands of trials). Never sends a byte, never prints. */
#include "sink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/listener.h>

#include "mono.h"

#define SINK_MAX_OPEN 1024         /* beyond this, new connections are reset at once */
#define SINK_RECV_MAX (4u << 20)   /* bytes one recv may discard */
#define SINK_ROUNDS 16             /* recvs per readiness callback */
#define SINK_ACCEPT_PAUSE_US 10000 /* after a failed accept (EMFILE...): pause instead of spinning */

struct sink_conn {
    struct sink *s;
    struct sink_conn *prev, *next;
    int fd;
    struct event *ev;
};

struct sink {
    struct event_base *base;
    struct evconnlistener *lis;
    struct event *accept_tm;
    char addr[48];
    uint64_t bytes;
    unsigned accepted, open;
    struct sink_conn *head;
};

static void conn_reset(struct sink_conn *c)
{
    struct sink *s = c->s;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->open--;
    event_free(c->ev);
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(c->fd);
    free(c);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct sink_conn *c = arg;
    for (int round = 0; round < SINK_ROUNDS; round++) {
        /* A NULL buffer is fine: with MSG_TRUNC nothing is copied to it. */
        ssize_t n = recv(fd, NULL, SINK_RECV_MAX, MSG_TRUNC | MSG_DONTWAIT);
        if (n > 0) {
            c->s->bytes += (uint64_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        conn_reset(c); /* EOF or error: this connection is done */
        return;
    }
}

static void on_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg)
{
    (void)lis;
    (void)sa;
    (void)len;
    struct sink *s = arg;
    struct sink_conn *c = NULL;
    if (s->open < SINK_MAX_OPEN)
        c = calloc(1, sizeof *c);
    if (c)
        c->ev = event_new(s->base, fd, EV_READ | EV_PERSIST, on_read, c);
    if (!c || !c->ev || event_add(c->ev, NULL) < 0) {
        if (c && c->ev)
            event_free(c->ev);
        free(c);
        struct linger l = {.l_onoff = 1, .l_linger = 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        close(fd);
        return;
    }
    c->s = s;
    c->fd = fd;
    c->next = s->head;
    if (s->head)
        s->head->prev = c;
    s->head = c;
    s->accepted++;
    s->open++;
}

static void on_accept_again(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct sink *s = arg;
    evconnlistener_enable(s->lis);
}

static void on_accept_error(struct evconnlistener *lis, void *arg)
{
    struct sink *s = arg;
    evconnlistener_disable(lis);
    struct timeval tv = mono_tv(SINK_ACCEPT_PAUSE_US);
    evtimer_add(s->accept_tm, &tv);
}

struct sink *sink_new(struct event_base *base, struct err *e)
{
    struct sink *s = calloc(1, sizeof *s);
    if (!s) {
        err_set(e, "sink: out of memory");
        return NULL;
    }
    s->base = base;
    s->accept_tm = evtimer_new(base, on_accept_again, s);
    if (!s->accept_tm) {
        err_set(e, "sink: out of memory");
        free(s);
        return NULL;
    }
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = 0};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->lis = evconnlistener_new_bind(base, on_accept, s,
                                     LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, -1,
                                     (struct sockaddr *)&sin, sizeof sin);
    struct sockaddr_in bound;
    socklen_t blen = sizeof bound;
    if (!s->lis || getsockname(evconnlistener_get_fd(s->lis), (struct sockaddr *)&bound, &blen) < 0) {
        err_set(e, "sink: cannot listen on 127.0.0.1: %s", strerror(errno));
        if (s->lis)
            evconnlistener_free(s->lis);
        event_free(s->accept_tm);
        free(s);
        return NULL;
    }
    evconnlistener_set_error_cb(s->lis, on_accept_error);
    snprintf(s->addr, sizeof s->addr, "tcp:127.0.0.1:%u", (unsigned)ntohs(bound.sin_port));
    return s;
}

void sink_drop_all(struct sink *s)
{
    while (s->head)
        conn_reset(s->head);
}

void sink_free(struct sink *s)
{
    if (!s)
        return;
    sink_drop_all(s);
    evconnlistener_free(s->lis);
    event_free(s->accept_tm);
    free(s);
}

const char *sink_addr(const struct sink *s)
{
    return s->addr;
}

uint64_t sink_bytes(const struct sink *s)
{
    return s->bytes;
}

unsigned sink_accepted(const struct sink *s)
{
    return s->accepted;
}

unsigned sink_open(const struct sink *s)
{
    return s->open;
}
