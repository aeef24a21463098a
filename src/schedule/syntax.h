/* syntax: the pieces of the text language every part of the parser uses: a cursor over one line, tokens,
 * "NAME:LINE:COL: message" errors, and the words shared by triggers and actions (durations, channels,
 * on/off, NAME=VALUE items). Private to the schedule library. */
#ifndef QMPRACE_SYNTAX_H
#define QMPRACE_SYNTAX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "err.h"

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

/* Sets "NAME:LINE:COL: message" and returns -1. */
int syn_fail(struct cur *c, int col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int syn_col(const struct cur *c);
void syn_skip_ws(struct cur *c);
/* The next significant character, or 0 at the end of the line or at a comment. */
char syn_peek(struct cur *c);
/* Reads one token: up to a space, tab, ';', '#' or (inside a trigger) ':'. A "quoted string" inside a
 * token is read whole. An empty token means there is none here (end of line, comment, ';' or ':'). */
int syn_token(struct cur *c, bool trigger, struct tok *t);
bool syn_is(struct tok t, const char *word);
/* " (did you mean 'x'?)", else the whole list when `list` is set, else nothing. */
void syn_suggest(char *buf, size_t n, struct tok t, const char *const *names, bool list);

int syn_dur(struct cur *c, struct tok t, uint64_t *us);
/* A duration that must be above 0 for action `what`. */
int syn_positive_dur(struct cur *c, const char *what, struct tok t, uint64_t *us);
/* `allow`: VOCAB_CH_ANY and/or VOCAB_CH_ALL, as vocab_channel_parse takes it. */
int syn_chan(struct cur *c, struct tok t, int allow, int *chan);
bool syn_bool(struct tok v, bool *on);
/* Splits NAME=VALUE; the value token carries its own column. */
bool syn_split_item(struct tok t, struct tok *name, struct tok *value);
/* A bare word of [A-Za-z0-9_.:/-] (a string parameter written without quotes). */
bool syn_is_word(const char *s, size_t len);

void syn_print_dur(FILE *f, const char *prefix, uint64_t us);
void syn_print_json(FILE *f, json_object *o);

#endif
