/* qmpserver: QMP on connected sockets, as QEMU's monitor speaks it: the greeting, capabilities
 * negotiation, framing with jsonstream (messages end with "\r\n"), qmp_dispatch's request checks and
 * texts, replies that echo the request's "id", and events to every negotiated monitor. Requests are
 * read at once (QEMU's monitor I/O thread) and queued for the modeled main thread, so a held main
 * delays replies, not reading. Everything is bounded: a monitor stops being read while many of its
 * requests wait, and is dropped when its unread output passes SIM_MON_OUT_MAX. Malformed JSON gets
 * QEMU's parse error, then the connection is closed (our framing cannot resynchronise). It must never
 * block on a client. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "mono.h"
#include "sim_internal.h"

#define READ_CHUNK 16384
#define MAX_MONITORS 16

struct sim_mon {
    struct sim_vmm *v;
    struct sim_mon *next;
    int fd;
    struct event *rev, *wev;
    struct evbuffer *out;
    struct jsonstream *js;
    bool negotiated, oob;
    bool closed;
    bool tcp;
    bool paused;  /* not reading: too many requests queued */
    bool closing; /* a parse error is queued; closes once it is answered */
    int busy;    /* steps using it are on the stack; freed when this drops to 0 */
    unsigned queued;
};

static void mon_free(struct sim_mon *m)
{
    struct sim_vmm *v = m->v;
    for (struct sim_mon **p = &v->mons; *p; p = &(*p)->next) {
        if (*p == m) {
            *p = m->next;
            break;
        }
    }
    jsonstream_free(m->js);
    if (m->out)
        evbuffer_free(m->out);
    free(m);
}

static void drop_requests(struct sim_vmm *v, struct sim_mon *m)
{
    struct sim_req **p = &v->req_head;
    v->req_tail = NULL;
    while (*p) {
        struct sim_req *r = *p;
        if (!m || r->mon == m) {
            *p = r->next;
            json_object_put(r->req);
            free(r->error);
            free(r);
        } else {
            v->req_tail = r;
            p = &r->next;
        }
    }
}

static void flush_now(struct sim_mon *m)
{
    /* Best effort, never blocking: a few writes while the socket takes them. */
    for (int i = 0; i < 4 && evbuffer_get_length(m->out) > 0; i++)
        if (evbuffer_write(m->out, m->fd) <= 0)
            break;
}

static void mon_close(struct sim_mon *m, bool flush)
{
    if (m->closed)
        return;
    m->closed = true;
    if (flush)
        flush_now(m);
    if (m->rev)
        event_free(m->rev);
    if (m->wev)
        event_free(m->wev);
    m->rev = m->wev = NULL;
    if (m->fd >= 0) {
        if (m->tcp && m->v->dead) {
            struct linger lg = {1, 0};
            setsockopt(m->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        close(m->fd);
        m->fd = -1;
    }
    drop_requests(m->v, m);
    if (m->busy == 0)
        mon_free(m);
}

static void mon_release(struct sim_mon *m)
{
    if (--m->busy == 0 && m->closed)
        mon_free(m);
}

static void write_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct sim_mon *m = arg;
    if (evbuffer_write(m->out, fd) < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        mon_close(m, false);
        return;
    }
    if (evbuffer_get_length(m->out) == 0)
        event_del(m->wev);
}

/* Appends one message (and "\r\n"); writes at once when nothing is pending, as QEMU's monitor does. */
static void send_text(struct sim_mon *m, const char *s, size_t len)
{
    if (m->closed)
        return;
    bool idle = evbuffer_get_length(m->out) == 0;
    if (evbuffer_add(m->out, s, len) < 0 || evbuffer_add(m->out, "\r\n", 2) < 0) {
        mon_close(m, false);
        return;
    }
    if (idle)
        evbuffer_write(m->out, m->fd);
    size_t left = evbuffer_get_length(m->out);
    if (left > SIM_MON_OUT_MAX) { /* the client stopped reading: drop it rather than buffer on */
        mon_close(m, false);
        return;
    }
    if (left > 0)
        event_add(m->wev, NULL);
}

static void send_obj(struct sim_mon *m, json_object *o)
{
    size_t len;
    const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
                                                      &len);
    send_text(m, s, len);
}

static void send_error(struct sim_mon *m, json_object *id, const char *cls, const char *desc)
{
    json_object *err = json_object_new_object();
    json_object_object_add(err, "class", json_object_new_string(cls));
    json_object_object_add(err, "desc", json_object_new_string(desc));
    json_object *o = json_object_new_object();
    json_object_object_add(o, "error", err);
    if (id)
        json_object_object_add(o, "id", json_object_get(id));
    send_obj(m, o);
    json_object_put(o);
}

void sim_qmp_event(struct sim_vmm *v, const char *name, json_object *data)
{
    if (v->dead) {
        json_object_put(data);
        return;
    }
    struct timeval tv;
    gettimeofday(&tv, NULL);
    json_object *ts = json_object_new_object();
    json_object_object_add(ts, "seconds", json_object_new_int64((int64_t)tv.tv_sec));
    json_object_object_add(ts, "microseconds", json_object_new_int64((int64_t)tv.tv_usec));
    json_object *o = json_object_new_object();
    json_object_object_add(o, "timestamp", ts);
    json_object_object_add(o, "event", json_object_new_string(name));
    if (data)
        json_object_object_add(o, "data", data);
    size_t len;
    const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
                                                      &len);
    struct sim_mon *next;
    for (struct sim_mon *m = v->mons; m; m = next) {
        next = m->next;
        if (m->negotiated && !m->closed) {
            m->busy++;
            send_text(m, s, len);
            next = m->next;
            mon_release(m);
        }
    }
    json_object_put(o);
}

/* qmp_dispatch(): the request's shape, then the command. */
static void handle_request(struct sim_mon *m, json_object *req)
{
    struct sim_vmm *v = m->v;
    json_object *id = NULL;
    json_object_object_get_ex(req, "id", &id);
    const char *exec_key = NULL;
    json_object *args = NULL;
    json_object_object_foreach(req, key, val) {
        if (strcmp(key, "execute") == 0 || (strcmp(key, "exec-oob") == 0 && m->oob)) {
            if (!json_object_is_type(val, json_type_string)) {
                char msg[128];
                snprintf(msg, sizeof msg, "QMP input member '%s' must be a string", key);
                send_error(m, id, "GenericError", msg);
                return;
            }
            if (exec_key) {
                char msg[128];
                snprintf(msg, sizeof msg, "QMP input member '%s' clashes with '%s'", key, exec_key);
                send_error(m, id, "GenericError", msg);
                return;
            }
            exec_key = key;
        } else if (strcmp(key, "arguments") == 0) {
            if (!json_object_is_type(val, json_type_object)) {
                send_error(m, id, "GenericError", "QMP input member 'arguments' must be an object");
                return;
            }
            args = val;
        } else if (strcmp(key, "id") != 0) {
            char msg[300];
            snprintf(msg, sizeof msg, "QMP input member '%.256s' is unexpected", key);
            send_error(m, id, "GenericError", msg);
            return;
        }
    }
    if (!exec_key) {
        send_error(m, id, "GenericError", "QMP input lacks member 'execute'");
        return;
    }
    json_object *name_obj = NULL;
    json_object_object_get_ex(req, exec_key, &name_obj);
    const char *name = json_object_get_string(name_obj);
    if (strcmp(exec_key, "exec-oob") == 0 && !sim_cmd_allows_oob(name)) {
        char msg[300];
        snprintf(msg, sizeof msg, "The command %.256s does not support OOB", name);
        send_error(m, id, "GenericError", msg);
        return;
    }
    json_object *ret = NULL;
    const char *cls = NULL;
    struct err e = {{0}};
    int r = sim_cmd_run(v, name, args, &m->negotiated, &m->oob, &ret, &cls, &e);
    if (v->dead) {
        json_object_put(ret);
        return;
    }
    if (r < 0) {
        send_error(m, id, cls, e.msg);
        return;
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "return", ret ? ret : json_object_new_object());
    if (id)
        json_object_object_add(o, "id", json_object_get(id));
    send_obj(m, o);
    json_object_put(o);
}

/* main: runs the queued requests in arrival order, while main may run. */
static void dispatch_work(void *vmm)
{
    struct sim_vmm *v = vmm;
    for (int budget = 64; budget > 0 && v->req_head; budget--) {
        if (v->main_thr.held || v->main_thr.blocked) {
            sim_thread_post(&v->main_thr, dispatch_work, v);
            return;
        }
        struct sim_req *r = v->req_head;
        uint64_t now = mono_now_us();
        if (r->due_us > now) {
            /* not there yet: the monitor thread and the dispatcher have not handed it to main */
            struct timeval tv = mono_tv(r->due_us - now);
            evtimer_add(v->req_due, &tv);
            return;
        }
        v->req_head = r->next;
        if (!v->req_head)
            v->req_tail = NULL;
        struct sim_mon *m = r->mon;
        m->queued--;
        m->busy++;
        if (m->paused && !m->closing && m->queued < SIM_MON_QUEUE / 2 && !m->closed) {
            m->paused = false;
            event_add(m->rev, NULL);
        }
        if (r->req) {
            handle_request(m, r->req);
        } else { /* parse error: QEMU answers it in turn; we also close, having lost the framing */
            send_error(m, NULL, "GenericError", r->error);
            mon_close(m, true);
        }
        json_object_put(r->req);
        free(r->error);
        free(r);
        mon_release(m);
        if (v->dead)
            return;
        if (v->quit_pending) {
            sim_die(v, 0, NULL);
            return;
        }
    }
    if (v->req_head)
        sim_thread_post(&v->main_thr, dispatch_work, v);
}

static void req_due_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct sim_vmm *v = arg;
    if (!v->dead)
        sim_thread_post(&v->main_thr, dispatch_work, v);
}

int sim_qmp_init(struct sim_vmm *v)
{
    v->req_due = evtimer_new(v->base, req_due_cb, v);
    return v->req_due ? 0 : -1;
}

static int enqueue(struct sim_mon *m, json_object *obj, const char *error)
{
    struct sim_vmm *v = m->v;
    struct sim_req *r = calloc(1, sizeof *r);
    if (!r || (error && !(r->error = strdup(error)))) {
        free(r);
        json_object_put(obj);
        mon_close(m, false);
        return -1;
    }
    r->mon = m;
    r->req = obj;
    r->due_us = mono_now_us() + v->model->qmp_latency_us;
    if (v->req_tail)
        v->req_tail->next = r;
    else
        v->req_head = r;
    v->req_tail = r;
    m->queued++;
    return 0;
}

static int on_message(void *arg, json_object *obj)
{
    struct sim_mon *m = arg;
    struct sim_vmm *v = m->v;
    if (v->dead || m->closed) {
        json_object_put(obj);
        return 1;
    }
    json_object *x;
    if (m->oob && json_object_object_get_ex(obj, "exec-oob", &x) &&
        !json_object_object_get_ex(obj, "execute", &x)) {
        handle_request(m, obj); /* out-of-band: runs in the monitor I/O thread, main held or not */
        json_object_put(obj);
        return v->dead || m->closed;
    }
    return enqueue(m, obj, NULL) < 0 ? 1 : 0;
}

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct sim_mon *m = arg;
    struct sim_vmm *v = m->v;
    char buf[READ_CHUNK];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    m->busy++;
    if (n <= 0) {
        mon_close(m, false);
    } else {
        struct err e = {{0}};
        if (jsonstream_feed(m->js, buf, (size_t)n, on_message, m, &e) < 0 && !v->dead && !m->closed) {
            if (strstr(e.msg, "larger than")) {
                mon_close(m, true);
            } else {
                bool not_object = strstr(e.msg, "not a JSON object") != NULL;
                char desc[600];
                snprintf(desc, sizeof desc, "JSON parse error, %s",
                         strncmp(e.msg, "malformed JSON from peer: ", 26) == 0 ? e.msg + 26 : e.msg);
                if (enqueue(m, NULL, not_object ? "QMP input must be a JSON object" : desc) == 0) {
                    m->paused = m->closing = true; /* read nothing more; close once answered */
                    event_del(m->rev);
                }
            }
        }
        if (!v->dead && !m->closed) {
            if (m->queued >= SIM_MON_QUEUE && !m->closing) {
                m->paused = true;
                event_del(m->rev);
            }
            if (v->req_head)
                sim_thread_post(&v->main_thr, dispatch_work, v);
        }
    }
    mon_release(m);
}

int sim_qmp_serve(struct sim_vmm *v, int fd, struct err *e)
{
    int count = 0;
    for (struct sim_mon *m = v->mons; m; m = m->next)
        count += !m->closed;
    if (fd < 0) {
        return err_set(e, "sim_vmm_serve: invalid socket");
    }
    if (count >= MAX_MONITORS) {
        close(fd);
        return err_set(e, "the simulated VMM already serves %d monitors", MAX_MONITORS);
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        close(fd);
        return err_set(e, "sim_vmm_serve: %s", strerror(errno));
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    struct sim_mon *m = calloc(1, sizeof *m);
    if (!m) {
        close(fd);
        return err_set(e, "out of memory");
    }
    m->v = v;
    m->fd = fd;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        m->tcp = ss.ss_family == AF_INET || ss.ss_family == AF_INET6;
    m->js = jsonstream_new(JSONSTREAM_DEFAULT_MAX);
    m->out = evbuffer_new();
    m->rev = event_new(v->base, fd, EV_READ | EV_PERSIST, read_cb, m);
    m->wev = event_new(v->base, fd, EV_WRITE | EV_PERSIST, write_cb, m);
    m->next = v->mons;
    v->mons = m;
    if (!m->js || !m->out || !m->rev || !m->wev || event_add(m->rev, NULL) < 0) {
        mon_close(m, false);
        return err_set(e, "out of memory");
    }
    json_object *q = json_object_new_object();
    json_object_object_add(q, "micro", json_object_new_int(22));
    json_object_object_add(q, "minor", json_object_new_int(2));
    json_object_object_add(q, "major", json_object_new_int(7));
    json_object *ver = json_object_new_object();
    json_object_object_add(ver, "qemu", q);
    char pkg[64];
    snprintf(pkg, sizeof pkg, "qmprace-sim %s", v->model->name);
    json_object_object_add(ver, "package", json_object_new_string(pkg));
    json_object *caps = json_object_new_array();
    json_object_array_add(caps, json_object_new_string("oob"));
    json_object *body = json_object_new_object();
    json_object_object_add(body, "version", ver);
    json_object_object_add(body, "capabilities", caps);
    json_object *g = json_object_new_object();
    json_object_object_add(g, "QMP", body);
    send_obj(m, g);
    json_object_put(g);
    return 0;
}

void sim_qmp_close_all(struct sim_vmm *v, bool flush)
{
    drop_requests(v, NULL);
    struct sim_mon *next;
    for (struct sim_mon *m = v->mons; m; m = next) {
        next = m->next;
        if (!m->closed)
            mon_close(m, flush);
        else if (m->busy == 0)
            mon_free(m);
    }
}

void sim_qmp_free_all(struct sim_vmm *v)
{
    if (v->req_due)
        event_free(v->req_due);
    v->req_due = NULL;
    drop_requests(v, NULL);
    while (v->mons) {
        struct sim_mon *m = v->mons;
        if (!m->closed)
            mon_close(m, false);
        if (v->mons == m) /* still busy: a step on the stack holds it; nothing runs after free */
            mon_free(m);
    }
}
