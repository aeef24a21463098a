/* What the QEMU target reads from QEMU's stderr, as a user would see it in a timeline: trace lines from
 * the transcripts are split into thread, time, event and arguments; QEMU's other messages are not taken
 * for trace points; the fatal assertion line is recognised and gives the same signature as on the
 * simulated VMM (also for every real trace and crash in tests/transcripts/); lines come out whole however
 * the bytes are chunked, and a runaway line is cut instead of growing without end. Also the command line
 * a source QEMU gets. No QEMU is needed. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "check.h"
#include "mono.h"
#include "qemu_args.h"
#include "qemu_trace.h"
#include "verdict.h"

#define YANK "SIGABRT yank_unregister_instance: Assertion `QLIST_EMPTY(&entry->yankfns)' failed"

static void parsing(void)
{
    struct qemu_trace_point tp;
    /* transcripts/yank-crash-natural/src.trace */
    CHECK(qemu_trace_parse("7683@1795739091.085159:migrate_set_state new state failed", &tp));
    CHECK_INT(tp.tid, 7683);
    CHECK_INT(tp.epoch_us, 1795739091085159ull);
    CHECK_STR(tp.event, "migrate_set_state");
    CHECK_STR(tp.args, "new state failed");
    CHECK(qemu_trace_parse("7681@1795739091.090097:migration_thread_file_err ", &tp));
    CHECK_STR(tp.event, "migration_thread_file_err");
    CHECK_STR(tp.args, "");
    CHECK(qemu_trace_parse("7672@1795739091.086527:qmp_exit_migrate_set_capabilities {} 1", &tp));
    CHECK_STR(tp.event, "qmp_exit_migrate_set_capabilities");
    CHECK_STR(tp.args, "{} 1");
    CHECK(qemu_trace_parse("12@5.000001:savevm_state_cleanup", &tp));
    CHECK_INT(tp.epoch_us, 5000001);
    CHECK_STR(tp.args, "");

    /* 10.2 writes trace points through qemu_log: GLib's ISO 8601 UTC time, and no thread id */
    CHECK(qemu_trace_parse("2026-12-03T08:46:14.888691Z migrate_set_state new state failed", &tp));
    CHECK_INT(tp.tid, 0);
    CHECK_INT(tp.epoch_us, 1796287574888691ull);
    CHECK_STR(tp.event, "migrate_set_state");
    CHECK_STR(tp.args, "new state failed");
    CHECK(qemu_trace_parse("2026-12-03T08:46:14Z savevm_state_cleanup", &tp)); /* GLib leaves out .000000 */
    CHECK_INT(tp.epoch_us, 1796287574000000ull);
    CHECK_STR(tp.args, "");
    CHECK(!qemu_trace_parse("2026-12-03T08:46:14.888691 migrate_set_state", &tp)); /* no zone: not QEMU's */
    CHECK(!qemu_trace_parse("2026-12-3T08:46:14Z migrate_set_state", &tp));

    /* QEMU's own messages, timestamped or not, are output, not trace points */
    CHECK(!qemu_trace_parse("2026-11-27T00:24:51.089864Z qemu-system-x86_64: multifd_send_pages: channel 1 has "
                            "already quit!",
                            &tp));
    CHECK(!qemu_trace_parse("qemu-system-x86_64: ../../util/yank.c:107: yank_unregister_instance: Assertion "
                            "`QLIST_EMPTY(&entry->yankfns)' failed.",
                            &tp));
    CHECK(!qemu_trace_parse("migrate_set_state new state failed", &tp)); /* no timestamp: -msg timestamp=off */
    CHECK(!qemu_trace_parse("12@5.6:", &tp));
    CHECK(!qemu_trace_parse("12@5:event", &tp));
    CHECK(!qemu_trace_parse("@5.6:event", &tp));
    CHECK(!qemu_trace_parse("0@5.6:event", &tp));
    CHECK(!qemu_trace_parse("", &tp));
    char longname[200];
    snprintf(longname, sizeof longname, "1@2.3:%0100d", 0);
    CHECK(!qemu_trace_parse(longname, &tp));

    /* a trace point 5 ms before `real` is 5 ms before it on the mono clock too (give or take the two
     * clocks' granularity; the bounds hold however long this thread is preempted between the calls) */
    uint64_t before = mono_now_us();
    struct timeval tv;
    gettimeofday(&tv, NULL);
    uint64_t real = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
    uint64_t m = qemu_trace_mono_us(real - 5000);
    uint64_t after = mono_now_us();
    CHECK_MSG(m + 5000 + 1000 >= before && m + 5000 <= after + 1000, "mono %llu for 5 ms ago, between %llu and %llu",
              (unsigned long long)m, (unsigned long long)before, (unsigned long long)after);
    CHECK(qemu_trace_mono_us(real + 60000000) >= before); /* the future is now */
}

/* Every line of the real traces in tests/transcripts/ is a trace point, and the last stderr line of the
 * crashing ones gives the signature the simulated VMM gives. */
static void transcripts(void)
{
    const char *src = getenv("QMPRACE_SOURCE_DIR");
    CHECK_MSG(src != NULL, "QMPRACE_SOURCE_DIR is not set");
    if (!src)
        return;
    static const char *const traces[] = {"yank-crash-natural", "yank-crash-thread-held", "survived-natural",
                                         "segv-multifd-turned-on"};
    char path[512], line[QEMU_LINE_MAX + 2];
    for (size_t i = 0; i < sizeof traces / sizeof traces[0]; i++) {
        snprintf(path, sizeof path, "%s/tests/transcripts/%s/src.trace", src, traces[i]);
        FILE *f = fopen(path, "r");
        CHECK_MSG(f != NULL, "%s", path);
        int n = 0;
        while (f && fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = '\0';
            struct qemu_trace_point tp;
            CHECK_MSG(qemu_trace_parse(line, &tp), "%s: not a trace line: %s", path, line);
            n++;
        }
        CHECK_MSG(n > 5, "%s: %d lines", path, n);
        if (f)
            fclose(f);
    }
    static const struct {
        const char *dir, *signature;
    } crashes[] = {{"yank-crash-natural", YANK},
                   {"yank-crash-thread-held", YANK},
                   {"channels-2-to-8", "SIGABRT qemu_mutex_lock_impl: Assertion `mutex->initialized' failed"}};
    for (size_t i = 0; i < sizeof crashes / sizeof crashes[0]; i++) {
        snprintf(path, sizeof path, "%s/tests/transcripts/%s/src.stderr", src, crashes[i].dir);
        FILE *f = fopen(path, "r");
        CHECK_MSG(f != NULL, "%s", path);
        char fatal_line[QEMU_LINE_MAX + 2] = "";
        while (f && fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = '\0';
            if (qemu_trace_is_fatal(line))
                snprintf(fatal_line, sizeof fatal_line, "%s", line);
        }
        if (f)
            fclose(f);
        char sig[512];
        verdict_signature(SIGABRT, fatal_line, sig, sizeof sig);
        CHECK_STR(sig, crashes[i].signature);
    }
}

static void fatal(void)
{
    const char *yank = "qemu-system-x86_64: ../../util/yank.c:107: yank_unregister_instance: Assertion "
                       "`QLIST_EMPTY(&entry->yankfns)' failed.";
    CHECK(qemu_trace_is_fatal(yank));
    CHECK(qemu_trace_is_fatal("qemu-system-x86_64: ../../util/qemu-thread-posix.c:87: qemu_mutex_lock_impl: "
                              "Assertion `mutex->initialized' failed."));
    CHECK(qemu_trace_is_fatal("**\nERROR:../migration/ram.c:12:f: assertion failed: (x)"));
    CHECK(!qemu_trace_is_fatal("2026-11-27T00:24:51.090510Z qemu-system-x86_64: Unable to write to socket: "
                               "Connection reset by peer"));
    /* channels 2 -> 8 in the held window, on 7.2: error_exit() then abort() */
    CHECK(qemu_trace_is_fatal("qemu: qemu_thread_join: No such process"));
    char j[512];
    verdict_signature(SIGABRT, "qemu: qemu_thread_join: No such process", j, sizeof j);
    CHECK_STR(j, "SIGABRT qemu_thread_join: No such process");
    /* the line as the fixed build run from its build tree prints it: same signature as Debian's */
    char a[512], b[512];
    verdict_signature(SIGABRT, yank, a, sizeof a);
    verdict_signature(SIGABRT,
                      "../qemu-7.2/build/qemu-system-x86_64: ../util/yank.c:107: yank_unregister_instance: "
                      "Assertion `QLIST_EMPTY(&entry->yankfns)' failed.",
                      b, sizeof b);
    CHECK_STR(a, YANK);
    CHECK_STR(b, YANK);
}

/* ---- the line reader, fed through a pipe ---- */

struct got {
    char lines[8][QEMU_LINE_MAX + 1];
    int n, eofs;
    struct event_base *base;
};

static void on_line(void *arg, const char *line)
{
    struct got *g = arg;
    if (g->n < 8)
        snprintf(g->lines[g->n], sizeof g->lines[g->n], "%s", line);
    g->n++;
}

static void on_eof(void *arg)
{
    struct got *g = arg;
    g->eofs++;
    event_base_loopbreak(g->base);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

static void write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void lines(void)
{
    int p[2];
    CHECK(pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
    struct got g = {.base = event_base_new()};
    struct err e = {{0}};
    struct qemu_lines_hooks h = {on_line, on_eof, &g};
    struct qemu_lines *l = qemu_lines_new(g.base, p[0], &h, &e);
    CHECK(l != NULL);

    /* a trace line split in the middle, a CRLF line, a line far too long, and a last line without its
     * newline: the child's output as it might come */
    write_all(p[1], "7683@1795739091.085159:migrate_", 31);
    qemu_lines_drain(l);
    CHECK_INT(g.n, 0);
    write_all(p[1], "set_state new state failed\nsecond\r\n", 35);
    qemu_lines_drain(l);
    CHECK_INT(g.n, 2);
    size_t big = 3 * QEMU_LINE_MAX;
    char *junk = malloc(big);
    memset(junk, 'x', big);
    write_all(p[1], junk, big);
    free(junk);
    write_all(p[1], "\nafter\nlast words", 17);
    close(p[1]);

    struct event *deadline = evtimer_new(g.base, on_deadline, g.base);
    struct timeval tv = {2, 0};
    evtimer_add(deadline, &tv);
    event_base_dispatch(g.base);
    event_free(deadline);

    CHECK_INT(g.n, 5);
    CHECK_STR(g.lines[0], "7683@1795739091.085159:migrate_set_state new state failed");
    CHECK_STR(g.lines[1], "second");
    CHECK_INT(strlen(g.lines[2]), QEMU_LINE_MAX); /* cut, and the rest of it dropped */
    CHECK_STR(g.lines[3], "after");
    CHECK_STR(g.lines[4], "last words");
    CHECK_INT(g.eofs, 1);
    CHECK(qemu_lines_eof(l));
    qemu_lines_free(l);
    close(p[0]);
    event_base_free(g.base);
}

static int find(char **argv, const char *s)
{
    for (int i = 0; argv[i]; i++)
        if (strcmp(argv[i], s) == 0)
            return i;
    return -1;
}

static void args(void)
{
    struct err e = {{0}};
    const char *trace[] = {"migrate_set_state", "qmp_enter_*"};
    const char *extra[] = {"-cpu", "max"};
    struct qemu_launch l = {.bin = "/usr/bin/qemu-system-x86_64",
                            .role = QEMU_SOURCE,
                            .ram_bytes = 256ull << 20,
                            .ram_fd = 7,
                            .qmp_fd = 9,
                            .trace = trace,
                            .ntrace = 2,
                            .extra = extra,
                            .nextra = 2};
    char **argv = qemu_args_build(&l, &e);
    CHECK(argv != NULL);
    if (!argv)
        return;
    CHECK_STR(argv[0], "/usr/bin/qemu-system-x86_64");
    CHECK(find(argv, "-nodefaults") > 0);
    CHECK(find(argv, "tcg") > 0);
    CHECK(find(argv, "256M") > 0);
    CHECK(find(argv, "pc,memory-backend=mem0") > 0);
    CHECK(find(argv, "memory-backend-file,id=mem0,size=256M,mem-path=/proc/self/fd/7,share=off") > 0);
    CHECK(find(argv, "socket,id=qmp0,fd=9,server=on,wait=off") > 0);
    CHECK(find(argv, "timestamp=on") > 0);
    CHECK(find(argv, "qmprace-source,debug-threads=on") > 0); /* thread names for `freeze` */
    int t = find(argv, "migrate_set_state");
    CHECK(t > 0 && strcmp(argv[t - 1], "-trace") == 0);
    CHECK(find(argv, "qmp_enter_*") > 0);
    CHECK(find(argv, "-incoming") < 0);
    /* the user's arguments come last, so they can override ours */
    int n = 0;
    while (argv[n])
        n++;
    CHECK_STR(argv[n - 2], "-cpu");
    CHECK_STR(argv[n - 1], "max");
    qemu_args_free(argv);

    l.role = QEMU_DEST;
    l.incoming = "unix:dest/in";
    argv = qemu_args_build(&l, &e);
    CHECK(argv != NULL);
    if (!argv)
        return;
    int in = find(argv, "-incoming");
    CHECK(in > 0 && strcmp(argv[in + 1], "unix:dest/in") == 0);
    CHECK(find(argv, "memory-backend-ram,id=mem0,size=256M") > 0);
    qemu_args_free(argv);
}

int main(void)
{
    parsing();
    transcripts();
    fatal();
    lines();
    args();
    return check_exit();
}
