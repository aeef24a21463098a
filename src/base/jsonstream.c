/* jsonstream: QMP message framing (see jsonstream.h). It finds where each message ends itself (braces and
 * brackets counted outside strings) and hands json-c only whole messages. json-c's incremental tokener
 * is not used: fed a message in pieces it judges numbers that end at a piece boundary more loosely than
 * fed it whole ("17-0739090" split after "17" reads as 17), so what a peer's bytes meant would depend on
 * how the kernel happened to cut them. Found by fuzz/fuzz_jsonstream.c.
 * It must never buffer more than the limit, and never deliver anything but an object. */
#include "jsonstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jsonstream {
    json_tokener *tok;
    size_t max;
    char *buf; /* the message being read, from its '{' */
    size_t len, cap;
    unsigned depth; /* open braces and brackets */
    bool in_string, escaped;
    bool broken;
    size_t count;
};

struct jsonstream *jsonstream_new(size_t max_message)
{
    struct jsonstream *js = calloc(1, sizeof *js);
    if (!js)
        return NULL;
    js->tok = json_tokener_new_ex(64);
    if (!js->tok) {
        free(js);
        return NULL;
    }
    /* Strict: no comments, trailing commas or loose literals, none of which QEMU sends. */
    json_tokener_set_flags(js->tok, JSON_TOKENER_STRICT);
    js->max = max_message ? max_message : JSONSTREAM_DEFAULT_MAX;
    return js;
}

void jsonstream_free(struct jsonstream *js)
{
    if (!js)
        return;
    json_tokener_free(js->tok);
    free(js->buf);
    free(js);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Appends `n` bytes of the current message, within the limit. */
static int keep(struct jsonstream *js, const char *p, size_t n, struct err *e)
{
    if (n > js->max - js->len) {
        js->broken = true;
        return err_set(e, "QMP message larger than %zu bytes", js->max);
    }
    if (js->len + n > js->cap) {
        size_t cap = js->cap ? js->cap : 4096;
        while (cap < js->len + n)
            cap *= 2;
        if (cap > js->max)
            cap = js->max;
        char *b = realloc(js->buf, cap);
        if (!b) {
            js->broken = true;
            return err_set(e, "out of memory reading a QMP message");
        }
        js->buf = b;
        js->cap = cap;
    }
    memcpy(js->buf + js->len, p, n);
    js->len += n;
    return 0;
}

/* Bytes of `p` up to and including the '}' or ']' that closes the message; `n` + 1 when it does not end
 * within them. Updates the scanning state. */
static size_t scan(struct jsonstream *js, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (js->in_string) {
            if (js->escaped)
                js->escaped = false;
            else if (c == '\\')
                js->escaped = true;
            else if (c == '"')
                js->in_string = false;
        } else if (c == '"') {
            js->in_string = true;
        } else if (c == '{' || c == '[') {
            js->depth++;
        } else if ((c == '}' || c == ']') && --js->depth == 0) {
            return i + 1;
        }
    }
    return n + 1;
}

/* The whole message is in js->buf: parse it at once. Returns the object or NULL (refused). */
static json_object *parse(struct jsonstream *js, struct err *e)
{
    json_tokener_reset(js->tok);
    json_object *obj = json_tokener_parse_ex(js->tok, js->buf, (int)js->len);
    enum json_tokener_error jerr = json_tokener_get_error(js->tok);
    if (!obj || jerr != json_tokener_success || json_tokener_get_parse_end(js->tok) != js->len) {
        json_object_put(obj);
        js->broken = true;
        err_set(e, "malformed JSON from peer: %s",
                jerr == json_tokener_success ? "unexpected character" : json_tokener_error_desc(jerr));
        return NULL;
    }
    if (!json_object_is_type(obj, json_type_object)) {
        /* "{...]": the brackets balance but the value is not an object */
        json_object_put(obj);
        js->broken = true;
        err_set(e, "QMP message is not a JSON object");
        return NULL;
    }
    return obj;
}

int jsonstream_feed(struct jsonstream *js, const char *buf, size_t len, jsonstream_cb cb, void *arg,
                    struct err *e)
{
    if (js->broken)
        return err_set(e, "QMP stream already failed");
    while (len > 0) {
        if (js->len == 0) {
            /* Whitespace between messages is not part of any message: skipping it here keeps
             * jsonstream_mid_message honest, so an EOF after a CRLF is a clean end, not a cut message. */
            while (len > 0 && is_space(*buf)) {
                buf++;
                len--;
            }
            if (len == 0)
                break;
            /* Only an object may start a message: anything else is refused at its first byte. */
            if (*buf != '{') {
                unsigned char c = (unsigned char)*buf;
                char what[16];
                js->broken = true;
                if (c && strchr("[\"'-0123456789", c))
                    return err_set(e, "QMP message is not a JSON object");
                snprintf(what, sizeof what, c > 0x20 && c < 0x7f ? "'%c'" : "0x%02x", c);
                return err_set(e, "malformed JSON from peer: a message must start with '{', not %s", what);
            }
        }
        size_t end = scan(js, buf, len);
        bool complete = end <= len;
        size_t take = complete ? end : len;
        if (keep(js, buf, take, e) < 0)
            return -1;
        buf += take;
        len -= take;
        if (!complete)
            break; /* the message goes on in the next read */
        json_object *obj = parse(js, e);
        js->len = 0;
        js->depth = 0;
        js->in_string = js->escaped = false;
        if (!obj)
            return -1;
        js->count++;
        if (cb(arg, obj))
            return 1;
    }
    return 0;
}

bool jsonstream_mid_message(const struct jsonstream *js)
{
    return js->len > 0;
}

size_t jsonstream_count(const struct jsonstream *js)
{
    return js->count;
}
