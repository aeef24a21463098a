/* actions: the table of the schedule language's actions, one descriptor a row (see sched_action.h), and
 * what the model asks of any action through its descriptor and form. The binary form indexes this
 * table by kind, so a new action is appended (and the pin below updated, knowingly). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "schedule.h"

static const struct sched_action_desc actions[ACT_KIND_COUNT] = {
    [ACT_CAPS] = {"caps", "caps NAME=on|off ...", SCHED_CLASS_QMP, "migrate-set-capabilities", &sched_form_caps, 0},
    [ACT_PARAMS] = {"params", "params NAME=VALUE ...", SCHED_CLASS_QMP, "migrate-set-parameters",
                    &sched_form_params, 0},
    [ACT_MIGRATE] = {"migrate", "migrate", SCHED_CLASS_QMP, "migrate", &sched_form_none, SCHED_URI},
    [ACT_CANCEL] = {"cancel", "cancel", SCHED_CLASS_QMP, "migrate_cancel", &sched_form_none, 0},
    [ACT_QUERY] = {"query", "query", SCHED_CLASS_QMP, "query-migrate", &sched_form_none, 0},
    [ACT_QMP] = {"qmp", "qmp {JSON}", SCHED_CLASS_QMP, NULL, &sched_form_qmp, 0},
    [ACT_RESET] = {"reset", "reset CHANNEL|all", SCHED_CLASS_FAULT, NULL, &sched_form_fault, 0},
    [ACT_CLOSE] = {"close", "close CHANNEL|all", SCHED_CLASS_FAULT, NULL, &sched_form_fault, 0},
    [ACT_STALL] = {"stall", "stall CHANNEL|all [DUR]", SCHED_CLASS_FAULT, NULL, &sched_form_fault,
                   SCHED_DUR_OPTIONAL},
    [ACT_FREEZE] = {"freeze", "freeze THREAD DUR", SCHED_CLASS_HOLD, NULL, &sched_form_freeze, 0},
    [ACT_WAIT] = {"wait", "wait DUR", SCHED_CLASS_WAIT, NULL, &sched_form_wait, 0},
    /* appended (the binary form indexes this table): a hold ends as soon as what it was for has landed */
    [ACT_THAW] = {"thaw", "thaw THREAD", SCHED_CLASS_HOLD, NULL, &sched_form_thaw, 0},
};
/* The binary form reads an action's kind as a byte modulo this count: changing it changes what every
 * stored .bin input (hunt seeds, fuzz/regressions) decodes to. */
_Static_assert(ACT_KIND_COUNT == 12, "the binary schedule form indexes the action table: append, and know "
                                     "that old inputs' non-canonical kind bytes then decode differently");

const struct sched_action_desc *schedule_action_desc(enum sched_action_kind k)
{
    return (unsigned)k < ACT_KIND_COUNT ? &actions[k] : NULL;
}

const char *schedule_action_name(enum sched_action_kind k)
{
    return (unsigned)k < ACT_KIND_COUNT ? actions[k].name : "?";
}

int schedule_action_parse_name(const char *s, size_t len)
{
    for (int k = 0; k < ACT_KIND_COUNT; k++)
        if (strlen(actions[k].name) == len && memcmp(actions[k].name, s, len) == 0)
            return k;
    return -1;
}

const char *schedule_action_list(void)
{
    static char list[256];
    if (!list[0]) {
        size_t off = 0;
        for (int k = 0; k < ACT_KIND_COUNT && off < sizeof list; k++)
            off += (size_t)snprintf(list + off, sizeof list - off, "%s%s", k ? ", " : "", actions[k].name);
    }
    return list;
}

static const struct sched_form *form_of(const struct sched_action *a)
{
    return (unsigned)a->kind < ACT_KIND_COUNT ? actions[a->kind].form : &sched_form_none;
}

void schedule_action_free(struct sched_action *a)
{
    if (form_of(a)->free)
        form_of(a)->free(a);
}

size_t schedule_action_items(const struct sched_action *a)
{
    return form_of(a)->items ? form_of(a)->items(a) : 0;
}

void schedule_remove_item(struct sched_action *a, size_t k)
{
    if (form_of(a)->remove_item && k < schedule_action_items(a))
        form_of(a)->remove_item(a, k);
}

uint64_t *schedule_action_duration(struct sched_action *a)
{
    return form_of(a)->duration ? form_of(a)->duration(a) : NULL;
}

const char *schedule_action_qmp(const struct sched_action *a, const char *uri, json_object **args)
{
    const struct sched_action_desc *d = schedule_action_desc(a->kind);
    json_object *obj = NULL;
    const char *name = NULL;
    if (d && d->cls == SCHED_CLASS_QMP) {
        name = d->qmp ? d->qmp : d->name;
        if (d->form->qmp_args)
            obj = d->form->qmp_args(a, uri);
        else if ((d->flags & SCHED_URI) && uri && (obj = json_object_new_object()))
            json_object_object_add(obj, "uri", json_object_new_string(uri));
    }
    if (args)
        *args = obj;
    else
        json_object_put(obj);
    return name;
}

int schedule_action_mask_parse(const char *list, unsigned *mask, struct err *e)
{
    *mask = 0;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        int found = schedule_action_parse_name(p, n);
        if (found < 0)
            return err_set(e, "unknown action '%.*s' (actions: %s)", (int)n, p, schedule_action_list());
        *mask |= 1u << found;
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

int form_want_args(struct cur *c, const struct sched_action *a, struct tok word, const struct tok *args, size_t n,
                   size_t min, size_t max, const char *needs)
{
    const struct sched_action_desc *d = schedule_action_desc(a->kind);
    if (n > max)
        return syn_fail(c, args[max].col, "too many arguments: %s", d->usage);
    if (n < min)
        return syn_fail(c, word.col, "'%s' needs %s: %s", d->name, needs, d->usage);
    return 0;
}

int form_parse_items(struct cur *c, struct sched_action *a, struct tok word, const struct tok *args, size_t n,
                     const char *item, int (*one)(struct cur *c, struct sched_action *a, struct tok t))
{
    if (n == 0)
        return syn_fail(c, word.col, "'%s' needs at least one %s item", schedule_action_name(a->kind), item);
    if (n > SCHED_MAX_ITEMS)
        return syn_fail(c, args[SCHED_MAX_ITEMS].col, "too many items in one action (at most %d)", SCHED_MAX_ITEMS);
    for (size_t i = 0; i < n; i++)
        if (one(c, a, args[i]) != 0)
            return -1;
    return 0;
}
