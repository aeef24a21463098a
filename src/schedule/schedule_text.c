/* schedule_text: the schedule language. Parses text into the model, with "NAME:LINE:COL: message"
 * errors, and prints the model back as canonical text (print(parse(print(s))) == print(s)).
 * It must never guess: anything it cannot read exactly is an error saying where and what was expected.
 * It never prints to a stream; docs/schedule-language.md documents the language. */
#include "schedule.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "syntax.h"
#include "units.h"

/* "+DUR", as a trigger's delay is written. */
static int parse_plus_dur(struct cur *c, struct tok t, uint64_t *us)
{
    if (t.len == 1)
        return syn_fail(c, t.col, "expected a duration right after '+' (e.g. '+1ms')");
    t.p++;
    t.len--;
    t.col++;
    return syn_dur(c, t, us);
}

/* ---- triggers ---- */

static int parse_nth(struct cur *c, struct sched_trigger *tr)
{
    struct tok t = {c->s + c->pos, 0, syn_col(c)};
    for (c->pos++; c->pos < c->len && c->s[c->pos] && !strchr(" \t:;#+", c->s[c->pos]); c->pos++)
        ;
    t.len = (size_t)(c->s + c->pos - t.p);
    unsigned long v = 0;
    bool ok = t.len > 1;
    for (size_t i = 1; ok && i < t.len; i++) {
        ok = t.p[i] >= '0' && t.p[i] <= '9' && v <= SCHED_MAX_NTH;
        v = v * 10 + (unsigned long)(t.p[i] - '0');
    }
    if (!ok || v < 1 || v > SCHED_MAX_NTH)
        return syn_fail(c, t.col, "'#N' must be a number from 1 to %d, got '%.*s'", SCHED_MAX_NTH, TQ(t));
    tr->nth = (unsigned)v;
    return 0;
}

/* The optional "#N" and "+DUR" after a status or a trace event. A '#' right before a digit here is a
 * count; anywhere else '#' starts a comment. */
static int parse_nth_delay(struct cur *c, struct sched_trigger *tr, const char *what)
{
    syn_skip_ws(c);
    if (c->pos + 1 < c->len && c->s[c->pos] == '#' && c->s[c->pos + 1] >= '0' && c->s[c->pos + 1] <= '9')
        if (parse_nth(c, tr) != 0)
            return -1;
    char ch = syn_peek(c);
    if (ch == '+') {
        struct tok t;
        if (syn_token(c, true, &t) != 0)
            return -1;
        return parse_plus_dur(c, t, &tr->delay_us);
    }
    if (ch >= '0' && ch <= '9')
        return syn_fail(c, syn_col(c), "a delay after the %s is written '+DUR' (e.g. '+1ms')", what);
    return 0;
}

static int parse_on(struct cur *c, struct sched_trigger *tr)
{
    struct tok t;
    if (syn_token(c, true, &t) != 0)
        return -1;
    if (t.len == 0)
        return syn_fail(c, t.col, "expected a status or 'trace' after 'on'");
    if (syn_is(t, "trace")) {
        tr->kind = TRIG_TRACE;
        if (syn_token(c, true, &t) != 0)
            return -1;
        if (t.len == 0)
            return syn_fail(c, t.col, "expected a trace event name after 'on trace'");
        if (!vocab_trace_name_valid(t.p, t.len))
            return syn_fail(c, t.col,
                        "invalid trace event name '%.*s' (lower-case letters, digits and '_', at most 64)",
                        TQ(t));
        tr->trace_event = strndup(t.p, t.len);
        if (!tr->trace_event)
            return syn_fail(c, t.col, "out of memory");
        return parse_nth_delay(c, tr, "trace event");
    }
    int st = vocab_status_parse(t.p, t.len);
    if (st < 0) {
        char hint[300];
        syn_suggest(hint, sizeof hint, t, vocab_status_names(), true);
        return syn_fail(c, t.col, "unknown status '%.*s'%s", TQ(t), hint);
    }
    tr->kind = TRIG_STATUS;
    tr->status = (enum mig_status)st;
    return parse_nth_delay(c, tr, "status");
}

static int parse_trigger(struct cur *c, struct sched_trigger *tr, struct tok kw)
{
    struct tok t;
    tr->col = kw.col;
    if (syn_is(kw, "on"))
        return parse_on(c, tr);
    if (syn_token(c, true, &t) != 0)
        return -1;
    if (syn_is(kw, "at")) {
        tr->kind = TRIG_AT;
        if (t.len == 0)
            return syn_fail(c, t.col, "expected a duration after 'at'");
        return t.p[0] == '+' ? parse_plus_dur(c, t, &tr->delay_us) : syn_dur(c, t, &tr->delay_us);
    }
    tr->kind = TRIG_AFTER;
    if (t.len == 0)
        return syn_fail(c, t.col, "expected a size after 'after'");
    struct err ue;
    if (units_parse_size(t.p, t.len, &tr->bytes, &ue) != 0)
        return syn_fail(c, t.col, "%s", ue.msg);
    if (syn_token(c, true, &t) != 0)
        return -1;
    if (!syn_is(t, "on"))
        return syn_fail(c, t.col, "expected 'on CHANNEL' after the size");
    if (syn_token(c, true, &t) != 0)
        return -1;
    return syn_chan(c, t, VOCAB_CH_ANY, &tr->chan);
}

/* ---- actions ---- */

static int parse_action(struct cur *c, struct sched_line *l, const char *after)
{
    struct tok word;
    if (syn_token(c, false, &word) != 0)
        return -1;
    if (word.len == 0) {
        if (after)
            return syn_fail(c, word.col, "expected an action after %s", after);
        return syn_fail(c, word.col, "expected an action, got ';'");
    }
    int k = schedule_action_parse_name(word.p, word.len);
    if (k < 0)
        return syn_fail(c, word.col, "unknown action '%.*s' (actions: %s)", TQ(word), schedule_action_list());
    if (l->nacts >= SCHED_MAX_ACTIONS)
        return syn_fail(c, word.col, "too many actions on one line (at most %d)", SCHED_MAX_ACTIONS);
    struct sched_action *a = schedule_add_action(l, (enum sched_action_kind)k);
    if (!a)
        return syn_fail(c, word.col, "out of memory");
    a->line = c->line;
    a->col = word.col;
    const struct sched_form *form = schedule_action_desc(a->kind)->form;
    /* One more than any action takes, so "too many" can point at the first extra one. */
    struct tok args[SCHED_MAX_ITEMS + 1];
    size_t n = 0;
    while (!form->raw && n < SCHED_MAX_ITEMS + 1) {
        char ch = syn_peek(c);
        if (ch == 0 || ch == ';')
            break;
        if (syn_token(c, false, &args[n]) != 0)
            return -1;
        n++;
    }
    return form->parse(c, a, word, args, n);
}

static int parse_line(struct cur *c, struct schedule *s)
{
    if (syn_peek(c) == 0)
        return 0;
    if (s->nlines >= SCHED_MAX_LINES)
        return syn_fail(c, syn_col(c), "too many lines (at most %d)", SCHED_MAX_LINES);
    struct sched_line *l = schedule_add_line(s);
    if (!l)
        return syn_fail(c, syn_col(c), "out of memory");
    l->line = c->line;

    const char *after = NULL;
    size_t start = c->pos;
    struct tok kw;
    if (syn_token(c, true, &kw) != 0)
        return -1;
    if (syn_is(kw, "at") || syn_is(kw, "after") || syn_is(kw, "on")) {
        if (parse_trigger(c, &l->trig, kw) != 0)
            return -1;
        syn_skip_ws(c);
        if (c->pos >= c->len || c->s[c->pos] != ':')
            return syn_fail(c, syn_col(c), "expected ':' after the trigger");
        c->pos++;
        after = "':'";
    } else {
        c->pos = start;
    }
    for (;;) {
        if (parse_action(c, l, after) != 0)
            return -1;
        char ch = syn_peek(c);
        if (ch == 0)
            return 0;
        if (ch != ';') {
            struct tok t;
            if (syn_token(c, false, &t) != 0)
                return -1;
            return syn_fail(c, t.col, "expected ';' or the end of the line, got '%.*s'", TQ(t));
        }
        c->pos++;
        after = "';'";
    }
}

/* Control characters other than tab make a text line unreadable in an editor and in error messages.
 * DEL is let through: json-c prints "\u007f" in a string back as the raw byte, and printed text must
 * parse. */
static int check_chars(struct cur *c)
{
    for (size_t i = 0; i < c->len; i++) {
        unsigned char ch = (unsigned char)c->s[i];
        if (ch == 0)
            return syn_fail(c, (int)i + 1, "the text holds a NUL byte");
        if (ch < 0x20 && ch != '\t')
            return syn_fail(c, (int)i + 1, "control character 0x%02x in the text", ch);
    }
    return 0;
}

struct schedule *schedule_parse(const char *text, size_t len, const char *name, struct err *e)
{
    struct cur c = {.name = name ? name : "<schedule>", .e = e};
    if (len > SCHED_MAX_TEXT) {
        /* Point at the first byte past the limit, so the message has the usual form. */
        const char *nl = NULL;
        c.line = 1;
        for (const char *p = text; (p = memchr(p, '\n', (size_t)(text + SCHED_MAX_TEXT - p))); p++) {
            c.line++;
            nl = p;
        }
        syn_fail(&c, (int)(text + SCHED_MAX_TEXT - (nl ? nl + 1 : text)) + 1,
             "the schedule is longer than %u bytes", SCHED_MAX_TEXT);
        return NULL;
    }
    struct schedule *s = schedule_new(c.name);
    if (!s) {
        err_set(e, "%s: out of memory", c.name);
        return NULL;
    }
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        c.s = text + pos;
        c.len = end - pos;
        c.pos = 0;
        c.line++;
        if (c.len && c.s[c.len - 1] == '\r')
            c.len--;
        if (check_chars(&c) != 0 || parse_line(&c, s) != 0) {
            schedule_free(s);
            return NULL;
        }
        pos = end + 1;
    }
    return s;
}

struct schedule *schedule_load(const char *path, struct err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_set(e, "%s: %s", path, strerror(errno));
        return NULL;
    }
    /* One byte past the limit is enough for the parser to say the file is too long. */
    char *buf = malloc(SCHED_MAX_TEXT + 1);
    if (!buf) {
        fclose(f);
        err_set(e, "%s: out of memory", path);
        return NULL;
    }
    size_t n = fread(buf, 1, SCHED_MAX_TEXT + 1, f);
    int read_errno = ferror(f) ? errno : 0;
    fclose(f);
    struct schedule *s = NULL;
    if (read_errno)
        err_set(e, "%s: %s", path, strerror(read_errno));
    else
        s = schedule_parse(buf, n, path, e);
    free(buf);
    return s;
}

/* ---- canonical text ---- */

static void print_trigger(FILE *f, const struct sched_trigger *t)
{
    char buf[32];
    switch (t->kind) {
    case TRIG_NONE:
        return;
    case TRIG_AT:
        syn_print_dur(f, "at +", t->delay_us);
        break;
    case TRIG_AFTER:
        units_format_size(t->bytes, buf, sizeof buf);
        fprintf(f, "after %s on ", buf);
        fputs(vocab_channel_name(t->chan, buf, sizeof buf), f);
        break;
    case TRIG_STATUS:
    case TRIG_TRACE:
        if (t->kind == TRIG_STATUS)
            fprintf(f, "on %s", vocab_status_name(t->status));
        else
            fprintf(f, "on trace %s", t->trace_event ? t->trace_event : "?");
        if (t->nth != 1)
            fprintf(f, " #%u", t->nth);
        if (t->delay_us)
            syn_print_dur(f, " +", t->delay_us);
        break;
    }
    fputs(": ", f);
}

static void print_action(FILE *f, const struct sched_action *a)
{
    fputs(schedule_action_name(a->kind), f);
    const struct sched_form *form = schedule_action_desc(a->kind) ? schedule_action_desc(a->kind)->form : NULL;
    if (form && form->print)
        form->print(f, a);
}

char *schedule_print(const struct schedule *s)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f)
        return NULL;
    for (size_t i = 0; i < s->nlines; i++) {
        const struct sched_line *l = &s->lines[i];
        print_trigger(f, &l->trig);
        for (size_t j = 0; j < l->nacts; j++) {
            if (j)
                fputs("; ", f);
            print_action(f, &l->acts[j]);
        }
        fputc('\n', f);
    }
    bool ok = !ferror(f);
    if (fclose(f) != 0 || !ok) {
        free(buf);
        return NULL;
    }
    return buf;
}

int schedule_header(const char *path, const char *prefix, char *buf, size_t n, int *line, int *col, struct err *e)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return err_set(e, "%s: cannot read: %s", path, strerror(errno));
    int found = 0;
    for (int no = 1; !found && fgets(buf, (int)n, f); no++) {
        const char *s = buf + strspn(buf, " \t");
        if (*s == '\n' || *s == '\0')
            continue;
        if (*s != '#')
            break;
        if (strncmp(s, prefix, strlen(prefix)) == 0) {
            buf[strcspn(buf, "\n")] = '\0';
            *line = no;
            *col = (int)(s - buf + strlen(prefix)) + 1;
            found = 1;
        }
    }
    fclose(f);
    return found;
}
