/* check: what a schedule needs from its target, refused before anything runs, as a schedule error at
 * the line and column that asks for it: holds and trace points from a target that cannot give them, a
 * trace point this QEMU does not have, and (once the target said what it knows, target_learn) a
 * capability, parameter or command it lacks. A status trigger for a status the target never reports
 * (`on failing` on a build without the fix) is allowed on purpose: one schedule then runs unchanged on
 * both builds, and its report says which lines never fired. */
#include <stdio.h>

#include "trial.h"
#include "vocab_target.h"

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

/* The names an action sends, against what the target said it knows. */
static int check_names(const struct schedule *s, const struct sched_action *a, const struct vocab_target *vt,
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

int trial_check(const struct schedule *s, const struct target *target, struct err *e)
{
    struct target_caps caps = target_caps(target);
    const char *spec = target_spec(target);
    const struct vocab_target *vt = target_vocab(target);
    int line, col;
    if (!caps.freeze && schedule_uses_action(s, ACT_FREEZE, &line, &col))
        return err_set(e, "%s:%d:%d: 'freeze' needs a target that can hold its threads; %s cannot (sim:MODEL can)",
                       s->name, line, col, spec);
    if (!caps.trace && schedule_uses_trace(s, &line))
        return err_set(e, "%s:%d:1: 'on trace' needs a target that reports trace points; %s does not (sim:MODEL does)",
                       s->name, line, spec);
    for (size_t i = 0; i < s->nlines; i++) {
        const struct sched_line *l = &s->lines[i];
        if (l->trig.kind == TRIG_TRACE && !target_has_trace(target, l->trig.trace_event))
            return err_set(e, "%s:%d:%d: trace point '%s' does not exist in %s: this line could never fire", s->name,
                           l->line, l->trig.col ? l->trig.col : 1, l->trig.trace_event, spec);
        for (size_t j = 0; vt && vt->known && j < l->nacts; j++)
            if (check_names(s, &l->acts[j], vt, spec, e) < 0)
                return -1;
    }
    return 0;
}
