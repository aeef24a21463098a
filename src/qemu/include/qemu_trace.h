/* qemu_trace: reading what a QEMU child writes on stderr, live, line by line, and telling its trace
 * points apart from its other messages. With `-msg timestamp=on` the `log` trace backend writes
 *     16635@1795739680.168526:migrate_set_state new state failed        (7.2, 10.0)
 *     2026-12-03T08:46:14.888691Z migrate_set_state new state failed    (10.2: no thread id)
 * (thread id, wall-clock seconds.microseconds, event, arguments), flushed per event, so lines can be
 * acted on as they come and the last ones survive an abort. Lines are bounded: a longer line is cut, never
 * buffered without end. Never writes to the child, never blocks. */
#ifndef QMPRACE_QEMU_TRACE_H
#define QMPRACE_QEMU_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "err.h"

/* A line longer than this is cut to it (the rest, up to the newline, is dropped). */
#define QEMU_LINE_MAX 4096

struct qemu_trace_point {
    int tid;           /* 0 when the line does not say (10.2) */
    uint64_t epoch_us; /* when QEMU hit it, on the wall clock (gettimeofday) */
    char event[65];
    const char *args; /* points into the parsed line; "" when there are none */
};

/* True if `line` is a timestamped trace line; fills `tp`. */
bool qemu_trace_parse(const char *line, struct qemu_trace_point *tp);

/* A wall-clock time in microseconds as the mono clock's time of the same moment (see mono.h); a time in
 * the future is taken as now. */
uint64_t qemu_trace_mono_us(uint64_t epoch_us);

/* True if `line` is a message a dying process prints last: glibc's assert() line (`...: Assertion `X'
 * failed.`), GLib's `assertion failed` / `Bail out!`, QEMU's `Unexpected error in` or its thread
 * helpers' `qemu: FUNCTION: ERROR` before abort(). */
bool qemu_trace_is_fatal(const char *line);

/* Reads a descriptor on the event loop and hands out its lines. The descriptor stays the caller's. */
struct qemu_lines;
struct qemu_lines_hooks {
    void (*line)(void *arg, const char *line); /* without its newline */
    void (*eof)(void *arg);                    /* once, after the last line; also on a read error */
    void *arg;
};
struct qemu_lines *qemu_lines_new(struct event_base *base, int fd, const struct qemu_lines_hooks *hooks,
                                  struct err *e);
/* Reads what is there now, without waiting (hooks are called from inside). */
void qemu_lines_drain(struct qemu_lines *l);
bool qemu_lines_eof(const struct qemu_lines *l);
void qemu_lines_free(struct qemu_lines *l);

#endif
