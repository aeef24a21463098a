/* stream: the migration channels as real sockets: a non-blocking connect, the channel's opening header
 * (QEVM on the main stream, MultiFDInit_t on a multifd channel), then payload written as fast as the
 * socket takes it, straight from one static pattern buffer (no copy, no allocation per write). What
 * happens to a channel goes to its owner through the channel's ops (sim_chan_ops), each in the context
 * QEMU runs it in: a finished connect to main, a write error or a drained channel to the owning thread.
 * Loopback only: the address comes from migration.c, which refuses anything else. It must never block
 * and never read. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sim_internal.h"

#define PATTERN_SIZE (256u << 10)
#define WRITES_PER_WAKEUP 16 /* then give the loop back, even if the socket still takes data */

/* Guest RAM filled with non-zero bytes: 7.2 sends zero pages on the main stream, so only non-zero
 * pages reach the multifd channels (FACTS). Deterministic, filled once. */
static uint8_t pattern[PATTERN_SIZE];
static pthread_once_t pattern_once = PTHREAD_ONCE_INIT;

static void pattern_fill(void)
{
    uint32_t x = 0x2545f491u;
    for (size_t i = 0; i < sizeof pattern; i++) {
        x = x * 1664525u + 1013904223u;
        pattern[i] = (uint8_t)((x >> 24) | 1u);
    }
}

/* The thread that writes the channel: live_migration for the main stream, multifdsend_N for multifd N. */
static struct sim_thread *chan_owner(struct sim_chan *c)
{
    return c->index < 0 ? &c->v->lm_thr : &c->thr;
}

static void chan_pump(struct sim_chan *c);

static void pump_work(void *chan)
{
    chan_pump(chan);
}

static void disarm(struct sim_chan *c)
{
    if (c->armed && c->ev)
        event_del(c->ev);
    c->armed = false;
}

void sim_chan_arm(struct sim_chan *c)
{
    if (c->armed || !c->ev || c->fd < 0 || c->state != CH_UP || c->errored)
        return;
    if (event_add(c->ev, NULL) == 0)
        c->armed = true;
}

static void chan_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct sim_chan *c = arg;
    struct sim_vmm *v = c->v;
    if (c->state == CH_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        event_del(c->ev);
        c->armed = false;
        c->state = CH_CONNECTED;
        c->connect_err = err;
        /* QEMU completes connects on the main loop (qio_task callbacks). */
        sim_thread_post(&v->main_thr, c->ops->connected, v);
        return;
    }
    if (c->state != CH_UP) {
        disarm(c);
        return;
    }
    struct sim_thread *t = chan_owner(c);
    if (!sim_thread_runnable(t)) {
        disarm(c);
        sim_thread_post(t, pump_work, c);
        return;
    }
    chan_pump(c);
}

void sim_chan_init(struct sim_chan *c, struct sim_vmm *v, int index, const struct sim_chan_ops *ops)
{
    memset(c, 0, sizeof *c);
    c->v = v;
    c->ops = ops;
    c->index = index;
    c->fd = -1;
    c->state = CH_IDLE;
    if (index >= 0)
        sim_thread_init(&c->thr, v, THR_MULTIFDSEND, index);
}

/* Connect results, good or bad, reach main through the owner's `connected` work, never from inside this
 * call. */
static void connect_result(struct sim_chan *c, int err)
{
    c->state = CH_CONNECTED;
    c->connect_err = err;
    sim_thread_post(&c->v->main_thr, c->ops->connected, c->v);
}

int sim_chan_connect(struct sim_chan *c, struct err *e)
{
    struct sim_vmm *v = c->v;
    struct sim_mig *m = &v->mig;
    pthread_once(&pattern_once, pattern_fill);
    if (m->refuse) { /* not loopback: refused here, as a firewall would */
        connect_result(c, EACCES);
        return 0;
    }
    int fd = socket(m->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        connect_result(c, errno);
        return 0;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->ev = event_new(v->base, fd, EV_WRITE | EV_PERSIST, chan_cb, c);
    if (!c->ev) {
        close(fd);
        return err_set(e, "out of memory");
    }
    c->fd = fd;
    if (connect(fd, (const struct sockaddr *)&m->addr, m->addrlen) == 0) {
        connect_result(c, 0);
        return 0;
    }
    if (errno != EINPROGRESS) {
        connect_result(c, errno);
        return 0;
    }
    c->state = CH_CONNECTING;
    if (event_add(c->ev, NULL) < 0)
        return err_set(e, "cannot watch a migration socket");
    c->armed = true;
    return 0;
}

void sim_chan_shutdown(struct sim_chan *c)
{
    if (c->fd >= 0)
        shutdown(c->fd, SHUT_RDWR);
}

void sim_chan_close(struct sim_chan *c, bool abortive)
{
    if (c->ev) {
        event_free(c->ev);
        c->ev = NULL;
    }
    c->armed = false;
    if (c->fd >= 0) {
        if (abortive) { /* RST, no TIME_WAIT: thousands of trials must not pile up sockets */
            struct linger lg = {1, 0};
            setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        close(c->fd);
        c->fd = -1;
    }
    if (c->state != CH_IDLE)
        c->state = CH_CLOSED;
}

static void chan_pump(struct sim_chan *c)
{
    if (c->state != CH_UP || c->errored || c->fd < 0)
        return;
    for (int i = 0; i < WRITES_PER_WAKEUP; i++) {
        const void *buf;
        size_t len;
        bool head = c->head_off < c->head_len;
        if (head) {
            buf = c->head + c->head_off;
            len = c->head_len - c->head_off;
        } else if (c->data_left > 0) {
            buf = pattern;
            len = c->data_left < PATTERN_SIZE ? (size_t)c->data_left : PATTERN_SIZE;
        } else {
            break;
        }
        ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                sim_chan_arm(c);
                return;
            }
            int err = errno;
            disarm(c);
            c->errored = true;
            c->ops->error(c, err); /* may end the VMM: touch nothing after */
            return;
        }
        c->sent += (uint64_t)n;
        if (c->index < 0)
            c->v->mig.transferred += (uint64_t)n;
        if (head)
            c->head_off += (size_t)n;
        else
            c->data_left -= (uint64_t)n;
    }
    if (c->head_off < c->head_len || c->data_left > 0) {
        sim_chan_arm(c); /* more to write: come back on the next wakeup */
        return;
    }
    disarm(c);
    c->ops->done(c);
}
