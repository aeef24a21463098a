/* timeline: the bounded, time-ordered record of one trial (see timeline.h). */
#include "timeline.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mono.h"
#include "vocab.h"

struct timeline {
    uint64_t t0;
    struct tl_entry *v;
    size_t n, cap, max, dropped;
    bool sorted;
};

static const char *const kind_names[TL_KIND_COUNT] = {
    "note", "step", "qmp>", "qmp<", "event", "channel", "fault", "thread", "trace", "stderr", "death",
    "verdict", "stack",
};

const char *timeline_kind_name(enum tl_kind k)
{
    return (unsigned)k < TL_KIND_COUNT ? kind_names[k] : "?";
}

struct timeline *timeline_new(uint64_t t0_us, size_t max_entries)
{
    struct timeline *tl = calloc(1, sizeof *tl);
    if (!tl)
        return NULL;
    tl->t0 = t0_us;
    tl->max = max_entries ? max_entries : 4096;
    tl->sorted = true;
    return tl;
}

void timeline_free(struct timeline *tl)
{
    if (!tl)
        return;
    for (size_t i = 0; i < tl->n; i++)
        free(tl->v[i].text);
    free(tl->v);
    free(tl);
}

/* Appends an entry `t` after the start, taking `text` (freed when it cannot be kept). */
static void append(struct timeline *tl, uint64_t t, enum tl_kind kind, int code, int arg, char *text)
{
    if (tl->n >= tl->max) {
        tl->dropped++;
        free(text);
        return;
    }
    if (tl->n == tl->cap) {
        size_t cap = tl->cap ? tl->cap * 2 : 64;
        if (cap > tl->max)
            cap = tl->max;
        struct tl_entry *v = realloc(tl->v, cap * sizeof *v);
        if (!v) {
            tl->dropped++;
            free(text);
            return;
        }
        tl->v = v;
        tl->cap = cap;
    }
    if (tl->n && t < tl->v[tl->n - 1].t_us)
        tl->sorted = false;
    tl->v[tl->n++] = (struct tl_entry){.t_us = t, .kind = kind, .code = code, .arg = arg, .text = text};
}

static void add(struct timeline *tl, uint64_t mono_us, enum tl_kind kind, int code, int arg, const char *fmt,
                va_list ap)
{
    if (!tl)
        return;
    if (tl->n >= tl->max) { /* not worth formatting */
        tl->dropped++;
        return;
    }
    char *text = NULL;
    if (vasprintf(&text, fmt, ap) < 0) {
        tl->dropped++;
        return;
    }
    /* Times before the start (a trace line stamped just before t0) are shown at 0. */
    append(tl, mono_us > tl->t0 ? mono_us - tl->t0 : 0, kind, code, arg, text);
}

void timeline_add(struct timeline *tl, enum tl_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add(tl, mono_now_us(), kind, -1, 0, fmt, ap);
    va_end(ap);
}

void timeline_add_at(struct timeline *tl, uint64_t mono_us, enum tl_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add(tl, mono_us, kind, -1, 0, fmt, ap);
    va_end(ap);
}

void timeline_add_coded(struct timeline *tl, uint64_t mono_us, enum tl_kind kind, int code, int arg,
                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add(tl, mono_us ? mono_us : mono_now_us(), kind, code, arg, fmt, ap);
    va_end(ap);
}

/* Insertion sort: entries are nearly in order (only late-reported trace lines move), and it is stable. */
static void sort(struct timeline *tl)
{
    if (tl->sorted)
        return;
    for (size_t i = 1; i < tl->n; i++) {
        struct tl_entry e = tl->v[i];
        size_t j = i;
        while (j > 0 && tl->v[j - 1].t_us > e.t_us) {
            tl->v[j] = tl->v[j - 1];
            j--;
        }
        tl->v[j] = e;
    }
    tl->sorted = true;
}

size_t timeline_count(const struct timeline *tl)
{
    return tl ? tl->n : 0;
}

size_t timeline_dropped(const struct timeline *tl)
{
    return tl ? tl->dropped : 0;
}

uint64_t timeline_t0(const struct timeline *tl)
{
    return tl->t0;
}

const struct tl_entry *timeline_get(const struct timeline *tl, size_t i)
{
    if (!tl || i >= tl->n)
        return NULL;
    sort((struct timeline *)tl);
    return &tl->v[i];
}

int timeline_write_text(const struct timeline *tl, FILE *f)
{
    for (size_t i = 0; i < timeline_count(tl); i++) {
        const struct tl_entry *e = timeline_get(tl, i);
        if (fprintf(f, "%10llu us  %-7s  %s\n", (unsigned long long)e->t_us, kind_names[e->kind], e->text) < 0)
            return -1;
    }
    if (timeline_dropped(tl))
        fprintf(f, "%13s  %-7s  %zu more entries not kept\n", "", "note", timeline_dropped(tl));
    return 0;
}

json_object *timeline_to_json(const struct timeline *tl)
{
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < timeline_count(tl); i++) {
        const struct tl_entry *e = timeline_get(tl, i);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "t_us", json_object_new_int64((int64_t)e->t_us));
        json_object_object_add(o, "kind", json_object_new_string(kind_names[e->kind]));
        json_object_object_add(o, "text", json_object_new_string(e->text));
        json_object_array_add(arr, o);
    }
    return arr;
}

json_object *timeline_to_wire(const struct timeline *tl)
{
    json_object *o = json_object_new_object(), *arr = json_object_new_array();
    json_object_object_add(o, "t0", json_object_new_uint64(timeline_t0(tl)));
    json_object_object_add(o, "dropped", json_object_new_uint64(timeline_dropped(tl)));
    for (size_t i = 0; i < timeline_count(tl); i++) {
        const struct tl_entry *e = timeline_get(tl, i);
        json_object *v = json_object_new_array_ext(5);
        json_object_array_add(v, json_object_new_uint64(e->t_us));
        json_object_array_add(v, json_object_new_int(e->kind));
        json_object_array_add(v, json_object_new_int(e->code));
        json_object_array_add(v, json_object_new_int(e->arg));
        json_object_array_add(v, json_object_new_string(e->text));
        json_object_array_add(arr, v);
    }
    json_object_object_add(o, "e", arr);
    return o;
}

struct timeline *timeline_from_wire(json_object *j)
{
    json_object *t0, *dropped, *arr;
    if (!json_object_object_get_ex(j, "t0", &t0) || !json_object_object_get_ex(j, "dropped", &dropped) ||
        !json_object_object_get_ex(j, "e", &arr) || !json_object_is_type(arr, json_type_array))
        return NULL;
    size_t n = json_object_array_length(arr);
    struct timeline *tl = timeline_new(json_object_get_uint64(t0), n > 4096 ? n : 4096);
    for (size_t i = 0; tl && i < n; i++) {
        json_object *v = json_object_array_get_idx(arr, i);
        int kind = json_object_get_int(json_object_array_get_idx(v, 1));
        const char *text = json_object_get_string(json_object_array_get_idx(v, 4));
        if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) != 5 || kind < 0 ||
            kind >= TL_KIND_COUNT || !text) {
            timeline_free(tl);
            return NULL;
        }
        char *copy = strdup(text);
        if (!copy) {
            timeline_free(tl);
            return NULL;
        }
        append(tl, json_object_get_uint64(json_object_array_get_idx(v, 0)), (enum tl_kind)kind,
               json_object_get_int(json_object_array_get_idx(v, 2)), json_object_get_int(json_object_array_get_idx(v, 3)),
               copy);
    }
    if (tl)
        tl->dropped += json_object_get_uint64(dropped);
    return tl;
}

int timeline_entry_status(const struct tl_entry *e)
{
    int s = e->kind == TL_EVENT ? e->code : e->kind == TL_TRACE && e->code == TRACE_MIGRATE_SET_STATE ? e->arg : -1;
    return s >= 0 && s < MIG_STATUS_COUNT ? s : -1;
}

static bool timeline_is_failure(const struct tl_entry *e)
{
    int s = timeline_entry_status(e);
    return s == MIG_FAILED || s == MIG_FAILING;
}

void timeline_window(const struct timeline *tl, struct tl_window *w)
{
    memset(w, 0, sizeof *w);
    size_t n = timeline_count(tl);
    for (size_t i = 0; i < n; i++) {
        const struct tl_entry *e = timeline_get(tl, i);
        if (!w->open) {
            if (timeline_is_failure(e)) {
                w->open = true;
                w->from = i;
            }
        } else if ((e->kind == TL_TRACE && e->code == TRACE_SAVEVM_STATE_CLEANUP) || e->kind == TL_DEATH) {
            w->to = i;
            w->until = e->kind == TL_DEATH ? TL_WINDOW_DEATH : TL_WINDOW_CLEANUP;
            return;
        }
    }
    w->to = n ? n - 1 : 0;
    w->until = TL_WINDOW_LAST;
}
