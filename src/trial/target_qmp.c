/* target_qmp: `qmp:unix:PATH` or `qmp:tcp:HOST:PORT`, a VMM that is already running (for example
 * `qmprace sim --listen`, or a QEMU started by hand). qmprace only talks QMP to it: it cannot see its
 * threads, trace points or how it died, so a crash shows only as the QMP connection dying. It never
 * starts or stops the VMM. */
#include <stdlib.h>
#include <string.h>

#include "target_impl.h"

static int qmpt_init(struct target *t, const char *rest, const struct target_options *opt, struct err *e)
{
    (void)opt;
    if (strncmp(rest, "unix:", 5) != 0 && strncmp(rest, "tcp:", 4) != 0)
        return err_set(e, "target 'qmp:%s': expected qmp:unix:PATH or qmp:tcp:HOST:PORT", rest);
    t->impl = strdup(rest);
    return t->impl ? 0 : err_set(e, "out of memory");
}

static int qmpt_begin(struct target *t, struct event_base *base, const struct target_hooks *hooks, struct qmp *q,
                      struct err *e)
{
    (void)base;
    (void)hooks;
    return qmp_connect(q, t->impl, e);
}

static void qmpt_end(struct target *t, bool healthy)
{
    (void)t;
    (void)healthy;
}

static void qmpt_destroy(struct target *t)
{
    free(t->impl);
}

const struct target_ops target_qmp_ops = {
    .prefix = "qmp:",
    .short_ram = 0,
    .short_deadline_us = 5000000,
    .init = qmpt_init,
    .begin = qmpt_begin,
    .freeze = NULL,
    .thaw = NULL,
    .end = qmpt_end,
    .destroy = qmpt_destroy,
    .caps = {.freeze = false, .trace = false, .death = false},
    .no_learn = true,
};
