/* fuzz_schedule_bin: AFL++ target for the binary schedule form (src/schedule_bin.c), what the schedule
 * harnesses decode from AFL++'s mutations. Every byte string must decode; the decoded schedule must print
 * text that parses back to it; it must encode (the form carries everything it decodes), the encoding must
 * decode to the same schedule, and encoding that again must give the same bytes (canonical).
 * It must never keep state from one input to the next. */
#include <stdlib.h>
#include <string.h>

#include "../harness/afl_main.h"
#include "fuzz_common.h"
#include "schedule.h"

static int one(const uint8_t *buf, size_t len)
{
    struct schedule *s = schedule_decode(buf, len);
    if (!s)
        return 0; /* out of memory only */
    int bad = 0;
    struct err e = {{0}};
    uint8_t *enc = NULL, *enc2 = NULL;
    size_t n = 0, n2 = 0;
    struct schedule *p = NULL, *d = NULL;
    char *text = schedule_print(s);
    if (!text)
        goto out;
    if (s->nlines > 64) {
        bad = fuzz_fail("decoded %zu lines, more than 64", s->nlines);
        goto out;
    }
    p = schedule_parse(text, strlen(text), "decoded", &e);
    if (!p) {
        bad = fuzz_fail("decoded schedule prints text that does not parse: %s\n%s", e.msg, text);
        goto out;
    }
    if (!schedule_equal(s, p)) {
        bad = fuzz_fail("parse(print(decode(x))) differs from decode(x):\n%s", text);
        goto out;
    }
    if (schedule_encode(s, &enc, &n, &e) < 0) {
        bad = fuzz_fail("a decoded schedule cannot be encoded: %s\n%s", e.msg, text);
        goto out;
    }
    d = schedule_decode(enc, n);
    if (!d)
        goto out;
    if (!schedule_equal(s, d)) {
        char *t2 = schedule_print(d);
        bad = fuzz_fail("decode(encode(decode(x))) differs:\n%s---\n%s", text, t2 ? t2 : "(null)");
        free(t2);
        goto out;
    }
    if (schedule_encode(d, &enc2, &n2, &e) < 0 || n2 != n || memcmp(enc, enc2, n) != 0)
        bad = fuzz_fail("encoding is not canonical (%zu then %zu bytes)\n%s", n, n2, text);
out:
    free(text);
    free(enc);
    free(enc2);
    schedule_free(p);
    schedule_free(d);
    schedule_free(s);
    return bad;
}

int main(int argc, char **argv)
{
    return afl_main_run(argc, argv, "fuzz_schedule_bin", one);
}
