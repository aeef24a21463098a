/* check: what a schedule needs from its target, refused before anything runs, as a schedule error at
 * the line and column that asks for it: holds and trace points from a target that cannot give them, a
 * trace point this QEMU does not have, and (once the target said what it knows, target_learn) a
 * capability, parameter or command it lacks. A status trigger for a status the target never reports
 * (`on failing` on a build without the fix) is allowed on purpose: one schedule then runs unchanged on
 * both builds, and its report says which lines never fired. */
#include <stdio.h>

#include "schedule_vocab.h"
#include "trial.h"

int trial_check(const struct schedule *s, const struct target *target, struct err *e)
{
    struct target_caps caps = target_caps(target);
    const char *spec = target_spec(target);
    const struct vocab_target *vt = target_vocab(target);
    int line, col;
    static const enum sched_action_kind holds[] = {ACT_FREEZE, ACT_THAW};
    for (size_t k = 0; k < sizeof holds / sizeof holds[0]; k++)
        if (!caps.freeze && schedule_uses_action(s, holds[k], &line, &col))
            return err_set(e, "%s:%d:%d: '%s' needs a target that can hold its threads; %s cannot (sim:MODEL can)",
                           s->name, line, col, schedule_action_name(holds[k]), spec);
    if (!caps.trace && schedule_uses_trace(s, &line))
        return err_set(e, "%s:%d:1: 'on trace' needs a target that reports trace points; %s does not (sim:MODEL does)",
                       s->name, line, spec);
    for (size_t i = 0; i < s->nlines; i++) {
        const struct sched_line *l = &s->lines[i];
        if (l->trig.kind == TRIG_TRACE && !target_has_trace(target, l->trig.trace_event))
            return err_set(e, "%s:%d:%d: trace point '%s' does not exist in %s: this line could never fire", s->name,
                           l->line, l->trig.col ? l->trig.col : 1, l->trig.trace_event, spec);
    }
    return schedule_check_vocab(s, vt, spec, 0, e);
}
