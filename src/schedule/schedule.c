/* schedule: the model shared by the text and binary forms: building, freeing, comparing, and what QMP
 * command an action sends. It knows nothing of either form's syntax and never prints. */
#include "schedule.h"

#include <stdlib.h>
#include <string.h>

static const char *const action_names[ACT_KIND_COUNT] = {
    "caps", "params", "migrate", "cancel", "query", "qmp", "reset", "close", "stall", "freeze", "wait",
};

const char *schedule_action_name(enum sched_action_kind k)
{
    return (unsigned)k < ACT_KIND_COUNT ? action_names[k] : "?";
}

/* Makes room for element n of an array that holds n elements. Capacity is implied by n (4, then powers
 * of two), so the model needs no capacity fields. Returns the (possibly moved) array or NULL. */
static void *grow(void *arr, size_t n, size_t size)
{
    size_t want;
    if (n == 0)
        want = 4;
    else if (n >= 4 && (n & (n - 1)) == 0)
        want = 2 * n;
    else
        return arr;
    return realloc(arr, want * size);
}

struct schedule *schedule_new(const char *name)
{
    struct schedule *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->name = strdup(name ? name : "<schedule>");
    if (!s->name) {
        free(s);
        return NULL;
    }
    return s;
}

struct sched_line *schedule_add_line(struct schedule *s)
{
    if (s->nlines >= SCHED_MAX_LINES)
        return NULL;
    struct sched_line *lines = grow(s->lines, s->nlines, sizeof *lines);
    if (!lines)
        return NULL;
    s->lines = lines;
    struct sched_line *l = &lines[s->nlines++];
    memset(l, 0, sizeof *l);
    l->trig.nth = 1;
    return l;
}

struct sched_action *schedule_add_action(struct sched_line *l, enum sched_action_kind k)
{
    if (l->nacts >= SCHED_MAX_ACTIONS)
        return NULL;
    struct sched_action *acts = grow(l->acts, l->nacts, sizeof *acts);
    if (!acts)
        return NULL;
    l->acts = acts;
    struct sched_action *a = &acts[l->nacts++];
    memset(a, 0, sizeof *a);
    a->kind = k;
    return a;
}

int schedule_add_cap(struct sched_action *a, enum mig_cap c, bool on)
{
    if (a->kind != ACT_CAPS || a->u.caps.n >= SCHED_MAX_ITEMS)
        return -1;
    struct sched_cap *items = grow(a->u.caps.items, a->u.caps.n, sizeof *items);
    if (!items)
        return -1;
    a->u.caps.items = items;
    items[a->u.caps.n++] = (struct sched_cap){c, on};
    return 0;
}

int schedule_add_param(struct sched_action *a, enum mig_param p, json_object *value)
{
    struct sched_param *items = NULL;
    if (a->kind == ACT_PARAMS && a->u.params.n < SCHED_MAX_ITEMS && value)
        items = grow(a->u.params.items, a->u.params.n, sizeof *items);
    if (!items) {
        json_object_put(value);
        return -1;
    }
    a->u.params.items = items;
    items[a->u.params.n++] = (struct sched_param){p, value};
    return 0;
}

static void action_free(struct sched_action *a)
{
    switch (a->kind) {
    case ACT_CAPS:
        free(a->u.caps.items);
        break;
    case ACT_PARAMS:
        for (size_t i = 0; i < a->u.params.n; i++)
            json_object_put(a->u.params.items[i].value);
        free(a->u.params.items);
        break;
    case ACT_QMP:
        json_object_put(a->u.qmp);
        break;
    default:
        break;
    }
}

static void line_free(struct sched_line *l)
{
    for (size_t j = 0; j < l->nacts; j++)
        action_free(&l->acts[j]);
    free(l->acts);
    free(l->trig.trace_event);
}

void schedule_free(struct schedule *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nlines; i++)
        line_free(&s->lines[i]);
    free(s->lines);
    free(s->name);
    free(s);
}

void schedule_remove_line(struct schedule *s, size_t i)
{
    if (i >= s->nlines)
        return;
    line_free(&s->lines[i]);
    memmove(&s->lines[i], &s->lines[i + 1], (s->nlines - i - 1) * sizeof s->lines[0]);
    s->nlines--;
}

void schedule_remove_action(struct sched_line *l, size_t j)
{
    if (j >= l->nacts)
        return;
    action_free(&l->acts[j]);
    memmove(&l->acts[j], &l->acts[j + 1], (l->nacts - j - 1) * sizeof l->acts[0]);
    l->nacts--;
}

void schedule_remove_item(struct sched_action *a, size_t k)
{
    if (a->kind == ACT_CAPS && k < a->u.caps.n) {
        memmove(&a->u.caps.items[k], &a->u.caps.items[k + 1], (a->u.caps.n - k - 1) * sizeof a->u.caps.items[0]);
        a->u.caps.n--;
    } else if (a->kind == ACT_PARAMS && k < a->u.params.n) {
        json_object_put(a->u.params.items[k].value);
        memmove(&a->u.params.items[k], &a->u.params.items[k + 1],
                (a->u.params.n - k - 1) * sizeof a->u.params.items[0]);
        a->u.params.n--;
    }
}

struct schedule *schedule_clone(const struct schedule *s)
{
    char *text = schedule_print(s);
    if (!text)
        return NULL;
    struct schedule *c = schedule_parse(text, strlen(text), s->name ? s->name : "schedule", NULL);
    free(text);
    return c;
}

void schedule_without(struct schedule *s, unsigned mask)
{
    size_t kept_lines = 0;
    for (size_t i = 0; i < s->nlines; i++) {
        struct sched_line *l = &s->lines[i];
        size_t kept = 0;
        for (size_t j = 0; j < l->nacts; j++) {
            if (mask & (1u << l->acts[j].kind))
                action_free(&l->acts[j]);
            else
                l->acts[kept++] = l->acts[j];
        }
        l->nacts = kept;
        if (kept)
            s->lines[kept_lines++] = *l;
        else
            line_free(l);
    }
    s->nlines = kept_lines;
}

int schedule_action_mask_parse(const char *list, unsigned *mask, struct err *e)
{
    *mask = 0;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        int found = -1;
        for (int k = 0; k < ACT_KIND_COUNT; k++)
            if (strlen(schedule_action_name((enum sched_action_kind)k)) == n &&
                strncmp(schedule_action_name((enum sched_action_kind)k), p, n) == 0)
                found = k;
        if (found < 0)
            return err_set(e, "unknown action '%.*s' (actions: caps, params, migrate, cancel, query, qmp, reset, "
                              "close, stall, freeze, wait)", (int)n, p);
        *mask |= 1u << found;
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

bool schedule_equal(const struct schedule *a, const struct schedule *b)
{
    char *ta = schedule_print(a), *tb = schedule_print(b);
    bool same = ta && tb && strcmp(ta, tb) == 0;
    free(ta);
    free(tb);
    return same;
}

bool schedule_uses_action(const struct schedule *s, enum sched_action_kind k, int *line, int *col)
{
    for (size_t i = 0; i < s->nlines; i++)
        for (size_t j = 0; j < s->lines[i].nacts; j++) {
            const struct sched_action *a = &s->lines[i].acts[j];
            if (a->kind != k)
                continue;
            if (line)
                *line = a->line;
            if (col)
                *col = a->col;
            return true;
        }
    return false;
}

bool schedule_uses_trace(const struct schedule *s, int *line)
{
    for (size_t i = 0; i < s->nlines; i++)
        if (s->lines[i].trig.kind == TRIG_TRACE) {
            if (line)
                *line = s->lines[i].line;
            return true;
        }
    return false;
}

static json_object *caps_args(const struct sched_action *a)
{
    json_object *list = json_object_new_array();
    for (size_t i = 0; list && i < a->u.caps.n; i++) {
        json_object *item = json_object_new_object();
        if (!item || json_object_array_add(list, item) != 0) {
            json_object_put(item);
            json_object_put(list);
            return NULL;
        }
        json_object_object_add(item, "capability",
                               json_object_new_string(vocab_cap_name(a->u.caps.items[i].cap)));
        json_object_object_add(item, "state", json_object_new_boolean(a->u.caps.items[i].on));
    }
    json_object *args = json_object_new_object();
    if (!args || !list || json_object_object_add(args, "capabilities", list) != 0) {
        json_object_put(list);
        json_object_put(args);
        return NULL;
    }
    return args;
}

static json_object *params_args(const struct sched_action *a)
{
    json_object *args = json_object_new_object();
    for (size_t i = 0; args && i < a->u.params.n; i++) {
        const struct vocab_param *p = vocab_param(a->u.params.items[i].param);
        if (!p)
            continue;
        /* A repeated name keeps its last value, as QMP's own parser would. */
        json_object_object_add(args, p->name, json_object_get(a->u.params.items[i].value));
    }
    return args;
}

const char *schedule_action_qmp(const struct sched_action *a, const char *uri, json_object **args)
{
    const char *name = NULL;
    json_object *obj = NULL;
    switch (a->kind) {
    case ACT_CAPS:
        name = "migrate-set-capabilities";
        obj = caps_args(a);
        break;
    case ACT_PARAMS:
        name = "migrate-set-parameters";
        obj = params_args(a);
        break;
    case ACT_MIGRATE:
        name = "migrate";
        if (uri && (obj = json_object_new_object()))
            json_object_object_add(obj, "uri", json_object_new_string(uri));
        break;
    case ACT_CANCEL:
        name = "migrate_cancel";
        break;
    case ACT_QUERY:
        name = "query-migrate";
        break;
    case ACT_QMP:
        /* A copy: the sender adds an "id" to the command, which must not leak into the schedule. */
        name = "qmp";
        if (a->u.qmp && json_object_deep_copy(a->u.qmp, &obj, NULL) != 0)
            obj = NULL;
        break;
    default:
        break;
    }
    if (args)
        *args = obj;
    else
        json_object_put(obj);
    return name;
}
