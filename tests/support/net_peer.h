/* net_peer: what the net tests share: a fake migration source (a non-blocking loopback socket driven by
 * the same libevent loop as the proxy and the sink) that starts with QEMU's channel header, a recorder
 * for the proxy's hooks, and loop runners that give up at a deadline instead of hanging.
 * Test code only: it may print. */
#ifndef QMPRACE_TEST_NET_PEER_H
#define QMPRACE_TEST_NET_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "proxy.h"
#include "sink.h"
#include "vocab.h"

/* ---- running the loop ---- */

/* Runs `base` until cond(arg) holds or `ms` milliseconds pass; returns whether it holds. A 1 ms tick
 * keeps the loop from blocking past the deadline. */
bool net_run_until(struct event_base *base, bool (*cond)(void *), void *arg, unsigned ms);

/* Runs `base` for `ms` milliseconds. */
void net_run_for(struct event_base *base, unsigned ms);

/* ---- QEMU's first bytes ---- */

/* The main stream's header, as QEMU writes it (wire.h); `b` needs 8 bytes. Returns its length. */
size_t net_hdr_main(uint8_t *b);

/* Multifd channel `id`'s init packet (wire.h); `b` needs 64 bytes. Returns its length. */
size_t net_hdr_multifd(uint8_t *b, uint8_t id);

/* ---- plain sockets ---- */

/* The port of a "tcp:127.0.0.1:PORT" address. */
unsigned net_port(const char *uri);

/* Waits (bounded) until fd has something to report: data, EOF or an error. */
bool net_poll_in(int fd, int ms);

/* Like net_poll_in, but runs the loop meanwhile (for when the proxy still has to act). */
bool net_run_until_readable(struct event_base *base, int fd, unsigned ms);

/* Sends one byte; returns 0 or the errno of the failure. */
int net_send_errno(int fd);

/* recv() of up to n bytes: the count, 0 for EOF, or -errno. */
long net_recv(int fd, void *buf, size_t n);

/* Makes a fresh directory for sockets under $TMPDIR (or /tmp when that is unset or too long for a unix
 * socket path); `dir` needs 80 bytes. Returns 0 or -1. */
int net_tmpdir(char *dir, size_t n);

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

/* Connects to `port` and starts sending `hdr` and then zeros up to `total` bytes. Returns 0 or -1. */
int net_src_open(struct net_src *s, struct event_base *base, unsigned port, const uint8_t *hdr, size_t hdr_len,
                 uint64_t total);

/* Sends `more` bytes beyond what was asked so far. */
void net_src_more(struct net_src *s, uint64_t more);

/* Stops sending: what was sent so far is all there will be. */
void net_src_stop(struct net_src *s);

/* Closes with RST. */
void net_src_close(struct net_src *s);

/* Whether the source (a struct net_src *) sent all it was asked to, or failed: a net_run_until cond. */
bool net_src_done(void *arg);

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

/* Starts `l` afresh and returns proxy hooks that record into it. */
struct proxy_hooks net_log_hooks(struct net_log *l);

/* ---- sources, proxy and sink together ---- */

/* Sources pushing through a proxy into a sink, and the wait for all of it to arrive: what the close,
 * drop and reset tests share. */
struct net_world {
    struct proxy *p;
    struct sink *s;
    struct net_src *src;
    int nsrc;
    uint64_t sink_want;
};

/* Whether the world's (a struct net_world *) first nsrc sources are done and the sink has sink_want
 * bytes: a net_run_until cond. */
bool net_all_sent_and_sunk(void *arg);

/* The rig most net tests start from: a sink, and a proxy forwarding to it whose hooks log into `log`.
 * Says why on stderr and returns false when either cannot be made. */
bool net_rig_open(struct event_base *base, struct net_log *log, struct sink **s, struct proxy **p, unsigned *port);

#endif
