/* sim_driver: the simulated VMM's test driver (see sim_driver.h). */
#include "sim_driver.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mono.h"
#include "sockets.h"

/* ---------------- the destination ---------------- */

unsigned char drv_sink_buf[256 << 10];

static void drv_conn_close(struct drv_conn *c, bool rst)
{
    if (c->ev) {
        event_free(c->ev);
        c->ev = NULL;
    }
    if (c->fd >= 0) {
        if (rst)
            sock_rst_close(c->fd);
        else
            close(c->fd);
        c->fd = -1;
    }
}

static void drv_dest_reset_all(struct drv_dest *d)
{
    for (int i = 0; i < d->nconns; i++)
        drv_conn_close(&d->conns[i], true);
    d->reset_done = true;
}

static void drv_dest_read(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct drv_conn *c = arg;
    ssize_t n = read(fd, drv_sink_buf, sizeof drv_sink_buf);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        c->eof = true;
        event_del(c->ev);
        return;
    }
    size_t take = c->headn < sizeof c->head ? sizeof c->head - c->headn : 0;
    if (take > (size_t)n)
        take = (size_t)n;
    memcpy(c->head + c->headn, drv_sink_buf, take);
    c->headn += take;
    c->bytes += (uint64_t)n;
}

static void drv_dest_check(struct drv_dest *d)
{
    uint64_t t = 0;
    for (int i = 0; i < d->nconns; i++)
        t += d->conns[i].bytes;
    d->total = t;
    if (d->reset_after && !d->reset_done && t >= d->reset_after)
        drv_dest_reset_all(d);
}

static void drv_dest_accept(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct drv_dest *d = arg;
    int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0)
        return;
    if (d->nconns == DRV_MAX_CONNS || d->reset_done) {
        sock_rst_close(c);
        return;
    }
    struct drv_conn *cn = &d->conns[d->nconns++];
    memset(cn, 0, sizeof *cn);
    cn->fd = c;
    cn->ev = event_new(d->base, c, EV_READ | EV_PERSIST, drv_dest_read, cn);
    if (!d->paused)
        event_add(cn->ev, NULL);
}

int drv_dest_open(struct drv_dest *d, struct event_base *base, uint64_t reset_after)
{
    memset(d, 0, sizeof *d);
    d->base = base;
    d->reset_after = reset_after;
    unsigned port = 0;
    d->lfd = sock_listen(AF_INET, "127.0.0.1", &port);
    if (d->lfd < 0)
        return -1;
    d->port = (uint16_t)port;
    d->lev = event_new(base, d->lfd, EV_READ | EV_PERSIST, drv_dest_accept, d);
    return event_add(d->lev, NULL);
}

void drv_dest_resume(struct drv_dest *d)
{
    d->paused = false;
    for (int i = 0; i < d->nconns; i++)
        if (d->conns[i].ev && !d->conns[i].eof)
            event_add(d->conns[i].ev, NULL);
}

void drv_dest_close(struct drv_dest *d)
{
    for (int i = 0; i < d->nconns; i++)
        drv_conn_close(&d->conns[i], true);
    if (d->lev)
        event_free(d->lev);
    if (d->lfd >= 0)
        close(d->lfd);
    d->lev = NULL;
    d->lfd = -1;
}

/* ---------------- the client and the hook recorders ---------------- */

static void drv_after_death(struct drv *d)
{
    if (d->died_calls > 0)
        d->hooks_after_died++;
}

static void drv_on_trace(void *arg, const char *thread, const char *event, const char *args)
{
    struct drv *d = arg;
    drv_after_death(d);
    if (d->ntraces < DRV_MAX_TRACES) {
        struct drv_trace *t = &d->traces[d->ntraces++];
        snprintf(t->thread, sizeof t->thread, "%s", thread);
        snprintf(t->event, sizeof t->event, "%s", event);
        snprintf(t->args, sizeof t->args, "%s", args);
    }
    if (d->react_event && !d->reacted && strcmp(event, d->react_event) == 0 &&
        (!d->react_args || strcmp(args, d->react_args) == 0)) {
        d->reacted = true;
        sim_vmm_freeze(d->vmm, d->react_thread, d->react_us, NULL);
    }
}

static void drv_on_output(void *arg, const char *line)
{
    struct drv *d = arg;
    drv_after_death(d);
    if (d->noutputs < DRV_MAX_OUT)
        snprintf(d->outputs[d->noutputs++], sizeof d->outputs[0], "%s", line);
}

static void drv_on_died(void *arg, int signo, const char *message)
{
    struct drv *d = arg;
    drv_after_death(d);
    d->died_calls++;
    d->died_signo = signo;
    d->died_msg_null = message == NULL;
    snprintf(d->died_msg, sizeof d->died_msg, "%s", message ? message : "");
}

static void drv_on_thread(void *arg, const char *thread, bool held)
{
    struct drv *d = arg;
    (void)thread;
    drv_after_death(d);
    if (held)
        d->holds++;
    else
        d->releases++;
}

static int drv_on_message(void *arg, json_object *obj)
{
    struct drv *d = arg;
    if (d->nmsgs < DRV_MAX_MSGS) {
        d->msgs[d->nmsgs++] = obj;
        return 0;
    }
    /* said once: the replies that follow are lost, and the checks waiting for them fail for that */
    if (!d->dropped++)
        fprintf(stderr, "sim_driver: %d messages kept, later ones dropped\n", DRV_MAX_MSGS);
    json_object_put(obj);
    return 0;
}

static void drv_on_read(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct drv *d = arg;
    char buf[65536];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        d->eof = true;
        event_del(d->rev);
        return;
    }
    if (jsonstream_feed(d->js, buf, (size_t)n, drv_on_message, d, NULL) < 0) {
        d->eof = true;
        event_del(d->rev);
    }
}

static bool drv_alarm_set;

void drv_guard(unsigned seconds)
{
    if (!drv_alarm_set) {
        drv_alarm_set = true;
        alarm(seconds);
    }
}

struct event_base *drv_base_new(void)
{
    return mono_event_base_new();
}

/* The QMP client's side: read what arrives on `fd` into d->msgs. */
static int drv_read_from(struct drv *d, int fd)
{
    d->fd = fd;
    d->js = jsonstream_new(0);
    d->rev = event_new(d->base, d->fd, EV_READ | EV_PERSIST, drv_on_read, d);
    return d->js && d->rev ? event_add(d->rev, NULL) : -1;
}

static void drv_stop_reading(struct drv *d)
{
    if (d->rev)
        event_free(d->rev);
    if (d->fd >= 0)
        close(d->fd);
    jsonstream_free(d->js);
    for (int i = 0; i < d->nmsgs; i++)
        json_object_put(d->msgs[i]);
}

int drv_open(struct drv *d, const char *model, uint64_t ram_bytes)
{
    memset(d, 0, sizeof *d);
    drv_guard(60);
    d->fd = -1;
    d->base = drv_base_new();
    if (!d->base)
        return -1;
    struct sim_hooks h = {drv_on_trace, drv_on_output, drv_on_died, drv_on_thread, d};
    struct sim_config cfg = {.ram_bytes = ram_bytes};
    struct err e;
    d->vmm = sim_vmm_new(d->base, sim_model_find(model), &cfg, &h, &e);
    if (!d->vmm) {
        fprintf(stderr, "sim_vmm_new: %s\n", e.msg);
        return -1;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
        return -1;
    if (sim_vmm_serve(d->vmm, sv[0], &e) < 0) {
        fprintf(stderr, "sim_vmm_serve: %s\n", e.msg);
        close(sv[1]);
        return -1;
    }
    return drv_read_from(d, sv[1]);
}

int drv_attach(struct drv *d, struct event_base *base, int fd)
{
    memset(d, 0, sizeof *d);
    d->base = base;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return drv_read_from(d, fd);
}

int drv_open_dest(struct drv *d, uint64_t reset_after)
{
    d->have_dest = true;
    return drv_dest_open(&d->dest, d->base, reset_after);
}

void drv_detach(struct drv *d)
{
    if (d->have_dest)
        drv_dest_close(&d->dest);
    drv_stop_reading(d);
    memset(d, 0, sizeof *d);
    d->fd = -1;
}

void drv_close(struct drv *d)
{
    sim_vmm_free(d->vmm);
    d->vmm = NULL;
    struct event_base *base = d->base;
    drv_detach(d);
    if (base)
        event_base_free(base);
}

static void drv_noop_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

void drv_step(struct drv *d, uint64_t max_us)
{
    struct event *t = evtimer_new(d->base, drv_noop_cb, NULL);
    struct timeval tv = mono_tv(max_us);
    evtimer_add(t, &tv);
    event_base_loop(d->base, EVLOOP_ONCE);
    event_free(t);
    if (d->have_dest)
        drv_dest_check(&d->dest);
}

void drv_pump(struct drv *d, unsigned ms)
{
    uint64_t end = mono_now_us() + (uint64_t)ms * 1000u;
    for (uint64_t now = mono_now_us(); now < end; now = mono_now_us())
        drv_step(d, end - now);
    drv_step(d, 0);
}

bool drv_wait(struct drv *d, drv_pred pred, void *arg, unsigned timeout_ms)
{
    uint64_t end = mono_now_us() + (uint64_t)timeout_ms * 1000u;
    while (!pred(d, arg)) {
        uint64_t now = mono_now_us();
        if (now >= end)
            return false;
        drv_step(d, end - now < 2000 ? end - now : 2000);
    }
    return true;
}

void drv_send_raw(struct drv *d, const char *text)
{
    size_t len = strlen(text), off = 0;
    for (int tries = 0; off < len && tries < 1000; tries++) {
        ssize_t n = write(d->fd, text + off, len - off);
        if (n > 0)
            off += (size_t)n;
        else if (n < 0 && errno != EAGAIN && errno != EINTR)
            return;
        else
            drv_step(d, 1000);
    }
}

int drv_send(struct drv *d, const char *name, const char *args)
{
    char buf[4096];
    int id = ++d->next_id;
    if (args)
        snprintf(buf, sizeof buf, "{\"execute\": \"%s\", \"arguments\": %s, \"id\": \"d%d\"}\r\n", name, args, id);
    else
        snprintf(buf, sizeof buf, "{\"execute\": \"%s\", \"id\": \"d%d\"}\r\n", name, id);
    drv_send_raw(d, buf);
    return id;
}

json_object *drv_find_reply(struct drv *d, int id)
{
    char want[16];
    snprintf(want, sizeof want, "d%d", id);
    for (int i = 0; i < d->nmsgs; i++) {
        json_object *x;
        if (json_object_object_get_ex(d->msgs[i], "id", &x) && json_object_is_type(x, json_type_string) &&
            strcmp(json_object_get_string(x), want) == 0)
            return d->msgs[i];
    }
    return NULL;
}

struct drv_reply_arg {
    int id;
};

static bool drv_has_reply(struct drv *d, void *arg)
{
    return drv_find_reply(d, ((struct drv_reply_arg *)arg)->id) != NULL || d->eof;
}

json_object *drv_reply(struct drv *d, int id)
{
    struct drv_reply_arg a = {id};
    drv_wait(d, drv_has_reply, &a, DRV_TIMEOUT_MS);
    return drv_find_reply(d, id);
}

json_object *drv_cmd(struct drv *d, const char *name, const char *args)
{
    return drv_reply(d, drv_send(d, name, args));
}

const char *drv_error_desc(json_object *reply)
{
    json_object *err, *desc;
    if (reply && json_object_object_get_ex(reply, "error", &err) && json_object_object_get_ex(err, "desc", &desc))
        return json_object_get_string(desc);
    return NULL;
}

const char *drv_error_class(json_object *reply)
{
    json_object *err, *cls;
    if (reply && json_object_object_get_ex(reply, "error", &err) && json_object_object_get_ex(err, "class", &cls))
        return json_object_get_string(cls);
    return NULL;
}

bool drv_ok(json_object *reply)
{
    json_object *r;
    return reply && json_object_object_get_ex(reply, "return", &r);
}

json_object *drv_return(json_object *reply)
{
    json_object *r = NULL;
    if (reply)
        json_object_object_get_ex(reply, "return", &r);
    return r;
}

const char *drv_return_text(json_object *reply)
{
    json_object *r = drv_return(reply);
    return r ? json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN) : "";
}

static bool drv_event_match(json_object *m, const char *name, const char *status)
{
    json_object *ev, *data, *st;
    if (!json_object_object_get_ex(m, "event", &ev) || strcmp(json_object_get_string(ev), name) != 0)
        return false;
    if (!status)
        return true;
    return json_object_object_get_ex(m, "data", &data) && json_object_object_get_ex(data, "status", &st) &&
           strcmp(json_object_get_string(st), status) == 0;
}

int drv_count_events(struct drv *d, const char *name, const char *status)
{
    int n = 0;
    for (int i = 0; i < d->nmsgs; i++)
        n += drv_event_match(d->msgs[i], name, status);
    return n;
}

struct drv_event_arg {
    const char *name, *status;
    int index;
};

static bool drv_has_event(struct drv *d, void *arg)
{
    struct drv_event_arg *a = arg;
    for (int i = 0; i < d->nmsgs; i++) {
        if (!d->taken[i] && drv_event_match(d->msgs[i], a->name, a->status)) {
            a->index = i;
            return true;
        }
    }
    return d->eof;
}

json_object *drv_event(struct drv *d, const char *name, const char *status, unsigned timeout_ms)
{
    struct drv_event_arg a = {name, status, -1};
    if (!drv_wait(d, drv_has_event, &a, timeout_ms) || a.index < 0)
        return NULL;
    d->taken[a.index] = true;
    return d->msgs[a.index];
}

static bool drv_is_dead(struct drv *d, void *arg)
{
    (void)arg;
    return d->died_calls > 0;
}

bool drv_wait_death(struct drv *d, unsigned timeout_ms)
{
    return drv_wait(d, drv_is_dead, NULL, timeout_ms);
}

static bool drv_has_eof(struct drv *d, void *arg)
{
    (void)arg;
    return d->eof;
}

bool drv_wait_eof(struct drv *d, unsigned timeout_ms)
{
    return drv_wait(d, drv_has_eof, NULL, timeout_ms);
}

int drv_count_traces(struct drv *d, const char *event, const char *args)
{
    int n = 0;
    for (int i = 0; i < d->ntraces; i++)
        n += strcmp(d->traces[i].event, event) == 0 && (!args || strcmp(d->traces[i].args, args) == 0);
    return n;
}

int drv_find_trace(struct drv *d, const char *event, const char *args)
{
    for (int i = 0; i < d->ntraces; i++)
        if (strcmp(d->traces[i].event, event) == 0 && (!args || strcmp(d->traces[i].args, args) == 0))
            return i;
    return -1;
}

bool drv_has_output(struct drv *d, const char *line)
{
    for (int i = 0; i < d->noutputs; i++)
        if (strcmp(d->outputs[i], line) == 0)
            return true;
    return false;
}

bool drv_negotiate(struct drv *d)
{
    return drv_ok(drv_cmd(d, "qmp_capabilities", NULL));
}

json_object *drv_start_migration(struct drv *d, bool multifd, int channels)
{
    char caps[256];
    snprintf(caps, sizeof caps,
             "{\"capabilities\": [{\"capability\": \"events\", \"state\": true}, "
             "{\"capability\": \"multifd\", \"state\": %s}]}",
             multifd ? "true" : "false");
    if (!drv_ok(drv_cmd(d, "migrate-set-capabilities", caps)))
        return NULL;
    char params[64];
    snprintf(params, sizeof params, "{\"multifd-channels\": %d}", channels);
    if (!drv_ok(drv_cmd(d, "migrate-set-parameters", params)))
        return NULL;
    char uri[64];
    snprintf(uri, sizeof uri, "{\"uri\": \"tcp:127.0.0.1:%u\"}", (unsigned)d->dest.port);
    return drv_cmd(d, "migrate", uri);
}

/* 1 while query-yank lists the migration instance, 0 once it does not, -1 when no reply came. */
static int drv_yank_probe(struct drv *d)
{
    json_object *r = drv_return(drv_cmd(d, "query-yank", NULL));
    if (!r)
        return -1;
    for (size_t i = 0; i < json_object_array_length(r); i++) {
        json_object *t;
        if (json_object_object_get_ex(json_object_array_get_idx(r, i), "type", &t) &&
            strcmp(json_object_get_string(t), "migration") == 0)
            return 1;
    }
    return 0;
}

bool drv_yank_has_migration(struct drv *d)
{
    return drv_yank_probe(d) == 1;
}

bool drv_wait_cleanup(struct drv *d, unsigned timeout_ms)
{
    uint64_t end = mono_now_us() + (uint64_t)timeout_ms * 1000u;
    /* every probe's reply is kept (DRV_MAX_MSGS): probe every 10 ms, not in a tight loop */
    while (mono_now_us() < end) {
        if (d->died_calls || d->eof)
            return false;
        int y = drv_yank_probe(d);
        if (y < 0)
            return false; /* a VMM that stopped answering has not finished its cleanup */
        if (y == 0)
            return true;
        drv_pump(d, 10);
    }
    return false;
}
