/* qemu_probe: one short run of a QEMU binary to learn what it can do (see qemu_probe.h). */
#include "qemu_probe.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "mono.h"
#include "qemu_args.h"
#include "qemu_proc.h"
#include "qemu_trace.h"

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

int qemu_probe_run(const char *bin, struct qemu_probe *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    char **argv = qemu_args_probe(bin, e);
    if (!argv)
        return -1;
    struct qemu_proc_spec spec = {.path = bin, .argv = argv};
    struct qemu_proc *p = qemu_proc_spawn(&spec, e);
    qemu_args_free(argv);
    if (!p)
        return -1;
    /* The lines come through the same reader as a trial's, driven by poll() here: no event loop yet. */
    struct event_base *base = event_base_new();
    struct probe_state ps = {.out = out};
    struct qemu_lines_hooks h = {on_line, NULL, &ps};
    struct qemu_lines *l = base ? qemu_lines_new(base, qemu_proc_output_fd(p), &h, e) : NULL;
    int rc = -1;
    if (!l) {
        if (!base)
            err_set(e, "cannot create an event loop");
        goto out;
    }
    uint64_t t0 = mono_now_us();
    /* The trace line is written before the greeting, so once the greeting is in, the answer is known. */
    while (!ps.greeted && !qemu_lines_eof(l)) {
        uint64_t now = mono_now_us();
        if (now - t0 >= PROBE_WAIT_US)
            break;
        struct pollfd pfd = {.fd = qemu_proc_output_fd(p), .events = POLLIN};
        poll(&pfd, 1, (int)((PROBE_WAIT_US - (now - t0)) / 1000) + 1);
        qemu_lines_drain(l);
    }
    if (ps.greeted) {
        rc = 0;
    } else {
        int st;
        char how[64] = "gave no QMP greeting within 10s";
        qemu_proc_kill(p);
        if (qemu_proc_reap(p, &st) && WIFEXITED(st) && WEXITSTATUS(st) == 127 && !ps.last[0])
            snprintf(how, sizeof how, "could not be run");
        else if (qemu_proc_reap(p, &st) && qemu_lines_eof(l))
            qemu_proc_status_text(st, how, sizeof how);
        err_set(e, "%s %s%s%s", bin, how, ps.last[0] ? ": " : "", ps.last);
    }
out:
    qemu_lines_free(l);
    qemu_proc_free(p);
    if (base)
        event_base_free(base);
    return rc;
}
