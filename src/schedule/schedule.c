/* schedule: the model shared by the text and binary forms: building, freeing, comparing, and what QMP
 * command an action sends. It knows nothing of either form's syntax and never prints. */
#include "schedule.h"

#include <stdlib.h>
#include <string.h>

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
    items[a->u.caps.n++] = (struct sched_cap){c, on, 0};
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
    items[a->u.params.n++] = (struct sched_param){p, value, 0};
    return 0;
}

static void line_free(struct sched_line *l)
{
    for (size_t j = 0; j < l->nacts; j++)
        schedule_action_free(&l->acts[j]);
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
    schedule_action_free(&l->acts[j]);
    memmove(&l->acts[j], &l->acts[j + 1], (l->nacts - j - 1) * sizeof l->acts[0]);
    l->nacts--;
}

int schedule_multifd_channels(const struct schedule *s)
{
    int n = 0;
    for (size_t i = 0; i < s->nlines; i++)
        for (size_t j = 0; j < s->lines[i].nacts; j++) {
            const struct sched_action *a = &s->lines[i].acts[j];
            for (size_t k = 0; a->kind == ACT_PARAMS && k < a->u.params.n; k++)
                if (a->u.params.items[k].param == PARAM_MULTIFD_CHANNELS &&
                    json_object_get_int(a->u.params.items[k].value) > n)
                    n = json_object_get_int(a->u.params.items[k].value);
        }
    return n > 0 ? n : 2;
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
                schedule_action_free(&l->acts[j]);
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
