/* schedule_text: the schedule language. Parses text into the model, with "NAME:LINE:COL: message"
 * errors, and prints the model back as canonical text (print(parse(print(s))) == print(s)).
 * It must never guess: anything it cannot read exactly is an error saying where and what was expected.
 * It never prints to a stream; README.md documents the language. */
#include "schedule.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

/* A cursor over one text line (without its line end). */
struct cur {
    const char *s;
    size_t len, pos;
    int line;
    const char *name;
    struct err *e;
};

struct tok {
    const char *p;
    size_t len;
    int col;
};

/* Quotes a token in messages, cut short so a long one cannot push out the rest of the message. */
#define TQ(t) (int)((t).len > 64 ? 64 : (t).len), (t).p

static const char action_list[] = "caps, params, migrate, cancel, query, qmp, reset, close, stall, "
                                  "freeze, wait";

static int fail(struct cur *c, int col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct cur *c, int col, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(c->e, "%s:%d:%d: %s", c->name, c->line, col, msg);
}

static int col_here(const struct cur *c)
{
    return (int)c->pos + 1;
}

static void skip_ws(struct cur *c)
{
    while (c->pos < c->len && (c->s[c->pos] == ' ' || c->s[c->pos] == '\t'))
        c->pos++;
}

/* The next significant character, or 0 at the end of the line or at a comment. */
static char peek(struct cur *c)
{
    skip_ws(c);
    if (c->pos >= c->len || c->s[c->pos] == '#')
        return 0;
    return c->s[c->pos];
}

/* Reads one token: up to a space, tab, ';', '#' or (inside a trigger) ':'. A "quoted string" inside a
 * token is read whole, so params values may hold those characters. An empty token means there is none
 * here (end of line, comment, ';' or ':'). */
static int read_token(struct cur *c, bool trigger, struct tok *t)
{
    skip_ws(c);
    t->p = c->s + c->pos;
    t->col = col_here(c);
    while (c->pos < c->len) {
        char ch = c->s[c->pos];
        if (ch == ' ' || ch == '\t' || ch == ';' || ch == '#' || (trigger && ch == ':'))
            break;
        if (ch == '"') {
            int qcol = col_here(c);
            for (c->pos++; c->pos < c->len && c->s[c->pos] != '"'; c->pos++)
                if (c->s[c->pos] == '\\' && c->pos + 1 < c->len)
                    c->pos++;
            if (c->pos >= c->len)
                return fail(c, qcol, "unterminated quoted string");
        }
        c->pos++;
    }
    t->len = (size_t)(c->s + c->pos - t->p);
    return 0;
}

static bool tok_is(struct tok t, const char *word)
{
    return t.len == strlen(word) && memcmp(t.p, word, t.len) == 0;
}

/* " (did you mean 'x'?)", else the whole list when `list` is set, else nothing. */
static void suggest(char *buf, size_t n, struct tok t, const char *const *names, bool list)
{
    const char *near = vocab_closest(t.p, t.len, names);
    buf[0] = '\0';
    if (near) {
        snprintf(buf, n, " (did you mean '%s'?)", near);
    } else if (list) {
        size_t used = (size_t)snprintf(buf, n, " (expected one of:");
        for (size_t i = 0; names[i] && used < n; i++)
            used += (size_t)snprintf(buf + used, n - used, " %s%s", names[i], names[i + 1] ? "," : ")");
    }
}

static int parse_dur(struct cur *c, struct tok t, uint64_t *us)
{
    struct err ue;
    if (units_parse_duration(t.p, t.len, us, &ue) != 0)
        return fail(c, t.col, "%s", ue.msg);
    return 0;
}

/* "+DUR", as a trigger's delay is written. */
static int parse_plus_dur(struct cur *c, struct tok t, uint64_t *us)
{
    if (t.len == 1)
        return fail(c, t.col, "expected a duration right after '+' (e.g. '+1ms')");
    t.p++;
    t.len--;
    t.col++;
    return parse_dur(c, t, us);
}

static int parse_chan(struct cur *c, struct tok t, int allow, int *chan)
{
    const char *expect = allow & VOCAB_CH_ALL ? "main, multifdN or all" : "main, multifdN or any";
    if (t.len == 0)
        return fail(c, t.col, "expected a channel (%s)", expect);
    if (vocab_channel_parse(t.p, t.len, allow, chan) != 0)
        return fail(c, t.col, "expected a channel (%s), got '%.*s'", expect, TQ(t));
    return 0;
}

/* ---- triggers ---- */

static int parse_nth(struct cur *c, struct sched_trigger *tr)
{
    struct tok t = {c->s + c->pos, 0, col_here(c)};
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
        return fail(c, t.col, "'#N' must be a number from 1 to %d, got '%.*s'", SCHED_MAX_NTH, TQ(t));
    tr->nth = (unsigned)v;
    return 0;
}

/* The optional "#N" and "+DUR" after a status or a trace event. A '#' right before a digit here is a
 * count; anywhere else '#' starts a comment. */
static int parse_nth_delay(struct cur *c, struct sched_trigger *tr, const char *what)
{
    skip_ws(c);
    if (c->pos + 1 < c->len && c->s[c->pos] == '#' && c->s[c->pos + 1] >= '0' && c->s[c->pos + 1] <= '9')
        if (parse_nth(c, tr) != 0)
            return -1;
    char ch = peek(c);
    if (ch == '+') {
        struct tok t;
        if (read_token(c, true, &t) != 0)
            return -1;
        return parse_plus_dur(c, t, &tr->delay_us);
    }
    if (ch >= '0' && ch <= '9')
        return fail(c, col_here(c), "a delay after the %s is written '+DUR' (e.g. '+1ms')", what);
    return 0;
}

static int parse_on(struct cur *c, struct sched_trigger *tr)
{
    struct tok t;
    if (read_token(c, true, &t) != 0)
        return -1;
    if (t.len == 0)
        return fail(c, t.col, "expected a status or 'trace' after 'on'");
    if (tok_is(t, "trace")) {
        tr->kind = TRIG_TRACE;
        if (read_token(c, true, &t) != 0)
            return -1;
        if (t.len == 0)
            return fail(c, t.col, "expected a trace event name after 'on trace'");
        if (!vocab_trace_name_valid(t.p, t.len))
            return fail(c, t.col,
                        "invalid trace event name '%.*s' (lower-case letters, digits and '_', at most 64)",
                        TQ(t));
        tr->trace_event = strndup(t.p, t.len);
        if (!tr->trace_event)
            return fail(c, t.col, "out of memory");
        return parse_nth_delay(c, tr, "trace event");
    }
    int st = vocab_status_parse(t.p, t.len);
    if (st < 0) {
        char hint[300];
        suggest(hint, sizeof hint, t, vocab_status_names(), true);
        return fail(c, t.col, "unknown status '%.*s'%s", TQ(t), hint);
    }
    tr->kind = TRIG_STATUS;
    tr->status = (enum mig_status)st;
    return parse_nth_delay(c, tr, "status");
}

static int parse_trigger(struct cur *c, struct sched_trigger *tr, struct tok kw)
{
    struct tok t;
    tr->col = kw.col;
    if (tok_is(kw, "on"))
        return parse_on(c, tr);
    if (read_token(c, true, &t) != 0)
        return -1;
    if (tok_is(kw, "at")) {
        tr->kind = TRIG_AT;
        if (t.len == 0)
            return fail(c, t.col, "expected a duration after 'at'");
        return t.p[0] == '+' ? parse_plus_dur(c, t, &tr->delay_us) : parse_dur(c, t, &tr->delay_us);
    }
    tr->kind = TRIG_AFTER;
    if (t.len == 0)
        return fail(c, t.col, "expected a size after 'after'");
    struct err ue;
    if (units_parse_size(t.p, t.len, &tr->bytes, &ue) != 0)
        return fail(c, t.col, "%s", ue.msg);
    if (read_token(c, true, &t) != 0)
        return -1;
    if (!tok_is(t, "on"))
        return fail(c, t.col, "expected 'on CHANNEL' after the size");
    if (read_token(c, true, &t) != 0)
        return -1;
    return parse_chan(c, t, VOCAB_CH_ANY, &tr->chan);
}

/* ---- actions ---- */

static int parse_bool(struct tok v, bool *on)
{
    if (tok_is(v, "on") || tok_is(v, "true"))
        *on = true;
    else if (tok_is(v, "off") || tok_is(v, "false"))
        *on = false;
    else
        return -1;
    return 0;
}

/* Splits NAME=VALUE; the value token carries its own column. */
static bool split_item(struct tok t, struct tok *name, struct tok *value)
{
    const char *eq = memchr(t.p, '=', t.len);
    if (!eq)
        return false;
    *name = (struct tok){t.p, (size_t)(eq - t.p), t.col};
    *value = (struct tok){eq + 1, t.len - name->len - 1, t.col + (int)name->len + 1};
    return true;
}

static int parse_cap_item(struct cur *c, struct sched_action *a, struct tok t)
{
    struct tok name, value;
    bool on;
    if (!split_item(t, &name, &value))
        return fail(c, t.col, "expected NAME=on|off, got '%.*s'", TQ(t));
    int cap = vocab_cap_parse(name.p, name.len);
    if (cap < 0) {
        char hint[400];
        suggest(hint, sizeof hint, name, vocab_cap_names(), true);
        return fail(c, t.col, "unknown capability '%.*s'%s", TQ(name), hint);
    }
    if (parse_bool(value, &on) != 0)
        return fail(c, value.col, "'%s' takes on or off, got '%.*s'", vocab_cap_name(cap), TQ(value));
    if (schedule_add_cap(a, (enum mig_cap)cap, on) != 0)
        return fail(c, t.col, "out of memory");
    return 0;
}

static bool is_word_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("_.:/-", ch));
}

static bool is_word(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_word_char(s[i]))
            return false;
    return len > 0;
}

/* A "quoted string" value, read by json-c so escapes mean what they mean in QMP. */
static json_object *parse_quoted(struct tok v)
{
    json_tokener *jt = json_tokener_new();
    if (!jt)
        return NULL;
    json_tokener_set_flags(jt, JSON_TOKENER_STRICT);
    json_object *o = json_tokener_parse_ex(jt, v.p, (int)v.len);
    bool whole = o && json_tokener_get_parse_end(jt) == v.len && json_object_is_type(o, json_type_string);
    json_tokener_free(jt);
    if (!whole) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

static bool parse_uint(struct tok v, uint64_t max, uint64_t *out)
{
    uint64_t x = 0;
    if (v.len == 0)
        return false;
    for (size_t i = 0; i < v.len; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return false;
        unsigned d = (unsigned)(v.p[i] - '0');
        if (x > (max - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *out = x;
    return true;
}

static json_object *new_uint(uint64_t x)
{
    return x > INT64_MAX ? json_object_new_uint64(x) : json_object_new_int64((int64_t)x);
}

/* The value of a parameter, as the JSON type QMP expects; NULL with an error set when it is wrong. */
static json_object *parse_param_value(struct cur *c, const struct vocab_param *p, struct tok v)
{
    uint64_t x;
    bool on;
    json_object *o;
    switch (p->type) {
    case PT_UINT8:
    case PT_UINT32:
    case PT_UINT64: {
        uint64_t max = p->type == PT_UINT8 ? UINT8_MAX : p->type == PT_UINT32 ? UINT32_MAX : UINT64_MAX;
        if (!parse_uint(v, max, &x)) {
            fail(c, v.col, "'%s' takes an integer from 0 to %" PRIu64 ", got '%.*s'", p->name, max, TQ(v));
            return NULL;
        }
        o = new_uint(x);
        break;
    }
    case PT_SIZE: {
        struct err ue;
        if (units_parse_size(v.p, v.len, &x, &ue) != 0) {
            fail(c, v.col, "%s", ue.msg);
            return NULL;
        }
        o = new_uint(x);
        break;
    }
    case PT_BOOL:
        if (parse_bool(v, &on) != 0) {
            fail(c, v.col, "'%s' takes on or off, got '%.*s'", p->name, TQ(v));
            return NULL;
        }
        o = json_object_new_boolean(on);
        break;
    case PT_STR:
        o = NULL;
        if (v.len && v.p[0] == '"')
            o = parse_quoted(v);
        else if (is_word(v.p, v.len))
            o = json_object_new_string_len(v.p, (int)v.len);
        if (!o) {
            fail(c, v.col, "'%s' takes a word of [A-Za-z0-9_.:/-] or a \"quoted string\", got '%.*s'",
                 p->name, TQ(v));
            return NULL;
        }
        break;
    case PT_COMPRESS:
        if (vocab_compress_parse(v.p, v.len) < 0) {
            fail(c, v.col, "'%s' takes none, zlib or zstd, got '%.*s'", p->name, TQ(v));
            return NULL;
        }
        o = json_object_new_string_len(v.p, (int)v.len);
        break;
    default:
        o = NULL;
    }
    if (!o)
        fail(c, v.col, "out of memory");
    return o;
}

static int parse_param_item(struct cur *c, struct sched_action *a, struct tok t)
{
    struct tok name, value;
    if (!split_item(t, &name, &value))
        return fail(c, t.col, "expected NAME=VALUE, got '%.*s'", TQ(t));
    int pi = vocab_param_parse(name.p, name.len);
    if (pi < 0) {
        char hint[300];
        suggest(hint, sizeof hint, name, vocab_param_names(), false);
        return fail(c, t.col, "unknown parameter '%.*s'%s", TQ(name),
                    hint[0] ? hint : " (README.md lists the parameters)");
    }
    json_object *o = parse_param_value(c, vocab_param((enum mig_param)pi), value);
    if (!o)
        return -1;
    if (schedule_add_param(a, (enum mig_param)pi, o) != 0)
        return fail(c, t.col, "out of memory");
    return 0;
}

static int parse_qmp(struct cur *c, struct sched_action *a)
{
    skip_ws(c);
    int col0 = col_here(c);
    if (c->pos >= c->len || c->s[c->pos] != '{')
        return fail(c, col0, "'qmp' needs a JSON object on the same line, e.g. qmp {\"execute\": \"stop\"}");
    json_tokener *jt = json_tokener_new();
    if (!jt)
        return fail(c, col0, "out of memory");
    json_tokener_set_flags(jt, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
    json_object *o = json_tokener_parse_ex(jt, c->s + c->pos, (int)(c->len - c->pos));
    enum json_tokener_error jerr = json_tokener_get_error(jt);
    size_t end = json_tokener_get_parse_end(jt);
    json_tokener_free(jt);
    if (!o) {
        if (jerr == json_tokener_continue)
            return fail(c, col0, "unterminated JSON object (a 'qmp' command must be on one line)");
        return fail(c, col0 + (int)end, "invalid JSON in 'qmp': %s", json_tokener_error_desc(jerr));
    }
    json_object *v;
    if (!((json_object_object_get_ex(o, "execute", &v) && json_object_is_type(v, json_type_string)) ||
          (json_object_object_get_ex(o, "exec-oob", &v) && json_object_is_type(v, json_type_string)))) {
        json_object_put(o);
        return fail(c, col0, "the 'qmp' command needs a string member \"execute\" (or \"exec-oob\")");
    }
    a->u.qmp = o;
    c->pos += end;
    return 0;
}

static const char *const usage[ACT_KIND_COUNT] = {
    [ACT_RESET] = "reset CHANNEL|all",
    [ACT_CLOSE] = "close CHANNEL|all",
    [ACT_STALL] = "stall CHANNEL|all [DUR]",
    [ACT_FREEZE] = "freeze THREAD DUR",
    [ACT_WAIT] = "wait DUR",
};

/* Checks the count of arguments of a fixed-form action. */
static int want_args(struct cur *c, enum sched_action_kind k, struct tok word, const struct tok *args,
                     size_t n, size_t min, size_t max)
{
    if (n > max)
        return fail(c, args[max].col, "too many arguments: %s", usage[k]);
    if (n < min)
        return fail(c, word.col, "'%s' needs %s: %s", schedule_action_name(k),
                    k == ACT_FREEZE ? "a thread and a duration"
                    : k == ACT_WAIT ? "a duration"
                                    : "a channel",
                    usage[k]);
    return 0;
}

static int parse_positive_dur(struct cur *c, enum sched_action_kind k, struct tok t, uint64_t *us)
{
    if (parse_dur(c, t, us) != 0)
        return -1;
    if (*us == 0)
        return fail(c, t.col, "'%s' needs a duration above 0", schedule_action_name(k));
    return 0;
}

static int parse_args(struct cur *c, struct sched_action *a, struct tok word, const struct tok *args,
                      size_t n)
{
    enum sched_action_kind k = a->kind;
    switch (k) {
    case ACT_CAPS:
    case ACT_PARAMS:
        if (n == 0)
            return fail(c, word.col, "'%s' needs at least one %s item", schedule_action_name(k),
                        k == ACT_CAPS ? "NAME=on|off" : "NAME=VALUE");
        if (n > SCHED_MAX_ITEMS)
            return fail(c, args[SCHED_MAX_ITEMS].col, "too many items in one action (at most %d)",
                        SCHED_MAX_ITEMS);
        for (size_t i = 0; i < n; i++)
            if ((k == ACT_CAPS ? parse_cap_item(c, a, args[i]) : parse_param_item(c, a, args[i])) != 0)
                return -1;
        return 0;
    case ACT_MIGRATE:
        if (n)
            return fail(c, args[0].col, "'migrate' takes no arguments: the URI is always the fault proxy's");
        return 0;
    case ACT_CANCEL:
    case ACT_QUERY:
        if (n)
            return fail(c, args[0].col, "'%s' takes no arguments", schedule_action_name(k));
        return 0;
    case ACT_RESET:
    case ACT_CLOSE:
        if (want_args(c, k, word, args, n, 1, 1) != 0)
            return -1;
        return parse_chan(c, args[0], VOCAB_CH_ALL, &a->u.fault.chan);
    case ACT_STALL:
        if (want_args(c, k, word, args, n, 1, 2) != 0 ||
            parse_chan(c, args[0], VOCAB_CH_ALL, &a->u.fault.chan) != 0)
            return -1;
        if (n < 2)
            return 0;
        if (parse_dur(c, args[1], &a->u.fault.dur_us) != 0)
            return -1;
        if (a->u.fault.dur_us == 0)
            return fail(c, args[1].col,
                        "stall for 0 makes no sense; omit the duration to stall until the end");
        return 0;
    case ACT_FREEZE:
        if (want_args(c, k, word, args, n, 2, 2) != 0)
            return -1;
        if (vocab_thread_parse(args[0].p, args[0].len, &a->u.freeze.thread) != 0)
            return fail(c, args[0].col, "expected a thread (main, live_migration or multifdsend_N), got '%.*s'",
                        TQ(args[0]));
        return parse_positive_dur(c, k, args[1], &a->u.freeze.dur_us);
    case ACT_WAIT:
        if (want_args(c, k, word, args, n, 1, 1) != 0)
            return -1;
        return parse_positive_dur(c, k, args[0], &a->u.wait_us);
    default:
        return fail(c, word.col, "internal error: action without arguments parser");
    }
}

static int parse_action(struct cur *c, struct sched_line *l, const char *after)
{
    struct tok word;
    if (read_token(c, false, &word) != 0)
        return -1;
    if (word.len == 0) {
        if (after)
            return fail(c, word.col, "expected an action after %s", after);
        return fail(c, word.col, "expected an action, got ';'");
    }
    int k = 0;
    while (k < ACT_KIND_COUNT && !tok_is(word, schedule_action_name((enum sched_action_kind)k)))
        k++;
    if (k == ACT_KIND_COUNT)
        return fail(c, word.col, "unknown action '%.*s' (actions: %s)", TQ(word), action_list);
    if (l->nacts >= SCHED_MAX_ACTIONS)
        return fail(c, word.col, "too many actions on one line (at most %d)", SCHED_MAX_ACTIONS);
    struct sched_action *a = schedule_add_action(l, (enum sched_action_kind)k);
    if (!a)
        return fail(c, word.col, "out of memory");
    a->line = c->line;
    a->col = word.col;
    if (k == ACT_QMP)
        return parse_qmp(c, a);
    /* One more than any action takes, so "too many" can point at the first extra one. */
    struct tok args[SCHED_MAX_ITEMS + 1];
    size_t n = 0;
    while (n < SCHED_MAX_ITEMS + 1) {
        char ch = peek(c);
        if (ch == 0 || ch == ';')
            break;
        if (read_token(c, false, &args[n]) != 0)
            return -1;
        n++;
    }
    return parse_args(c, a, word, args, n);
}

static int parse_line(struct cur *c, struct schedule *s)
{
    if (peek(c) == 0)
        return 0;
    if (s->nlines >= SCHED_MAX_LINES)
        return fail(c, col_here(c), "too many lines (at most %d)", SCHED_MAX_LINES);
    struct sched_line *l = schedule_add_line(s);
    if (!l)
        return fail(c, col_here(c), "out of memory");
    l->line = c->line;

    const char *after = NULL;
    size_t start = c->pos;
    struct tok kw;
    if (read_token(c, true, &kw) != 0)
        return -1;
    if (tok_is(kw, "at") || tok_is(kw, "after") || tok_is(kw, "on")) {
        if (parse_trigger(c, &l->trig, kw) != 0)
            return -1;
        skip_ws(c);
        if (c->pos >= c->len || c->s[c->pos] != ':')
            return fail(c, col_here(c), "expected ':' after the trigger");
        c->pos++;
        after = "':'";
    } else {
        c->pos = start;
    }
    for (;;) {
        if (parse_action(c, l, after) != 0)
            return -1;
        char ch = peek(c);
        if (ch == 0)
            return 0;
        if (ch != ';') {
            struct tok t;
            if (read_token(c, false, &t) != 0)
                return -1;
            return fail(c, t.col, "expected ';' or the end of the line, got '%.*s'", TQ(t));
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
            return fail(c, (int)i + 1, "the text holds a NUL byte");
        if (ch < 0x20 && ch != '\t')
            return fail(c, (int)i + 1, "control character 0x%02x in the text", ch);
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
        fail(&c, (int)(text + SCHED_MAX_TEXT - (nl ? nl + 1 : text)) + 1,
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

static void print_dur(FILE *f, const char *prefix, uint64_t us)
{
    char buf[32];
    units_format_duration(us, buf, sizeof buf);
    fprintf(f, "%s%s", prefix, buf);
}

static void print_json(FILE *f, json_object *o)
{
    fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), f);
}

static void print_trigger(FILE *f, const struct sched_trigger *t)
{
    char buf[32];
    switch (t->kind) {
    case TRIG_NONE:
        return;
    case TRIG_AT:
        print_dur(f, "at +", t->delay_us);
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
            print_dur(f, " +", t->delay_us);
        break;
    }
    fputs(": ", f);
}

static void print_param(FILE *f, const struct sched_param *p)
{
    const struct vocab_param *vp = vocab_param(p->param);
    json_object *v = p->value;
    char buf[32];
    fprintf(f, " %s=", vp ? vp->name : "?");
    if (vp && vp->type == PT_SIZE && json_object_is_type(v, json_type_int)) {
        units_format_size(json_object_get_uint64(v), buf, sizeof buf);
        fputs(buf, f);
    } else if (json_object_is_type(v, json_type_boolean)) {
        fputs(json_object_get_boolean(v) ? "on" : "off", f);
    } else if (json_object_is_type(v, json_type_string) &&
               is_word(json_object_get_string(v), (size_t)json_object_get_string_len(v))) {
        fputs(json_object_get_string(v), f);
    } else {
        print_json(f, v);
    }
}

static void print_action(FILE *f, const struct sched_action *a)
{
    char buf[32];
    fputs(schedule_action_name(a->kind), f);
    switch (a->kind) {
    case ACT_CAPS:
        for (size_t i = 0; i < a->u.caps.n; i++)
            fprintf(f, " %s=%s", vocab_cap_name(a->u.caps.items[i].cap), a->u.caps.items[i].on ? "on" : "off");
        break;
    case ACT_PARAMS:
        for (size_t i = 0; i < a->u.params.n; i++)
            print_param(f, &a->u.params.items[i]);
        break;
    case ACT_QMP:
        fputc(' ', f);
        print_json(f, a->u.qmp);
        break;
    case ACT_RESET:
    case ACT_CLOSE:
    case ACT_STALL:
        fprintf(f, " %s", vocab_channel_name(a->u.fault.chan, buf, sizeof buf));
        if (a->kind == ACT_STALL && a->u.fault.dur_us)
            print_dur(f, " ", a->u.fault.dur_us);
        break;
    case ACT_FREEZE:
        fprintf(f, " %s", vocab_thread_name(a->u.freeze.thread, buf, sizeof buf));
        print_dur(f, " ", a->u.freeze.dur_us);
        break;
    case ACT_WAIT:
        print_dur(f, " ", a->u.wait_us);
        break;
    default:
        break;
    }
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
