/* The binary form a fuzzer mutates: every byte string decodes (never fails, never leaks), the encoding
 * is canonical, decoded schedules are valid text, and what the form cannot carry is refused with a
 * message that says where and why. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rng.h"
#include "schedule.h"

static struct rng rng_state = {0x9e3779b97f4a7c15ull};
static uint64_t rng(void)
{
    return rng_next(&rng_state);
}

static void hex(const uint8_t *b, size_t n, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && used + 3 < cap; i++)
        used += (size_t)snprintf(out + used, cap - used, "%02x", b[i]);
}

/* Checks every invariant on one input; returns a description of the first broken one, or NULL. */
static const char *check_input(const uint8_t *x, size_t n)
{
    static char why[600];
    const char *bad = NULL;
    struct err e = {{0}};
    uint8_t *x1 = NULL, *x2 = NULL;
    size_t n1 = 0, n2 = 0;
    char *t = NULL, *t2 = NULL;
    struct schedule *s1 = NULL, *sp = NULL;
    struct schedule *s = schedule_decode(x, n);
    if (!s)
        return "decode failed";
    if (s->nlines > 64 || (n > 0 && s->nlines == 0)) {
        bad = "line count out of range";
        goto out;
    }
    if (schedule_encode(s, &x1, &n1, &e) != 0) {
        snprintf(why, sizeof why, "encode(decode(x)) failed: %s", e.msg);
        bad = why;
        goto out;
    }
    s1 = schedule_decode(x1, n1);
    if (!s1 || !schedule_equal(s, s1)) {
        bad = "decode(encode(decode(x))) differs from decode(x)";
        goto out;
    }
    if (schedule_encode(s1, &x2, &n2, &e) != 0 || n2 != n1 || memcmp(x1, x2, n1) != 0) {
        bad = "encoding is not canonical: encode(decode(x')) != x'";
        goto out;
    }
    t = schedule_print(s);
    sp = t ? schedule_parse(t, strlen(t), "printed", &e) : NULL;
    if (!sp) {
        snprintf(why, sizeof why, "printed text does not parse: %s", e.msg);
        bad = why;
        goto out;
    }
    t2 = schedule_print(sp);
    if (!t2 || strcmp(t, t2) != 0 || !schedule_equal(s, sp))
        bad = "print(parse(print(s))) != print(s)";
out:
    free(x1);
    free(x2);
    free(t);
    free(t2);
    schedule_free(s);
    schedule_free(s1);
    schedule_free(sp);
    return bad;
}

static void test_random_inputs(void)
{
    uint8_t buf[4096];
    int failures = 0;
    for (int i = 0; i < 20000 + 200; i++) {
        /* Mostly short inputs, as a fuzzer starts from; a few long ones reach the 64-line limit. */
        size_t n = i < 20000 ? rng() % 65 : 1000 + rng() % 3000;
        /* Small byte values are where the selectors and the zero cases are; mix them in. */
        for (size_t j = 0; j < n; j++)
            buf[j] = (uint8_t)(rng() % 4 == 0 ? rng() % 4 : rng());
        const char *bad = check_input(buf, n);
        if (bad && failures++ < 5) {
            char h[300];
            hex(buf, n, h, sizeof h);
            CHECK_MSG(bad == NULL, "%s; input %s", bad, h);
        }
    }
    CHECK_INT(failures, 0);
}

static char *decode_text(const uint8_t *x, size_t n)
{
    struct schedule *s = schedule_decode(x, n);
    char *t = s ? schedule_print(s) : NULL;
    schedule_free(s);
    return t;
}

static void check_decode(const uint8_t *x, size_t n, const char *want)
{
    char *t = decode_text(x, n);
    CHECK_STR(t, want);
    free(t);
}

static struct schedule *parse(const char *text)
{
    struct err e = {{0}};
    struct schedule *s = schedule_parse(text, strlen(text), "t.sched", &e);
    CHECK_MSG(s != NULL, "%s", e.msg);
    return s;
}

static void check_encode(const char *text, const uint8_t *want, size_t wn)
{
    struct schedule *s = parse(text);
    uint8_t *out = NULL;
    size_t n = 0;
    struct err e = {{0}};
    CHECK_MSG(s && schedule_encode(s, &out, &n, &e) == 0, "%s: %s", text, e.msg);
    CHECK_INT(n, wn);
    CHECK_MSG(out && n == wn && memcmp(out, want, n) == 0, "encoding of %s", text);
    free(out);
    schedule_free(s);
}

static void test_known_bytes(void)
{
    check_decode(NULL, 0, "");
    check_decode((const uint8_t[]){0x00}, 1, "caps xbzrle=off\n");
    check_decode((const uint8_t[]){0x02}, 1, "after 0B on any: caps xbzrle=off\n");
    check_decode((const uint8_t[]){0x03, 0x09, 0x01, 0x03, 0xe8, 0x03}, 6, "on failed #2 +1ms: cancel\n");
    check_decode((const uint8_t[]){0x04, 0x05, 0x03, 0x10, 0x01, 0x05, 0x01}, 7,
                 "on trace savevm_state_cleanup #4 +2us: qmp {\"execute\":\"query-yank\"}\n");
    check_decode((const uint8_t[]){16, 0xff, 0xff, 8, 11, 0, 0, 9, 0, 0, 0, 10, 0, 0, 6, 9}, 16,
                 "at +134184960us: stall main; freeze live_migration 1us; wait 1us; reset multifd7\n");
    check_decode((const uint8_t[]){0x00, 0x01, 0x01, 15, 0x58, 0x01, 23, 0x00, 0x05}, 9,
                 "params max-bandwidth=2KiB multifd-compression=zstd\n");
    check_decode((const uint8_t[]){0x00, 0x01, 0x01, 12, 0x00, 0x01, 13, 0x00, 0x02}, 9,
                 "params tls-creds=qmprace tls-hostname=\"\"\n");
    /* Capability bytes: 7.2's capabilities keep 0..41 (21 is xbzrle "on"); the later ones follow (42 is
     * switchover-ack off, 45 switchover-ack on), and bytes past them wrap into them (48 is 42 again). */
    check_decode((const uint8_t[]){0x00, 0x00, 0x02, 21, 42, 12 + 21}, 6,
                 "caps xbzrle=on switchover-ack=off multifd=on\n");
    check_decode((const uint8_t[]){0x00, 0x00, 0x02, 45, 47, 48}, 6,
                 "caps switchover-ack=on mapped-ram=on switchover-ack=off\n");

    /* thaw (kind 11): a thread selector and nothing else; the selector wraps as freeze's does. */
    check_decode((const uint8_t[]){0x00, 11, 0x01}, 3, "thaw main\n");
    check_decode((const uint8_t[]){0x00, 11, 12}, 3, "thaw multifdsend_0\n");
    check_encode("thaw multifdsend_3\n", (const uint8_t[]){0x00, 11, 5}, 3);

    /* Four zero bytes are one line; 300 of them stop at the 64-line limit. */
    uint8_t zeros[300] = {0};
    struct schedule *s = schedule_decode(zeros, sizeof zeros);
    CHECK(s && s->nlines == 64);
    schedule_free(s);

    /* The README's held-thread example, encoded by hand from the rules. */
    static const uint8_t held[] = {
        0x00, 0x00, 0x01, 5 + 21, 12 + 21,       /* caps events=on multifd=on */
        0x00, 0x01, 0x00, 19, 0x00, 0x02,        /* params multifd-channels=2 */
        0x00, 0x02,                              /* migrate */
        0x07, 0x6c, 0x00, 0x00,                  /* after 8MiB (1024 << 13) on any, 2 actions */
        0x06, 0x00,                              /* reset all */
        0x09, 0x00, 0x4c, 0x35,                  /* freeze live_migration 50ms (3125 << 4) */
        0x08, 0x09, 0x00, 0x03, 0xe8,            /* on failed +1ms, 2 actions */
        0x00, 0x00, 12,                          /* caps multifd=off */
        0x04,                                    /* query */
    };
    const char *held_text = "caps events=on multifd=on\n"
                            "params multifd-channels=2\n"
                            "migrate\n"
                            "after 8MiB on any: reset all; freeze live_migration 50ms\n"
                            "on failed +1ms: caps multifd=off; query\n";
    check_encode(held_text, held, sizeof held);
    check_decode(held, sizeof held, held_text);

    /* Canonical bytes: the smallest selector and the smallest exponent. */
    check_encode("params max-bandwidth=2KiB multifd-compression=zstd",
                 (const uint8_t[]){0x00, 0x01, 0x01, 15, 0x0c, 0x00, 23, 0x00, 0x02}, 9);
    check_encode("wait 1us", (const uint8_t[]){0x00, 10, 0x00, 0x01}, 4);
    check_encode("wait 4096us", (const uint8_t[]){0x00, 10, 0x18, 0x00}, 4);
    check_encode("after 2TiB on multifd7: stall all", (const uint8_t[]){0x02, 0xfc, 0x00, 9, 8, 0, 0, 0}, 8);
    check_encode("", (const uint8_t[]){0}, 0);
}

static void check_refused(const char *text, const char *want)
{
    struct schedule *s = parse(text);
    uint8_t *out = NULL;
    size_t n = 0;
    struct err e = {{0}};
    CHECK_MSG(s && schedule_encode(s, &out, &n, &e) != 0, "encoded: %s", text);
    CHECK_STR(e.msg, want);
    free(out);
    schedule_free(s);
}

static void test_refused(void)
{
    char *many = malloc(65 * 6 + 1);
    for (int i = 0; i < 65; i++)
        memcpy(many + i * 6, "query\n", 6);
    many[65 * 6] = '\0';
    check_refused(many, "t.sched:65:1: cannot be encoded: more than 64 lines");
    free(many);
    check_refused("query; query; query; query; query",
                  "t.sched:1:29: cannot be encoded: 5 actions on a line: only 1 to 4 fit");
    check_refused("migrate\ncaps xbzrle=on xbzrle=on xbzrle=on xbzrle=on xbzrle=on",
                  "t.sched:2:1: cannot be encoded: 'caps' with 5 items: only 1 to 4 fit");
    check_refused("params compress-level=1 compress-level=2 compress-level=3",
                  "t.sched:1:1: cannot be encoded: 'params' with 3 items: only 1 to 2 fit");
    check_refused("on failed #5: query", "t.sched:1:1: cannot be encoded: '#5': only #1 to #4 fit");
    check_refused("query; reset multifd8",
                  "t.sched:1:8: cannot be encoded: channel multifd8: only all, main and multifd0..multifd7 fit");
    check_refused("after 1M on multifd8: query",
                  "t.sched:1:1: cannot be encoded: channel multifd8: only any, main and multifd0..multifd7 fit");
    check_refused("wait 4097us",
                  "t.sched:1:1: cannot be encoded: duration 4097us is not a 12-bit number of microseconds times a "
                  "power of two");
    check_refused("after 4TiB on any: query",
                  "t.sched:1:1: cannot be encoded: size 4TiB is not an 11-bit number of bytes times a power of two");
    check_refused("on trace foo: query", "t.sched:1:1: cannot be encoded: trace event 'foo' is not in the binary form's table");
    check_refused("qmp {\"execute\": \"quit\"}",
                  "t.sched:1:1: cannot be encoded: qmp {\"execute\":\"quit\"} is not in the binary form's table");
    check_refused("params tls-creds=abc", "t.sched:1:1: cannot be encoded: 'tls-creds': only \"\" and \"qmprace\" fit");
    check_refused("params downtime-limit=65536",
                  "t.sched:1:1: cannot be encoded: 'downtime-limit=65536': only values up to 65535 fit");
    check_refused("freeze multifdsend_8 1ms",
                  "t.sched:1:1: cannot be encoded: thread: only live_migration, main and "
                  "multifdsend_0..multifdsend_7 fit");

    /* Built in code: no source positions, so messages count lines from 1. */
    struct schedule *s = schedule_new("built");
    struct sched_line *l = schedule_add_line(s);
    schedule_add_action(l, ACT_QUERY);
    l = schedule_add_line(s);
    struct sched_action *a = schedule_add_action(l, ACT_FREEZE);
    a->u.freeze.thread.kind = THR_MAIN;
    uint8_t *out = NULL;
    size_t n = 0;
    struct err e = {{0}};
    CHECK(schedule_encode(s, &out, &n, &e) != 0);
    CHECK_STR(e.msg, "built:2:1: cannot be encoded: 'freeze' for 0 (the binary form reads 0 as 1us)");
    free(out);
    schedule_free(s);
}

int main(void)
{
    test_known_bytes();
    test_refused();
    test_random_inputs();
    return check_exit();
}
