/* qmp_peer: test helpers for the QMP client. A scripted fake peer (the other end of a socketpair or an
 * accepted TCP connection) that writes its bytes in steps on the test's event loop, waiting before each
 * step until the client has read the previous one so that step boundaries are read boundaries; and a
 * recorder that logs every client callback as one line, so two runs compare as strings.
 * Never used outside tests; everything is bounded by a guard timer (peer_run_until). */
#ifndef QMPRACE_TEST_QMP_PEER_H
#define QMPRACE_TEST_QMP_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "qmp.h"

#define QMP_GREETING                                                                                   \
    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, \"package\": "    \
    "\"Debian 1:7.2+dfsg-7+deb12u18\"}, \"capabilities\": [\"oob\"]}}\r\n"
#define QMP_CAPS_OK "{\"return\": {}, \"id\": 1}\r\n"

/* ---- the peer ---- */

/* DATA_CLOSE: the data, then close at once (the client reads both in one go: a process that writes
 * its last words and dies). SHUT_RD: stop receiving (the client's writes fail, our data still flows). */
enum peer_kind { PEER_DATA, PEER_CLOSE, PEER_RESET, PEER_SHUT_WR, PEER_SHUT_RD, PEER_DATA_CLOSE };

struct peer_step {
    enum peer_kind kind;
    uint64_t delay_us; /* after the previous step */
    char *data;
    size_t len;
};

struct peer {
    struct event_base *base;
    int fd;
    int client_fd; /* the client's end, to wait until it has read our bytes; -1: do not wait */
    struct peer_step *steps;
    size_t nsteps, cap, next, off;
    unsigned waits;
    size_t written;
    int write_error;
    struct event *timer, *wr, *rd;
    char got[65536]; /* what the client sent, as text */
    size_t ngot;
    bool got_eof;
    int read_error;
};

/* A peer on `fd`; `reading`: whether it reads what the client sends (false: it never does). */
void peer_init(struct peer *p, struct event_base *base, int fd, int client_fd, bool reading);

/* Adds a step, `delay_us` after the previous one; `data` (copied) for the DATA kinds. */
void peer_add(struct peer *p, enum peer_kind kind, uint64_t delay_us, const char *data, size_t len);

/* Adds a PEER_DATA step of `text`. */
void peer_say(struct peer *p, uint64_t delay_us, const char *text);

/* Runs the steps from the loop. */
void peer_start(struct peer *p);

/* Takes what the client sent last, closes the peer's end and frees the steps. */
void peer_fini(struct peer *p);

/* ---- the recorder ---- */

struct rec;
typedef void (*rec_action)(struct rec *r, const char *what);

struct rec {
    struct qmp *q;
    struct peer *peer;
    char log[65536];
    size_t len;
    bool log_wire;
    int closed;
    enum qmp_close_reason why;
    char detail[256];
    uint64_t start_us, closed_us;
    bool done;
    /* Test actions, called after the callback was logged; `what` is the logged line. */
    rec_action on_ready, on_event, on_reply, on_closed, on_wire;
    void *user;
};

/* Adds a line (or anything) to the log. */
__attribute__((format(printf, 2, 3))) void rec_log(struct rec *r, const char *fmt, ...);

/* The client hooks that log into `r`: ready, event, wire (only with log_wire), closed. */
struct qmp_hooks rec_hooks(struct rec *r);

/* A qmp_send callback (arg: the struct rec) that logs the reply: return, error, lost or timed_out. */
void rec_reply(void *arg, const struct qmp_reply *rp);

/* ---- a client and its peer ---- */

/* A QMP client (rec.q) on one end of a socketpair, the scripted peer on the other, the client's hooks
 * logging into `rec` (rec.start_us: when it was made). */
struct peer_conn {
    struct peer peer;
    struct rec rec;
};

/* `opt` as for qmp_new; `peer_reads` as for peer_init. */
struct peer_conn *peer_conn_new(struct event_base *base, const struct qmp_options *opt, bool peer_reads);

/* Frees the client (if rec.q is still set) and the peer. */
void peer_conn_free(struct peer_conn *c);

/* The peer's side of the handshake: the greeting, then the reply to qmp_capabilities. */
void peer_handshake(struct peer *p);

/* Starts the peer's script and runs the loop until the client reported `closed` (2 s at most: a hang is
 * a failed check). Returns whether it closed. */
bool peer_conn_run(struct peer_conn *c);

/* A listening socket whose first connection gets a scripted peer (the script adds its steps, then the
 * peer starts); later connections are closed. For clients that connect by address. */
struct peer_server {
    int lfd;
    struct event *acc;
    struct peer peer;
    bool accepted;
    void (*script)(struct peer *p);
};

/* Serves on `lfd` (bound; listened on here). */
void peer_server_start(struct peer_server *s, struct event_base *base, int lfd, void (*script)(struct peer *p));

/* Frees the peer, if any, and closes the listener. */
void peer_server_stop(struct peer_server *s);

/* ---- the loop ---- */

/* Runs the loop until *done or `limit_us` passed; a guard timer makes a hang a failed test. */
bool peer_run_until(struct event_base *base, const bool *done, uint64_t limit_us);

/* Runs the loop for `us` more (to see that nothing else happens). */
void peer_run_for(struct event_base *base, uint64_t us);

/* A socketpair: sv[0] for the client, sv[1] for the peer. */
void peer_socketpair(int sv[2]);

#endif
