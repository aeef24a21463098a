/* sim_driver: drives the simulated VMM in tests without src/qmp: a QMP client on a socketpair (send a
 * command, run the loop until its reply or an event, always with a deadline), recorders for the VMM's
 * hooks, and a loopback "destination" that stands in for proxy + destination: it accepts migration
 * channels, discards what they send, and can reset them all after N bytes (SO_LINGER {1,0}, then
 * close), like `after 8MiB on any: reset all`. Everything is bounded in time; nothing here sleeps.
 * Test code only: it may print. */
#ifndef QMPRACE_TEST_SIM_DRIVER_H
#define QMPRACE_TEST_SIM_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "jsonstream.h"
#include "sim.h"

#define DRV_MAX_MSGS 512
#define DRV_MAX_TRACES 512
#define DRV_MAX_OUT 32
#define DRV_MAX_CONNS 16
#define DRV_TIMEOUT_MS 3000

/* Scratch space for reads whose bytes do not matter. */
extern unsigned char drv_sink_buf[256 << 10];

/* ---------------- the destination ---------------- */

struct drv_conn {
    int fd;
    struct event *ev;
    unsigned char head[64]; /* the first bytes the channel sent */
    size_t headn;
    uint64_t bytes;
    bool eof;
};

struct drv_dest {
    struct event_base *base;
    int lfd;
    struct event *lev;
    uint16_t port;
    struct drv_conn conns[DRV_MAX_CONNS];
    int nconns;
    uint64_t total;
    uint64_t reset_after; /* 0: never */
    bool reset_done;
    bool paused; /* accept, but read nothing: the sender's socket buffers fill and it stalls */
};

/* Listens on 127.0.0.1 (a port of the kernel's choosing, in d->port); resets every channel once they
 * have sent `reset_after` bytes together (0: never). Returns 0 or -1. */
int drv_dest_open(struct drv_dest *d, struct event_base *base, uint64_t reset_after);
/* Ends d->paused: reads again from every channel accepted meanwhile. */
void drv_dest_resume(struct drv_dest *d);
/* Resets every channel and closes the listener. */
void drv_dest_close(struct drv_dest *d);

/* ---------------- the client and the hook recorders ---------------- */

struct drv_trace {
    char thread[24];
    char event[64];
    char args[160];
};

struct drv {
    struct event_base *base;
    struct sim_vmm *vmm;
    struct drv_dest dest;
    bool have_dest;
    int fd;
    struct event *rev;
    struct jsonstream *js;
    json_object *msgs[DRV_MAX_MSGS];
    bool taken[DRV_MAX_MSGS];
    int nmsgs;
    int dropped; /* messages that came after msgs[] was full */
    bool eof;
    int next_id;
    struct drv_trace traces[DRV_MAX_TRACES];
    int ntraces;
    char outputs[DRV_MAX_OUT][256];
    int noutputs;
    int died_calls;
    int died_signo;
    char died_msg[256];
    bool died_msg_null;
    int hooks_after_died;
    int holds, releases;
    /* Optional reaction inside the trace hook: freeze a thread when `react_event` (with args
     * `react_args`, if set) is first traced, as a schedule's `on trace ...: freeze ...` would. */
    const char *react_event;
    const char *react_args;
    struct thread_ref react_thread;
    uint64_t react_us;
    bool reacted;
};

/* A test that hangs fails instead: the whole program gets a hard limit (the first call sets it). */
void drv_guard(unsigned seconds);

/* The model's delays are tens of microseconds to milliseconds: the base needs the precise clock. */
struct event_base *drv_base_new(void);

/* A new VMM of `model` with `ram_bytes` of RAM on a base of its own, served on a socketpair whose other
 * end is the driver's QMP client; its hooks record into `d`. Also sets drv_guard(60). Returns 0 or -1
 * (saying why on stderr). drv_close() frees it all. */
int drv_open(struct drv *d, const char *model, uint64_t ram_bytes);

/* A QMP client on `fd` (connected; made non-blocking here) to a VMM the driver does not own, such as
 * one behind a sim_server, read on `base`. Returns 0 or -1. drv_detach() closes it, not the base. */
int drv_attach(struct drv *d, struct event_base *base, int fd);
void drv_detach(struct drv *d);

/* Gives the driver a destination (d->dest) to migrate to; see drv_dest_open. */
int drv_open_dest(struct drv *d, uint64_t reset_after);

void drv_close(struct drv *d);

/* Runs the loop once, waking after at most `max_us`. */
void drv_step(struct drv *d, uint64_t max_us);

/* Runs the loop for `ms` milliseconds, and once more after: if the process was not scheduled for the
 * whole time, what became due meanwhile (a modeled thread's timer) still runs before the caller goes on,
 * as it would have on an idle machine. */
void drv_pump(struct drv *d, unsigned ms);

typedef bool (*drv_pred)(struct drv *d, void *arg);

/* Runs the loop until pred(d, arg) holds (true) or `timeout_ms` passed (false). */
bool drv_wait(struct drv *d, drv_pred pred, void *arg, unsigned timeout_ms);

/* Writes `text` to the VMM as it is, running the loop while the socket is full. */
void drv_send_raw(struct drv *d, const char *text);

/* Sends {"execute": NAME, "arguments": ARGS, "id": "dN"}; returns N. ARGS is JSON text or NULL. */
int drv_send(struct drv *d, const char *name, const char *args);

/* The reply to command N among the messages received so far, or NULL. */
json_object *drv_find_reply(struct drv *d, int id);

/* Waits (DRV_TIMEOUT_MS at most) for the reply to command N; NULL on timeout/EOF. */
json_object *drv_reply(struct drv *d, int id);

/* Runs a command and returns its reply (owned by the driver), or NULL on timeout/EOF. */
json_object *drv_cmd(struct drv *d, const char *name, const char *args);

/* A reply's error.desc / error.class, or NULL. */
const char *drv_error_desc(json_object *reply);
const char *drv_error_class(json_object *reply);

/* Whether the reply has a "return"; that "return", or NULL; the same as JSON text, or "". */
bool drv_ok(json_object *reply);
json_object *drv_return(json_object *reply);
const char *drv_return_text(json_object *reply);

/* Events NAME received so far (with data.status STATUS if set). */
int drv_count_events(struct drv *d, const char *name, const char *status);

/* Waits for the next not yet taken event NAME (with data.status STATUS if set); NULL on timeout/EOF. */
json_object *drv_event(struct drv *d, const char *name, const char *status, unsigned timeout_ms);

/* Waits for the `died` hook / for EOF on the QMP socket. */
bool drv_wait_death(struct drv *d, unsigned timeout_ms);
bool drv_wait_eof(struct drv *d, unsigned timeout_ms);

/* Trace points recorded so far named `event` (with exactly `args` if set): how many, the first one's
 * index (-1: none). */
int drv_count_traces(struct drv *d, const char *event, const char *args);
int drv_find_trace(struct drv *d, const char *event, const char *args);

/* Whether the VMM printed `line`. */
bool drv_has_output(struct drv *d, const char *line);

/* Greeting, then qmp_capabilities; returns true when negotiated. */
bool drv_negotiate(struct drv *d);

/* The usual set-up: events on, multifd as asked, `channels` channels, then migrate to the test
 * destination. Returns the migrate reply. */
json_object *drv_start_migration(struct drv *d, bool multifd, int channels);

/* True while query-yank lists the migration instance (the cheap "cleanup has not finished" probe). */
bool drv_yank_has_migration(struct drv *d);

/* Polls query-yank until the migration instance is gone (cleanup done) or the VMM died. */
bool drv_wait_cleanup(struct drv *d, unsigned timeout_ms);

#endif
