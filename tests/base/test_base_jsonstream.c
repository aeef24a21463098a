/* Tests of QMP framing (jsonstream): a real conversation gives the same messages however it is chunked,
 * and what a broken peer sends (garbage, non-objects, oversized messages) is refused with a message and
 * without reading more than the limit. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jsonstream.h"

/* Lines of a QEMU 7.2 conversation as QEMU writes them (CRLF after each), events included. */
static const char conversation[] =
    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, \"package\": "
    "\"Debian 1:7.2+dfsg-7+deb12u18\"}, \"capabilities\": [\"oob\"]}}\r\n"
    "{\"return\": {}, \"id\": 1}\r\n"
    "{\"return\": {}, \"id\": 2}\r\n"
    "{\"timestamp\": {\"seconds\": 1795739090, \"microseconds\": 844221}, \"event\": \"MIGRATION\", "
    "\"data\": {\"status\": \"setup\"}}\r\n"
    "{\"return\": {}, \"id\": 3}\r\n"
    "{\"timestamp\": {\"seconds\": 1795739090, \"microseconds\": 847907}, \"event\": \"MIGRATION_PASS\", "
    "\"data\": {\"pass\": 1}}\r\n"
    "{\"timestamp\": {\"seconds\": 1795739091, \"microseconds\": 85170}, \"event\": \"MIGRATION\", "
    "\"data\": {\"status\": \"failed\"}}\r\n"
    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"There's a migration process in progress\"}, "
    "\"id\": 4}\r\n"
    "{\"return\": [{\"type\": \"chardev\", \"id\": \"compat_monitor0\"}, {\"type\": \"migration\"}], "
    "\"id\": \"c6\"}\r\n"
    "{\"return\": {\"status\": \"failed\", \"error-desc\": \"Unable to write to socket: Connection reset by "
    "peer\"}, \"id\": 5}\r\n";
#define CONVERSATION_MESSAGES 10

/* Collects each message as one line of plain JSON, so two runs compare as strings. */
struct seen {
    char text[8192];
    size_t len;
    int count;
    int stop_after; /* ask jsonstream to stop after this many messages (0: never) */
};

static int collect(void *arg, json_object *obj)
{
    struct seen *s = arg;
    const char *t = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
    size_t n = strlen(t);
    if (s->len + n + 2 < sizeof s->text) {
        memcpy(s->text + s->len, t, n);
        s->len += n;
        s->text[s->len++] = '\n';
        s->text[s->len] = '\0';
    }
    json_object_put(obj);
    s->count++;
    return s->stop_after && s->count >= s->stop_after;
}

/* Feeds `buf` in pieces of `step` bytes (0: all at once); returns the last feed's result. */
static int feed_steps(struct jsonstream *js, const char *buf, size_t len, size_t step, struct seen *s,
                      struct err *e)
{
    if (step == 0)
        step = len ? len : 1;
    for (size_t off = 0; off < len; off += step) {
        size_t n = len - off < step ? len - off : step;
        int rc = jsonstream_feed(js, buf + off, n, collect, s, e);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void test_chunking(void)
{
    size_t n = strlen(conversation);
    struct seen ref = {0};
    struct err e = {{0}};
    struct jsonstream *js = jsonstream_new(0);
    CHECK_INT(jsonstream_feed(js, conversation, n, collect, &ref, &e), 0);
    CHECK_INT(ref.count, CONVERSATION_MESSAGES);
    CHECK_INT(jsonstream_count(js), CONVERSATION_MESSAGES);
    CHECK(!jsonstream_mid_message(js));
    CHECK(strstr(ref.text, "\"desc\":\"There's a migration process in progress\"") != NULL);
    jsonstream_free(js);

    int mismatches = 0;
    for (size_t k = 0; k <= n; k++) {
        struct seen s = {0};
        js = jsonstream_new(0);
        int rc1 = jsonstream_feed(js, conversation, k, collect, &s, &e);
        int rc2 = jsonstream_feed(js, conversation + k, n - k, collect, &s, &e);
        if (rc1 != 0 || rc2 != 0 || s.count != ref.count || strcmp(s.text, ref.text) != 0 ||
            jsonstream_mid_message(js)) {
            if (mismatches++ < 3)
                CHECK_MSG(0, "split at byte %zu: rc %d/%d, %d messages", k, rc1, rc2, s.count);
        }
        jsonstream_free(js);
    }
    CHECK_INT(mismatches, 0);

    struct seen s = {0};
    js = jsonstream_new(0);
    CHECK_INT(feed_steps(js, conversation, n, 1, &s, &e), 0);
    CHECK_STR(s.text, ref.text);
    jsonstream_free(js);
}

static void test_whitespace_and_mid(void)
{
    struct err e = {{0}};
    struct seen s = {0};
    struct jsonstream *js = jsonstream_new(0);
    CHECK_INT(jsonstream_feed(js, " \r\n\t \r\n", 7, collect, &s, &e), 0);
    CHECK_INT(s.count, 0);
    CHECK(!jsonstream_mid_message(js));

    const char *part = "\r\n{\"event\": \"MIG";
    CHECK_INT(jsonstream_feed(js, part, strlen(part), collect, &s, &e), 0);
    CHECK(jsonstream_mid_message(js));
    const char *rest = "RATION\"}\r\n";
    CHECK_INT(jsonstream_feed(js, rest, strlen(rest), collect, &s, &e), 0);
    CHECK(!jsonstream_mid_message(js));
    CHECK_INT(s.count, 1);
    CHECK_STR(s.text, "{\"event\":\"MIGRATION\"}\n");
    jsonstream_free(js);
}

static void test_stop(void)
{
    struct err e = {{0}};
    struct seen s = {.stop_after = 1};
    struct jsonstream *js = jsonstream_new(0);
    const char *two = "{\"a\":1}{\"b\":2}\r\n{\"c\":3}";
    CHECK_INT(jsonstream_feed(js, two, strlen(two), collect, &s, &e), 1);
    CHECK_INT(s.count, 1);
    jsonstream_free(js);
}

/* Feeds `text` and expects the stream to refuse it with a message containing `want`, after `good`
 * messages. */
static void expect_refused(const char *text, int good, const char *want)
{
    struct err e = {{0}};
    struct seen s = {0};
    struct jsonstream *js = jsonstream_new(0);
    int rc = jsonstream_feed(js, text, strlen(text), collect, &s, &e);
    CHECK_MSG(rc == -1, "'%s' accepted", text);
    CHECK_MSG(s.count == good, "'%s': %d messages before the error", text, s.count);
    CHECK_MSG(strstr(e.msg, want) != NULL, "'%s': error '%s' lacks '%s'", text, e.msg, want);
    /* A broken stream stays broken. */
    CHECK_INT(jsonstream_feed(js, "{}", 2, collect, &s, &e), -1);
    jsonstream_free(js);
}

static void test_refusals(void)
{
    expect_refused("{\"QMP\": {}}\r\nhello\r\n", 1, "malformed JSON");
    expect_refused("}\r\n", 0, "malformed JSON");
    expect_refused("{\"return\": {}, \"id\": 1}}", 1, "malformed JSON");
    expect_refused("[1, 2]\r\n", 0, "not a JSON object");
    expect_refused("{\"QMP\": {}}\r\n\"text\"\r\n", 1, "not a JSON object");
    expect_refused("42\r\n", 0, "not a JSON object");
}

/* A message of exactly `size` bytes: {"x":"aaa..."}. */
static char *message_of(size_t size)
{
    char *m = malloc(size + 3);
    memcpy(m, "{\"x\":\"", 6);
    memset(m + 6, 'a', size - 8);
    memcpy(m + size - 2, "\"}", 2);
    memcpy(m + size, "\r\n", 3);
    return m;
}

static void test_limit(void)
{
    const size_t max = 100;
    struct err e = {{0}};
    for (size_t step = 0; step <= 7; step += 7) {
        char *m = message_of(max);
        struct seen s = {0};
        struct jsonstream *js = jsonstream_new(max);
        CHECK_INT(feed_steps(js, m, strlen(m), step, &s, &e), 0);
        CHECK_INT(s.count, 1);
        jsonstream_free(js);
        free(m);

        m = message_of(max + 1);
        js = jsonstream_new(max);
        CHECK_INT(feed_steps(js, m, strlen(m), step, &s, &e), -1);
        CHECK(strstr(e.msg, "larger than 100 bytes") != NULL);
        jsonstream_free(js);
        free(m);
    }

    /* A huge message fed a byte at a time is refused once the limit is passed, not at its end. */
    size_t big = 100000;
    char *m = message_of(big);
    struct seen s = {0};
    struct jsonstream *js = jsonstream_new(max);
    size_t fed = 0;
    int rc = 0;
    while (fed < big && rc == 0) {
        rc = jsonstream_feed(js, m + fed, 1, collect, &s, &e);
        fed++;
    }
    CHECK_INT(rc, -1);
    CHECK_MSG(fed <= max + 1, "%zu bytes fed before the refusal", fed);
    jsonstream_free(js);

    /* ... and fed at once, it is refused after the limit too: the limit is per message, so messages
     * before it are delivered. */
    js = jsonstream_new(max);
    s = (struct seen){0};
    char *two = malloc(big + 32);
    snprintf(two, big + 32, "{\"ok\":1}\r\n%s", m);
    CHECK_INT(jsonstream_feed(js, two, strlen(two), collect, &s, &e), -1);
    CHECK_INT(s.count, 1);
    jsonstream_free(js);
    free(two);
    free(m);

    /* Many small messages in a row are not one big one. */
    js = jsonstream_new(max);
    s = (struct seen){0};
    char many[4096] = "";
    for (int i = 0; i < 200; i++)
        strcat(many, "{\"n\":1}\r\n");
    CHECK_INT(jsonstream_feed(js, many, strlen(many), collect, &s, &e), 0);
    CHECK_INT(s.count, 200);
    jsonstream_free(js);
}

int main(void)
{
    test_chunking();
    test_whitespace_and_mid();
    test_stop();
    test_refusals();
    test_limit();
    return check_exit();
}
