/* check_vocab: a schedule against what one target knows (see schedule_vocab.h). */
#include "schedule_vocab.h"

static int check_caps(const struct schedule *s, const struct sched_action *a, const struct vocab_target *vt,
                      const char *target, struct err *e)
{
    for (size_t k = 0; k < a->u.caps.n; k++) {
        const struct sched_cap *c = &a->u.caps.items[k];
        if (!vocab_target_has_cap(vt, c->cap))
            return err_set(e, "%s:%d:%d: capability '%s' does not exist in %s (QEMU %s)", s->name, a->line,
                           c->col ? c->col : a->col, vocab_cap_name(c->cap), target, vt->version);
    }
    return 0;
}

static int check_params(const struct schedule *s, const struct sched_action *a, const struct vocab_target *vt,
                        const char *target, struct err *e)
{
    for (size_t k = 0; k < a->u.params.n; k++) {
        const struct sched_param *p = &a->u.params.items[k];
        if (!vocab_target_has_param(vt, p->param))
            return err_set(e, "%s:%d:%d: parameter '%s' does not exist in %s (QEMU %s)", s->name, a->line,
                           p->col ? p->col : a->col, vocab_param(p->param)->name, target, vt->version);
    }
    return 0;
}

/* The names an action sends. */
static int check_action(const struct schedule *s, const struct sched_action *a, const struct vocab_target *vt,
                        const char *target, struct err *e)
{
    if (a->kind == ACT_CAPS)
        return check_caps(s, a, vt, target, e);
    if (a->kind == ACT_PARAMS)
        return check_params(s, a, vt, target, e);
    json_object *args = NULL;
    const char *cmd = schedule_action_qmp(a, NULL, &args);
    if (cmd && a->kind == ACT_QMP) {
        json_object *x = NULL;
        if (!json_object_object_get_ex(args, "execute", &x))
            json_object_object_get_ex(args, "exec-oob", &x);
        cmd = x ? json_object_get_string(x) : NULL;
    }
    int rc = 0;
    if (cmd && !vocab_target_has_command(vt, cmd))
        rc = err_set(e, "%s:%d:%d: command '%s' does not exist in %s (QEMU %s)", s->name, a->line, a->col, cmd,
                     target, vt->version);
    json_object_put(args);
    return rc;
}

/* What a line's trigger waits for. */
static int check_trigger(const struct schedule *s, const struct sched_line *l, const struct vocab_target *vt,
                         const char *target, unsigned flags, struct err *e)
{
    const struct sched_trigger *t = &l->trig;
    int col = t->col ? t->col : 1;
    if ((flags & SCHEDULE_VOCAB_STATUSES) && t->kind == TRIG_STATUS && !vocab_target_has_status(vt, t->status))
        return err_set(e, "%s:%d:%d: status '%s' is never reported by %s (QEMU %s)", s->name, l->line, col,
                       vocab_status_name(t->status), target, vt->version);
    if ((flags & SCHEDULE_VOCAB_TRACES) && t->kind == TRIG_TRACE) {
        int tr = t->trace_event ? vocab_trace_parse(t->trace_event) : -1;
        if (tr >= 0 && !vocab_target_has_trace(vt, (enum vocab_trace)tr))
            return err_set(e, "%s:%d:%d: trace point '%s' does not exist in %s (QEMU %s)", s->name, l->line, col,
                           t->trace_event, target, vt->version);
    }
    return 0;
}

int schedule_check_vocab(const struct schedule *s, const struct vocab_target *vt, const char *target,
                         unsigned flags, struct err *e)
{
    if (!vt || !vt->known)
        return 0;
    for (size_t i = 0; i < s->nlines; i++) {
        const struct sched_line *l = &s->lines[i];
        if (check_trigger(s, l, vt, target, flags, e) < 0)
            return -1;
        for (size_t j = 0; j < l->nacts; j++)
            if (check_action(s, &l->acts[j], vt, target, e) < 0)
                return -1;
    }
    return 0;
}
