/* qemu_probe: one short run of a QEMU binary to learn what it can do (see qemu_probe.h). */
#include "qemu_probe.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "mono.h"
#include "qemu_args.h"
#include "qemu_proc.h"
#include "qemu_trace.h"
#include "vocab.h"

/* Start to greeting takes tens of ms here; seconds mean something is wrong. */
#define PROBE_WAIT_US 10000000u

struct probe_state {
    struct qemu_probe *out;
    bool greeted;
    char last[256];
};

static void greeting(struct probe_state *ps, const char *line)
{
    json_object *o = json_tokener_parse(line), *qmp, *v, *q, *x;
    if (!o)
        return;
    if (json_object_object_get_ex(o, "QMP", &qmp) && json_object_object_get_ex(qmp, "version", &v)) {
        ps->greeted = true;
        int ver[3] = {0, 0, 0};
        const char *keys[3] = {"major", "minor", "micro"};
        if (json_object_object_get_ex(v, "qemu", &q))
            for (int i = 0; i < 3; i++)
                if (json_object_object_get_ex(q, keys[i], &x))
                    ver[i] = json_object_get_int(x);
        snprintf(ps->out->version, sizeof ps->out->version, "%d.%d.%d", ver[0], ver[1], ver[2]);
        if (json_object_object_get_ex(v, "package", &x))
            snprintf(ps->out->package, sizeof ps->out->package, "%s", json_object_get_string(x));
    }
    json_object_put(o);
}

static void on_line(void *arg, const char *line)
{
    struct probe_state *ps = arg;
    struct qemu_trace_point tp;
    if (qemu_trace_parse(line, &tp)) {
        if (strcmp(tp.event, "qmp_enter_query_version") == 0)
            ps->out->trace = true;
        return;
    }
    if (strncmp(line, "{\"QMP\"", 6) == 0)
        greeting(ps, line);
    else if (line[0])
        snprintf(ps->last, sizeof ps->last, "%s", line);
}

/* Runs `argv` and hands its output lines to `line` until `done` says so, the output ends, or the wait
 * runs out. Returns the process, still to be freed (and killed, if it runs on), or NULL. */
static struct qemu_proc *run_lines(const char *bin, char **argv, void (*line)(void *, const char *),
                                   bool (*done)(void *), void *arg, struct err *e)
{
    struct qemu_proc_spec spec = {.path = bin, .argv = argv};
    struct qemu_proc *p = qemu_proc_spawn(&spec, e);
    if (!p)
        return NULL;
    /* The lines come through the same reader as a trial's, driven by poll() here: no event loop yet. */
    struct event_base *base = event_base_new();
    struct qemu_lines_hooks h = {line, NULL, arg};
    struct qemu_lines *l = base ? qemu_lines_new(base, qemu_proc_output_fd(p), &h, e) : NULL;
    if (!l) {
        if (!base)
            err_set(e, "cannot create an event loop");
        qemu_proc_free(p);
        p = NULL;
        goto out;
    }
    uint64_t t0 = mono_now_us();
    while (!done(arg) && !qemu_lines_eof(l)) {
        uint64_t now = mono_now_us();
        if (now - t0 >= PROBE_WAIT_US)
            break;
        struct pollfd pfd = {.fd = qemu_proc_output_fd(p), .events = POLLIN};
        poll(&pfd, 1, (int)((PROBE_WAIT_US - (now - t0)) / 1000) + 1);
        qemu_lines_drain(l);
    }
    if (!done(arg))
        qemu_lines_drain(l);
out:
    qemu_lines_free(l);
    if (base)
        event_base_free(base);
    return p;
}

static bool greeted(void *arg)
{
    return ((struct probe_state *)arg)->greeted;
}

struct trace_list {
    char **v;
    size_t n, cap;
    bool failed;
};

static void on_trace_name(void *arg, const char *line)
{
    struct trace_list *tl = arg;
    size_t len = strlen(line);
    if (tl->failed || !vocab_trace_name_valid(line, len))
        return;
    if (tl->n == tl->cap) {
        size_t cap = tl->cap ? tl->cap * 2 : 1024;
        char **v = cap < 65536 ? realloc(tl->v, cap * sizeof *v) : NULL;
        if (!v) {
            tl->failed = true;
            return;
        }
        tl->v = v;
        tl->cap = cap;
    }
    if (!(tl->v[tl->n] = strdup(line)))
        tl->failed = true;
    else
        tl->n++;
}

static bool never(void *arg)
{
    (void)arg;
    return false;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* `BIN -trace help`: one trace point a line. Left empty (NULL) when the binary does not list them. */
static void list_traces(const char *bin, struct qemu_probe *out)
{
    char *argv[] = {(char *)bin, "-trace", "help", NULL};
    struct trace_list tl = {0};
    struct qemu_proc *p = run_lines(bin, argv, on_trace_name, never, &tl, NULL);
    int st;
    /* Its output ends before it exits: on a loaded machine a reap right after the last line finds it
     * still running, and a list taken for failed would let every trace point pass for one it has. */
    bool ok = p && qemu_proc_wait(p, PROBE_WAIT_US, &st) == 1 && WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
              !tl.failed && tl.n;
    qemu_proc_free(p);
    if (!ok) {
        for (size_t i = 0; i < tl.n; i++)
            free(tl.v[i]);
        free(tl.v);
        return;
    }
    qsort(tl.v, tl.n, sizeof *tl.v, cmp_str);
    out->traces = tl.v;
    out->ntraces = tl.n;
}

int qemu_probe_run(const char *bin, struct qemu_probe *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    char **argv = qemu_args_probe(bin, e);
    if (!argv)
        return -1;
    struct probe_state ps = {.out = out};
    struct qemu_proc *p = run_lines(bin, argv, on_line, greeted, &ps, e);
    qemu_args_free(argv);
    if (!p)
        return -1;
    if (!ps.greeted) {
        int st;
        char how[64] = "gave no QMP greeting within 10s";
        qemu_proc_kill(p);
        if (qemu_proc_reap(p, &st) && WIFEXITED(st) && WEXITSTATUS(st) == 127 && !ps.last[0])
            snprintf(how, sizeof how, "could not be run");
        else if (qemu_proc_reap(p, &st))
            qemu_proc_status_text(st, how, sizeof how);
        err_set(e, "%s %s%s%s", bin, how, ps.last[0] ? ": " : "", ps.last);
        qemu_proc_free(p);
        return -1;
    }
    qemu_proc_free(p);
    list_traces(bin, out);
    return 0;
}

void qemu_probe_free(struct qemu_probe *p)
{
    for (size_t i = 0; i < p->ntraces; i++)
        free(p->traces[i]);
    free(p->traces);
    p->traces = NULL;
    p->ntraces = 0;
}

bool qemu_probe_has_trace(const struct qemu_probe *p, const char *name)
{
    return !p->traces || bsearch(&name, p->traces, p->ntraces, sizeof *p->traces, cmp_str) != NULL;
}
