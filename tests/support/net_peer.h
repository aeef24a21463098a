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

#include "faults.h"
#include "proxy.h"
#include "sink.h"
#include "vocab.h"

/* ---- running the loop ---- */

/* Runs `base` until cond(arg) holds or `ms` milliseconds pass; returns whether it holds. A 1 ms tick
 * keeps the loop from blocking past the deadline. */
bool net_run_until(struct event_base *base, bool (*cond)(void *), void *arg, unsigned ms);

/* Runs `base` for `ms` milliseconds. */
void net_run_for(struct event_base *base, unsigned ms);

/* Run the loop until a count reaches `n` (true), or for `ms` milliseconds (false): the bytes proxy
 * channel `index` has counted, the channels the proxy has numbered, the bytes the sink has taken; or
 * until the sink holds exactly `n` connections. */
bool net_wait_channel_bytes(struct event_base *base, struct proxy *p, unsigned index, uint64_t n, unsigned ms);
bool net_wait_channels(struct event_base *base, struct proxy *p, unsigned n, unsigned ms);
bool net_wait_sink_bytes(struct event_base *base, struct sink *s, uint64_t n, unsigned ms);
bool net_wait_sink_open(struct event_base *base, struct sink *s, unsigned n, unsigned ms);

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

/* net_src_open with the header channel `chan` starts with: CHAN_MAIN or multifd channel N. */
int net_src_open_chan(struct net_src *s, struct event_base *base, unsigned port, int chan, uint64_t total);

/* Whether the source (a struct net_src *) sent all it was asked to, or failed: a net_run_until cond. */
bool net_src_done(void *arg);

/* Whether a send of the source (a struct net_src *) failed (err is set): a net_run_until cond. */
bool net_src_failed(void *arg);

/* Whether a send of the source would block (a full socket: EAGAIN seen) or failed: a net_run_until cond. */
bool net_src_blocked(void *arg);

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
    /* optional: what the test wants done from inside the bytes hook, once the hook is recorded */
    void (*on_bytes)(struct net_log *l, uint64_t all_total);
    void *user;
};

/* Starts `l` afresh (on_bytes and user too): a proxy that records into it goes on doing so. */
void net_log_reset(struct net_log *l);

/* Whether the log (a struct net_log *) recorded a channel's end: a net_run_until cond. */
bool net_log_any_ended(void *arg);

/* A proxy forwarding to `upstream` whose hooks record into `log`; NULL, and a failed check saying why,
 * when it cannot be made. */
struct proxy *net_log_proxy(struct event_base *base, const char *upstream, struct net_log *log);

/* ---- sources, proxy and sink together ---- */

#define NET_RIG_SRC 3

/* The rig most net tests start from: a loop, a sink, a proxy forwarding to it whose hooks record into
 * `log`, and room for the test's fake sources. net_rig_start gives them the channels of a migration
 * with two multifd channels: src[i] is channel net_rig_chan[i] (main, multifd0, multifd1), connected
 * in that order. */
struct net_rig {
    struct event_base *base;
    struct sink *s;
    struct proxy *p;
    struct net_log log;
    unsigned port; /* the proxy's */
    struct net_src src[NET_RIG_SRC];
    int nsrc;           /* the sources net_rig_through waits for: src[0..nsrc-1] */
    uint64_t sink_want; /* and the bytes the sink is to have */
};
extern const int net_rig_chan[NET_RIG_SRC];

/* Returns false, with a failed check saying why, when the rig cannot be made. The sources start
 * closed. */
bool net_rig_open(struct net_rig *r);

/* Connects all NET_RIG_SRC sources, each to send `each` bytes, and waits (5 s at most) until all of it
 * is in the sink. Returns whether it is; a source that cannot connect or a wait that times out is a
 * failed check. */
bool net_rig_start(struct net_rig *r, uint64_t each);

/* Whether the rig's (a struct net_rig *) first nsrc sources are done and the sink has sink_want bytes:
 * a net_run_until cond. */
bool net_rig_through(void *arg);

/* Closes every source, then frees the proxy (unless r->p is NULL: a test freed it), the sink and the
 * loop. */
void net_rig_close(struct net_rig *r);

#endif
