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

#include "bin.h"
#include "form.h"
#include "units.h"

/* The tables the binary form indexes by a byte modulo their size: a size changed here changes what stored
 * .bin inputs (hunt seeds, fuzz/regressions) decode to, so each is pinned. Append, knowingly. */
_Static_assert(MIG_STATUS_COUNT == 17, "the binary schedule form indexes the status table");
_Static_assert(CAP_COUNT == 24 && CAP_COUNT_72 == 21, "the binary schedule form indexes the capability table");
_Static_assert(PARAM_COUNT == 33, "the binary schedule form indexes the parameter table");
_Static_assert(TRACE_COUNT == 8, "the binary schedule form indexes the trace point table");

/* ---- decoding ---- */

static int decode_trigger(struct rd *r, struct sched_trigger *t, unsigned kind)
{
    t->kind = (enum sched_trigger_kind)kind;
    switch (t->kind) {
    case TRIG_AT:
        t->delay_us = bin_dur16(bin_u16(r));
        break;
    case TRIG_AFTER:
        t->bytes = bin_size16(bin_u16(r));
        t->chan = bin_chan(bin_byte(r), CHAN_ANY);
        break;
    case TRIG_STATUS:
        t->status = (enum mig_status)(bin_byte(r) % MIG_STATUS_COUNT);
        t->nth = 1 + bin_byte(r) % 4;
        t->delay_us = bin_dur16(bin_u16(r));
        break;
    case TRIG_TRACE:
        t->trace_event = strdup(vocab_trace_names()[bin_byte(r) % TRACE_COUNT]);
        if (!t->trace_event)
            return -1;
        t->nth = 1 + bin_byte(r) % 4;
        t->delay_us = bin_dur16(bin_u16(r));
        break;
    default:
        break;
    }
    return 0;
}

static int decode_action(struct rd *r, struct sched_line *l)
{
    struct sched_action *a = schedule_add_action(l, (enum sched_action_kind)(bin_byte(r) % ACT_KIND_COUNT));
    if (!a)
        return -1;
    const struct sched_form *form = schedule_action_desc(a->kind)->form;
    return form->decode ? form->decode(r, a) : 0;
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
        unsigned t = bin_byte(&r);
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

static int enc_nth(struct wr *w, unsigned nth)
{
    if (nth < 1 || nth > 4)
        return bin_fail(w, "'#%u': only #1 to #4 fit", nth);
    return bin_put(w, nth - 1);
}

static int enc_trigger(struct wr *w, const struct sched_trigger *t)
{
    unsigned v;
    switch (t->kind) {
    case TRIG_NONE:
        return 0;
    case TRIG_AT:
        return bin_put_dur(w, t->delay_us);
    case TRIG_AFTER:
        if (bin_size(w, t->bytes, &v) != 0 || bin_put16(w, v) != 0)
            return -1;
        return bin_put_chan(w, t->chan, CHAN_ANY);
    case TRIG_STATUS:
        if ((unsigned)t->status >= MIG_STATUS_COUNT)
            return bin_fail(w, "invalid status %d", (int)t->status);
        if (bin_put(w, t->status) != 0 || enc_nth(w, t->nth) != 0)
            return -1;
        return bin_put_dur(w, t->delay_us);
    case TRIG_TRACE: {
        int i = vocab_trace_parse(t->trace_event);
        if (i < 0)
            return bin_fail(w, "trace event '%s' is not in the binary form's table",
                            t->trace_event ? t->trace_event : "");
        if (bin_put(w, (unsigned)i) != 0 || enc_nth(w, t->nth) != 0)
            return -1;
        return bin_put_dur(w, t->delay_us);
    }
    }
    return bin_fail(w, "invalid trigger kind %d", (int)t->kind);
}

static int enc_action(struct wr *w, const struct sched_action *a)
{
    const struct sched_action_desc *d = schedule_action_desc(a->kind);
    if (!d)
        return bin_fail(w, "invalid action kind %d", (int)a->kind);
    if (bin_put(w, a->kind) != 0)
        return -1;
    return d->form->encode(w, a);
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
            rc = bin_fail(w, "more than %d lines", BIN_MAX_LINES);
            break;
        }
        if (l->nacts < 1 || l->nacts > BIN_MAX_ACTIONS) {
            if (l->nacts > BIN_MAX_ACTIONS && l->acts[BIN_MAX_ACTIONS].col)
                w->col = l->acts[BIN_MAX_ACTIONS].col;
            rc = bin_fail(w, "%zu actions on a line: only 1 to %d fit", l->nacts, BIN_MAX_ACTIONS);
            break;
        }
        rc = bin_put(w, (unsigned)l->trig.kind + 5 * ((unsigned)l->nacts - 1));
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
