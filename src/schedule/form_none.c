/* form_none: actions written as their name alone (migrate, cancel, query). */
#include "form.h"

static int parse(struct cur *c, struct sched_action *a, struct tok word, const struct tok *args, size_t n)
{
    (void)word;
    if (!n)
        return 0;
    const struct sched_action_desc *d = schedule_action_desc(a->kind);
    if (d->flags & SCHED_URI)
        return syn_fail(c, args[0].col, "'%s' takes no arguments: the URI is always the fault proxy's", d->name);
    return syn_fail(c, args[0].col, "'%s' takes no arguments", d->name);
}

static int encode(struct wr *w, const struct sched_action *a)
{
    (void)w;
    (void)a;
    return 0;
}

const struct sched_form sched_form_none = {.parse = parse, .encode = encode};
