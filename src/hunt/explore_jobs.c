/* explore_jobs: explore's cell sweep spread over worker processes, one target each (a QEMU of its own):
 * each worker takes the next window nobody has taken (a counter in shared memory, so a window that hangs
 * does not hold up the others' queue), runs its cells as the sweep in one process does
 * (explore_sweep_window), and sends each cell with every trial whole, one JSON line per cell, down a pipe.
 * The parent reads the pipes on the session's event base, so SIGINT and SIGTERM still reach it (and it
 * passes them on), and adds the trials up as its own (trial_result_from_wire, repeat_add): the matrix,
 * the shown trials and the reproducers that follow are what one process would have made. */
#include "explore_sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "mono.h"

#define MAX_JOBS 64
/* Past the sweep's own time: a worker finishes the cell it is in (its trials each bounded by the session)
 * and ends its target; past this it is killed. */
#define GRACE_US (30ull * 1000000)

/* ---- a worker (in the child) ---- */

struct worker_out {
    int fd;
    struct evbuffer *buf;
    bool broken; /* the parent stopped reading: nothing more is sent */
};

/* One JSON line to the parent (a blocking pipe: written whole). */
static void worker_send(struct worker_out *w, json_object *o)
{
    if (w->broken || !w->buf)
        return;
    evbuffer_add_printf(w->buf, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    while (evbuffer_get_length(w->buf) > 0)
        if (evbuffer_write(w->buf, w->fd) < 0 && errno != EINTR) {
            w->broken = true;
            evbuffer_drain(w->buf, evbuffer_get_length(w->buf));
        }
}

static void worker_cell_done(struct explore_sweep *sw, size_t i)
{
    const struct explore_cell *c = &sw->r->cells[i];
    json_object *o = json_object_new_object();
    json_object_object_add(o, "cell", json_object_new_uint64(i));
    json_object_object_add(o, "refused", json_object_new_int64(c->refused));
    json_object_object_add(o, "opened", json_object_new_int64(c->opened));
    json_object_object_add(o, "landed", json_object_new_int64(c->landed));
    json_object_object_add(o, "sent_in", json_object_new_int(c->sent_in));
    json_object_object_add(o, "window_hangs", json_object_new_boolean(c->window_hangs));
    json_object_object_add(o, "not_opened", json_object_new_boolean(c->not_opened));
    json_object_object_add(o, "interrupted", json_object_new_boolean(c->rep.interrupted));
    json_object_object_add(o, "trials", sw->wire); /* taken */
    sw->wire = json_object_new_array();
    worker_send(sw->arg, o);
    json_object_put(o);
}

/* The child's whole life: a session of its own (its own target), the windows it takes, one line per cell,
 * a last line saying how it ended. Never returns. */
static void worker(const struct explore_sweep *parent, int fd, size_t *next, const size_t *starts, size_t nstarts)
{
    session_forked(parent->ses);
    struct err e = {{0}};
    struct worker_out out = {.fd = fd, .buf = evbuffer_new()};
    struct session *ses = session_new(session_profile(parent->ses), &e);
    int rc = !ses ? -1 : session_start(ses, SESSION_SIGNALS | SESSION_TRIALS, NULL, 0, &e);
    struct explore_sweep sw = *parent;
    sw.ses = ses;
    sw.h = NULL; /* the parent says what ran */
    sw.wire = json_object_new_array();
    sw.cell_done = worker_cell_done;
    sw.arg = &out;
    while (rc == 0) {
        size_t k = __atomic_fetch_add(next, 1, __ATOMIC_SEQ_CST);
        if (k >= nstarts)
            break;
        rc = explore_sweep_window(&sw, starts[k], &e);
    }
    json_object *end = json_object_new_object();
    json_object_object_add(end, "end", json_object_new_boolean(1));
    json_object_object_add(end, "out_of_time", json_object_new_boolean(sw.r->out_of_time));
    json_object_object_add(end, "interrupted", json_object_new_boolean(sw.r->interrupted));
    json_object_object_add(end, "usage", json_object_new_boolean(sw.r->usage || rc == SESSION_REFUSED));
    json_object_object_add(end, "error", rc < 0 ? json_object_new_string(e.msg) : NULL);
    worker_send(&out, end);
    json_object_put(end);
    json_object_put(sw.wire);
    session_free(ses); /* ends the worker's own target */
    evbuffer_free(out.buf);
    _exit(0);
}

/* ---- the parent ---- */

struct jobs;

struct job {
    struct jobs *js;
    pid_t pid;
    struct bufferevent *bev;
    bool ended; /* its last line came */
};

struct jobs {
    struct explore_sweep *sw;
    struct event_base *base;
    struct job j[MAX_JOBS];
    unsigned n, open;
    struct err *e;
    bool failed, timed_out;
};

static void fail(struct jobs *js, const char *what)
{
    if (!js->failed)
        err_set(js->e, "%s", what);
    js->failed = true;
}

/* A cell a worker ran: its trials added up here as if they had run here. */
static void take_cell(struct jobs *js, json_object *o)
{
    struct explore_result *r = js->sw->r;
    json_object *v, *trials;
    if (!json_object_object_get_ex(o, "cell", &v) || (size_t)json_object_get_int64(v) >= r->ncells ||
        !json_object_object_get_ex(o, "trials", &trials) || !json_object_is_type(trials, json_type_array)) {
        fail(js, "an explore worker sent a cell that is not whole");
        return;
    }
    size_t i = (size_t)json_object_get_int64(v);
    struct explore_cell *c = &r->cells[i];
    for (size_t k = 0; k < json_object_array_length(trials); k++) {
        struct trial_result t;
        struct err te = {{0}};
        if (trial_result_from_wire(json_object_array_get_idx(trials, k), &t, &te) < 0) {
            fail(js, te.msg);
            return;
        }
        repeat_add(&c->rep, &t);
    }
#define GET(name) (json_object_object_get_ex(o, name, &v) ? json_object_get_int64(v) : 0)
    c->refused = (unsigned)GET("refused");
    c->opened = (unsigned)GET("opened");
    c->landed = (unsigned)GET("landed");
    c->window_hangs = GET("window_hangs");
    c->not_opened = GET("not_opened");
    c->rep.interrupted = GET("interrupted");
#undef GET
    c->sent_in = json_object_object_get_ex(o, "sent_in", &v) ? json_object_get_int(v) : -1;
    c->ran = true;
    verdict_stats_sort(&c->rep.stats);
    explore_sweep_progress(js->sw, i);
}

static void take_end(struct job *j, json_object *o)
{
    json_object *v;
    struct explore_result *r = j->js->sw->r;
    j->ended = true;
    r->out_of_time |= json_object_object_get_ex(o, "out_of_time", &v) && json_object_get_boolean(v);
    r->interrupted |= json_object_object_get_ex(o, "interrupted", &v) && json_object_get_boolean(v);
    if (json_object_object_get_ex(o, "error", &v) && json_object_get_string(v)) {
        json_object *u;
        r->usage |= json_object_object_get_ex(o, "usage", &u) && json_object_get_boolean(u);
        fail(j->js, json_object_get_string(v));
    }
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct job *j = arg;
    size_t len;
    char *line;
    while ((line = evbuffer_readln(bufferevent_get_input(bev), &len, EVBUFFER_EOL_LF))) {
        json_object *o = json_tokener_parse(line), *v;
        if (!o)
            fail(j->js, "an explore worker sent a line that is not JSON");
        else if (json_object_object_get_ex(o, "end", &v))
            take_end(j, o);
        else
            take_cell(j->js, o);
        json_object_put(o);
        free(line);
    }
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct job *j = arg;
    if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
        return;
    on_read(bev, arg); /* what came before the end */
    bufferevent_free(bev);
    j->bev = NULL;
    if (--j->js->open == 0)
        event_base_loopexit(j->js->base, NULL);
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct jobs *js = arg;
    js->timed_out = true;
    for (unsigned k = 0; k < js->n; k++)
        if (js->j[k].bev)
            kill(js->j[k].pid, SIGKILL);
}

/* Starts worker `k`; -1 (e) when the pipe or the process cannot be made. */
static int start_job(struct jobs *js, unsigned k, size_t *next, const size_t *starts, size_t nstarts)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return err_set(js->e, "explore --jobs: cannot make a pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return err_set(js->e, "explore --jobs: cannot start a worker: %s", strerror(errno));
    }
    if (pid == 0) {
        close(p[0]);
        for (unsigned i = 0; i < k; i++) /* the other workers' pipes are not this one's */
            if (js->j[i].bev)
                close(bufferevent_getfd(js->j[i].bev));
        worker(js->sw, p[1], next, starts, nstarts);
    }
    close(p[1]);
    struct job *j = &js->j[k];
    *j = (struct job){.js = js, .pid = pid};
    evutil_make_socket_nonblocking(p[0]);
    j->bev = bufferevent_socket_new(js->base, p[0], BEV_OPT_CLOSE_ON_FREE);
    if (!j->bev) {
        close(p[0]);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return err_set(js->e, "explore --jobs: out of memory");
    }
    bufferevent_setcb(j->bev, on_read, NULL, on_event, j);
    bufferevent_enable(j->bev, EV_READ);
    js->n++;
    js->open++;
    return 0;
}

int explore_sweep_jobs(struct explore_sweep *sw, struct err *e)
{
    struct explore_result *r = sw->r;
    size_t *starts = malloc((r->ncells ? r->ncells : 1) * sizeof *starts), nstarts = 0;
    size_t *next = mmap(NULL, sizeof *next, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    struct jobs *js = calloc(1, sizeof *js);
    if (!starts || next == MAP_FAILED || !js) {
        free(starts);
        free(js);
        if (next != MAP_FAILED)
            munmap(next, sizeof *next);
        return err_set(e, "out of memory");
    }
    for (size_t i = 0; i < r->ncells; i += explore_window_cells(r, i)) /* each window's first cell */
        starts[nstarts++] = i;
    *next = 0;
    js->sw = sw;
    js->e = e;
    js->base = session_base(sw->ses);
    /* the parent's own trials wait: its env (proxy, sink) is let go, and made again for the reproducers */
    session_env_close(sw->ses);
    unsigned want = sw->o->jobs > MAX_JOBS ? MAX_JOBS : sw->o->jobs;
    if (want > nstarts)
        want = (unsigned)nstarts;
    int rc = 0;
    for (unsigned k = 0; k < want && rc == 0; k++)
        rc = start_job(js, k, next, starts, nstarts);
    uint64_t used = mono_now_us() - sw->start_us;
    uint64_t bound = (sw->limit_us > used ? sw->limit_us - used : 0) + 2 * session_trial_bound_us(sw->ses) + GRACE_US;
    struct event *watchdog = evtimer_new(js->base, on_watchdog, js);
    struct timeval tv = {(time_t)(bound / 1000000), (suseconds_t)(bound % 1000000)};
    if (watchdog)
        evtimer_add(watchdog, &tv);
    int forwarded = 0;
    while (js->open > 0) {
        if (rc < 0 && !forwarded) { /* a worker could not start: the others stop */
            for (unsigned k = 0; k < js->n; k++)
                kill(js->j[k].pid, SIGTERM);
            forwarded = SIGTERM;
        }
        if (event_base_dispatch(js->base) < 0)
            break;
        int sig = session_signal(sw->ses);
        if (sig && !forwarded) { /* a signal to this process alone reaches the workers too */
            for (unsigned k = 0; k < js->n; k++)
                if (js->j[k].bev)
                    kill(js->j[k].pid, sig);
            forwarded = sig;
        }
    }
    if (watchdog)
        event_free(watchdog);
    for (unsigned k = 0; k < js->n; k++) {
        struct job *j = &js->j[k];
        if (j->bev) { /* the loop broke: the worker is not waited for */
            kill(j->pid, SIGKILL);
            bufferevent_free(j->bev);
        }
        int status = 0;
        while (waitpid(j->pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (!j->ended && !js->failed) {
            char why[160];
            snprintf(why, sizeof why, "explore worker %u ended without saying how (%s %d)%s", k + 1,
                     WIFSIGNALED(status) ? "signal" : "exit status",
                     WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
                     js->timed_out ? ": it ran past the sweep's time and was killed" : "");
            fail(js, why);
        }
    }
    r->interrupted |= session_signal(sw->ses) != 0;
    if (rc == 0 && js->failed)
        rc = -1;
    free(starts);
    munmap(next, sizeof *next);
    free(js);
    return rc;
}
