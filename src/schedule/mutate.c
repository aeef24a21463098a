/* mutate: one structural change to a schedule (see schedule_mutate.h).
 * New triggers and actions are drawn by decoding random bytes (the binary form
 * is total), then their times are drawn again on a scale a trial can use: a
 * window is microseconds to tens of milliseconds wide, and a trial lasts a few
 * hundred, so a uniform 16-bit exponent would mostly draw hours. */
#include "schedule_mutate.h"

#include <stdlib.h>
#include <string.h>

#include "bin.h"

#define MAX_DUR_US ((uint64_t)4095 << 15)
#define MAX_SIZE ((uint64_t)2047 << 31)

static const char *const names[MUT_COUNT] = {
    [MUT_DELAY] = "delay",
    [MUT_SIZE] = "size",
    [MUT_STATUS] = "status",
    [MUT_TRIGGER] = "trigger",
    [MUT_ITEM] = "item",
    [MUT_ACTION] = "action",
    [MUT_ADD_ACTION] = "add-action",
    [MUT_DROP_ACTION] = "drop-action",
    [MUT_SWAP] = "swap",
    [MUT_ADD_LINE] = "add-line",
    [MUT_DROP_LINE] = "drop-line",
    [MUT_COPY_LINE] = "copy-line",
    [MUT_REVERT] = "revert",
    [MUT_COMMAND] = "command",
};

const char *schedule_mutation_name(enum sched_mutation m)
{
    return (unsigned)m < MUT_COUNT ? names[m] : "?";
}

static uint64_t rnd(struct sched_mutator *m)
{
    uint64_t x = m->rng ? m->rng : 1;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    m->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static size_t below(struct sched_mutator *m, size_t n)
{
    return n ? (size_t)(rnd(m) % n) : 0;
}

/* The nearest value at or below `v` that `bits` of mantissa and an exponent up
 * to `max_exp` can hold. */
static uint64_t representable(uint64_t v, unsigned bits, unsigned max_exp, uint64_t max)
{
    if (v >= max)
        return max;
    unsigned e = 0;
    while ((v >> e) >= ((uint64_t)1 << bits) && e < max_exp)
        e++;
    return (v >> e) << e;
}

/* Up to about 130 ms, each power of two as likely as the next: a reaction 10 us
 * after an event and one 10 ms after are equally worth trying. */
static uint64_t draw_dur(struct sched_mutator *m)
{
    return representable((uint64_t)below(m, 4096) >> below(m, 12) << below(m, 6), 12, 15, MAX_DUR_US);
}

/* 1 KiB to about 2 GiB, on the same log scale; with a bound, 1 KiB to the bound, each power of two below
 * it as likely as the next. */
static uint64_t draw_size(struct sched_mutator *m)
{
    if (m->max_bytes < 2048)
        return representable((uint64_t)(1 + below(m, 2047)) << (10 + below(m, 12)), 11, 31, MAX_SIZE);
    unsigned top = 10;
    while (top < 62 && (2ull << top) <= m->max_bytes)
        top++;
    uint64_t lo = 1ull << (10 + below(m, top - 9)); /* 2^10 .. 2^top */
    uint64_t v = lo + below(m, lo);
    return representable(v < m->max_bytes ? v : m->max_bytes, 11, 31, MAX_SIZE);
}

/* A size changed by half, double or a new draw stays within the bound. */
static uint64_t bound_size(struct sched_mutator *m, uint64_t v)
{
    return m->max_bytes >= 2048 && v > m->max_bytes ? m->max_bytes : v;
}

static uint64_t new_dur(struct sched_mutator *m, uint64_t old, bool zero_ok)
{
    uint64_t v;
    switch (below(m, 4)) {
    case 0:
        v = zero_ok ? 0 : 1;
        break;
    case 1:
        v = old / 2;
        break;
    case 2:
        v = old ? old * 2 : 1;
        break;
    default:
        v = draw_dur(m);
        break;
    }
    if (!zero_ok && v == 0)
        v = 1;
    return representable(v, 12, 15, MAX_DUR_US);
}

static enum sched_action_kind draw_kind(struct sched_mutator *m)
{
    enum sched_action_kind allowed[ACT_KIND_COUNT];
    size_t n = 0;
    for (int k = 0; k < ACT_KIND_COUNT; k++)
        if (!(m->without & (1u << k)))
            allowed[n++] = (enum sched_action_kind)k;
    return n ? allowed[below(m, n)] : ACT_QUERY;
}

/* A one-line schedule decoded from random bytes: header byte `head`, then
 * noise. */
static struct schedule *decode_random(struct sched_mutator *m, unsigned head, int kind)
{
    uint8_t b[24];
    for (size_t i = 0; i < sizeof b; i++)
        b[i] = (uint8_t)rnd(m);
    b[0] = (uint8_t)head;
    if (kind >= 0) /* the action right after a trigger-less header */
        b[1] = (uint8_t)kind;
    struct schedule *t = schedule_decode(b, sizeof b);
    if (t && (t->nlines < 1 || t->lines[0].nacts < 1)) {
        schedule_free(t);
        return NULL;
    }
    return t;
}

/* A new action of kind k, moved into l->acts[at] (at == l->nacts: appended). */
static int fresh_action_of(struct sched_mutator *m, struct sched_line *l, size_t at, enum sched_action_kind k)
{
    struct schedule *t = decode_random(m, TRIG_NONE, (int)k);
    if (!t)
        return -1;
    struct sched_action *src = &t->lines[0].acts[0];
    uint64_t *d = schedule_action_duration(src);
    if (d)
        *d = k == ACT_STALL && below(m, 2) ? 0 : new_dur(m, draw_dur(m), false);
    while (k == ACT_CAPS && src->u.caps.n > 1 && below(m, 3)) /* mostly one capability, as libvirt sends */
        schedule_remove_item(src, src->u.caps.n - 1);
    struct sched_action *dst;
    if (at < l->nacts) {
        schedule_action_free(&l->acts[at]);
        dst = &l->acts[at];
    } else if (!(dst = schedule_add_action(l, k))) {
        schedule_free(t);
        return -1;
    }
    *dst = *src;
    t->lines[0].nacts = 0; /* moved: its parts now belong to `l` */
    schedule_free(t);
    return 0;
}

/* The same, of a kind not left out. */
static int fresh_action(struct sched_mutator *m, struct sched_line *l, size_t at)
{
    return fresh_action_of(m, l, at, draw_kind(m));
}

/* The actions that are a command a window holds, as the action table says: every QMP-sending one but
 * `migrate` (SCHED_URI), which starts the migration the window is in. */
static bool is_command(enum sched_action_kind k)
{
    const struct sched_action_desc *d = schedule_action_desc(k);
    return d && d->cls == SCHED_CLASS_QMP && !(d->flags & SCHED_URI);
}

/* A command of the vocabulary: its kind, and for `qmp` which command of the binary form's table. */
struct cmd_choice {
    enum sched_action_kind kind;
    int qmp; /* the table's index; -1 for the other kinds */
};

#define CMD_CHOICES (ACT_KIND_COUNT + BIN_QMP_COMMANDS)

/* Every command a window can hold, each once: `caps`, `params`, `cancel`, `query` and each `qmp`
 * command of the binary form's table, less the kinds left out (--without), in the action table's order. */
static size_t command_choices(const struct sched_mutator *m, struct cmd_choice out[CMD_CHOICES])
{
    size_t n = 0;
    for (int k = 0; k < ACT_KIND_COUNT; k++)
        for (int q = 0; is_command(k) && !(m->without & (1u << k)) && q < (k == ACT_QMP ? BIN_QMP_COMMANDS : 1); q++)
            out[n++] = (struct cmd_choice){(enum sched_action_kind)k, k == ACT_QMP ? q : -1};
    return n;
}

/* The lines with a trigger: the windows a command can be put in. */
static size_t window_lines(const struct schedule *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nlines; i++)
        n += s->lines[i].trig.kind != TRIG_NONE;
    return n;
}

static struct sched_line *window_line(struct schedule *s, size_t pick)
{
    for (size_t i = 0; i < s->nlines; i++)
        if (s->lines[i].trig.kind != TRIG_NONE && pick-- == 0)
            return &s->lines[i];
    return NULL;
}

/* Puts command `c` at l->acts[at] (at == l->nacts: appended). A `caps` or `params` is drawn (which
 * setting, which value); a `qmp` is the table's command c.qmp. */
static int put_command(struct sched_mutator *m, struct sched_line *l, size_t at, struct cmd_choice c)
{
    if (fresh_action_of(m, l, at, c.kind) < 0)
        return -1;
    struct sched_action *a = &l->acts[at]; /* appended: at is the old count, now the last index */
    if (c.qmp >= 0) {
        json_object *o = bin_qmp_command((unsigned)c.qmp);
        if (!o)
            return -1;
        json_object_put(a->u.qmp);
        a->u.qmp = o;
    }
    return 0;
}

/* MUT_COMMAND: a line with a trigger (a window: a status, a trace point, a byte count, a time) gets a
 * command in place of one of its commands, or added when it has none, drawn with every command of the
 * vocabulary equally likely: `caps`, `params`, `cancel`, `query` and each of the BIN_QMP_COMMANDS `qmp`
 * commands one share each. No window and no command is preferred. */
static int command(struct schedule *s, struct sched_mutator *m)
{
    size_t windows = window_lines(s);
    if (!windows)
        return 0;
    struct sched_line *l = window_line(s, below(m, windows));
    struct cmd_choice choices[CMD_CHOICES];
    size_t n = command_choices(m, choices);
    if (!n)
        return 0;
    struct cmd_choice c = choices[below(m, n)];
    size_t cmds = 0;
    for (size_t j = 0; j < l->nacts; j++)
        cmds += is_command(l->acts[j].kind);
    size_t at = l->nacts;
    if (cmds) {
        size_t k = below(m, cmds);
        for (size_t j = 0; j < l->nacts; j++)
            if (is_command(l->acts[j].kind) && k-- == 0) {
                at = j;
                break;
            }
    } else if (l->nacts >= BIN_MAX_ACTIONS) {
        at = below(m, l->nacts);
    }
    return put_command(m, l, at, c) == 0 ? 1 : -1;
}

size_t schedule_command_pairs(const struct schedule *s, const struct sched_mutator *m)
{
    struct cmd_choice choices[CMD_CHOICES];
    return window_lines(s) * command_choices(m, choices);
}

int schedule_put_command(struct schedule *s, struct sched_mutator *m, size_t i)
{
    struct cmd_choice choices[CMD_CHOICES];
    size_t n = command_choices(m, choices);
    if (!n || i >= window_lines(s) * n)
        return 0;
    struct sched_line *l = window_line(s, i / n);
    size_t at = l->nacts;
    for (size_t j = 0; j < l->nacts && at == l->nacts; j++)
        if (is_command(l->acts[j].kind))
            at = j;
    if (at == l->nacts && l->nacts >= BIN_MAX_ACTIONS)
        at = l->nacts - 1; /* a full line without a command: its last action gives way */
    return put_command(m, l, at, choices[i % n]) == 0 ? 1 : -1;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t fnv_int(uint64_t h, long v)
{
    return fnv(h, &v, sizeof v);
}

uint64_t schedule_window_shape(const struct schedule *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < s->nlines; i++) {
        const struct sched_line *l = &s->lines[i];
        const struct sched_trigger *t = &l->trig;
        h = fnv_int(h, -1 - (long)t->kind); /* a line starts */
        if (t->kind == TRIG_STATUS)
            h = fnv_int(fnv_int(h, t->status), t->nth);
        else if (t->kind == TRIG_TRACE && t->trace_event)
            h = fnv_int(fnv(h, t->trace_event, strlen(t->trace_event)), t->nth);
        else if (t->kind == TRIG_AFTER)
            h = fnv_int(h, t->chan);
        for (size_t j = 0; j < l->nacts; j++) {
            const struct sched_action *a = &l->acts[j];
            if (t->kind != TRIG_NONE && is_command(a->kind))
                continue; /* what the window holds is what the enumeration changes */
            h = fnv_int(h, a->kind);
            switch (a->kind) {
            case ACT_CAPS:
                for (size_t k = 0; k < a->u.caps.n; k++)
                    h = fnv_int(fnv_int(h, a->u.caps.items[k].cap), a->u.caps.items[k].on);
                break;
            case ACT_PARAMS:
                for (size_t k = 0; k < a->u.params.n; k++)
                    h = fnv_int(h, a->u.params.items[k].param);
                break;
            case ACT_QMP: {
                const char *q = a->u.qmp ? json_object_to_json_string_ext(a->u.qmp, JSON_C_TO_STRING_PLAIN) : "";
                h = fnv(h, q, strlen(q));
                break;
            }
            case ACT_RESET:
            case ACT_CLOSE:
                h = fnv_int(h, a->u.fault.chan);
                break;
            case ACT_STALL:
                h = fnv_int(fnv_int(h, a->u.fault.chan), a->u.fault.dur_us == 0);
                break;
            case ACT_FREEZE:
            case ACT_THAW:
                h = fnv_int(fnv_int(h, a->u.freeze.thread.kind), a->u.freeze.thread.index);
                break;
            default:
                break;
            }
        }
    }
    return h;
}

static int fresh_trigger(struct sched_mutator *m, struct sched_trigger *trig)
{
    struct schedule *t = decode_random(m, (unsigned)below(m, 5), -1);
    if (!t)
        return -1;
    struct sched_trigger nt = t->lines[0].trig;
    t->lines[0].trig.trace_event = NULL; /* moved */
    schedule_free(t);
    if (nt.kind == TRIG_AT)
        nt.delay_us = new_dur(m, draw_dur(m), true);
    else if (nt.kind == TRIG_STATUS || nt.kind == TRIG_TRACE)
        nt.delay_us = below(m, 2) ? 0 : new_dur(m, draw_dur(m), true);
    else if (nt.kind == TRIG_AFTER)
        nt.bytes = draw_size(m);
    if (nt.nth > 1 && below(m, 4))
        nt.nth = 1;
    free(trig->trace_event);
    *trig = nt;
    return 0;
}

/* Moves a line from `src` (a decoded schedule of one line or more) to position
 * `at` of `s`. */
static int insert_line(struct schedule *s, struct schedule *src, size_t at)
{
    struct sched_line *l = schedule_add_line(s);
    if (!l)
        return -1;
    *l = src->lines[0];
    memset(&src->lines[0], 0, sizeof src->lines[0]); /* moved */
    struct sched_line moved = *l;
    memmove(&s->lines[at + 1], &s->lines[at], (s->nlines - 1 - at) * sizeof s->lines[0]);
    s->lines[at] = moved;
    return 0;
}

/* A deep copy of one line, through the binary form (which every line of a
 * decoded schedule fits). */
static struct schedule *copy_line(const struct schedule *from, size_t i)
{
    struct schedule one = {.lines = &from->lines[i], .nlines = 1, .name = from->name};
    uint8_t *bin = NULL;
    size_t len = 0;
    struct err e = {{0}};
    if (schedule_encode(&one, &bin, &len, &e) != 0)
        return NULL;
    struct schedule *c = schedule_decode(bin, len);
    free(bin);
    if (c && c->nlines < 1) {
        schedule_free(c);
        return NULL;
    }
    return c;
}

/* Every time a schedule holds (trigger delays, waits, holds, stalls) as one
 * list to draw from. */
static size_t times_of(struct schedule *s, uint64_t **out, bool *zero_ok, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nlines && n < max; i++) {
        struct sched_line *l = &s->lines[i];
        if (l->trig.kind == TRIG_AT || l->trig.kind == TRIG_STATUS || l->trig.kind == TRIG_TRACE) {
            zero_ok[n] = true;
            out[n++] = &l->trig.delay_us;
        }
        for (size_t j = 0; j < l->nacts && n < max; j++) {
            uint64_t *d = schedule_action_duration(&l->acts[j]);
            if (d) {
                zero_ok[n] = l->acts[j].kind == ACT_STALL;
                out[n++] = d;
            }
        }
    }
    return n;
}

/* A line whose trigger is of kind `k`, drawn at random; -1 when there is none.
 */
static long line_with(struct sched_mutator *m, const struct schedule *s, enum sched_trigger_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nlines; i++)
        n += s->lines[i].trig.kind == k;
    if (!n)
        return -1;
    size_t pick = below(m, n);
    for (size_t i = 0; i < s->nlines; i++)
        if (s->lines[i].trig.kind == k && pick-- == 0)
            return (long)i;
    return -1;
}

/* The capabilities the schedule's `caps` actions set, counted over every line in order, and item `pick`
 * of them (its line in *line), for MUT_ITEM and MUT_REVERT. */
static size_t caps_items(const struct schedule *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nlines; i++)
        for (size_t j = 0; j < s->lines[i].nacts; j++)
            n += s->lines[i].acts[j].kind == ACT_CAPS ? s->lines[i].acts[j].u.caps.n : 0;
    return n;
}

static struct sched_cap *caps_item(struct schedule *s, size_t pick, size_t *line)
{
    for (size_t i = 0; i < s->nlines; i++)
        for (size_t j = 0; j < s->lines[i].nacts; j++) {
            struct sched_action *a = &s->lines[i].acts[j];
            if (a->kind != ACT_CAPS)
                continue;
            if (pick < a->u.caps.n) {
                *line = i;
                return &a->u.caps.items[pick];
            }
            pick -= a->u.caps.n;
        }
    return NULL;
}

/* The line a revert goes to: any later line alike (a reaction to the target among them, where a
 * management application would set things back); for the last line, an earlier one. No line is
 * preferred: which line, like which capability, is for the search to find. */
static size_t revert_line(const struct schedule *s, struct sched_mutator *m, size_t from)
{
    size_t later = s->nlines - 1 - from;
    return later ? from + 1 + below(m, later) : below(m, from);
}

/* MUT_REVERT: one capability a `caps` sets, set back the other way by a new
 * action on a later line (revert_line), at a random place in it. */
static int revert(struct schedule *s, struct sched_mutator *m)
{
    if (m->without & (1u << ACT_CAPS))
        return 0;
    size_t n = caps_items(s), from = 0;
    if (!n || s->nlines < 2)
        return 0;
    struct sched_cap cap = *caps_item(s, below(m, n), &from);
    size_t to = revert_line(s, m, from);
    struct sched_line *l = &s->lines[to];
    if (l->nacts >= BIN_MAX_ACTIONS)
        schedule_remove_action(l, below(m, l->nacts));
    struct sched_action *a = schedule_add_action(l, ACT_CAPS);
    if (!a || schedule_add_cap(a, cap.cap, !cap.on) != 0)
        return -1;
    size_t at = below(m, l->nacts);
    struct sched_action added = l->acts[l->nacts - 1];
    memmove(&l->acts[at + 1], &l->acts[at], (l->nacts - 1 - at) * sizeof l->acts[0]);
    l->acts[at] = added;
    return 1;
}

/* One change of kind `kind`: 1 made, 0 not applicable to this schedule, -1 out
 * of memory. */
static int apply(struct schedule *s, const struct schedule *donor, struct sched_mutator *m, int kind)
{
    size_t nl = s->nlines;
    struct sched_line *l = nl ? &s->lines[below(m, nl)] : NULL;
    switch ((enum sched_mutation)kind) {
    case MUT_DELAY: {
        uint64_t *t[BIN_MAX_LINES * (1 + BIN_MAX_ACTIONS)];
        bool zero_ok[BIN_MAX_LINES * (1 + BIN_MAX_ACTIONS)];
        size_t n = times_of(s, t, zero_ok, sizeof t / sizeof t[0]);
        if (!n)
            return 0;
        size_t i = below(m, n);
        *t[i] = new_dur(m, *t[i], zero_ok[i]);
        return 1;
    }
    case MUT_SIZE: {
        long i = line_with(m, s, TRIG_AFTER);
        if (i < 0)
            return 0;
        uint64_t *b = &s->lines[i].trig.bytes;
        size_t how = below(m, 3);
        *b = representable(bound_size(m, how == 0 ? *b / 2 : how == 1 ? *b * 2 + 1 : draw_size(m)), 11, 31, MAX_SIZE);
        return 1;
    }
    case MUT_STATUS: {
        long i = line_with(m, s, TRIG_STATUS);
        if (i < 0)
            return 0;
        struct sched_trigger *t = &s->lines[i].trig;
        if (below(m, 4))
            t->status = (enum mig_status)below(m, MIG_STATUS_COUNT);
        else
            t->nth = 1 + (unsigned)below(m, 4);
        return 1;
    }
    case MUT_TRIGGER:
        return !l ? 0 : fresh_trigger(m, &l->trig) == 0 ? 1 : -1;
    case MUT_ITEM: {
        size_t n = caps_items(s), line;
        if (!n)
            return 0;
        struct sched_cap *c = caps_item(s, below(m, n), &line);
        if (below(m, 2))
            c->on = !c->on;
        else
            c->cap = (enum mig_cap)below(m, CAP_COUNT);
        return 1;
    }
    case MUT_ACTION:
        return !l || !l->nacts ? 0 : fresh_action(m, l, below(m, l->nacts)) == 0 ? 1 : -1;
    case MUT_ADD_ACTION: {
        if (!l || l->nacts >= BIN_MAX_ACTIONS)
            return 0;
        if (fresh_action(m, l, l->nacts) != 0)
            return -1;
        size_t at = below(m, l->nacts);
        struct sched_action added = l->acts[l->nacts - 1];
        memmove(&l->acts[at + 1], &l->acts[at], (l->nacts - 1 - at) * sizeof l->acts[0]);
        l->acts[at] = added;
        return 1;
    }
    case MUT_DROP_ACTION:
        if (!l || l->nacts < 2)
            return 0;
        schedule_remove_action(l, below(m, l->nacts));
        return 1;
    case MUT_SWAP: {
        if (!l || l->nacts < 2)
            return 0;
        size_t a = below(m, l->nacts), b = below(m, l->nacts);
        if (a == b)
            b = (a + 1) % l->nacts;
        struct sched_action tmp = l->acts[a];
        l->acts[a] = l->acts[b];
        l->acts[b] = tmp;
        return 1;
    }
    case MUT_ADD_LINE: {
        if (nl >= BIN_MAX_LINES)
            return 0;
        struct schedule *t = schedule_new("<new>");
        struct sched_line *nlp = t ? schedule_add_line(t) : NULL;
        if (!nlp || fresh_trigger(m, &nlp->trig) != 0 || fresh_action(m, nlp, 0) != 0 ||
            insert_line(s, t, below(m, nl + 1)) != 0) {
            schedule_free(t);
            return -1;
        }
        schedule_free(t);
        return 1;
    }
    case MUT_DROP_LINE:
        if (nl < 2)
            return 0;
        schedule_remove_line(s, below(m, nl));
        return 1;
    case MUT_COPY_LINE: {
        if (nl >= BIN_MAX_LINES || !nl)
            return 0;
        const struct schedule *from = donor && donor->nlines ? donor : s;
        struct schedule *c = copy_line(from, below(m, from->nlines));
        if (!c || insert_line(s, c, below(m, nl + 1)) != 0) {
            schedule_free(c);
            return -1;
        }
        schedule_free(c);
        return 1;
    }
    case MUT_REVERT:
        return revert(s, m);
    case MUT_COMMAND:
        return command(s, m);
    case MUT_COUNT:
        break;
    }
    return 0;
}

static int mutate(struct schedule *s, const struct schedule *donor, struct sched_mutator *m);

/* A migration started in order: a `migrate` on a line without a trigger. */
static bool migrates(const struct schedule *s)
{
    for (size_t i = 0; i < s->nlines; i++)
        for (size_t j = 0; s->lines[i].trig.kind == TRIG_NONE && j < s->lines[i].nacts; j++)
            if (s->lines[i].acts[j].kind == ACT_MIGRATE)
                return true;
    return false;
}

/* The changes that can take a schedule's migration away: the line or action that starts it dropped or
 * replaced, or a trigger put on its line (which may never fire). */
static bool may_stop_migrating(int kind)
{
    return kind == MUT_DROP_LINE || kind == MUT_DROP_ACTION || kind == MUT_ACTION || kind == MUT_TRIGGER;
}

/* One change of `kind`; a schedule that started a migration keeps one (the change is undone, 0, when it
 * would not): every window a hunt looks for is in a migration, and an input without one runs in a few
 * milliseconds, so AFL++, which favours fast inputs, would spend more and more of its time on them. */
static int apply_keeping(struct schedule *s, const struct schedule *donor, struct sched_mutator *m, int kind)
{
    struct schedule *before = may_stop_migrating(kind) && migrates(s) ? schedule_clone(s) : NULL;
    int rc = apply(s, donor, m, kind);
    if (rc > 0 && before && !migrates(s)) {
        struct schedule tmp = *s;
        *s = *before;
        *before = tmp;
        rc = 0;
    }
    schedule_free(before);
    return rc;
}

/* A fault, trigger or hold drawn for a multifd channel or thread the migration will never have would
 * hit nothing ("hit no open channel", "held nothing") and the trial run as if the line were not there:
 * such an index is taken modulo the channels the schedule can have. */
static void bound_channels(struct schedule *s)
{
    int n = schedule_multifd_channels(s);
    for (size_t i = 0; i < s->nlines; i++) {
        struct sched_line *l = &s->lines[i];
        if (l->trig.kind == TRIG_AFTER && l->trig.chan >= n)
            l->trig.chan %= n;
        for (size_t j = 0; j < l->nacts; j++) {
            struct sched_action *a = &l->acts[j];
            if ((a->kind == ACT_RESET || a->kind == ACT_CLOSE || a->kind == ACT_STALL) && a->u.fault.chan >= n)
                a->u.fault.chan %= n;
            if (a->kind == ACT_FREEZE && a->u.freeze.thread.kind == THR_MULTIFDSEND && a->u.freeze.thread.index >= n)
                a->u.freeze.thread.index %= n;
        }
    }
}

int schedule_mutate(struct schedule *s, const struct schedule *donor, struct sched_mutator *m)
{
    int kind = mutate(s, donor, m);
    if (kind >= 0)
        bound_channels(s);
    return kind;
}

static int mutate(struct schedule *s, const struct schedule *donor, struct sched_mutator *m)
{
    /* a change that does not apply (no status trigger to retarget, say) is drawn
     * again; adding a line always applies below the line limit, and dropping one
     * at it */
    for (int tries = 0; tries < 16; tries++) {
        int kind = (int)below(m, MUT_COUNT);
        int rc = apply_keeping(s, donor, m, kind);
        if (rc != 0)
            return rc < 0 ? -1 : kind;
    }
    int kind = s->nlines < BIN_MAX_LINES ? MUT_ADD_LINE : MUT_DROP_LINE;
    int rc = apply_keeping(s, donor, m, kind);
    return rc < 0 ? -1 : kind;
}
