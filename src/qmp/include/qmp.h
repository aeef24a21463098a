/* qmp: a QMP client on a libevent bufferevent. It connects (unix or TCP) or adopts a connected socket,
 * reads the greeting, negotiates with `qmp_capabilities`, then sends commands with ids, each with its own
 * reply callback and deadline, and hands events to a listener. It detects EOF and connection resets and
 * tells them apart. A peer that sends garbage, no greeting, an oversized message or closes early gets a
 * clear error through `on_close`; nothing a peer sends can crash or hang it.
 *
 * All callbacks run on the event loop. Callbacks may call qmp_send(); qmp_free() may be called from any
 * callback (the free is then completed safely after the callback returns). */
#ifndef QMPRACE_QMP_H
#define QMPRACE_QMP_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "err.h"

struct qmp;

/* Why the connection ended. */
enum qmp_close_reason {
    QMP_CLOSED_EOF,      /* the peer closed cleanly between messages */
    QMP_CLOSED_CUT,      /* the peer closed in the middle of a message */
    QMP_CLOSED_RESET,    /* ECONNRESET / EPIPE: the peer's process died or reset the socket */
    QMP_CLOSED_PROTOCOL, /* the peer broke QMP: garbage, no greeting, oversized message, ... */
    QMP_CLOSED_TIMEOUT,  /* the greeting or qmp_capabilities did not come in time */
    QMP_CLOSED_CONNECT,  /* could not connect at all */
    QMP_CLOSED_ERROR,    /* another socket error */
};
const char *qmp_close_reason_name(enum qmp_close_reason r);

/* A reply: exactly one of `ret` (the "return" value) or `error_class`/`error_desc` is set; `timed_out`
 * is true (and the others empty) when the deadline passed first, `lost` when the connection ended.
 * Objects belong to the qmp client and live only for the duration of the callback.
 * `recv_us` is when the reply's bytes were read; for `timed_out` when the deadline fired, for `lost` when
 * the end of the connection was noticed. `id` is the number qmp_send/qmp_send_raw returned. */
struct qmp_reply {
    json_object *ret;
    const char *error_class;
    const char *error_desc;
    bool timed_out;
    bool lost;
    uint64_t id;
    uint64_t sent_us, recv_us; /* mono_now_us() when sent and when the reply arrived */
};
typedef void (*qmp_reply_cb)(void *arg, const struct qmp_reply *r);

struct qmp_hooks {
    /* Greeting read and qmp_capabilities accepted: commands may be sent. `greeting` is the "QMP" member. */
    void (*ready)(void *arg, json_object *greeting);
    /* An event ({"event": ..., "data": ..., "timestamp": ...}); `data` may be NULL. */
    void (*event)(void *arg, const char *name, json_object *data, json_object *msg);
    /* Every message sent or received, raw, for timelines (`out` true when sent). May be NULL. */
    void (*wire)(void *arg, bool out, const char *json);
    /* The connection ended. Pending commands got their `lost` callbacks (in id order) just before;
     * this is called once and no callback at all follows it. */
    void (*closed)(void *arg, enum qmp_close_reason why, const char *detail);
    void *arg;
};

/* Commands queued for a peer that stopped reading: past this the connection ends (PROTOCOL). */
#define QMP_MAX_OUTPUT (4u << 20)

struct qmp_options {
    uint64_t handshake_timeout_us; /* greeting + qmp_capabilities; 0: 5 s */
    size_t max_message;            /* 0: JSONSTREAM_DEFAULT_MAX */
};

struct qmp *qmp_new(struct event_base *base, const struct qmp_hooks *hooks, const struct qmp_options *opt);
/* Frees the client and closes the socket; pending commands get no callback. Safe inside callbacks. */
void qmp_free(struct qmp *q);

/* Starts connecting to "unix:PATH" or "tcp:HOST:PORT" (loopback only) or adopts a connected socket fd
 * (the client then owns it, and closes it even when qmp_adopt_fd fails). Errors here are immediate (bad
 * address: HOST must be numeric 127.0.0.0/8, ::1 or [::1], or `localhost`; no DNS); a failed connect(),
 * even one that fails at once, comes via `closed` (QMP_CLOSED_CONNECT). The handshake timeout counts
 * from here. No callback is made from inside these calls. */
int qmp_connect(struct qmp *q, const char *addr, struct err *e);
int qmp_adopt_fd(struct qmp *q, int fd, struct err *e);

/* Sends {"execute": cmd, "arguments": args, "id": N}. Takes ownership of `args` (may be NULL).
 * `deadline_us` is relative (0: no deadline). Returns the id (> 0), or 0 if not connected/ready.
 * `cb` may be NULL (reply ignored). */
uint64_t qmp_send(struct qmp *q, const char *cmd, json_object *args, uint64_t deadline_us, qmp_reply_cb cb,
                  void *cb_arg);
/* Sends a raw command object (`execute` or `exec-oob` must be in it); an "id" is added when missing and
 * its own id, if numeric or a string, is kept for matching (by its JSON text). Takes ownership of `cmd`.
 * Returns a fresh number from the same sequence as qmp_send's ids (the reply's `id` field), even when
 * the command keeps its own id; 0 if not ready or `cmd` is not an object.
 * Both return 0 and make no callback for a command that could not be written. The connection then
 * ends: at once when the peer stopped reading (PROTOCOL); after a socket write error, once the messages
 * the peer sent before it went away have been delivered (EOF seen, or 100 ms), with the write's errno
 * as the reason (RESET for EPIPE/ECONNRESET). `closed` always comes from the event loop. The process
 * must ignore SIGPIPE (libevent's writes of a backlog do not use MSG_NOSIGNAL). */
uint64_t qmp_send_raw(struct qmp *q, json_object *cmd, uint64_t deadline_us, qmp_reply_cb cb, void *cb_arg);

bool qmp_is_ready(const struct qmp *q);
/* Commands sent and not yet answered. */
unsigned qmp_pending(const struct qmp *q);

#endif
