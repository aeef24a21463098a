/* qemu_dest: a destination QEMU for one trial, kept in step with the source's migration settings (see
 * qemu_dest.h). */
#include "qemu_dest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "mono.h"
#include "qemu_proc.h"
#include "qemu_trace.h"
#include "qemu_vm.h"
#include "qmp.h"

/* Start to greeting takes tens of ms here. */
#define READY_WAIT_US (10u * 1000000u)
/* How long qemu_dest_query_running waits for a destination still loading (`inmigrate`): 50 x 10 ms. */
#define RUNNING_POLLS 50
#define RUNNING_POLL_US 10000

struct qemu_dest {
    struct qemu_vm *vm;
    struct qmp *q;
    void (*output)(void *arg, const char *line);
    void *arg;
    bool ready, closed, ended, migrating;
    char dir[256], sock[300];
    int in_fd; /* O_PATH of the incoming socket, once it exists */
    char upstream[48];
    char why[256];
    /* qemu_dest_query_running's question, while it is open */
    struct event *poll_ev;
    void (*running_cb)(void *arg, int running);
    void *running_arg;
    unsigned polls;
};

static void on_line(void *arg, const char *line)
{
    struct qemu_dest *d = arg;
    struct qemu_trace_point tp;
    if (qemu_trace_parse(line, &tp) || !d->output)
        return;
    char buf[QEMU_LINE_MAX + 8];
    snprintf(buf, sizeof buf, "dest: %s", line);
    d->output(d->arg, buf);
}

static void on_ended(void *arg, int status)
{
    struct qemu_dest *d = arg;
    char how[64], buf[96];
    d->ended = true;
    qemu_proc_status_text(status, how, sizeof how);
    snprintf(d->why, sizeof d->why, "the destination QEMU %s", how);
    snprintf(buf, sizeof buf, "dest: %s", d->why + 4);
    if (d->output)
        d->output(d->arg, buf);
}

static void on_ready(void *arg, json_object *greeting)
{
    (void)greeting;
    struct qemu_dest *d = arg;
    d->ready = true;
}

struct reply {
    bool done;
    char error[256];
};

static void on_reply(void *arg, const struct qmp_reply *r)
{
    struct reply *rep = arg;
    rep->done = true;
    if (r->error_class || r->timed_out || r->lost)
        snprintf(rep->error, sizeof rep->error, "%s", r->error_desc ? r->error_desc : "no reply");
}

/* Runs `base` until `done` or the deadline passes, the destination goes away, or the loop is broken (an
 * interrupt): the caller's wait, bounded. */
static int wait_for(struct qemu_dest *d, struct event_base *base, const bool *done, uint64_t t0, struct err *e)
{
    while (!*done && !d->closed && !d->ended && mono_now_us() - t0 < READY_WAIT_US) {
        event_base_loop(base, EVLOOP_ONCE);
        if (event_base_got_break(base))
            return err_set(e, "interrupted while starting the destination QEMU");
    }
    if (*done)
        return 0;
    return err_set(e, "the destination QEMU did not become ready: %s", d->why[0] ? d->why : "no answer in 10s");
}

static int command(struct qemu_dest *d, struct event_base *base, const char *cmd, const char *args, uint64_t t0,
                   struct err *e)
{
    struct reply rep = {0};
    if (!qmp_send(d->q, cmd, json_tokener_parse(args), 0, on_reply, &rep))
        return err_set(e, "the destination QEMU's QMP is not connected");
    if (wait_for(d, base, &rep.done, t0, e) < 0)
        return -1;
    if (rep.error[0])
        return err_set(e, "the destination QEMU refused %s: %s", cmd, rep.error);
    return 0;
}

static void on_closed(void *arg, enum qmp_close_reason why, const char *detail)
{
    struct qemu_dest *d = arg;
    d->closed = true;
    if (!d->why[0])
        snprintf(d->why, sizeof d->why, "QMP of the destination QEMU ended (%s): %s", qmp_close_reason_name(why),
                 detail ? detail : "");
}

void qemu_dest_settings_note(struct qemu_dest_settings *s, const char *event, const char *args)
{
    bool caps = strcmp(event, "qmp_enter_migrate_set_capabilities") == 0;
    if (!caps && strcmp(event, "qmp_enter_migrate_set_parameters") != 0)
        return;
    json_object *a = json_tokener_parse(args), *list;
    json_object **into = caps ? &s->caps : &s->params;
    if (!*into)
        *into = json_object_new_object();
    if (!a || !*into || !json_object_is_type(a, json_type_object)) {
        json_object_put(a);
        return;
    }
    if (caps && json_object_object_get_ex(a, "capabilities", &list)) {
        size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
        for (size_t i = 0; i < n; i++) {
            json_object *item = json_object_array_get_idx(list, i), *name, *state;
            if (json_object_object_get_ex(item, "capability", &name) &&
                json_object_object_get_ex(item, "state", &state))
                json_object_object_add(*into, json_object_get_string(name), json_object_get(state));
        }
    } else if (!caps) {
        json_object_object_foreach(a, key, val)
            json_object_object_add(*into, key, json_object_get(val));
    }
    json_object_put(a);
}

void qemu_dest_settings_clear(struct qemu_dest_settings *s)
{
    json_object_put(s->caps);
    json_object_put(s->params);
    s->caps = s->params = NULL;
}

/* {"capabilities": [{"capability": NAME, "state": BOOL}, ...]} from the remembered map. */
static char *caps_args(json_object *caps)
{
    json_object *list = json_object_new_array(), *o = json_object_new_object();
    json_object_object_foreach(caps, name, state)
    {
        json_object *item = json_object_new_object();
        json_object_object_add(item, "capability", json_object_new_string(name));
        json_object_object_add(item, "state", json_object_get(state));
        json_object_array_add(list, item);
    }
    json_object_object_add(o, "capabilities", list);
    char *text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return text;
}

struct qemu_dest *qemu_dest_start(struct event_base *base, const struct qemu_launch *l,
                                  const struct qemu_dest_settings *settings,
                                  void (*output)(void *arg, const char *line), void *arg, struct err *e)
{
    struct qemu_dest *d = calloc(1, sizeof *d);
    if (!d) {
        err_set(e, "out of memory");
        return NULL;
    }
    d->in_fd = -1;
    d->output = output;
    d->arg = arg;
    const char *tmpdir = getenv("TMPDIR");
    snprintf(d->dir, sizeof d->dir, "%s/qmprace-dest-XXXXXX", tmpdir && *tmpdir ? tmpdir : P_tmpdir);
    if (strlen(d->dir) > 80)
        snprintf(d->dir, sizeof d->dir, "%s/qmprace-dest-XXXXXX", P_tmpdir);
    if (!mkdtemp(d->dir)) {
        err_set(e, "mkdtemp %s: %s", d->dir, strerror(errno));
        d->dir[0] = '\0';
        goto fail;
    }
    snprintf(d->sock, sizeof d->sock, "unix:%s/in", d->dir);
    struct qemu_launch launch = *l;
    launch.role = QEMU_DEST;
    launch.incoming = "defer";
    struct qemu_vm_hooks h = {on_line, on_ended, NULL, d};
    d->vm = qemu_vm_start(base, &launch, &h, e);
    if (!d->vm) {
        err_prefix(e, "cannot start the destination QEMU");
        goto fail;
    }
    struct qmp_hooks qh = {.ready = on_ready, .closed = on_closed, .arg = d};
    d->q = qmp_new(base, &qh, NULL);
    if (!d->q || qmp_connect(d->q, qemu_vm_qmp_addr(d->vm), e) < 0) {
        if (!d->q)
            err_set(e, "out of memory");
        goto fail;
    }
    /* The loop runs whatever else is on the base meanwhile; a loopbreak (an interrupt) stops the wait.
     * The incoming socket's backlog is fixed when it starts listening: multifd-channels if multifd is on
     * then, else 1, and a unix socket refuses (EAGAIN) what does not fit. So it starts listening with room
     * for any number of channels, and the defaults come back before the source's settings are mirrored. */
    uint64_t t0 = mono_now_us();
    char incoming[sizeof d->sock + 16];
    snprintf(incoming, sizeof incoming, "{\"uri\":\"%s\"}", d->sock);
    if (wait_for(d, base, &d->ready, t0, e) < 0 ||
        command(d, base, "migrate-set-capabilities", "{\"capabilities\":[{\"capability\":\"multifd\",\"state\":true}]}",
                t0, e) < 0 ||
        command(d, base, "migrate-set-parameters", "{\"multifd-channels\":255}", t0, e) < 0 ||
        command(d, base, "migrate-incoming", incoming, t0, e) < 0 ||
        command(d, base, "migrate-set-capabilities", "{\"capabilities\":[{\"capability\":\"multifd\",\"state\":false}]}",
                t0, e) < 0 ||
        command(d, base, "migrate-set-parameters", "{\"multifd-channels\":2}", t0, e) < 0)
        goto fail;
    if (settings && settings->caps && json_object_object_length(settings->caps) > 0) {
        char *a = caps_args(settings->caps);
        int rc = a ? command(d, base, "migrate-set-capabilities", a, t0, e) : err_set(e, "out of memory");
        free(a);
        if (rc < 0)
            goto fail;
    }
    if (settings && settings->params && json_object_object_length(settings->params) > 0 &&
        command(d, base, "migrate-set-parameters",
                json_object_to_json_string_ext(settings->params, JSON_C_TO_STRING_PLAIN), t0, e) < 0)
        goto fail;
    /* Reached through /proc/self/fd from now on, so the directory can go at once. */
    d->in_fd = open(d->sock + 5, O_PATH | O_CLOEXEC);
    if (d->in_fd < 0) {
        err_set(e, "the destination QEMU's incoming socket %s: %s", d->sock + 5, strerror(errno));
        goto fail;
    }
    unlink(d->sock + 5);
    rmdir(d->dir);
    d->dir[0] = '\0';
    snprintf(d->upstream, sizeof d->upstream, "unix:/proc/self/fd/%d", d->in_fd);
    return d;
fail:
    qemu_dest_free(d);
    return NULL;
}

static void running_answer(struct qemu_dest *d, int running)
{
    void (*cb)(void *, int) = d->running_cb;
    d->running_cb = NULL;
    if (cb)
        cb(d->running_arg, running);
}

static void running_reply(void *arg, const struct qmp_reply *r)
{
    struct qemu_dest *d = arg;
    if (!d->running_cb)
        return;
    json_object *st = NULL;
    if (!r->lost && !r->timed_out && !r->error_class && r->ret)
        json_object_object_get_ex(r->ret, "status", &st);
    const char *s = st ? json_object_get_string(st) : NULL;
    if (s && strcmp(s, "inmigrate") == 0) { /* still loading: ask again, a bounded number of times */
        if (d->polls++ < RUNNING_POLLS) {
            struct timeval tv = {0, RUNNING_POLL_US};
            evtimer_add(d->poll_ev, &tv);
        } else {
            running_answer(d, -1);
        }
        return;
    }
    /* no answer: the destination QEMU is gone (it exits when its incoming migration fails) */
    running_answer(d, s && strcmp(s, "running") == 0 ? 1 : 0);
}

static void running_poll(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct qemu_dest *d = arg;
    if (!d->running_cb)
        return;
    if (d->closed || d->ended || !qmp_send(d->q, "query-status", NULL, 0, running_reply, d))
        running_answer(d, 0);
}

int qemu_dest_query_running(struct qemu_dest *d, struct event_base *base, void (*done)(void *arg, int running),
                            void *arg)
{
    if (!d->poll_ev && !(d->poll_ev = evtimer_new(base, running_poll, d)))
        return -1;
    d->running_cb = done;
    d->running_arg = arg;
    d->polls = 0;
    struct timeval now = {0, 0};
    return evtimer_add(d->poll_ev, &now); /* asked from the loop, never from inside the caller */
}

void qemu_dest_free(struct qemu_dest *d)
{
    if (!d)
        return;
    if (d->poll_ev)
        event_free(d->poll_ev);
    qmp_free(d->q);
    qemu_vm_free(d->vm);
    if (d->in_fd >= 0)
        close(d->in_fd);
    if (d->dir[0]) {
        unlink(d->sock + 5);
        rmdir(d->dir);
    }
    free(d);
}

const char *qemu_dest_upstream(const struct qemu_dest *d)
{
    return d->upstream;
}

void qemu_dest_mirror(struct qemu_dest *d, const char *event, const char *args)
{
    if (d->migrating || !d->ready || d->closed)
        return;
    const char *cmd = NULL;
    if (strcmp(event, "qmp_enter_migrate_set_capabilities") == 0)
        cmd = "migrate-set-capabilities";
    else if (strcmp(event, "qmp_enter_migrate_set_parameters") == 0)
        cmd = "migrate-set-parameters";
    else if (strcmp(event, "qmp_enter_migrate") == 0)
        d->migrating = true;
    if (!cmd)
        return;
    json_object *a = json_tokener_parse(args);
    if (a && json_object_is_type(a, json_type_object))
        qmp_send(d->q, cmd, a, 0, NULL, NULL);
    else
        json_object_put(a);
}
