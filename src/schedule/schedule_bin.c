/* schedule_bin: the binary form of a schedule, for fuzzers. Decoding is total (every byte string is a
 * valid schedule; bytes past the end read as 0) and encoding is canonical (the smallest bytes that
 * decode to the same schedule), so a fuzzer's mutations always mean something and corpora compare
 * byte for byte. Every decoded schedule prints as text that parses back to it.
 * It must never reject an input in decode, and never read outside the buffer. */
#include "schedule.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

#define BIN_MAX_LINES 64
#define BIN_MAX_ACTIONS 4
#define BIN_MAX_CAPS 4
#define BIN_MAX_PARAMS 2
#define BIN_MAX_MULTIFD 7 /* channel and thread selectors hold multifd 0..7 */
/* The longest line: T, a status trigger (4), four params actions of two items (8 each). */
#define BIN_MAX_LINE_BYTES (1 + 4 + BIN_MAX_ACTIONS * 8)

static const char *const qmp_table[] = {
    "{\"execute\":\"query-status\"}",
    "{\"execute\":\"query-yank\"}",
    "{\"execute\":\"query-migrate-capabilities\"}",
    "{\"execute\":\"query-migrate-parameters\"}",
    "{\"execute\":\"stop\"}",
    "{\"execute\":\"cont\"}",
    "{\"execute\":\"migrate-start-postcopy\"}",
    "{\"execute\":\"migrate-pause\"}",
};
#define QMP_TABLE_SIZE (sizeof qmp_table / sizeof qmp_table[0])

static const char *const str_table[] = {"", "qmprace"};

/* ---- decoding ---- */

struct rd {
    const uint8_t *p;
    size_t len, pos;
};

static unsigned rd_byte(struct rd *r)
{
    unsigned b = r->pos < r->len ? r->p[r->pos] : 0;
    r->pos++;
    return b;
}

static unsigned rd_u16(struct rd *r)
{
    unsigned hi = rd_byte(r);
    return hi << 8 | rd_byte(r);
}

/* dur16: a 12-bit mantissa of microseconds and a 4-bit exponent; size16: 11-bit bytes, 5-bit exponent. */
static uint64_t dur16(unsigned v)
{
    return (uint64_t)(v & 0xfff) << (v >> 12);
}

static uint64_t size16(unsigned v)
{
    return (uint64_t)(v & 0x7ff) << (v >> 11);
}

/* Selector byte to channel: faults pick all/main/multifd0..7, triggers any/main/multifd0..7. */
static int chan_of(unsigned b, int first)
{
    b %= 10;
    return b == 0 ? first : b == 1 ? CHAN_MAIN : (int)b - 2;
}

static size_t trace_count(void)
{
    size_t n = 0;
    while (vocab_trace_names()[n])
        n++;
    return n;
}

static int decode_trigger(struct rd *r, struct sched_trigger *t, unsigned kind)
{
    t->kind = (enum sched_trigger_kind)kind;
    switch (t->kind) {
    case TRIG_AT:
        t->delay_us = dur16(rd_u16(r));
        break;
    case TRIG_AFTER:
        t->bytes = size16(rd_u16(r));
        t->chan = chan_of(rd_byte(r), CHAN_ANY);
        break;
    case TRIG_STATUS:
        t->status = (enum mig_status)(rd_byte(r) % MIG_STATUS_COUNT);
        t->nth = 1 + rd_byte(r) % 4;
        t->delay_us = dur16(rd_u16(r));
        break;
    case TRIG_TRACE:
        t->trace_event = strdup(vocab_trace_names()[rd_byte(r) % trace_count()]);
        if (!t->trace_event)
            return -1;
        t->nth = 1 + rd_byte(r) % 4;
        t->delay_us = dur16(rd_u16(r));
        break;
    default:
        break;
    }
    return 0;
}

static json_object *decode_param_value(const struct vocab_param *p, unsigned v)
{
    switch (p->type) {
    case PT_UINT8:
        return json_object_new_int64(v % 256);
    case PT_UINT32:
    case PT_UINT64:
        return json_object_new_int64(v);
    case PT_SIZE:
        return json_object_new_int64((int64_t)size16(v));
    case PT_BOOL:
        return json_object_new_boolean(v % 2);
    case PT_STR:
        return json_object_new_string(str_table[v % 2]);
    case PT_COMPRESS:
        return json_object_new_string(vocab_compress_name((int)(v % 3)));
    }
    return NULL;
}

static int decode_action(struct rd *r, struct sched_line *l)
{
    struct sched_action *a = schedule_add_action(l, (enum sched_action_kind)(rd_byte(r) % ACT_KIND_COUNT));
    if (!a)
        return -1;
    unsigned n;
    switch (a->kind) {
    case ACT_CAPS:
        n = 1 + rd_byte(r) % BIN_MAX_CAPS;
        for (unsigned i = 0; i < n; i++) {
            unsigned b = rd_byte(r);
            if (schedule_add_cap(a, (enum mig_cap)(b % CAP_COUNT), (b / CAP_COUNT) % 2) != 0)
                return -1;
        }
        break;
    case ACT_PARAMS:
        n = 1 + rd_byte(r) % BIN_MAX_PARAMS;
        for (unsigned i = 0; i < n; i++) {
            enum mig_param p = (enum mig_param)(rd_byte(r) % PARAM_COUNT);
            if (schedule_add_param(a, p, decode_param_value(vocab_param(p), rd_u16(r))) != 0)
                return -1;
        }
        break;
    case ACT_QMP:
        a->u.qmp = json_tokener_parse(qmp_table[rd_byte(r) % QMP_TABLE_SIZE]);
        if (!a->u.qmp)
            return -1;
        break;
    case ACT_RESET:
    case ACT_CLOSE:
    case ACT_STALL:
        a->u.fault.chan = chan_of(rd_byte(r), CHAN_ALL);
        if (a->kind == ACT_STALL)
            a->u.fault.dur_us = dur16(rd_u16(r));
        break;
    case ACT_FREEZE: {
        unsigned b = rd_byte(r) % 10;
        a->u.freeze.thread = b == 0   ? (struct thread_ref){THR_LIVE_MIGRATION, 0}
                             : b == 1 ? (struct thread_ref){THR_MAIN, 0}
                                      : (struct thread_ref){THR_MULTIFDSEND, (int)b - 2};
        /* 0 would not be valid text ("freeze for 0"), so the form reads it as the shortest hold. */
        a->u.freeze.dur_us = dur16(rd_u16(r));
        if (!a->u.freeze.dur_us)
            a->u.freeze.dur_us = 1;
        break;
    }
    case ACT_WAIT:
        a->u.wait_us = dur16(rd_u16(r));
        if (!a->u.wait_us)
            a->u.wait_us = 1;
        break;
    default:
        break;
    }
    return 0;
}

struct schedule *schedule_decode(const uint8_t *buf, size_t len)
{
    struct schedule *s = schedule_new("<decoded>");
    if (!s)
        return NULL;
    struct rd r = {buf, buf ? len : 0, 0};
    while (r.pos < r.len && s->nlines < BIN_MAX_LINES) {
        struct sched_line *l = schedule_add_line(s);
        if (!l)
            goto oom;
        unsigned t = rd_byte(&r);
        unsigned nacts = 1 + (t / 5) % BIN_MAX_ACTIONS;
        if (decode_trigger(&r, &l->trig, t % 5) != 0)
            goto oom;
        for (unsigned i = 0; i < nacts; i++)
            if (decode_action(&r, l) != 0)
                goto oom;
    }
    return s;
oom:
    schedule_free(s);
    return NULL;
}

/* ---- encoding ---- */

struct wr {
    uint8_t buf[BIN_MAX_LINES * BIN_MAX_LINE_BYTES];
    size_t n;
    const struct schedule *s;
    int line, col; /* where the element being encoded was written, for messages */
    struct err *e;
};

static int enc_fail(struct wr *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int enc_fail(struct wr *w, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(w->e, "%s:%d:%d: cannot be encoded: %s", w->s->name, w->line, w->col, msg);
}

/* The fixed size of w->buf holds the longest schedule the form can carry, which the callers' limit
 * checks guarantee; the check here only keeps a future mistake from writing past it. */
static int put(struct wr *w, unsigned b)
{
    if (w->n >= sizeof w->buf)
        return enc_fail(w, "internal error: encoding longer than %zu bytes", sizeof w->buf);
    w->buf[w->n++] = (uint8_t)b;
    return 0;
}

static int put16(struct wr *w, unsigned v)
{
    return put(w, v >> 8) == 0 && put(w, v & 0xff) == 0 ? 0 : -1;
}

/* The smallest exponent that carries x exactly in a mantissa of `bits` bits; -1 if none does. */
static int mant_exp(uint64_t x, unsigned bits, unsigned max_exp, unsigned *v)
{
    uint64_t mask = (1u << bits) - 1;
    for (unsigned ex = 0; ex <= max_exp; ex++) {
        if ((x >> ex) <= mask && ((x >> ex) << ex) == x) {
            *v = ex << bits | (unsigned)(x >> ex);
            return 0;
        }
    }
    return -1;
}

static int put_dur(struct wr *w, uint64_t us)
{
    unsigned v;
    if (mant_exp(us, 12, 15, &v) != 0) {
        char buf[32];
        units_format_duration(us, buf, sizeof buf);
        return enc_fail(w, "duration %s is not a 12-bit number of microseconds times a power of two", buf);
    }
    return put16(w, v);
}

static int enc_size(struct wr *w, uint64_t bytes, unsigned *v)
{
    if (mant_exp(bytes, 11, 31, v) != 0) {
        char buf[32];
        units_format_size(bytes, buf, sizeof buf);
        return enc_fail(w, "size %s is not an 11-bit number of bytes times a power of two", buf);
    }
    return 0;
}

static int enc_chan(struct wr *w, int chan, int first)
{
    if (chan == first)
        return put(w, 0);
    if (chan == CHAN_MAIN)
        return put(w, 1);
    char buf[16];
    if (chan < 0 || chan > BIN_MAX_MULTIFD)
        return enc_fail(w, "channel %s: only %s, main and multifd0..multifd7 fit",
                        vocab_channel_name(chan, buf, sizeof buf), first == CHAN_ALL ? "all" : "any");
    return put(w, 2 + (unsigned)chan);
}

static int enc_nth(struct wr *w, unsigned nth)
{
    if (nth < 1 || nth > 4)
        return enc_fail(w, "'#%u': only #1 to #4 fit", nth);
    return put(w, nth - 1);
}

static int enc_trigger(struct wr *w, const struct sched_trigger *t)
{
    unsigned v;
    switch (t->kind) {
    case TRIG_NONE:
        return 0;
    case TRIG_AT:
        return put_dur(w, t->delay_us);
    case TRIG_AFTER:
        if (enc_size(w, t->bytes, &v) != 0 || put16(w, v) != 0)
            return -1;
        return enc_chan(w, t->chan, CHAN_ANY);
    case TRIG_STATUS:
        if ((unsigned)t->status >= MIG_STATUS_COUNT)
            return enc_fail(w, "invalid status %d", (int)t->status);
        if (put(w, t->status) != 0 || enc_nth(w, t->nth) != 0)
            return -1;
        return put_dur(w, t->delay_us);
    case TRIG_TRACE: {
        const char *const *names = vocab_trace_names();
        unsigned i = 0;
        while (names[i] && !(t->trace_event && strcmp(names[i], t->trace_event) == 0))
            i++;
        if (!names[i])
            return enc_fail(w, "trace event '%s' is not in the binary form's table",
                            t->trace_event ? t->trace_event : "");
        if (put(w, i) != 0 || enc_nth(w, t->nth) != 0)
            return -1;
        return put_dur(w, t->delay_us);
    }
    }
    return enc_fail(w, "invalid trigger kind %d", (int)t->kind);
}

static int enc_param(struct wr *w, const struct sched_param *p)
{
    const struct vocab_param *vp = vocab_param(p->param);
    if (!vp)
        return enc_fail(w, "invalid parameter %d", (int)p->param);
    json_object *o = p->value;
    unsigned v = 0;
    bool ok;
    switch (vp->type) {
    case PT_UINT8:
    case PT_UINT32:
    case PT_UINT64:
    case PT_SIZE:
        ok = json_object_is_type(o, json_type_int) && json_object_get_int64(o) >= 0;
        if (!ok)
            break;
        uint64_t x = json_object_get_uint64(o);
        if (vp->type == PT_SIZE) {
            if (enc_size(w, x, &v) != 0)
                return -1;
        } else if (x > (vp->type == PT_UINT8 ? 255u : 65535u)) {
            return enc_fail(w, "'%s=%" PRIu64 "': only values up to %u fit", vp->name, x,
                            vp->type == PT_UINT8 ? 255u : 65535u);
        } else {
            v = (unsigned)x;
        }
        break;
    case PT_BOOL:
        ok = json_object_is_type(o, json_type_boolean);
        v = ok && json_object_get_boolean(o);
        break;
    case PT_STR:
        ok = json_object_is_type(o, json_type_string);
        if (!ok)
            break;
        while (v < 2 && strcmp(str_table[v], json_object_get_string(o)) != 0)
            v++;
        if (v == 2 || (size_t)json_object_get_string_len(o) != strlen(str_table[v]))
            return enc_fail(w, "'%s': only \"\" and \"qmprace\" fit", vp->name);
        break;
    case PT_COMPRESS:
        ok = json_object_is_type(o, json_type_string);
        if (!ok)
            break;
        int c = vocab_compress_parse(json_object_get_string(o), (size_t)json_object_get_string_len(o));
        ok = c >= 0;
        v = (unsigned)c;
        break;
    default:
        ok = false;
    }
    if (!ok)
        return enc_fail(w, "'%s' has a value of the wrong type", vp->name);
    return put(w, p->param) == 0 && put16(w, v) == 0 ? 0 : -1;
}

static int enc_action(struct wr *w, const struct sched_action *a)
{
    if (put(w, a->kind) != 0)
        return -1;
    switch (a->kind) {
    case ACT_CAPS:
        if (a->u.caps.n < 1 || a->u.caps.n > BIN_MAX_CAPS)
            return enc_fail(w, "'caps' with %zu items: only 1 to %d fit", a->u.caps.n, BIN_MAX_CAPS);
        if (put(w, (unsigned)a->u.caps.n - 1) != 0)
            return -1;
        for (size_t i = 0; i < a->u.caps.n; i++) {
            const struct sched_cap *c = &a->u.caps.items[i];
            if ((unsigned)c->cap >= CAP_COUNT)
                return enc_fail(w, "invalid capability %d", (int)c->cap);
            if (put(w, c->cap + (c->on ? CAP_COUNT : 0)) != 0)
                return -1;
        }
        return 0;
    case ACT_PARAMS:
        if (a->u.params.n < 1 || a->u.params.n > BIN_MAX_PARAMS)
            return enc_fail(w, "'params' with %zu items: only 1 to %d fit", a->u.params.n, BIN_MAX_PARAMS);
        if (put(w, (unsigned)a->u.params.n - 1) != 0)
            return -1;
        for (size_t i = 0; i < a->u.params.n; i++)
            if (enc_param(w, &a->u.params.items[i]) != 0)
                return -1;
        return 0;
    case ACT_MIGRATE:
    case ACT_CANCEL:
    case ACT_QUERY:
        return 0;
    case ACT_QMP: {
        const char *text = a->u.qmp ? json_object_to_json_string_ext(a->u.qmp, JSON_C_TO_STRING_PLAIN |
                                                                                    JSON_C_TO_STRING_NOSLASHESCAPE)
                                    : "";
        for (unsigned i = 0; i < QMP_TABLE_SIZE; i++)
            if (strcmp(text, qmp_table[i]) == 0)
                return put(w, i);
        return enc_fail(w, "qmp %.200s is not in the binary form's table", text);
    }
    case ACT_RESET:
    case ACT_CLOSE:
    case ACT_STALL:
        if (enc_chan(w, a->u.fault.chan, CHAN_ALL) != 0)
            return -1;
        return a->kind == ACT_STALL ? put_dur(w, a->u.fault.dur_us) : 0;
    case ACT_FREEZE: {
        struct thread_ref t = a->u.freeze.thread;
        unsigned b;
        if (t.kind == THR_LIVE_MIGRATION)
            b = 0;
        else if (t.kind == THR_MAIN)
            b = 1;
        else if (t.kind == THR_MULTIFDSEND && t.index >= 0 && t.index <= BIN_MAX_MULTIFD)
            b = 2 + (unsigned)t.index;
        else
            return enc_fail(w, "thread: only live_migration, main and multifdsend_0..multifdsend_7 fit");
        if (a->u.freeze.dur_us == 0)
            return enc_fail(w, "'freeze' for 0 (the binary form reads 0 as 1us)");
        return put(w, b) == 0 ? put_dur(w, a->u.freeze.dur_us) : -1;
    }
    case ACT_WAIT:
        if (a->u.wait_us == 0)
            return enc_fail(w, "'wait' for 0 (the binary form reads 0 as 1us)");
        return put_dur(w, a->u.wait_us);
    default:
        return enc_fail(w, "invalid action kind %d", (int)a->kind);
    }
}

int schedule_encode(const struct schedule *s, uint8_t **out, size_t *len, struct err *e)
{
    struct wr *w = calloc(1, sizeof *w);
    if (!w)
        return err_set(e, "%s: out of memory", s->name);
    w->s = s;
    w->e = e;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s->nlines; i++) {
        const struct sched_line *l = &s->lines[i];
        w->line = l->line ? l->line : (int)i + 1;
        w->col = l->trig.col ? l->trig.col : 1;
        if (i >= BIN_MAX_LINES) {
            rc = enc_fail(w, "more than %d lines", BIN_MAX_LINES);
            break;
        }
        if (l->nacts < 1 || l->nacts > BIN_MAX_ACTIONS) {
            if (l->nacts > BIN_MAX_ACTIONS && l->acts[BIN_MAX_ACTIONS].col)
                w->col = l->acts[BIN_MAX_ACTIONS].col;
            rc = enc_fail(w, "%zu actions on a line: only 1 to %d fit", l->nacts, BIN_MAX_ACTIONS);
            break;
        }
        rc = put(w, (unsigned)l->trig.kind + 5 * ((unsigned)l->nacts - 1));
        if (rc == 0)
            rc = enc_trigger(w, &l->trig);
        for (size_t j = 0; rc == 0 && j < l->nacts; j++) {
            const struct sched_action *a = &l->acts[j];
            if (a->line)
                w->line = a->line;
            w->col = a->col ? a->col : 1;
            rc = enc_action(w, a);
        }
    }
    if (rc == 0) {
        /* malloc(0) may return NULL; an empty schedule still gets a buffer the caller can free. */
        *out = malloc(w->n ? w->n : 1);
        if (!*out)
            rc = err_set(e, "%s: out of memory", s->name);
        else {
            memcpy(*out, w->buf, w->n);
            *len = w->n;
        }
    }
    free(w);
    return rc;
}
