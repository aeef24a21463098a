/* The schedule language as a user writes it: the README's examples parse to exactly the intended model,
 * every trigger and action form reads and prints canonically, and the limits hold. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "schedule.h"

static struct schedule *parse(const char *text)
{
    struct err e = {{0}};
    struct schedule *s = schedule_parse(text, strlen(text), "t.sched", &e);
    CHECK_MSG(s != NULL, "parse failed: %s", e.msg);
    return s;
}

/* Parses `in` and checks its canonical print is `want`, and that the print parses back to the same. */
static void check_canon(const char *in, const char *want)
{
    struct schedule *s = parse(in);
    if (!s)
        return;
    char *out = schedule_print(s);
    CHECK_STR(out, want);
    struct err e = {{0}};
    struct schedule *again = out ? schedule_parse(out, strlen(out), "again", &e) : NULL;
    CHECK_MSG(again != NULL, "canonical text does not parse: %s", e.msg);
    if (again) {
        CHECK(schedule_equal(s, again));
        char *out2 = schedule_print(again);
        CHECK_STR(out2, out);
        free(out2);
    }
    schedule_free(again);
    free(out);
    schedule_free(s);
}

static void test_example_libvirt(void)
{
    struct schedule *s = parse("# libvirt's reaction to a failed migration: reset the capabilities it had set\n"
                               "caps events=on multifd=on\n"
                               "params multifd-channels=2\n"
                               "migrate\n"
                               "after 8MiB on any: reset all\n"
                               "on failed: caps multifd=off\n");
    if (!s)
        return;
    CHECK_STR(s->name, "t.sched");
    CHECK_INT(s->nlines, 5);
    if (s->nlines != 5) {
        schedule_free(s);
        return;
    }
    struct sched_line *l = s->lines;
    CHECK_INT(l[0].line, 2);
    CHECK_INT(l[0].trig.kind, TRIG_NONE);
    CHECK_INT(l[0].nacts, 1);
    CHECK_INT(l[0].acts[0].kind, ACT_CAPS);
    CHECK_INT(l[0].acts[0].line, 2);
    CHECK_INT(l[0].acts[0].col, 1);
    CHECK_INT(l[0].acts[0].u.caps.n, 2);
    CHECK_INT(l[0].acts[0].u.caps.items[0].cap, CAP_EVENTS);
    CHECK(l[0].acts[0].u.caps.items[0].on);
    CHECK_INT(l[0].acts[0].u.caps.items[1].cap, CAP_MULTIFD);
    CHECK(l[0].acts[0].u.caps.items[1].on);

    CHECK_INT(l[1].acts[0].kind, ACT_PARAMS);
    CHECK_INT(l[1].acts[0].u.params.n, 1);
    CHECK_INT(l[1].acts[0].u.params.items[0].param, PARAM_MULTIFD_CHANNELS);
    CHECK(json_object_is_type(l[1].acts[0].u.params.items[0].value, json_type_int));
    CHECK_INT(json_object_get_int64(l[1].acts[0].u.params.items[0].value), 2);

    CHECK_INT(l[2].trig.kind, TRIG_NONE);
    CHECK_INT(l[2].acts[0].kind, ACT_MIGRATE);

    CHECK_INT(l[3].trig.kind, TRIG_AFTER);
    CHECK_INT(l[3].trig.bytes, 8u << 20);
    CHECK_INT(l[3].trig.chan, CHAN_ANY);
    CHECK_INT(l[3].trig.col, 1);
    CHECK_INT(l[3].nacts, 1);
    CHECK_INT(l[3].acts[0].kind, ACT_RESET);
    CHECK_INT(l[3].acts[0].u.fault.chan, CHAN_ALL);
    CHECK_INT(l[3].acts[0].col, 20);

    CHECK_INT(l[4].trig.kind, TRIG_STATUS);
    CHECK_INT(l[4].trig.status, MIG_FAILED);
    CHECK_INT(l[4].trig.nth, 1);
    CHECK_INT(l[4].trig.delay_us, 0);
    CHECK_INT(l[4].acts[0].kind, ACT_CAPS);
    CHECK_INT(l[4].acts[0].u.caps.n, 1);
    CHECK_INT(l[4].acts[0].u.caps.items[0].cap, CAP_MULTIFD);
    CHECK(!l[4].acts[0].u.caps.items[0].on);
    schedule_free(s);
}

static void test_example_held(void)
{
    struct schedule *s = parse("caps events=on multifd=on\n"
                               "params multifd-channels=2\n"
                               "migrate\n"
                               "after 8MiB on any: reset all; freeze live_migration 50ms\n"
                               "on failed +1ms: caps multifd=off; query\n");
    if (!s)
        return;
    CHECK_INT(s->nlines, 5);
    if (s->nlines != 5) {
        schedule_free(s);
        return;
    }
    struct sched_line *l = s->lines;
    CHECK_INT(l[3].line, 4);
    CHECK_INT(l[3].nacts, 2);
    CHECK_INT(l[3].acts[1].kind, ACT_FREEZE);
    CHECK_INT(l[3].acts[1].u.freeze.thread.kind, THR_LIVE_MIGRATION);
    CHECK_INT(l[3].acts[1].u.freeze.dur_us, 50000);
    CHECK_INT(l[3].acts[1].col, 31);
    CHECK_INT(l[4].trig.kind, TRIG_STATUS);
    CHECK_INT(l[4].trig.status, MIG_FAILED);
    CHECK_INT(l[4].trig.delay_us, 1000);
    CHECK_INT(l[4].nacts, 2);
    CHECK_INT(l[4].acts[0].kind, ACT_CAPS);
    CHECK_INT(l[4].acts[1].kind, ACT_QUERY);
    schedule_free(s);
}

static void test_triggers(void)
{
    check_canon("at 50ms: query\n", "at +50ms: query\n");
    check_canon("at +50ms: query", "at +50ms: query\n");
    check_canon("at +0: query", "at +0us: query\n");
    check_canon("at +1.5ms : query", "at +1500us: query\n");
    check_canon("at +2000ms:query", "at +2s: query\n");
    check_canon("after 64K on main: reset main", "after 64KiB on main: reset main\n");
    check_canon("after 1.5KiB on multifd7 : close all", "after 1536B on multifd7: close all\n");
    check_canon("after 0 on multifd255: query", "after 0B on multifd255: query\n");
    check_canon("on failed: query", "on failed: query\n");
    check_canon("on failed #1 +0us: query", "on failed: query\n");
    check_canon("on failed #2 +1ms: query", "on failed #2 +1ms: query\n");
    check_canon("on failed#2+1ms: query", "on failed #2 +1ms: query\n");
    check_canon("on failed #1000: query", "on failed #1000: query\n");
    check_canon("on failing +200us : query", "on failing +200us: query\n");
    check_canon("on wait-unplug: query", "on wait-unplug: query\n");
    check_canon("on trace savevm_state_cleanup: query", "on trace savevm_state_cleanup: query\n");
    check_canon("on trace qmp_exit_migrate_set_capabilities #2 +1ms: query",
                "on trace qmp_exit_migrate_set_capabilities #2 +1ms: query\n");

    struct schedule *s = parse("on trace migrate_set_state #3 +5ms: query\n");
    if (s) {
        CHECK_INT(s->lines[0].trig.kind, TRIG_TRACE);
        CHECK_STR(s->lines[0].trig.trace_event, "migrate_set_state");
        CHECK_INT(s->lines[0].trig.nth, 3);
        CHECK_INT(s->lines[0].trig.delay_us, 5000);
    }
    schedule_free(s);
    s = parse("  after 1MiB on multifd1: stall multifd1 10ms\n");
    if (s) {
        CHECK_INT(s->lines[0].trig.col, 3);
        CHECK_INT(s->lines[0].trig.chan, 1);
        CHECK_INT(s->lines[0].acts[0].u.fault.chan, 1);
        CHECK_INT(s->lines[0].acts[0].u.fault.dur_us, 10000);
    }
    schedule_free(s);
}

static void test_actions(void)
{
    check_canon("caps xbzrle=true multifd=false postcopy-preempt=on",
                "caps xbzrle=on multifd=off postcopy-preempt=on\n");
    check_canon("params multifd-channels=255 compress-level=0", "params multifd-channels=255 compress-level=0\n");
    check_canon("params x-checkpoint-delay=4294967295", "params x-checkpoint-delay=4294967295\n");
    check_canon("params downtime-limit=18446744073709551615", "params downtime-limit=18446744073709551615\n");
    check_canon("params max-bandwidth=8M xbzrle-cache-size=1.5KiB announce-step=100",
                "params max-bandwidth=8MiB xbzrle-cache-size=1536B announce-step=100\n");
    check_canon("params block-incremental=true cpu-throttle-tailslow=off",
                "params block-incremental=on cpu-throttle-tailslow=off\n");
    check_canon("params tls-creds=tls0 tls-hostname=a.example:443/x_y-z", "params tls-creds=tls0 tls-hostname=a.example:443/x_y-z\n");
    check_canon("params tls-creds=\"two words; # not a comment\"",
                "params tls-creds=\"two words; # not a comment\"\n");
    check_canon("params tls-authz=\"\" tls-creds=\"plain\"", "params tls-authz=\"\" tls-creds=plain\n");
    check_canon("params multifd-compression=zlib", "params multifd-compression=zlib\n");
    check_canon("migrate", "migrate\n");
    check_canon("cancel", "cancel\n");
    check_canon("query", "query\n");
    check_canon("qmp {\"execute\": \"query-status\"}", "qmp {\"execute\":\"query-status\"}\n");
    check_canon("qmp {\"exec-oob\":\"migrate-pause\", \"id\": 7}", "qmp {\"exec-oob\":\"migrate-pause\",\"id\":7}\n");
    check_canon("qmp {\"execute\":\"x\",\"arguments\":{\"z\":1.50,\"a\":[true,null,\"/\"]}}",
                "qmp {\"execute\":\"x\",\"arguments\":{\"z\":1.50,\"a\":[true,null,\"/\"]}}\n");
    check_canon("reset all; reset main; reset multifd0", "reset all; reset main; reset multifd0\n");
    check_canon("close all;close multifd12", "close all; close multifd12\n");
    check_canon("stall all; stall main 1s; stall multifd1 1000us", "stall all; stall main 1s; stall multifd1 1ms\n");
    check_canon("freeze live_migration 50ms; freeze main 1us; freeze multifdsend_3 2s",
                "freeze live_migration 50ms; freeze main 1us; freeze multifdsend_3 2s\n");
    check_canon("thaw live_migration;thaw main; thaw mig/src/send_2", "thaw live_migration; thaw main; thaw multifdsend_2\n");
    check_canon("wait 1.5ms", "wait 1500us\n");
    /* json-c prints escaped DEL back raw and other control characters escaped; both must read back. */
    check_canon("qmp {\"execute\":\"a\\u007fb\\u0001\"}", "qmp {\"execute\":\"a\x7f"
                                                      "b\\u0001\"}\n");

    struct schedule *s = parse("params multifd-channels=2 block-incremental=on tls-creds=x "
                               "multifd-compression=zstd max-bandwidth=1K\n");
    if (s) {
        struct sched_param *p = s->lines[0].acts[0].u.params.items;
        CHECK(json_object_is_type(p[0].value, json_type_int));
        CHECK(json_object_is_type(p[1].value, json_type_boolean));
        CHECK(json_object_get_boolean(p[1].value));
        CHECK(json_object_is_type(p[2].value, json_type_string));
        CHECK_STR(json_object_get_string(p[2].value), "x");
        CHECK_STR(json_object_get_string(p[3].value), "zstd");
        CHECK_INT(json_object_get_int64(p[4].value), 1024);
    }
    schedule_free(s);
    s = parse("params tls-creds=\"a\\\"b\\u00e9\"\n");
    if (s)
        CHECK_STR(json_object_get_string(s->lines[0].acts[0].u.params.items[0].value), "a\"b\xc3\xa9");
    schedule_free(s);
}

static void test_layout(void)
{
    /* Comments, blank lines, CRLF, tabs: only the lines that do something remain, numbered as written. */
    const char *text = "# header\r\n"
                       "\r\n"
                       "\tcaps multifd=on   # on for the race\r\n"
                       "   \t  \r\n"
                       "migrate#no space before the comment\r\n"
                       "on failed :\tcaps multifd=off ;query\r\n"
                       "   # indented comment";
    struct schedule *s = parse(text);
    if (s) {
        CHECK_INT(s->nlines, 3);
        CHECK_INT(s->lines[0].line, 3);
        CHECK_INT(s->lines[0].acts[0].col, 2);
        CHECK_INT(s->lines[1].line, 5);
        CHECK_INT(s->lines[2].line, 6);
        CHECK_INT(s->lines[2].nacts, 2);
        char *out = schedule_print(s);
        CHECK_STR(out, "caps multifd=on\nmigrate\non failed: caps multifd=off; query\n");
        free(out);
    }
    schedule_free(s);

    /* A `qmp` JSON string may hold ';' and '#'; a comment may follow the object. */
    s = parse("on failed: qmp {\"execute\":\"a;b\",\"arguments\":{\"c\":\"# d\"}} ; query # done\n");
    if (s) {
        CHECK_INT(s->lines[0].nacts, 2);
        json_object *v;
        CHECK(json_object_object_get_ex(s->lines[0].acts[0].u.qmp, "execute", &v));
        CHECK_STR(json_object_get_string(v), "a;b");
        CHECK_INT(s->lines[0].acts[1].kind, ACT_QUERY);
    }
    schedule_free(s);

    /* A last line without its line end, and one ending in a lone CR, are whole lines. */
    check_canon("migrate\nquery", "migrate\nquery\n");
    check_canon("migrate\r", "migrate\n");

    /* Empty and comment-only schedules are valid and print as nothing. */
    check_canon("", "");
    check_canon("# nothing\n\n   \n", "");
}

static char *repeat_lines(const char *line, size_t n)
{
    size_t len = strlen(line);
    char *buf = malloc(len * n + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(buf + i * len, line, len);
    buf[len * n] = '\0';
    return buf;
}

static void check_error(const char *text, size_t len, const char *want)
{
    struct err e = {{0}};
    struct schedule *s = schedule_parse(text, len, "t.sched", &e);
    CHECK(s == NULL);
    CHECK_STR(e.msg, want);
    schedule_free(s);
}

static void test_limits(void)
{
    char *text = repeat_lines("query\n", SCHED_MAX_LINES);
    struct schedule *s = parse(text);
    if (s)
        CHECK_INT(s->nlines, SCHED_MAX_LINES);
    schedule_free(s);
    free(text);
    /* Comments and blank lines do not count against the limit. */
    text = repeat_lines("query\n# c\n\n", SCHED_MAX_LINES);
    s = parse(text);
    schedule_free(s);
    free(text);
    text = repeat_lines("query\n", SCHED_MAX_LINES + 1);
    check_error(text, strlen(text), "t.sched:257:1: too many lines (at most 256)");
    free(text);

    text = repeat_lines("query; ", SCHED_MAX_ACTIONS);
    text[strlen(text) - 2] = '\0';
    s = parse(text);
    if (s)
        CHECK_INT(s->lines[0].nacts, SCHED_MAX_ACTIONS);
    schedule_free(s);
    free(text);
    text = repeat_lines("query; ", SCHED_MAX_ACTIONS + 1);
    check_error(text, strlen(text), "t.sched:1:113: too many actions on one line (at most 16)");
    free(text);

    char buf[2048] = "caps";
    for (int i = 0; i < SCHED_MAX_ITEMS; i++)
        strcat(buf, " events=on");
    s = parse(buf);
    if (s)
        CHECK_INT(s->lines[0].acts[0].u.caps.n, SCHED_MAX_ITEMS);
    schedule_free(s);
    strcat(buf, " multifd=on");
    check_error(buf, strlen(buf), "t.sched:1:326: too many items in one action (at most 32)");
    strcpy(buf, "params");
    for (int i = 0; i <= SCHED_MAX_ITEMS; i++)
        strcat(buf, " multifd-channels=1");
    check_error(buf, strlen(buf), "t.sched:1:616: too many items in one action (at most 32)");

    /* Exactly the limit of text is fine; one byte more is refused, pointing at that byte. */
    text = malloc(SCHED_MAX_TEXT + 1);
    memset(text, ' ', SCHED_MAX_TEXT + 1);
    text[0] = '#';
    text[10] = '\n';
    struct err e = {{0}};
    s = schedule_parse(text, SCHED_MAX_TEXT, "t.sched", &e);
    CHECK_MSG(s && s->nlines == 0, "%s", e.msg);
    schedule_free(s);
    check_error(text, SCHED_MAX_TEXT + 1, "t.sched:2:1048566: the schedule is longer than 1048576 bytes");
    free(text);

    /* A NUL byte is not text, even in a comment. */
    check_error("migrate\n# a\0b\n", 14, "t.sched:2:4: the text holds a NUL byte");
}

int main(void)
{
    test_example_libvirt();
    test_example_held();
    test_triggers();
    test_actions();
    test_layout();
    test_limits();
    return check_exit();
}
