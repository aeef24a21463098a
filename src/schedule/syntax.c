/* syntax: the shared pieces of the text language (see syntax.h). */
#include "syntax.h"

#include <stdarg.h>
#include <string.h>

#include "units.h"
#include "vocab.h"

int syn_fail(struct cur *c, int col, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(c->e, "%s:%d:%d: %s", c->name, c->line, col, msg);
}

int syn_col(const struct cur *c)
{
    return (int)c->pos + 1;
}

void syn_skip_ws(struct cur *c)
{
    while (c->pos < c->len && (c->s[c->pos] == ' ' || c->s[c->pos] == '\t'))
        c->pos++;
}

char syn_peek(struct cur *c)
{
    syn_skip_ws(c);
    if (c->pos >= c->len || c->s[c->pos] == '#')
        return 0;
    return c->s[c->pos];
}

int syn_token(struct cur *c, bool trigger, struct tok *t)
{
    syn_skip_ws(c);
    t->p = c->s + c->pos;
    t->col = syn_col(c);
    while (c->pos < c->len) {
        char ch = c->s[c->pos];
        if (ch == ' ' || ch == '\t' || ch == ';' || ch == '#' || (trigger && ch == ':'))
            break;
        if (ch == '"') {
            int qcol = syn_col(c);
            for (c->pos++; c->pos < c->len && c->s[c->pos] != '"'; c->pos++)
                if (c->s[c->pos] == '\\' && c->pos + 1 < c->len)
                    c->pos++;
            if (c->pos >= c->len)
                return syn_fail(c, qcol, "unterminated quoted string");
        }
        c->pos++;
    }
    t->len = (size_t)(c->s + c->pos - t->p);
    return 0;
}

bool syn_is(struct tok t, const char *word)
{
    return t.len == strlen(word) && memcmp(t.p, word, t.len) == 0;
}

void syn_suggest(char *buf, size_t n, struct tok t, const char *const *names, bool list)
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

int syn_dur(struct cur *c, struct tok t, uint64_t *us)
{
    struct err ue;
    if (units_parse_duration(t.p, t.len, us, &ue) != 0)
        return syn_fail(c, t.col, "%s", ue.msg);
    return 0;
}

int syn_positive_dur(struct cur *c, const char *what, struct tok t, uint64_t *us)
{
    if (syn_dur(c, t, us) != 0)
        return -1;
    if (*us == 0)
        return syn_fail(c, t.col, "'%s' needs a duration above 0", what);
    return 0;
}

int syn_chan(struct cur *c, struct tok t, int allow, int *chan)
{
    const char *expect = allow & VOCAB_CH_ALL ? "main, multifdN or all" : "main, multifdN or any";
    if (t.len == 0)
        return syn_fail(c, t.col, "expected a channel (%s)", expect);
    if (vocab_channel_parse(t.p, t.len, allow, chan) != 0)
        return syn_fail(c, t.col, "expected a channel (%s), got '%.*s'", expect, TQ(t));
    return 0;
}

bool syn_bool(struct tok v, bool *on)
{
    if (syn_is(v, "on") || syn_is(v, "true"))
        *on = true;
    else if (syn_is(v, "off") || syn_is(v, "false"))
        *on = false;
    else
        return false;
    return true;
}

bool syn_split_item(struct tok t, struct tok *name, struct tok *value)
{
    const char *eq = memchr(t.p, '=', t.len);
    if (!eq)
        return false;
    *name = (struct tok){t.p, (size_t)(eq - t.p), t.col};
    *value = (struct tok){eq + 1, t.len - name->len - 1, t.col + (int)name->len + 1};
    return true;
}

static bool is_word_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("_.:/-", ch));
}

bool syn_is_word(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_word_char(s[i]))
            return false;
    return len > 0;
}

void syn_print_dur(FILE *f, const char *prefix, uint64_t us)
{
    char buf[32];
    units_format_duration(us, buf, sizeof buf);
    fprintf(f, "%s%s", prefix, buf);
}

void syn_print_json(FILE *f, json_object *o)
{
    fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), f);
}
