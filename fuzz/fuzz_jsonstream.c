/* fuzz_jsonstream: AFL++ target for QMP framing (src/jsonstream.c), the code that reads whatever a QMP
 * peer sends. The input is a split-driven stream (fuzz_common.h); its flag byte picks the message size
 * limit. The same bytes are fed whole, in the chunks the input chooses, and one byte at a time: the three
 * must deliver the same messages and end the same way (read boundaries must not change what qmprace
 * sees, nor why it refused them), every message must be an object, and a refused stream must stay
 * refused.
 * It must never keep state from one input to the next. */
#include <stdlib.h>
#include <string.h>

#include "../harness/afl_main.h"
#include "fuzz_common.h"
#include "jsonstream.h"

struct outcome {
    int rc;
    size_t count;
    uint64_t hash; /* FNV-1a over the messages' plain JSON text, each followed by a newline */
    bool non_object;
    bool mid;
    char msg[sizeof((struct err *)0)->msg];
};

static int collect(void *arg, json_object *obj)
{
    struct outcome *o = arg;
    if (!json_object_is_type(obj, json_type_object))
        o->non_object = true;
    const char *t = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
    for (const char *p = t; *p; p++)
        o->hash = (o->hash ^ (uint8_t)*p) * 0x100000001b3ull;
    o->hash = (o->hash ^ '\n') * 0x100000001b3ull;
    o->count++;
    json_object_put(obj);
    return 0;
}

/* Feeds `len` bytes in chunks: step 0 uses the input's split sizes, else `step` bytes at a time. */
static int feed(const struct fuzz_split *s, size_t max, size_t step, struct outcome *o)
{
    memset(o, 0, sizeof *o);
    o->hash = 0xcbf29ce484222325ull;
    struct jsonstream *js = jsonstream_new(max);
    if (!js)
        return -1;
    struct err e = {{0}};
    size_t off = 0, k = 0;
    while (off < s->len && o->rc == 0) {
        size_t n = step ? step : fuzz_split_size(s, k++);
        if (n > s->len - off)
            n = s->len - off;
        o->rc = jsonstream_feed(js, (const char *)s->data + off, n, collect, o, &e);
        off += n;
    }
    int bad = 0;
    if (o->rc < 0) {
        snprintf(o->msg, sizeof o->msg, "%s", e.msg);
        if (!o->msg[0])
            bad = fuzz_fail("refused with no message");
        struct err e2 = {{0}};
        if (jsonstream_feed(js, "{}", 2, collect, o, &e2) != -1)
            bad = fuzz_fail("a refused stream took more input");
    }
    if (jsonstream_count(js) != o->count)
        bad = fuzz_fail("jsonstream_count %zu, %zu messages delivered", jsonstream_count(js), o->count);
    o->mid = o->rc == 0 && jsonstream_mid_message(js); /* after a refusal the stream is dead: no state to compare */
    jsonstream_free(js);
    return bad;
}

/* The same messages and the same end: both fine and equally mid-message, or both refused for the same
 * reason. (Before jsonstream parsed whole messages, json-c's incremental tokener let a malformed number
 * split across reads pass as a shorter one: regressions/jsonstream/split-number-*.) */
static bool same_end(const struct outcome *a, const struct outcome *b)
{
    return a->count == b->count && a->hash == b->hash && a->rc == b->rc && a->mid == b->mid &&
           strcmp(a->msg, b->msg) == 0;
}

static int one(const uint8_t *buf, size_t len)
{
    struct fuzz_split s = fuzz_split_of(buf, len);
    size_t max = s.flags & 8 ? 0 : (size_t)8 << (s.flags & 7);
    struct outcome whole, split, bytes;
    if (feed(&s, max, s.len ? s.len : 1, &whole) || feed(&s, max, 0, &split) || feed(&s, max, 1, &bytes))
        return 1;
    if (whole.non_object || split.non_object || bytes.non_object)
        return fuzz_fail("a message that is not an object was delivered");
    const struct outcome *other[2] = {&split, &bytes};
    const char *how[2] = {"in the input's chunks", "a byte at a time"};
    for (int i = 0; i < 2; i++) {
        const struct outcome *o = other[i];
        if (!same_end(&whole, o))
            return fuzz_fail("fed whole: rc %d, %zu messages, mid %d, '%s'; fed %s: rc %d, %zu messages, "
                             "mid %d, '%s' (messages %s)",
                             whole.rc, whole.count, whole.mid, whole.msg, how[i], o->rc, o->count, o->mid,
                             o->msg, o->hash == whole.hash ? "same" : "differ");
    }
    return 0;
}

int main(int argc, char **argv)
{
    return afl_main_run(argc, argv, "fuzz_jsonstream", one);
}
