/* jsonstream: incremental QMP message framing on json-c's tokener (see jsonstream.h). */
#include "jsonstream.h"

#include <stdlib.h>

struct jsonstream {
    json_tokener *tok;
    size_t max;
    size_t pending; /* bytes of the message being read */
    bool mid;
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
    js->max = max_message ? max_message : JSONSTREAM_DEFAULT_MAX;
    return js;
}

void jsonstream_free(struct jsonstream *js)
{
    if (!js)
        return;
    json_tokener_free(js->tok);
    free(js);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int jsonstream_feed(struct jsonstream *js, const char *buf, size_t len, jsonstream_cb cb, void *arg,
                    struct err *e)
{
    if (js->broken)
        return err_set(e, "QMP stream already failed");
    while (len > 0) {
        if (!js->mid) {
            /* Whitespace between messages is not part of any message: skipping it here keeps
             * `mid` honest, so an EOF after a CRLF is a clean end, not a cut message. */
            while (len > 0 && is_space(*buf)) {
                buf++;
                len--;
            }
            if (len == 0)
                break;
        }
        /* Never hand json-c more than the limit allows, so an oversized message is refused after
         * at most `max` bytes whatever the read size. */
        size_t room = js->max - js->pending;
        size_t chunk = len < room + 1 ? len : room + 1;
        json_object *obj = json_tokener_parse_ex(js->tok, buf, (int)chunk);
        enum json_tokener_error jerr = json_tokener_get_error(js->tok);
        size_t used = json_tokener_get_parse_end(js->tok);
        /* On success json-c also eats the whitespace after the object; that CRLF is not part of the
         * message and must not push a message of exactly `max` bytes over the limit. */
        size_t body = used;
        if (jerr == json_tokener_success)
            while (body > 0 && is_space(buf[body - 1]))
                body--;
        js->pending += body;
        if (js->pending > js->max) {
            js->broken = true;
            json_object_put(obj);
            return err_set(e, "QMP message larger than %zu bytes", js->max);
        }
        if (jerr == json_tokener_continue) {
            js->mid = true;
            buf += used;
            len -= used;
            continue;
        }
        if (jerr != json_tokener_success) {
            js->broken = true;
            return err_set(e, "malformed JSON from peer: %s", json_tokener_error_desc(jerr));
        }
        json_tokener_reset(js->tok);
        js->mid = false;
        js->pending = 0;
        buf += used;
        len -= used;
        if (!json_object_is_type(obj, json_type_object)) {
            js->broken = true;
            json_object_put(obj);
            return err_set(e, "QMP message is not a JSON object");
        }
        js->count++;
        if (cb(arg, obj))
            return 1;
    }
    return 0;
}

bool jsonstream_mid_message(const struct jsonstream *js)
{
    return js->mid;
}

size_t jsonstream_count(const struct jsonstream *js)
{
    return js->count;
}
