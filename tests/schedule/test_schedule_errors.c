/* Every way a schedule can be wrong gets its own exact message, at the file:line:col of the offending
 * token, so a user can go straight to the mistake. One case per distinct message. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "schedule.h"

struct bad {
    const char *text;
    const char *msg; /* the whole message, or its start when it ends in "..." */
};

static const struct bad cases[] = {
    /* lines and actions */
    {"cpas multifd=on", "t.sched:1:1: unknown action 'cpas' (actions: caps, params, migrate, cancel, query, "
                        "qmp, reset, close, stall, freeze, wait, thaw)"},
    {"migrate tcp:127.0.0.1:4444", "t.sched:1:9: 'migrate' takes no arguments: the URI is always the fault proxy's"},
    {"cancel now", "t.sched:1:8: 'cancel' takes no arguments"},
    {"query  all", "t.sched:1:8: 'query' takes no arguments"},
    {"on failed:", "t.sched:1:11: expected an action after ':'"},
    {"on failed: # nothing", "t.sched:1:12: expected an action after ':'"},
    {"query;", "t.sched:1:7: expected an action after ';'"},
    {"query; ; cancel", "t.sched:1:8: expected an action after ';'"},
    {"; query", "t.sched:1:1: expected an action, got ';'"},
    {"query\rcancel", "t.sched:1:6: control character 0x0d in the text"},
    {"migrate\n\x1b[1m", "t.sched:2:1: control character 0x1b in the text"},
    /* triggers */
    {"on failed caps multifd=off", "t.sched:1:11: expected ':' after the trigger"},
    {"at +5ms", "t.sched:1:8: expected ':' after the trigger"},
    {"at", "t.sched:1:3: expected a duration after 'at'"},
    {"at +: query", "t.sched:1:4: expected a duration right after '+' (e.g. '+1ms')"},
    {"at 5: query", "t.sched:1:4: duration '5' needs a unit (us, ms or s)"},
    {"at +2h: query", "t.sched:1:5: unknown unit 'h' in duration '2h' (use us, ms or s)"},
    {"at 0.5us: query", "t.sched:1:4: duration '0.5us' is not a whole number of microseconds"},
    {"at 4000s: query", "t.sched:1:4: duration '4000s' is too large"},
    {"after: query", "t.sched:1:6: expected a size after 'after'"},
    {"after 1Q on any: query", "t.sched:1:7: unknown unit 'Q' in size '1Q' (use B, KiB, MiB, GiB or TiB)"},
    {"after 1M any: query", "t.sched:1:10: expected 'on CHANNEL' after the size"},
    {"after 1M on: query", "t.sched:1:12: expected a channel (main, multifdN or any)"},
    {"after 1M on all: query", "t.sched:1:13: expected a channel (main, multifdN or any), got 'all'"},
    {"after 1M on multifd256: query", "t.sched:1:13: expected a channel (main, multifdN or any), got 'multifd256'"},
    {"on: query", "t.sched:1:3: expected a status or 'trace' after 'on'"},
    {"on faild: query", "t.sched:1:4: unknown status 'faild' (did you mean 'failed'?)"},
    {"on xyzzyq: query", "t.sched:1:4: unknown status 'xyzzyq' (expected one of: none, setup, cancelling, "
                         "cancelled, active, postcopy-active, postcopy-paused, postcopy-recover, completed, "
                         "failed, colo, pre-switchover, device, wait-unplug, failing, postcopy-recover-setup, "
                         "postcopy-device)"},
    {"on trace: query", "t.sched:1:9: expected a trace event name after 'on trace'"},
    {"on trace Foo: query",
     "t.sched:1:10: invalid trace event name 'Foo' (lower-case letters, digits and '_', at most 64)"},
    {"on failed #0: query", "t.sched:1:11: '#N' must be a number from 1 to 1000, got '#0'"},
    {"on failed #1001: query", "t.sched:1:11: '#N' must be a number from 1 to 1000, got '#1001'"},
    {"on failed #2x: query", "t.sched:1:11: '#N' must be a number from 1 to 1000, got '#2x'"},
    {"on failed 1ms: query", "t.sched:1:11: a delay after the status is written '+DUR' (e.g. '+1ms')"},
    {"on trace a_b 1ms: query", "t.sched:1:14: a delay after the trace event is written '+DUR' (e.g. '+1ms')"},
    {"on failed # a comment, so no colon", "t.sched:1:11: expected ':' after the trigger"},
    /* caps */
    {"caps mutlifd=on", "t.sched:1:6: unknown capability 'mutlifd' (did you mean 'multifd'?)"},
    {"caps qqqqqqqqqq=on", "t.sched:1:6: unknown capability 'qqqqqqqqqq' (expected one of: xbzrle, rdma-pin-all,..."},
    {"caps multifd=yes", "t.sched:1:14: 'multifd' takes on or off, got 'yes'"},
    {"caps multifd", "t.sched:1:6: expected NAME=on|off, got 'multifd'"},
    {"on failed: caps", "t.sched:1:12: 'caps' needs at least one NAME=on|off item"},
    /* params */
    {"params", "t.sched:1:1: 'params' needs at least one NAME=VALUE item"},
    {"params multifd-channels", "t.sched:1:8: expected NAME=VALUE, got 'multifd-channels'"},
    {"params multifd-channel=2", "t.sched:1:8: unknown parameter 'multifd-channel' (did you mean 'multifd-channels'?)"},
    {"params bogus=1", "t.sched:1:8: unknown parameter 'bogus' (docs/schedule-language.md lists the parameters)"},
    {"params multifd-channels=256", "t.sched:1:25: 'multifd-channels' takes an integer from 0 to 255, got '256'"},
    {"params multifd-channels=", "t.sched:1:25: 'multifd-channels' takes an integer from 0 to 255, got ''"},
    {"params x-checkpoint-delay=-1", "t.sched:1:27: 'x-checkpoint-delay' takes an integer from 0 to 4294967295, got '-1'"},
    {"params downtime-limit=18446744073709551616",
     "t.sched:1:23: 'downtime-limit' takes an integer from 0 to 18446744073709551615, got '18446744073709551616'"},
    {"params max-bandwidth=8X", "t.sched:1:22: unknown unit 'X' in size '8X' (use B, KiB, MiB, GiB or TiB)"},
    {"params block-incremental=maybe", "t.sched:1:26: 'block-incremental' takes on or off, got 'maybe'"},
    {"params tls-creds=a,b",
     "t.sched:1:18: 'tls-creds' takes a word of [A-Za-z0-9_.:/-] or a \"quoted string\", got 'a,b'"},
    {"params tls-creds=\"a\\q\"",
     "t.sched:1:18: 'tls-creds' takes a word of [A-Za-z0-9_.:/-] or a \"quoted string\", got '\"a\\q\"'"},
    {"params tls-creds=\"abc", "t.sched:1:18: unterminated quoted string"},
    {"params multifd-compression=lz4", "t.sched:1:28: 'multifd-compression' takes none, zlib or zstd, got 'lz4'"},
    /* qmp */
    {"qmp", "t.sched:1:4: 'qmp' needs a JSON object on the same line, e.g. qmp {\"execute\": \"stop\"}"},
    {"qmp {\"execute\":\"a\",}", "t.sched:1:20: invalid JSON in 'qmp': unexpected character"},
    {"qmp {\"execute\" \"a\"}", "t.sched:1:16: invalid JSON in 'qmp': object property name separator ':' expected"},
    {"qmp {\"execute\":\"a\"", "t.sched:1:5: unterminated JSON object (a 'qmp' command must be on one line)"},
    {"qmp {\"arguments\":{}}", "t.sched:1:5: the 'qmp' command needs a string member \"execute\" (or \"exec-oob\")"},
    {"qmp {\"execute\":1}", "t.sched:1:5: the 'qmp' command needs a string member \"execute\" (or \"exec-oob\")"},
    {"qmp {\"execute\":\"a\"} query", "t.sched:1:21: expected ';' or the end of the line, got 'query'"},
    /* faults, freeze, wait */
    {"reset", "t.sched:1:1: 'reset' needs a channel: reset CHANNEL|all"},
    {"close", "t.sched:1:1: 'close' needs a channel: close CHANNEL|all"},
    {"reset main all", "t.sched:1:12: too many arguments: reset CHANNEL|all"},
    {"reset any", "t.sched:1:7: expected a channel (main, multifdN or all), got 'any'"},
    {"stall", "t.sched:1:1: 'stall' needs a channel: stall CHANNEL|all [DUR]"},
    {"stall all 0", "t.sched:1:11: stall for 0 makes no sense; omit the duration to stall until the end"},
    {"stall all 1ms 2ms", "t.sched:1:15: too many arguments: stall CHANNEL|all [DUR]"},
    {"freeze live_migration", "t.sched:1:1: 'freeze' needs a thread and a duration: freeze THREAD DUR"},
    {"freeze live 5ms",
     "t.sched:1:8: expected a thread (main, live_migration, multifdsend_N or return_path; or QEMU 10's mig/src/main, mig/src/send_N, mig/src/return), got 'live'"},
    {"freeze main 0", "t.sched:1:13: 'freeze' needs a duration above 0"},
    {"thaw", "t.sched:1:1: 'thaw' needs a thread: thaw THREAD"},
    {"thaw main 5ms", "t.sched:1:11: too many arguments: thaw THREAD"},
    {"thaw live", "t.sched:1:6: expected a thread (main, live_migration, multifdsend_N or return_path; or QEMU 10's mig/src/main, mig/src/send_N, mig/src/return), got 'live'"},
    {"wait", "t.sched:1:1: 'wait' needs a duration: wait DUR"},
    {"wait 0us", "t.sched:1:6: 'wait' needs a duration above 0"},
    {"wait 5", "t.sched:1:6: duration '5' needs a unit (us, ms or s)"},
    {"wait 1ms 2ms", "t.sched:1:10: too many arguments: wait DUR"},
};

static void test_cases(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct err e = {{0}};
        struct schedule *s = schedule_parse(cases[i].text, strlen(cases[i].text), "t.sched", &e);
        CHECK_MSG(s == NULL, "accepted: %s", cases[i].text);
        size_t n = strlen(cases[i].msg);
        if (n > 3 && strcmp(cases[i].msg + n - 3, "...") == 0)
            CHECK_MSG(strncmp(e.msg, cases[i].msg, n - 3) == 0, "%s\n  got:      %s\n  expected: %s...",
                      cases[i].text, e.msg, cases[i].msg);
        else
            CHECK_MSG(strcmp(e.msg, cases[i].msg) == 0, "%s\n  got:      %s\n  expected: %s", cases[i].text,
                      e.msg, cases[i].msg);
        schedule_free(s);
    }
}

/* The error is on the line where it is, after lines that were fine; the earlier lines do not leak. */
static void test_position_in_file(void)
{
    const char *text = "caps multifd=on\r\n# comment\r\nmigrate\r\n\r\n  after 8MiB on any: reset all; stall al 5ms\r\n";
    struct err e = {{0}};
    struct schedule *s = schedule_parse(text, strlen(text), "dir/x.sched", &e);
    CHECK(s == NULL);
    CHECK_STR(e.msg, "dir/x.sched:5:39: expected a channel (main, multifdN or all), got 'al'");
    schedule_free(s);
}

/* A huge token is quoted only in part, so the message keeps its shape. */
static void test_long_token(void)
{
    char text[300] = "cpas";
    memset(text + 4, 'x', 200);
    text[204] = '\0';
    struct err e = {{0}};
    struct schedule *s = schedule_parse(text, strlen(text), "t.sched", &e);
    CHECK(s == NULL);
    CHECK(strstr(e.msg, "'cpasxxxx") != NULL);
    CHECK(strstr(e.msg, "(actions: caps,") != NULL);
    CHECK(strlen(e.msg) < 200);
    schedule_free(s);
}

/* With no name, messages still have the file:line:col shape. */
static void test_no_name(void)
{
    struct err e = {{0}};
    struct schedule *s = schedule_parse("wait", 4, NULL, &e);
    CHECK(s == NULL);
    CHECK_STR(e.msg, "<schedule>:1:1: 'wait' needs a duration: wait DUR");
    schedule_free(s);
}

int main(void)
{
    test_cases();
    test_position_in_file();
    test_long_token();
    test_no_name();
    return check_exit();
}
