/* qemu_spare: a source QEMU started ahead of need and warmed by one migration (see qemu_spare.h). */
#include "qemu_spare.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "mono.h"
#include "qmp.h"

/* Start, greeting and the warm-up migration take about 250 ms on 7.2 (64 MiB, 2 cores); a spare that is
 * not ready in 5 s will not help. */
#define WARM_LIMIT_US 5000000
/* Its migration is polled for its end this often (no MIGRATION events: the warm-up sets nothing). */
#define POLL_US 5000
#define COMMAND_US 2000000
/* `completed` comes before the migration's cleanup has run in the main loop, and until then 7.2 refuses
 * `cont` ("Migration is not finalized yet", seen under load): asked again after a poll, this many times. */
#define CONT_TRIES 100
/* Nothing leaves the process tree: QEMU pipes its stream into a shell that drops it. */
#define WARM_URI "exec:cat > /dev/null"

enum spare_state { SPARE_WARMING, SPARE_READY, SPARE_FAILED };

struct qemu_spare {
    struct qemu_vm *vm;
    struct qmp *q;
    struct event *poll, *limit;
    enum spare_state state;
    unsigned conts;
    char why[256];
};

static void fail(struct qemu_spare *s, const char *fmt, const char *what)
{
    if (s->state != SPARE_WARMING)
        return;
    s->state = SPARE_FAILED;
    snprintf(s->why, sizeof s->why, fmt, what);
    evtimer_del(s->poll);
    evtimer_del(s->limit);
    qmp_free(s->q); /* safe inside its callbacks */
    s->q = NULL;
}

static void on_line(void *arg, const char *line)
{
    (void)arg;
    (void)line; /* its trace points and messages while warming belong to no trial */
}

static void on_ended(void *arg, int status)
{
    (void)status;
    fail(arg, "%s", "the spare QEMU ended while it warmed up");
}

static const char *reply_error(const struct qmp_reply *r)
{
    return r->error_desc ? r->error_desc : r->timed_out ? "no reply" : r->lost ? "QMP ended" : "an error";
}

static void on_cont(void *arg, const struct qmp_reply *r)
{
    struct qemu_spare *s = arg;
    if (!r->ret && r->error_class && ++s->conts < CONT_TRIES) {
        struct timeval tv = mono_tv(POLL_US);
        evtimer_add(s->poll, &tv);
        return;
    }
    if (!r->ret) {
        fail(s, "the spare QEMU refused cont after its warm-up: %s", reply_error(r));
        return;
    }
    s->state = SPARE_READY;
    evtimer_del(s->limit);
    qmp_free(s->q); /* the monitor takes the next connection: the trial's */
    s->q = NULL;
}

static void on_status(void *arg, const struct qmp_reply *r)
{
    struct qemu_spare *s = arg;
    json_object *st = NULL;
    if (!r->ret || !json_object_object_get_ex(r->ret, "status", &st)) {
        fail(s, "the spare QEMU's query-migrate: %s", reply_error(r));
        return;
    }
    const char *status = json_object_get_string(st);
    if (strcmp(status, "completed") == 0) {
        if (!qmp_send(s->q, "cont", NULL, COMMAND_US, on_cont, s))
            fail(s, "%s", "the spare QEMU's QMP ended before cont");
        return;
    }
    if (strcmp(status, "failed") == 0 || strcmp(status, "cancelled") == 0) {
        fail(s, "the spare QEMU's warm-up migration ended %s", status);
        return;
    }
    struct timeval tv = mono_tv(POLL_US);
    evtimer_add(s->poll, &tv);
}

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct qemu_spare *s = arg;
    if (!qmp_send(s->q, "query-migrate", NULL, COMMAND_US, on_status, s))
        fail(s, "%s", "the spare QEMU's QMP ended while it migrated");
}

static void on_migrate(void *arg, const struct qmp_reply *r)
{
    struct qemu_spare *s = arg;
    if (!r->ret) {
        fail(s, "the spare QEMU refused its warm-up migration: %s", reply_error(r));
        return;
    }
    on_poll(-1, 0, s);
}

static void on_ready(void *arg, json_object *greeting)
{
    (void)greeting;
    struct qemu_spare *s = arg;
    json_object *args = json_object_new_object();
    if (args)
        json_object_object_add(args, "uri", json_object_new_string(WARM_URI));
    if (!args || !qmp_send(s->q, "migrate", args, COMMAND_US, on_migrate, s))
        fail(s, "%s", "the spare QEMU's QMP ended before its warm-up migration");
}

static void on_closed(void *arg, enum qmp_close_reason why, const char *detail)
{
    struct qemu_spare *s = arg;
    char buf[200];
    snprintf(buf, sizeof buf, "%s: %s", qmp_close_reason_name(why), detail ? detail : "");
    fail(s, "the spare QEMU's QMP ended (%s)", buf);
}

static void on_limit(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    fail(arg, "%s", "the spare QEMU was not warmed up within 5 s");
}

struct qemu_spare *qemu_spare_start(struct event_base *base, const struct qemu_launch *l, struct err *e)
{
    struct qemu_spare *s = calloc(1, sizeof *s);
    if (!s) {
        err_set(e, "out of memory");
        return NULL;
    }
    struct qemu_vm_hooks vh = {on_line, on_ended, NULL, s};
    struct qmp_hooks qh = {.ready = on_ready, .closed = on_closed, .arg = s};
    s->poll = evtimer_new(base, on_poll, s);
    s->limit = evtimer_new(base, on_limit, s);
    s->q = qmp_new(base, &qh, NULL);
    if (!s->poll || !s->limit || !s->q) {
        err_set(e, "out of memory");
        goto fail;
    }
    if (!(s->vm = qemu_vm_start(base, l, &vh, e)) || qmp_connect(s->q, qemu_vm_qmp_addr(s->vm), e) < 0)
        goto fail;
    struct timeval tv = mono_tv(WARM_LIMIT_US);
    evtimer_add(s->limit, &tv);
    return s;
fail:
    qemu_spare_free(s);
    return NULL;
}

void qemu_spare_free(struct qemu_spare *s)
{
    if (!s)
        return;
    qmp_free(s->q);
    qemu_vm_free(s->vm);
    if (s->poll)
        event_free(s->poll);
    if (s->limit)
        event_free(s->limit);
    free(s);
}

bool qemu_spare_wait(struct qemu_spare *s, struct event_base *base)
{
    while (s->state == SPARE_WARMING) {
        event_base_loop(base, EVLOOP_ONCE);
        if (event_base_got_break(base))
            break;
    }
    return s->state == SPARE_READY;
}

struct qemu_vm *qemu_spare_take(struct qemu_spare *s, const struct qemu_vm_hooks *hooks)
{
    if (s->state != SPARE_READY || !s->vm || qemu_vm_ending(s->vm))
        return NULL;
    qemu_vm_drain(s->vm); /* what it said while warming goes to its own hooks: dropped */
    struct qemu_vm *vm = s->vm;
    s->vm = NULL;
    qemu_vm_set_hooks(vm, hooks);
    return vm;
}

const char *qemu_spare_failure(const struct qemu_spare *s)
{
    return s->why;
}
