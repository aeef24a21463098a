/* qmp: the QMP client (see qmp.h). It writes each command the moment it is sent and hands every message
 * to its hook as soon as it is parsed, because the races it drives are a millisecond wide.
 * It must never: block, buffer without bound, call a hook after qmp_free() or after `closed`, or make a
 * callback from inside qmp_new/qmp_connect/qmp_adopt_fd/qmp_send (a failure found there is reported
 * from the event loop instead, so callers never see their own state change under them). */
#include "qmp.h"

#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "jsonstream.h"
#include "mono.h"

#define DEFAULT_HANDSHAKE_US (5u * 1000000u)
/* The text we send and show: one line, and "unix:/path" stays readable ("\/" is legal but noisy). */
#define TEXT_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define SHOWN_MAX 80 /* bytes of a bad message quoted in an error */
/* After a write fails, how long the messages the peer sent before it went away may take to be read. */
#define DRAIN_US 100000

enum state { ST_NEW, ST_CONNECTING, ST_GREETING, ST_CAPS, ST_READY, ST_ENDING, ST_CLOSED };

struct pending {
    struct pending *next;
    struct qmp *q;
    uint64_t id;
    char *idtext; /* the id as JSON text: replies match on it */
    qmp_reply_cb cb;
    void *arg;
    uint64_t sent_us;
    struct event *timer; /* the deadline, or NULL */
};

struct qmp {
    struct event_base *base;
    struct qmp_hooks hooks;
    uint64_t handshake_us;
    struct jsonstream *js;
    struct bufferevent *bev;
    int fd; /* owned: closed by drop_socket */
    struct event *handshake_timer;
    struct event *drain_timer;
    struct event *finish_ev; /* delivers `lost` and `closed` from the loop */
    enum state state;
    char addr[128];
    uint64_t next_id;
    uint64_t caps_id;
    json_object *greeting; /* the "QMP" member, kept until `ready` */
    struct pending *head, *tail;
    unsigned npending;
    uint64_t read_us; /* when the bytes being parsed were read */
    int write_err;    /* errno of a failed write: nothing more is sent */
    enum qmp_close_reason why;
    char detail[256];
    uint64_t end_us;
    unsigned depth; /* >0 while a hook may be running: qmp_free is deferred */
    bool free_wanted;
};

const char *qmp_close_reason_name(enum qmp_close_reason r)
{
    switch (r) {
    case QMP_CLOSED_EOF: return "eof";
    case QMP_CLOSED_CUT: return "cut";
    case QMP_CLOSED_RESET: return "reset";
    case QMP_CLOSED_PROTOCOL: return "protocol";
    case QMP_CLOSED_TIMEOUT: return "timeout";
    case QMP_CLOSED_CONNECT: return "connect";
    case QMP_CLOSED_ERROR: return "error";
    }
    return "unknown";
}

static void pending_free(struct pending *p)
{
    if (p->timer)
        event_free(p->timer);
    free(p->idtext);
    free(p);
}

/* The fd is closed here, not by the bufferevent: libevent 2.1 finalizes a freed bufferevent (and would
 * close its fd) only on a later loop turn, and a peer must see the close, and reading stop, at once.
 * bufferevent_free() has already taken the fd out of epoll, so closing it now is safe. */
static void drop_socket(struct qmp *q)
{
    if (q->bev) {
        bufferevent_free(q->bev);
        q->bev = NULL;
    }
    if (q->fd >= 0) {
        close(q->fd);
        q->fd = -1;
    }
}

static void destroy(struct qmp *q)
{
    drop_socket(q);
    while (q->head) {
        struct pending *p = q->head;
        q->head = p->next;
        pending_free(p);
    }
    if (q->handshake_timer)
        event_free(q->handshake_timer);
    if (q->drain_timer)
        event_free(q->drain_timer);
    if (q->finish_ev)
        event_free(q->finish_ev);
    jsonstream_free(q->js);
    json_object_put(q->greeting);
    free(q);
}

/* Every entry from the event loop brackets its hooks with enter/leave, so a qmp_free() made by a hook
 * only marks the client and the real free happens here, once nothing of it is on the stack. */
static void enter(struct qmp *q)
{
    q->depth++;
}

static bool leave(struct qmp *q)
{
    if (--q->depth == 0 && q->free_wanted) {
        destroy(q);
        return true;
    }
    return false;
}

static bool hooks_allowed(const struct qmp *q)
{
    return !q->free_wanted && q->state != ST_CLOSED;
}

/* Ends the connection: the socket is closed at once (a hostile peer gets no more reading), the
 * hooks run from finish_ev. Makes no callback itself, so it is safe anywhere, qmp_send included. */
__attribute__((format(printf, 3, 4))) static void end_conn(struct qmp *q, enum qmp_close_reason why,
                                                           const char *fmt, ...)
{
    if (q->state >= ST_ENDING)
        return;
    q->state = ST_ENDING;
    q->why = why;
    q->end_us = mono_now_us();
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q->detail, sizeof q->detail, fmt, ap);
    va_end(ap);
    drop_socket(q);
    event_del(q->handshake_timer);
    event_del(q->drain_timer);
    for (struct pending *p = q->head; p; p = p->next)
        if (p->timer)
            event_del(p->timer);
    event_active(q->finish_ev, EV_TIMEOUT, 0);
}

static void on_finish(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct qmp *q = arg;
    q->state = ST_CLOSED; /* from here qmp_send refuses, also inside the `lost` callbacks */
    enter(q);
    while (q->head && !q->free_wanted) {
        struct pending *p = q->head;
        q->head = p->next;
        if (!q->head)
            q->tail = NULL;
        q->npending--;
        struct qmp_reply r = {.lost = true, .id = p->id, .sent_us = p->sent_us, .recv_us = q->end_us};
        qmp_reply_cb cb = p->cb;
        void *cb_arg = p->arg;
        pending_free(p);
        if (cb)
            cb(cb_arg, &r);
    }
    if (!q->free_wanted && q->hooks.closed)
        q->hooks.closed(q->hooks.arg, q->why, q->detail);
    leave(q);
}

static void end_for_errno(struct qmp *q, int err, const char *doing)
{
    if (err == ECONNRESET || err == EPIPE)
        end_conn(q, QMP_CLOSED_RESET, "connection reset while %s: %s", doing, strerror(err));
    else
        end_conn(q, QMP_CLOSED_ERROR, "socket error while %s: %s", doing, strerror(err));
}

/* The read side ended (or gave up): after a failed write, that failure is the reason. */
static bool end_for_write_error(struct qmp *q)
{
    if (!q->write_err)
        return false;
    end_for_errno(q, q->write_err, "sending a command");
    return true;
}

/* A write failed: the peer is gone or going. What it sent before is still in our socket (a QEMU that
 * aborts right after its last reply and event), so reading goes on until EOF or DRAIN_US, and the
 * connection ends then, with this error as its reason. */
static void write_failed(struct qmp *q, int err)
{
    if (q->write_err || q->state >= ST_ENDING)
        return;
    q->write_err = err ? err : EPIPE;
    struct timeval tv = mono_tv(DRAIN_US);
    evtimer_add(q->drain_timer, &tv);
}

static void on_drain_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    end_for_write_error(arg);
}

static void on_handshake_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct qmp *q = arg;
    unsigned ms = (unsigned)(q->handshake_us / 1000);
    if (q->state == ST_CONNECTING)
        end_conn(q, QMP_CLOSED_TIMEOUT, "connect to %s did not finish within %u ms", q->addr, ms);
    else if (q->state == ST_GREETING)
        end_conn(q, QMP_CLOSED_TIMEOUT, "no QMP greeting within %u ms", ms);
    else
        end_conn(q, QMP_CLOSED_TIMEOUT, "qmp_capabilities not answered within %u ms", ms);
}

struct qmp *qmp_new(struct event_base *base, const struct qmp_hooks *hooks, const struct qmp_options *opt)
{
    struct qmp *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->base = base;
    q->fd = -1;
    if (hooks)
        q->hooks = *hooks;
    q->handshake_us = opt && opt->handshake_timeout_us ? opt->handshake_timeout_us : DEFAULT_HANDSHAKE_US;
    q->js = jsonstream_new(opt ? opt->max_message : 0);
    q->handshake_timer = evtimer_new(base, on_handshake_timeout, q);
    q->drain_timer = evtimer_new(base, on_drain_timeout, q);
    q->finish_ev = evtimer_new(base, on_finish, q);
    q->next_id = 1;
    if (!q->js || !q->handshake_timer || !q->drain_timer || !q->finish_ev) {
        destroy(q);
        return NULL;
    }
    return q;
}

void qmp_free(struct qmp *q)
{
    if (!q)
        return;
    if (q->depth) {
        q->free_wanted = true;
        return;
    }
    destroy(q);
}

bool qmp_is_ready(const struct qmp *q)
{
    return q && q->state == ST_READY;
}

unsigned qmp_pending(const struct qmp *q)
{
    return q ? q->npending : 0;
}

/* ---- writing ---- */

/* Writes one message and its CRLF. When nothing is queued it goes to the socket right here rather than
 * one loop turn later, and with MSG_NOSIGNAL; only what the socket does not take is left to the
 * bufferevent. Returns -1 (connection ending) when the message cannot be sent. */
static int send_line(struct qmp *q, const char *text, size_t len)
{
    struct evbuffer *out = bufferevent_get_output(q->bev);
    size_t queued = evbuffer_get_length(out);
    if (len + 2 > QMP_MAX_OUTPUT - queued) {
        end_conn(q, QMP_CLOSED_PROTOCOL, "peer stopped reading (%zu bytes of commands unsent, limit %u)",
                 queued + len + 2, (unsigned)QMP_MAX_OUTPUT);
        return -1;
    }
    size_t done = 0;
    if (queued == 0) {
        struct iovec iov[2] = {{(void *)text, len}, {(void *)"\r\n", 2}};
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
        ssize_t n;
        do
            n = sendmsg(q->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            write_failed(q, errno);
            return -1;
        }
        done = n > 0 ? (size_t)n : 0;
    }
    int rc = 0;
    if (done < len)
        rc |= bufferevent_write(q->bev, text + done, len - done);
    if (done < len + 2) {
        size_t crlf_done = done > len ? done - len : 0;
        static const char crlf[] = "\r\n";
        rc |= bufferevent_write(q->bev, crlf + crlf_done, 2 - crlf_done);
    }
    if (rc) {
        end_conn(q, QMP_CLOSED_ERROR, "out of memory queueing a command");
        return -1;
    }
    return 0;
}

static void show_wire(struct qmp *q, bool out, const char *text)
{
    if (q->hooks.wire && hooks_allowed(q))
        q->hooks.wire(q->hooks.arg, out, text);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg);

/* Sends `cmd` (owned) and, on success, records it as pending under `id` matched by `idtext` (owned). */
static uint64_t send_command(struct qmp *q, json_object *cmd, uint64_t id, char *idtext, uint64_t deadline_us,
                             qmp_reply_cb cb, void *cb_arg)
{
    struct pending *p = calloc(1, sizeof *p);
    size_t len = 0;
    const char *text = json_object_to_json_string_length(cmd, TEXT_FLAGS, &len);
    if (!p || !idtext || !text)
        goto fail;
    p->q = q;
    p->id = id;
    p->idtext = idtext;
    p->cb = cb;
    p->arg = cb_arg;
    if (deadline_us) {
        /* Armed before the write so a failure to make a timer never leaves a command on the wire
         * that nobody waits for. */
        p->timer = evtimer_new(q->base, on_deadline, p);
        if (!p->timer)
            goto fail;
    }
    p->sent_us = mono_now_us();
    if (send_line(q, text, len) < 0)
        goto fail;
    if (p->timer) {
        /* Inside a callback libevent would count from the start of the loop turn, not from now. */
        event_base_update_cache_time(q->base);
        struct timeval tv = mono_tv(deadline_us);
        evtimer_add(p->timer, &tv);
    }
    if (q->tail)
        q->tail->next = p;
    else
        q->head = p;
    q->tail = p;
    q->npending++;
    enter(q);
    show_wire(q, true, text);
    json_object_put(cmd);
    leave(q);
    return id;

fail:
    if (p) {
        p->idtext = NULL;
        pending_free(p);
    }
    free(idtext);
    json_object_put(cmd);
    return 0;
}

static void unlink_pending(struct qmp *q, struct pending *p)
{
    struct pending **pp = &q->head, *prev = NULL;
    while (*pp && *pp != p) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (!*pp)
        return;
    *pp = p->next;
    if (q->tail == p)
        q->tail = prev;
    q->npending--;
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct pending *p = arg;
    struct qmp *q = p->q;
    unlink_pending(q, p);
    struct qmp_reply r = {.timed_out = true, .id = p->id, .sent_us = p->sent_us, .recv_us = mono_now_us()};
    qmp_reply_cb cb = p->cb;
    void *cb_arg = p->arg;
    pending_free(p);
    enter(q);
    if (cb && hooks_allowed(q))
        cb(cb_arg, &r);
    leave(q);
}

static bool can_send(const struct qmp *q)
{
    return q && q->state == ST_READY && !q->free_wanted && !q->write_err;
}

static char *id_text_of_number(uint64_t id)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRIu64, id);
    return strdup(buf);
}

uint64_t qmp_send(struct qmp *q, const char *cmd, json_object *args, uint64_t deadline_us, qmp_reply_cb cb,
                  void *cb_arg)
{
    if (!can_send(q) || !cmd) {
        json_object_put(args);
        return 0;
    }
    json_object *o = json_object_new_object();
    if (!o) {
        json_object_put(args);
        return 0;
    }
    uint64_t id = q->next_id++;
    json_object_object_add(o, "execute", json_object_new_string(cmd));
    if (args)
        json_object_object_add(o, "arguments", args);
    json_object_object_add(o, "id", json_object_new_uint64(id));
    return send_command(q, o, id, id_text_of_number(id), deadline_us, cb, cb_arg);
}

uint64_t qmp_send_raw(struct qmp *q, json_object *cmd, uint64_t deadline_us, qmp_reply_cb cb, void *cb_arg)
{
    if (!can_send(q) || !json_object_is_type(cmd, json_type_object)) {
        json_object_put(cmd);
        return 0;
    }
    uint64_t id = q->next_id++;
    json_object *own = NULL;
    char *idtext;
    if (json_object_object_get_ex(cmd, "id", &own) && own) { /* "id": null is treated as no id */
        idtext = strdup(json_object_to_json_string_ext(own, TEXT_FLAGS));
    } else {
        json_object_object_add(cmd, "id", json_object_new_uint64(id));
        idtext = id_text_of_number(id);
    }
    return send_command(q, cmd, id, idtext, deadline_us, cb, cb_arg);
}

/* ---- reading ---- */

static void quote(json_object *msg, char *buf, size_t n)
{
    const char *s = json_object_to_json_string_ext(msg, TEXT_FLAGS);
    if (strlen(s) < n) {
        snprintf(buf, n, "%s", s);
        return;
    }
    snprintf(buf, n, "%.*s...", (int)(n - 4), s);
}

static const char *member_string(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static void on_greeting(struct qmp *q, json_object *msg)
{
    json_object *qmp;
    if (!json_object_object_get_ex(msg, "QMP", &qmp)) {
        char shown[SHOWN_MAX + 1];
        quote(msg, shown, sizeof shown);
        end_conn(q, QMP_CLOSED_PROTOCOL, "expected the QMP greeting, got %s", shown);
        return;
    }
    q->greeting = json_object_get(qmp);
    q->caps_id = q->next_id++;
    char text[64];
    int len = snprintf(text, sizeof text, "{\"execute\":\"qmp_capabilities\",\"id\":%" PRIu64 "}", q->caps_id);
    q->state = ST_CAPS;
    if (send_line(q, text, (size_t)len) < 0)
        return;
    show_wire(q, true, text);
}

static void on_caps_reply(struct qmp *q, json_object *msg)
{
    json_object *err;
    if (json_object_object_get_ex(msg, "error", &err)) {
        const char *desc = member_string(err, "desc");
        end_conn(q, QMP_CLOSED_PROTOCOL, "qmp_capabilities refused: %s", desc ? desc : "(no description)");
        return;
    }
    if (!json_object_object_get_ex(msg, "return", NULL)) {
        end_conn(q, QMP_CLOSED_PROTOCOL, "reply to qmp_capabilities has neither return nor error");
        return;
    }
    if (q->write_err)
        return; /* the end is coming: `ready` would promise sends that cannot happen */
    event_del(q->handshake_timer);
    q->state = ST_READY;
    json_object *greeting = q->greeting;
    q->greeting = NULL;
    if (q->hooks.ready && hooks_allowed(q))
        q->hooks.ready(q->hooks.arg, greeting);
    json_object_put(greeting);
}

static struct pending *find_pending(struct qmp *q, json_object *id)
{
    const char *text = json_object_to_json_string_ext(id, TEXT_FLAGS);
    for (struct pending *p = q->head; p; p = p->next)
        if (strcmp(p->idtext, text) == 0)
            return p;
    return NULL;
}

static void on_reply(struct qmp *q, json_object *msg, json_object *id)
{
    struct pending *p = find_pending(q, id);
    if (!p)
        return; /* not ours, or its deadline already passed */
    /* A reply read in the same chunk as the event whose hook sent its command (a peer that answers
     * ahead) must still not look older than its command. */
    struct qmp_reply r = {.id = p->id, .sent_us = p->sent_us,
                          .recv_us = q->read_us > p->sent_us ? q->read_us : p->sent_us};
    json_object *err;
    if (json_object_object_get_ex(msg, "error", &err)) {
        const char *cls = member_string(err, "class");
        const char *desc = member_string(err, "desc");
        r.error_class = cls ? cls : "";
        r.error_desc = desc ? desc : "";
    } else if (!json_object_object_get_ex(msg, "return", &r.ret)) {
        end_conn(q, QMP_CLOSED_PROTOCOL, "reply to command %" PRIu64 " has neither return nor error", p->id);
        return;
    }
    unlink_pending(q, p);
    qmp_reply_cb cb = p->cb;
    void *cb_arg = p->arg;
    pending_free(p);
    if (cb && hooks_allowed(q))
        cb(cb_arg, &r);
}

static void dispatch(struct qmp *q, json_object *msg)
{
    if (q->hooks.wire && hooks_allowed(q))
        q->hooks.wire(q->hooks.arg, false, json_object_to_json_string_ext(msg, TEXT_FLAGS));
    if (!hooks_allowed(q) || q->state >= ST_ENDING)
        return;
    if (q->state == ST_GREETING) {
        on_greeting(q, msg);
        return;
    }
    const char *name = member_string(msg, "event");
    if (name) {
        json_object *data = NULL;
        json_object_object_get_ex(msg, "data", &data);
        if (q->hooks.event)
            q->hooks.event(q->hooks.arg, name, data, msg);
        return;
    }
    json_object *id;
    if (!json_object_object_get_ex(msg, "id", &id) || !id)
        return;
    if (q->state == ST_CAPS) {
        if (json_object_is_type(id, json_type_int) && json_object_get_uint64(id) == q->caps_id)
            on_caps_reply(q, msg);
        return;
    }
    on_reply(q, msg, id);
}

static int on_message(void *arg, json_object *msg)
{
    struct qmp *q = arg;
    dispatch(q, msg);
    json_object_put(msg);
    return q->free_wanted || q->state >= ST_ENDING;
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct qmp *q = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    q->read_us = mono_now_us();
    enter(q);
    while (q->bev && !q->free_wanted && q->state < ST_ENDING) {
        struct evbuffer_iovec v;
        if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
            break;
        struct err e = {{0}};
        int rc = jsonstream_feed(q->js, v.iov_base, v.iov_len, on_message, q, &e);
        if (rc < 0) {
            if (!end_for_write_error(q))
                end_conn(q, QMP_CLOSED_PROTOCOL, "%s", e.msg);
            break;
        }
        if (rc > 0 || !q->bev)
            break;
        evbuffer_drain(in, v.iov_len);
    }
    leave(q);
}

static void on_socket_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct qmp *q = arg;
    int err = EVUTIL_SOCKET_ERROR();
    if (q->state == ST_CONNECTING) {
        if (what & BEV_EVENT_CONNECTED) {
            q->state = ST_GREETING;
            bufferevent_enable(q->bev, EV_READ);
            return;
        }
        end_conn(q, QMP_CLOSED_CONNECT, "connect to %s: %s", q->addr,
                 (what & BEV_EVENT_ERROR) && err ? strerror(err) : "connection closed");
        return;
    }
    if (what & BEV_EVENT_WRITING) {
        write_failed(q, (what & BEV_EVENT_ERROR) ? err : EPIPE);
        return;
    }
    if (end_for_write_error(q))
        return;
    if (what & BEV_EVENT_EOF) {
        if (jsonstream_mid_message(q->js))
            end_conn(q, QMP_CLOSED_CUT, "the peer closed the connection in the middle of a message");
        else if (q->state == ST_GREETING)
            end_conn(q, QMP_CLOSED_EOF, "the peer closed the connection before the QMP greeting");
        else if (q->state == ST_CAPS)
            end_conn(q, QMP_CLOSED_EOF, "the peer closed the connection before answering qmp_capabilities");
        else
            end_conn(q, QMP_CLOSED_EOF, "the peer closed the connection");
        return;
    }
    if (what & BEV_EVENT_ERROR)
        end_for_errno(q, err, "reading");
}

/* ---- connecting ---- */

static int start(struct qmp *q, int fd, bool connecting, struct err *e)
{
    q->fd = fd;
    q->bev = bufferevent_socket_new(q->base, fd, 0);
    if (!q->bev) {
        drop_socket(q);
        return err_set(e, "out of memory for the QMP connection");
    }
    bufferevent_setcb(q->bev, on_read, NULL, on_socket_event, q);
    if (connecting) {
        q->state = ST_CONNECTING;
        /* The socket already has connect() in progress: with no address this only waits for it. */
        if (bufferevent_socket_connect(q->bev, NULL, 0) < 0) {
            drop_socket(q);
            q->state = ST_NEW;
            return err_set(e, "cannot wait for the connection to %s", q->addr);
        }
    } else {
        q->state = ST_GREETING;
        bufferevent_enable(q->bev, EV_READ);
    }
    struct timeval tv = mono_tv(q->handshake_us);
    evtimer_add(q->handshake_timer, &tv);
    return 0;
}

int qmp_connect(struct qmp *q, const char *addr, struct err *e)
{
    if (q->state != ST_NEW)
        return err_set(e, "QMP client already in use");
    struct addr a;
    if (addr_parse(addr, false, &a, e) < 0)
        return err_prefix(e, "QMP address");
    snprintf(q->addr, sizeof q->addr, "%s", addr);
    int fd = socket(a.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return err_set(e, "socket for %s: %s", addr, strerror(errno));
    if (a.ss.ss_family != AF_UNIX) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    int rc;
    do
        rc = connect(fd, (struct sockaddr *)&a.ss, a.len);
    while (rc < 0 && errno == EINTR);
    if (rc < 0 && errno != EINPROGRESS) {
        /* Reported through `closed` like a later failure, so callers handle one path only. */
        int err = errno;
        close(fd);
        end_conn(q, QMP_CLOSED_CONNECT, "connect to %s: %s", addr, strerror(err));
        return 0;
    }
    return start(q, fd, rc < 0, e);
}

int qmp_adopt_fd(struct qmp *q, int fd, struct err *e)
{
    if (q->state != ST_NEW) {
        close(fd);
        return err_set(e, "QMP client already in use");
    }
    snprintf(q->addr, sizeof q->addr, "socket %d", fd);
    if (evutil_make_socket_nonblocking(fd) < 0) {
        close(fd);
        return err_set(e, "cannot make QMP socket non-blocking");
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* fails harmlessly on unix sockets */
    return start(q, fd, false, e);
}
