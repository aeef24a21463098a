/* fuzz_qmp_client: AFL++ target for the QMP client (src/qmp.c) fed by a hostile peer. The input is a
 * split-driven stream (fuzz_common.h) that the peer, the other end of a socketpair, writes in the chunks
 * the input chooses, letting the client read each chunk before the next; then it closes. The flag byte
 * picks the message size limit, whether the client sends commands (numbered, with a string id, with its
 * own numeric id), whether replies make it send more, whether it frees itself from inside a hook, and how
 * the peer ends (close after reading, close with the client's commands unread, or only shut its write
 * side).
 * Invariants: `ready` and `closed` at most once and nothing after `closed` or after a free; every command
 * sent gets exactly one answer (reply, error or lost) before `closed`; the close reason agrees with what
 * jsonstream makes of the same bytes (refused bytes: PROTOCOL; cut short: CUT; a clean end: EOF, or
 * PROTOCOL for a QMP-level fault); after qmp_free the client has closed its socket and left no event
 * behind. It must never leave an fd or an event from one input to the next. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <linux/sockios.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "../harness/afl_main.h"
#include "fuzz_common.h"
#include "jsonstream.h"
#include "qmp.h"

#define F_COMMANDS 0x04 /* send commands once ready */
#define F_CHAIN 0x08    /* each reply sends one more command */
#define F_FREE 0x10     /* free the client from inside its first event hook */
#define F_UNREAD 0x20   /* end by closing with the client's commands unread (a reset on unix sockets) */
#define F_SHUTWR 0x40   /* end by shutting down only the peer's write side */
#define MAX_CMDS 16
#define PUMP_TURNS 64

struct slot {
    uint64_t id;
    unsigned answers;
};

struct run {
    struct qmp *q;
    unsigned flags;
    unsigned ready, closed, after_end, timed_out;
    bool freed;
    enum qmp_close_reason why;
    struct slot slots[MAX_CMDS];
    size_t nslots;
    int bad;
};

static struct event_base *base;

static void note_callback(struct run *r)
{
    if (r->closed || r->freed)
        r->after_end++;
}

static void on_answer(void *arg, const struct qmp_reply *rep);

static void send_one(struct run *r, json_object *raw)
{
    if (r->nslots >= MAX_CMDS) {
        json_object_put(raw);
        return;
    }
    struct slot *s = &r->slots[r->nslots];
    uint64_t id = raw ? qmp_send_raw(r->q, raw, 0, on_answer, r) : qmp_send(r->q, "query-status", NULL, 0, on_answer, r);
    if (id) {
        s->id = id;
        r->nslots++;
    }
}

static void on_answer(void *arg, const struct qmp_reply *rep)
{
    struct run *r = arg;
    note_callback(r);
    if (rep->timed_out)
        r->timed_out++;
    for (size_t i = 0; i < r->nslots; i++)
        if (r->slots[i].id == rep->id)
            r->slots[i].answers++;
    if ((r->flags & F_CHAIN) && !rep->lost && !r->freed)
        send_one(r, NULL);
}

static void on_ready(void *arg, json_object *greeting)
{
    (void)greeting;
    struct run *r = arg;
    note_callback(r);
    r->ready++;
    if (!(r->flags & F_COMMANDS))
        return;
    send_one(r, NULL);
    send_one(r, json_tokener_parse("{\"execute\":\"query-yank\",\"id\":\"s\"}"));
    send_one(r, json_tokener_parse("{\"execute\":\"stop\",\"id\":7}"));
}

static void on_event(void *arg, const char *name, json_object *data, json_object *msg)
{
    (void)name;
    (void)data;
    (void)msg;
    struct run *r = arg;
    note_callback(r);
    if ((r->flags & F_FREE) && !r->freed) {
        qmp_free(r->q);
        r->freed = true;
    }
}

static void on_closed(void *arg, enum qmp_close_reason why, const char *detail)
{
    (void)detail;
    struct run *r = arg;
    note_callback(r);
    r->closed++;
    r->why = why;
    if (qmp_pending(r->q) != 0)
        r->bad = fuzz_fail("closed with %u commands pending", qmp_pending(r->q));
}

static void drain(int fd)
{
    char buf[4096];
    for (int i = 0; i < 64; i++) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0)
            return;
    }
}

static bool ended(const struct run *r)
{
    return r->closed || r->freed;
}

/* Lets the client read what the peer wrote (and, unless the peer leaves it unread, takes what the
 * client wrote), for a bounded number of loop turns. */
static void pump(struct run *r, int peer)
{
    for (int turn = 0; turn < PUMP_TURNS && !ended(r); turn++) {
        event_base_loop(base, EVLOOP_NONBLOCK);
        if (!(r->flags & F_UNREAD))
            drain(peer);
        int queued = 0;
        if (ioctl(peer, SIOCOUTQ, &queued) == 0 && queued == 0)
            return;
    }
}

static void on_guard(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

static int drop(void *arg, json_object *obj)
{
    (void)arg;
    json_object_put(obj);
    return 0;
}

/* What jsonstream makes of the bytes alone: -1 refused, 1 cut short, 0 a clean end. */
static int stream_verdict(const struct fuzz_split *s, size_t max)
{
    struct jsonstream *js = jsonstream_new(max);
    if (!js)
        return 0;
    struct err e;
    int rc = jsonstream_feed(js, (const char *)s->data, s->len, drop, NULL, &e);
    int v = rc < 0 ? -1 : jsonstream_mid_message(js) ? 1 : 0;
    jsonstream_free(js);
    return v;
}

static int check_reason(const struct run *r, int verdict)
{
    enum qmp_close_reason w = r->why;
    bool unread = (r->flags & F_UNREAD) && !(r->flags & F_SHUTWR);
    if (w == QMP_CLOSED_PROTOCOL)
        return 0; /* a QMP-level fault can come before anything the stream shows */
    if (verdict < 0)
        return fuzz_fail("the stream breaks framing but the connection ended as '%s'", qmp_close_reason_name(w));
    if (unread && w == QMP_CLOSED_RESET)
        return 0;
    if (verdict > 0 && w != QMP_CLOSED_CUT)
        return fuzz_fail("the stream ends mid-message but the connection ended as '%s'", qmp_close_reason_name(w));
    if (verdict == 0 && w != QMP_CLOSED_EOF)
        return fuzz_fail("the stream ends cleanly but the connection ended as '%s'", qmp_close_reason_name(w));
    return 0;
}

static int one(const uint8_t *buf, size_t len)
{
    static const size_t limits[4] = {0, 64, 256, 4096};
    struct fuzz_split s = fuzz_split_of(buf, len);
    struct run r = {.flags = s.flags};
    size_t max = limits[s.flags & 3];
    int sv[2];
    if (!base && !(base = event_base_new()))
        return 0;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return 0;
    int peer = sv[1], client_fd = sv[0];
    fcntl(peer, F_SETFL, O_NONBLOCK);
    struct qmp_hooks h = {.ready = on_ready, .event = on_event, .closed = on_closed, .arg = &r};
    struct qmp_options opt = {.max_message = max};
    r.q = qmp_new(base, &h, &opt);
    struct err e = {{0}};
    if (!r.q || qmp_adopt_fd(r.q, client_fd, &e) < 0) {
        qmp_free(r.q);
        close(peer);
        return 0;
    }

    size_t off = 0, k = 0;
    while (off < s.len && !ended(&r)) {
        size_t n = fuzz_split_size(&s, k++);
        if (n > s.len - off)
            n = s.len - off;
        if (send(peer, s.data + off, n, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)n)
            break; /* the client is gone, or stopped reading: it must say so itself */
        off += n;
        pump(&r, peer);
    }
    if (r.flags & F_SHUTWR) {
        shutdown(peer, SHUT_WR);
    } else {
        if (!(r.flags & F_UNREAD))
            drain(peer);
        close(peer);
        peer = -1;
    }
    /* The client must notice the end by itself; the guard only bounds a client that never does. */
    struct event *guard = evtimer_new(base, on_guard, NULL);
    struct timeval tv = {2, 0};
    evtimer_add(guard, &tv);
    while (!ended(&r) && evtimer_pending(guard, NULL))
        event_base_loop(base, EVLOOP_ONCE);
    event_free(guard);

    int bad = r.bad;
    if (!ended(&r))
        bad = fuzz_fail("the peer went away and the client did not notice within 2 s");
    if (r.ready > 1 || r.closed > 1)
        bad = fuzz_fail("ready %u times, closed %u times", r.ready, r.closed);
    if (r.after_end)
        bad = fuzz_fail("%u callbacks after closed or after qmp_free", r.after_end);
    if (r.timed_out)
        bad = fuzz_fail("a command without a deadline timed out");
    if (r.closed) {
        for (size_t i = 0; i < r.nslots; i++)
            if (r.slots[i].answers != 1)
                bad = fuzz_fail("command %llu answered %u times", (unsigned long long)r.slots[i].id,
                                r.slots[i].answers);
        /* Only when all the bytes were written does the stream say how it should have ended. */
        if (off == s.len && !bad)
            bad = check_reason(&r, stream_verdict(&s, max));
    }
    if (!r.freed)
        qmp_free(r.q);
    if (event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_ACTIVE) != 0)
        bad = fuzz_fail("the freed client left events on the loop");
    errno = 0;
    if (fcntl(client_fd, F_GETFD) != -1 || errno != EBADF)
        bad = fuzz_fail("the freed client left its socket open");
    if (peer >= 0)
        close(peer);
    return bad;
}

int main(int argc, char **argv)
{
    /* libevent writes a backlog without MSG_NOSIGNAL (qmp.h) */
    signal(SIGPIPE, SIG_IGN);
    int rc = afl_main_run(argc, argv, "fuzz_qmp_client", one);
    if (base)
        event_base_free(base);
    return rc;
}
