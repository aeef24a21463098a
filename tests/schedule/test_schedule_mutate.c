/* The parser on text a person might mistype: mutations of valid schedules either parse to a schedule
 * whose canonical text reads back the same, or fail with a "NAME:LINE:COL: message" error. Never a
 * crash, a leak (LeakSanitizer) or a message of another shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rng.h"
#include "schedule.h"

static const char *const seeds[] = {
    ("caps events=on multifd=on\nparams multifd-channels=2\nmigrate\nafter 8MiB on any: reset all\n"
     "on failed: caps multifd=off\n"),
    "after 8MiB on any: reset all; freeze live_migration 50ms\non failed +1ms: caps multifd=off; query\n",
    "on trace savevm_state_cleanup #2 +1ms: qmp {\"execute\":\"query-yank\",\"arguments\":{\"a\":[1,\"#;\"]}}\n",
    "at +50ms: stall multifd0 10ms; close main # bye\r\non failing #3: cancel; wait 1.5ms\n",
    "params tls-creds=\"a b\" max-bandwidth=64K multifd-compression=zstd downtime-limit=300\n",
};

static const char interesting[] = " :;#\"{}+=.0123456789\t\r\nabmsKiBMonfailedtrace_-";

static struct rng rng_state = {0x853c49e6748fea9bull};
static uint64_t rng(void)
{
    return rng_next(&rng_state);
}

/* Applies 1..4 random edits (replace, insert, delete a byte) in place; returns the new length. */
static size_t mutate(char *buf, size_t len, size_t cap)
{
    int edits = 1 + (int)(rng() % 4);
    for (int i = 0; i < edits; i++) {
        size_t at = len ? rng() % (len + 1) : 0;
        char ch = rng() % 8 ? interesting[rng() % (sizeof interesting - 1)] : (char)(rng() % 256);
        switch (rng() % 3) {
        case 0:
            if (at < len)
                buf[at] = ch;
            break;
        case 1:
            if (len < cap) {
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = ch;
                len++;
            }
            break;
        default:
            if (at < len) {
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
            }
        }
    }
    return len;
}

/* "t.sched:LINE:COL: message", the message starting lower-case or with a quoted word. */
static bool error_shape(const char *msg)
{
    int line = 0, col = 0, n = 0;
    if (sscanf(msg, "t.sched:%d:%d: %n", &line, &col, &n) != 2 || n == 0 || line < 1 || col < 1)
        return false;
    return (msg[n] >= 'a' && msg[n] <= 'z') || msg[n] == '\'';
}

int main(void)
{
    char buf[1024];
    int bad_round = 0, bad_shape = 0, parsed = 0;
    for (int i = 0; i < 20000; i++) {
        const char *seed = seeds[i % (sizeof seeds / sizeof seeds[0])];
        size_t len = strlen(seed);
        memcpy(buf, seed, len);
        len = mutate(buf, len, sizeof buf);
        struct err e = {{0}};
        struct schedule *s = schedule_parse(buf, len, "t.sched", &e);
        if (!s) {
            if (!error_shape(e.msg) && bad_shape++ < 5)
                CHECK_MSG(0, "error of the wrong shape: %s", e.msg);
            continue;
        }
        parsed++;
        char *t = schedule_print(s);
        struct schedule *again = t ? schedule_parse(t, strlen(t), "printed", &e) : NULL;
        char *t2 = again ? schedule_print(again) : NULL;
        if (!t2 || strcmp(t, t2) != 0) {
            if (bad_round++ < 5)
                CHECK_MSG(0, "round trip broken for:\n%.*s\nprinted:\n%s\nerror: %s", (int)len, buf,
                          t ? t : "(null)", again ? "" : e.msg);
        }
        free(t);
        free(t2);
        schedule_free(again);
        schedule_free(s);
    }
    CHECK_INT(bad_round, 0);
    CHECK_INT(bad_shape, 0);
    /* Both outcomes must have been exercised, or the test proves little. */
    CHECK_MSG(parsed > 1000 && parsed < 19000, "%d of 20000 mutants parsed", parsed);
    return check_exit();
}
